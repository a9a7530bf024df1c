import type { AnalyticsStore } from '@shuiyun/analytics';
import type { Database } from '@shuiyun/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../dataset/dataset.js';
import { type ReportContext, type ReportEngine, createReportEngine } from '../engine/engine.js';
import type { ReportQuery } from '../query/plan.js';
import { analyticsWithReadings, closeAnalytics, postgresWithFacts, readingsDatasets } from '../testing/fixtures.js';

/**
 * One report definition, three engines: chDB (the analytics store) and a PostgreSQL table with the same
 * rows, on PGlite and on the machine's PostgreSQL. Every expectation below was worked out by hand from
 * the seed in testing/fixtures.ts and must hold on each engine.
 */
const targets = ['chdb', 'pglite', 'postgres'] as const;

describe.each(targets)('the same report definitions on %s', (target) => {
  let engine: ReportEngine;
  let dataset: Dataset;
  let store: AnalyticsStore | undefined;
  let database: Database | undefined;

  beforeAll(async () => {
    if (target === 'chdb') {
      store = await analyticsWithReadings();
      engine = createReportEngine({ analytics: store });
      dataset = readingsDatasets.chdb();
    } else {
      database = await postgresWithFacts(target);
      engine = createReportEngine({ database: database.db });
      dataset = readingsDatasets.postgres();
    }
  });
  afterAll(async () => {
    await database?.close();
    if (store) await closeAnalytics();
  });

  const companyA: ReportContext = { tenant: { tenantPath: '1.2' }, timeZone: 'Asia/Shanghai' };
  const run = (query: ReportQuery, context: ReportContext = companyA) => engine.run(dataset, query, context);

  it('counts a reading at 2026-03-01T16:30Z on March 2 in Asia/Shanghai, with exact sums, averages, maxima and local first times', async () => {
    const result = await run({
      dimensions: ['day', 'device'],
      measures: ['readings', 'total', 'average', 'highest', 'firstAt'],
      sort: [{ field: 'day' }, { field: 'device' }],
    });
    expect(result.rows).toEqual([
      { day: '2026-03-01', device: 'm1', readings: '2', total: '200.250', average: '100.125', highest: '100.250', firstAt: '2026-03-01 09:00:00' },
      { day: '2026-03-01', device: 'm2', readings: '1', total: '50.000', average: '50.000', highest: '50.000', firstAt: '2026-03-01 11:00:00' },
      // 201.625 / 2 = 100.8125, rounded half up at three decimals.
      { day: '2026-03-02', device: 'm1', readings: '2', total: '201.625', average: '100.813', highest: '101.125', firstAt: '2026-03-02 00:30:00' },
      { day: '2026-03-02', device: 'm2', readings: '1', total: '50.700', average: '50.700', highest: '50.700', firstAt: '2026-03-02 09:00:00' },
      { day: '2026-03-02', device: 'm5', readings: '1', total: '10.000', average: '10.000', highest: '10.000', firstAt: '2026-03-02 00:10:00' },
    ]);
    expect(result.columns.map((c) => [c.id, c.role, c.type, c.scale ?? null])).toEqual([
      ['day', 'dimension', 'string', null],
      ['device', 'dimension', 'string', null],
      ['readings', 'measure', 'decimal', 0],
      ['total', 'measure', 'decimal', 3],
      ['average', 'measure', 'decimal', 3],
      ['highest', 'measure', 'decimal', 3],
      ['firstAt', 'measure', 'string', null],
    ]);
  });

  it('draws the same days in UTC differently: the boundary is the tenant’s time zone', async () => {
    const result = await run({ dimensions: ['day'], measures: ['readings'] }, { ...companyA, timeZone: 'UTC' });
    expect(result.rows).toEqual([
      { day: '2026-03-01', readings: '5' },
      { day: '2026-03-02', readings: '2' },
    ]);
  });

  it('cuts hours, ISO weeks (Mondays), months and years in the tenant’s zone', async () => {
    const hours = await run({ dimensions: ['hour'], measures: ['readings'], filters: [{ field: 'hour', op: 'gte', value: '2026-03-02 00:00' }] });
    expect(hours.rows).toEqual([
      { hour: '2026-03-02 00:00', readings: '2' },
      { hour: '2026-03-02 09:00', readings: '1' },
      { hour: '2026-03-02 18:00', readings: '1' },
    ]);
    // 2026-03-01 is a Sunday: in Shanghai three readings fall in the week of Monday 23 February.
    expect((await run({ dimensions: ['week'], measures: ['readings'] })).rows).toEqual([
      { week: '2026-02-23', readings: '3' },
      { week: '2026-03-02', readings: '4' },
    ]);
    expect((await run({ dimensions: ['week'], measures: ['readings'] }, { ...companyA, timeZone: 'UTC' })).rows).toEqual([
      { week: '2026-02-23', readings: '5' },
      { week: '2026-03-02', readings: '2' },
    ]);
    expect((await run({ dimensions: ['month', 'year'], measures: ['readings'] })).rows).toEqual([{ month: '2026-03', year: '2026', readings: '7' }]);
  });

  it('computes ratios from exact parts and count distinct per group', async () => {
    const result = await run({ dimensions: ['day'], measures: ['readings', 'devices', 'total', 'perDevice', 'bigReadings', 'bigShare'] });
    expect(result.rows).toEqual([
      // 250.250 / 2 devices; 2 of 3 readings are ≥ 100 → 66.666… % → 66.67.
      { day: '2026-03-01', readings: '3', devices: '2', total: '250.250', perDevice: '125.125', bigReadings: '2', bigShare: '66.67' },
      // 262.325 / 3 = 87.4416… → 87.442.
      { day: '2026-03-02', readings: '4', devices: '3', total: '262.325', perDevice: '87.442', bigReadings: '2', bigShare: '50.00' },
    ]);
  });

  it('aggregates to one row without dimensions', async () => {
    const result = await run({ measures: ['readings', 'devices', 'total', 'perDevice'] });
    expect(result.rows).toEqual([{ readings: '7', devices: '3', total: '512.575', perDevice: '170.858' }]);
  });

  it('filters by dimensions, parameters and a date range in local days', async () => {
    const onlyM1AndM5 = await run({ dimensions: ['device'], measures: ['readings'], filters: [{ field: 'device', op: 'in', values: ['m1', 'm5'] }] });
    expect(onlyM1AndM5.rows).toEqual([
      { device: 'm1', readings: '4' },
      { device: 'm5', readings: '1' },
    ]);
    const march2 = await run({ dimensions: ['device'], measures: ['total'], parameters: { period: { from: '2026-03-02', to: '2026-03-02' } } });
    expect(march2.rows).toEqual([
      { device: 'm1', total: '201.625' },
      { device: 'm2', total: '50.700' },
      { device: 'm5', total: '10.000' },
    ]);
    const bigOnes = await run({ dimensions: ['device'], measures: ['readings'], parameters: { minValue: '100.25' } });
    expect(bigOnes.rows).toEqual([{ device: 'm1', readings: '3' }]);
    const flow = await run({ dimensions: ['device', 'metric'], measures: ['total'], parameters: { metric: 'flow' } });
    expect(flow.rows).toEqual([{ device: 'm1', metric: 'flow', total: '0.125' }]);
    const site = await run({ dimensions: ['tenant', 'device'], measures: ['readings'], parameters: { tenantScope: '1.2.5' } });
    expect(site.rows).toEqual([{ tenant: '5', device: 'm5', readings: '1' }]);
    const notM1 = await run({ dimensions: ['device'], measures: ['readings'], filters: [{ field: 'device', op: 'ne', value: 'm1' }, { field: 'day', op: 'between', values: ['2026-03-02', '2026-03-31'] }] });
    expect(notM1.rows).toEqual([
      { device: 'm2', readings: '1' },
      { device: 'm5', readings: '1' },
    ]);
    const startsWith = await run({ dimensions: ['device'], measures: ['readings'], parameters: { mustPick: 'm' }, filters: [{ field: 'device', op: 'contains', value: '5' }] });
    expect(startsWith.rows).toEqual([{ device: 'm5', readings: '1' }]);
  });

  it('sorts by measures and dimensions, pages without overlap, and counts all groups', async () => {
    const query: ReportQuery = { dimensions: ['day', 'device'], measures: ['total'], sort: [{ field: 'total', direction: 'desc' }], countTotal: true };
    const first = await run({ ...query, limit: 2 });
    const second = await run({ ...query, limit: 2, offset: 2 });
    const third = await run({ ...query, limit: 2, offset: 4 });
    expect(first.rows).toEqual([
      { day: '2026-03-02', device: 'm1', total: '201.625' },
      { day: '2026-03-01', device: 'm1', total: '200.250' },
    ]);
    expect(second.rows).toEqual([
      { day: '2026-03-02', device: 'm2', total: '50.700' },
      { day: '2026-03-01', device: 'm2', total: '50.000' },
    ]);
    expect(third.rows).toEqual([{ day: '2026-03-02', device: 'm5', total: '10.000' }]);
    expect([first.page, second.page, third.page]).toEqual([
      { offset: 0, limit: 2, hasMore: true, total: 5 },
      { offset: 2, limit: 2, hasMore: true, total: 5 },
      { offset: 4, limit: 2, hasMore: false, total: 5 },
    ]);
    const byDevice = await run({ dimensions: ['device'], measures: ['readings'], sort: [{ field: 'device', direction: 'desc' }] });
    expect(byDevice.rows.map((r) => r.device)).toEqual(['m5', 'm2', 'm1']);
  });

  it('sorts and filters by an average or a ratio exactly, in JS, then pages', async () => {
    const sorted = await run({ dimensions: ['device'], measures: ['perDevice', 'average'], sort: [{ field: 'perDevice', direction: 'desc' }], limit: 2, countTotal: true });
    expect(sorted.rows).toEqual([
      { device: 'm1', perDevice: '401.875', average: '100.469' },
      { device: 'm2', perDevice: '100.700', average: '50.350' },
    ]);
    expect(sorted.page).toEqual({ offset: 0, limit: 2, hasMore: true, total: 3 });
    const filtered = await run({ dimensions: ['device'], measures: ['average'], filters: [{ field: 'average', op: 'gte', value: '50.35' }] });
    expect(filtered.rows).toEqual([
      { device: 'm1', average: '100.469' },
      { device: 'm2', average: '50.350' },
    ]);
    const having = await run({ dimensions: ['device'], measures: ['total'], filters: [{ field: 'total', op: 'gt', value: 100 }] });
    expect(having.rows).toEqual([
      { device: 'm1', total: '401.875' },
      { device: 'm2', total: '100.700' },
    ]);
  });

  it('lists detail rows in local time, page by page', async () => {
    const query: ReportQuery = { kind: 'detail', dimensions: ['at', 'device', 'value'], sort: [{ field: 'at' }], limit: 3, countTotal: true };
    const page = await run(query);
    expect(page.rows).toEqual([
      { at: '2026-03-01 09:00:00', device: 'm1', value: '100.000' },
      { at: '2026-03-01 11:00:00', device: 'm2', value: '50.000' },
      { at: '2026-03-01 23:59:59', device: 'm1', value: '100.250' },
    ]);
    expect(page.page).toEqual({ offset: 0, limit: 3, hasMore: true, total: 7 });
    const last = await run({ ...query, offset: 6 });
    expect(last.rows).toEqual([{ at: '2026-03-02 18:00:00', device: 'm1', value: '101.125' }]);
    expect(last.page.hasMore).toBe(false);
  });

  it('binds text that looks like SQL as data: it matches nothing and leaves the data intact', async () => {
    const injections = ["m1' OR '1'='1", "m1'; DROP TABLE report_readings; --", 'm1") OR 1=1 --', '{rp0:String}', '$1', "m1' UNION SELECT tenant_path FROM {{readings}} --"];
    for (const text of injections) {
      const result = await run({ dimensions: ['device'], measures: ['readings'], parameters: { deviceText: text } });
      expect(result.rows).toEqual([]);
      const filtered = await run({ dimensions: ['device'], measures: ['readings'], filters: [{ field: 'device', op: 'eq', value: text }] });
      expect(filtered.rows).toEqual([]);
    }
    expect((await run({ measures: ['readings'] })).rows).toEqual([{ readings: '7' }]);
  });
});
