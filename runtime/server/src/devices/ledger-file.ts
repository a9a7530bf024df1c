import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';

export type LedgerFormat = 'csv' | 'xlsx';

export const mediaTypes: Record<LedgerFormat, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** One line of the file as cells, with the row number a person sees in Excel (the header is row 1). */
export interface SheetRow {
  row: number;
  cells: string[];
}

export type SheetReadResult = { ok: true; rows: SheetRow[] } | { ok: false; reason: 'unreadable' | 'too_many_rows'; detail: string };

/**
 * Excel on Chinese Windows saves "CSV" in GB18030 (GBK), everything else in UTF-8, with or without a
 * byte-order mark. UTF-8 is tried strictly first; a file that is not valid UTF-8 is read as GB18030.
 */
function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

export function readCsv(bytes: Uint8Array, maxRows: number): SheetReadResult {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(decodeText(bytes), {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      to: maxRows + 2,
    }) as unknown as typeof records;
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: error instanceof Error ? error.message : String(error) };
  }
  if (records.length > maxRows + 1) return { ok: false, reason: 'too_many_rows', detail: `more than ${maxRows} rows` };
  // A record's row is the line it ends on, as an editor shows it; Excel saves the rows a person cleared
  // as lines of bare commas, which are no rows.
  const rows = records.map(({ record, info }) => ({ row: info.lines, cells: record })).filter((r) => r.cells.some((c) => c !== ''));
  return { ok: true, rows };
}

/** A cell as the text a person typed or sees: dates as YYYY-MM-DD, formulas by their result. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: unknown };
    if (v.richText) return v.richText.map((r) => r.text).join('').trim();
    if (v.result !== undefined) return cellText(v.result);
    if (v.text !== undefined) return cellText(v.text);
    if (v.error !== undefined) return String(v.error);
    return '';
  }
  return String(value).trim();
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
if (typeof streamingReader._parseSharedStrings !== 'function' || typeof streamingReader._parseWorksheet !== 'function') {
  throw new Error('exceljs changed its streaming reader: revisit WholeCharacterWorkbookReader');
}

/**
 * exceljs 4.4's streaming reader decodes every unzipped chunk of the sheet XML on its own, so a Chinese
 * character that straddles two chunks turns into two U+FFFD (exceljs issues #2063, #2316; seen here with a
 * few thousand rows). The shared strings and each worksheet are fed to its parser as text decoded once.
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

/**
 * The first worksheet of an .xlsx file. Read as a stream and stopped after `maxRows`, so a file that
 * unpacks into millions of rows costs no more than the limit.
 */
export async function readXlsx(bytes: Uint8Array, maxRows: number): Promise<SheetReadResult> {
  const rows: SheetRow[] = [];
  // exceljs waits forever for the first zip entry of an empty stream.
  if (bytes.length === 0) return { ok: true, rows };
  try {
    const reader = new WholeCharacterWorkbookReader(Readable.from(Buffer.from(bytes)), {
      worksheets: 'emit',
      sharedStrings: 'cache',
      styles: 'cache',
      hyperlinks: 'ignore',
      entries: 'ignore',
    });
    for await (const sheet of reader) {
      for await (const row of sheet) {
        const values = Array.isArray(row.values) ? row.values.slice(1) : [];
        const cells = Array.from(values, cellText);
        if (cells.every((c) => c === '')) continue;
        if (rows.length > maxRows) return { ok: false, reason: 'too_many_rows', detail: `more than ${maxRows} rows` };
        rows.push({ row: row.number, cells });
      }
      break;
    }
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, rows };
}
