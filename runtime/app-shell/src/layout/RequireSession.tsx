import { SignIn, useSession } from '@shuiyun/web-kit';
import { Spin } from 'antd';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';

/** Everything but the sign-in page needs a signed-in user; the way back is kept. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { user, loading } = useSession();
  const location = useLocation();
  if (!user) return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  if (loading) {
    return (
      <div className="sy-shell__loading">
        <Spin size="large" />
      </div>
    );
  }
  return <>{children}</>;
}

export function SignInPage() {
  const { user } = useSession();
  const location = useLocation();
  if (user) {
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from && from !== '/sign-in' ? from : '/'} replace />;
  }
  return <SignIn />;
}
