import type { AnalyticsStore } from '@shuiyun/analytics';
import type { Db, TenantScope } from '@shuiyun/db';
import { DEFAULT_TIME_ZONE, canonicalTimeZone } from '../calendar.js';
import { type Dataset, isAnalytics } from '../dataset/dataset.js';
import { compareDecimals, normalizeDecimal } from '../decimal.js';
import { ReportError } from '../errors.js';
import { type PartValues, accumulate, derive, isAdditive } from '../measures/aggregation.js';
import { type MeasureFilter, type PlannedDimension, type PlannedMeasure, type QueryPlan, type ReportQuery, parseReportQuery, planQuery } from '../query/plan.js';
import { compileLookupSelect, compileSelect } from '../sql/compile.js';
import type { Dialect } from '../sql/dialect.js';
import { clickhouse, postgres } from '../sql/dialects.js';
import type { Fragment } from '../sql/fragment.js';
import { type GroupedTable, type GroupedTableSpec, groupedTable, groupedTableLevels } from '../shaping/grouped-table.js';
import { type PivotSpec, type PivotTable, pivotLevels, pivotTable } from '../shaping/pivot.js';
import { type Execution, type ExecutionLimits, type Row, type RunScope, runAnalytics, runPostgres } from './executors.js';
import type { ResultCache } from './result-cache.js';
import { type Cell, type LevelResults, type ReportResult, type ResultColumn, type ResultRow, levelKey } from './result.js';

export interface ReportLimits {
  /** Most rows (groups) a query may return; more is `row_limit_exceeded`. Also the largest page. */
  maxRows: number;
  /** Per statement. */
  timeoutMs: number;
  /** Most registry rows a lookup may join. */
  maxLookupRows: number;
  /** Most analytics rows (group × meter) a lookup query may read before regrouping. */
  maxIntermediateRows: number;
  /** Lookup keys per analytics query (an array parameter; a ClickHouse server reads it from the URL). */
  lookupKeysPerQuery: number;
  /** Rows per page of a detail query that names no limit. */
  detailPageSize: number;
}

export const defaultReportLimits: ReportLimits = {
  maxRows: 10_000,
  timeoutMs: 30_000,
  maxLookupRows: 500_000,
  maxIntermediateRows: 5_000_000,
  lookupKeysPerQuery: 2_000,
  detailPageSize: 100,
};

export interface ReportContext {
  /** The caller's tenant scope: the analytics port filters by its path, Postgres row-level security by all of it. */
  tenant: TenantScope;
  /** The tenant's IANA time zone (tenants.settings.timeZone); Asia/Shanghai when absent. */
  timeZone?: string | undefined;
  /** "Now" for relative date ranges such as last7Days. */
  now?: Date | undefined;
  /** A token that changes when the data may have (an ingestion watermark …); results are cached only with one. */
  freshness?: string | undefined;
}

export interface ReportEngineOptions {
  analytics?: AnalyticsStore | undefined;
  database?: Db | undefined;
  cache?: ResultCache | undefined;
  limits?: Partial<ReportLimits> | undefined;
}

export interface ReportEngine {
  readonly limits: ReportLimits;
  readonly cache: ResultCache | undefined;
  /**
   * Runs a report query (a `ReportQuery`; any input is validated, so a request body can be passed as it
   * came): rows of a detail or aggregate table, one page. Refusals reject with a ReportError.
   */
  run(dataset: Dataset, query: ReportQuery | Readonly<Record<string, unknown>>, context: ReportContext): Promise<ReportResult>;
  /** Runs the query at coarser grains (fewer dimensions), for totals of measures that do not add up. */
  levels(dataset: Dataset, query: ReportQuery | Readonly<Record<string, unknown>>, grains: readonly (readonly string[])[], context: ReportContext): Promise<LevelResults>;
  /** A grouped table with subtotals and a grand total. */
  groupedTable(dataset: Dataset, query: ReportQuery | Readonly<Record<string, unknown>>, spec: GroupedTableSpec, context: ReportContext): Promise<GroupedTable>;
  /** A cross-tab with row, column and grand totals. */
  pivot(dataset: Dataset, query: ReportQuery | Readonly<Record<string, unknown>>, spec: PivotSpec, context: ReportContext): Promise<PivotTable>;
}

interface Group {
  dims: Record<string, Cell>;
  parts: PartValues;
}

const booleanText = (value: string) => (value === '1' || value === 'true' ? 'true' : value === '0' || value === 'false' ? 'false' : value);

function cellOf(dimension: PlannedDimension, raw: unknown): Cell {
  if (raw === null || raw === undefined) return null;
  const text = String(raw);
  if (dimension.valueType === 'decimal') return normalizeDecimal(text, dimension.scale);
  if (dimension.valueType === 'boolean') return booleanText(text);
  return text;
}

function compareCells(a: Cell, b: Cell, numeric: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (numeric) return compareDecimals(a, b);
  return a < b ? -1 : 1;
}

const isNumericType = (type: string) => type === 'integer' || type === 'decimal';

function matches(value: Cell, filter: MeasureFilter): boolean {
  const values = filter.values.map((v) => String(v.value));
  switch (filter.op) {
    case 'isNull':
      return value === null;
    case 'notNull':
      return value !== null;
  }
  if (value === null) return false;
  const c = (other: string) => compareDecimals(value, other);
  switch (filter.op) {
    case 'eq':
      return c(values[0]!) === 0;
    case 'ne':
      return c(values[0]!) !== 0;
    case 'gt':
      return c(values[0]!) > 0;
    case 'gte':
      return c(values[0]!) >= 0;
    case 'lt':
      return c(values[0]!) < 0;
    case 'lte':
      return c(values[0]!) <= 0;
    case 'between':
      return c(values[0]!) >= 0 && c(values[1]!) <= 0;
    case 'in':
      return values.some((v) => c(v) === 0);
    case 'notIn':
      return values.every((v) => c(v) !== 0);
    default:
      return false;
  }
}

export function createReportEngine(options: ReportEngineOptions): ReportEngine {
  const limits: ReportLimits = { ...defaultReportLimits, ...options.limits };

  const limitsFor = (dataset: Dataset) => ({
    maxRows: Math.min(limits.maxRows, dataset.limits?.maxRows ?? Number.POSITIVE_INFINITY),
    timeoutMs: Math.min(limits.timeoutMs, dataset.limits?.timeoutMs ?? Number.POSITIVE_INFINITY),
  });

  function contextPlan(dataset: Dataset, query: unknown, context: ReportContext): QueryPlan {
    const timeZone = canonicalTimeZone(context.timeZone ?? DEFAULT_TIME_ZONE);
    if (!timeZone) throw new ReportError('invalid_parameter', `${JSON.stringify(context.timeZone)} is not an IANA time zone such as Asia/Shanghai`, ['timeZone']);
    return planQuery(dataset, query, { tenantPath: context.tenant.tenantPath, timeZone, now: context.now ?? new Date() });
  }

  function runner(plan: QueryPlan, context: ReportContext) {
    const dataset = plan.dataset;
    const analytics = isAnalytics(dataset);
    if (analytics && !options.analytics) throw new ReportError('source_unavailable', `the dataset ${dataset.id} reads the analytics store, which this engine was not given`);
    if ((!analytics || plan.lookup) && !options.database) {
      throw new ReportError('source_unavailable', `the dataset ${dataset.id} reads PostgreSQL, which this engine was not given`);
    }
    const raw = dataset.source.kind === 'analytics-sql' || dataset.source.kind === 'postgres-sql';
    const scope: RunScope = { tenant: context.tenant, freshness: context.freshness, raw, cache: options.cache };
    let cached = true;
    const note = (execution: Execution) => {
      cached &&= execution.cached;
      return execution.rows;
    };
    const { timeoutMs } = limitsFor(dataset);
    const relation = dataset.source.kind === 'postgres' ? dataset.source.relation : undefined;
    return {
      dialect: (analytics ? clickhouse : postgres) as Dialect,
      /** The dataset's own store. */
      async source(fragment: Fragment, cap: number, what: string): Promise<Row[]> {
        const execution: ExecutionLimits = { maxRows: cap, timeoutMs };
        if (analytics) return note(await runAnalytics(options.analytics!, fragment, scope, execution, what));
        return note(await runPostgres(options.database!, fragment, scope, execution, what, { relation, rawNames: raw ? dataset.template!.names : undefined }));
      },
      /** The registry, for lookups. */
      async registry(fragment: Fragment, cap: number, lookup: { relation?: string; names?: readonly string[] }): Promise<Row[]> {
        const lookupScope: RunScope = { ...scope, raw: lookup.relation === undefined };
        return note(
          await runPostgres(options.database!, fragment, lookupScope, { maxRows: cap, timeoutMs }, 'the registry lookup', { relation: lookup.relation, rawNames: lookup.names }),
        );
      },
      get cached() {
        return cached;
      },
    };
  }

  const readGroups = (plan: QueryPlan, rows: Row[], columns: ReturnType<typeof compileSelect>['columns']): Group[] =>
    rows.map((row) => {
      const dims: Record<string, Cell> = {};
      for (const { id, alias } of columns.dimensions) dims[id] = cellOf(plan.dimensions.find((d) => d.id === id)!, row[alias]);
      const parts: PartValues = {};
      for (const { key, alias } of columns.parts) {
        const model = plan.partModels[key]!;
        const value = row[alias];
        parts[key] = value === null || value === undefined ? null : model.valueType === 'decimal' ? normalizeDecimal(String(value), model.scale) : String(value);
      }
      return { dims, parts };
    });

  /**
   * Analytics rows joined with registry rows (a lookup): the registry rows the caller may see and that
   * meet the lookup's conditions are read first; the analytics store is then asked, slice by slice of
   * their keys, for one row per native group and key; each row takes its registry row's attributes and
   * is added into its final group. Rows of meters not in the registry (or not visible) drop out.
   */
  async function lookupGroups(plan: QueryPlan, run: ReturnType<typeof runner>): Promise<Group[]> {
    const { lookup } = plan.lookup!;
    const { maxRows } = limitsFor(plan.dataset);
    const compiledLookup = compileLookupSelect(postgres, plan, limits.maxLookupRows + 1);
    const registryRows = await run.registry(
      compiledLookup.fragment,
      limits.maxLookupRows + 1,
      'relation' in lookup.source ? { relation: lookup.source.relation } : { names: plan.dataset.lookupTemplates[lookup.id]!.names },
    );
    if (registryRows.length > limits.maxLookupRows) {
      throw new ReportError('row_limit_exceeded', `the registry lookup has more than ${limits.maxLookupRows} rows; narrow it with parameters`);
    }
    const lookupDims = compiledLookup.dimensions;
    const keyOf = (row: Row, aliases: readonly string[]) => JSON.stringify(aliases.map((a) => (row[a] === null || row[a] === undefined ? null : String(row[a]))));
    const registry = new Map<string, { dims: Record<string, Cell>; dimsKey: string }>();
    const counts = new Map<string, Record<string, number>>();
    const lookupDimsOf = new Map<string, Record<string, Cell>>();
    for (const row of registryRows) {
      const dims: Record<string, Cell> = {};
      for (const { id, alias } of lookupDims) dims[id] = cellOf(plan.dimensions.find((d) => d.id === id)!, row[alias]);
      const dimsKey = JSON.stringify(lookupDims.map(({ id }) => dims[id]));
      registry.set(keyOf(row, compiledLookup.keys), { dims, dimsKey });
      lookupDimsOf.set(dimsKey, dims);
      const tally = counts.get(dimsKey) ?? {};
      for (const { key, alias } of compiledLookup.flags) tally[key] = (tally[key] ?? 0) + (row[alias] === '1' || row[alias] === 1 ? 1 : 0);
      counts.set(dimsKey, tally);
    }

    const native = plan.dimensions.filter((d) => !d.lookup);
    const sqlParts = plan.parts.filter((p) => p.kind !== 'lookupCount');
    const groups = new Map<string, Group & { dimsKey: string }>();
    const tooManyGroups = () => new ReportError('row_limit_exceeded', `the report has more than ${maxRows} rows; narrow it with filters or parameters, or page through it`);

    if (native.length === 0 && sqlParts.length === 0) {
      // Only registry measures: the groups are the registry's.
      for (const [dimsKey, dims] of lookupDimsOf) groups.set(dimsKey, { dims: { ...dims }, parts: {}, dimsKey });
    } else {
      const matchTypes = lookup.match.map((m) => ({ column: m.column, type: plan.dataset.columns[m.column]!.type }));
      const entries = [...registry.entries()];
      let read = 0;
      for (let start = 0; start < entries.length; start += limits.lookupKeysPerQuery) {
        const slice = entries.slice(start, start + limits.lookupKeysPerQuery);
        const inSlice = new Set(slice.map(([key]) => key));
        const keyValues = matchTypes.map((_, j) => [...new Set(slice.map(([key]) => (JSON.parse(key) as (string | null)[])[j]).filter((v): v is string => v !== null))]);
        const compiled = compileSelect(run.dialect, plan, {
          limit: limits.maxIntermediateRows + 1 - read,
          offset: 0,
          unordered: true,
          keys: matchTypes,
          keyFilter: matchTypes.map((m, j) => ({ column: m.column, values: keyValues[j]!.map((value) => ({ type: m.type, value })) })),
        });
        const rows = await run.source(compiled.fragment, limits.maxIntermediateRows + 1 - read, 'the report query');
        read += rows.length;
        if (read > limits.maxIntermediateRows) {
          throw new ReportError('row_limit_exceeded', `the report reads more than ${limits.maxIntermediateRows} meter rows; narrow it with parameters`);
        }
        const keyAliases = compiled.columns.keys.map((k) => k.alias);
        for (const [index, group] of readGroups(plan, rows, compiled.columns).entries()) {
          const key = keyOf(rows[index]!, keyAliases);
          if (!inSlice.has(key)) continue; // matched the IN lists of this slice by chance: belongs to another slice
          const entry = registry.get(key)!;
          const dims = { ...group.dims, ...entry.dims };
          const groupKey = JSON.stringify(plan.dimensions.map((d) => dims[d.id] ?? null));
          let target = groups.get(groupKey);
          if (!target) {
            if (groups.size >= maxRows) throw tooManyGroups();
            target = { dims, parts: {}, dimsKey: entry.dimsKey };
            groups.set(groupKey, target);
          }
          accumulate(plan.partModels, target.parts, group.parts);
        }
      }
    }
    if (groups.size > maxRows) throw tooManyGroups();
    for (const group of groups.values()) {
      for (const part of plan.parts) {
        if (part.kind === 'lookupCount') group.parts[part.key] = String(counts.get(group.dimsKey)?.[part.key] ?? 0);
        else if (!(part.key in group.parts)) group.parts[part.key] = part.kind === 'count' || part.kind === 'distinct' ? '0' : null;
      }
    }
    return [...groups.values()].map(({ dims, parts }) => ({ dims, parts }));
  }

  /** Derives measures, applies measure filters, sorts and pages in JS (exact decimals). */
  function finish(plan: QueryPlan, groups: Group[], pageSize: number): { page: Group[]; derived: Map<Group, Record<string, Cell>>; total: number } {
    const derived = new Map<Group, Record<string, Cell>>();
    for (const group of groups) derived.set(group, Object.fromEntries(plan.measures.map((m) => [m.id, derive(m.derivation, group.parts)])));
    const kept = groups.filter((group) => plan.having.every((filter) => matches(derived.get(group)![filter.measure.id] ?? null, filter)));
    const keys = [
      ...plan.sort,
      ...plan.dimensions.filter((d) => !plan.sort.some((s) => s.field.id === d.id)).map((d) => ({ field: d, role: 'dimension' as const, direction: 'asc' as const })),
    ];
    kept.sort((a, b) => {
      for (const key of keys) {
        const numeric = key.role === 'dimension' ? isNumericType((key.field as PlannedDimension).valueType) : (key.field as PlannedMeasure).valueType === 'decimal';
        const x = key.role === 'dimension' ? (a.dims[key.field.id] ?? null) : (derived.get(a)![key.field.id] ?? null);
        const y = key.role === 'dimension' ? (b.dims[key.field.id] ?? null) : (derived.get(b)![key.field.id] ?? null);
        let order = compareCells(x, y, numeric);
        if (order !== 0 && x !== null && y !== null && key.direction === 'desc') order = -order;
        if (order !== 0) return order;
      }
      return 0;
    });
    return { page: kept.slice(plan.offset, plan.offset + pageSize), derived, total: kept.length };
  }

  async function execute(plan: QueryPlan, context: ReportContext): Promise<ReportResult> {
    const { maxRows } = limitsFor(plan.dataset);
    if (plan.limit !== undefined && plan.limit > maxRows) {
      throw new ReportError('row_limit_exceeded', `a page has at most ${maxRows} rows, ${plan.limit} were asked for`, ['limit']);
    }
    const run = runner(plan, context);
    const pageSize = plan.limit ?? (plan.kind === 'detail' ? Math.min(limits.detailPageSize, maxRows) : maxRows);
    let groups: Group[];
    let hasMore: boolean;
    let total: number | undefined;
    let derived: Map<Group, Record<string, Cell>> | undefined;

    if (!plan.finishInJs) {
      const compiled = compileSelect(run.dialect, plan, { limit: pageSize + 1, offset: plan.offset });
      const rows = await run.source(compiled.fragment, pageSize + 1, 'the report query');
      if (plan.limit === undefined && plan.kind === 'aggregate' && rows.length > pageSize) {
        throw new ReportError('row_limit_exceeded', `the report has more than ${maxRows} rows; narrow it with filters or parameters, or page through it`);
      }
      hasMore = rows.length > pageSize;
      groups = readGroups(plan, rows.slice(0, pageSize), compiled.columns);
      if (plan.countTotal) {
        const counted = compileSelect(run.dialect, plan, { limit: 1, offset: 0, count: true });
        const [row] = await run.source(counted.fragment, 1, 'the row count');
        total = Number(row?.n ?? 0);
      }
    } else {
      let all: Group[];
      if (plan.lookup) all = await lookupGroups(plan, run);
      else {
        const compiled = compileSelect(run.dialect, plan, { limit: maxRows + 1, offset: 0, unordered: true });
        const rows = await run.source(compiled.fragment, maxRows + 1, 'the report query');
        if (rows.length > maxRows) throw new ReportError('row_limit_exceeded', `the report has more than ${maxRows} rows; narrow it with filters or parameters`);
        all = readGroups(plan, rows, compiled.columns);
      }
      const finished = finish(plan, all, pageSize);
      groups = finished.page;
      derived = finished.derived;
      hasMore = plan.offset + groups.length < finished.total;
      if (plan.countTotal) total = finished.total;
    }

    const columns: ResultColumn[] = [
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
    const rows: ResultRow[] = groups.map((group) => {
      const row: ResultRow = {};
      for (const d of plan.dimensions) row[d.id] = group.dims[d.id] ?? null;
      const values = derived?.get(group);
      for (const m of plan.measures) row[m.id] = values ? (values[m.id] ?? null) : derive(m.derivation, group.parts);
      return row;
    });
    return {
      dataset: { id: plan.dataset.id, version: plan.dataset.version },
      kind: plan.kind,
      columns,
      rows,
      parts: plan.kind === 'aggregate' ? groups.map((g) => g.parts) : [],
      partModels: plan.partModels,
      derivations: Object.fromEntries(plan.measures.map((m) => [m.id, m.derivation])),
      page: { offset: plan.offset, limit: plan.limit ?? null, hasMore, ...(total !== undefined ? { total } : {}) },
      cached: run.cached,
    };
  }

  const engine: ReportEngine = {
    limits,
    cache: options.cache,
    run: async (dataset, query, context) => execute(contextPlan(dataset, query, context), context),
    async levels(dataset, query, grains, context) {
      const parsed = parseReportQuery(query);
      const plan = contextPlan(dataset, parsed, context);
      const needed = plan.measures.some((m) => !isAdditive(m.derivation, plan.partModels));
      const levels = new Map<string, ReportResult>();
      // With a filter on measures, a total from the database would count rows the table left out.
      if (!needed || plan.having.length > 0) return levels;
      for (const dims of grains) {
        const key = levelKey(dims);
        if (levels.has(key)) continue;
        const sort = parsed.sort.filter((s) => dims.includes(s.field) || parsed.measures.includes(s.field));
        const levelQuery = { ...parsed, dimensions: [...dims], sort, limit: undefined, offset: 0, countTotal: false };
        levels.set(key, await execute(contextPlan(dataset, levelQuery, context), context));
      }
      return levels;
    },
    async groupedTable(dataset, query, spec, context) {
      const parsed = parseReportQuery(query);
      const all = { ...parsed, limit: undefined, offset: 0, countTotal: false };
      const result = await engine.run(dataset, all, context);
      const levels = await engine.levels(dataset, all, groupedTableLevels(spec), context);
      return groupedTable(result, spec, levels);
    },
    async pivot(dataset, query, spec, context) {
      const parsed = parseReportQuery(query);
      const all = { ...parsed, dimensions: [...spec.rows, ...spec.columns], limit: undefined, offset: 0, countTotal: false };
      const result = await engine.run(dataset, all, context);
      const levels = await engine.levels(dataset, all, pivotLevels(spec), context);
      return pivotTable(result, spec, levels);
    },
  };
  return engine;
}
