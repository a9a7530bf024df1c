import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { QueryParams } from '@shuiyun/analytics';

/**
 * SQL under construction: text the compiler wrote (from the dataset's allow-listed names and fixed
 * keywords) and bound values, kept apart until the end. ClickHouse renders a bound value as a
 * `{rpN:Type}` query parameter, PostgreSQL as `$N::type`; neither ever pastes a value into the text.
 */
export interface Bound {
  readonly bound: string | boolean | null | readonly string[];
  /** The ClickHouse parameter type, e.g. `String`, `Decimal(38, 9)`, `Array(Int64)`. */
  readonly ch: string;
  /** The PostgreSQL cast, e.g. `text`, `numeric`, `ltree`. */
  readonly pg: string;
}

export type Piece = string | Bound | Fragment;
export interface Fragment {
  readonly pieces: readonly (string | Bound)[];
}

const isFragment = (piece: Piece): piece is Fragment => typeof piece === 'object' && 'pieces' in piece;

function flatten(parts: readonly Piece[]): (string | Bound)[] {
  const out: (string | Bound)[] = [];
  for (const part of parts) {
    if (isFragment(part)) out.push(...part.pieces);
    else out.push(part);
  }
  return out;
}

/** Tagged template: literal text and interpolated pieces (text the compiler chose, fragments, bound values). */
export function f(strings: TemplateStringsArray, ...values: Piece[]): Fragment {
  const parts: Piece[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push(text);
    if (i < values.length) parts.push(values[i]!);
  });
  return { pieces: flatten(parts) };
}

export function join(parts: readonly Piece[], separator: string): Fragment {
  const out: Piece[] = [];
  parts.forEach((part, i) => {
    if (i > 0) out.push(separator);
    out.push(part);
  });
  return { pieces: flatten(out) };
}

export const bind = (value: Bound['bound'], ch: string, pg: string): Bound => ({ bound: value, ch, pg });

export interface ClickHouseQuery {
  sql: string;
  params: QueryParams;
}

export function renderClickHouse(fragment: Fragment): ClickHouseQuery {
  let text = '';
  const params: Record<string, string | boolean | null | readonly string[]> = {};
  let n = 0;
  for (const piece of fragment.pieces) {
    if (typeof piece === 'string') text += piece;
    else {
      const name = `rp${n}`;
      n += 1;
      text += `{${name}:${piece.ch}}`;
      params[name] = piece.bound;
    }
  }
  return { sql: text, params: params as QueryParams };
}

export interface PostgresQuery {
  query: SQL;
  /** The statement's text with `$n` markers and its parameters: the cache key and the log line. */
  text: string;
  params: unknown[];
}

const dialect = new PgDialect();

export function renderPostgres(fragment: Fragment): PostgresQuery {
  const chunks: SQL[] = [];
  for (const piece of fragment.pieces) {
    if (typeof piece === 'string') chunks.push(sql.raw(piece));
    else if (piece.bound === null) chunks.push(sql.raw(`NULL::${piece.pg}`));
    else if (Array.isArray(piece.bound)) throw new Error('PostgreSQL lists are bound one value at a time');
    else chunks.push(sql`${sql.param(typeof piece.bound === 'boolean' ? String(piece.bound) : piece.bound)}::${sql.raw(piece.pg)}`);
  }
  const query = sql.join(chunks);
  const { sql: text, params } = dialect.sqlToQuery(query);
  return { query, text, params };
}
