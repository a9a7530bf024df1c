import { z } from 'zod';
import type { EntityContent, EntityField } from './content.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A decimal kept as text (never a float): digits, an optional point and at most `scale` digits after it. */
const decimalText = (scale: number) => new RegExp(scale > 0 ? `^-?\\d{1,18}(\\.\\d{1,${scale}})?$` : '^-?\\d{1,18}$');

function validDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

function fieldSchema(field: EntityField): z.ZodType {
  switch (field.type) {
    case 'string':
    case 'text': {
      let s = z.string().max(field.maxLength ?? (field.type === 'string' ? 255 : 20_000));
      if (field.required) s = s.trim().min(1, 'required');
      if (field.pattern) s = s.regex(new RegExp(field.pattern, 'u'), `does not match ${field.pattern}`);
      return s;
    }
    case 'integer': {
      let n = z.number().int().min(-(2 ** 53) + 1).max(2 ** 53 - 1);
      if (field.min !== undefined) n = n.min(field.min);
      if (field.max !== undefined) n = n.max(field.max);
      return n;
    }
    case 'decimal': {
      const scale = field.scale ?? 2;
      return z
        .union([z.string(), z.number().transform(String)])
        .pipe(z.string().regex(decimalText(scale), `a decimal with at most ${scale} digits after the point, written as text`))
        .refine((value) => field.min === undefined || Number(value) >= field.min, `at least ${field.min}`)
        .refine((value) => field.max === undefined || Number(value) <= field.max, `at most ${field.max}`);
    }
    case 'boolean':
      return z.boolean();
    case 'date':
      return z.string().refine(validDate, 'a date YYYY-MM-DD');
    case 'datetime':
      return z.iso.datetime({ offset: true });
    case 'enum':
      return z.enum(field.options!.map((o) => o.value) as [string, ...string[]]);
    case 'reference':
      return z.number().int().positive();
  }
}

/** Checks a record's data against its model: unknown fields, types, required, ranges; empty optional fields may be null. */
export function recordSchema(model: EntityContent) {
  const shape: Record<string, z.ZodType> = {};
  for (const field of model.fields) shape[field.name] = field.required ? fieldSchema(field) : fieldSchema(field).nullable().optional();
  return z.strictObject(shape);
}

/** Formily JSON Schema (Ant Design components) for the model's form; labels in the caller's language. */
export function formilySchema(model: EntityContent, locale: 'zh-CN' | 'en'): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  model.fields.forEach((field, index) => {
    const base = {
      title: field.label[locale],
      required: field.required ?? false,
      'x-decorator': 'FormItem',
      'x-index': index,
    };
    const component = ((): Record<string, unknown> => {
      switch (field.type) {
        case 'string':
          return { type: 'string', 'x-component': 'Input', ...(field.maxLength ? { maxLength: field.maxLength } : {}), ...(field.pattern ? { pattern: field.pattern } : {}) };
        case 'text':
          return { type: 'string', 'x-component': 'Input.TextArea', ...(field.maxLength ? { maxLength: field.maxLength } : {}) };
        case 'integer':
          return { type: 'number', 'x-component': 'NumberPicker', 'x-component-props': { precision: 0 }, ...range(field) };
        case 'decimal':
          return { type: 'string', 'x-component': 'NumberPicker', 'x-component-props': { precision: field.scale ?? 2, stringMode: true }, ...range(field) };
        case 'boolean':
          return { type: 'boolean', 'x-component': 'Switch' };
        case 'date':
          return { type: 'string', 'x-component': 'DatePicker', 'x-component-props': { valueFormat: 'YYYY-MM-DD' } };
        case 'datetime':
          return { type: 'string', 'x-component': 'DatePicker', 'x-component-props': { showTime: true } };
        case 'enum':
          return { type: 'string', 'x-component': 'Select', enum: field.options!.map((o) => ({ value: o.value, label: o.label[locale] })) };
        case 'reference':
          return { type: 'number', 'x-component': 'Select', 'x-component-props': { showSearch: true }, 'x-reference': field.reference };
      }
    })();
    properties[field.name] = { ...base, ...component };
  });
  return { type: 'object', title: model.label[locale], properties };
}

function range(field: EntityField): Record<string, number> {
  return { ...(field.min !== undefined ? { minimum: field.min } : {}), ...(field.max !== undefined ? { maximum: field.max } : {}) };
}

/** The fields a text search (`?q=`) looks in. */
export const searchableFields = (model: EntityContent) => model.fields.filter((f) => f.type === 'string' || f.type === 'text' || f.type === 'enum').map((f) => f.name);

/**
 * A filter value from the query string as the JSON value the field holds, or an error message.
 * Filters match exactly (`data @> {field: value}`), which the GIN index on `data` serves.
 */
export function filterValue(field: EntityField, text: string): { value: unknown } | { error: string } {
  switch (field.type) {
    case 'integer':
    case 'reference': {
      const n = Number(text);
      return Number.isInteger(n) ? { value: n } : { error: 'an integer' };
    }
    case 'boolean':
      return text === 'true' || text === 'false' ? { value: text === 'true' } : { error: 'true or false' };
    case 'decimal':
      return decimalText(field.scale ?? 2).test(text) ? { value: text } : { error: 'a decimal' };
    case 'enum':
      return field.options!.some((o) => o.value === text) ? { value: text } : { error: `one of ${field.options!.map((o) => o.value).join(', ')}` };
    case 'date':
      return validDate(text) ? { value: text } : { error: 'a date YYYY-MM-DD' };
    default:
      return { value: text };
  }
}

/** Fields whose values must not repeat among the entity's records: `unique` fields and unique indexes. */
export function uniqueKeys(model: EntityContent): string[][] {
  const keys = model.fields.filter((f) => f.unique).map((f) => [f.name]);
  for (const index of model.indexes ?? []) if (index.unique) keys.push(index.fields);
  return keys;
}

/** Record checks' own messages in Chinese, by their English text. */
const recordZhCN: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^required$/, () => '必填'],
  [/^does not match (.+)$/, (m) => `不符合格式 ${m[1]}`],
  [/^a decimal with at most (\d+) digits after the point, written as text$/, (m) => `应为小数（以文本书写），小数点后最多 ${m[1]} 位`],
  [/^at least (.+)$/, (m) => `不能小于 ${m[1]}`],
  [/^at most (.+)$/, (m) => `不能大于 ${m[1]}`],
  [/^a date YYYY-MM-DD$/, () => '应为日期 YYYY-MM-DD'],
];

/** A record check's message in the caller's language. */
export function recordMessage(message: string, locale: 'zh-CN' | 'en'): string {
  if (locale === 'en') return message;
  for (const [pattern, text] of recordZhCN) {
    const match = message.match(pattern);
    if (match) return text(match);
  }
  return message;
}
