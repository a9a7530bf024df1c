import { Alert, App, Button, Descriptions, Space, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api.js';
import { useRemote } from '../remote.js';
import { BlockError, BlockLoading } from '../status.js';
import { useBlockText } from '../words.js';
import type { TaskFormViewer } from './form-js-viewer.js';
import { claimTask, completeTask, loadTask, type TaskWithForm } from './task-api.js';

const variablePath = (path: string | undefined) => (path?.startsWith('body.variables.') ? path.slice('body.variables.'.length) : undefined);

/**
 * One task's form-js form with the process variables it shows; 提交 claims the task first when nobody has
 * it, then completes it. The server checks the submission against the same schema; its errors land on
 * the fields.
 */
export function TaskForm({ taskId, onDone, onCancel }: { taskId: number; onDone?: (task: TaskWithForm) => void; onCancel?: () => void }) {
  const { t } = useBlockText();
  const { message } = App.useApp();
  const task = useRemote((signal) => loadTask(taskId, signal), String(taskId));
  const box = useRef<HTMLDivElement>(null);
  const viewer = useRef<TaskFormViewer | null>(null);
  const [viewerError, setViewerError] = useState<unknown>(null);
  const [ready, setReady] = useState(false);
  const [sending, setSending] = useState(false);
  const sendingRef = useRef(false);
  const [problems, setProblems] = useState<string[]>([]);

  const schema = task.data?.form?.schema;
  useEffect(() => {
    if (!schema || !box.current || !task.data) return;
    let live = true;
    let opened: TaskFormViewer | null = null;
    setReady(false);
    import('./form-js-viewer.js')
      .then(({ openFormViewer }) => openFormViewer(box.current!, schema, task.data!.variables ?? {}))
      .then((v) => {
        opened = v;
        if (!live) return v.destroy();
        viewer.current = v;
        setReady(true);
      })
      .catch((error: unknown) => live && setViewerError(error));
    return () => {
      live = false;
      opened?.destroy();
      viewer.current = null;
    };
  }, [schema, task.data]);

  if (task.status === 'error') return <BlockError error={task.error} onRetry={task.reload} />;
  if (!task.data) return <BlockLoading />;
  const current = task.data;

  const submit = async () => {
    if (sendingRef.current) return;
    let variables: Record<string, unknown> = {};
    if (current.form) {
      if (!viewer.current) return;
      const result = viewer.current.submit();
      if (Object.keys(result.errors).length > 0) return;
      variables = result.data;
    }
    sendingRef.current = true;
    setSending(true);
    setProblems([]);
    try {
      if (!current.assignee) await claimTask(current.id);
      await completeTask(current.id, variables);
      void message.success(t('tasks.completed'));
      onDone?.(current);
    } catch (error) {
      if (error instanceof ApiError) {
        const byKey: Record<string, string> = {};
        const rest: string[] = [];
        for (const detail of error.details) {
          const key = variablePath(detail.path);
          if (key) byKey[key] = detail.message;
          else rest.push(detail.message);
        }
        viewer.current?.showErrors(byKey);
        setProblems([error.message, ...Object.entries(byKey).map(([k, m]) => `${k}: ${m}`), ...rest]);
      } else setProblems([error instanceof Error ? error.message : String(error)]);
    } finally {
      sendingRef.current = false;
      setSending(false);
    }
  };

  return (
    <div className="sy-task-form" data-testid="task-form">
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {current.name ?? current.elementId}
        <Typography.Text type="secondary" style={{ marginLeft: 8, fontSize: 13 }}>
          {current.processId} · #{current.instanceId}
        </Typography.Text>
      </Typography.Title>
      {problems.length > 0 && (
        <Alert type="error" showIcon message={problems[0]} description={problems.length > 1 ? <ul className="sy-block-error__details">{problems.slice(1).map((p, i) => <li key={i}>{p}</li>)}</ul> : undefined} style={{ marginBottom: 12 }} data-testid="task-errors" />
      )}
      {viewerError !== null && <BlockError error={viewerError} />}
      {current.form ? (
        <>
          {!ready && viewerError === null && <BlockLoading />}
          <div ref={box} className="sy-task-form__form" />
        </>
      ) : (
        <>
          <Alert type="info" showIcon message={t('tasks.noForm')} style={{ marginBottom: 12 }} />
          {Object.keys(current.variables ?? {}).length > 0 && (
            <Descriptions
              size="small"
              bordered
              column={1}
              title={t('tasks.variables')}
              items={Object.entries(current.variables).map(([key, value]) => ({ key, label: key, children: typeof value === 'object' ? JSON.stringify(value) : String(value) }))}
            />
          )}
        </>
      )}
      <Space style={{ marginTop: 12 }}>
        <Button type="primary" onClick={() => void submit()} loading={sending} disabled={sending || (current.form !== null && !ready)} data-testid="task-submit">
          {current.form ? t('submit') : t('tasks.complete')}
        </Button>
        {onCancel && <Button onClick={onCancel}>{t('cancel')}</Button>}
      </Space>
    </div>
  );
}

export default TaskForm;
