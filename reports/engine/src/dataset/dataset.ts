import { z } from 'zod';
import { ReportError, type ReportErrorPath } from '../errors.js';
import { isDecimalText } from '../decimal.js';
import { type RawSqlTemplate, parseRawSql, templateParameters } from '../sql/raw-sql.js';
import { DATASET_ID, FIELD_ID, SQL_IDENTIFIER, isSystemName } from './identifiers.js';
import { type ColumnType, columnTypes, typedValue } from './values.js';
import { checkParameterDefault } from './parameter-values.js';

/**
 * A dataset: the semantic model a report is built on, stored as JSON (a versioned tenant artifact).
 * It names one source — a logical analytics table, a Postgres table or view, or (platform admins) raw
 * SQL for either store — declares the source's columns (the allow-list of names that may reach SQL),
 * and over them dimensions, measures, typed parameters and default filters. Parse it with
 * `parseDataset`, which also checks every cross-reference.
 */

const localizedText = z
  .union([z.string().min(1).max(200), z.object({ 'zh-CN': z.string().min(1).max(200), en: z.string().min(1).max(200).optional() }).strict()])
  .transform((text) => (typeof text === 'string' ? { 'zh-CN': text, en: text } : { 'zh-CN': text['zh-CN'], en: text.en ?? text['zh-CN'] }));
export type LocalizedText = z.output<typeof localizedText>;

const identifier = z
  .string()
  .regex(SQL_IDENTIFIER, 'lower-case letters, digits and _, starting with a letter or _')
  .refine((name) => !isSystemName(name), 'system names (pg_…, information_schema, system, shuiyun_…) are not allowed');
const fieldId = z.string().regex(FIELD_ID, 'letters, digits and _, starting with a letter');
const scale = z.number().int().min(0).max(18);

const columnSchema = z
  .object({
    type: z.enum(columnTypes),
    /** Digits after the point, for decimals (default 3: litres of m³, 分 of 元 are whole units). */
    scale: scale.optional(),
    label: localizedText.optional(),
  })
  .strict();
export type Column = z.output<typeof columnSchema>;

export const filterOperators = ['eq', 'ne', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'between', 'contains', 'startsWith', 'isNull', 'notNull'] as const;
export type FilterOperator = (typeof filterOperators)[number];

const scalar = z.union([z.string().max(1_000), z.number(), z.boolean()]);
export type Scalar = z.output<typeof scalar>;

const conditionSchema = z
  .object({
    column: identifier,
    op: z.enum(filterOperators),
    value: scalar.optional(),
    values: z.array(scalar).max(1_000).optional(),
  })
  .strict();
export type Condition = z.output<typeof conditionSchema>;

export const analyticsTables = ['readings'] as const;
export type AnalyticsTable = (typeof analyticsTables)[number];

const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('analytics'), table: z.enum(analyticsTables) }).strict(),
  z.object({ kind: z.literal('analytics-sql'), sql: z.string().min(1).max(20_000) }).strict(),
  z.object({ kind: z.literal('postgres'), relation: identifier }).strict(),
  z.object({ kind: z.literal('postgres-sql'), sql: z.string().min(1).max(20_000) }).strict(),
]);
export type DatasetSource = z.output<typeof sourceSchema>;

export const timeGrains = ['hour', 'day', 'week', 'month', 'year'] as const;
export type TimeGrain = (typeof timeGrains)[number];

const dimensionSchema = z
  .object({
    id: fieldId,
    label: localizedText,
    column: identifier,
    /** Periods in the tenant's time zone: hour `YYYY-MM-DD HH:00`, day and week (its Monday) `YYYY-MM-DD`, month `YYYY-MM`, year `YYYY`. */
    grain: z.enum(timeGrains).optional(),
    /** The column is a lookup's (a registry attribute joined to analytics rows), not the source's. */
    lookup: fieldId.optional(),
  })
  .strict();
export type Dimension = z.output<typeof dimensionSchema>;

const measureBase = { id: fieldId, label: localizedText, description: localizedText.optional() };
const where = z.array(conditionSchema).max(20).default([]);
const measureSchema = z.discriminatedUnion('aggregate', [
  z.object({ ...measureBase, aggregate: z.enum(['sum', 'min', 'max']), column: identifier, where }).strict(),
  z.object({ ...measureBase, aggregate: z.literal('avg'), column: identifier, where, scale: scale.optional() }).strict(),
  z.object({ ...measureBase, aggregate: z.literal('count'), column: identifier.optional(), where }).strict(),
  z.object({ ...measureBase, aggregate: z.literal('countDistinct'), column: identifier, where }).strict(),
  z
    .object({
      ...measureBase,
      aggregate: z.literal('ratio'),
      numerator: fieldId,
      denominator: fieldId,
      /** The quotient is multiplied by this (100 for a percentage) before rounding. */
      multiplier: z.string().refine(isDecimalText, 'a decimal number such as 100').default('1'),
      scale: scale.default(4),
    })
    .strict(),
  /** Rows of a lookup (e.g. in-service meters in the registry) per group of the lookup's dimensions. */
  z.object({ ...measureBase, aggregate: z.literal('lookupCount'), lookup: fieldId, where }).strict(),
]);
export type Measure = z.output<typeof measureSchema>;

export const parameterTypes = ['dateRange', 'enum', 'tenantSubtree', 'dma', 'product', 'community', 'number', 'text'] as const;
export type ParameterType = (typeof parameterTypes)[number];
export const parameterOperators = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'startsWith'] as const;

const parameterSchema = z
  .object({
    id: fieldId,
    label: localizedText,
    type: z.enum(parameterTypes),
    required: z.boolean().default(false),
    /** enum, dma, product and community parameters may take a list of values (IN). */
    multiple: z.boolean().default(false),
    default: z.unknown().optional(),
    options: z.array(z.object({ value: z.string().max(200), label: localizedText }).strict()).max(500).optional(),
    /** The column the value filters; without it the parameter is only used by the raw SQL's placeholders. */
    binds: z
      .object({
        column: identifier,
        lookup: fieldId.optional(),
        op: z.enum(parameterOperators).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Parameter = z.output<typeof parameterSchema>;

const defaultFilterSchema = z
  .object({
    /** A source column (always applied) … */
    column: identifier.optional(),
    /** … or a dimension, which a query may override with its own filter on it when `overridable`. */
    dimension: fieldId.optional(),
    op: z.enum(filterOperators),
    value: scalar.optional(),
    values: z.array(scalar).max(1_000).optional(),
    overridable: z.boolean().default(false),
  })
  .strict();
export type DefaultFilter = z.output<typeof defaultFilterSchema>;

const lookupSchema = z
  .object({
    id: fieldId,
    label: localizedText.optional(),
    /** A Postgres table or view, or raw SQL, read under row-level security in the caller's transaction. */
    source: z.union([z.object({ relation: identifier }).strict(), z.object({ sql: z.string().min(1).max(20_000) }).strict()]),
    /** Analytics column → lookup column pairs that identify a lookup row (e.g. tenant_id, device → device_key). */
    match: z.array(z.object({ column: identifier, lookupColumn: identifier }).strict()).min(1).max(3),
    columns: z.record(identifier, columnSchema),
    /** Conditions every lookup row must meet (e.g. state = in_service); analytics rows without such a row are left out. */
    where,
    /**
     * Join on every query, even one that uses none of the lookup's columns, so that only analytics rows of
     * registry rows the caller can see (and that meet `where`) ever count.
     */
    always: z.boolean().default(false),
  })
  .strict();
export type Lookup = z.output<typeof lookupSchema>;

const datasetSchema = z
  .object({
    id: z.string().regex(DATASET_ID, 'lower-case letters, digits, -, _ and .'),
    version: z.number().int().min(1).default(1),
    label: localizedText,
    description: localizedText.optional(),
    source: sourceSchema,
    columns: z.record(identifier, columnSchema).default({}),
    dimensions: z.array(dimensionSchema).max(100).default([]),
    measures: z.array(measureSchema).max(100).default([]),
    parameters: z.array(parameterSchema).max(30).default([]),
    defaultFilters: z.array(defaultFilterSchema).max(30).default([]),
    lookups: z.array(lookupSchema).max(1).default([]),
    limits: z
      .object({ maxRows: z.number().int().min(1).max(1_000_000).optional(), timeoutMs: z.number().int().min(1).max(600_000).optional() })
      .strict()
      .optional(),
  })
  .strict();
export type DatasetDefinition = z.input<typeof datasetSchema>;

/** The columns of the analytics store's logical tables (see @shuiyun/analytics). */
export const analyticsTableColumns: Record<AnalyticsTable, Record<string, Column>> = {
  readings: {
    tenant_id: { type: 'integer' },
    tenant_path: { type: 'tenantPath' },
    device: { type: 'string' },
    metric: { type: 'string' },
    at: { type: 'timestamp' },
    value: { type: 'decimal', scale: 3 },
    milli: { type: 'integer' },
    received_at: { type: 'timestamp' },
  },
};

export type Dataset = z.output<typeof datasetSchema> & {
  /** The raw SQL of an `analytics-sql` or `postgres-sql` source, scanned; undefined otherwise. */
  readonly template?: RawSqlTemplate;
  /** Raw SQL of lookups, scanned, by lookup id. */
  readonly lookupTemplates: Readonly<Record<string, RawSqlTemplate>>;
};

export const isAnalytics = (dataset: Pick<Dataset, 'source'>) => dataset.source.kind === 'analytics' || dataset.source.kind === 'analytics-sql';

/** Turns a zod failure into a ReportError that points at the first offending input. */
export function zodFailure(error: z.ZodError, code: 'invalid_dataset' | 'invalid_query', prefix: ReportErrorPath = []): ReportError {
  const issue = error.issues[0]!;
  const path = [...prefix, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
  if (issue.code === 'unrecognized_keys') {
    return new ReportError(code === 'invalid_query' ? 'unknown_field' : code, `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`, [...path, issue.keys[0]!]);
  }
  return new ReportError(code, issue.message, path);
}

/** Parses and checks a dataset definition; throws `invalid_dataset` or `raw_sql_refused` with the path. */
export function parseDataset(input: unknown): Dataset {
  const parsed = datasetSchema.safeParse(input);
  if (!parsed.success) throw zodFailure(parsed.error, 'invalid_dataset');
  const raw = parsed.data;
  let template: RawSqlTemplate | undefined;
  if (raw.source.kind === 'analytics-sql') template = parseRawSql(raw.source.sql, 'clickhouse');
  if (raw.source.kind === 'postgres-sql') template = parseRawSql(raw.source.sql, 'postgres');
  const lookupTemplates: Record<string, RawSqlTemplate> = {};
  raw.lookups.forEach((lookup, index) => {
    if ('sql' in lookup.source) lookupTemplates[lookup.id] = parseRawSql(lookup.source.sql, 'postgres', ['lookups', index, 'source', 'sql']);
  });
  const dataset: Dataset = { ...raw, template, lookupTemplates };
  if (raw.source.kind === 'analytics') {
    if (Object.keys(raw.columns).length > 0) {
      throw new ReportError('invalid_dataset', `the columns of {{${raw.source.table}}} are fixed by the analytics store; leave columns out`, ['columns']);
    }
    dataset.columns = { ...analyticsTableColumns[raw.source.table] };
  } else if (Object.keys(raw.columns).length === 0) {
    throw new ReportError('invalid_dataset', 'declare the columns the source returns: they are the names reports may use', ['columns']);
  }
  checkReferences(dataset);
  return dataset;
}

const fail = (detail: string, path: ReportErrorPath) => new ReportError('invalid_dataset', detail, path);

const comparable: Record<ColumnType, readonly string[]> = {
  string: filterOperators,
  integer: filterOperators.filter((op) => op !== 'contains' && op !== 'startsWith'),
  decimal: filterOperators.filter((op) => op !== 'contains' && op !== 'startsWith'),
  timestamp: filterOperators.filter((op) => op !== 'contains' && op !== 'startsWith'),
  date: filterOperators.filter((op) => op !== 'contains' && op !== 'startsWith'),
  boolean: ['eq', 'ne', 'isNull', 'notNull'],
  tenantPath: ['eq', 'ne', 'in', 'notIn', 'isNull', 'notNull'],
};

/** Checks a condition's operator and values against the column type; the values come back typed. */
export function checkConditionValues(
  type: ColumnType,
  condition: { op: FilterOperator; value?: unknown; values?: readonly unknown[] | undefined },
  path: ReportErrorPath,
  code: 'invalid_dataset' | 'invalid_parameter',
) {
  if (!comparable[type].includes(condition.op)) throw new ReportError(code, `the operator ${condition.op} does not apply to a ${type} column`, [...path, 'op']);
  switch (condition.op) {
    case 'isNull':
    case 'notNull':
      return [];
    case 'in':
    case 'notIn':
      if (!condition.values || condition.values.length === 0) throw new ReportError(code, `${condition.op} needs a non-empty list of values`, [...path, 'values']);
      return condition.values.map((v, i) => typedValue(type, v, [...path, 'values', i], code));
    case 'between':
      if (!condition.values || condition.values.length !== 2) throw new ReportError(code, 'between needs two values [low, high], both included', [...path, 'values']);
      return condition.values.map((v, i) => typedValue(type, v, [...path, 'values', i], code));
    default:
      if (condition.value === undefined) throw new ReportError(code, `${condition.op} needs a value`, [...path, 'value']);
      return [typedValue(type, condition.value, [...path, 'value'], code)];
  }
}

/** The column a dimension, measure or parameter names, from the source or from a lookup. */
export function columnOf(dataset: Dataset, name: string, lookupId: string | undefined, path: ReportErrorPath): Column {
  if (lookupId === undefined) {
    const column = dataset.columns[name];
    if (!column) throw fail(`the source has no column ${name}; declared: ${Object.keys(dataset.columns).join(', ')}`, path);
    return column;
  }
  const lookup = dataset.lookups.find((l) => l.id === lookupId);
  if (!lookup) throw fail(`there is no lookup ${lookupId}`, path);
  const column = lookup.columns[name];
  if (!column) throw fail(`the lookup ${lookupId} has no column ${name}`, path);
  return column;
}

function checkReferences(dataset: Dataset): void {
  const analytics = isAnalytics(dataset);
  if (dataset.lookups.length > 0 && !analytics) {
    throw fail('lookups join registry rows to analytics rows; a Postgres dataset joins in its view or SQL instead', ['lookups']);
  }
  const lookupIds = new Set<string>();
  dataset.lookups.forEach((lookup, i) => {
    if (lookupIds.has(lookup.id)) throw fail(`two lookups are called ${lookup.id}`, ['lookups', i, 'id']);
    lookupIds.add(lookup.id);
    lookup.match.forEach((pair, j) => {
      const column = columnOf(dataset, pair.column, undefined, ['lookups', i, 'match', j, 'column']);
      const other = lookup.columns[pair.lookupColumn];
      if (!other) throw fail(`declare the match column ${pair.lookupColumn} in the lookup's columns`, ['lookups', i, 'match', j, 'lookupColumn']);
      if (column.type !== other.type) throw fail(`${pair.column} (${column.type}) cannot match ${pair.lookupColumn} (${other.type})`, ['lookups', i, 'match', j]);
    });
    lookup.where.forEach((condition, j) => {
      const column = lookup.columns[condition.column];
      if (!column) throw fail(`the lookup has no column ${condition.column}`, ['lookups', i, 'where', j, 'column']);
      checkConditionValues(column.type, condition, ['lookups', i, 'where', j], 'invalid_dataset');
    });
  });

  const fields = new Map<string, 'dimension' | 'measure'>();
  dataset.dimensions.forEach((dimension, i) => {
    const path = ['dimensions', i];
    if (fields.has(dimension.id)) throw fail(`${dimension.id} is defined twice`, [...path, 'id']);
    fields.set(dimension.id, 'dimension');
    const column = columnOf(dataset, dimension.column, dimension.lookup, [...path, 'column']);
    if (dimension.grain) {
      if (dimension.lookup) throw fail('time grains apply to the source’s own time columns', [...path, 'grain']);
      if (column.type !== 'timestamp' && column.type !== 'date') throw fail(`a time grain needs a timestamp or date column, ${dimension.column} is ${column.type}`, [...path, 'grain']);
      if (column.type === 'date' && dimension.grain === 'hour') throw fail('a date column has no hours', [...path, 'grain']);
    }
  });

  const measures = new Map(dataset.measures.map((m) => [m.id, m]));
  dataset.measures.forEach((measure, i) => {
    const path = ['measures', i];
    if (fields.has(measure.id)) throw fail(`${measure.id} is defined twice (dimension and measure ids share one namespace)`, [...path, 'id']);
    fields.set(measure.id, 'measure');
    if (measure.aggregate === 'ratio') {
      for (const side of ['numerator', 'denominator'] as const) {
        const other = measures.get(measure[side]);
        if (!other) throw fail(`${side} ${measure[side]} is not a measure of this dataset`, [...path, side]);
        if (other.aggregate === 'ratio') throw fail(`${side} ${measure[side]} is itself a ratio; use its parts`, [...path, side]);
        if ((other.aggregate === 'min' || other.aggregate === 'max') && !isNumeric(columnOf(dataset, other.column, undefined, [...path, side]).type)) {
          throw fail(`${side} ${measure[side]} is not a number`, [...path, side]);
        }
      }
      return;
    }
    if (measure.aggregate === 'lookupCount') {
      const lookup = dataset.lookups.find((l) => l.id === measure.lookup);
      if (!lookup) throw fail(`there is no lookup ${measure.lookup}`, [...path, 'lookup']);
      measure.where.forEach((condition, j) => {
        const column = lookup.columns[condition.column];
        if (!column) throw fail(`the lookup has no column ${condition.column}`, [...path, 'where', j, 'column']);
        checkConditionValues(column.type, condition, [...path, 'where', j], 'invalid_dataset');
      });
      return;
    }
    if (measure.column !== undefined) {
      const column = columnOf(dataset, measure.column, undefined, [...path, 'column']);
      if ((measure.aggregate === 'sum' || measure.aggregate === 'avg') && !isNumeric(column.type)) {
        throw fail(`${measure.aggregate} needs an integer or decimal column, ${measure.column} is ${column.type}`, [...path, 'column']);
      }
      if ((measure.aggregate === 'min' || measure.aggregate === 'max') && !['integer', 'decimal', 'timestamp', 'date'].includes(column.type)) {
        throw fail(`${measure.aggregate} needs a number, date or timestamp column`, [...path, 'column']);
      }
    }
    measure.where.forEach((condition, j) => {
      const column = columnOf(dataset, condition.column, undefined, [...path, 'where', j, 'column']);
      checkConditionValues(column.type, condition, [...path, 'where', j], 'invalid_dataset');
    });
  });

  const usedInSql = new Set([
    ...(dataset.template ? templateParameters(dataset.template) : []),
    ...Object.values(dataset.lookupTemplates).flatMap(templateParameters),
  ]);
  const parameterIds = new Set<string>();
  dataset.parameters.forEach((parameter, i) => {
    const path = ['parameters', i];
    if (parameterIds.has(parameter.id)) throw fail(`${parameter.id} is defined twice`, [...path, 'id']);
    parameterIds.add(parameter.id);
    if (parameter.multiple && !['enum', 'dma', 'product', 'community'].includes(parameter.type)) {
      throw fail(`a ${parameter.type} parameter takes one value`, [...path, 'multiple']);
    }
    if (parameter.type === 'enum' && (!parameter.options || parameter.options.length === 0)) throw fail('an enum parameter lists its options', [...path, 'options']);
    if (parameter.binds) {
      const column = columnOf(dataset, parameter.binds.column, parameter.binds.lookup, [...path, 'binds', 'column']);
      const expected = boundColumnTypes[parameter.type];
      if (!expected.includes(column.type)) {
        throw fail(`a ${parameter.type} parameter filters a ${expected.join(' or ')} column; ${parameter.binds.column} is ${column.type}`, [...path, 'binds', 'column']);
      }
      if (parameter.binds.op !== undefined) {
        const allowed = parameter.type === 'number' ? ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] : parameter.type === 'text' ? ['eq', 'ne', 'contains', 'startsWith'] : [];
        if (!allowed.includes(parameter.binds.op)) throw fail(`a ${parameter.type} parameter cannot use the operator ${parameter.binds.op}`, [...path, 'binds', 'op']);
      }
      if ((parameter.type === 'dateRange' || parameter.type === 'tenantSubtree') && parameter.binds.lookup) {
        throw fail(`a ${parameter.type} parameter filters the source’s own column`, [...path, 'binds', 'lookup']);
      }
    } else if (!usedInSql.has(parameter.id)) {
      throw fail(`${parameter.id} is neither bound to a column nor used as {{param.${parameter.id}}} in the SQL`, [...path, 'binds']);
    }
    if (parameter.default !== undefined) checkParameterDefault(parameter, path);
  });
  for (const id of usedInSql) {
    if (!parameterIds.has(id)) throw fail(`the SQL uses {{param.${id}}} but the dataset has no such parameter`, ['source', 'sql']);
  }

  dataset.defaultFilters.forEach((filter, i) => {
    const path = ['defaultFilters', i];
    if ((filter.column === undefined) === (filter.dimension === undefined)) throw fail('a default filter names either a column or a dimension', path);
    if (filter.column !== undefined) {
      if (filter.overridable) throw fail('only a filter on a dimension can be overridden by a query', [...path, 'overridable']);
      checkConditionValues(columnOf(dataset, filter.column, undefined, [...path, 'column']).type, filter, path, 'invalid_dataset');
    } else {
      const dimension = dataset.dimensions.find((d) => d.id === filter.dimension);
      if (!dimension) throw fail(`there is no dimension ${filter.dimension}`, [...path, 'dimension']);
      checkConditionValues(dimensionValueType(dataset, dimension), filter, path, 'invalid_dataset');
    }
  });
}

const isNumeric = (type: ColumnType) => type === 'integer' || type === 'decimal';

const boundColumnTypes: Record<ParameterType, readonly ColumnType[]> = {
  dateRange: ['timestamp', 'date'],
  enum: ['string', 'integer', 'boolean', 'decimal'],
  tenantSubtree: ['tenantPath'],
  dma: ['string'],
  product: ['integer'],
  community: ['integer'],
  number: ['integer', 'decimal'],
  text: ['string'],
};

/**
 * The type a dimension's values have in results and filters: a time grain gives text periods
 * (`2026-03`), a bare timestamp its local wall-clock time, anything else the column's type.
 */
export function dimensionValueType(dataset: Dataset, dimension: Dimension): ColumnType {
  if (dimension.grain) return 'string';
  return columnOf(dataset, dimension.column, dimension.lookup, []).type;
}
