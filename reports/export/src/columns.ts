import { type Cell, type ColumnType, type LocalizedText, type ResultColumn, multiplyDecimals, normalizeDecimal } from '@shuiyun/reports';
import { format as formatPattern, isDateFormat, isValidFormat } from 'numfmt';
import { ExportError } from './errors.js';

export type Locale = 'zh-CN' | 'en';

/** A text shown to the user: the same in every locale, or one per locale (the engine's `LocalizedText`). */
export type Label = string | LocalizedText;

export const labelText = (label: Label, locale: Locale): string => (typeof label === 'string' ? label : (label[locale] ?? label['zh-CN']));

/** How a column's values are shown. Every exporter applies the same format (xlsx as a number format code). */
export interface ColumnFormat {
  /** Digits after the point (rounded half away from zero for display). Default: the column's scale; 0 for integers. */
  decimals?: number;
  /** Group thousands with `,` (`1,234,567.50`). */
  thousands?: boolean;
  /**
   * Show as a percentage. `points`: the value already counts percent points (the engine's ratio with
   * multiplier 100: `"98.50"` → `98.50%`); `fraction`: the value is a share (`"0.985"` → `98.50%`).
   */
  percent?: 'points' | 'fraction';
  /**
   * Date and timestamp columns: an Excel number-format code for dates and times, such as `yyyy-mm-dd`,
   * `yyyy"年"m"月"d"日"` or `yyyy-mm-dd hh:mm`. Default `yyyy-mm-dd` and `yyyy-mm-dd hh:mm:ss`.
   */
  pattern?: string;
}

/** One output column: what the exporters need to know of a result column. */
export interface ExportColumn {
  /** The key of the column's cells in record rows (a `ResultRow`). */
  id: string;
  label: Label;
  type: ColumnType;
  /** Digits after the point of the column's decimal values (the engine's `ResultColumn.scale`). */
  scale?: number;
  format?: ColumnFormat;
  /** Width in characters (xlsx) or relative weight (PDF); default from the header and the first rows. */
  width?: number;
}

/** Export columns for the engine's result columns, with optional formats by column id. */
export function exportColumns(columns: readonly ResultColumn[], formats: Readonly<Record<string, ColumnFormat>> = {}): ExportColumn[] {
  return columns.map((c) => ({
    id: c.id,
    label: c.label,
    type: c.type,
    ...(c.scale !== undefined ? { scale: c.scale } : {}),
    ...(formats[c.id] ? { format: formats[c.id] } : {}),
  }));
}

/**
 * The rule for writing a decimal cell as an xlsx number: its text must have at most 15 significant
 * digits. Excel keeps and shows 15 significant digits, and every decimal of at most 15 significant
 * digits converts to the nearest double and back to the same digits (IEEE 754's DBL_DIG), so the number
 * Excel stores shows exactly the text the engine returned. Longer values (64-bit counters, 20-digit
 * identifiers, sums at a large scale) would be silently changed, so they are written as text, unchanged.
 * Returns the number, or undefined when the cell must stay text.
 */
export function exactNumber(text: string): number | undefined {
  const match = PLAIN_NUMBER.exec(text);
  if (!match) return undefined;
  const digits = `${match[1]}${match[2] ?? ''}`.replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length > 15) return undefined;
  return Number(text);
}

const PLAIN_NUMBER = /^-?(\d+)(?:\.(\d+))?$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;
const DAY_MS = 86_400_000;
/** 1899-12-30, day 0 of Excel's 1900 date system (dates from 1900-03-01 on, past Excel's 1900 leap-year bug). */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const FIRST_EXCEL_DATE_MS = Date.UTC(1900, 2, 1);

/**
 * A local wall-clock time as the engine writes it (`2026-03-02`, `2026-03-02 00:30:00`) as a Date whose
 * UTC fields hold that wall-clock time: exceljs turns a Date into an Excel serial from its UTC value, so
 * the sheet shows the tenant's local time exactly, whatever the server's zone. Undefined if not a real time.
 */
export function wallClockDate(text: string): Date | undefined {
  const match = LOCAL_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', ms = '0'] = match;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0'))] as const;
  const time = Date.UTC(...fields);
  const date = new Date(time);
  // Reject 2026-02-30, 25:00 and such: the fields must survive the round trip (Date.UTC also reads
  // years 0–99 as 1900–1999).
  const back = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  if (back.some((value, i) => value !== fields[i])) return undefined;
  if (time < FIRST_EXCEL_DATE_MS || date.getUTCFullYear() > 9999) return undefined;
  return date;
}

const excelSerial = (date: Date) => (date.getTime() - EXCEL_EPOCH_MS) / DAY_MS;

/** Groups the whole part of plain decimal text by thousands: "-1234567.50" → "-1,234,567.50". */
function groupThousands(text: string): string {
  const negative = text.startsWith('-');
  const [whole = '', fraction] = (negative ? text.slice(1) : text).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/** How one column is written: decided once per export, applied to every cell. */
export interface ColumnPlan {
  column: ExportColumn;
  /** `number` and `date` cells become xlsx numbers with `numFmt`; `text` cells stay text. */
  kind: 'number' | 'date' | 'text';
  /** The xlsx number format code of number and date cells. */
  numFmt: string | undefined;
  /** Numbers (and numbers kept as text) are right-aligned. */
  alignRight: boolean;
  /** The value xlsx stores: a number, a Date (wall clock in UTC fields), or the text unchanged. */
  sheetValue(cell: string): number | Date | string;
  /** The cell as the user sees it (PDF, formatted CSV): the column's format applied exactly to the text. */
  displayText(cell: string): string;
}

function invalid(column: ExportColumn, detail: string): never {
  throw new ExportError('invalid_export', `column ${column.id}: ${detail}`);
}

export function planColumn(column: ExportColumn): ColumnPlan {
  const format = column.format ?? {};
  if (format.decimals !== undefined && (!Number.isInteger(format.decimals) || format.decimals < 0 || format.decimals > 15)) {
    invalid(column, 'decimals must be an integer from 0 to 15');
  }
  if (column.type === 'integer' || column.type === 'decimal') {
    const decimals = format.decimals ?? column.scale ?? (column.type === 'integer' ? 0 : null);
    // A decimal column without a scale or `decimals` shows each value with its own digits (Excel's
    // General); thousands and percent need a fixed number of decimals, so they apply only with one.
    const numFmt =
      decimals === null
        ? 'General'
        : `${format.thousands ? '#,##0' : '0'}${decimals > 0 ? `.${'0'.repeat(decimals)}` : ''}${format.percent === 'fraction' ? '%' : format.percent === 'points' ? '"%"' : ''}`;
    return {
      column,
      kind: 'number',
      numFmt,
      alignRight: true,
      sheetValue: (cell) => exactNumber(cell) ?? cell,
      displayText: (cell) => {
        if (!PLAIN_NUMBER.test(cell) || decimals === null) return cell;
        let text = format.percent === 'fraction' ? multiplyDecimals(cell, '100') : cell;
        text = normalizeDecimal(text, decimals);
        if (format.thousands) text = groupThousands(text);
        return format.percent ? `${text}%` : text;
      },
    };
  }
  if (column.type === 'date' || column.type === 'timestamp') {
    const pattern = format.pattern ?? (column.type === 'date' ? 'yyyy-mm-dd' : 'yyyy-mm-dd hh:mm:ss');
    if (!isValidFormat(pattern) || !isDateFormat(pattern)) invalid(column, `${JSON.stringify(pattern)} is not an Excel date/time format code`);
    return {
      column,
      kind: 'date',
      numFmt: pattern,
      alignRight: false,
      sheetValue: (cell) => wallClockDate(cell) ?? cell,
      displayText: (cell) => {
        const date = wallClockDate(cell);
        return date ? formatPattern(pattern, excelSerial(date)) : cell;
      },
    };
  }
  return { column, kind: 'text', numFmt: undefined, alignRight: false, sheetValue: (cell) => cell, displayText: (cell) => cell };
}

/** Display width in character cells: CJK and other wide characters count two (Excel and PDF column widths). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      code >= 0x20000;
    width += wide ? 2 : 1;
  }
  return width;
}

/** A cell's text for display, or '' for null. */
export const shownText = (plan: ColumnPlan, cell: Cell): string => (cell === null ? '' : plan.displayText(cell));
