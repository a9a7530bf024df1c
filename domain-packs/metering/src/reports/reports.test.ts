/**
 * The pack's reports over real data: daily consumption and reading rate from the analytics store's
 * freezes joined to the archive, and the settlement views after a period is settled. Every figure exact.
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metering } from '../index.js';

/** Local midnight (Asia/Shanghai) of a March 2026 day, as UTC. */
const midnight = (day: number) => new Date(Date.UTC(2026, 2, day) - 8 * 3_600_000);

describe('metering reports on real readings', () => {
  let kit: PackTestKit;
  const create = async (entity: string, data: Record<string, unknown>) => {
    const res = await kit.request('POST', `/api/entities/${entity}/records`, { body: { data } });
    if (res.status !== 201) throw new Error(`${entity}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as number;
  };

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering] });
    const east = await create('metering_household', { accountNo: 'R-1', name: '甲', community: '锦绣花园', building: '1号楼' });
    const west = await create('metering_household', { accountNo: 'R-2', name: '乙', community: '滨江小区', building: '2号楼' });
    await create('metering_meter', { meterNo: 'RM-1', kind: 'remote', household: east, device: 'RD-1', registerDigits: 5, initialReadingL: 0, installedAt: '2026-01-01', status: 'in_service' });
    await create('metering_meter', { meterNo: 'RM-2', kind: 'remote', household: west, device: 'RD-2', registerDigits: 5, initialReadingL: 0, installedAt: '2026-01-01', status: 'in_service' });
    // RD-1 reads every midnight from 1 to 4 March: 100 000, 100 250, 100 700, 101 000 L.
    // RD-2 reads on 1 and 3 March only: 5 000, 5 300 L (2 March unread).
    const litres = (device: string, day: number, l: bigint) => ({ device, metric: 'cumulative_volume', at: midnight(day), milli: l * 1000n });
    await kit.publishReadings([
      litres('RD-1', 1, 100_000n),
      litres('RD-1', 2, 100_250n),
      litres('RD-1', 3, 100_700n),
      litres('RD-1', 4, 101_000n),
      litres('RD-2', 1, 5_000n),
      litres('RD-2', 3, 5_300n),
      // A device that is no meter of the archive never counts.
      litres('STRAY', 2, 1_000n),
    ]);
  });
  afterAll(() => kit?.close());

  it('gives daily consumption as the difference of consecutive daily freezes, exact in litres', async () => {
    const rows = await kit.runReport('metering_consumption_day', { period: { from: '2026-03-02', to: '2026-03-04' } });
    // 2 March: RD-1 250. 3 March: RD-1 450 + RD-2 300 (its two days since 1 March). 4 March: RD-1 300.
    expect(rows.map((r) => [r.day, r.consumption])).toEqual([
      ['2026-03-02', '250.000'],
      ['2026-03-03', '750.000'],
      ['2026-03-04', '300.000'],
    ]);
  });

  it('gives the daily reading rate over the archive’s remote meters: read that day ÷ due', async () => {
    const rows = await kit.runReport('metering_reading_rate_day', { period: { from: '2026-03-02', to: '2026-03-03' } });
    // 2 March: only RD-1 of the two meters read (the stray device is no meter); 3 March: both.
    expect(rows.map((r) => [r.day, r.kind, r.devicesRead, r.metersDue, r.readingRate])).toEqual([
      ['2026-03-02', 'remote', '1', '2', '50.00'],
      ['2026-03-03', 'remote', '2', '2', '100.00'],
    ]);
  });

  it('gives the settlement summary, reading rate and unread list of a settled period', async () => {
    const settle = await kit.request('POST', '/api/ext/metering/periods/2026-03/settle', { body: {} });
    expect(settle.status).toBe(202);
    await kit.until(async () => (await kit.request('GET', '/api/ext/metering/periods/2026-03')).body.status === 'settled', { what: 'the period settled', timeoutMs: 20_000 });
    // Neither meter reads in the last three days of March: both are estimated from their history, or missing without one.
    const unread = await kit.runReport('metering_unread');
    expect(unread.map((r) => r.meterNo).sort()).toEqual(['RM-1', 'RM-2']);
    const rate = await kit.runReport('metering_reading_rate');
    expect(rate.every((r) => r.readingRate === '0.00')).toBe(true);
    const summary = await kit.runReport('metering_settlement_summary');
    expect(summary.reduce((n, r) => n + Number(r.meters), 0)).toBe(2);
  });
});
