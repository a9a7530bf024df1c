/**
 * The configs of the pack blocks (`ext-table`, `ext-form`) that talk to a domain pack's own routes
 * (`/api/ext/<pack>/<path>`), read defensively (a page's JSON comes from a designer or a pack), and the
 * pure helpers around them: path checks, `:name` placeholders, error paths to fields.
 */
import type { Bilingual } from '../../artifacts.js';
import { DEFAULT_MAX_FILE_BYTES, TEXT_ENCODINGS, type TextEncoding } from './text-file.js';

export type ExtText = string | Bilingual;
export type ExtMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type ExtFormat = 'litres' | 'm3' | 'fen' | 'datetime' | 'date' | 'percent' | 'status' | 'text';
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
  kind: 'text' | 'select' | 'date' | 'month';
  options: ExtOption[];
  /** The value the table starts with: text, an option, a date `YYYY-MM-DD` or `today`, a month `YYYY-MM` or `thisMonth`. */
  default?: string;
  /** The route refuses a list without it: never cleared. */
  required?: boolean;
}
export interface ExtAction {
  label: ExtText;
  method: ExtMethod;
  /** `/api/ext/<pack>/…/:field`: placeholders from the row (row actions) or the form (toolbar). Empty for a `select` action. */
  path: string;
  confirm?: ExtText;
  body?: Record<string, unknown>;
  /** Row actions only: offered when the row's `field` is one of `in`. */
  when?: { field: string; in: unknown[] };
  /** A modal form whose values become the body (toolbar and row actions). */
  form?: ExtActionField[];
  /** Row actions only: instead of calling the pack, pick the row as the page's selection of this name (`account`). */
  select?: string;
  /** Row actions only: body keys taken from the row (body key → row key: `{period: 'period'}`). */
  rowBody?: Record<string, string>;
}
export interface ExtActionField {
  key: string;
  label?: ExtText;
  /** `money`: typed in yuan, sent as exact fen text. */
  kind: 'text' | 'textarea' | 'number' | 'money' | 'month' | 'date';
  required?: boolean;
}
/** A table that lists what belongs to the row picked under `name`: `:placeholders` of the path and the `params` (query name → row key) come from it. */
export interface ExtSelectionLink {
  name: string;
  params: Record<string, string>;
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
  selection?: ExtSelectionLink;
  /** Where the answer holds its rows when not under `items` (`rows`; a dotted path). */
  itemsKey?: string;
}

export type ExtFieldKind = 'text' | 'textarea' | 'integer' | 'litres' | 'money' | 'datetime' | 'select' | 'photo' | 'location' | 'entity' | 'lookup' | 'file' | 'requestKey';

/**
 * A `lookup` field: a search box over a pack's list route (`GET path?<param>=<typed text>` answering
 * `{items}`) listing matching rows as the user types; the field's value is the chosen row's `valueKey`.
 */
export interface ExtLookup {
  path: string;
  /** The query parameter the typed text goes in (`q`). */
  param: string;
  valueKey: string;
  /** What a row is shown as: these keys (dotted paths into nested objects) joined. */
  labelKeys: string[];
  /** Characters typed before searching (1). */
  minChars: number;
  /** Rows listed at most (8). */
  pageSize: number;
  /** Read after a choice (`/api/ext/<pack>/accounts/:id/balance`, placeholders from the row); its answer joins the row for `prefill` and `show`. */
  detailPath?: string;
  /** Other fields filled from the chosen row: field key → row key (`{amountFen: 'outstandingFen'}`). */
  prefill: Record<string, string>;
  /** What the chosen row shows besides its label, formatted like table columns. */
  show: ExtColumn[];
  /** Pick the chosen row as the page's selection of this name, for the tables that follow it. */
  publish?: string;
}
export interface ExtFileOptions {
  /** The file chooser's `accept` (`.csv,.txt,text/csv,text/plain`). */
  accept: string;
  encoding: TextEncoding;
  maxBytes: number;
  /** The body key the file's name is sent under, beside its text under the field's key. */
  fileNameKey?: string;
}
export interface ExtFormField {
  key: string;
  label?: ExtText;
  kind: ExtFieldKind;
  required?: boolean;
  options: ExtOption[];
  entity?: string;
  /** The cursor starts here (and comes back after a successful submit). */
  autofocus?: boolean;
  /** The value a new form starts with (a select's option value, text, a yuan amount). */
  default?: string | number | boolean;
  /** `money` only: negative amounts are allowed. */
  allowNegative?: boolean;
  lookup?: ExtLookup;
  file?: ExtFileOptions;
  /** `photo` only: sent as a named document `{name, dataUrl}` appended to the body's list under this key (`documents`). */
  listKey?: string;
  /** The document's name in that list (the field's key with `.jpg` unless given). */
  documentName?: string;
}
export interface ExtFormConfig {
  title?: ExtText;
  /** The route the form posts to; empty for a picker (a form of publishing lookups only, without a submit). */
  path: string;
  submitLabel?: ExtText;
  fields: ExtFormField[];
  successMessage?: ExtText;
  /** Keys of the route's answer shown after a success (a receipt number, change in fen …) until the next submit. */
  result: ExtColumn[];
  /** Start afresh after a success (default), or keep the values. */
  resetOnSuccess: boolean;
  /** Other pack routes a success changes: the page's tables over them refresh too (the form's own path always does). */
  refreshes: string[];
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

function actions(value: unknown, rows: boolean): ExtAction[] {
  return records(value).flatMap((a): ExtAction[] => {
    const select = rows ? key(a.select) : undefined;
    const path = key(a.path);
    if (!path && !select) return [];
    const when = a.when as { field?: unknown; in?: unknown } | undefined;
    const body = a.body && typeof a.body === 'object' && !Array.isArray(a.body) ? (a.body as Record<string, unknown>) : undefined;
    const form = records(a.form).flatMap((f): ExtActionField[] => {
      const k = key(f.key);
      return k ? [{ key: k, label: text(f.label), kind: oneOf(f.kind, ['text', 'textarea', 'number', 'money', 'month', 'date'] as const, 'text'), required: f.required === true }] : [];
    });
    const action: ExtAction = {
      label: text(a.label) ?? path ?? select!,
      method: oneOf(typeof a.method === 'string' ? a.method.toLowerCase() : a.method, METHODS, 'post'),
      path: select ? '' : path!,
      confirm: text(a.confirm),
      body,
      when: when && key(when.field) && Array.isArray(when.in) ? { field: key(when.field)!, in: when.in } : undefined,
      form: form.length && !select ? form : undefined,
    };
    if (select) action.select = select;
    const rowBody = rows && !select ? keyMap(a.rowBody) : {};
    if (Object.keys(rowBody).length) action.rowBody = rowBody;
    return [action];
  });
}

function columnsOf(value: unknown): ExtColumn[] {
  return records(value).flatMap((c): ExtColumn[] => {
    const k = key(c.key);
    const labels = c.labels && typeof c.labels === 'object' ? Object.fromEntries(Object.entries(c.labels).filter(([, v]) => isText(v))) : undefined;
    return k ? [{ key: k, title: text(c.title ?? c.label), format: oneOf(c.format, FORMATS, 'text'), labels: labels as Record<string, ExtText> | undefined }] : [];
  });
}

/** `{name: row key}` pairs with text on both sides. */
function keyMap(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => (key(k) && key(v) ? [[k.trim(), key(v)!]] : [])));
}

function selectionLink(value: unknown): ExtSelectionLink | undefined {
  if (typeof value === 'string') return key(value) ? { name: key(value)!, params: {} } : undefined;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const name = key(v.name);
  return name ? { name, params: keyMap(v.params) } : undefined;
}

const FORMATS = ['litres', 'm3', 'fen', 'datetime', 'date', 'percent', 'status', 'text'] as const;

/** An `ext-table` config as the block uses it (lists always lists, page size 1–200). */
export function readTableConfig(raw: Record<string, unknown>): ExtTableConfig {
  const progress = raw.progress && typeof raw.progress === 'object' ? (raw.progress as Record<string, unknown>) : undefined;
  return {
    title: text(raw.title),
    path: typeof raw.path === 'string' ? raw.path.trim() : '',
    columns: columnsOf(raw.columns),
    pageSize: Math.min(200, Math.floor(positive(raw.pageSize) ?? 20)),
    refreshSeconds: positive(raw.refreshSeconds) === undefined ? undefined : Math.max(2, positive(raw.refreshSeconds)!),
    busyStatuses: Array.isArray(raw.busyStatuses) ? raw.busyStatuses.map(String) : typeof raw.busyStatuses === 'string' ? raw.busyStatuses.split(/[,，\s]+/).filter(Boolean) : [],
    progress: progress ? { done: key(progress.done) ?? 'done', total: key(progress.total) ?? 'total', title: text(progress.title) } : undefined,
    filters: records(raw.filters).flatMap((f): ExtFilter[] => {
      const k = key(f.key);
      if (!k) return [];
      const filter: ExtFilter = { key: k, label: text(f.label), kind: oneOf(f.kind, ['text', 'select', 'date', 'month'] as const, 'text'), options: options(f.options) };
      const given = typeof f.default === 'number' ? String(f.default) : key(f.default);
      if (given) filter.default = given;
      if (f.required === true) filter.required = true;
      return [filter];
    }),
    rowActions: actions(raw.rowActions, true),
    toolbar: actions(raw.toolbar, false),
    ...(selectionLink(raw.selection) ? { selection: selectionLink(raw.selection) } : {}),
    ...(key(raw.itemsKey) ? { itemsKey: key(raw.itemsKey) } : {}),
  };
}

/** Today or this month in the browser's zone, as the API takes them. */
function localToday(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A filter's starting value: its default, with `today` and `thisMonth` resolved; undefined without one. */
export function filterDefault(filter: ExtFilter, now: Date = new Date()): string | undefined {
  if (filter.default === undefined) return undefined;
  if (filter.default === 'today') return filter.kind === 'month' ? localToday(now).slice(0, 7) : localToday(now);
  if (filter.default === 'thisMonth') return localToday(now).slice(0, 7);
  return filter.default;
}

const KINDS = ['text', 'textarea', 'integer', 'litres', 'money', 'datetime', 'select', 'photo', 'location', 'entity', 'lookup', 'file', 'requestKey'] as const;
/** The largest file a form may be configured to read. */
const MAX_FILE_BYTES = 50 * 1024 * 1024;

function lookupOf(f: Record<string, unknown>): ExtLookup {
  const labelKeys = Array.isArray(f.labelKeys) ? f.labelKeys.flatMap((k) => (key(k) ? [key(k)!] : [])) : typeof f.labelKeys === 'string' ? f.labelKeys.split(/[,，\s]+/).filter(Boolean) : [];
  const valueKey = key(f.valueKey) ?? 'id';
  const lookup: ExtLookup = {
    path: typeof f.path === 'string' ? f.path.trim() : '',
    param: key(f.param) ?? 'q',
    valueKey,
    labelKeys: labelKeys.length ? labelKeys : [valueKey],
    minChars: Math.min(20, Math.floor(positive(f.minChars) ?? 1)),
    pageSize: Math.min(50, Math.floor(positive(f.pageSize) ?? 8)),
    prefill: keyMap(f.prefill),
    show: columnsOf(f.show),
  };
  const detailPath = typeof f.detailPath === 'string' && f.detailPath.trim() ? f.detailPath.trim() : undefined;
  if (detailPath) lookup.detailPath = detailPath;
  if (key(f.publish)) lookup.publish = key(f.publish);
  return lookup;
}

function fileOf(f: Record<string, unknown>): ExtFileOptions {
  const file: ExtFileOptions = {
    accept: typeof f.accept === 'string' && f.accept.trim() ? f.accept.trim() : '.csv,.txt,text/csv,text/plain',
    encoding: oneOf(typeof f.encoding === 'string' ? f.encoding.toLowerCase() : f.encoding, TEXT_ENCODINGS, 'auto'),
    maxBytes: Math.min(MAX_FILE_BYTES, Math.floor(positive(f.maxBytes) ?? DEFAULT_MAX_FILE_BYTES)),
  };
  if (key(f.fileNameKey)) file.fileNameKey = key(f.fileNameKey);
  return file;
}

function field(f: Record<string, unknown>): ExtFormField[] {
  const k = key(f.key);
  if (!k) return [];
  const kind = oneOf(f.kind, KINDS, 'text');
  const out: ExtFormField = { key: k, label: text(f.label), kind, required: f.required === true, options: options(f.options), entity: key(f.entity) };
  if (f.autofocus === true) out.autofocus = true;
  if (typeof f.default === 'string' || typeof f.default === 'boolean' || (typeof f.default === 'number' && Number.isFinite(f.default))) out.default = f.default;
  if (kind === 'money' && f.allowNegative === true) out.allowNegative = true;
  if (kind === 'lookup') out.lookup = lookupOf(f);
  if (kind === 'file') out.file = fileOf(f);
  if (kind === 'photo' && key(f.listKey)) {
    out.listKey = key(f.listKey);
    out.documentName = key(f.documentName) ?? `${k}.jpg`;
  }
  if (kind === 'requestKey') out.required = false;
  return [out];
}

/** An `ext-form` config as the block uses it. */
export function readFormConfig(raw: Record<string, unknown>): ExtFormConfig {
  return {
    title: text(raw.title),
    path: typeof raw.path === 'string' ? raw.path.trim() : '',
    submitLabel: text(raw.submitLabel),
    successMessage: text(raw.successMessage),
    fields: records(raw.fields).flatMap(field),
    result: columnsOf(raw.result),
    resetOnSuccess: raw.resetOnSuccess !== false,
    refreshes: Array.isArray(raw.refreshes) ? raw.refreshes.filter(isExtPath).map((p) => p.trim()) : [],
  };
}

/** A picker: no route, and a lookup that picks for the page; it shows no submit button. */
export const isPicker = (config: Pick<ExtFormConfig, 'path' | 'fields'>): boolean => !config.path && config.fields.some((f) => f.kind === 'lookup' && !!f.lookup?.publish);

/** A row's value shown as text: a lookup's label (its `labelKeys`, nested objects' values joined, empty parts left out). */
export function rowLabel(row: Record<string, unknown>, labelKeys: string[]): string {
  const flat = (value: unknown): string[] => {
    if (value === undefined || value === null || value === '') return [];
    if (typeof value === 'object') return Array.isArray(value) ? value.flatMap(flat) : Object.values(value as Record<string, unknown>).flatMap(flat);
    return [String(value)];
  };
  return labelKeys.flatMap((k) => flat(valueAt(row, k))).join(' · ');
}

/**
 * The path with its `:name` placeholders filled from `values`, and query parameters (name → key of
 * `values`) appended; null when a value is missing or the result is not a pack path.
 */
export function linkedPath(template: string, values: Record<string, unknown>, params: Record<string, string> = {}): string | null {
  const filled = fillPath(template, values);
  if (!filled) return null;
  const query: string[] = [];
  for (const [name, from] of Object.entries(params)) {
    const value = valueAt(values, from);
    if (value === undefined || value === null || value === '' || typeof value === 'object') return null;
    query.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  }
  if (!query.length) return filled.path;
  return `${filled.path}${filled.path.includes('?') ? '&' : '?'}${query.join('&')}`;
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
 * `query.<key>` or a bare key; a dotted field key such as `customer.name` matches `body.customer.name`,
 * the longest key first; `aliases` maps other body keys to a field, like `latitude` to a location
 * field), and the messages of the rest.
 */
export function errorsByField(details: { path?: string; message: string }[], keys: string[], aliases: Record<string, string> = {}): { fields: Record<string, string[]>; rest: string[] } {
  const fields: Record<string, string[]> = {};
  const rest: string[] = [];
  for (const detail of details) {
    const parts = (detail.path ?? '').split('.');
    const names = ['body', 'params', 'query'].includes(parts[0] ?? '') ? parts.slice(1) : parts;
    let field: string | undefined;
    for (let n = names.length; n >= 1 && !field; n--) {
      const name = names.slice(0, n).join('.');
      if (!name) continue;
      field = keys.includes(name) ? name : aliases[name];
    }
    if (field) (fields[field] ??= []).push(detail.message);
    else rest.push(detail.message);
  }
  return { fields, rest };
}

export type ExtRowValues = Record<string, unknown>;

/** One page of a pack's list route (`{items, total, page, pageSize}`; a bare array is one page of all). */
export interface ExtPage {
  items: ExtRowValues[];
  total: number;
}

const rowsOf = (value: unknown): ExtRowValues[] => (Array.isArray(value) ? value.filter((r): r is ExtRowValues => !!r && typeof r === 'object' && !Array.isArray(r)) : []);

/** One page of a list answer: a bare array, `{items, total}`, or the rows under `itemsKey` (a dotted path). */
export function pageOf(answer: unknown, itemsKey?: string): ExtPage {
  if (Array.isArray(answer)) return { items: rowsOf(answer), total: answer.length };
  const page = (answer ?? {}) as { items?: unknown; total?: unknown };
  let list: unknown = page.items;
  if (itemsKey) {
    list = answer;
    for (const part of itemsKey.split('.')) list = list && typeof list === 'object' ? (list as Record<string, unknown>)[part] : undefined;
  }
  const items = rowsOf(list);
  return { items, total: typeof page.total === 'number' && !itemsKey ? page.total : items.length };
}

/** The resource a path names: its path without the query. */
export const resourceOf = (path: string) => path.split('?')[0]!.replace(/\/+$/, '');

/** A write to `written` changes what `listed` lists: the same resource, or one under it. */
export function changes(written: string, listed: string): boolean {
  const mine = resourceOf(listed);
  const detail = resourceOf(written);
  return detail === mine || detail.startsWith(`${mine}/`);
}
