/**
 * The configs of the pack blocks (`ext-table`, `ext-form`) that talk to a domain pack's own routes
 * (`/api/ext/<pack>/<path>`), read defensively (a page's JSON comes from a designer or a pack), and the
 * pure helpers around them: path checks, `:name` placeholders, error paths to fields.
 */
import type { Bilingual } from '../../artifacts.js';

export type ExtText = string | Bilingual;
export type ExtMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type ExtFormat = 'litres' | 'm3' | 'datetime' | 'date' | 'percent' | 'status' | 'text';
export type ExtOption = { value: string; label: ExtText };

export interface ExtColumn {
  key: string;
  title?: ExtText;
  format?: ExtFormat;
  /** Labels of `status` values (`{settling: {'zh-CN': '结算中', en: 'Settling'}}`). */
  labels?: Record<string, ExtText>;
}
export interface ExtFilter {
  key: string;
  label?: ExtText;
  kind: 'text' | 'select';
  options: ExtOption[];
}
export interface ExtAction {
  label: ExtText;
  method: ExtMethod;
  /** `/api/ext/<pack>/…/:field`: placeholders from the row (row actions) or the form (toolbar). */
  path: string;
  confirm?: ExtText;
  body?: Record<string, unknown>;
  /** Row actions only: offered when the row's `field` is one of `in`. */
  when?: { field: string; in: unknown[] };
  /** Toolbar only: a modal form whose values become the body. */
  form?: ExtActionField[];
}
export interface ExtActionField {
  key: string;
  label?: ExtText;
  kind: 'text' | 'number' | 'month' | 'date';
  required?: boolean;
}
export interface ExtTableConfig {
  title?: ExtText;
  path: string;
  columns: ExtColumn[];
  pageSize: number;
  refreshSeconds?: number;
  busyStatuses: string[];
  progress?: { done: string; total: string; title?: ExtText };
  filters: ExtFilter[];
  rowActions: ExtAction[];
  toolbar: ExtAction[];
}

export type ExtFieldKind = 'text' | 'textarea' | 'integer' | 'litres' | 'datetime' | 'select' | 'photo' | 'location' | 'entity';
export interface ExtFormField {
  key: string;
  label?: ExtText;
  kind: ExtFieldKind;
  required?: boolean;
  options: ExtOption[];
  entity?: string;
}
export interface ExtFormConfig {
  title?: ExtText;
  path: string;
  submitLabel?: ExtText;
  fields: ExtFormField[];
  successMessage?: ExtText;
}

/** Where a pack's routes live; nothing else is reachable from these blocks. */
export const EXT_PREFIX = '/api/ext/';

/**
 * A path under `/api/ext/<pack>/`: no `.`/`..` segments (also percent-encoded: the browser would
 * resolve them out of the prefix), no backslashes, empty segments, fragments or whitespace.
 */
export function isExtPath(path: unknown): path is string {
  if (typeof path !== 'string' || !path.startsWith(EXT_PREFIX)) return false;
  if (/[\s\\#]/.test(path)) return false;
  const [route = ''] = path.split('?');
  const segments = route.slice(EXT_PREFIX.length).split('/');
  if (segments.length < 2 || !segments[0]) return false;
  return segments.every((s, i) => (s !== '' || i === segments.length - 1) && !/^(\.|%2e){1,2}$/i.test(s));
}

const isText = (value: unknown): value is ExtText =>
  typeof value === 'string' || (!!value && typeof value === 'object' && typeof (value as Record<string, unknown>)['zh-CN'] === 'string');
const text = (value: unknown): ExtText | undefined => (isText(value) ? value : undefined);
const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v)) : [];
const key = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
const positive = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
};
const oneOf = <T extends string>(value: unknown, allowed: readonly T[], fallback: T): T => (allowed.includes(value as T) ? (value as T) : fallback);

function options(value: unknown): ExtOption[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((o): ExtOption[] => {
    if (typeof o === 'string' || typeof o === 'number') return [{ value: String(o), label: String(o) }];
    if (o && typeof o === 'object' && (o as ExtOption).value !== undefined) return [{ value: String((o as ExtOption).value), label: text((o as ExtOption).label) ?? String((o as ExtOption).value) }];
    return [];
  });
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function actions(value: unknown): ExtAction[] {
  return records(value).flatMap((a): ExtAction[] => {
    const path = key(a.path);
    if (!path) return [];
    const when = a.when as { field?: unknown; in?: unknown } | undefined;
    const body = a.body && typeof a.body === 'object' && !Array.isArray(a.body) ? (a.body as Record<string, unknown>) : undefined;
    const form = records(a.form).flatMap((f): ExtActionField[] => {
      const k = key(f.key);
      return k ? [{ key: k, label: text(f.label), kind: oneOf(f.kind, ['text', 'number', 'month', 'date'] as const, 'text'), required: f.required === true }] : [];
    });
    return [
      {
        label: text(a.label) ?? path,
        method: oneOf(typeof a.method === 'string' ? a.method.toLowerCase() : a.method, METHODS, 'post'),
        path,
        confirm: text(a.confirm),
        body,
        when: when && key(when.field) && Array.isArray(when.in) ? { field: key(when.field)!, in: when.in } : undefined,
        form: form.length ? form : undefined,
      },
    ];
  });
}

const FORMATS = ['litres', 'm3', 'datetime', 'date', 'percent', 'status', 'text'] as const;

/** An `ext-table` config as the block uses it (lists always lists, page size 1–200). */
export function readTableConfig(raw: Record<string, unknown>): ExtTableConfig {
  const progress = raw.progress && typeof raw.progress === 'object' ? (raw.progress as Record<string, unknown>) : undefined;
  return {
    title: text(raw.title),
    path: typeof raw.path === 'string' ? raw.path.trim() : '',
    columns: records(raw.columns).flatMap((c): ExtColumn[] => {
      const k = key(c.key);
      const labels = c.labels && typeof c.labels === 'object' ? Object.fromEntries(Object.entries(c.labels).filter(([, v]) => isText(v))) : undefined;
      return k ? [{ key: k, title: text(c.title), format: oneOf(c.format, FORMATS, 'text'), labels: labels as Record<string, ExtText> | undefined }] : [];
    }),
    pageSize: Math.min(200, Math.floor(positive(raw.pageSize) ?? 20)),
    refreshSeconds: positive(raw.refreshSeconds) === undefined ? undefined : Math.max(2, positive(raw.refreshSeconds)!),
    busyStatuses: Array.isArray(raw.busyStatuses) ? raw.busyStatuses.map(String) : typeof raw.busyStatuses === 'string' ? raw.busyStatuses.split(/[,，\s]+/).filter(Boolean) : [],
    progress: progress ? { done: key(progress.done) ?? 'done', total: key(progress.total) ?? 'total', title: text(progress.title) } : undefined,
    filters: records(raw.filters).flatMap((f): ExtFilter[] => {
      const k = key(f.key);
      return k ? [{ key: k, label: text(f.label), kind: oneOf(f.kind, ['text', 'select'] as const, 'text'), options: options(f.options) }] : [];
    }),
    rowActions: actions(raw.rowActions),
    toolbar: actions(raw.toolbar),
  };
}

const KINDS = ['text', 'textarea', 'integer', 'litres', 'datetime', 'select', 'photo', 'location', 'entity'] as const;

/** An `ext-form` config as the block uses it. */
export function readFormConfig(raw: Record<string, unknown>): ExtFormConfig {
  return {
    title: text(raw.title),
    path: typeof raw.path === 'string' ? raw.path.trim() : '',
    submitLabel: text(raw.submitLabel),
    successMessage: text(raw.successMessage),
    fields: records(raw.fields).flatMap((f): ExtFormField[] => {
      const k = key(f.key);
      return k ? [{ key: k, label: text(f.label), kind: oneOf(f.kind, KINDS, 'text'), required: f.required === true, options: options(f.options), entity: key(f.entity) }] : [];
    }),
  };
}

/** A row's value by key, or by a dotted path into nested objects (`meter.no`). */
export function valueAt(row: Record<string, unknown>, name: string): unknown {
  if (name in row) return row[name];
  let value: unknown = row;
  for (const part of name.split('.')) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The path with its `:name` placeholders filled (URI-encoded) from `values`, and the names used; null
 * when a value is missing or the result is not a pack path.
 */
export function fillPath(template: string, values: Record<string, unknown>): { path: string; used: string[] } | null {
  const used: string[] = [];
  let missing = false;
  const [route = '', query] = template.split(/\?(.*)/s);
  const filled = route.replace(/:([A-Za-z_][\w.-]*)/g, (_, name: string) => {
    const value = valueAt(values, name);
    if (value === undefined || value === null || value === '' || typeof value === 'object') {
      missing = true;
      return '';
    }
    const encoded = encodeURIComponent(String(value));
    if (encoded === '.' || encoded === '..') missing = true;
    used.push(name);
    return encoded;
  });
  const path = query === undefined ? filled : `${filled}?${query}`;
  return missing || !isExtPath(path) ? null : { path, used };
}

/** A row action is offered for the row: no `when`, or the row's field is one of its values. */
export function actionApplies(action: Pick<ExtAction, 'when'>, row: Record<string, unknown>): boolean {
  if (!action.when) return true;
  const value = valueAt(row, action.when.field);
  return action.when.in.some((v) => v === value || (v !== null && value !== null && value !== undefined && String(v) === String(value)));
}

/** Some row is still working (its `status` is a busy one): the table keeps refreshing. */
export function anyBusy(rows: Record<string, unknown>[], busyStatuses: string[]): boolean {
  return busyStatuses.length > 0 && rows.some((r) => busyStatuses.includes(String(r.status)));
}

/**
 * The API's error details by the form field they are about (`body.<key>…`, `params.<key>`,
 * `query.<key>` or a bare key; `aliases` maps other body keys to a field, like `latitude` to a location
 * field), and the messages of the rest.
 */
export function errorsByField(details: { path?: string; message: string }[], keys: string[], aliases: Record<string, string> = {}): { fields: Record<string, string[]>; rest: string[] } {
  const fields: Record<string, string[]> = {};
  const rest: string[] = [];
  for (const detail of details) {
    const parts = (detail.path ?? '').split('.');
    const name = ['body', 'params', 'query'].includes(parts[0] ?? '') ? parts[1] : parts[0];
    const field = name ? (keys.includes(name) ? name : aliases[name]) : undefined;
    if (field) (fields[field] ??= []).push(detail.message);
    else rest.push(detail.message);
  }
  return { fields, rest };
}
