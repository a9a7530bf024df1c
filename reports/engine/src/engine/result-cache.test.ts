import type { AnalyticsStore } from '@shuiyun/analytics';
import type { Database } from '@shuiyun/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsWithReadings, closeAnalytics, postgresWithFacts, readingsDatasets } from '../testing/fixtures.js';
import { type ReportContext, createReportEngine } from './engine.js';
import { cacheKey, createResultCache } from './result-cache.js';

const as = (tenantPath: string, freshness?: string): ReportContext => ({ tenant: { tenantPath }, timeZone: 'Asia/Shanghai', freshness });

describe('the result cache', () => {
  let store: AnalyticsStore;
  let database: Database;
  beforeAll(async () => {
    store = await analyticsWithReadings();
    database = await postgresWithFacts('pglite');
  });
  afterAll(async () => {
    await database?.close();
    await closeAnalytics();
  });

  it.each(['chdb', 'pglite'] as const)('on %s: answers a repeat from the cache only for the same SQL, parameters, tenant and freshness token', async (target) => {
    const cache = createResultCache();
    const engine = createReportEngine({ analytics: store, database: database.db, cache });
    const dataset = target === 'chdb' ? readingsDatasets.chdb() : readingsDatasets.postgres();
    const query = { dimensions: ['device'], measures: ['readings'] };

    const first = await engine.run(dataset, query, as('1.2', 'w1'));
    const again = await engine.run(dataset, query, as('1.2', 'w1'));
    expect([first.cached, again.cached]).toEqual([false, true]);
    expect(again.rows).toEqual(first.rows);

    const otherTenant = await engine.run(dataset, query, as('1.3', 'w1'));
    expect(otherTenant.cached).toBe(false);
    expect(otherTenant.rows.map((r) => r.device)).toEqual(['m1', 'm9']);

    expect((await engine.run(dataset, query, as('1.2', 'w2'))).cached).toBe(false);
    expect((await engine.run(dataset, { ...query, parameters: { metric: 'flow' } }, as('1.2', 'w2'))).cached).toBe(false);

    const before = cache.stats.entries;
    const uncached = await engine.run(dataset, query, as('1.2'));
    expect(uncached.cached).toBe(false);
    expect(cache.stats.entries).toBe(before);
  });

  it('serves the cached rows until the caller’s freshness token changes', async () => {
    const engine = createReportEngine({ analytics: store, cache: createResultCache() });
    const dataset = readingsDatasets.chdb();
    const count = async (token: string) => (await engine.run(dataset, { measures: ['readings'] }, as('1.2.5', token))).rows[0]!.readings;
    expect(await count('watermark-1')).toBe('1');
    await store.insertReadings([{ tenantId: 5, tenantPath: '1.2.5', reading: { device: 'm5', metric: 'cumulative_volume', at: new Date('2026-03-03T00:00:00Z'), milli: 11_000n } }]);
    expect(await count('watermark-1')).toBe('1');
    expect(await count('watermark-2')).toBe('2');
  });

  it('stays within its byte bound, evicting the least recently used results', async () => {
    const cache = createResultCache({ maxBytes: 1_000 });
    const engine = createReportEngine({ analytics: store, cache });
    const dataset = readingsDatasets.chdb();
    const run = (device: string) => engine.run(dataset, { dimensions: ['day', 'device'], measures: ['readings', 'total'], filters: [{ field: 'device', op: 'eq', value: device }] }, as('1.2', 't'));
    for (const device of ['m1', 'm2', 'm5', 'm1', ...Array.from({ length: 30 }, (_, i) => `x${i}`)]) await run(device);
    expect(cache.stats.bytes).toBeLessThanOrEqual(1_000);
    expect(cache.stats.entries).toBeGreaterThan(0);
    expect((await run('m1')).cached).toBe(false);
    expect((await run('m1')).cached).toBe(true);
  });

  it('keys differ by every part', () => {
    const base = { store: 'clickhouse:x', sql: 'SELECT 1', params: { a: '1' }, scope: { tenantPath: '1.2' }, freshness: 'f' };
    const keys = new Set([
      cacheKey(base),
      cacheKey({ ...base, store: 'postgres' }),
      cacheKey({ ...base, sql: 'SELECT 2' }),
      cacheKey({ ...base, params: { a: '2' } }),
      cacheKey({ ...base, scope: { tenantPath: '1.3' } }),
      cacheKey({ ...base, freshness: 'g' }),
    ]);
    expect(keys.size).toBe(6);
    expect(cacheKey({ ...base, params: { a: 1n } })).not.toBe(cacheKey({ ...base, params: { a: '1' } }));
  });
});
