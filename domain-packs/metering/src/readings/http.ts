/**
 * Request parsing shared by the routes. Bodies and queries are checked here rather than by zod so that
 * every refusal names its field in zh-CN and en (the platform answers zod issues in English only).
 */
import { PackError } from '@shuiyun/sdk';
import { z } from 'zod';
import { invalid, requestMessages } from './messages.js';
import { parseId } from './values.js';

/** What a route declares: any JSON object body; the handler checks its fields. */
export const anyBody = z.record(z.string(), z.unknown());
/** Any query string; the handler checks its parameters. */
export const anyQuery = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
export const idParam = z.object({ id: z.string() });

/** The body as an object with only the `allowed` keys. */
export function bodyOf(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid(requestMessages.body_object(), 'body');
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw invalid(requestMessages.unknown_field(unknown), `body.${unknown}`);
  return body as Record<string, unknown>;
}

/** A path id; a malformed one is a 404 (no such record), like the platform's own routes. */
export function pathId(text: string, notFound: (id: string) => { 'zh-CN': string; en: string }): bigint {
  const id = parseId(text);
  if (id === null) throw new PackError('not_found', notFound(text), 'params.id');
  return id;
}

/** One query parameter as text (the first when repeated), or undefined. */
export function queryText(query: Record<string, string | string[]>, name: string): string | undefined {
  const value = query[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

export function checkQuery(query: Record<string, string | string[]>, allowed: readonly string[]): void {
  const unknown = Object.keys(query).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw invalid(requestMessages.unknown_field(unknown), `query.${unknown}`);
}

export interface Paging {
  page: number;
  pageSize: number;
  offset: number;
}

/** `?page=&pageSize=`: pages from 1, 20 a page unless told, at most 200. */
export function pagingOf(query: Record<string, string | string[]>): Paging {
  const page = queryText(query, 'page') ?? '1';
  const size = queryText(query, 'pageSize') ?? '20';
  if (!/^[1-9]\d{0,6}$/.test(page) || !/^[1-9]\d{0,2}$/.test(size) || Number(size) > 200) throw invalid(requestMessages.page_bad(), 'query.page');
  return { page: Number(page), pageSize: Number(size), offset: (Number(page) - 1) * Number(size) };
}
