import { api, request } from '../../api.js';
import type { Page } from '../../artifacts.js';

/** A bilingual label as the report engine gives it. */
export type LocalizedText = { 'zh-CN': string; en: string };
export type Cell = string | null;
export type ResultRow = Record<string, Cell>;
export type ReportView = 'table' | 'grouped' | 'pivot' | 'chart';

export interface ResultColumn {
  id: string;
  role: 'dimension' | 'measure';
  label: LocalizedText;
  type: string;
  scale?: number;
  grain?: string;
}

export interface CellStyle {
  color?: string;
  backgroundColor?: string;
  fontWeight?: 'normal' | 'bold';
  icon?: 'up' | 'down' | 'warning' | 'ok';
}

export interface DrillLinkTarget {
  label: LocalizedText | null;
  on: string[] | null;
  templateId: number | null;
  report: string;
  parameters: Record<string, unknown>;
}

export interface ParameterField {
  id: string;
  label: LocalizedText;
  type: 'dateRange' | 'enum' | 'tenantSubtree' | 'dma' | 'product' | 'community' | 'number' | 'text' | string;
  required: boolean;
  multiple: boolean;
  options: { value: string; label: LocalizedText }[] | null;
  default: unknown;
  value: unknown;
}

export interface GroupedTableRow {
  kind: 'row' | 'subtotal' | 'total';
  level: number;
  values: ResultRow;
}

export interface PivotTable {
  rowDimensions: ResultColumn[];
  columnDimensions: ResultColumn[];
  measures: ResultColumn[];
  rows: Cell[][];
  columns: Cell[][];
  cells: Cell[][][];
  rowTotals: Cell[][];
  columnTotals: Cell[][];
  grandTotal: Cell[];
}

/** `POST /api/reports/run`'s answer (runtime/server/src/reports/run.ts `RunResponse`). */
export interface RunResponse {
  view: ReportView;
  dataset: { code: string; version: number; origin: 'tenant' | 'builtin'; id: number | null };
  template: { id: number; code: string; version: number; name: string } | null;
  timeZone: string;
  parameters: Record<string, unknown>;
  parameterBar: ParameterField[];
  columns: ResultColumn[];
  rows: ResultRow[];
  page: { page: number; pageSize: number; hasMore: boolean; total: number };
  styles: Record<string, CellStyle>[];
  drillDowns: DrillLinkTarget[][];
  grouped?: { columns: ResultColumn[]; groupBy: string[]; rows: GroupedTableRow[]; styles: Record<string, CellStyle>[]; drillDowns: DrillLinkTarget[][] };
  pivot?: PivotTable;
  chart?: Record<string, unknown>;
  cached: boolean;
}

/** A template version as `GET /api/reports/templates` lists it. */
export interface TemplateSummary {
  id: number;
  code: string;
  name: string;
  version: number;
  datasetCode?: string;
  tenantId: number;
  createdAt?: string;
}

/** The document a template version keeps (`GET /api/reports/templates/:id` → `template`). */
export interface TemplateDocument {
  code: string;
  name: string;
  description?: string;
  view?: ReportView;
  grouped?: unknown;
  pivot?: unknown;
  chart?: Record<string, unknown> & { type: string };
  drillDowns?: unknown[];
}

export interface TemplateRow extends TemplateSummary {
  template: TemplateDocument;
}

/** The newest visible version of a template, by its code; null when there is none. */
export async function findTemplate(code: string, signal?: AbortSignal): Promise<TemplateSummary | null> {
  const page = await api.get<Page<TemplateSummary>>('/api/reports/templates', { code, pageSize: 200 }, signal);
  if (page.items.length === 0) return null;
  return page.items.reduce((best, item) => (item.version > best.version ? item : best), page.items[0]!);
}

export function loadTemplate(id: number, signal?: AbortSignal): Promise<TemplateRow> {
  return api.get<TemplateRow>(`/api/reports/templates/${id}`, undefined, signal);
}

export interface RunRequest {
  template?: number | string;
  dataset?: number | string;
  query?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  view?: ReportView;
  chart?: Record<string, unknown>;
  page?: number;
  pageSize?: number;
}

export function runReport(body: RunRequest, signal?: AbortSignal): Promise<RunResponse> {
  return request<RunResponse>('POST', '/api/reports/run', { body, signal });
}

export type ExportFormat = 'csv' | 'xlsx' | 'pdf';

/** Streams the export from the runtime into a file download. */
export async function downloadExport(body: RunRequest, format: ExportFormat): Promise<void> {
  const { page: _page, pageSize: _pageSize, ...whole } = body;
  const response = await request<Response>('POST', '/api/reports/export', { body: whole, query: { format }, raw: true });
  const blob = await response.blob();
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `report.${format}`;
  saveBlob(blob, name);
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Runs what a chart or KPI block names: a template (by code: found first, so a missing one says so) or
 * an ad-hoc query over a dataset (`{dataset, dimensions, measures, filters, …}`).
 */
export async function runBlockSource(
  source: { template?: string; query?: Record<string, unknown>; parameters?: Record<string, unknown> },
  extra: Omit<RunRequest, 'template' | 'dataset' | 'query' | 'parameters'>,
  signal: AbortSignal,
): Promise<RunResponse> {
  if (source.template) {
    const template = await findTemplate(source.template, signal);
    if (!template) throw new TemplateMissing(source.template);
    return runReport({ template: template.id, parameters: source.parameters, ...extra }, signal);
  }
  const { dataset, ...query } = source.query ?? {};
  return runReport({ dataset: dataset as string | number, query, parameters: source.parameters, ...extra }, signal);
}

export class TemplateMissing extends Error {
  override readonly name = 'TemplateMissing';
  constructor(readonly code: string) {
    super(`no report template ${code}`);
  }
}
