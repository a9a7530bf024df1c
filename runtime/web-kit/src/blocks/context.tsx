import { App, ConfigProvider, theme } from 'antd';
import enUS from 'antd/es/locale/en_US';
import zhCN from 'antd/es/locale/zh_CN';
import { createContext, useContext, type ReactNode } from 'react';
import { useBlockText } from './words.js';

/** What the page around the blocks offers them. */
export interface BlockContext {
  /** Dark, large-screen styling (dashboards). */
  dark?: boolean;
  /** In-app navigation (the app shell's router) for the links blocks show; plain links without it. */
  navigate?: (path: string) => void;
  /** Where the app shell lives (`/app`): links to tasks and reports start there. */
  appBase?: string;
  /** The designer's live preview: blocks run against the API like in the app. */
  preview?: boolean;
}

const Context = createContext<BlockContext>({});

export function useBlockContext(): BlockContext {
  return useContext(Context);
}

/** Follows a link inside the app shell when it can, else as a page load. */
export function useFollow() {
  const ctx = useBlockContext();
  const base = ctx.appBase ?? '/app';
  return (path: string) => {
    if (ctx.navigate) ctx.navigate(path);
    else window.location.assign(`${base}${path}`);
  };
}

/**
 * Each mounted block is its own React root: it gets the antd locale and theme (dark on dashboards) and
 * antd's App (message, modal) here.
 */
export function BlockFrame({ ctx, children }: { ctx: BlockContext; children: ReactNode }) {
  const { locale } = useBlockText();
  return (
    <Context.Provider value={ctx}>
      <ConfigProvider locale={locale === 'en' ? enUS : zhCN} theme={ctx.dark ? { algorithm: theme.darkAlgorithm } : undefined}>
        <App component={false}>{children}</App>
      </ConfigProvider>
    </Context.Provider>
  );
}
