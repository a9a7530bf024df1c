import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, signIn as apiSignIn, signOut as apiSignOut, tokenStore, type SignedInUser } from './api.js';

export interface Me {
  user: { id: number; username: string; displayName: string; tenantId: number };
  tenant: { id: number; path: string };
  permissions: string[];
}

interface SessionValue {
  user: SignedInUser | null;
  me: Me | null;
  /** True while `/api/auth/me` is being read after sign-in or reload. */
  loading: boolean;
  can(permission: string): boolean;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

/** Holds the signed-in user and its permissions; survives a reload (tokens in localStorage). */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SignedInUser | null>(() => tokenStore.read()?.user ?? null);
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(() => tokenStore.read() !== null);

  useEffect(() => tokenStore.subscribe((tokens) => setUser(tokens?.user ?? null)), []);
  const userKey = user ? `${user.tenantId}:${user.id}` : null;
  useEffect(() => {
    if (!userKey) {
      setMe(null);
      setLoading(false);
      return;
    }
    let live = true;
    setLoading(true);
    api
      .get<Me>('/api/auth/me')
      .then((value) => live && setMe(value))
      .catch(() => live && tokenStore.write(null))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [userKey]);

  const signIn = useCallback(async (username: string, password: string) => {
    await apiSignIn(username, password);
  }, []);
  const signOut = useCallback(async () => {
    await apiSignOut();
  }, []);
  const value = useMemo<SessionValue>(
    () => ({ user, me, loading, can: (permission) => me?.permissions.includes(permission) ?? false, signIn, signOut }),
    [user, me, loading, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}
