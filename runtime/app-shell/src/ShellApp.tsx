import { SessionProvider, useTranslation } from '@shuiyun/web-kit';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/es/locale/en_US';
import zhCN from 'antd/es/locale/zh_CN';
import { lazy } from 'react';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router-dom';
import { AppPagesProvider } from './app-pages.js';
import { RequireSession, SignInPage } from './layout/RequireSession.js';
import { Shell } from './layout/Shell.js';
import { Home } from './pages/Home.js';

const PageView = lazy(() => import('./pages/PageView.js'));
const TasksPage = lazy(() => import('./pages/TasksPage.js'));
const NotificationsPage = lazy(() => import('./pages/NotificationsPage.js'));
const ReportsPage = lazy(() => import('./pages/ReportsPage.js'));
const ReportPage = lazy(() => import('./pages/ReportPage.js'));
const EntityPage = lazy(() => import('./pages/EntityPage.js'));
const NotFound = lazy(() => import('./pages/NotFound.js').then((m) => ({ default: m.NotFound })));

const router = createBrowserRouter(
  [
    { path: '/sign-in', element: <SignInPage /> },
    {
      element: (
        <RequireSession>
          <AppPagesProvider>
            <Shell />
          </AppPagesProvider>
        </RequireSession>
      ),
      children: [
        { index: true, element: <Home /> },
        { path: 'p/*', element: <PageView /> },
        { path: 'tasks', element: <TasksPage /> },
        { path: 'tasks/:id', element: <TasksPage /> },
        { path: 'notifications', element: <NotificationsPage /> },
        { path: 'reports', element: <ReportsPage /> },
        { path: 'reports/:id', element: <ReportPage /> },
        { path: 'entities/:code', element: <EntityPage /> },
        { path: 'home', element: <Navigate to="/" replace /> },
        { path: '*', element: <NotFound /> },
      ],
    },
  ],
  { basename: '/app' },
);

/** The app shell: session, language, antd theme and the routes under /app/. */
export function ShellApp() {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider locale={i18n.language === 'en' ? enUS : zhCN} theme={{ token: { colorPrimary: '#1677ff', borderRadius: 6 } }}>
      <AntApp>
        <SessionProvider>
          <RouterProvider router={router} />
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}
