/**
 * Reading an uploaded concentrator file (集抄文件) into rows of cells, with the row number a person sees
 * (the header is row 1). CSV in UTF-8 or GB18030 (Excel on Chinese Windows); XLSX read as a stream and
 * stopped past the row limit, so a file that unpacks into millions of rows costs no more than the limit.
 */
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';

/** A cell as the file holds it: text, a number, a date (XLSX: its UTC fields are the wall-clock time typed), or empty. */
export type Cell = string | number | Date | null;

export interface SheetRow {
  row: number;
  cells: Cell[];
}

export type SheetResult = { ok: true; rows: SheetRow[] } | { ok: false; reason: 'unreadable' | 'too_many_rows' };

const isBlank = (c: Cell) => c === null || (typeof c === 'string' && c.trim() === '');

/** UTF-8 (strictly, with or without BOM) first; a file that is not valid UTF-8 is read as GB18030. */
function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

export function readCsv(bytes: Uint8Array, maxRows: number): SheetResult {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(decodeText(bytes), { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true, to: maxRows + 2 }) as unknown as typeof records;
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  if (records.length > maxRows + 1) return { ok: false, reason: 'too_many_rows' };
  // Excel saves rows a person cleared as lines of bare commas: no rows.
  return { ok: true, rows: records.map(({ record, info }) => ({ row: info.lines, cells: record })).filter((r) => !r.cells.every(isBlank)) };
}

/** An XLSX cell value as a `Cell`: rich text joined, formulas by their result, hyperlinks by their text. */
function cellOf(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: unknown };
    if (v.richText) return v.richText.map((r) => r.text).join('');
    if (v.result !== undefined) return cellOf(v.result);
    if (v.text !== undefined) return cellOf(v.text);
    if (v.error !== undefined) return String(v.error);
  }
  return null;
}

/** Decodes a byte stream as UTF-8 with one decoder, so a character split across two chunks stays whole. */
async function* utf8Text(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

interface ReaderInternals {
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseWorksheet(iterator: AsyncIterable<Uint8Array | string>, sheetNo: string): Generator<unknown>;
}
const streamingReader = ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as ReaderInternals;

/**
 * exceljs 4.4's streaming reader decodes every unzipped chunk of the sheet XML on its own, so a Chinese
 * character that straddles two chunks becomes two U+FFFD (exceljs issues #2063, #2316). The shared strings
 * and each worksheet are fed to its parser as text decoded once. Where exceljs no longer has those
 * internals, its reader is used as it is.
 */
class WholeCharacterWorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  _parseSharedStrings(entry: Readable) {
    entry.setEncoding('utf8');
    return streamingReader._parseSharedStrings.call(this, entry);
  }

  _parseWorksheet(iterator: AsyncIterable<Uint8Array | string>, sheetNo: string) {
    return streamingReader._parseWorksheet.call(this, utf8Text(iterator), sheetNo);
  }
}
const patched = typeof streamingReader._parseSharedStrings === 'function' && typeof streamingReader._parseWorksheet === 'function';

/** The first worksheet of an .xlsx file. */
export async function readXlsx(bytes: Uint8Array, maxRows: number): Promise<SheetResult> {
  const rows: SheetRow[] = [];
  // exceljs waits forever for the first zip entry of an empty stream; a zip starts with "PK".
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) return { ok: false, reason: 'unreadable' };
  try {
    const Reader = patched ? WholeCharacterWorkbookReader : ExcelJS.stream.xlsx.WorkbookReader;
    const reader = new Reader(Readable.from(Buffer.from(bytes)), { worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore' });
    for await (const sheet of reader) {
      for await (const row of sheet) {
        const values = Array.isArray(row.values) ? row.values.slice(1) : [];
        const cells = Array.from(values, cellOf);
        if (cells.every(isBlank)) continue;
        if (rows.length > maxRows) return { ok: false, reason: 'too_many_rows' };
        rows.push({ row: row.number, cells });
      }
      break;
    }
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  return { ok: true, rows };
}
