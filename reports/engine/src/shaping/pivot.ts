import { z } from 'zod';
import { zodFailure } from '../dataset/dataset.js';
import { FIELD_ID } from '../dataset/identifiers.js';
import { compareDecimals } from '../decimal.js';
import { ReportError } from '../errors.js';
import type { Cell, LevelResults, ReportResult, ResultColumn } from '../engine/result.js';
import { totalOf } from './totals.js';

export const pivotSpecSchema = z
  .object({
    rows: z.array(z.string().regex(FIELD_ID)).min(1).max(5),
    columns: z.array(z.string().regex(FIELD_ID)).min(1).max(3),
    /** Measures shown in each cell; all of the query's by default. */
    measures: z.array(z.string().regex(FIELD_ID)).max(20).optional(),
  })
  .strict();
export type PivotSpec = z.input<typeof pivotSpecSchema>;

export interface PivotTable {
  rowDimensions: ResultColumn[];
  columnDimensions: ResultColumn[];
  measures: ResultColumn[];
  /** Row headers: one tuple of row-dimension values per row, in natural order (numbers as numbers, nulls last). */
  rows: Cell[][];
  /** Column headers, likewise. */
  columns: Cell[][];
  /** cells[row][column][measure]; null where no data. */
  cells: Cell[][][];
  /** Per row, each measure over all columns. */
  rowTotals: Cell[][];
  /** Per column, each measure over all rows. */
  columnTotals: Cell[][];
  grandTotal: Cell[];
}

/** The grains a pivot's totals are read at when a measure does not add up. */
export function pivotLevels(spec: PivotSpec): string[][] {
  return [spec.rows, spec.columns, []];
}

function compareTuples(a: Cell[], b: Cell[], numeric: boolean[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const order = numeric[i] ? compareDecimals(x, y) : x < y ? -1 : 1;
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * A cross-tab of an aggregate result: row and column headers are the distinct tuples of the row and
 * column dimensions, each cell the measures of the matching result row. Row, column and grand totals are
 * exact (see totalOf).
 */
export function pivotTable(result: ReportResult, spec: PivotSpec, levels?: LevelResults): PivotTable {
  const parsed = pivotSpecSchema.safeParse(spec);
  if (!parsed.success) throw zodFailure(parsed.error, 'invalid_query', ['pivot']);
  if (result.kind !== 'aggregate') throw new ReportError('invalid_query', 'a pivot needs an aggregate query', ['pivot']);
  const byId = new Map(result.columns.map((c) => [c.id, c]));
  const dimension = (id: string, path: (string | number)[]) => {
    const column = byId.get(id);
    if (!column || column.role !== 'dimension') throw new ReportError('unknown_field', `${id} is not a dimension of the query`, path);
    return column;
  };
  const rowDimensions = parsed.data.rows.map((id, i) => dimension(id, ['pivot', 'rows', i]));
  const columnDimensions = parsed.data.columns.map((id, i) => dimension(id, ['pivot', 'columns', i]));
  const measureIds = parsed.data.measures ?? result.columns.filter((c) => c.role === 'measure').map((c) => c.id);
  const measures = measureIds.map((id, i) => {
    const column = byId.get(id);
    if (!column || column.role !== 'measure') throw new ReportError('unknown_field', `${id} is not a measure of the query`, ['pivot', 'measures', i]);
    return column;
  });
  const queryDimensions = result.columns.filter((c) => c.role === 'dimension').map((c) => c.id);
  const pivotDimensions = [...parsed.data.rows, ...parsed.data.columns];
  if (queryDimensions.length !== pivotDimensions.length || !queryDimensions.every((d) => pivotDimensions.includes(d))) {
    throw new ReportError('invalid_query', 'the pivot’s rows and columns are exactly the query’s dimensions', ['pivot']);
  }

  const tupleOf = (ids: string[], i: number) => ids.map((id) => result.rows[i]![id] ?? null);
  const distinct = (ids: string[], dims: ResultColumn[]) => {
    const seen = new Map<string, Cell[]>();
    result.rows.forEach((_, i) => {
      const tuple = tupleOf(ids, i);
      seen.set(JSON.stringify(tuple), tuple);
    });
    const numeric = dims.map((d) => d.type === 'integer' || d.type === 'decimal');
    return [...seen.values()].sort((a, b) => compareTuples(a, b, numeric));
  };
  const rowTuples = distinct(parsed.data.rows, rowDimensions);
  const columnTuples = distinct(parsed.data.columns, columnDimensions);
  const rowIndex = new Map(rowTuples.map((t, i) => [JSON.stringify(t), i]));
  const columnIndex = new Map(columnTuples.map((t, i) => [JSON.stringify(t), i]));

  const cells: Cell[][][] = rowTuples.map(() => columnTuples.map(() => measures.map(() => null)));
  const rowMembers: number[][] = rowTuples.map(() => []);
  const columnMembers: number[][] = columnTuples.map(() => []);
  result.rows.forEach((row, i) => {
    const r = rowIndex.get(JSON.stringify(tupleOf(parsed.data.rows, i)))!;
    const c = columnIndex.get(JSON.stringify(tupleOf(parsed.data.columns, i)))!;
    cells[r]![c] = measures.map((m) => row[m.id] ?? null);
    rowMembers[r]!.push(i);
    columnMembers[c]!.push(i);
  });

  const grain = (ids: string[], tuple: Cell[]) => Object.fromEntries(ids.map((id, i) => [id, tuple[i] ?? null]));
  const pick = (values: Record<string, Cell>) => measures.map((m) => values[m.id] ?? null);
  return {
    rowDimensions,
    columnDimensions,
    measures,
    rows: rowTuples,
    columns: columnTuples,
    cells,
    rowTotals: rowTuples.map((t, r) => pick(totalOf(result, rowMembers[r]!, grain(parsed.data.rows, t), levels))),
    columnTotals: columnTuples.map((t, c) => pick(totalOf(result, columnMembers[c]!, grain(parsed.data.columns, t), levels))),
    grandTotal: result.rows.length === 0 ? measures.map(() => null) : pick(totalOf(result, result.rows.map((_, i) => i), {}, levels)),
  };
}
