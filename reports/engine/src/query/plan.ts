import { z } from 'zod';
import { ReportError } from '../errors.js';
import {
  type Condition,
  type Dataset,
  type Dimension,
  type FilterOperator,
  type LocalizedText,
  type Lookup,
  type Measure,
  type TimeGrain,
  checkConditionValues,
  columnOf,
  dimensionValueType,
  filterOperators,
  zodFailure,
} from '../dataset/dataset.js';
import { FIELD_ID } from '../dataset/identifiers.js';
import { type ParameterContext, type ParameterValue, resolveParameters } from '../dataset/parameter-values.js';
import type { ColumnType, TypedValue } from '../dataset/values.js';
import type { Derivation, PartKind, PartModel } from '../measures/aggregation.js';

/**
 * A report query: what a table, pivot or chart asks of a dataset. Only ids of the dataset's dimensions,
 * measures and parameters appear here; values travel as bound parameters.
 */
const scalar = z.union([z.string().max(1_000), z.number(), z.boolean()]);
const fieldId = z.string().regex(FIELD_ID, 'a dimension or measure id');
export const reportQuerySchema = z
  .object({
    /** `aggregate` groups by the dimensions; `detail` lists source rows (dimensions only, no measures). */
    kind: z.enum(['aggregate', 'detail']).default('aggregate'),
    dimensions: z.array(fieldId).max(20).default([]),
    measures: z.array(fieldId).max(50).default([]),
    parameters: z.record(z.string(), z.unknown()).optional(),
    filters: z
      .array(z.object({ field: fieldId, op: z.enum(filterOperators), value: scalar.optional(), values: z.array(scalar).max(1_000).optional() }).strict())
      .max(30)
      .default([]),
    sort: z.array(z.object({ field: fieldId, direction: z.enum(['asc', 'desc']).default('asc') }).strict()).max(10).default([]),
    limit: z.number().int().min(1).optional(),
    offset: z.number().int().min(0).max(100_000_000).default(0),
    /** Also count every row (group) the query matches, for a pager: one more query. */
    countTotal: z.boolean().default(false),
  })
  .strict();
export type ReportQuery = z.input<typeof reportQuerySchema>;

export interface PlannedDimension {
  id: string;
  label: LocalizedText;
  column: string;
  grain?: TimeGrain;
  lookup?: string;
  /** The column's own type. */
  columnType: ColumnType;
  /** The type of the dimension's values in results and filters. */
  valueType: ColumnType;
  scale: number;
}

export interface PlannedCondition {
  column: string;
  columnType: ColumnType;
  op: FilterOperator;
  values: TypedValue[];
}

export interface PlannedPart extends PartModel {
  key: string;
  column?: string;
  columnType?: ColumnType;
  where: PlannedCondition[];
  lookup?: string;
}

export interface PlannedMeasure {
  id: string;
  label: LocalizedText;
  aggregate: Measure['aggregate'];
  derivation: Derivation;
  valueType: 'decimal' | 'text';
  scale: number;
}

/** A condition on source rows (the inner WHERE). */
export type RowPredicate =
  | { kind: 'column'; condition: PlannedCondition }
  | { kind: 'dimension'; dimension: PlannedDimension; op: FilterOperator; values: TypedValue[] }
  /** Calendar days in the tenant's time zone, `to` included. */
  | { kind: 'dateRange'; column: string; columnType: 'timestamp' | 'date'; from: string; to: string }
  | { kind: 'subtree'; column: string; path: string };

export interface MeasureFilter {
  measure: PlannedMeasure;
  op: FilterOperator;
  values: TypedValue[];
}

export interface SortKey {
  field: PlannedDimension | PlannedMeasure;
  role: 'dimension' | 'measure';
  direction: 'asc' | 'desc';
}

export interface LookupPlan {
  lookup: Lookup;
  /** Conditions on the lookup's columns: its own `where`, filters on lookup dimensions, bound parameters. */
  where: PlannedCondition[];
}

export interface QueryPlan {
  dataset: Dataset;
  kind: 'aggregate' | 'detail';
  dimensions: PlannedDimension[];
  measures: PlannedMeasure[];
  parts: PlannedPart[];
  partModels: Record<string, PartModel>;
  where: RowPredicate[];
  having: MeasureFilter[];
  sort: SortKey[];
  limit: number | undefined;
  offset: number;
  countTotal: boolean;
  parameters: Map<string, ParameterValue>;
  timeZone: string;
  lookup?: LookupPlan;
  /**
   * Sorting, measure filters and paging happen in JS after derivation: a sort or filter on an average or a
   * ratio (exact only in JS), or a registry lookup (joined in JS).
   */
  finishInJs: boolean;
}

export function parseReportQuery(input: unknown): z.output<typeof reportQuerySchema> {
  const parsed = reportQuerySchema.safeParse(input);
  if (!parsed.success) throw zodFailure(parsed.error, 'invalid_query');
  return parsed.data;
}

const planDimension = (dataset: Dataset, dimension: Dimension): PlannedDimension => {
  const column = columnOf(dataset, dimension.column, dimension.lookup, []);
  return {
    id: dimension.id,
    label: dimension.label,
    column: dimension.column,
    ...(dimension.grain ? { grain: dimension.grain } : {}),
    ...(dimension.lookup ? { lookup: dimension.lookup } : {}),
    columnType: column.type,
    valueType: dimensionValueType(dataset, dimension),
    scale: column.type === 'decimal' ? (column.scale ?? 3) : 0,
  };
};

function planConditions(
  conditions: readonly Condition[],
  columns: Record<string, { type: ColumnType }>,
): PlannedCondition[] {
  return conditions.map((condition) => {
    const type = columns[condition.column]!.type;
    return { column: condition.column, columnType: type, op: condition.op, values: checkConditionValues(type, condition, [], 'invalid_dataset') };
  });
}

class PartRegistry {
  readonly parts: PlannedPart[] = [];
  add(part: Omit<PlannedPart, 'key'>): string {
    const signature = JSON.stringify({ ...part });
    const found = this.parts.find(({ key: _key, ...rest }) => JSON.stringify(rest) === signature);
    if (found) return found.key;
    const key = `p${this.parts.length}`;
    this.parts.push({ key, ...part });
    return key;
  }
}

function planMeasure(dataset: Dataset, measure: Measure, registry: PartRegistry): PlannedMeasure {
  const base = { id: measure.id, label: measure.label, aggregate: measure.aggregate };
  const part = (kind: PartKind, column: string | undefined, where: PlannedCondition[], valueType: 'decimal' | 'text', scale: number, lookup?: string) => {
    const columnType = column === undefined ? undefined : columnOf(dataset, column, lookup, []).type;
    return registry.add({ kind, ...(column !== undefined ? { column, columnType } : {}), where, valueType, scale, ...(lookup ? { lookup } : {}) });
  };
  switch (measure.aggregate) {
    case 'ratio': {
      const numerator = planMeasure(dataset, dataset.measures.find((m) => m.id === measure.numerator)!, registry);
      const denominator = planMeasure(dataset, dataset.measures.find((m) => m.id === measure.denominator)!, registry);
      return {
        ...base,
        derivation: { kind: 'ratio', numerator: numerator.derivation, denominator: denominator.derivation, multiplier: measure.multiplier, scale: measure.scale },
        valueType: 'decimal',
        scale: measure.scale,
      };
    }
    case 'lookupCount': {
      const lookup = dataset.lookups.find((l) => l.id === measure.lookup)!;
      const key = part('lookupCount', undefined, planConditions(measure.where, lookup.columns), 'decimal', 0, measure.lookup);
      return { ...base, derivation: { kind: 'part', part: key }, valueType: 'decimal', scale: 0 };
    }
    case 'count': {
      const where = planConditions(measure.where, dataset.columns);
      return { ...base, derivation: { kind: 'part', part: part('count', measure.column, where, 'decimal', 0) }, valueType: 'decimal', scale: 0 };
    }
    case 'countDistinct': {
      const where = planConditions(measure.where, dataset.columns);
      return { ...base, derivation: { kind: 'part', part: part('distinct', measure.column, where, 'decimal', 0) }, valueType: 'decimal', scale: 0 };
    }
    case 'sum':
    case 'min':
    case 'max': {
      const column = dataset.columns[measure.column]!;
      const where = planConditions(measure.where, dataset.columns);
      const numeric = column.type === 'integer' || column.type === 'decimal';
      const scale = column.type === 'decimal' ? (column.scale ?? 3) : 0;
      const key = part(measure.aggregate, measure.column, where, numeric ? 'decimal' : 'text', scale);
      return { ...base, derivation: { kind: 'part', part: key }, valueType: numeric ? 'decimal' : 'text', scale };
    }
    case 'avg': {
      const column = dataset.columns[measure.column]!;
      const where = planConditions(measure.where, dataset.columns);
      const columnScale = column.type === 'decimal' ? (column.scale ?? 3) : 0;
      const scale = measure.scale ?? Math.max(columnScale, 2);
      const sum = part('sum', measure.column, where, 'decimal', columnScale);
      const count = part('count', measure.column, where, 'decimal', 0);
      return { ...base, derivation: { kind: 'avg', sum, count, scale }, valueType: 'decimal', scale };
    }
  }
}

/**
 * Checks a query against its dataset and the caller's context and turns it into a plan both compilers
 * read. Every unknown id, wrong value and missing parameter throws here, with its path, before any SQL
 * is written.
 */
export function planQuery(dataset: Dataset, input: unknown, context: ParameterContext): QueryPlan {
  const query = parseReportQuery(input);
  const parameters = resolveParameters(dataset, query.parameters, context);

  const dimensionById = new Map(dataset.dimensions.map((d) => [d.id, d]));
  const measureById = new Map(dataset.measures.map((m) => [m.id, m]));
  const unknown = (what: string, id: string, path: (string | number)[]) => {
    const known = what === 'dimension' ? [...dimensionById.keys()] : what === 'measure' ? [...measureById.keys()] : [...dimensionById.keys(), ...measureById.keys()];
    return new ReportError('unknown_field', `the dataset ${dataset.id} has no ${what} ${id}; it has ${known.join(', ') || 'none'}`, path);
  };

  const seen = new Set<string>();
  const dimensions = query.dimensions.map((id, i) => {
    const dimension = dimensionById.get(id);
    if (!dimension) throw unknown('dimension', id, ['dimensions', i]);
    if (seen.has(id)) throw new ReportError('invalid_query', `${id} is asked for twice`, ['dimensions', i]);
    seen.add(id);
    return planDimension(dataset, dimension);
  });

  if (query.kind === 'detail' && query.measures.length > 0) {
    throw new ReportError('invalid_query', 'a detail query lists source rows: choose dimensions only, no measures', ['measures']);
  }
  if (query.kind === 'detail' && dimensions.length === 0) throw new ReportError('invalid_query', 'a detail query needs at least one dimension', ['dimensions']);

  const registry = new PartRegistry();
  const measures = query.measures.map((id, i) => {
    const measure = measureById.get(id);
    if (!measure) throw unknown('measure', id, ['measures', i]);
    if (seen.has(id)) throw new ReportError('invalid_query', `${id} is asked for twice`, ['measures', i]);
    seen.add(id);
    return planMeasure(dataset, measure, registry);
  });

  const where: RowPredicate[] = [];
  const lookupWhere: PlannedCondition[] = [];
  let usesLookup = dimensions.some((d) => d.lookup) || registry.parts.some((p) => p.kind === 'lookupCount');

  for (const filter of dataset.defaultFilters) {
    if (filter.column !== undefined) {
      const type = dataset.columns[filter.column]!.type;
      where.push({ kind: 'column', condition: { column: filter.column, columnType: type, op: filter.op, values: checkConditionValues(type, filter, [], 'invalid_dataset') } });
      continue;
    }
    if (filter.overridable && query.filters.some((f) => f.field === filter.dimension)) continue;
    const dimension = planDimension(dataset, dimensionById.get(filter.dimension!)!);
    const values = checkConditionValues(dimension.valueType, filter, [], 'invalid_dataset');
    if (dimension.lookup) {
      usesLookup = true;
      lookupWhere.push({ column: dimension.column, columnType: dimension.columnType, op: filter.op, values });
    } else where.push({ kind: 'dimension', dimension, op: filter.op, values });
  }

  const having: MeasureFilter[] = [];
  query.filters.forEach((filter, i) => {
    const path = ['filters', i];
    const dimension = dimensionById.get(filter.field);
    if (dimension) {
      const planned = planDimension(dataset, dimension);
      const values = checkConditionValues(planned.valueType, filter, path, 'invalid_parameter');
      if (planned.lookup) {
        usesLookup = true;
        lookupWhere.push({ column: planned.column, columnType: planned.columnType, op: filter.op, values });
      } else where.push({ kind: 'dimension', dimension: planned, op: filter.op, values });
      return;
    }
    const measure = measures.find((m) => m.id === filter.field);
    if (!measure) {
      if (measureById.has(filter.field)) throw new ReportError('invalid_query', `filter on ${filter.field}: filter on a measure the query selects`, [...path, 'field']);
      throw unknown('dimension or measure', filter.field, [...path, 'field']);
    }
    if (measure.valueType !== 'decimal') throw new ReportError('invalid_query', `${measure.id} is not a number and cannot be filtered`, [...path, 'field']);
    if (query.kind === 'detail') throw new ReportError('invalid_query', 'a detail query has no measures to filter', path);
    having.push({ measure, op: filter.op, values: checkConditionValues('decimal', filter, path, 'invalid_parameter') });
  });

  for (const parameter of dataset.parameters) {
    const value = parameters.get(parameter.id);
    if (!value || !parameter.binds) continue;
    const { column: name, lookup } = parameter.binds;
    const columnType = columnOf(dataset, name, lookup, []).type;
    if (value.kind === 'dateRange') {
      where.push({ kind: 'dateRange', column: name, columnType: columnType as 'timestamp' | 'date', from: value.from, to: value.to });
      continue;
    }
    if (parameter.type === 'tenantSubtree' && value.kind === 'single') {
      where.push({ kind: 'subtree', column: name, path: value.value.value as string });
      continue;
    }
    const condition: PlannedCondition =
      value.kind === 'list'
        ? { column: name, columnType, op: 'in', values: value.values }
        : { column: name, columnType, op: parameter.binds.op ?? 'eq', values: [value.value] };
    if (lookup) {
      usesLookup = true;
      lookupWhere.push(condition);
    } else where.push({ kind: 'column', condition });
  }

  const lookupDefinition = dataset.lookups[0];
  if (lookupDefinition?.always) usesLookup = true;
  let lookup: LookupPlan | undefined;
  if (usesLookup && lookupDefinition) {
    if (query.kind === 'detail') throw new ReportError('invalid_query', 'a detail query lists source rows and cannot use registry lookups', ['dimensions']);
    lookup = { lookup: lookupDefinition, where: [...planConditions(lookupDefinition.where, lookupDefinition.columns), ...lookupWhere] };
    const keyColumns = new Set(lookupDefinition.match.map((m) => m.column));
    for (const part of registry.parts) {
      if (part.kind === 'distinct' && !keyColumns.has(part.column!)) {
        throw new ReportError(
          'measure_not_supported',
          `count distinct of ${part.column} cannot be combined across the registry lookup; count distinct ${[...keyColumns].join(' or ')} instead`,
          ['measures'],
        );
      }
    }
  }

  const sort: SortKey[] = query.sort.map((key, i) => {
    const dimension = dimensions.find((d) => d.id === key.field);
    if (dimension) return { field: dimension, role: 'dimension', direction: key.direction };
    const measure = measures.find((m) => m.id === key.field);
    if (measure) return { field: measure, role: 'measure', direction: key.direction };
    if (dimensionById.has(key.field) || measureById.has(key.field)) {
      throw new ReportError('invalid_query', `sort by ${key.field}: sort by a dimension or measure the query selects`, ['sort', i, 'field']);
    }
    throw unknown('dimension or measure', key.field, ['sort', i, 'field']);
  });

  const partModels = Object.fromEntries(registry.parts.map((p) => [p.key, { kind: p.kind, valueType: p.valueType, scale: p.scale }]));
  const derivedSort = sort.some((s) => s.role === 'measure' && (s.field as PlannedMeasure).derivation.kind !== 'part');
  const derivedFilter = having.some((h) => h.measure.derivation.kind !== 'part');

  return {
    dataset,
    kind: query.kind,
    dimensions,
    measures,
    parts: registry.parts,
    partModels,
    where,
    having,
    sort,
    limit: query.limit,
    offset: query.offset,
    countTotal: query.countTotal,
    parameters,
    timeZone: context.timeZone,
    ...(lookup ? { lookup } : {}),
    finishInJs: derivedSort || derivedFilter || lookup !== undefined,
  };
}
