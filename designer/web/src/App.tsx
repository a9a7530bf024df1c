import { SessionProvider, SignIn, useSession, useTranslation } from '@shuiyun/web-kit';
import { App as AntApp, ConfigProvider, Result, Spin } from 'antd';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import enUS from 'antd/es/locale/en_US';
import zhCN from 'antd/es/locale/zh_CN';
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { AppLayout } from './layout/AppLayout.js';
import { PERMISSIONS } from './lib/kinds.js';

// The frame and sign-in load first; the list (antd Table) and the editor frame on their routes.
const ArtifactList = lazy(() => import('./list/ArtifactList.js').then((m) => ({ default: m.ArtifactList })));
const EditorPage = lazy(() => import('./editor/EditorPage.js').then((m) => ({ default: m.EditorPage })));

function Loading() {
  return (
    <div className="sy-center">
      <Spin size="large" />
    </div>
  );
}

const route = (element: ReactNode) => <Suspense fallback={<Loading />}>{element}</Suspense>;

export function App() {
  const { i18n } = useTranslation();
  // Date pickers name months and weekdays in the user's language.
  dayjs.locale(i18n.language === 'en' ? 'en' : 'zh-cn');
  return (
    <ConfigProvider locale={i18n.language === 'en' ? enUS : zhCN} theme={{ token: { colorPrimary: '#1668dc', borderRadius: 6 } }}>
      <AntApp>
        <SessionProvider>
          <BrowserRouter basename="/designer">
            <Gate />
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

/** Signed out: the sign-in page; signed in without design:read: a refusal; else the designer. */
function Gate() {
  const { t } = useTranslation();
  const { user, me, loading, can, signOut } = useSession();
  if (!user) return <SignIn title={t('signInTitle')} />;
  if (loading || !me) return <Loading />;
  if (!can(PERMISSIONS.read)) {
    return (
      <Result
        status="403"
        title={t('kit:noPermission')}
        subTitle={t('noDesignPermission')}
        extra={
          <a onClick={() => void signOut()} data-testid="sign-out">
            {t('kit:signOut')}
          </a>
        }
      />
    );
  }
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={route(<ArtifactList />)} />
        <Route path=":kind" element={route(<ArtifactList />)} />
        <Route path=":kind/:id" element={route(<EditorPage />)} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}
