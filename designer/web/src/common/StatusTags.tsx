import { useTranslation, type ArtifactSummary } from '@shuiyun/web-kit';
import { Space, Tag } from 'antd';

/** 未发布 / 已发布 vN / 有未发布更改. */
export function StatusTags({ summary, testId }: { summary: Pick<ArtifactSummary, 'publishedVersion' | 'draftChanged'>; testId?: string }) {
  const { t } = useTranslation();
  return (
    <Space size={4} data-testid={testId}>
      {summary.publishedVersion === null ? (
        <Tag>{t('status.unpublished')}</Tag>
      ) : (
        <Tag color="green">{t('status.published', { version: summary.publishedVersion })}</Tag>
      )}
      {summary.publishedVersion !== null && summary.draftChanged && <Tag color="orange">{t('status.changed')}</Tag>}
    </Space>
  );
}
