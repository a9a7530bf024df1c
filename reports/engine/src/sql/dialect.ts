import type { ColumnType, TypedValue } from '../dataset/values.js';
import type { TimeGrain } from '../dataset/dataset.js';
import type { PartKind } from '../measures/aggregation.js';
import type { Bound, Fragment, Piece } from './fragment.js';

/**
 * What differs between ClickHouse and PostgreSQL SQL in a compiled report query. Every method returns SQL
 * text built from fixed keywords, function names from a closed set and quoted allow-listed identifiers;
 * values only ever come in as `Bound`.
 */
export interface Dialect {
  readonly name: 'clickhouse' | 'postgres';
  /** A quoted identifier of an allow-listed name. */
  ident(name: string): string;
  /** A value bound with the parameter type of `type`. */
  bind(value: TypedValue): Bound;
  /** Several values for IN, bound one by one or as one array. */
  list(values: readonly TypedValue[]): Piece;
  /** The tenant's time zone, bound. */
  timeZone(timeZone: string): Bound;
  /** The instant a local wall-clock time (`YYYY-MM-DD HH:mm:ss`, bound) is in the time zone. */
  localInstant(local: string, timeZone: string): Fragment;
  /** A date (`YYYY-MM-DD`), bound. */
  date(day: string): Bound;
  /** A time column shown as local wall-clock text, or cut to a grain's period. */
  timeText(expression: Piece, columnType: 'timestamp' | 'date', grain: TimeGrain | undefined, timeZone: string): Fragment;
  contains(expression: Piece, value: Bound): Fragment;
  startsWith(expression: Piece, value: Bound): Fragment;
  /** `expression` lies in the tenant subtree `path` (the tenant itself or below it). */
  inSubtree(expression: Piece, path: string): Fragment;
  /** An aggregate over `expression` (undefined for count(*)), restricted to rows meeting `condition`. */
  aggregate(kind: Exclude<PartKind, 'lookupCount'>, expression: Piece | undefined, condition: Fragment | undefined): Fragment;
  /** The text a result cell is read as (exact: decimals and 64-bit integers as strings). */
  text(expression: Piece): Fragment;
  /** A min/max of a time column as local text. */
  timeAggregateText(aggregate: Fragment, columnType: 'timestamp' | 'date', timeZone: string): Fragment;
  /** The expression a text-like value is ordered by (byte order on both engines). */
  orderText(expression: Piece): Fragment;
  /** A LIMIT / OFFSET clause. */
  limit(limit: number, offset: number): Fragment;
  /** The raw type a bound value of `type` is declared with (for NULLs of absent parameters). */
  nullOf(type: ColumnType): Bound;
}
