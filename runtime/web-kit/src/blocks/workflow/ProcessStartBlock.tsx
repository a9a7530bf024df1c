import { PlayCircleOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Space, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.js';
import type { ProcessStartBlockConfig } from '../../artifacts.js';
import { useFollow } from '../context.js';
import { BlockError, BlockNotConfigured } from '../status.js';
import { useBlockText } from '../words.js';

interface StartedInstance {
  id: number;
  processId: string;
  version: number;
  state: 'active' | 'completed' | 'terminated' | 'canceled';
  businessKey: string | null;
}

/** How often the block looks at the instance it started until it ends. */
const REFRESH_MS = 2_000;
const rememberKey = (processId: string) => `shuiyun.started.${processId}`;

function remembered(processId: string | undefined): number | null {
  if (!processId || typeof sessionStorage === 'undefined') return null;
  const id = Number(sessionStorage.getItem(rememberKey(processId)));
  return Number.isInteger(id) && id > 0 ? id : null;
}

/**
 * 发起流程: one button that starts an instance of the process; a second click while sending does nothing.
 * The instance it started stays in view (also after visiting the task list and coming back, for this
 * browser tab) with its state followed until it ends.
 */
export function ProcessStartBlock({ config }: { config: ProcessStartBlockConfig }) {
  const { t } = useBlockText();
  const follow = useFollow();
  const sending = useRef(false);
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState<StartedInstance | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [followed, setFollowed] = useState<number | null>(() => remembered(config.processId));

  useEffect(() => {
    if (followed === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const look = async () => {
      try {
        const instance = await api.get<StartedInstance>(`/api/workflow/instances/${followed}`);
        if (!live) return;
        setStarted(instance);
        if (instance.state === 'active') timer = setTimeout(() => void look(), REFRESH_MS);
      } catch {
        // Gone, or not readable with this user's permissions: show what the start answered and stop.
      }
    };
    void look();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [followed]);

  const start = async () => {
    if (sending.current || !config.processId) return;
    sending.current = true;
    setBusy(true);
    setError(null);
    try {
      const instance = await api.post<StartedInstance>('/api/workflow/instances', { processId: config.processId, variables: config.variables ?? {} });
      setStarted(instance);
      if (config.processId) sessionStorage.setItem(rememberKey(config.processId), String(instance.id));
      setFollowed(instance.id);
    } catch (e) {
      setError(e);
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  return (
    <Card className="sy-block sy-block--process-start" data-testid="block-process-start" size="small" variant="outlined">
      {!config.processId ? (
        <BlockNotConfigured what={t('block.process-start')} />
      ) : (
        <Space direction="vertical" style={{ width: '100%' }}>
          <Button type="primary" size="large" icon={<PlayCircleOutlined />} onClick={() => void start()} loading={busy} disabled={busy} data-testid="process-start-button">
            {config.label || `${t('process.start')} ${config.processId}`}
          </Button>
          {started && (
            <Alert
              type="success"
              showIcon
              data-testid="process-started"
              data-instance-id={started.id}
              data-instance-state={started.state}
              message={t('process.started', { id: started.id, state: t(`process.state.${started.state}`, { defaultValue: started.state }) })}
              action={
                <Typography.Link onClick={() => follow('/tasks')} data-testid="process-started-tasks">
                  {t('process.viewTasks')}
                </Typography.Link>
              }
            />
          )}
          {error !== null && <BlockError error={error} />}
        </Space>
      )}
    </Card>
  );
}

export default ProcessStartBlock;
