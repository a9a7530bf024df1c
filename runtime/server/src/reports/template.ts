import {
  type Dataset,
  type QueryPlan,
  type ReportResult,
  type ResultColumn,
  ReportError,
  cellStyles,
  chartOption,
  chartSpecSchema,
  drillDown,
  drillDownSchema,
  formatRulesSchema,
  groupedTable,
  groupedTableSpecSchema,
  pivotSpecSchema,
  pivotTable,
  planQuery,
  reportQuerySchema,
} from '@shuiyun/reports';
import { z } from 'zod';

/** Codes of datasets and templates: what other templates and drill-downs name them by. */
export const ARTIFACT_CODE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const artifactCode = z.string().regex(ARTIFACT_CODE, 'lower-case letters, digits, -, _ and ., at most 63');
const fieldId = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'a dimension, measure or parameter id');
const label = z.union([z.string().trim().min(1).max(200), z.strictObject({ 'zh-CN': z.string().trim().min(1).max(200), en: z.string().trim().min(1).max(200).optional() })]);

export const reportViews = ['table', 'grouped', 'pivot', 'chart'] as const;
export type ReportView = (typeof reportViews)[number];

/** A drill-down of a template: where a click on a row (or on one of the `on` columns) leads. */
export const drillLinkSchema = z.strictObject({
  label: label.optional(),
  /** The columns whose cells lead there; every cell of the row when absent. */
  on: z.array(fieldId).max(70).optional(),
  /** The child template (by code, in the same tenant) and its parameters from the clicked row. */
  target: drillDownSchema,
});
export type DrillLink = z.output<typeof drillLinkSchema>;

/**
 * 报表模板 as the designer saves it: the dataset it reads (a version pin, or the newest), the default
 * query, which parameters the viewer's parameter bar shows, the view it opens with and the specs of each
 * view, conditional formats and drill-downs. The engine's own schemas check each spec's shape here; which
 * fields they name is checked against the dataset by `checkTemplate`.
 */
export const reportTemplateSchema = z.strictObject({
  code: artifactCode,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2_000).optional(),
  dataset: z.strictObject({ code: artifactCode, version: z.number().int().positive().optional() }),
  query: reportQuerySchema.default({ kind: 'aggregate', dimensions: [], measures: [], filters: [], sort: [], offset: 0, countTotal: false }),
  /** The dataset parameters the viewer asks for, in order; all of them when absent. */
  parameterBar: z.array(z.strictObject({ parameter: fieldId, label: label.optional(), hidden: z.boolean().default(false) })).max(30).optional(),
  view: z.enum(reportViews).default('table'),
  table: z.strictObject({ pageSize: z.number().int().min(1).max(10_000).optional(), columns: z.array(fieldId).max(70).optional() }).optional(),
  grouped: groupedTableSpecSchema.optional(),
  pivot: pivotSpecSchema.optional(),
  chart: chartSpecSchema.optional(),
  formats: formatRulesSchema.optional(),
  drillDowns: z.array(drillLinkSchema).max(20).optional(),
});
export type ReportTemplate = z.output<typeof reportTemplateSchema>;

/** The columns a query's result has, as the engine will produce them (engine.ts `execute`). */
export function resultColumns(plan: QueryPlan): ResultColumn[] {
  return [
    ...plan.dimensions.map((d) => ({
      id: d.id,
      role: 'dimension' as const,
      label: d.label,
      type: d.valueType,
      ...(d.valueType === 'decimal' ? { scale: d.scale } : {}),
      ...(d.grain ? { grain: d.grain } : {}),
    })),
    ...plan.measures.map((m) => ({
      id: m.id,
      role: 'measure' as const,
      label: m.label,
      type: m.valueType === 'decimal' ? ('decimal' as const) : ('string' as const),
      ...(m.valueType === 'decimal' ? { scale: m.scale } : {}),
    })),
  ];
}

/**
 * A result of one row of nulls with the plan's columns: enough for the shaping functions to check the
 * fields a spec names without running anything (a gauge insists on exactly one row).
 */
function probeResult(plan: QueryPlan): ReportResult {
  const columns = resultColumns(plan);
  return {
    dataset: { id: plan.dataset.id, version: plan.dataset.version },
    kind: plan.kind,
    columns,
    rows: [Object.fromEntries(columns.map((c) => [c.id, null]))],
    parts: plan.kind === 'aggregate' ? [Object.fromEntries(Object.keys(plan.partModels).map((k) => [k, null]))] : [],
    partModels: plan.partModels,
    derivations: Object.fromEntries(plan.measures.map((m) => [m.id, m.derivation])),
    page: { offset: 0, limit: null, hasMore: false },
    cached: false,
  };
}

/** The engine names a few spec paths after its own arguments; the template's fields are named otherwise. */
const templateField: Record<string, string> = { table: 'grouped', formatting: 'formats' };

function within<T>(rename: (path: readonly (string | number)[]) => (string | number)[], work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ReportError) throw new ReportError(error.code, error.detail, rename(error.path), { cause: error });
    throw error;
  }
}

const prefixed = (...prefix: (string | number)[]) => (path: readonly (string | number)[]) => [...prefix, ...path];
const renamed = (path: readonly (string | number)[]) => {
  const [head, ...rest] = path;
  return head === undefined ? [] : [templateField[String(head)] ?? head, ...rest];
};

export interface TemplateContext {
  /** The template's tenant: a tenant-subtree default must lie inside it. */
  tenantPath: string;
  timeZone: string;
  now: Date;
}

/**
 * Checks a template against its dataset without running it: the default query is planned (every
 * dimension, measure, filter and parameter value the dataset does not have is refused with its path),
 * and each view spec, format rule and drill-down is tried on a result with the query's columns. Required
 * parameters may stay open: the viewer's parameter bar fills them. Throws a ReportError whose path is a
 * path in the template (`query.dimensions.2`, `chart.measures.0`).
 */
export function checkTemplate(template: ReportTemplate, dataset: Dataset, context: TemplateContext): void {
  // Required parameters are the viewer's to give; their values, when the template sets some, are still checked.
  const lenient: Dataset = { ...dataset, parameters: dataset.parameters.map((p) => ({ ...p, required: false })) };
  const plan = within(prefixed('query'), () => planQuery(lenient, template.query, context));
  const probe = probeResult(plan);
  const columnIds = new Set(probe.columns.map((c) => c.id));
  const parameterIds = new Set(dataset.parameters.map((p) => p.id));

  template.parameterBar?.forEach((entry, i) => {
    if (!parameterIds.has(entry.parameter)) {
      throw new ReportError('unknown_field', `the dataset ${dataset.id} has no parameter ${entry.parameter}`, ['parameterBar', i, 'parameter']);
    }
  });
  template.table?.columns?.forEach((id, i) => {
    if (!columnIds.has(id)) throw new ReportError('unknown_field', `${id} is not a column of the query`, ['table', 'columns', i]);
  });
  if (template.grouped) within(renamed, () => groupedTable(probe, template.grouped!));
  if (template.pivot) {
    const pivot = template.pivot;
    // A pivot runs the query with its own rows and columns as the dimensions.
    const pivotPlan = within(
      (path) => {
        const [head, index] = path;
        if (head !== 'dimensions' || typeof index !== 'number') return ['query', ...path];
        return index < pivot.rows.length ? ['pivot', 'rows', index] : ['pivot', 'columns', index - pivot.rows.length];
      },
      () => planQuery(lenient, { ...template.query, dimensions: [...pivot.rows, ...pivot.columns] }, context),
    );
    pivotTable(probeResult(pivotPlan), pivot);
  }
  if (template.chart) chartOption(template.chart, probe);
  if (template.formats) within(renamed, () => cellStyles(template.formats!, probe.columns, []));
  template.drillDowns?.forEach((link, i) => {
    link.on?.forEach((id, j) => {
      if (!columnIds.has(id)) throw new ReportError('unknown_field', `${id} is not a column of the query`, ['drillDowns', i, 'on', j]);
    });
    for (const [name, mapping] of Object.entries(link.target.parameters)) {
      if ('parameter' in mapping && !parameterIds.has(mapping.parameter)) {
        throw new ReportError('unknown_field', `the dataset ${dataset.id} has no parameter ${mapping.parameter}`, ['drillDowns', i, 'target', 'parameters', name, 'parameter']);
      }
    }
    within(
      (path) => ['drillDowns', i, 'target', ...path.slice(1)],
      () => drillDown(link.target, probe.columns, probe.rows[0]!, {}),
    );
  });
  const needed: Record<Exclude<ReportView, 'table'>, unknown> = { grouped: template.grouped, pivot: template.pivot, chart: template.chart };
  if (template.view !== 'table' && needed[template.view] === undefined) {
    throw new ReportError('invalid_query', `the ${template.view} view needs its ${template.view} spec`, [template.view]);
  }
}
