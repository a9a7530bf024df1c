import { ApartmentOutlined, AppstoreOutlined, BarChartOutlined, DatabaseOutlined, FormOutlined, LayoutOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { LanguageSwitch, useSession, useTranslation, type ArtifactKind, type Language } from '@shuiyun/web-kit';
import { Avatar, Dropdown, Layout, Menu, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { ARTIFACT_KINDS } from '../lib/kinds.js';

export const KIND_ICONS: Record<ArtifactKind, ReactNode> = {
  process: <ApartmentOutlined />,
  form: <FormOutlined />,
  page: <LayoutOutlined />,
  report: <BarChartOutlined />,
  entity: <DatabaseOutlined />,
};

/** The frame: the side menu by artifact kind, the user menu with the language switch and sign-out. */
export function AppLayout() {
  const { t, i18n } = useTranslation();
  const { me, user, signOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [, first, second] = location.pathname.split('/');
  const inEditor = Boolean(first && second);
  const selected = first && (ARTIFACT_KINDS as string[]).includes(first) ? first : 'all';

  const items = [
    { key: 'all', icon: <AppstoreOutlined />, label: <span data-testid="kind-menu-all">{t('kinds.all')}</span> },
    ...ARTIFACT_KINDS.map((kind) => ({ key: kind, icon: KIND_ICONS[kind], label: <span data-testid={`kind-menu-${kind}`}>{t(`kinds.${kind}`)}</span> })),
  ];

  return (
    <Layout className="sy-app">
      <Layout.Header className="sy-header">
        <a className="sy-brand" onClick={() => navigate('/')}>
          <span className="sy-logo">水</span>
          <span>{t('appTitle')}</span>
        </a>
        <Space size="middle">
          <LanguageSwitch value={i18n.language as Language} />
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'who', disabled: true, label: <Typography.Text type="secondary">{user?.username}</Typography.Text> },
                { type: 'divider' },
                { key: 'sign-out', icon: <LogoutOutlined />, label: <span data-testid="sign-out">{t('kit:signOut')}</span>, onClick: () => void signOut() },
              ],
            }}
          >
            <a data-testid="user-menu" className="sy-user">
              <Avatar size="small" icon={<UserOutlined />} />
              <span>{me?.user.displayName || user?.displayName || user?.username}</span>
            </a>
          </Dropdown>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={212} collapsedWidth={56} collapsed={inEditor} theme="light" className="sy-sider" trigger={null}>
          <Menu mode="inline" selectedKeys={[selected]} items={items} onClick={({ key }) => navigate(key === 'all' ? '/' : `/${key}`)} />
        </Layout.Sider>
        <Layout.Content className={inEditor ? 'sy-content sy-content-editor' : 'sy-content'}>
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
