import { api } from '@shuiyun/web-kit';

export type Localized = string | { 'zh-CN': string; en?: string };

export interface DatasetParameter {
  id: string;
  label: Localized;
  type: 'dateRange' | 'enum' | 'tenantSubtree' | 'dma' | 'product' | 'community' | 'number' | 'text';
  required?: boolean;
  multiple?: boolean;
  default?: unknown;
  options?: { value: string; label: Localized }[];
}

/** The parts of a dataset definition the template designer offers. */
export interface DatasetDef {
  id: string;
  label: Localized;
  description?: Localized;
  dimensions: { id: string; label: Localized; grain?: string }[];
  measures: { id: string; label: Localized; aggregate?: string }[];
  parameters: DatasetParameter[];
}

export interface DatasetChoice {
  code: string;
  label: Localized;
  origin: 'builtin' | 'tenant';
  /** Tenant datasets: the newest version's id, to read its definition. */
  id?: number;
  definition?: DatasetDef;
}

export const CHART_TYPES = ['line', 'bar', 'stackedBar', 'pie', 'scatter', 'heatmap', 'gauge', 'dualAxis'] as const;
export type ChartType = (typeof CHART_TYPES)[number];
export const VIEWS = ['table', 'grouped', 'pivot', 'chart'] as const;
export type View = (typeof VIEWS)[number];
export const DATE_PRESETS = ['today', 'yesterday', 'last7Days', 'last30Days', 'thisWeek', 'thisMonth', 'lastMonth', 'thisYear'] as const;

export interface ChartSpec {
  type: ChartType;
  title?: string;
  category?: string;
  series?: string;
  measures: string[];
  secondary?: string[];
  yCategory?: string;
  max?: string;
  horizontal?: boolean;
  smooth?: boolean;
}

export interface ReportQuery {
  kind?: 'aggregate' | 'detail';
  dimensions?: string[];
  measures?: string[];
  parameters?: Record<string, unknown>;
  filters?: { field: string; op: string; value?: unknown; values?: unknown[] }[];
  sort?: { field: string; direction?: 'asc' | 'desc' }[];
  limit?: number;
  [key: string]: unknown;
}

/** 报表模板 as the runtime stores it (runtime/server/src/reports/template.ts), fields kept as they come. */
export interface ReportContent {
  code?: string;
  name?: string;
  description?: string;
  dataset?: { code: string; version?: number };
  query?: ReportQuery;
  parameterBar?: { parameter: string; label?: Localized; hidden?: boolean }[];
  view?: View;
  table?: { pageSize?: number; columns?: string[] };
  grouped?: { groupBy: string[]; grandTotal?: boolean };
  pivot?: { rows: string[]; columns: string[]; measures?: string[] };
  chart?: ChartSpec;
  formats?: unknown[];
  drillDowns?: unknown[];
  [key: string]: unknown;
}

export interface ResultColumn {
  id: string;
  role: 'dimension' | 'measure';
  label: { 'zh-CN': string; en: string };
  type: string;
}

export interface RunResponse {
  view: View;
  columns: ResultColumn[];
  rows: Record<string, unknown>[];
  page: { page: number; pageSize: number; hasMore: boolean; total: number };
  parameters: Record<string, unknown>;
  grouped?: { columns: ResultColumn[]; groupBy: string[]; rows: { kind: 'row' | 'subtotal' | 'total'; level: number; values: Record<string, unknown> }[] };
  pivot?: {
    rowDimensions: ResultColumn[];
    columnDimensions: ResultColumn[];
    measures: ResultColumn[];
    rows: unknown[][];
    columns: unknown[][];
    cells: unknown[][][];
  };
  chart?: Record<string, unknown>;
  cached: boolean;
}

export const reportsApi = {
  builtinDatasets: () => api.get<{ items: DatasetDef[] }>('/api/reports/builtin-datasets'),
  datasets: () => api.get<{ items: { id: number; code: string; version: number; label: Localized }[] }>('/api/reports/datasets', { pageSize: 200 }),
  dataset: (id: number) => api.get<{ definition: DatasetDef }>(`/api/reports/datasets/${id}`),
  run: (body: Record<string, unknown>) => api.post<RunResponse>('/api/reports/run', body),
};
