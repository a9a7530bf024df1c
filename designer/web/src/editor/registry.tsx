import type { ArtifactKind } from '@shuiyun/web-kit';
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { KindEditorProps } from './types.js';

// Each kind's editor is its own chunk: bpmn-js, form-js, ECharts and GrapesJS load only when used.
type Editor = LazyExoticComponent<ComponentType<KindEditorProps<never>>>;

export const EDITORS: Record<ArtifactKind, Editor> = {
  process: lazy(() => import('../process/ProcessEditor.js')) as Editor,
  form: lazy(() => import('../form/FormEditorView.js')) as Editor,
  page: lazy(() => import('../page/PageEditor.js')) as Editor,
  report: lazy(() => import('../report/ReportEditor.js')) as Editor,
  entity: lazy(() => import('../entity/EntityEditor.js')) as Editor,
};
