import type { AnalyticsStore } from '@shuiyun/analytics';
import type { Database } from '@shuiyun/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDatasets } from './builtin-datasets.js';
import type { Dataset } from './dataset/dataset.js';
import { type ReportContext, type ReportEngine, createReportEngine } from './engine/engine.js';
import { analyticsWithReadings, closeAnalytics, postgresWithFacts, seedReadings } from './testing/fixtures.js';

const as = (tenantPath: string, extra: Partial<ReportContext> = {}): ReportContext => ({ tenant: { tenantPath }, timeZone: 'Asia/Shanghai', ...extra });
const march = { from: '2026-03-01', to: '2026-03-02' };

describe('the built-in datasets', () => {
  it('parse and check like any saved dataset', () => {
    const datasets = builtinDatasets();
    expect([...datasets.keys()].sort()).toEqual(['alarm-statistics', 'daily-consumption', 'device-online-rate', 'reading-rate']);
    for (const dataset of datasets.values()) expect(dataset.label['zh-CN'].length).toBeGreaterThan(0);
  });
});

describe.each(['pglite', 'postgres'] as const)('the built-in statistics on seeded data (registry on %s, readings on chDB)', (driver) => {
  let store: AnalyticsStore;
  let database: Database;
  let engine: ReportEngine;
  let datasets: Map<string, Dataset>;
  const dataset = (id: string) => datasets.get(id)!;

  beforeAll(async () => {
    store = await analyticsWithReadings();
    database = await postgresWithFacts(driver);
    engine = createReportEngine({ analytics: store, database: database.db });
    datasets = builtinDatasets();
  });
  afterAll(async () => {
    await database?.close();
    await closeAnalytics();
  });

  describe('reading rate (抄表率): in-service meters read in the period ÷ in-service meters', () => {
    it('per local day, over the meters the caller can see', async () => {
      const result = await engine.run(dataset('reading-rate'), { dimensions: ['day'], measures: ['devicesRead', 'devicesDue', 'readingRate'], parameters: { period: march } }, as('1.2'));
      // In service: m1, m2, m3 and m5 (m4 is retired). Read on March 1: m1, m2; on March 2: m1, m2, m5.
      expect(result.rows).toEqual([
        { day: '2026-03-01', devicesRead: '2', devicesDue: '4', readingRate: '50.00' },
        { day: '2026-03-02', devicesRead: '3', devicesDue: '4', readingRate: '75.00' },
      ]);
    });

    it('per day and community, and over the whole period (a meter read on both days counts once)', async () => {
      const byCommunity = await engine.run(
        dataset('reading-rate'),
        { dimensions: ['day', 'communityName'], measures: ['devicesRead', 'devicesDue', 'readingRate'], parameters: { period: march } },
        as('1.2'),
      );
      expect(byCommunity.rows).toEqual([
        { day: '2026-03-01', communityName: '江畔花园', devicesRead: '1', devicesDue: '2', readingRate: '50.00' },
        { day: '2026-03-01', communityName: '阳光小区', devicesRead: '1', devicesDue: '2', readingRate: '50.00' },
        { day: '2026-03-02', communityName: '江畔花园', devicesRead: '2', devicesDue: '2', readingRate: '100.00' },
        { day: '2026-03-02', communityName: '阳光小区', devicesRead: '1', devicesDue: '2', readingRate: '50.00' },
      ]);
      const period = await engine.run(dataset('reading-rate'), { measures: ['devicesRead', 'devicesDue', 'readingRate'], parameters: { period: march } }, as('1.2'));
      expect(period.rows).toEqual([{ devicesRead: '3', devicesDue: '4', readingRate: '75.00' }]);
    });

    it('subtotals a day’s communities and totals the period exactly, though neither measure adds up', async () => {
      const table = await engine.groupedTable(
        dataset('reading-rate'),
        { dimensions: ['day', 'communityName'], measures: ['devicesRead', 'devicesDue', 'readingRate'], parameters: { period: march } },
        { groupBy: ['day'] },
        as('1.2'),
      );
      expect(table.rows.filter((r) => r.kind !== 'row')).toEqual([
        { kind: 'subtotal', level: 1, values: { day: '2026-03-01', communityName: null, devicesRead: '2', devicesDue: '4', readingRate: '50.00' } },
        { kind: 'subtotal', level: 1, values: { day: '2026-03-02', communityName: null, devicesRead: '3', devicesDue: '4', readingRate: '75.00' } },
        { kind: 'total', level: 0, values: { day: null, communityName: null, devicesRead: '3', devicesDue: '4', readingRate: '75.00' } },
      ]);
    });

    it('keeps another company’s meter with the same device key apart', async () => {
      const result = await engine.run(dataset('reading-rate'), { dimensions: ['day'], measures: ['devicesRead', 'devicesDue', 'readingRate'], parameters: { period: march } }, as('1.3'));
      expect(result.rows).toEqual([
        { day: '2026-03-01', devicesRead: '2', devicesDue: '2', readingRate: '100.00' },
        { day: '2026-03-02', devicesRead: '1', devicesDue: '2', readingRate: '50.00' },
      ]);
    });

    it('narrows by community and product through the registry', async () => {
      const sun = await engine.run(dataset('reading-rate'), { dimensions: ['day'], measures: ['devicesRead', 'devicesDue'], parameters: { period: march, community: [20] } }, as('1.2'));
      expect(sun.rows).toEqual([
        { day: '2026-03-01', devicesRead: '1', devicesDue: '2' },
        { day: '2026-03-02', devicesRead: '1', devicesDue: '2' },
      ]);
      const mechanical = await engine.run(dataset('reading-rate'), { dimensions: ['productName'], measures: ['devicesRead', 'devicesDue'], parameters: { period: march, product: ['11'] } }, as('1.2'));
      expect(mechanical.rows).toEqual([{ productName: '机械表', devicesRead: '1', devicesDue: '1' }]);
    });

    it('uses a relative default period when none is given', async () => {
      const result = await engine.run(dataset('reading-rate'), { measures: ['devicesRead', 'devicesDue'] }, as('1.2', { now: new Date('2026-03-02T20:00:00Z') }));
      // 2026-03-02T20:00Z is March 3 in Shanghai: "yesterday" is March 2.
      expect(result.rows).toEqual([{ devicesRead: '3', devicesDue: '4' }]);
    });
  });

  describe('daily consumption: last reading of the local day minus the last reading before it', () => {
    it('per day: the first day has no baseline, the second is measured', async () => {
      const result = await engine.run(
        dataset('daily-consumption'),
        { dimensions: ['day'], measures: ['consumption', 'devicesRead', 'devicesMeasured', 'noBaseline', 'registerBackwards', 'averagePerMeter'], parameters: { period: march } },
        as('1.2'),
      );
      expect(result.rows).toEqual([
        { day: '2026-03-01', consumption: null, devicesRead: '2', devicesMeasured: '0', noBaseline: '2', registerBackwards: '0', averagePerMeter: null },
        // m1: 101.125 − 100.250 = 0.875; m2: 50.700 − 50.000 = 0.700; m5 has no baseline. 1.575 / 2 = 0.7875 → 0.788.
        { day: '2026-03-02', consumption: '1.575', devicesRead: '3', devicesMeasured: '2', noBaseline: '1', registerBackwards: '0', averagePerMeter: '0.788' },
      ]);
    });

    it('per community over the period, joined through the registry', async () => {
      const result = await engine.run(
        dataset('daily-consumption'),
        { dimensions: ['communityName'], measures: ['consumption', 'devicesRead', 'devicesMeasured', 'noBaseline'], parameters: { period: march }, sort: [{ field: 'consumption', direction: 'desc' }] },
        as('1.2'),
      );
      expect(result.rows).toEqual([
        { communityName: '阳光小区', consumption: '0.875', devicesRead: '1', devicesMeasured: '1', noBaseline: '1' },
        { communityName: '江畔花园', consumption: '0.700', devicesRead: '2', devicesMeasured: '1', noBaseline: '2' },
      ]);
    });

    it('flags a register that went backwards and counts no consumption for it', async () => {
      const backwards = await analyticsWithReadings([
        ...seedReadings.filter((r) => r.reading.device !== 'm2'),
        { tenantId: 2, tenantPath: '1.2', reading: { device: 'm2', metric: 'cumulative_volume', at: new Date('2026-03-01T03:00:00Z'), milli: 50_000n } },
        { tenantId: 2, tenantPath: '1.2', reading: { device: 'm2', metric: 'cumulative_volume', at: new Date('2026-03-02T01:00:00Z'), milli: 49_700n } },
      ]);
      const other = createReportEngine({ analytics: backwards, database: database.db });
      const result = await other.run(
        dataset('daily-consumption'),
        { dimensions: ['day', 'device', 'status'], measures: ['consumption'], parameters: { period: { from: '2026-03-02', to: '2026-03-02' } } },
        as('1.2'),
      );
      expect(result.rows).toEqual([
        { day: '2026-03-02', device: 'm1', status: 'measured', consumption: '0.875' },
        { day: '2026-03-02', device: 'm2', status: 'register_backwards', consumption: null },
        { day: '2026-03-02', device: 'm5', status: 'no_baseline', consumption: null },
      ]);
    });
  });

  describe('alarm statistics from the alarms table', () => {
    it('per local day of raising, with status counts, devices and the active share', async () => {
      const result = await engine.run(
        dataset('alarm-statistics'),
        { dimensions: ['day'], measures: ['alarms', 'active', 'acknowledged', 'cleared', 'devices', 'activeShare'], parameters: { period: march } },
        as('1.2'),
      );
      expect(result.rows).toEqual([
        { day: '2026-03-01', alarms: '1', active: '1', acknowledged: '0', cleared: '0', devices: '1', activeShare: '100.00' },
        { day: '2026-03-02', alarms: '3', active: '1', acknowledged: '1', cleared: '1', devices: '3', activeShare: '33.33' },
      ]);
    });

    it('per kind, filtered by kind, with the first raise in local time; another company sees only its own', async () => {
      const byKind = await engine.run(dataset('alarm-statistics'), { dimensions: ['kind'], measures: ['alarms', 'devices', 'firstRaisedAt'], parameters: { period: march } }, as('1.2'));
      expect(byKind.rows).toEqual([
        { kind: 'continuous_flow', alarms: '2', devices: '2', firstRaisedAt: '2026-03-01 23:30:00' },
        { kind: 'low_battery', alarms: '1', devices: '1', firstRaisedAt: '2026-03-02 00:30:00' },
        { kind: 'offline', alarms: '1', devices: '1', firstRaisedAt: '2026-03-02 11:00:00' },
      ]);
      const leaks = await engine.run(dataset('alarm-statistics'), { measures: ['alarms'], parameters: { period: march, kind: ['continuous_flow'] } }, as('1.2'));
      expect(leaks.rows).toEqual([{ alarms: '2' }]);
      const other = await engine.run(dataset('alarm-statistics'), { dimensions: ['device'], measures: ['alarms'], parameters: { period: march } }, as('1.3'));
      expect(other.rows).toEqual([{ device: 'm9', alarms: '1' }]);
    });
  });

  describe('device online rate (在线率): in-service devices online ÷ in-service devices', () => {
    it('per product with names, and in total', async () => {
      const byProduct = await engine.run(dataset('device-online-rate'), { dimensions: ['productName'], measures: ['devices', 'inService', 'onlineDevices', 'offline', 'onlineRate'] }, as('1.2'));
      expect(byProduct.rows).toEqual([
        { productName: 'NB-IoT 水表', devices: '4', inService: '3', onlineDevices: '2', offline: '1', onlineRate: '66.67' },
        { productName: '机械表', devices: '1', inService: '1', onlineDevices: '0', offline: '1', onlineRate: '0.00' },
      ]);
      const total = await engine.run(dataset('device-online-rate'), { measures: ['inService', 'onlineDevices', 'onlineRate'] }, as('1.2'));
      expect(total.rows).toEqual([{ inService: '4', onlineDevices: '2', onlineRate: '50.00' }]);
      const site = await engine.run(dataset('device-online-rate'), { dimensions: ['online'], measures: ['devices'], parameters: { tenantScope: '1.2.5' } }, as('1.2'));
      expect(site.rows).toEqual([{ online: 'false', devices: '1' }]);
    });
  });
});
