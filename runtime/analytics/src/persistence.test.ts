import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openAnalyticsStore } from './store.js';
import { series, tenants } from './testing/readings.js';

const dataDir = join(mkdtempSync(join(tmpdir(), 'shuiyun-analytics-persist-')), 'chdb');
afterAll(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));


it('keeps readings and the migration ledger when the store is closed and opened again on the same directory', async () => {
  const batch = series('companyA', 'persisted', 1_000);
  const expected = batch.reduce((sum, r) => sum + r.reading.milli, 0n);

  const first = await openAnalyticsStore({ dataDir });
  expect(first.kind).toBe('chdb');
  expect((await first.migrate()).applied.length).toBeGreaterThan(0);
  await first.insertReadings(batch);
  await first.close();

  const second = await openAnalyticsStore({ dataDir });
  try {
    expect((await second.migrate()).applied).toEqual([]);
    const [row] = await second.query<{ n: string; total: string }>(
      tenants.companyA,
      `SELECT count() AS n, sum(milli) AS total FROM {{readings}} WHERE device = 'persisted'`,
    );
    expect(row).toEqual({ n: '1000', total: String(expected) });
    // Delivering the batch again after the restart still counts it once.
    await second.insertReadings(batch);
    const [again] = await second.query<{ n: string }>(tenants.group, `SELECT count() AS n FROM {{readings}} WHERE device = 'persisted'`);
    expect(again).toEqual({ n: '1000' });
  } finally {
    await second.close();
  }
});

it('refuses a second chDB directory while one is open, and closes even with a stream its reader abandoned', async () => {
  const store = await openAnalyticsStore({ dataDir });
  try {
    await expect(openAnalyticsStore({ dataDir: `${dataDir}-other` })).rejects.toMatchObject({
      code: 'analytics_unavailable',
      message: /one data directory per process/,
    });
    const abandoned = store.stream<{ milli: string }>(tenants.group, `SELECT milli FROM {{readings}} WHERE device = 'persisted'`);
    expect((await abandoned.next()).done).toBe(false); // read one row, then stop pulling without leaving the loop
  } finally {
    await store.close(); // must not wait for the abandoned reader
  }
  // The directory is free again: another one opens in this process.
  const other = await openAnalyticsStore({ dataDir: `${dataDir}-other` });
  await other.close();
});

it('refuses a URL that is not http(s) instead of silently using chDB', async () => {
  await expect(openAnalyticsStore({ url: 'clickhouse://localhost:9000' })).rejects.toMatchObject({ code: 'analytics_unavailable' });
});
