import { Alert, Button, Empty, Spin } from 'antd';
import type { ReactNode } from 'react';
import { ApiError } from '../api.js';
import { useBlockText } from './words.js';

export function BlockLoading({ tip }: { tip?: string }) {
  const { t } = useBlockText();
  return (
    <div className="sy-block-status" role="status" aria-busy="true">
      <Spin />
      <span className="sy-block-status__text">{tip ?? t('loading')}</span>
    </div>
  );
}

export function BlockEmpty({ description, children }: { description?: ReactNode; children?: ReactNode }) {
  const { t } = useBlockText();
  return (
    <Empty className="sy-block-empty" image={Empty.PRESENTED_IMAGE_SIMPLE} description={description ?? t('empty')}>
      {children}
    </Empty>
  );
}

/** The API's message (zh-CN or en by the request's language) with its details, and a retry. */
export function BlockError({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const { t } = useBlockText();
  const message = error instanceof Error ? error.message : String(error);
  const details = error instanceof ApiError ? error.details.filter((d) => d.message && d.message !== message) : [];
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      message={title ?? t('error')}
      description={
        <>
          <div>{message}</div>
          {details.length > 0 && (
            <ul className="sy-block-error__details">
              {details.slice(0, 8).map((d, i) => (
                <li key={i}>
                  {d.path ? <code>{d.path}</code> : null} {d.message}
                </li>
              ))}
            </ul>
          )}
        </>
      }
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t('retry')}
          </Button>
        ) : undefined
      }
    />
  );
}

/** A block the designer has not been told enough about yet. */
export function BlockNotConfigured({ what }: { what: string }) {
  const { t } = useBlockText();
  return <Alert type="info" showIcon message={t('notConfigured', { what })} />;
}
