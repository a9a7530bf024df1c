import { addDays } from '../calendar.js';
import type { Dataset, FilterOperator } from '../dataset/dataset.js';
import type { ParameterValue } from '../dataset/parameter-values.js';
import type { ColumnType, TypedValue } from '../dataset/values.js';
import { ReportError } from '../errors.js';
import type { PlannedCondition, PlannedDimension, PlannedPart, QueryPlan, RowPredicate } from '../query/plan.js';
import type { Dialect } from './dialect.js';
import { type Fragment, type Piece, f, join } from './fragment.js';
import type { RawSqlTemplate } from './raw-sql.js';

/**
 * Compiles a query plan into one SELECT:
 *
 *   SELECT <dimension texts> AS o0…, <part aggregates> AS p0…
 *   FROM (SELECT <dimension expressions> AS d0…, <columns> AS c0… FROM <source> AS q WHERE <row filters>) AS r
 *   GROUP BY r.d0… HAVING … ORDER BY … LIMIT … OFFSET …
 *
 * The inner SELECT computes each dimension once (a time grain in the tenant's zone, say), so the outer
 * one groups and sorts by plain columns: PostgreSQL would not match two copies of an expression with
 * bound parameters in GROUP BY. Names come from the dataset (allow-listed, quoted); values are bound.
 */
export interface CompileOptions {
  /** Rows to fetch (the engine asks for one more than it returns, to see whether more exist). */
  limit: number;
  offset: number;
  /** Leave ORDER BY out (JS sorts after deriving measures). */
  unordered?: boolean;
  /** Extra grouping columns (a lookup's match columns), output as k0, k1 … */
  keys?: readonly { column: string; type: ColumnType }[];
  /** Extra row conditions on key columns (the lookup's keys of one slice). */
  keyFilter?: { column: string; values: readonly TypedValue[] }[];
  /** Count the matching rows (groups) instead of returning them. */
  count?: boolean;
}

export interface CompiledColumns {
  dimensions: { id: string; alias: string }[];
  parts: { key: string; alias: string }[];
  keys: { column: string; alias: string }[];
}

export interface CompiledSelect {
  fragment: Fragment;
  columns: CompiledColumns;
}

const comparison: Partial<Record<FilterOperator, string>> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** `expression <op> values`, values bound with `bindAs` (instants for raw timestamp columns). */
function compare(dialect: Dialect, expression: Piece, op: FilterOperator, values: readonly TypedValue[], timeZone: string, instant: boolean): Fragment {
  const value = (v: TypedValue): Piece => (instant ? dialect.localInstant(normalLocal(v.value as string), timeZone) : dialect.bind(v));
  switch (op) {
    case 'isNull':
      return f`(${expression} IS NULL)`;
    case 'notNull':
      return f`(${expression} IS NOT NULL)`;
    case 'in':
      return f`(${expression} IN ${instant ? f`(${join(values.map(value), ', ')})` : dialect.list(values)})`;
    case 'notIn':
      return f`(${expression} NOT IN ${instant ? f`(${join(values.map(value), ', ')})` : dialect.list(values)})`;
    case 'between':
      return f`(${expression} BETWEEN ${value(values[0]!)} AND ${value(values[1]!)})`;
    case 'contains':
      return dialect.contains(expression, dialect.bind(values[0]!));
    case 'startsWith':
      return dialect.startsWith(expression, dialect.bind(values[0]!));
    default:
      return f`(${expression} ${comparison[op]!} ${value(values[0]!)})`;
  }
}

/** `YYYY-MM-DD[ HH:mm[:ss]]` → `YYYY-MM-DD HH:mm:ss`. */
function normalLocal(local: string): string {
  if (local.length === 10) return `${local} 00:00:00`;
  if (local.length === 16) return `${local}:00`;
  return local;
}

/** A condition on a column; timestamp columns compare with the instants their local-time values name. */
function conditionOn(dialect: Dialect, expression: Piece, condition: PlannedCondition, timeZone: string): Fragment {
  return compare(dialect, expression, condition.op, condition.values, timeZone, condition.columnType === 'timestamp');
}

/** A dimension's value computed from the source row `q`. */
export function dimensionExpression(dialect: Dialect, dimension: PlannedDimension, timeZone: string, row = 'q'): Fragment {
  const column = `${row}.${dialect.ident(dimension.column)}`;
  if (dimension.columnType === 'timestamp' || dimension.columnType === 'date') {
    return dialect.timeText(column, dimension.columnType, dimension.grain, timeZone);
  }
  return f`${column}`;
}

function rowPredicate(dialect: Dialect, predicate: RowPredicate, timeZone: string): Fragment {
  switch (predicate.kind) {
    case 'column':
      return conditionOn(dialect, `q.${dialect.ident(predicate.condition.column)}`, predicate.condition, timeZone);
    case 'dimension':
      // Time dimensions compare as the text they show (`2026-03-02`, `2026-03`), which sorts as time does.
      return compare(dialect, dimensionExpression(dialect, predicate.dimension, timeZone), predicate.op, predicate.values.map(asShown(predicate.dimension)), timeZone, false);
    case 'dateRange': {
      const column = `q.${dialect.ident(predicate.column)}`;
      if (predicate.columnType === 'date') return f`(${column} >= ${dialect.date(predicate.from)} AND ${column} <= ${dialect.date(predicate.to)})`;
      return f`(${column} >= ${dialect.localInstant(`${predicate.from} 00:00:00`, timeZone)} AND ${column} < ${dialect.localInstant(`${addDays(predicate.to, 1)} 00:00:00`, timeZone)})`;
    }
    case 'subtree':
      return dialect.inSubtree(`q.${dialect.ident(predicate.column)}`, predicate.path);
  }
}

const asShown = (dimension: PlannedDimension) => (value: TypedValue): TypedValue =>
  dimension.columnType === 'timestamp' || dimension.columnType === 'date' ? { type: 'string', value: String(value.value) } : value;

/** The raw SQL of a dataset or lookup with its placeholders bound. */
export function renderTemplate(
  dialect: Dialect,
  template: RawSqlTemplate,
  dataset: Dataset,
  parameters: ReadonlyMap<string, ParameterValue>,
  timeZone: string,
): Fragment {
  const pieces: Piece[] = [];
  for (const segment of template.segments) {
    if ('text' in segment) {
      pieces.push(segment.text);
      continue;
    }
    const placeholder = segment.placeholder;
    if (placeholder.kind === 'table') pieces.push(`{{${placeholder.name}}}`);
    else if (placeholder.kind === 'timeZone') pieces.push(dialect.timeZone(timeZone));
    else {
      const parameter = dataset.parameters.find((p) => p.id === placeholder.id)!;
      const value = parameters.get(placeholder.id);
      if (parameter.type === 'dateRange') {
        if (!placeholder.part) throw new ReportError('invalid_dataset', `use {{param.${parameter.id}.from}}, .to, .start or .end for a date range`, ['source', 'sql']);
        if (!value || value.kind !== 'dateRange') {
          pieces.push(placeholder.part === 'from' || placeholder.part === 'to' ? dialect.nullOf('date') : f`NULL`);
        } else if (placeholder.part === 'from' || placeholder.part === 'to') {
          pieces.push(dialect.date(value[placeholder.part]));
        } else {
          const day = placeholder.part === 'start' ? value.from : addDays(value.to, 1);
          pieces.push(dialect.localInstant(`${day} 00:00:00`, timeZone));
        }
        continue;
      }
      if (placeholder.part) throw new ReportError('invalid_dataset', `{{param.${parameter.id}.${placeholder.part}}}: only date ranges have parts`, ['source', 'sql']);
      if (!value) pieces.push(dialect.nullOf(parameter.type === 'product' || parameter.type === 'community' ? 'integer' : parameter.type === 'number' ? 'decimal' : 'string'));
      else if (value.kind === 'list') pieces.push(dialect.list(value.values));
      else if (value.kind === 'single') pieces.push(dialect.bind(value.value));
    }
  }
  return f`${join(pieces, '')}`;
}

/** The FROM item of a dataset: a logical table, a relation, or the wrapped raw SQL. */
export function sourceFragment(dialect: Dialect, dataset: Dataset, parameters: ReadonlyMap<string, ParameterValue>, timeZone: string): Fragment {
  const source = dataset.source;
  switch (source.kind) {
    case 'analytics':
      return f`${`{{${source.table}}}`}`;
    case 'postgres':
      return f`${dialect.ident(source.relation)}`;
    case 'analytics-sql':
    case 'postgres-sql':
      // The line breaks keep a trailing -- comment in the SQL from reaching the wrapper.
      return f`(\n${renderTemplate(dialect, dataset.template!, dataset, parameters, timeZone)}\n)`;
  }
}

function partExpression(dialect: Dialect, part: PlannedPart, columnAlias: (name: string) => string, timeZone: string): Fragment {
  const condition = part.where.length > 0 ? join(part.where.map((c) => conditionOn(dialect, `r.${columnAlias(c.column)}`, c, timeZone)), ' AND ') : undefined;
  const expression = part.column === undefined ? undefined : `r.${columnAlias(part.column)}`;
  return dialect.aggregate(part.kind as Exclude<typeof part.kind, 'lookupCount'>, expression, condition ? f`(${condition})` : undefined);
}

export function compileSelect(dialect: Dialect, plan: QueryPlan, options: CompileOptions): CompiledSelect {
  const tz = plan.timeZone;
  const native = plan.dimensions.filter((d) => !d.lookup);
  const sqlParts = plan.parts.filter((p) => p.kind !== 'lookupCount');
  const keys = options.keys ?? [];

  // Source columns the aggregates read, each projected once as c<n>.
  const columnAliases = new Map<string, string>();
  const columnAlias = (name: string) => {
    let alias = columnAliases.get(name);
    if (!alias) {
      alias = `c${columnAliases.size}`;
      columnAliases.set(name, alias);
    }
    return alias;
  };
  for (const part of sqlParts) {
    if (part.column !== undefined) columnAlias(part.column);
    for (const condition of part.where) columnAlias(condition.column);
  }

  const inner: Piece[] = [
    ...native.map((d, i) => f`${dimensionExpression(dialect, d, tz)} AS d${String(i)}`),
    ...keys.map((k, i) => f`q.${dialect.ident(k.column)} AS k${String(i)}`),
    ...[...columnAliases].map(([name, alias]) => f`q.${dialect.ident(name)} AS ${alias}`),
  ];
  if (inner.length === 0) inner.push('1 AS one');

  const where: Fragment[] = plan.where.map((p) => rowPredicate(dialect, p, tz));
  for (const filter of options.keyFilter ?? []) {
    if (filter.values.length === 0) where.push(f`(1 = 0)`);
    else where.push(f`(q.${dialect.ident(filter.column)} IN ${dialect.list(filter.values)})`);
  }
  const innerSql = f`SELECT ${join(inner, ', ')} FROM ${sourceFragment(dialect, plan.dataset, plan.parameters, tz)} AS q${where.length > 0 ? f` WHERE ${join(where, ' AND ')}` : f``}`;

  const aggregate = plan.kind === 'aggregate';
  const columns: CompiledColumns = {
    dimensions: native.map((d, i) => ({ id: d.id, alias: `o${i}` })),
    parts: aggregate ? sqlParts.map((p, i) => ({ key: p.key, alias: `p${i}` })) : [],
    keys: keys.map((k, i) => ({ column: k.column, alias: `ok${i}` })),
  };
  const typedPart = (key: string) => partExpression(dialect, sqlParts.find((p) => p.key === key)!, columnAlias, tz);
  const partText = (part: PlannedPart) => {
    const typed = typedPart(part.key);
    if (part.valueType === 'text') return dialect.timeAggregateText(typed, part.columnType as 'timestamp' | 'date', tz);
    return dialect.text(typed);
  };
  const outer: Piece[] = [
    ...native.map((_, i) => f`${dialect.text(`r.d${String(i)}`)} AS o${String(i)}`),
    ...keys.map((_, i) => f`${dialect.text(`r.k${String(i)}`)} AS ok${String(i)}`),
    ...(aggregate ? sqlParts.map((p, i) => f`${partText(p)} AS p${String(i)}`) : []),
  ];
  if (outer.length === 0) outer.push('1 AS one');

  const groupBy = [...native.map((_, i) => `r.d${i}`), ...keys.map((_, i) => `r.k${i}`)];
  const having = aggregate && !plan.finishInJs ? plan.having.map((h) => {
    const part = (h.measure.derivation as { part: string }).part;
    return compare(dialect, typedPart(part), h.op, h.values, tz, false);
  }) : [];

  let statement = f`SELECT ${join(outer, ', ')} FROM (${innerSql}) AS r`;
  if (aggregate && groupBy.length > 0) statement = f`${statement} GROUP BY ${groupBy.join(', ')}`;
  if (having.length > 0) statement = f`${statement} HAVING ${join(having, ' AND ')}`;

  if (options.count) {
    const counted = dialect.name === 'clickhouse' ? 'toString(count())' : 'count(*)::text';
    return { fragment: f`SELECT ${counted} AS n FROM (${statement}) AS t`, columns };
  }

  if (!options.unordered) {
    const order: Fragment[] = [];
    const ordered = new Set<string>();
    const byDimension = (d: PlannedDimension, direction: 'asc' | 'desc') => {
      const i = native.indexOf(d);
      const expression = d.valueType === 'string' || d.valueType === 'tenantPath' || d.valueType === 'timestamp' || d.valueType === 'date' ? dialect.orderText(`r.d${i}`) : f`r.d${String(i)}`;
      ordered.add(d.id);
      return f`${expression} ${direction === 'asc' ? 'ASC' : 'DESC'} NULLS LAST`;
    };
    for (const key of plan.sort) {
      if (key.role === 'dimension') order.push(byDimension(key.field as PlannedDimension, key.direction));
      else {
        const derivation = (key.field as { derivation: { kind: string; part?: string } }).derivation;
        order.push(f`${typedPart(derivation.part!)} ${key.direction === 'asc' ? 'ASC' : 'DESC'} NULLS LAST`);
      }
    }
    // The remaining dimensions break ties, so pages never overlap.
    for (const d of native) if (!ordered.has(d.id)) order.push(byDimension(d, 'asc'));
    if (order.length > 0) statement = f`${statement} ORDER BY ${join(order, ', ')}`;
  }
  statement = f`${statement} ${dialect.limit(options.limit, options.offset)}`;
  return { fragment: statement, columns };
}

/** The lookup rows of one run: match keys, the lookup dimensions' values, and a 0/1 per lookup-count part. */
export function compileLookupSelect(
  dialect: Dialect,
  plan: QueryPlan,
  limit: number,
): { fragment: Fragment; keys: string[]; dimensions: { id: string; alias: string }[]; flags: { key: string; alias: string }[] } {
  const { lookup, where } = plan.lookup!;
  const tz = plan.timeZone;
  const template = plan.dataset.lookupTemplates[lookup.id];
  const source = template ? f`(\n${renderTemplate(dialect, template, plan.dataset, plan.parameters, tz)}\n)` : f`${dialect.ident((lookup.source as { relation: string }).relation)}`;
  const dims = plan.dimensions.filter((d) => d.lookup === lookup.id);
  const flags = plan.parts.filter((p) => p.kind === 'lookupCount');
  const select: Piece[] = [
    ...lookup.match.map((m, i) => f`${dialect.text(`q.${dialect.ident(m.lookupColumn)}`)} AS k${String(i)}`),
    ...dims.map((d, i) => f`${dialect.text(`q.${dialect.ident(d.column)}`)} AS l${String(i)}`),
    ...flags.map((p, i) =>
      p.where.length === 0
        ? f`'1' AS f${String(i)}`
        : f`CASE WHEN ${join(p.where.map((c) => conditionOn(dialect, `q.${dialect.ident(c.column)}`, c, tz)), ' AND ')} THEN '1' ELSE '0' END AS f${String(i)}`,
    ),
  ];
  const conditions = where.map((c) => conditionOn(dialect, `q.${dialect.ident(c.column)}`, c, tz));
  const fragment = f`SELECT ${join(select, ', ')} FROM ${source} AS q${conditions.length > 0 ? f` WHERE ${join(conditions, ' AND ')}` : f``} ${dialect.limit(limit, 0)}`;
  return {
    fragment,
    keys: lookup.match.map((_, i) => `k${i}`),
    dimensions: dims.map((d, i) => ({ id: d.id, alias: `l${i}` })),
    flags: flags.map((p, i) => ({ key: p.key, alias: `f${i}` })),
  };
}

