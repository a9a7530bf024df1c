import type { AnalyticsStore } from '@shuiyun/analytics';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsForTest } from '../testing/harness.js';
import { parsePeriod } from './statistics-periods.js';
import { devicePeriods, devicesWithReadings, groupPeriods } from './statistics-queries.js';

/** Readings written straight into a fresh analytics database (chDB), for the ClickHouse side alone. */
describe('device statistics queries over the analytics store', () => {
  let analytics: AnalyticsStore;
  const scope = { tenantPath: '1.2' };
  const volume = (tenantId: number, tenantPath: string, device: string, at: string, milli: bigint) => ({
    tenantId,
    tenantPath,
    reading: { device, metric: 'cumulative_volume', at: new Date(at), milli },
  });
  const range = { from: parsePeriod('2026-03-01')!, to: parsePeriod('2026-03-03')!, timeZone: 'Asia/Shanghai' };

  beforeAll(async () => {
    analytics = await analyticsForTest();
    await analytics.insertReadings([
      // m1, m2: registers near the top of Decimal(18,3); their daily uses sum past 2^53 thousandths.
      volume(7, '1.2', 'm1', '2026-02-28T04:00:00Z', 100_000_000_000_000_000n),
      volume(7, '1.2', 'm1', '2026-03-01T04:00:00Z', 109_000_000_000_000_001n),
      volume(7, '1.2', 'm2', '2026-02-28T04:00:00Z', 200_000_000_000_000_000n),
      volume(7, '1.2', 'm2', '2026-03-01T04:00:00Z', 209_000_000_000_000_002n),
      // m3 goes backwards on 2 March; m4 reports nothing; m5 only on 3 March (no baseline).
      volume(7, '1.2', 'm3', '2026-02-28T04:00:00Z', 5_000n),
      volume(7, '1.2', 'm3', '2026-03-01T04:00:00Z', 6_000n),
      volume(7, '1.2', 'm3', '2026-03-02T04:00:00Z', 1_000n),
      volume(7, '1.2', 'm5', '2026-03-03T04:00:00Z', 1_000n),
      // A flow-rate reading is no register reading; another tenant's m1 is not this tenant's.
      { tenantId: 7, tenantPath: '1.2', reading: { device: 'm4', metric: 'flow_rate', at: new Date('2026-03-02T04:00:00Z'), milli: 5n } },
      volume(8, '1.3', 'm1', '2026-03-02T04:00:00Z', 1n),
    ]);
  });

  it('sums exactly past 2^53 thousandths', async () => {
    const [first] = await groupPeriods(analytics, scope, { tenantId: 7, deviceKeys: ['m1', 'm2'] }, range);
    expect(first).toMatchObject({ period: '2026-03-01', devicesMeasured: 2, consumptionMilli: 18_000_000_000_000_003n });
  });

  it('adds up slices of the device list to the same figures as one query', async () => {
    const keys = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const whole = await groupPeriods(analytics, scope, { tenantId: 7, deviceKeys: keys }, range);
    expect(whole.map((r) => [r.period, r.devicesRead, r.devicesMeasured, r.devicesNoBaseline, r.devicesBackwards])).toEqual([
      ['2026-03-01', 3, 3, 0, 0],
      ['2026-03-02', 1, 0, 0, 1],
      ['2026-03-03', 1, 0, 1, 0],
    ]);
    expect(whole[1]!.backwards).toEqual([{ deviceKey: 'm3', deltaMilli: -5_000n, minStepMilli: -5_000n }]);
    for (const size of [1, 2, 3]) {
      expect(await groupPeriods(analytics, scope, { tenantId: 7, deviceKeys: keys }, range, size), `slices of ${size}`).toEqual(whole);
    }
  });

  it('keeps to the tenant named, within the scope', async () => {
    expect(await devicePeriods(analytics, scope, { tenantId: 7, deviceKey: 'm1' }, range)).toHaveLength(1);
    // Tenant 8 lies outside scope 1.2: its m1 reading on 2 March is not seen even when asked for.
    expect(await devicePeriods(analytics, scope, { tenantId: 8, deviceKey: 'm1' }, range)).toEqual([]);
    const read = await devicesWithReadings(analytics, { tenantPath: '1' }, { period: parsePeriod('2026-03-02')!, timeZone: 'Asia/Shanghai' });
    expect([...read].sort()).toEqual(['7 m3', '8 m1']);
  });
});
