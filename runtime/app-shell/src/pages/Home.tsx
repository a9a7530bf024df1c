import { useTranslation } from '@shuiyun/web-kit';
import { TaskList } from '@shuiyun/web-kit/blocks';
import { Alert, Spin } from 'antd';
import { Suspense } from 'react';
import { Navigate } from 'react-router-dom';
import { useAppPages } from '../app-pages.js';
import { BlockPage } from './BlockPage.js';

/** `/app/`: the first page of the menu, or the task list while nothing is published. */
export function Home() {
  const { t } = useTranslation();
  const { pages, loading } = useAppPages();
  if (loading) {
    return (
      <div className="sy-shell__loading">
        <Spin />
      </div>
    );
  }
  const first = pages.find((p) => p.menu?.show !== false);
  if (first) return <Navigate to={`/p/${first.route}`} replace />;
  return (
    <BlockPage>
      <Alert type="info" showIcon message={t('noPages')} description={t('noPagesHint')} style={{ marginBottom: 16 }} data-testid="no-pages" />
      <Suspense fallback={<Spin />}>
        <TaskList />
      </Suspense>
    </BlockPage>
  );
}
