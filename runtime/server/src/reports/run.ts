import { reportDatasets, reportTemplates, type Tx } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import {
  type CellStyle,
  type Dataset,
  type DrillTarget,
  type GroupedTable,
  type LevelResults,
  type LocalizedText,
  type PivotTable,
  type ReportContext,
  type ReportResult,
  type ResultColumn,
  type ResultRow,
  ReportError,
  cellStyles,
  chartOption,
  chartSpecSchema,
  drillDown,
  formatRulesSchema,
  groupedTable,
  groupedTableLevels,
  groupedTableSpecSchema,
  pivotLevels,
  pivotSpecSchema,
  pivotTable,
} from '@shuiyun/reports';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { callerScope, tenantTimeZone } from './caller.js';
import { type Locate, answering } from './errors.js';
import { reportMessage } from './messages.js';
import type { ReportService } from './service.js';
import { type ResolvedDataset, newestTemplate, resolveDataset, templateIdsByCode, templateOf } from './store.js';
import { type DrillLink, type ReportTemplate, type ReportView, artifactCode, drillLinkSchema, reportViews } from './template.js';

/** Rows per page of the table view when neither the request nor the template says. */
export const DEFAULT_PAGE_SIZE = 50;

const idOrCode = z.union([z.number().int().positive(), artifactCode]);

/**
 * `POST /api/reports/run`: a dataset (by code: the caller's tenant's own, else built in; or a stored
 * version by id) with a whole query, or a template (by id, or by code in the caller's tenant) whose
 * saved query, specs, formats and drill-downs are the defaults the request overrides. Parameters are
 * merged over the template's; `page`/`pageSize` page the table view.
 */
export const runRequestSchema = z
  .strictObject({
    dataset: idOrCode.optional(),
    template: idOrCode.optional(),
    query: z.record(z.string(), z.unknown()).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    view: z.enum(reportViews).optional(),
    grouped: groupedTableSpecSchema.optional(),
    pivot: pivotSpecSchema.optional(),
    chart: chartSpecSchema.optional(),
    formats: formatRulesSchema.optional(),
    drillDowns: z.array(drillLinkSchema).max(20).optional(),
    page: z.number().int().min(1).max(1_000_000).default(1),
    pageSize: z.number().int().min(1).max(10_000).optional(),
  })
  .refine((r) => (r.dataset === undefined) !== (r.template === undefined), { message: 'name either a dataset or a template', path: ['dataset'] });
export type RunRequest = z.output<typeof runRequestSchema>;

/** Where a click leads: the child template (its newest version's id when it exists) and its parameters. */
export interface DrillLinkTarget extends DrillTarget {
  label: LocalizedText | null;
  /** The columns whose cells lead there; null: the whole row. */
  on: string[] | null;
  templateId: number | null;
}

export interface ParameterField {
  id: string;
  label: LocalizedText;
  type: string;
  required: boolean;
  multiple: boolean;
  options: { value: string; label: LocalizedText }[] | null;
  default: unknown;
  /** The value this run used: the request's, else the template's, else the default. */
  value: unknown;
}

export interface RunResponse {
  view: ReportView;
  dataset: { code: string; version: number; origin: 'tenant' | 'builtin'; id: number | null };
  template: { id: number; code: string; version: number; name: string } | null;
  timeZone: string;
  parameters: Record<string, unknown>;
  parameterBar: ParameterField[];
  columns: ResultColumn[];
  /** The query's rows: this page for the table view, all of them for the other views. */
  rows: ResultRow[];
  page: { page: number; pageSize: number; hasMore: boolean; total: number };
  /** Conditional formats per row of `rows` (only the styled columns). */
  styles: Record<string, CellStyle>[];
  /** Drill-downs per row of `rows`. */
  drillDowns: DrillLinkTarget[][];
  grouped?: GroupedTable & { styles: Record<string, CellStyle>[]; drillDowns: DrillLinkTarget[][] };
  pivot?: PivotTable;
  chart?: unknown;
  /** True when every statement was answered from the result cache. */
  cached: boolean;
}

interface Prepared {
  dataset: ResolvedDataset;
  template: { id: number; code: string; version: number; name: string; tenantId: number; document: ReportTemplate } | undefined;
  timeZone: string;
  drillTargets: Map<string, number>;
}

const notVisible = (path: string, code: 'template_not_visible' | 'dataset_not_visible' | 'template_unknown' | 'dataset_unknown', message: string) =>
  new AppError('not_found', { details: [{ path, code, message }] });

/**
 * Everything a run needs from the system of record, in one transaction under the caller's row-level
 * security (so another tenant's template or dataset is simply not there: 404): the template, its dataset
 * (in the template's tenant, else built in), the caller's time zone and the drill-down targets' ids.
 */
async function prepare(tx: Tx, ctx: RequestContext, service: ReportService, request: Pick<RunRequest, 'dataset' | 'template' | 'drillDowns'>, where: string): Promise<Prepared> {
  const locale = ctx.locale;
  const callerTenant = ctx.principal().tenantId;
  let template: Prepared['template'];
  let dataset: ResolvedDataset;
  if (request.template !== undefined) {
    const ref = request.template;
    const [row] = typeof ref === 'number' ? await tx.select().from(reportTemplates).where(eq(reportTemplates.id, ref)) : [await newestTemplate(tx, callerTenant, ref)];
    if (!row) {
      const at = where === 'query' ? 'params.id' : 'body.template';
      throw typeof ref === 'number'
        ? notVisible(at, 'template_not_visible', reportMessage('template_not_visible', locale, { id: ref }))
        : notVisible(at, 'template_unknown', reportMessage('template_unknown', locale, { code: ref }));
    }
    const document = templateOf(row);
    template = { id: row.id, code: row.code, version: row.version, name: row.name, tenantId: row.tenantId, document };
    const resolution = await answering(locale, () => 'template.dataset', () => resolveDataset(tx, service.parsed, service.builtin, row.tenantId, document.dataset));
    if (resolution === 'unknown' || resolution === 'unknown_version') {
      const { code, version } = document.dataset;
      throw new AppError('invalid_reference', {
        details: [
          resolution === 'unknown'
            ? { path: 'template.dataset.code', code: 'dataset_unknown', message: reportMessage('dataset_unknown', locale, { code }) }
            : { path: 'template.dataset.version', code: 'dataset_version_unknown', message: reportMessage('dataset_version_unknown', locale, { code, version: version ?? '' }) },
        ],
      });
    }
    dataset = resolution;
  } else if (typeof request.dataset === 'number') {
    const id = request.dataset;
    const [row] = await tx.select().from(reportDatasets).where(eq(reportDatasets.id, id));
    if (!row) throw notVisible(`${where}.dataset`, 'dataset_not_visible', reportMessage('dataset_not_visible', locale, { id }));
    dataset = { dataset: await answering(locale, () => 'dataset', () => service.parsed.of(row)), origin: 'tenant', id: row.id };
  } else {
    const code = request.dataset!;
    const resolution = await answering(locale, () => 'dataset', () => resolveDataset(tx, service.parsed, service.builtin, callerTenant, { code }));
    if (typeof resolution === 'string') throw notVisible(`${where}.dataset`, 'dataset_unknown', reportMessage('dataset_unknown', locale, { code }));
    dataset = resolution;
  }
  const links = request.drillDowns ?? template?.document.drillDowns ?? [];
  return {
    dataset,
    template,
    timeZone: await tenantTimeZone(tx, callerTenant),
    // Drill-down targets are named by code in the tenant the template belongs to (ad-hoc runs: the caller's).
    drillTargets: await templateIdsByCode(
      tx,
      template?.tenantId ?? callerTenant,
      links.map((l) => l.target.report),
    ),
  };
}

const localized = (text: string | { 'zh-CN': string; en?: string | undefined }): LocalizedText =>
  typeof text === 'string' ? { 'zh-CN': text, en: text } : { 'zh-CN': text['zh-CN'], en: text.en ?? text['zh-CN'] };

/** The viewer's parameter bar: the template's choice (all the dataset's parameters without one), with this run's values. */
function parameterBar(dataset: Dataset, template: ReportTemplate | undefined, values: Record<string, unknown>): ParameterField[] {
  const entries = template?.parameterBar ?? dataset.parameters.map((p) => ({ parameter: p.id, label: undefined, hidden: false }));
  return entries.flatMap((entry) => {
    const parameter = dataset.parameters.find((p) => p.id === entry.parameter);
    if (!parameter || entry.hidden) return [];
    return [
      {
        id: parameter.id,
        label: entry.label ? localized(entry.label) : parameter.label,
        type: parameter.type,
        required: parameter.required,
        multiple: parameter.multiple,
        options: parameter.options ?? null,
        default: parameter.default ?? null,
        value: values[parameter.id] ?? parameter.default ?? null,
      },
    ];
  });
}

/** Drill-down targets of each row; a row without a value a link needs still links (the child checks its parameters). */
function drillLinksOf(links: readonly DrillLink[], ids: Map<string, number>, columns: ResultColumn[], rows: readonly ResultRow[], current: Record<string, unknown>): DrillLinkTarget[][] {
  return rows.map((row) =>
    links.map((link) => ({
      label: link.label ? localized(link.label) : null,
      on: link.on ?? null,
      templateId: ids.get(link.target.report) ?? null,
      ...drillDown(link.target, columns, row, current),
    })),
  );
}

const allCached = (result: ReportResult, levels: LevelResults) => result.cached && [...levels.values()].every((level) => level.cached);

/** How a run request names things, so the engine's paths point into what the caller sent. */
export interface RunInput {
  request: RunRequest;
  /** `body` for POST /api/reports/run, `query` for GET …/templates/:id/run (parameters in the query string). */
  where: 'body' | 'query';
  /** GET: the query string's parameters, read once the dataset (and so each parameter's type) is known. */
  queryString?: Readonly<Record<string, string | string[]>> | undefined;
}

/**
 * The engine's paths located in the request: a parameter where the caller gave it (else the template),
 * a spec in the request when it overrode the template's, a query field likewise; dataset faults in the
 * dataset. The engine calls a grouped table's spec `table` and the format rules `formatting`.
 */
function locator({ request, where }: RunInput, template: ReportTemplate | undefined): Locate {
  const specField: Record<string, keyof RunRequest> = { table: 'grouped', formatting: 'formats', drillDown: 'drillDowns', pivot: 'pivot', chart: 'chart' };
  const datasetFields = new Set(['source', 'lookups', 'columns', 'dataset']);
  return (path) => {
    const [head, ...rest] = path.map(String);
    if (head === undefined) return where;
    if (head === 'parameters') {
      const name = rest[0] ?? '';
      const inQuery = (request.query?.parameters as Record<string, unknown> | undefined)?.[name] !== undefined;
      let at: string;
      if (request.parameters?.[name] !== undefined) at = where === 'query' ? 'query' : 'body.parameters';
      else if (inQuery) at = 'body.query.parameters';
      else if (template?.query.parameters?.[name] !== undefined) at = 'template.query.parameters';
      // Missing: where the caller would give it.
      else at = where === 'query' ? 'query' : template ? 'body.parameters' : 'body.query.parameters';
      return [at, ...rest].join('.');
    }
    if (head in specField) {
      const field = specField[head]!;
      return [request[field] !== undefined || !template ? `${where}.${field}` : `template.${field}`, ...rest].join('.');
    }
    if (head === 'limit') return `${where}.pageSize`;
    if (head === 'timeZone') return 'tenant.settings.timeZone';
    if (datasetFields.has(head)) return ['dataset', head, ...rest].join('.');
    const given = where === 'body' && request.query?.[head] !== undefined;
    return [given || !template ? `${where}.query` : 'template.query', head, ...rest].join('.');
  };
}

/**
 * Runs a report for the caller: resolves template and dataset under row-level security, merges the
 * request over the template, runs the engine outside that transaction (its PostgreSQL statements open
 * their own read-only tenant transactions; PGlite has one connection), then shapes the view and adds
 * conditional formats and drill-down targets.
 */
export async function runReport(service: ReportService, ctx: RequestContext, input: RunInput): Promise<RunResponse> {
  const { where } = input;
  const prepared = await ctx.tx((tx) => prepare(tx, ctx, service, input.request, where));
  const template = prepared.template?.document;
  const { dataset } = prepared.dataset;
  const request: RunRequest = input.queryString ? { ...input.request, parameters: parametersFromQueryString(input.queryString, dataset) } : input.request;
  const locate = locator({ request, where }, template);
  const { engine } = service;

  const base: Record<string, unknown> = { ...(template?.query ?? {}) };
  const given = request.query ?? {};
  const parameters = {
    ...((base.parameters as Record<string, unknown> | undefined) ?? {}),
    ...((given.parameters as Record<string, unknown> | undefined) ?? {}),
    ...(request.parameters ?? {}),
  };
  const query = { ...base, ...given, parameters };
  const view = request.view ?? template?.view ?? 'table';
  const spec = {
    grouped: request.grouped ?? template?.grouped,
    pivot: request.pivot ?? template?.pivot,
    chart: request.chart ?? template?.chart,
    formats: request.formats ?? template?.formats ?? [],
    drillDowns: request.drillDowns ?? template?.drillDowns ?? [],
  };
  const context: ReportContext = { tenant: callerScope(ctx), timeZone: prepared.timeZone, freshness: service.freshness.token(dataset) };
  const whole = { ...query, limit: undefined, offset: 0, countTotal: false };

  return answering(ctx.locale, locate, async () => {
    let result: ReportResult;
    let page: RunResponse['page'] | undefined;
    let cached: boolean;
    const extra: Pick<RunResponse, 'grouped' | 'pivot' | 'chart'> = {};
    switch (view) {
      case 'table': {
        const pageSize = request.pageSize ?? template?.table?.pageSize ?? DEFAULT_PAGE_SIZE;
        result = await engine.run(dataset, { ...query, limit: pageSize, offset: (request.page - 1) * pageSize, countTotal: true }, context);
        page = { page: request.page, pageSize, hasMore: result.page.hasMore, total: result.page.total ?? result.rows.length };
        cached = result.cached;
        break;
      }
      case 'grouped': {
        if (!spec.grouped) throw new ReportError('invalid_query', 'the grouped view needs a grouped spec (groupBy)', ['table']);
        result = await engine.run(dataset, whole, context);
        const levels = await engine.levels(dataset, whole, groupedTableLevels(spec.grouped), context);
        const table = groupedTable(result, spec.grouped, levels);
        const values = table.rows.map((r) => r.values);
        const links = drillLinksOf(spec.drillDowns, prepared.drillTargets, table.columns, values, parameters);
        extra.grouped = {
          ...table,
          styles: cellStyles(spec.formats, table.columns, values),
          // Subtotals and totals have no single row to drill into.
          drillDowns: table.rows.map((r, i) => (r.kind === 'row' ? links[i]! : [])),
        };
        cached = allCached(result, levels);
        break;
      }
      case 'pivot': {
        if (!spec.pivot) throw new ReportError('invalid_query', 'the pivot view needs a pivot spec (rows, columns)', ['pivot']);
        const pivotQuery = { ...whole, dimensions: [...spec.pivot.rows, ...spec.pivot.columns] };
        result = await engine.run(dataset, pivotQuery, context);
        const levels = await engine.levels(dataset, pivotQuery, pivotLevels(spec.pivot), context);
        extra.pivot = pivotTable(result, spec.pivot, levels);
        cached = allCached(result, levels);
        break;
      }
      case 'chart': {
        if (!spec.chart) throw new ReportError('invalid_query', 'the chart view needs a chart spec', ['chart']);
        result = await engine.run(dataset, { ...query, offset: 0, countTotal: false }, context);
        extra.chart = chartOption(spec.chart, result, { locale: ctx.locale });
        cached = result.cached;
        break;
      }
    }
    page ??= { page: 1, pageSize: result.rows.length, hasMore: result.page.hasMore, total: result.rows.length };
    const t = prepared.template;
    return {
      view,
      dataset: { code: dataset.id, version: dataset.version, origin: prepared.dataset.origin, id: prepared.dataset.id },
      template: t ? { id: t.id, code: t.code, version: t.version, name: t.name } : null,
      timeZone: prepared.timeZone,
      parameters,
      parameterBar: parameterBar(dataset, template, parameters),
      columns: result.columns,
      rows: result.rows,
      page,
      styles: cellStyles(spec.formats, result.columns, result.rows),
      drillDowns: drillLinksOf(spec.drillDowns, prepared.drillTargets, result.columns, result.rows, parameters),
      ...extra,
      cached,
    };
  });
}

/**
 * Parameters from a query string (`GET …/templates/:id/run?period=last7Days&community=12&community=13`):
 * repeated keys are lists, `name.from` / `name.to` or `from..to` make a date range; everything else goes
 * to the engine as text, which checks it against the parameter's type like any other input.
 */
export function parametersFromQueryString(raw: Readonly<Record<string, string | string[]>>, dataset: Dataset): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const dot = key.indexOf('.');
    if (dot > 0 && (key.endsWith('.from') || key.endsWith('.to'))) {
      const name = key.slice(0, dot);
      const range = (parameters[name] && typeof parameters[name] === 'object' && !Array.isArray(parameters[name]) ? parameters[name] : {}) as Record<string, unknown>;
      parameters[name] = { ...range, [key.slice(dot + 1)]: value };
      continue;
    }
    const type = dataset.parameters.find((p) => p.id === key)?.type;
    if (type === 'dateRange' && typeof value === 'string' && value.includes('..')) {
      const [from, to] = value.split('..');
      parameters[key] = { from, to };
    } else parameters[key] = value;
  }
  return parameters;
}
