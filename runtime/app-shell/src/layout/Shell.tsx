import { BellOutlined, DashboardOutlined, DatabaseOutlined, FileTextOutlined, HomeOutlined, LogoutOutlined, MenuOutlined, TableOutlined, UnorderedListOutlined, UserOutlined } from '@ant-design/icons';
import { LanguageSwitch, useSession, useTranslation } from '@shuiyun/web-kit';
import { Badge, Button, Drawer, Dropdown, Layout, Menu, Space, Spin, Typography, type MenuProps } from 'antd';
import { Suspense, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAppPages } from '../app-pages.js';
import { localizedLanguage } from '../language.js';
import { useUnreadCount } from './notifications.js';
import { useMobile } from './useMobile.js';

/** The menu key a path belongs to (`/p/<route>` pages, else the first segment). */
function selectedKey(pathname: string): string {
  const [, first, ...rest] = pathname.split('/');
  if ((first === 'p' || first === 'entities') && rest.length > 0) return `/${first}/${rest.join('/')}`;
  return first ? `/${first}` : '/';
}

function NavMenu({ onNavigate }: { onNavigate?: () => void }) {
  const { t, i18n } = useTranslation();
  const { pages, entities, loading } = useAppPages();
  const location = useLocation();
  const navigate = useNavigate();
  const lang = localizedLanguage(i18n.language);
  const shown = pages.filter((p) => p.menu?.show !== false);
  const items: MenuProps['items'] = [
    ...shown.map((page) => ({
      key: `/p/${page.route}`,
      icon: page.kind === 'dashboard' ? <DashboardOutlined /> : <FileTextOutlined />,
      label: <span data-testid={`menu-${page.route}`}>{page.title?.[lang] || page.title?.['zh-CN'] || page.route}</span>,
    })),
    ...(shown.length > 0 || loading ? [{ type: 'divider' as const }] : []),
    { key: '/tasks', icon: <UnorderedListOutlined />, label: <span data-testid="menu-tasks">{t('tasks')}</span> },
    { key: '/reports', icon: <TableOutlined />, label: <span data-testid="menu-reports">{t('reports')}</span> },
    ...(entities.length > 0
      ? [
          {
            key: 'entities',
            icon: <DatabaseOutlined />,
            label: <span data-testid="menu-entities">{t('data')}</span>,
            children: entities.map((e) => ({ key: `/entities/${e.code}`, label: <span data-testid={`menu-entity-${e.code}`}>{e.label?.[lang] || e.name || e.code}</span> })),
          },
        ]
      : []),
    { key: '/notifications', icon: <BellOutlined />, label: <span data-testid="menu-notifications">{t('notifications')}</span> },
  ];
  return (
    <>
      {loading && (
        <div className="sy-shell__menu-loading">
          <Spin size="small" />
        </div>
      )}
      <Menu
        data-testid="app-menu"
        mode="inline"
        selectedKeys={[selectedKey(location.pathname)]}
        defaultOpenKeys={location.pathname.startsWith('/entities/') ? ['entities'] : []}
        items={items}
        onClick={({ key }) => {
          navigate(key);
          onNavigate?.();
        }}
      />
    </>
  );
}

function NotificationBell() {
  const unread = useUnreadCount();
  const { t } = useTranslation();
  return (
    <Link to="/notifications" aria-label={t('notifications')} className="sy-shell__bell">
      <Badge count={unread} size="small" data-testid="notifications-badge" data-unread={unread}>
        <BellOutlined style={{ fontSize: 18 }} />
      </Badge>
    </Link>
  );
}

function UserMenu() {
  const { user, signOut } = useSession();
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <Dropdown
      menu={{
        items: [{ key: 'out', icon: <LogoutOutlined />, label: t('signOut') }],
        onClick: () =>
          void signOut().then(() => {
            navigate('/sign-in');
          }),
      }}
    >
      <Button type="text" icon={<UserOutlined />} data-testid="user-menu">
        <span className="sy-shell__user">{user?.displayName ?? user?.username}</span>
      </Button>
    </Dropdown>
  );
}

const bottomTabs = [
  { path: '/', icon: <HomeOutlined />, word: 'home' },
  { path: '/tasks', icon: <UnorderedListOutlined />, word: 'tasks' },
  { path: '/reports', icon: <TableOutlined />, word: 'reports' },
  { path: '/notifications', icon: <BellOutlined />, word: 'notifications' },
] as const;

/** PC: side menu. Below 768 px: a drawer menu and a bottom bar. */
export function Shell() {
  const mobile = useMobile();
  const { t, i18n } = useTranslation();
  const [drawer, setDrawer] = useState(false);
  const location = useLocation();
  const navigate = useNavigate();
  const current = selectedKey(location.pathname);

  return (
    <Layout className={`sy-shell${mobile ? ' sy-shell--mobile' : ''}`}>
      {!mobile && (
        <Layout.Sider theme="light" width={220} breakpoint="lg" collapsedWidth={64} className="sy-shell__sider">
          <Link to="/" className="sy-shell__brand">
            <img src="/app/icon.svg" alt="" width={28} height={28} />
            <span>{t('appName')}</span>
          </Link>
          <NavMenu />
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header className="sy-shell__header">
          <Space>
            {mobile && <Button type="text" icon={<MenuOutlined />} onClick={() => setDrawer(true)} aria-label={t('menu')} data-testid="menu-toggle" />}
            {mobile && <Typography.Text strong>{t('appName')}</Typography.Text>}
          </Space>
          <Space size={mobile ? 4 : 12}>
            <NotificationBell />
            <LanguageSwitch value={localizedLanguage(i18n.language)} />
            <UserMenu />
          </Space>
        </Layout.Header>
        <Layout.Content className="sy-shell__content">
          <Suspense
            fallback={
              <div className="sy-shell__loading">
                <Spin />
              </div>
            }
          >
            <Outlet />
          </Suspense>
        </Layout.Content>
        {mobile && (
          <nav className="sy-shell__bottom-bar" data-testid="bottom-bar">
            {bottomTabs.map((tab) => (
              <button key={tab.path} type="button" className={current === tab.path ? 'is-active' : ''} onClick={() => navigate(tab.path)}>
                {tab.icon}
                <span>{t(tab.word)}</span>
              </button>
            ))}
          </nav>
        )}
      </Layout>
      {mobile && (
        <Drawer open={drawer} onClose={() => setDrawer(false)} placement="left" width={260} title={t('appName')} styles={{ body: { padding: 0 } }}>
          <NavMenu onNavigate={() => setDrawer(false)} />
        </Drawer>
      )}
    </Layout>
  );
}
