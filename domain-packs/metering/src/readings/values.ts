/**
 * Parsing what people send: integer litres (never through a float), m³ with at most three decimals into
 * exact litres by string arithmetic, ids, photos and coordinates. Each parser answers the value or the
 * code of the field error (see `fieldMessages`).
 */
import type { FieldCode } from './messages.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: FieldCode; text: string };

const fail = <T>(code: FieldCode, text: string): Parsed<T> => ({ ok: false, code, text });

/** Largest register value a `bigint` column holds with room to spare: 18 digits of litres. */
const MAX_DIGITS = 18;

/** Text of a number a person typed or a spreadsheet holds: a JSON number as the decimal it prints as. */
function numberText(value: unknown): string | null {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'bigint') return value.toString();
  return null;
}

/**
 * Integer litres, as a JSON number (a safe integer) or as text of digits. `12.5`, `"12.5"` are refused
 * (not a whole number), `-3` is negative, `1e3` and anything else is not a number.
 */
export function parseLitres(value: unknown): Parsed<bigint> {
  if (value === undefined || value === null || value === '') return fail('value_required', '');
  if (typeof value === 'number' && Number.isFinite(value) && Number.isInteger(value) && !Number.isSafeInteger(value)) return fail('value_too_large', String(value));
  const text = numberText(value);
  if (text === null) return fail('value_bad', String(value));
  if (text === '') return fail('value_required', '');
  if (/^-\d+(\.\d+)?$/.test(text)) return fail('value_negative', text);
  if (/^\d+\.\d+$/.test(text)) return fail('value_not_integer', text);
  if (!/^\d+$/.test(text)) return fail('value_bad', text);
  const digits = text.replace(/^0+(?=\d)/, '');
  if (digits.length > MAX_DIGITS) return fail('value_too_large', text);
  return { ok: true, value: BigInt(digits) };
}

/**
 * m³ with at most three decimals, as exact litres: `12.345` → 12345 L, `7` → 7000 L, `0.5` → 500 L.
 * Trailing zeros past the third decimal are no precision (`1.2300` is accepted); `1.2345` is refused.
 */
export function parseCubicMetres(value: unknown): Parsed<bigint> {
  if (value === undefined || value === null || value === '') return fail('value_required', '');
  const text = numberText(value);
  if (text === null) return fail('value_bad', String(value));
  if (text === '') return fail('value_required', '');
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return fail('value_bad', text);
  const [, sign, whole, fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (sign === '-' && /[1-9]/.test(whole! + fraction)) return fail('value_negative', text);
  if (significant.length > 3) return fail('value_decimals', text);
  const wholeDigits = whole!.replace(/^0+(?=\d)/, '');
  if (wholeDigits.length + 3 > MAX_DIGITS) return fail('value_too_large', text);
  return { ok: true, value: BigInt(wholeDigits) * 1000n + BigInt(significant.padEnd(3, '0')) };
}

/** A record id: a positive safe integer, as a JSON number or text of digits. */
export function parseId(value: unknown): bigint | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? BigInt(value) : null;
  if (typeof value === 'string' && /^[1-9]\d{0,17}$/.test(value.trim())) return BigInt(value.trim());
  return null;
}

/** Largest photo, decoded. */
export const PHOTO_MAX_BYTES = 2 * 1024 * 1024;
const PHOTO_DATA = /^data:image\/(?:png|jpeg|jpg|webp|gif|heic|heif);base64,/i;

/**
 * A photo of the register: a `data:image/…;base64,` URL of at most 2 MB decoded, or an http(s) URL
 * (where the app uploaded it) of at most 2 000 characters.
 */
export function parsePhoto(value: unknown): Parsed<string> {
  if (typeof value !== 'string') return fail('photo_bad', '');
  const head = PHOTO_DATA.exec(value.slice(0, 40));
  if (head) {
    const data = value.slice(head[0].length);
    // Decoded size from the text length, before looking at the characters of a huge string.
    const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
    if ((data.length / 4) * 3 - padding > PHOTO_MAX_BYTES) return fail('photo_too_large', '');
    if (data.length === 0 || data.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return fail('photo_bad', '');
    return { ok: true, value };
  }
  if (value.length > 2_000 || !/^https?:\/\/\S+$/i.test(value)) return fail('photo_bad', '');
  try {
    new URL(value);
  } catch {
    return fail('photo_bad', '');
  }
  return { ok: true, value };
}

/** A coordinate in degrees within ±limit, as text with at most 6 decimals (the column's scale). */
export function parseCoordinate(value: unknown, limit: 90 | 180): string | null {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : null;
  if (text === null || !/^-?\d{1,3}(\.\d+)?$/.test(text)) return null;
  const n = Number(text);
  if (Math.abs(n) > limit) return null;
  return n.toFixed(6);
}
