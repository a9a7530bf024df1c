import { ReloadOutlined } from '@ant-design/icons';
import { App, Button, Card, Drawer, List, Segmented, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { lazy, Suspense, useState, type HTMLAttributes } from 'react';
import { tokenStore } from '../../api.js';
import type { TaskListBlockConfig } from '../../artifacts.js';
import { formatDateTime } from '../format.js';
import { NARROW_WIDTH, useRemote, useWidth } from '../remote.js';
import { BlockEmpty, BlockError, BlockLoading } from '../status.js';
import { useBlockText } from '../words.js';
import { claimTask, listTasks, type UserTask } from './task-api.js';

const TaskForm = lazy(() => import('./TaskForm.js'));

export interface TaskListProps {
  config?: TaskListBlockConfig;
  /** A task to open right away (the app shell's `/app/tasks/:id`). */
  openTaskId?: number;
  /** Told when a task opens or closes (the app shell keeps it in the URL). */
  onOpenChange?: (taskId: number | null) => void;
}

const rowProps = (task: UserTask) => ({ 'data-testid': 'task-row', 'data-task-id': task.id }) as HTMLAttributes<HTMLElement>;

/** 待办列表: the signed-in user's open tasks (theirs and those they may claim), claim, and the task form. */
export function TaskList({ config, openTaskId, onOpenChange }: TaskListProps) {
  const { t, locale } = useBlockText();
  const { message } = App.useApp();
  const [box, width] = useWidth<HTMLDivElement>();
  const pageSize = Math.max(1, Math.min(200, Number(config?.pageSize) || 10));
  const [query, setQuery] = useState({ page: 1, pageSize, scope: 'candidate' as 'candidate' | 'mine' });
  const [open, setOpen] = useState<number | null>(openTaskId ?? null);
  const [claiming, setClaiming] = useState<number | null>(null);
  const tasks = useRemote((signal) => listTasks(query, signal), JSON.stringify(query));
  const me = tokenStore.read()?.user.username;
  const narrow = width > 0 && width < NARROW_WIDTH;

  const show = (id: number | null) => {
    setOpen(id);
    onOpenChange?.(id);
  };
  const claim = async (task: UserTask) => {
    if (claiming !== null) return;
    setClaiming(task.id);
    try {
      await claimTask(task.id);
      void message.success(t('tasks.claimed'));
      tasks.reload();
    } catch (error) {
      void message.error(error instanceof Error ? error.message : String(error));
    } finally {
      setClaiming(null);
    }
  };

  const assigneeTag = (task: UserTask) => (task.assignee ? <Tag color={task.assignee === me ? 'blue' : undefined}>{task.assignee}</Tag> : <Tag color="orange">{t('tasks.unassigned')}</Tag>);
  const actions = (task: UserTask) => (
    <Space size="small">
      {!task.assignee && (
        <Button size="small" onClick={() => void claim(task)} loading={claiming === task.id} data-testid="task-claim">
          {t('tasks.claim')}
        </Button>
      )}
      <Button size="small" type="primary" onClick={() => show(task.id)} data-testid="task-open">
        {t('tasks.open')}
      </Button>
    </Space>
  );

  const columns: ColumnsType<UserTask> = [
    { key: 'name', title: t('tasks.name'), render: (_, task) => <Typography.Link onClick={() => show(task.id)}>{task.name ?? task.elementId}</Typography.Link> },
    { key: 'process', title: t('tasks.process'), render: (_, task) => `${task.processId} #${task.instanceId}` },
    { key: 'assignee', title: t('tasks.assignee'), render: (_, task) => assigneeTag(task) },
    { key: 'due', title: t('tasks.due'), render: (_, task) => (task.dueDate ? formatDateTime(task.dueDate, locale) : '—') },
    { key: 'created', title: t('tasks.created'), render: (_, task) => formatDateTime(task.createdAt, locale) },
    { key: 'actions', title: t('actions'), render: (_, task) => actions(task) },
  ];

  let body;
  if (tasks.status === 'error') body = <BlockError error={tasks.error} onRetry={tasks.reload} />;
  else if (!tasks.data) body = <BlockLoading />;
  else if (narrow) {
    body = (
      <List
        dataSource={tasks.data.items}
        locale={{ emptyText: <BlockEmpty description={t('tasks.empty')} /> }}
        pagination={tasks.data.total > query.pageSize ? { simple: true, current: query.page, pageSize: query.pageSize, total: tasks.data.total, onChange: (page) => setQuery((q) => ({ ...q, page })) } : false}
        renderItem={(task) => (
          <List.Item key={task.id} {...rowProps(task)}>
            <Card size="small" style={{ width: '100%' }} title={task.name ?? task.elementId} extra={assigneeTag(task)}>
              <div className="sy-task-card__meta">
                {task.processId} #{task.instanceId} · {formatDateTime(task.createdAt, locale)}
              </div>
              {actions(task)}
            </Card>
          </List.Item>
        )}
      />
    );
  } else {
    body = (
      <Table<UserTask>
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={tasks.data.items}
        loading={tasks.status === 'loading'}
        onRow={rowProps}
        locale={{ emptyText: <BlockEmpty description={t('tasks.empty')} /> }}
        scroll={{ x: 'max-content' }}
        pagination={{ current: query.page, pageSize: query.pageSize, total: tasks.data.total, onChange: (page, size) => setQuery((q) => ({ ...q, page, pageSize: size })), showTotal: (total) => t('total', { count: total }) }}
      />
    );
  }

  return (
    <div ref={box} className="sy-task-list" data-testid="task-list">
      <Space className="sy-task-list__toolbar" wrap>
        <Segmented
          value={query.scope}
          onChange={(scope) => setQuery((q) => ({ ...q, page: 1, scope: scope as 'candidate' | 'mine' }))}
          options={[
            { value: 'candidate', label: t('tasks.candidate') },
            { value: 'mine', label: t('tasks.mine') },
          ]}
        />
        <Button icon={<ReloadOutlined />} onClick={tasks.reload} aria-label={t('refresh')} />
      </Space>
      {body}
      <Drawer open={open !== null} onClose={() => show(null)} width={window.innerWidth < 768 ? '100%' : 720} title={t('tasks.open')} destroyOnHidden>
        {open !== null && (
          <Suspense fallback={<BlockLoading />}>
            <TaskForm
              taskId={open}
              onCancel={() => show(null)}
              onDone={() => {
                show(null);
                tasks.reload();
              }}
            />
          </Suspense>
        )}
      </Drawer>
    </div>
  );
}

export function TaskListBlock({ config }: { config: TaskListBlockConfig }) {
  const { t } = useBlockText();
  return (
    <Card className="sy-block sy-block--task-list" data-testid="block-task-list" size="small" title={config.title ?? t('tasks.title')} variant="outlined">
      <TaskList config={config} />
    </Card>
  );
}

export default TaskListBlock;
