import { CheckOutlined, PaperClipOutlined } from '@ant-design/icons';
import { api, request, useTranslation } from '@shuiyun/web-kit';
import { BlockEmpty, BlockError } from '@shuiyun/web-kit/blocks';
import { App, Badge, Button, List, Space, Spin, Switch, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { notificationsChanged } from '../layout/notifications.js';
import { localizedLanguage } from '../language.js';

/** One of my messages (`GET /api/notifications`). */
interface Notification {
  id: number;
  kind: string;
  title: { 'zh-CN': string; en: string };
  body: { 'zh-CN': string; en: string };
  link: string | null;
  attachment: { deliveryId: number; fileName: string; mediaType: string; bytes: number } | null;
  readAt: string | null;
  createdAt: string;
}

interface NotificationPage {
  items: Notification[];
  total: number;
  page: number;
  pageSize: number;
  unread: number;
}

function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `/app/notifications`: my messages, unread first; open, mark read, download a scheduled report's file. */
export function NotificationsPage() {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const lang = localizedLanguage(i18n.language);
  const [query, setQuery] = useState({ page: 1, pageSize: 20, unread: false });
  const [state, setState] = useState<{ data?: NotificationPage; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api
      .get<NotificationPage>('/api/notifications', { page: query.page, pageSize: query.pageSize, unread: query.unread ? 'true' : undefined }, controller.signal)
      .then((data) => setState({ data, loading: false }))
      .catch((error: unknown) => !controller.signal.aborted && setState({ error, loading: false }));
    return () => controller.abort();
  }, [query, generation]);

  const markRead = async (item: Notification) => {
    if (item.readAt) return;
    try {
      await api.post(`/api/notifications/${item.id}/read`);
      setGeneration((g) => g + 1);
      notificationsChanged();
    } catch (error) {
      void message.error(error instanceof Error ? error.message : String(error));
    }
  };
  const markAll = async () => {
    for (const item of state.data?.items ?? []) if (!item.readAt) await api.post(`/api/notifications/${item.id}/read`).catch(() => undefined);
    setGeneration((g) => g + 1);
    notificationsChanged();
  };
  // Links into the app shell or the designer are followed; API paths (a schedule's deliveries) are not pages.
  const followable = (link: string | null): link is string => link !== null && (link.startsWith('/app/') || link.startsWith('/designer/'));
  const open = async (item: Notification) => {
    await markRead(item);
    if (!followable(item.link)) return;
    if (item.link.startsWith('/app/')) navigate(item.link.slice('/app'.length));
    else window.location.assign(item.link);
  };
  const download = async (item: Notification) => {
    try {
      const response = await request<Response>('GET', `/api/notifications/${item.id}/attachment`, { raw: true });
      save(await response.blob(), item.attachment?.fileName ?? 'attachment');
      await markRead(item);
    } catch (error) {
      void message.error(error instanceof Error ? error.message : String(error));
    }
  };

  if (state.error) return <BlockError error={state.error} onRetry={() => setGeneration((g) => g + 1)} />;
  if (!state.data) return <Spin />;
  return (
    <div className="sy-shell__page" data-testid="notification-list">
      <div className="sy-shell__page-head">
        <Typography.Title level={4}>
          {t('notifications')} {state.data.unread > 0 && <Badge count={state.data.unread} />}
        </Typography.Title>
        <Space wrap>
          <Space size={4}>
            <Switch size="small" checked={query.unread} onChange={(unread) => setQuery((q) => ({ ...q, page: 1, unread }))} aria-label={t('onlyUnread')} />
            <span>{t('onlyUnread')}</span>
          </Space>
          <Button icon={<CheckOutlined />} disabled={state.data.unread === 0} onClick={() => void markAll()}>
            {t('markAllRead')}
          </Button>
        </Space>
      </div>
      <List
        loading={state.loading}
        dataSource={state.data.items}
        locale={{ emptyText: <BlockEmpty description={t('noNotifications')} /> }}
        pagination={state.data.total > query.pageSize ? { current: query.page, pageSize: query.pageSize, total: state.data.total, onChange: (page) => setQuery((q) => ({ ...q, page })) } : false}
        renderItem={(item) => (
          <List.Item
            key={item.id}
            data-testid="notification-row"
            className={item.readAt ? 'sy-notification' : 'sy-notification is-unread'}
            actions={[
              ...(item.attachment
                ? [
                    <Button key="file" size="small" icon={<PaperClipOutlined />} onClick={() => void download(item)}>
                      {t('attachment')}
                    </Button>,
                  ]
                : []),
              ...(item.readAt
                ? []
                : [
                    <Button key="read" size="small" onClick={() => void markRead(item)} data-testid="notification-read">
                      {t('markRead')}
                    </Button>,
                  ]),
            ]}
          >
            <List.Item.Meta
              avatar={item.readAt ? undefined : <Badge status="processing" />}
              title={followable(item.link) ? <Typography.Link onClick={() => void open(item)}>{item.title[lang] || item.title['zh-CN']}</Typography.Link> : item.title[lang] || item.title['zh-CN']}
              description={
                <>
                  <div>{item.body[lang] || item.body['zh-CN']}</div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {new Date(item.createdAt).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false })}
                  </Typography.Text>
                </>
              }
            />
          </List.Item>
        )}
      />
    </div>
  );
}

export default NotificationsPage;
