/**
 * The page blocks: what a published page's placeholders become, in the app shell and in the designer's
 * live preview. Heavy parts (ECharts, Formily, form-js) load when a block first needs them.
 */
import { lazy } from 'react';

export { mountBlocks, mountPage, BlockView } from './mount.js';
export type { BlockContext } from './context.js';
export { BlockFrame } from './context.js';
export { BLOCK_CATALOGUE, BLOCK_TYPES, blockPlaceholder, describeBlock } from './catalogue.js';
export type { BlockDescription, BlockSetting } from './catalogue.js';
export { sanitizePageHtml, scopeCss } from './page/page-html.js';
export { registerBlockWords, registerWords, useBlockText, localized } from './words.js';
export { BlockEmpty, BlockError, BlockLoading } from './status.js';
export type { ReportViewerProps } from './reports/ReportViewer.js';
export type { TaskListProps } from './tasks/TaskList.js';
export type { EntityRecord } from './entities/entity-api.js';

/** Full-page views the app shell routes to (loaded on first use). */
export const ReportViewer = lazy(() => import('./reports/ReportViewer.js').then((m) => ({ default: m.ReportViewer })));
export const TaskList = lazy(() => import('./tasks/TaskList.js').then((m) => ({ default: m.TaskList })));
export const EntityWorkspace = lazy(() => import('./entities/EntityWorkspace.js').then((m) => ({ default: m.EntityWorkspace })));
