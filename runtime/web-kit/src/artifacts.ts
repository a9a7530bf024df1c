/**
 * The designer's artifacts as the runtime stores them (`/api/design/artifacts`): one draft that
 * autosaves, and immutable published versions. A process publishes as a workflow deployment, a form
 * as a task form (`zeebe:formDefinition formId` = the form's code), a report as a report template,
 * a page as an app-shell page, an entity as an entity model with its CRUD API.
 */

export type ArtifactKind = 'process' | 'form' | 'page' | 'report' | 'entity';
export const ARTIFACT_KINDS: ArtifactKind[] = ['process', 'form', 'page', 'report', 'entity'];

export type Bilingual = { 'zh-CN': string; en: string };

export interface ProcessContent {
  /** BPMN 2.0 XML with Zeebe extensions (zeebe:taskDefinition, zeebe:formDefinition …). */
  xml: string;
}

export interface FormContent {
  /** A form-js schema; its `id` is set to the artifact's code on publish. */
  schema: Record<string, unknown>;
}

/** Blocks a page places: `<div data-sy-block="<type>" data-sy-config='<json>'></div>` in `html`. */
export type BlockType = 'chart' | 'kpi' | 'table' | 'entity-form' | 'task-list' | 'process-start' | 'device-map' | 'report' | 'ext-table' | 'ext-form';

export interface ChartBlockConfig {
  /** Report template code whose run feeds the chart. */
  template?: string;
  /** Or an ad-hoc query over a dataset: `{dataset, dimensions, measures, filters}` as `/api/reports/run` takes. */
  query?: Record<string, unknown>;
  chart?: 'line' | 'bar' | 'stacked' | 'pie' | 'scatter' | 'heatmap' | 'gauge' | 'dual-axis';
  title?: string;
  height?: number;
  parameters?: Record<string, unknown>;
}
export interface KpiBlockConfig {
  template?: string;
  query?: Record<string, unknown>;
  measure?: string;
  title?: string;
  unit?: string;
  parameters?: Record<string, unknown>;
}
export interface TableBlockConfig {
  /** Entity model code. */
  entity: string;
  columns?: string[];
  pageSize?: number;
  /** Fields offered as filters. */
  filters?: string[];
  title?: string;
}
export interface EntityFormBlockConfig {
  entity: string;
  title?: string;
}
export interface TaskListBlockConfig {
  title?: string;
  pageSize?: number;
}
export interface ProcessStartBlockConfig {
  processId: string;
  label?: string;
  /** Variables every instance starts with. */
  variables?: Record<string, unknown>;
}
export interface DeviceMapBlockConfig {
  title?: string;
  height?: number;
  product?: string;
}
export interface ReportBlockConfig {
  template: string;
  title?: string;
}

export interface PageContent {
  /** A dashboard (大屏) has a full-screen mode in the app shell. */
  kind: 'page' | 'dashboard';
  /** Path under `/app/p/`: lower-case letters, digits and `-`. */
  route: string;
  title: Bilingual;
  menu: { show: boolean; order: number; icon?: string };
  /** GrapesJS output: HTML with block placeholders, and its CSS. */
  html: string;
  css: string;
  /** GrapesJS project data, so the designer reopens the page as it was. */
  project?: Record<string, unknown>;
}

export type EntityFieldType = 'string' | 'text' | 'integer' | 'decimal' | 'boolean' | 'date' | 'datetime' | 'enum' | 'reference';

export interface EntityField {
  /** camelCase key in the record's data. */
  name: string;
  label: Bilingual;
  type: EntityFieldType;
  required?: boolean;
  unique?: boolean;
  /** enum: the allowed values with their labels. */
  options?: { value: string; label: Bilingual }[];
  /** reference: the other entity's code. */
  reference?: string;
  min?: number;
  max?: number;
  maxLength?: number;
  pattern?: string;
  /** decimal: digits after the point (kept as a string, never a float). */
  scale?: number;
}

export interface EntityContent {
  label: Bilingual;
  fields: EntityField[];
  indexes?: { fields: string[]; unique?: boolean }[];
  /** The field shown as a record's title in lists and references. */
  titleField?: string;
}

export type ArtifactContent = ProcessContent | FormContent | PageContent | EntityContent | Record<string, unknown>;

export interface ArtifactSummary {
  id: number;
  kind: ArtifactKind;
  code: string;
  name: string;
  /** The active published version; null before the first publish. */
  publishedVersion: number | null;
  draftRevision: number;
  /** The draft differs from the active published version (or nothing is published yet). */
  draftChanged: boolean;
  updatedAt: string;
}

export interface Artifact<C = ArtifactContent> extends ArtifactSummary {
  draft: { content: C; revision: number; savedAt: string; savedBy: number | null };
}

export interface ArtifactVersion<C = ArtifactContent> {
  version: number;
  note: string | null;
  publishedAt: string;
  publishedBy: number | null;
  active: boolean;
  content?: C;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** A published page as the app shell lists it (menu) and renders it. */
export interface AppPage {
  id: number;
  code: string;
  version: number;
  kind: 'page' | 'dashboard';
  route: string;
  title: Bilingual;
  menu: { show: boolean; order: number; icon?: string };
  html?: string;
  css?: string;
}
