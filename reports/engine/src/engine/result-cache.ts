import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Rows of compiled report queries, keyed by everything that decides them: the store, the SQL text, the
 * bound parameters, the caller's tenant scope, and a data-freshness token the caller supplies (say, the
 * analytics ingestion watermark or a table's last write). A new token simply misses; stale entries age
 * out of the LRU, which is bounded by an estimate of the bytes it holds.
 */
export interface CacheKeyParts {
  /** Which store, e.g. `clickhouse:shuiyun` or `postgres`. */
  store: string;
  sql: string;
  params: unknown;
  /** Everything of the caller that row-level security or the tenant predicate reads. */
  scope: unknown;
  freshness: string;
}

export type CachedRows = readonly Record<string, unknown>[];

export interface ResultCache {
  get(key: string): CachedRows | undefined;
  set(key: string, rows: CachedRows): void;
  readonly stats: { hits: number; misses: number; entries: number; bytes: number };
  clear(): void;
}

const json = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

export function cacheKey(parts: CacheKeyParts): string {
  return createHash('sha256').update(json([parts.store, parts.sql, parts.params, parts.scope, parts.freshness])).digest('hex');
}

/** Rows as UTF-16 text, roughly what they hold in memory. */
export const estimateBytes = (rows: CachedRows) => Math.max(64, json(rows).length * 2);

export function createResultCache(options: { maxBytes?: number; maxEntries?: number; ttlMs?: number } = {}): ResultCache {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const lru = new LRUCache<string, CachedRows>({
    max: options.maxEntries ?? 10_000,
    maxSize: maxBytes,
    // A result larger than the whole cache is not kept (lru-cache refuses it rather than evicting all).
    sizeCalculation: (rows) => Math.min(estimateBytes(rows), maxBytes + 1),
    ...(options.ttlMs ? { ttl: options.ttlMs } : {}),
  });
  const stats = { hits: 0, misses: 0, entries: 0, bytes: 0 };
  return {
    get(key) {
      const rows = lru.get(key);
      if (rows) stats.hits += 1;
      else stats.misses += 1;
      return rows;
    },
    set(key, rows) {
      lru.set(key, rows);
    },
    get stats() {
      return { ...stats, entries: lru.size, bytes: lru.calculatedSize };
    },
    clear() {
      lru.clear();
    },
  };
}
