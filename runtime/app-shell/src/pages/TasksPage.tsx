import { useTranslation } from '@shuiyun/web-kit';
import { TaskList } from '@shuiyun/web-kit/blocks';
import { Spin, Typography } from 'antd';
import { Suspense } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { BlockPage } from './BlockPage.js';

/** `/app/tasks` and `/app/tasks/:id` (that task's form open). */
export function TasksPage() {
  const { id } = useParams();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const taskId = id && /^\d+$/.test(id) ? Number(id) : undefined;
  return (
    <BlockPage>
      <Typography.Title level={4}>{t('tasks')}</Typography.Title>
      <Suspense fallback={<Spin />}>
        <TaskList key={taskId ?? 'list'} openTaskId={taskId} onOpenChange={(open) => navigate(open ? `/tasks/${open}` : '/tasks', { replace: true })} />
      </Suspense>
    </BlockPage>
  );
}

export default TasksPage;
