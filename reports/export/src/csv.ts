import type { Writable } from 'node:stream';
import type { Cell } from '@shuiyun/reports';
import { type Options as StringifyOptions, stringify } from 'csv-stringify/sync';
import { type ColumnPlan, planColumn } from './columns.js';
import { OutputSession, type WriteOptions, type WriteSummary, readBatches } from './output.js';
import { type ExportSheet, headerLayout, headerTextRows, rowCells } from './sheet.js';

export interface CsvOptions extends WriteOptions {
  /**
   * `raw` (default): cells exactly as the engine returns them (`1250.500`, `2026-03-02 00:30:00`), for
   * programs that read the file. `formatted`: each column's format applied (`1,250.50`, `98.50%`), as the
   * PDF shows them.
   */
  values?: 'raw' | 'formatted';
  /** Start with a UTF-8 byte-order mark, so Excel reads Chinese text as UTF-8 (default true). */
  bom?: boolean;
}

/**
 * RFC 4180: fields with a comma, a double quote, CR or LF are quoted, quotes doubled; records end with
 * CRLF. csv-stringify quotes a field holding the record delimiter (CRLF) but not a lone LF or CR, so
 * those are matched explicitly.
 */
const csvFormat: StringifyOptions = { record_delimiter: 'windows', eof: true, quoted_match: /[\r\n]/ };

const FORMULA_START = /^[=+\-@\t\r]/;
const NEGATIVE_NUMBER = /^-\d+(?:\.\d+)?$/;

/**
 * CSV/formula injection (OWASP): a spreadsheet opening the file would run a cell starting with `=`, `+`,
 * `-`, `@`, tab or CR as a formula (`=HYPERLINK(…)`, `-2+3+cmd|' /C calc'!A0`). Such a cell gets a leading
 * apostrophe, which makes it text. A plain negative number (`-12.5`) cannot be a formula and is kept.
 */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) && !NEGATIVE_NUMBER.test(text) ? `'${text}` : text;
}

const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

function csvCell(plan: ColumnPlan, cell: Cell, formatted: boolean): string {
  if (cell === null) return '';
  // A number in a number column is data we format ourselves ("-1,234.50"), never a formula.
  if (plan.kind === 'number' && PLAIN_NUMBER.test(cell)) return formatted ? plan.displayText(cell) : cell;
  return neutralizeFormula(formatted ? plan.displayText(cell) : cell);
}

/**
 * Writes a sheet as CSV: UTF-8 with a byte-order mark, RFC 4180 quoting, header rows first (a
 * multi-level header becomes several rows, each label at its first column), then each batch as it
 * arrives, waiting for the output to drain before reading the next. Null cells are empty fields.
 */
export async function writeCsv(sheet: ExportSheet, out: Writable, options: CsvOptions = {}): Promise<WriteSummary> {
  const session = new OutputSession(out, options.signal);
  try {
    const locale = options.locale ?? 'zh-CN';
    const formatted = options.values === 'formatted';
    const plans = sheet.columns.map(planColumn);
    const header = headerTextRows(headerLayout(sheet, locale), sheet.columns.length).map((row) => row.map(neutralizeFormula));
    await session.write(`${options.bom === false ? '' : '\uFEFF'}${stringify(header, csvFormat)}`);
    let rows = 0;
    for await (const batch of readBatches(sheet.rows, session)) {
      if (batch.length === 0) continue;
      const records = batch.map((row) => {
        const { cells } = rowCells(row, sheet.columns);
        return plans.map((plan, i) => csvCell(plan, cells[i] ?? null, formatted));
      });
      await session.write(stringify(records, csvFormat));
      rows += batch.length;
      options.onRows?.(rows);
    }
    await session.end();
    return { rows };
  } catch (error) {
    throw session.fail(error);
  }
}
