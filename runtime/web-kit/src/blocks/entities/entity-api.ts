import { api } from '../../api.js';
import type { EntityContent, EntityField, Page } from '../../artifacts.js';

/** One record of an entity as `/api/entities/:code/records` answers it. */
export interface EntityRecord {
  id: number;
  data: Record<string, unknown>;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface RecordQuery {
  page: number;
  pageSize: number;
  q?: string;
  /** `field` ascending, `-field` descending. */
  sort?: string;
  filters?: Record<string, string | undefined>;
}

const path = (code: string) => `/api/entities/${encodeURIComponent(code)}`;

/** The published model; tolerant of it arriving bare or wrapped (`{content}` / `{model}`). */
export async function loadEntityModel(code: string, signal?: AbortSignal): Promise<EntityContent & { code?: string }> {
  const answer = await api.get<Record<string, unknown>>(path(code), undefined, signal);
  for (const candidate of [answer, answer.content, answer.model]) {
    if (candidate && typeof candidate === 'object' && Array.isArray((candidate as EntityContent).fields)) return { code, ...(candidate as EntityContent) };
  }
  throw new Error(`the entity ${code} has no fields`);
}

export function listRecords(code: string, query: RecordQuery, signal?: AbortSignal): Promise<Page<EntityRecord>> {
  const params: Record<string, string | number | undefined> = { page: query.page, pageSize: query.pageSize, q: query.q, sort: query.sort };
  for (const [field, value] of Object.entries(query.filters ?? {})) params[`filter.${field}`] = value;
  return api.get<Page<EntityRecord>>(`${path(code)}/records`, params, signal);
}

/** The Formily JSON Schema the runtime generates from the model (bare, or as `{schema}`). */
export async function loadEntitySchema(code: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const answer = await api.get<Record<string, unknown>>(`${path(code)}/schema`, undefined, signal);
  const inner = answer.schema;
  return inner && typeof inner === 'object' && !('type' in answer && 'properties' in answer) ? (inner as Record<string, unknown>) : answer;
}

export function createRecord(code: string, data: Record<string, unknown>): Promise<EntityRecord> {
  return api.post<EntityRecord>(`${path(code)}/records`, { data });
}

export function updateRecord(code: string, id: number, data: Record<string, unknown>, revision: number): Promise<EntityRecord> {
  return api.put<EntityRecord>(`${path(code)}/records/${id}`, { data, revision });
}

/** Decimals travel as exact text, integers as numbers, whatever the input component produced. */
export function normaliseData(fields: EntityField[], data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  for (const field of fields) {
    const value = out[field.name];
    if (value === '' || value === null) {
      out[field.name] = undefined;
      continue;
    }
    if (value === undefined) continue;
    if (field.type === 'decimal' && typeof value === 'number') out[field.name] = String(value);
    if (field.type === 'integer' && typeof value === 'string' && /^-?\d+$/.test(value.trim())) out[field.name] = Number(value);
    // The date picker writes local `YYYY-MM-DD HH:mm:ss`; the API keeps instants (ISO with offset).
    if (field.type === 'datetime' && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/.test(value)) {
      const instant = new Date(value.replace(' ', 'T'));
      if (!Number.isNaN(instant.getTime())) out[field.name] = instant.toISOString();
    }
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

/**
 * The generated schema as the form renders it: reference fields (`x-reference: <entity>` on a plain
 * Select) become a select over that entity's records, and every input is named by its field's title
 * (Formily's labels are not tied to their inputs).
 */
export function prepareFormSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const visit = (node: unknown): unknown => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
    const out: Record<string, unknown> = { ...(node as Record<string, unknown>) };
    const props = { ...((out['x-component-props'] as Record<string, unknown> | undefined) ?? {}) };
    if (typeof out['x-reference'] === 'string') {
      out['x-component'] = 'ReferenceSelect';
      props.entity = out['x-reference'];
    }
    if (out['x-component'] && typeof out.title === 'string' && props['aria-label'] === undefined) props['aria-label'] = out.title;
    if (out['x-component']) out['x-component-props'] = props;
    if (out.properties && typeof out.properties === 'object') {
      out.properties = Object.fromEntries(Object.entries(out.properties as Record<string, unknown>).map(([k, v]) => [k, visit(v)]));
    }
    if (out.items) out.items = visit(out.items);
    return out;
  };
  return visit(schema) as Record<string, unknown>;
}
