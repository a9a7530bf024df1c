import { request } from '../../api.js';
import { pageOf, type ExtMethod, type ExtPage } from './config.js';

export type ExtRow = Record<string, unknown>;

export type { ExtPage };

export async function listExt(path: string, query: Record<string, string | number | undefined>, signal: AbortSignal, itemsKey?: string): Promise<ExtPage> {
  return pageOf(await request<unknown>('GET', path, { query, signal }), itemsKey);
}

/** One call of a pack route; a GET or DELETE carries no body. */
export function sendExt<T = unknown>(method: ExtMethod, path: string, body: Record<string, unknown> = {}): Promise<T> {
  const withBody = method !== 'get' && method !== 'delete';
  return request<T>(method.toUpperCase(), path, withBody ? { body } : {});
}
