import { api, useSession, type AppPage } from '@shuiyun/web-kit';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

/** A published entity model (`GET /api/entities`): its records have a page at `/app/entities/<code>`. */
export interface PublishedEntity {
  code: string;
  name: string;
  label?: { 'zh-CN': string; en: string };
}

interface AppPagesValue {
  /** Published pages in menu order (those shown in the menu first, by their order). */
  pages: AppPage[];
  /** Published entity models the user may read (empty without `entity:read`). */
  entities: PublishedEntity[];
  loading: boolean;
  error: unknown;
  reload: () => void;
}

const Context = createContext<AppPagesValue>({ pages: [], entities: [], loading: true, error: null, reload: () => {} });

/** `GET /api/app/pages`: a list, or a page of a list. */
function itemsOf(answer: unknown): AppPage[] {
  if (Array.isArray(answer)) return answer as AppPage[];
  if (answer && typeof answer === 'object' && Array.isArray((answer as { items?: unknown }).items)) return (answer as { items: AppPage[] }).items;
  return [];
}

export const menuOrder = (a: AppPage, b: AppPage) => (a.menu?.order ?? 0) - (b.menu?.order ?? 0) || a.route.localeCompare(b.route);

/** The tenant's published pages for the menu, read once per sign-in. */
export function AppPagesProvider({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const [state, setState] = useState<Omit<AppPagesValue, 'reload' | 'entities'>>({ pages: [], loading: true, error: null });
  const [entities, setEntities] = useState<PublishedEntity[]>([]);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (!user) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api
      .get<unknown>('/api/app/pages', undefined, controller.signal)
      .then((answer) => setState({ pages: itemsOf(answer).sort(menuOrder), loading: false, error: null }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setState({ pages: [], loading: false, error });
      });
    api
      .get<unknown>('/api/entities', undefined, controller.signal)
      .then((answer) => setEntities(itemsOf(answer) as unknown as PublishedEntity[]))
      .catch(() => setEntities([]));
    return () => controller.abort();
  }, [user, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const value = useMemo(() => ({ ...state, entities, reload }), [state, entities, reload]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useAppPages(): AppPagesValue {
  return useContext(Context);
}
