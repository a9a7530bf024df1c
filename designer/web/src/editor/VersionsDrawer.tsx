import { DiffOutlined, RollbackOutlined } from '@ant-design/icons';
import { useSession, useTranslation, type ArtifactVersion } from '@shuiyun/web-kit';
import { Alert, App, Button, Drawer, Popconfirm, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState, type HTMLAttributes } from 'react';
import { formatTime } from '../common/format.js';
import { designApi, type DiffResult, type DiffSide } from '../lib/design-api.js';
import { messageOf } from '../lib/errors.js';
import { PERMISSIONS } from '../lib/kinds.js';
import { DiffView } from './DiffView.js';

/** 版本: the published versions, a diff between any two (or a version and the draft), 回滚. */
export function VersionsDrawer({
  open,
  artifactId,
  onClose,
  beforeDraftDiff,
  onRolledBack,
  refreshKey,
}: {
  open: boolean;
  artifactId: number;
  onClose(): void;
  /** Saves local changes so that the server's draft is the one on screen. */
  beforeDraftDiff(): Promise<unknown>;
  onRolledBack(version: number, published: number): Promise<void> | void;
  refreshKey: unknown;
}) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const { can, me } = useSession();
  const [versions, setVersions] = useState<ArtifactVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<DiffSide>('draft');
  const [diff, setDiff] = useState<DiffResult | null>(null);
  const [diffError, setDiffError] = useState<string | null>(null);
  const [diffing, setDiffing] = useState(false);
  const [rolling, setRolling] = useState<number | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const { items } = await designApi.versions(artifactId);
      const sorted = [...items].sort((a, b) => b.version - a.version);
      setVersions(sorted);
      return sorted;
    } catch (e) {
      setError(messageOf(e, t('kit:unknownError')));
      return [];
    }
  }, [artifactId, t]);

  const compare = useCallback(
    async (a: number | null, b: DiffSide) => {
      setFrom(a);
      setTo(b);
      setDiffing(true);
      setDiffError(null);
      try {
        if (b === 'draft') await beforeDraftDiff();
        setDiff(await designApi.diff(artifactId, a, b));
      } catch (e) {
        setDiff(null);
        setDiffError(messageOf(e, t('kit:unknownError')));
      } finally {
        setDiffing(false);
      }
    },
    [artifactId, beforeDraftDiff, t],
  );

  useEffect(() => {
    if (!open) return;
    setDiff(null);
    void load().then((items) => {
      const active = items.find((v) => v.active) ?? items[0];
      // Nothing published yet: the whole draft against empty.
      void compare(active ? active.version : null, 'draft');
    });
  }, [open, load, compare, refreshKey]);

  const rollback = async (version: number) => {
    setRolling(version);
    try {
      const result = await designApi.rollback(artifactId, version);
      message.success(t('versions.rolledBack', { version, published: result.version }));
      await onRolledBack(version, result.version);
      const items = await load();
      const active = items.find((v) => v.active);
      if (active) void compare(active.version, 'draft');
    } catch (e) {
      message.error(messageOf(e, t('kit:unknownError')));
    } finally {
      setRolling(null);
    }
  };

  const versionSides = (versions ?? []).map((v) => ({ value: String(v.version), label: `v${v.version}${v.active ? ` (${t('versions.active')})` : ''}` }));
  const sides = [{ value: 'draft', label: t('versions.draft') }, ...versionSides];
  const parseSide = (value: string): DiffSide => (value === 'draft' ? 'draft' : Number(value));

  return (
    <Drawer open={open} onClose={onClose} title={t('versions.title')} width={880} destroyOnHidden data-testid="versions-drawer">
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {versions === null && !error ? (
        <Spin />
      ) : (
        <Table<ArtifactVersion>
          size="small"
          rowKey="version"
          dataSource={versions ?? []}
          pagination={false}
          scroll={{ y: 240 }}
          locale={{ emptyText: t('versions.none') }}
          onRow={(record) => ({ 'data-testid': `version-row-${record.version}` }) as HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('versions.version'),
              dataIndex: 'version',
              width: 110,
              render: (version: number, record) => (
                <Space size={4}>
                  <Typography.Text strong>v{version}</Typography.Text>
                  {record.active && <Tag color="green">{t('versions.active')}</Tag>}
                </Space>
              ),
            },
            { title: t('versions.note'), dataIndex: 'note', render: (note: string | null) => note || <Typography.Text type="secondary">—</Typography.Text> },
            { title: t('versions.publishedAt'), dataIndex: 'publishedAt', width: 170, render: (value: string) => formatTime(value, i18n.language) },
            {
              title: t('versions.publishedBy'),
              dataIndex: 'publishedBy',
              width: 110,
              render: (value: number | null) => (value === null ? '—' : value === me?.user.id ? t('versions.me') : t('versions.user', { id: value })),
            },
            {
              title: '',
              key: 'actions',
              width: 210,
              render: (_: unknown, record) => (
                <Space size={0}>
                  <Button size="small" type="link" icon={<DiffOutlined />} onClick={() => void compare(record.version, 'draft')} data-testid={`version-diff-${record.version}`}>
                    {t('versions.compareDraft')}
                  </Button>
                  {can(PERMISSIONS.publish) && !record.active && (
                    <Popconfirm
                      title={t('versions.rollbackTitle', { version: record.version })}
                      description={t('versions.rollbackHelp', { version: record.version })}
                      okText={t('versions.rollback')}
                      cancelText={t('kit:cancel')}
                      onConfirm={() => rollback(record.version)}
                      okButtonProps={{ 'data-testid': 'rollback-confirm' }}
                    >
                      <Button size="small" type="link" danger icon={<RollbackOutlined />} loading={rolling === record.version} data-testid={`version-rollback-${record.version}`}>
                        {t('versions.rollback')}
                      </Button>
                    </Popconfirm>
                  )}
                </Space>
              ),
            },
          ]}
        />
      )}
      <div className="sy-diff-bar">
        <Typography.Text strong>{t('versions.compare')}</Typography.Text>
        <Select
          size="small"
          style={{ width: 150 }}
          value={from === null ? undefined : String(from)}
          placeholder={t('versions.empty')}
          options={versionSides}
          onChange={(v: string) => void compare(Number(v), to)}
          data-testid="diff-from"
        />
        <span>→</span>
        <Select size="small" style={{ width: 150 }} value={String(to)} options={sides} onChange={(v: string) => void compare(from, parseSide(v))} data-testid="diff-to" />
        {diffing && <Spin size="small" />}
      </div>
      {diffError && <Alert type="error" showIcon message={diffError} />}
      {diff && <DiffView patch={diff.patch} />}
    </Drawer>
  );
}
