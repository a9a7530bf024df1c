import type { Cell, GroupedTable, PivotTable, ReportResult, ResultColumn } from '@shuiyun/reports';
import { type ColumnFormat, type ExportColumn, type Label, type Locale, exportColumns } from './columns.js';
import { EmphasizedRow, type ExportRow, type ExportSheet, type HeaderCell, type RowSource } from './sheet.js';

/** Sheets from the engine's shapes: a result page, a result stream, a grouped table, a pivot. */

export interface ShapeOptions {
  /** Formats by column id (for a pivot, a measure's format applies to all its columns). */
  formats?: Readonly<Record<string, ColumnFormat>>;
  /** The language of the labels the sheet adds (小计 / Subtotal, 合计 / Total, (空) / (blank)). */
  locale?: Locale;
  name?: Label;
}

const words: Record<Locale, { subtotal: string; total: string; blank: string }> = {
  'zh-CN': { subtotal: '小计', total: '合计', blank: '(空)' },
  en: { subtotal: 'Subtotal', total: 'Total', blank: '(blank)' },
};

/** A sheet of rows streamed from the engine (detail pages, a cursor): the columns of its result. */
export function detailSheet(columns: readonly ResultColumn[], rows: RowSource, options: ShapeOptions = {}): ExportSheet {
  return { columns: exportColumns(columns, options.formats), rows, ...(options.name !== undefined ? { name: options.name } : {}) };
}

/** A sheet of one result already in memory. */
export function resultSheet(result: ReportResult, options: ShapeOptions = {}): ExportSheet {
  return detailSheet(result.columns, [result.rows], options);
}

/**
 * A grouped table's sheet: the rows, each subtotal in bold with 小计 (Subtotal) in the first dimension
 * column it does not group by, and the grand total in bold with 合计 (Total) in the first column.
 */
export function groupedTableSheet(table: GroupedTable, options: ShapeOptions = {}): ExportSheet {
  const text = words[options.locale ?? 'zh-CN'];
  const columns = exportColumns(table.columns, options.formats);
  const dimensions = table.columns.filter((c) => c.role === 'dimension').map((c) => c.id);
  const rows: ExportRow[] = table.rows.map((row) => {
    if (row.kind === 'row') return row.values;
    const values = { ...row.values };
    const labelColumn = row.kind === 'total' ? dimensions[0] : dimensions[row.level];
    if (labelColumn !== undefined) values[labelColumn] = row.kind === 'total' ? text.total : text.subtotal;
    return new EmphasizedRow(row.kind, values, row.level);
  });
  return { columns, rows: [rows], ...(options.name !== undefined ? { name: options.name } : {}) };
}

/**
 * A pivot's sheet. Columns: the row dimensions, then per column tuple one column per measure, then the
 * row totals per measure. The header has one row per column dimension, whose equal neighbouring values
 * merge into one cell over their columns, and a row of measure names; the row dimensions' labels and
 * 合计 (Total) span the header rows. Rows: one per row tuple, then the column totals and grand total in bold.
 */
export function pivotSheet(pivot: PivotTable, options: ShapeOptions = {}): ExportSheet {
  const text = words[options.locale ?? 'zh-CN'];
  const formats = options.formats ?? {};
  const measures = pivot.measures;
  const levels = pivot.columnDimensions.length;
  const headerRows = levels + 1;
  const rowDimensions = exportColumns(pivot.rowDimensions, formats);
  const leaf = (measure: ResultColumn, id: string, label: Label): ExportColumn => ({
    ...exportColumns([measure], formats)[0]!,
    id,
    label,
  });

  const columns: ExportColumn[] = [...rowDimensions];
  const cells: HeaderCell[] = rowDimensions.map((c, column) => ({ text: c.label, row: 0, column, rowSpan: headerRows }));
  const measureHeaders = (firstColumn: number) => measures.forEach((m, i) => cells.push({ text: m.label, row: levels, column: firstColumn + i }));

  pivot.columns.forEach((_, c) => {
    measureHeaders(columns.length);
    for (const m of measures) columns.push(leaf(m, `${m.id}@${c}`, m.label));
  });
  // One header cell per run of equal prefixes at each level: the tuples come sorted, so a run is contiguous.
  for (let level = 0; level < levels; level += 1) {
    let start = 0;
    for (let c = 1; c <= pivot.columns.length; c += 1) {
      const samePrefix = c < pivot.columns.length && prefix(pivot.columns[c]!, level) === prefix(pivot.columns[start]!, level);
      if (samePrefix) continue;
      cells.push({
        text: shown(pivot.columns[start]![level] ?? null, text.blank),
        row: level,
        column: rowDimensions.length + start * measures.length,
        columnSpan: (c - start) * measures.length,
      });
      start = c;
    }
  }
  const totalsColumn = columns.length;
  measures.forEach((m) => columns.push(leaf(m, `${m.id}@total`, m.label)));
  cells.push({ text: text.total, row: 0, column: totalsColumn, rowSpan: levels, columnSpan: measures.length });
  measureHeaders(totalsColumn);

  const rows: ExportRow[] = pivot.rows.map((tuple, r) => [...tuple, ...pivot.cells[r]!.flat(), ...pivot.rowTotals[r]!]);
  const totalLabel: Cell[] = pivot.rowDimensions.map((_, i) => (i === 0 ? text.total : null));
  rows.push(new EmphasizedRow('total', [...totalLabel, ...pivot.columnTotals.flat(), ...pivot.grandTotal]));
  return { columns, header: { rows: headerRows, cells }, frozenColumns: rowDimensions.length, rows: [rows], ...(options.name !== undefined ? { name: options.name } : {}) };
}

const prefix = (tuple: readonly Cell[], level: number) => JSON.stringify(tuple.slice(0, level + 1));
const shown = (cell: Cell, blank: string) => (cell === null ? blank : cell);
