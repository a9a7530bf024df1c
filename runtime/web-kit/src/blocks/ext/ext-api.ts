import { request } from '../../api.js';
import type { ExtMethod } from './config.js';

export type ExtRow = Record<string, unknown>;

/** One page of a pack's list route (`{items, total, page, pageSize}`; a bare array is one page of all). */
export interface ExtPage {
  items: ExtRow[];
  total: number;
}

const rows = (value: unknown): ExtRow[] => (Array.isArray(value) ? value.filter((r): r is ExtRow => !!r && typeof r === 'object' && !Array.isArray(r)) : []);

export async function listExt(path: string, query: Record<string, string | number | undefined>, signal: AbortSignal): Promise<ExtPage> {
  const answer = await request<unknown>('GET', path, { query, signal });
  if (Array.isArray(answer)) return { items: rows(answer), total: answer.length };
  const page = (answer ?? {}) as { items?: unknown; total?: unknown };
  const items = rows(page.items);
  return { items, total: typeof page.total === 'number' ? page.total : items.length };
}

/** One call of a pack route; a GET or DELETE carries no body. */
export function sendExt<T = unknown>(method: ExtMethod, path: string, body: Record<string, unknown> = {}): Promise<T> {
  const withBody = method !== 'get' && method !== 'delete';
  return request<T>(method.toUpperCase(), path, withBody ? { body } : {});
}
