import { ReportViewer } from '@shuiyun/web-kit/blocks';
import { Spin } from 'antd';
import { Suspense } from 'react';
import { useParams } from 'react-router-dom';
import { BlockPage } from './BlockPage.js';
import { NotFound } from './NotFound.js';

/** `/app/reports/:id`: the report viewer over one template version, full page. */
export function ReportPage() {
  const { id = '' } = useParams();
  if (!/^\d+$/.test(id)) return <NotFound />;
  return (
    <BlockPage>
      <Suspense fallback={<Spin />}>
        <ReportViewer key={id} templateId={Number(id)} />
      </Suspense>
    </BlockPage>
  );
}

export default ReportPage;
