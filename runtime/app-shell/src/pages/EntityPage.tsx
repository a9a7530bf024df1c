import { EntityWorkspace } from '@shuiyun/web-kit/blocks';
import { Spin } from 'antd';
import { Suspense } from 'react';
import { useParams } from 'react-router-dom';
import { BlockPage } from './BlockPage.js';

/** `/app/entities/:code`: an entity's records with the form to add and change them. */
export function EntityPage() {
  const { code = '' } = useParams();
  return (
    <BlockPage>
      <Suspense fallback={<Spin />}>
        <EntityWorkspace key={code} code={code} />
      </Suspense>
    </BlockPage>
  );
}

export default EntityPage;
