import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useSession, useTranslation, type ArtifactKind, type ArtifactSummary, type Page } from '@shuiyun/web-kit';
import { Alert, Button, Empty, Input, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState, type HTMLAttributes } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { StatusTags } from '../common/StatusTags.js';
import { formatTime } from '../common/format.js';
import { KIND_ICONS } from '../layout/AppLayout.js';
import { designApi } from '../lib/design-api.js';
import { messageOf } from '../lib/errors.js';
import { isKind, PERMISSIONS } from '../lib/kinds.js';
import { NewArtifactDialog } from './NewArtifactDialog.js';

const PAGE_SIZE = 20;

/** The artifacts of one kind (or of all): search, pages, status, 新建. */
export function ArtifactList() {
  const { t, i18n } = useTranslation();
  const { can } = useSession();
  const navigate = useNavigate();
  const params = useParams();
  const kind: ArtifactKind | null = isKind(params.kind) ? params.kind : null;
  const [search, setSearch] = useSearchParams();
  const q = search.get('q') ?? '';
  const page = Number(search.get('page') ?? '1') || 1;
  const [data, setData] = useState<Page<ArtifactSummary> | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [reloadKey, setReloadKey] = useState(0);
  const [query, setQuery] = useState(q);

  useEffect(() => setQuery(q), [q]);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    designApi
      .list({ kind: kind ?? undefined, q: q || undefined, page, pageSize: PAGE_SIZE }, controller.signal)
      .then(setData)
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(messageOf(e, t('kit:unknownError')));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [kind, q, page, reloadKey, t]);

  const setParams = useCallback(
    (next: { q?: string; page?: number }) => {
      const params = new URLSearchParams(search);
      if (next.q !== undefined) {
        if (next.q) params.set('q', next.q);
        else params.delete('q');
        params.delete('page');
      }
      if (next.page !== undefined) {
        if (next.page > 1) params.set('page', String(next.page));
        else params.delete('page');
      }
      setSearch(params);
    },
    [search, setSearch],
  );

  const canWrite = can(PERMISSIONS.write);
  const title = kind ? t(`kinds.${kind}`) : t('kinds.all');
  const newButton = canWrite && (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="artifact-new">
      {t('list.new')}
    </Button>
  );

  return (
    <div className="sy-list">
      <div className="sy-list-head">
        <Typography.Title level={4} style={{ margin: 0 }}>
          <Space>
            {kind && KIND_ICONS[kind]}
            {title}
          </Space>
        </Typography.Title>
        <Space>
          <Input.Search
            allowClear
            placeholder={t('list.search')}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onSearch={(value) => setParams({ q: value.trim() })}
            style={{ width: 260 }}
            data-testid="artifact-search"
          />
          <Button icon={<ReloadOutlined />} onClick={() => setReloadKey((k) => k + 1)} aria-label={t('list.reload')} />
          {newButton}
        </Space>
      </div>
      {error && (
        <Alert
          type="error"
          showIcon
          message={error}
          style={{ marginBottom: 16 }}
          action={
            <Button size="small" onClick={() => setReloadKey((k) => k + 1)}>
              {t('kit:retry')}
            </Button>
          }
        />
      )}
      <Table<ArtifactSummary>
        rowKey="id"
        loading={loading}
        dataSource={data?.items ?? []}
        onRow={(record) => ({ 'data-testid': `artifact-row-${record.code}`, onDoubleClick: () => navigate(`/${record.kind}/${record.id}`) }) as HTMLAttributes<HTMLElement>}
        locale={{
          emptyText: (
            <Empty description={q ? t('list.noMatch', { q }) : t('list.empty', { kind: title })} data-testid="artifact-empty">
              {!q && newButton}
            </Empty>
          ),
        }}
        pagination={{
          current: data?.page ?? page,
          pageSize: PAGE_SIZE,
          total: data?.total ?? 0,
          showSizeChanger: false,
          showTotal: (total) => t('kit:total', { count: total }),
          onChange: (next) => setParams({ page: next }),
        }}
        columns={[
          {
            title: t('list.name'),
            dataIndex: 'name',
            render: (name: string, record) => (
              <Link to={`/${record.kind}/${record.id}`} data-testid={`artifact-open-${record.code}`}>
                {name}
              </Link>
            ),
          },
          { title: t('list.code'), dataIndex: 'code', render: (code: string) => <Typography.Text code>{code}</Typography.Text> },
          ...(kind
            ? []
            : [
                {
                  title: t('list.kind'),
                  dataIndex: 'kind',
                  render: (value: ArtifactKind) => <Tag icon={KIND_ICONS[value]}>{t(`kinds.${value}`)}</Tag>,
                },
              ]),
          { title: t('list.status'), key: 'status', render: (_: unknown, record) => <StatusTags summary={record} /> },
          { title: t('list.revision'), dataIndex: 'draftRevision', width: 90 },
          { title: t('list.updatedAt'), dataIndex: 'updatedAt', width: 190, render: (value: string) => formatTime(value, i18n.language) },
        ]}
      />
      <NewArtifactDialog
        open={creating}
        kind={kind}
        onClose={() => setCreating(false)}
        onCreated={(createdKind, id) => {
          setCreating(false);
          navigate(`/${createdKind}/${id}`);
        }}
      />
    </div>
  );
}
