import { z } from 'zod';
import { zodFailure } from '../dataset/dataset.js';
import { FIELD_ID } from '../dataset/identifiers.js';
import { ReportError } from '../errors.js';
import type { Cell, LevelResults, ReportResult, ResultColumn, ResultRow } from '../engine/result.js';
import { totalOf } from './totals.js';

export const groupedTableSpecSchema = z
  .object({
    /** The leading dimensions of the query to subtotal by, outermost first. */
    groupBy: z.array(z.string().regex(FIELD_ID)).max(10),
    grandTotal: z.boolean().default(true),
  })
  .strict();
export type GroupedTableSpec = z.input<typeof groupedTableSpecSchema>;

export interface GroupedTableRow {
  /** `row`: a result row; `subtotal`: the rows above it sharing the first `level` group dimensions; `total`: all rows. */
  kind: 'row' | 'subtotal' | 'total';
  level: number;
  values: ResultRow;
}

export interface GroupedTable {
  columns: ResultColumn[];
  groupBy: string[];
  rows: GroupedTableRow[];
}

function parseSpec(spec: GroupedTableSpec, result: ReportResult) {
  const parsed = groupedTableSpecSchema.safeParse(spec);
  if (!parsed.success) throw zodFailure(parsed.error, 'invalid_query', ['table']);
  const dimensions = result.columns.filter((c) => c.role === 'dimension').map((c) => c.id);
  parsed.data.groupBy.forEach((id, i) => {
    if (dimensions[i] !== id) {
      throw new ReportError('invalid_query', `groupBy lists the query's leading dimensions in order (${dimensions.slice(0, parsed.data.groupBy.length).join(', ')})`, ['table', 'groupBy', i]);
    }
  });
  return parsed.data;
}

/** The coarser grains a grouped table's totals are read at: each groupBy prefix, and none for the grand total. */
export function groupedTableLevels(spec: GroupedTableSpec): string[][] {
  const groupBy = spec.groupBy ?? [];
  const levels: string[][] = [];
  for (let k = groupBy.length; k >= 1; k -= 1) levels.push(groupBy.slice(0, k));
  if (spec.grandTotal !== false) levels.push([]);
  return levels;
}

/**
 * A grouped table: the result's rows, kept together by their group dimensions (in order of first
 * appearance, so the query's sort order holds inside and between groups), with a subtotal after each
 * group at each level (innermost first) and a grand total at the end. Totals are exact: additive
 * measures re-aggregate the rows' parts, the rest come from `levels` (see ReportEngine.levels).
 */
export function groupedTable(result: ReportResult, spec: GroupedTableSpec, levels?: LevelResults): GroupedTable {
  if (result.kind !== 'aggregate') throw new ReportError('invalid_query', 'subtotals need an aggregate query', ['table']);
  const { groupBy, grandTotal } = parseSpec(spec, result);
  const depth = groupBy.length;
  const dimensionIds = result.columns.filter((c) => c.role === 'dimension').map((c) => c.id);
  const prefixKey = (row: ResultRow, k: number) => JSON.stringify(groupBy.slice(0, k).map((d) => row[d] ?? null));

  // Stable grouping: order groups by first appearance at every level.
  const firstSeen = new Map<string, number>();
  result.rows.forEach((row, i) => {
    for (let k = 1; k <= depth; k += 1) {
      const key = `${k}:${prefixKey(row, k)}`;
      if (!firstSeen.has(key)) firstSeen.set(key, i);
    }
  });
  const order = result.rows.map((_, i) => i);
  order.sort((a, b) => {
    for (let k = 1; k <= depth; k += 1) {
      const x = firstSeen.get(`${k}:${prefixKey(result.rows[a]!, k)}`)!;
      const y = firstSeen.get(`${k}:${prefixKey(result.rows[b]!, k)}`)!;
      if (x !== y) return x - y;
    }
    return a - b;
  });

  const rows: GroupedTableRow[] = [];
  const subtotal = (members: number[], k: number): GroupedTableRow => {
    const sample = result.rows[members[0]!]!;
    const grain: Record<string, Cell> = Object.fromEntries(groupBy.slice(0, k).map((d) => [d, sample[d] ?? null]));
    const values: ResultRow = {};
    for (const d of dimensionIds) values[d] = d in grain ? grain[d]! : null;
    return { kind: k === 0 ? 'total' : 'subtotal', level: k, values: { ...values, ...totalOf(result, members, grain, levels) } };
  };

  const open: number[][] = Array.from({ length: depth + 1 }, () => []);
  order.forEach((index, position) => {
    const row = result.rows[index]!;
    rows.push({ kind: 'row', level: depth, values: row });
    for (let k = 0; k <= depth; k += 1) open[k]!.push(index);
    const next = position + 1 < order.length ? result.rows[order[position + 1]!]! : undefined;
    // Close the groups that end here, innermost first.
    for (let k = depth; k >= 1; k -= 1) {
      if (next === undefined || prefixKey(next, k) !== prefixKey(row, k)) {
        rows.push(subtotal(open[k]!, k));
        open[k] = [];
      }
    }
  });
  if (grandTotal && result.rows.length > 0) rows.push(subtotal(open[0]!, 0));
  return { columns: result.columns, groupBy, rows };
}
