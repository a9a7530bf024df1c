/**
 * An `ext-form`'s values as pure data: what a new form starts with, when a field is empty, the body the
 * pack route gets (volumes as exact litres, money as exact fen, instants as ISO, a file as its text), and
 * what a lookup's chosen row fills into other fields.
 */
import dayjs, { type Dayjs } from 'dayjs';
import { valueAt, type ExtFormField } from './config.js';
import { litresToCubicMetres, parseVolume, type VolumeUnit } from './litres.js';
import { fenText, fenToYuan, parseMoney } from './money.js';
import type { TextFileValue } from './text-file.js';

export type Values = Record<string, unknown>;
export type VolumeValue = { text: string; unit: VolumeUnit };
export type LocationValue = { latitude: number; longitude: number; accuracy?: number };

/** What a new (or just submitted) form starts with: the configured defaults, now for date-times, m³ for volumes. */
export function startValues(fields: ExtFormField[], now: () => Dayjs = () => dayjs()): Values {
  const values: Values = {};
  for (const field of fields) {
    if (field.kind === 'datetime') values[field.key] = field.default !== undefined && dayjs(String(field.default)).isValid() ? dayjs(String(field.default)) : now();
    else if (field.kind === 'litres') values[field.key] = { text: field.default === undefined ? '' : String(field.default), unit: 'm3' };
    else if (field.default !== undefined && ['text', 'textarea', 'integer', 'money', 'select'].includes(field.kind)) values[field.key] = String(field.default);
  }
  return values;
}

export function isEmpty(field: ExtFormField, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return !value.trim();
  if (field.kind === 'litres') return !(value as VolumeValue).text?.trim();
  if (field.kind === 'file') return typeof (value as TextFileValue).text !== 'string';
  return false;
}

/** Sets `value` at a dotted key (`customer.name` → `{customer: {name}}`), making the objects on the way. */
export function setAt(body: Values, key: string, value: unknown): void {
  const parts = key.split('.');
  let target = body;
  for (const part of parts.slice(0, -1)) {
    const next = target[part];
    if (!next || typeof next !== 'object' || Array.isArray(next)) target[part] = {};
    target = target[part] as Values;
  }
  target[parts[parts.length - 1]!] = value;
}

/**
 * The body the pack route gets: volumes as exact integer litres (text), money as exact fen (text),
 * instants as ISO, a location as `latitude`/`longitude`, a file as its text (and its name under
 * `fileNameKey`), a photo with a `listKey` as a named document in that list, a request key as given
 * in `requestKeys`. A dotted key (`customer.name`) nests. Empty fields are left out.
 */
export function toBody(fields: ExtFormField[], values: Values, requestKeys: Record<string, string> = {}): Values {
  const body: Values = {};
  const set = (key: string, value: unknown) => setAt(body, key, value);
  for (const field of fields) {
    if (field.kind === 'requestKey') {
      if (requestKeys[field.key]) set(field.key, requestKeys[field.key]);
      continue;
    }
    const value = values[field.key];
    if (isEmpty(field, value)) continue;
    switch (field.kind) {
      case 'litres': {
        const parsed = parseVolume((value as VolumeValue).text, (value as VolumeValue).unit);
        if (parsed.ok) set(field.key, parsed.litres);
        break;
      }
      case 'money': {
        const parsed = parseMoney(value, { allowNegative: field.allowNegative === true });
        if (parsed.ok) set(field.key, parsed.fen);
        break;
      }
      case 'integer': {
        const text = String(value).trim();
        set(field.key, Number.isSafeInteger(Number(text)) ? Number(text) : text);
        break;
      }
      case 'datetime':
        set(field.key, (value as Dayjs).toISOString());
        break;
      case 'location':
        body.latitude = (value as LocationValue).latitude;
        body.longitude = (value as LocationValue).longitude;
        break;
      case 'file': {
        const file = value as TextFileValue;
        set(field.key, file.text);
        if (field.file?.fileNameKey) set(field.file.fileNameKey, file.name);
        break;
      }
      case 'photo':
        if (field.listKey) {
          const list = Array.isArray(body[field.listKey]) ? (body[field.listKey] as unknown[]) : [];
          list.push({ name: field.documentName ?? `${field.key}.jpg`, dataUrl: value });
          body[field.listKey] = list;
        } else set(field.key, value);
        break;
      default:
        set(field.key, typeof value === 'string' ? value.trim() : value);
    }
  }
  return body;
}

/** A row's value as the form value of `field` (fen → yuan text for money, litres → m³ for volumes); undefined when it does not fit the field. */
export function prefillValue(field: ExtFormField, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  switch (field.kind) {
    case 'money': {
      const fen = fenText(value);
      if (fen === null || (fen.startsWith('-') && !field.allowNegative)) return undefined;
      return fenToYuan(fen) ?? undefined;
    }
    case 'litres': {
      const m3 = litresToCubicMetres(value);
      return m3 === null ? undefined : { text: m3, unit: 'm3' };
    }
    case 'text':
    case 'textarea':
    case 'select':
      return typeof value === 'object' ? undefined : String(value);
    case 'integer':
      return /^-?\d+$/.test(String(value).trim()) ? String(value).trim() : undefined;
    case 'entity':
      return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)) ? Number(value) : undefined;
    case 'datetime':
      return typeof value === 'string' && dayjs(value).isValid() ? dayjs(value) : undefined;
    default:
      return undefined;
  }
}

/** The fields a chosen row fills (`prefill`: field key → row key), as form values; fields it cannot fill are left alone. */
export function prefillFrom(fields: ExtFormField[], prefill: Record<string, string>, row: Record<string, unknown>): Values {
  const out: Values = {};
  for (const [fieldKey, rowKey] of Object.entries(prefill)) {
    const field = fields.find((f) => f.key === fieldKey);
    if (!field) continue;
    const value = prefillValue(field, valueAt(row, rowKey));
    if (value !== undefined) out[fieldKey] = value;
  }
  return out;
}

/** Kinds the keyboard fills in: where the cursor goes next. */
const TYPED = ['text', 'textarea', 'integer', 'litres', 'money'];

/** The first field after `after` that is typed into and still empty: where the cursor goes once a lookup has chosen. */
export function nextEmptyField(fields: ExtFormField[], values: Values, after: string): string | undefined {
  const start = fields.findIndex((f) => f.key === after);
  return fields.slice(start + 1).find((f) => TYPED.includes(f.kind) && isEmpty(f, values[f.key]))?.key;
}
