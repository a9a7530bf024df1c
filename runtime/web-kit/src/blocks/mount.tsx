import { Component, lazy, Suspense, type ComponentType, type ErrorInfo, type LazyExoticComponent, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { PageBlockType } from './catalogue.js';
import { BlockFrame, type BlockContext } from './context.js';
import { parseConfig } from './format.js';
import { sanitizePageHtml, scopeCss } from './page/page-html.js';
import { BlockError, BlockLoading } from './status.js';
import { registerBlockWords, useBlockText } from './words.js';

type BlockRenderer = LazyExoticComponent<ComponentType<{ config: Record<string, unknown> }>>;
type BlockModule = { default: ComponentType<{ config: Record<string, unknown> }> };
const renderer = (load: () => Promise<unknown>): BlockRenderer => lazy(load as () => Promise<BlockModule>);

/** Each block's code loads when a page first shows one (ECharts, Formily and form-js stay out of the first load). */
const renderers: Record<PageBlockType, BlockRenderer> = {
  chart: renderer(() => import('./charts/ChartBlock.js')),
  kpi: renderer(() => import('./charts/KpiBlock.js')),
  table: renderer(() => import('./entities/EntityTable.js')),
  'entity-form': renderer(() => import('./entities/EntityForm.js')),
  'task-list': renderer(() => import('./tasks/TaskList.js')),
  'process-start': renderer(() => import('./workflow/ProcessStartBlock.js')),
  'device-map': renderer(() => import('./devices/DeviceMapBlock.js')),
  report: renderer(() => import('./reports/ReportBlock.js')),
  'ext-table': renderer(() => import('./ext/ExtTable.js')),
  'ext-form': renderer(() => import('./ext/ExtForm.js')),
};

/** A block that throws shows its error instead of taking the page down. */
class BlockBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error('block failed', error, info.componentStack);
  }
  override render() {
    return this.state.error ? <BlockError error={this.state.error} onRetry={() => this.setState({ error: null })} /> : this.props.children;
  }
}

function Problem({ type, text }: { type: string; text: 'unknownBlock' | 'badConfig' }) {
  const { t } = useBlockText();
  return <BlockError error={new Error(t(text, { type }))} />;
}

/** One block as React, outside any placeholder (the designer's preview of a single block, tests). */
export function BlockView({ type, config }: { type: string; config: Record<string, unknown> | null }) {
  const Renderer = renderers[type as PageBlockType];
  if (!Renderer) return <Problem type={type} text="unknownBlock" />;
  if (!config) return <Problem type={type} text="badConfig" />;
  return (
    <BlockBoundary>
      <Suspense fallback={<BlockLoading />}>
        <Renderer config={config} />
      </Suspense>
    </BlockBoundary>
  );
}

/**
 * Mounts a React block in every `<div data-sy-block="<type>" data-sy-config='<json>'>` under `root`, each
 * its own React root. Answers the function that unmounts them all again.
 */
export function mountBlocks(root: HTMLElement, ctx: BlockContext = {}): () => void {
  registerBlockWords();
  const roots: Root[] = [];
  for (const element of root.querySelectorAll<HTMLElement>('[data-sy-block]')) {
    // A placeholder inside another (a designer's mistake) belongs to the outer block.
    if (element.parentElement?.closest('[data-sy-block]')) continue;
    const type = element.getAttribute('data-sy-block') ?? '';
    const config = parseConfig(element.getAttribute('data-sy-config'));
    element.replaceChildren();
    element.classList.add('sy-block-host');
    const reactRoot = createRoot(element);
    reactRoot.render(
      <BlockFrame ctx={ctx}>
        <BlockView type={type} config={config} />
      </BlockFrame>,
    );
    roots.push(reactRoot);
  }
  return () => {
    // Unmounting while the app around is rendering warns: let the current render finish first.
    setTimeout(() => {
      for (const reactRoot of roots) reactRoot.unmount();
    }, 0);
  };
}

let pageCount = 0;

/**
 * Shows a page's HTML and CSS in `container` (cleaned, CSS scoped to it) and mounts its blocks. Answers
 * the function that takes it all down again.
 */
export function mountPage(container: HTMLElement, page: { html: string; css: string }, ctx: BlockContext = {}): () => void {
  const scope = `sy-page-${++pageCount}`;
  container.classList.add('sy-page', scope);
  const style = document.createElement('style');
  style.textContent = scopeCss(page.css ?? '', `.${scope}`);
  const content = document.createElement('div');
  content.className = 'sy-page__content';
  content.innerHTML = sanitizePageHtml(page.html ?? '');
  container.replaceChildren(style, content);
  const unmount = mountBlocks(content, ctx);
  return () => {
    unmount();
    setTimeout(() => {
      if (style.parentNode === container) container.replaceChildren();
      container.classList.remove(scope);
    }, 0);
  };
}
