import { Button, Result } from 'antd';
import { Component, type ReactNode } from 'react';

/** Keeps a crashing editor from taking the frame (and the draft's autosave) with it. */
export class ErrorBoundary extends Component<{ children: ReactNode; title: string; retry: string }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (this.state.error) {
      return (
        <Result
          status="error"
          title={this.props.title}
          subTitle={this.state.error.message}
          extra={
            <Button onClick={() => this.setState({ error: null })} type="primary">
              {this.props.retry}
            </Button>
          }
        />
      );
    }
    return this.props.children;
  }
}
