import { TableOutlined } from '@ant-design/icons';
import { api, type Page, useTranslation } from '@shuiyun/web-kit';
import { BlockEmpty, BlockError } from '@shuiyun/web-kit/blocks';
import { Card, Input, List, Spin, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';

interface TemplateSummary {
  id: number;
  code: string;
  name: string;
  version: number;
  datasetCode: string;
}

/** `/app/reports`: the newest version of each report template the user can see. */
export function ReportsPage() {
  const { t } = useTranslation();
  const [state, setState] = useState<{ items?: TemplateSummary[]; error?: unknown }>({});
  const [filter, setFilter] = useState('');
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    api
      .get<Page<TemplateSummary>>('/api/reports/templates', { pageSize: 200 }, controller.signal)
      .then((page) => setState({ items: page.items }))
      .catch((error: unknown) => !controller.signal.aborted && setState({ error }));
    return () => controller.abort();
  }, [generation]);

  if (state.error) return <BlockError error={state.error} onRetry={() => setGeneration((g) => g + 1)} />;
  if (!state.items) return <Spin />;
  const needle = filter.trim().toLowerCase();
  const items = state.items.filter((i) => !needle || i.name.toLowerCase().includes(needle) || i.code.includes(needle));
  return (
    <div className="sy-shell__page" data-testid="report-list">
      <div className="sy-shell__page-head">
        <Typography.Title level={4}>{t('reportList')}</Typography.Title>
        <Input.Search allowClear style={{ maxWidth: 260 }} onChange={(e) => setFilter(e.target.value)} />
      </div>
      {state.items.length === 0 ? (
        <BlockEmpty description={t('noReports')} />
      ) : (
        <List
          grid={{ gutter: 12, xs: 1, sm: 2, md: 2, lg: 3, xl: 4, xxl: 4 }}
          dataSource={items}
          renderItem={(item) => (
            <List.Item key={item.id}>
              <Link to={`/reports/${item.id}`} data-testid={`report-${item.code}`}>
                <Card hoverable size="small" title={<span><TableOutlined /> {item.name}</span>}>
                  <Typography.Text type="secondary">{item.code}</Typography.Text>
                  <div style={{ marginTop: 6 }}>
                    <Tag>{t('dataset')}: {item.datasetCode}</Tag>
                    <Tag>{t('version', { version: item.version })}</Tag>
                  </div>
                </Card>
              </Link>
            </List.Item>
          )}
        />
      )}
    </div>
  );
}

export default ReportsPage;
