import type { Cell, ResultRow } from '@shuiyun/reports';
import { type ExportColumn, type Label, type Locale, labelText } from './columns.js';
import { ExportError } from './errors.js';

/**
 * A row of a subtotal or grand total: written in bold (xlsx, PDF). A class, so a row of the result can
 * never be mistaken for one whatever its column ids are.
 */
export class EmphasizedRow {
  constructor(
    readonly emphasis: 'subtotal' | 'total',
    readonly values: ResultRow | readonly Cell[],
    /** For subtotals, how many group dimensions the group shares (1 = outermost). */
    readonly level = 0,
  ) {}
}

/**
 * One row: cells in column order, or a record keyed by column id (the engine's `ResultRow`), or a
 * subtotal/total row wrapping either.
 */
export type ExportRow = ResultRow | readonly Cell[] | EmphasizedRow;
/** Rows come in batches, as the engine pages or a database cursor hands them out. */
export type RowBatch = readonly ExportRow[];
export type RowSource = AsyncIterable<RowBatch> | Iterable<RowBatch>;

/** A header cell of a multi-level header; `row` and `column` count from 0. */
export interface HeaderCell {
  text: Label;
  row: number;
  column: number;
  rowSpan?: number;
  columnSpan?: number;
}

export interface SheetHeader {
  rows: number;
  cells: readonly HeaderCell[];
}

/** What an exporter writes: columns, an optional multi-level header, and the rows, read once. */
export interface ExportSheet {
  /** The worksheet's name (xlsx); default 报表 / Report. */
  name?: Label;
  columns: readonly ExportColumn[];
  /** Default: one header row with each column's label. */
  header?: SheetHeader;
  /** Leading columns that label the rows (a pivot's row dimensions): frozen in xlsx. */
  frozenColumns?: number;
  rows: RowSource;
}

/** A header cell's place in the grid, 0-based and inclusive. */
export interface HeaderRange {
  text: string;
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/**
 * The header as a grid: each cell's anchor and extent, checked to lie inside the columns and not to
 * overlap another (a merged range in xlsx, a spanning box in PDF, text at the anchor in CSV).
 */
export function headerLayout(sheet: Pick<ExportSheet, 'columns' | 'header'>, locale: Locale): { rows: number; ranges: HeaderRange[] } {
  const header: SheetHeader = sheet.header ?? { rows: 1, cells: sheet.columns.map((c, column) => ({ text: c.label, row: 0, column })) };
  const width = sheet.columns.length;
  if (!Number.isInteger(header.rows) || header.rows < 1 || header.rows > 10) throw new ExportError('invalid_export', 'a header has 1 to 10 rows');
  const taken = new Set<number>();
  const ranges = header.cells.map((cell, i) => {
    const range = {
      text: labelText(cell.text, locale),
      top: cell.row,
      left: cell.column,
      bottom: cell.row + (cell.rowSpan ?? 1) - 1,
      right: cell.column + (cell.columnSpan ?? 1) - 1,
    };
    const inside = [range.top, range.left, range.bottom, range.right].every(Number.isInteger) && range.top >= 0 && range.left >= 0 && range.bottom >= range.top && range.right >= range.left && range.bottom < header.rows && range.right < width;
    if (!inside) throw new ExportError('invalid_export', `header cell ${i} lies outside the ${header.rows} header rows and ${width} columns`);
    for (let r = range.top; r <= range.bottom; r += 1) {
      for (let c = range.left; c <= range.right; c += 1) {
        const key = r * width + c;
        if (taken.has(key)) throw new ExportError('invalid_export', `header cell ${i} overlaps another at row ${r}, column ${c}`);
        taken.add(key);
      }
    }
    return range;
  });
  return { rows: header.rows, ranges };
}

/** The header as rows of text: each range's text at its anchor, '' elsewhere (CSV has no merged cells). */
export function headerTextRows(layout: { rows: number; ranges: readonly HeaderRange[] }, width: number): string[][] {
  const grid = Array.from({ length: layout.rows }, () => Array.from({ length: width }, () => ''));
  for (const range of layout.ranges) grid[range.top]![range.left] = range.text;
  return grid;
}

/** A row's cells in column order, and its emphasis. */
export function rowCells(row: ExportRow, columns: readonly ExportColumn[]): { cells: readonly Cell[]; emphasis: 'subtotal' | 'total' | undefined } {
  if (row instanceof EmphasizedRow) return { cells: valuesOf(row.values, columns), emphasis: row.emphasis };
  return { cells: valuesOf(row, columns), emphasis: undefined };
}

function valuesOf(values: ResultRow | readonly Cell[], columns: readonly ExportColumn[]): readonly Cell[] {
  if (Array.isArray(values)) return values as readonly Cell[];
  const record = values as ResultRow;
  return columns.map((c) => record[c.id] ?? null);
}

export const defaultSheetName: Record<Locale, string> = { 'zh-CN': '报表', en: 'Report' };
