import { isCalendarDate } from '../calendar.js';
import { isDecimalText } from '../decimal.js';
import { ReportError, type ReportErrorCode, type ReportErrorPath } from '../errors.js';

/** What a column holds, as a dataset declares it. Each maps to one ClickHouse and one PostgreSQL type. */
export const columnTypes = ['string', 'integer', 'decimal', 'timestamp', 'date', 'boolean', 'tenantPath'] as const;
export type ColumnType = (typeof columnTypes)[number];

/**
 * A value ready to bind: always text (or a boolean) in a canonical spelling, with the type it binds as.
 * `timestamp` values are local wall-clock times (`YYYY-MM-DD[ HH:mm[:ss]]`) in the tenant's time zone.
 */
export interface TypedValue {
  type: ColumnType;
  value: string | boolean;
}

const INTEGER = /^-?\d{1,19}$/;
const TENANT_PATH = /^[0-9]+(\.[0-9]+)*$/;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;
const MAX_TEXT = 1_000;
const MAX_INT64 = 9_223_372_036_854_775_807n;

/**
 * Checks one value against a column type and returns it in canonical form, or throws with `code` and
 * `path`. Text is data whatever it contains (quotes, `; drop table`): it is only ever bound.
 */
export function typedValue(type: ColumnType, raw: unknown, path: ReportErrorPath, code: ReportErrorCode = 'invalid_parameter'): TypedValue {
  const fail = (expected: string): never => {
    throw new ReportError(code, `expected ${expected}, got ${describe(raw)}`, path);
  };
  switch (type) {
    case 'string':
      if (typeof raw !== 'string') return fail('text');
      if (raw.length > MAX_TEXT) return fail(`text of at most ${MAX_TEXT} characters`);
      return { type, value: raw };
    case 'integer': {
      const text = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : typeof raw === 'bigint' ? String(raw) : raw;
      if (typeof text !== 'string' || !INTEGER.test(text)) return fail('an integer');
      const n = BigInt(text);
      if (n > MAX_INT64 || n < -MAX_INT64 - 1n) return fail('a 64-bit integer');
      return { type, value: n.toString() };
    }
    case 'decimal': {
      // A JS number is accepted as the user typed it (String(0.1) is "0.1"); exponent forms are refused.
      const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
      if (typeof text !== 'string' || !isDecimalText(text)) return fail('a decimal number such as 12.5');
      // Bound as Decimal(38, 9) in ClickHouse: at most 29 digits before the point and 9 after it.
      const [whole = '', fraction = ''] = text.trim().replace(/^[+-]/, '').split('.');
      if (whole.replace(/^0+/, '').length > 29 || fraction.length > 9) return fail('a decimal number with at most 29 digits before the point and 9 after it');
      return { type, value: text.trim() };
    }
    case 'boolean':
      if (raw === true || raw === 'true') return { type, value: true };
      if (raw === false || raw === 'false') return { type, value: false };
      return fail('true or false');
    case 'date':
      if (!isCalendarDate(raw)) return fail('a date YYYY-MM-DD');
      return { type, value: raw };
    case 'timestamp':
      if (typeof raw !== 'string' || !LOCAL_TIME.test(raw) || !isCalendarDate(raw.slice(0, 10))) return fail('a local time YYYY-MM-DD[ HH:mm[:ss]]');
      return { type, value: raw };
    case 'tenantPath':
      if (typeof raw !== 'string' || !TENANT_PATH.test(raw) || raw.length > 255) return fail('a tenant path such as 1.2.3');
      return { type, value: raw };
  }
}

export function describe(raw: unknown): string {
  if (raw === undefined) return 'nothing';
  if (raw === null) return 'null';
  if (typeof raw === 'string') return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);
  if (typeof raw === 'object') return Array.isArray(raw) ? 'a list' : 'an object';
  return `${typeof raw} ${String(raw)}`;
}
