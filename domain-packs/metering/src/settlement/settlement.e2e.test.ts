/**
 * Settlement end to end, through the pack's routes on a running runtime: a hand-checked fixture of 28
 * meters (23 settled in March), settled for 2026-02 (openings and averages) and 2026-03, closed, then
 * corrected late by adjustments that land in 2026-04, which is settled from the corrected reading.
 *
 * Tenant zone Asia/Shanghai (UTC+8), settlement plan seeded by the pack: day 1, tolerance 3 days.
 *   2026-02 = [02-01 00:00, 03-01 00:00) local, end window [02-26 00:00, 03-01 00:00)
 *   2026-03 = [03-01 00:00, 04-01 00:00) local, end window [03-29 00:00, 04-01 00:00)
 *   2026-04 = [04-01 00:00, 05-01 00:00) local, end window [04-28 00:00, 05-01 00:00)
 * Unless stated, a meter was installed 2026-01-20 (opening at 01-20 00:00 local) and read at
 * 02-28 00:00 local, so its February record spans exactly 39 days and its average for March is
 * ⌊February volume ÷ 39⌋ L/day.
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metering } from '../index.js';

/** Local Shanghai wall time → instant. */
const sh = (local: string) => new Date(`${local.replace(' ', 'T')}+08:00`);
const FEB_END = '2026-02-28 00:00';

type Src = 'remote' | 'hand' | 'import' | 'estimate' | 'correction';
interface Reading {
  at: string;
  /** Litres; `milli` overrides for remote readings with thousandths. */
  l?: bigint;
  milli?: bigint;
  src?: Src;
  /** A hand reading rejected, or a remote one also held in the pack's table for review. */
  status?: 'valid' | 'rejected' | 'review';
}
interface MeterSpec {
  no: string;
  kind?: 'remote' | 'mechanical';
  status?: string;
  installedAt?: string;
  initialL: number;
  digits?: number;
  readings: Reading[];
}

const R = (at: string, l: bigint, src: Src = 'remote', status?: 'rejected' | 'review'): Reading => ({ at, l, src, ...(status ? { status } : {}) });
const M = (at: string, milli: bigint): Reading => ({ at, milli, src: 'remote' });

/** The fixture. `kind` mechanical meters have no device: their readings are rows of pack_metering.readings. */
const meters: MeterSpec[] = [
  // A01 plain remote. Feb 1_011_700 − 1_000_000 = 11_700. Mar 1_020_000 − 1_011_700 = 8_300.
  { no: 'A01', initialL: 1_000_000, readings: [R(FEB_END, 1_011_700n), R('2026-03-31 09:00', 1_020_000n)] },
  // A02 estimated from a mid-period remote reading. Feb 7_800 → average ⌊7_800/39⌋ = 200 L/day.
  // Mar: 03-20 09:00 is before the window; to 04-01 00:00 is 11 d 15 h → 11 days (local wall clock).
  // End 510_000 + 200 × 11 = 512_200; volume 512_200 − 507_800 = 4_400.
  { no: 'A02', initialL: 500_000, readings: [R(FEB_END, 507_800n), R('2026-03-20 09:00', 510_000n)] },
  // A03 hand (人工抄表). Feb 23_900 − 20_000 = 3_900. Mar 26_100 − 23_900 = 2_200.
  { no: 'A03', kind: 'mechanical', initialL: 20_000, readings: [R(FEB_END, 23_900n, 'hand'), R('2026-03-30 10:15', 26_100n, 'hand')] },
  // A04 import counts as hand. Feb 10_000. Mar 8_012_345 − 8_000_000 = 12_345.
  { no: 'A04', kind: 'mechanical', initialL: 7_990_000, readings: [R(FEB_END, 8_000_000n, 'hand'), R('2026-03-29 14:00', 8_012_345n, 'import')] },
  // A05 a correction at the same instant beats the remote value. Feb 10_000. Mar 747_000 − 740_000 = 7_000 (not 37_000).
  { no: 'A05', initialL: 730_000, readings: [R(FEB_END, 740_000n), R('2026-03-31 09:00', 777_000n), R('2026-03-31 09:00', 747_000n, 'correction')] },
  // A06 swapped out on 03-12 10:00 (final 3_215_500) for A06N (initial 0). Feb 3_210_000 − 3_200_000 = 10_000.
  // Mar is A06N's record: (3_215_500 − 3_210_000) + (4_200 − 0) = 5_500 + 4_200 = 9_700, flag swap.
  // A06's own 03-10 reading plays no part.
  { no: 'A06', status: 'swapped', initialL: 3_200_000, readings: [R(FEB_END, 3_210_000n), R('2026-03-10 09:00', 3_215_000n)] },
  { no: 'A06N', installedAt: '2026-03-12', initialL: 0, readings: [R('2026-03-31 09:00', 4_200n)] },
  // A07 roll-over of a 4-digit register, capacity 10^4 m³ = 10_000_000 L. Feb 9_998_200 − 9_990_000 = 8_200.
  // Mar: 1_300 < 9_998_200; W = 10_000_000 − 9_998_200 + 1_300 = 3_100 and 2 × 3_100 < 10_000_000: roll-over.
  { no: 'A07', digits: 4, initialL: 9_990_000, readings: [R(FEB_END, 9_998_200n), R('2026-03-31 09:00', 1_300n)] },
  // A08 negative, flagged but recorded. Feb 10_000. Mar 4_990_000 − 5_000_000 = −10_000.
  { no: 'A08', kind: 'mechanical', initialL: 4_990_000, readings: [R(FEB_END, 5_000_000n, 'hand'), R('2026-03-30 16:00', 4_990_000n, 'hand')] },
  // A09 estimated from the opening. Feb 51_700 − 40_000 = 11_700 → 300 L/day. No March reading: from
  // 02-28 00:00 (the February end) to 04-01 00:00 is 32 days; 51_700 + 300 × 32 = 61_300; volume 9_600.
  { no: 'A09', initialL: 40_000, readings: [R(FEB_END, 51_700n)] },
  // A10 missing: installed 03-05, no reading, no history → end = opening 12_345, volume 0, flag missing.
  { no: 'A10', installedAt: '2026-03-05', initialL: 12_345, readings: [] },
  // A11 installed 03-10 (opening 100 at 03-10 00:00). Mar 2_600 − 100 = 2_500.
  { no: 'A11', installedAt: '2026-03-10', initialL: 100, readings: [R('2026-03-30 12:00', 2_600n)] },
  // A12 a stored estimate in the window, no measured reading. Feb 61_000 − 60_000 = 1_000. Mar 63_000 − 61_000 = 2_000, estimated.
  { no: 'A12', kind: 'mechanical', initialL: 60_000, readings: [R(FEB_END, 61_000n, 'hand'), R('2026-03-31 00:00', 63_000n, 'estimate')] },
  // A13 retired: never settled.
  { no: 'A13', status: 'retired', initialL: 0, readings: [R(FEB_END, 1_000n), R('2026-03-31 09:00', 2_000n)] },
  // A14 installed after March: not due in February or March.
  { no: 'A14', installedAt: '2026-04-05', initialL: 0, readings: [] },
  // A15 the latest of three remote readings in the window (the last millisecond). Feb 1_000. Mar 100_950 − 100_000 = 950.
  { no: 'A15', initialL: 99_000, readings: [R(FEB_END, 100_000n), R('2026-03-29 00:00', 100_500n), R('2026-03-31 23:59:59.999', 100_950n), R('2026-03-30 12:00', 100_700n)] },
  // A16 a reading at the period end itself belongs to April. Feb 10_000. Mar 215_000 − 210_000 = 5_000.
  { no: 'A16', initialL: 200_000, readings: [R(FEB_END, 210_000n), R('2026-03-31 20:00', 215_000n), R('2026-04-01 00:00', 299_000n)] },
  // A17 no use: Feb 0 → average 0 (not unknown). Mar: 03-15 is before the window → estimated 300_000 + 0 = 300_000, volume 0.
  { no: 'A17', initialL: 300_000, readings: [R(FEB_END, 300_000n), R('2026-03-15 09:00', 300_000n)] },
  // A18 a rejected hand reading is ignored. Feb 13_900 − 10_000 = 3_900 → 100 L/day. Mar: 32 days from
  // 02-28 00:00: 13_900 + 100 × 32 = 17_100; volume 3_200, estimated.
  { no: 'A18', kind: 'mechanical', initialL: 10_000, readings: [R(FEB_END, 13_900n, 'hand'), R('2026-03-30 09:00', 99_999n, 'hand', 'rejected')] },
  // A19 exact past 2^53: Feb 9_007_199_254_500_000 mL = 9_007_199_254_500 L, − 9_007_199_254_000 = 500.
  // Mar 9_007_199_254_740_993 mL → ⌊÷1000⌋ = 9_007_199_254_740 L; 9_007_199_254_740 − 9_007_199_254_500 = 240.
  { no: 'A19', initialL: 9_007_199_254_000, readings: [M(FEB_END, 9_007_199_254_500_000n), M('2026-03-31 09:00', 9_007_199_254_740_993n)] },
  // A20 thousandths floored to whole litres: Feb 123_400_999 mL → 123_400; 123_400 − 123_000 = 400.
  // Mar 123_456_789 mL → 123_456; 123_456 − 123_400 = 56.
  { no: 'A20', initialL: 123_000, readings: [M(FEB_END, 123_400_999n), M('2026-03-31 09:00', 123_456_789n)] },
  // A21 corrected late by reading. Feb 2_000 − 1_000 = 1_000. Mar 5_000 − 2_000 = 3_000. April read 6_000 on 04-30.
  { no: 'A21', initialL: 1_000, readings: [R(FEB_END, 2_000n), R('2026-03-31 09:00', 5_000n), R('2026-04-30 09:00', 6_000n)] },
  // A22 corrected late by volume. Feb 1_000. Mar 52_000 − 51_000 = 1_000.
  { no: 'A22', initialL: 50_000, readings: [R(FEB_END, 51_000n), R('2026-03-31 09:00', 52_000n)] },
  // A23 → A23M on 03-05 10:00 (final 1_001_000, initial 10) → A23N on 03-20 15:30 (final 2_510, initial 5).
  // Feb 1_000_000 − 999_000 = 1_000. Mar (A23N): 1_000 + 2_500 + (1_205 − 5 = 1_200) = 4_700, flag swap.
  { no: 'A23', status: 'swapped', initialL: 999_000, readings: [R(FEB_END, 1_000_000n)] },
  { no: 'A23M', status: 'swapped', installedAt: '2026-03-05', initialL: 10, readings: [] },
  { no: 'A23N', installedAt: '2026-03-20', initialL: 5, readings: [R('2026-03-30 09:00', 1_205n)] },
  // A24 a hand reading 1 ms before the window is a base, not an end. Feb 70_170 − 69_000 = 1_170 → 30 L/day.
  // Mar: 03-28 23:59:59.999 → 04-01 00:00 is 3 days; 71_000 + 30 × 3 = 71_090; volume 71_090 − 70_170 = 920.
  { no: 'A24', kind: 'mechanical', initialL: 69_000, readings: [R(FEB_END, 70_170n, 'hand'), R('2026-03-28 23:59:59.999', 71_000n, 'hand')] },
  // A25 its March remote reading is held for review in the pack's table: not billed. Feb 83_900 − 80_000 = 3_900
  // → 100 L/day. Mar estimated: 32 days from 02-28 00:00: 83_900 + 100 × 32 = 87_100; volume 3_200.
  { no: 'A25', initialL: 80_000, readings: [R(FEB_END, 83_900n), R('2026-03-31 09:00', 999_999n, 'remote', 'review')] },
];

const swaps = [
  { old: 'A06', new: 'A06N', at: '2026-03-12 10:00', finalL: 3_215_500n, initialL: 0n },
  { old: 'A23', new: 'A23M', at: '2026-03-05 10:00', finalL: 1_001_000n, initialL: 10n },
  { old: 'A23M', new: 'A23N', at: '2026-03-20 15:30', finalL: 2_510n, initialL: 5n },
];

/** February: every meter installed before 03-01 that is not retired — 21 records. */
const february: Record<string, bigint> = {
  A01: 11_700n, A02: 7_800n, A03: 3_900n, A04: 10_000n, A05: 10_000n, A06: 10_000n, A07: 8_200n, A08: 10_000n, A09: 11_700n, A12: 1_000n,
  A15: 1_000n, A16: 10_000n, A17: 0n, A18: 3_900n, A19: 500n, A20: 400n, A21: 1_000n, A22: 1_000n, A23: 1_000n, A24: 1_170n,
  A25: 3_900n,
};

/** March, hand-worked above: 23 records (A06, A23, A23M swapped out; A13 retired; A14 not installed). */
const march: Record<string, { volumeL: bigint; endL: bigint; source: string; flags: string[] }> = {
  A01: { volumeL: 8_300n, endL: 1_020_000n, source: 'remote', flags: [] },
  A02: { volumeL: 4_400n, endL: 512_200n, source: 'estimated', flags: ['estimated'] },
  A03: { volumeL: 2_200n, endL: 26_100n, source: 'hand', flags: [] },
  A04: { volumeL: 12_345n, endL: 8_012_345n, source: 'hand', flags: [] },
  A05: { volumeL: 7_000n, endL: 747_000n, source: 'hand', flags: [] },
  A06N: { volumeL: 9_700n, endL: 4_200n, source: 'remote', flags: ['swap'] },
  A07: { volumeL: 3_100n, endL: 1_300n, source: 'remote', flags: ['rollover'] },
  A08: { volumeL: -10_000n, endL: 4_990_000n, source: 'hand', flags: ['negative'] },
  A09: { volumeL: 9_600n, endL: 61_300n, source: 'estimated', flags: ['estimated'] },
  A10: { volumeL: 0n, endL: 12_345n, source: 'missing', flags: ['missing'] },
  A11: { volumeL: 2_500n, endL: 2_600n, source: 'remote', flags: [] },
  A12: { volumeL: 2_000n, endL: 63_000n, source: 'estimated', flags: ['estimated'] },
  A15: { volumeL: 950n, endL: 100_950n, source: 'remote', flags: [] },
  A16: { volumeL: 5_000n, endL: 215_000n, source: 'remote', flags: [] },
  A17: { volumeL: 0n, endL: 300_000n, source: 'estimated', flags: ['estimated'] },
  A18: { volumeL: 3_200n, endL: 17_100n, source: 'estimated', flags: ['estimated'] },
  A19: { volumeL: 240n, endL: 9_007_199_254_740n, source: 'remote', flags: [] },
  A20: { volumeL: 56n, endL: 123_456n, source: 'remote', flags: [] },
  A21: { volumeL: 3_000n, endL: 5_000n, source: 'remote', flags: [] },
  A22: { volumeL: 1_000n, endL: 52_000n, source: 'remote', flags: [] },
  A23N: { volumeL: 4_700n, endL: 1_205n, source: 'remote', flags: ['swap'] },
  A24: { volumeL: 920n, endL: 71_090n, source: 'estimated', flags: ['estimated'] },
  A25: { volumeL: 3_200n, endL: 87_100n, source: 'estimated', flags: ['estimated'] },
};
/**
 * Σ March = 8_300 + 4_400 + 2_200 + 12_345 + 7_000 + 9_700 + 3_100 − 10_000 + 9_600 + 0 + 2_500 + 2_000
 *         + 950 + 5_000 + 0 + 3_200 + 240 + 56 + 3_000 + 1_000 + 4_700 + 920 + 3_200 = 73_411
 */
const MARCH_TOTAL = 73_411n;

const BASE = '/api/ext/metering';

describe('settlement end to end: a hand-checked month, close, and late corrections', () => {
  let kit: PackTestKit;
  const ids = new Map<string, number>();

  async function ok(method: string, path: string, body?: unknown) {
    const res = await kit.request(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function settled(period: string) {
    return kit.until(
      async () => {
        const res = await kit.request('GET', `${BASE}/periods/${period}`);
        if (res.body?.error) throw new Error(`settlement of ${period} failed: ${res.body.error}`);
        return res.status === 200 && res.body.status === 'settled' ? res.body : undefined;
      },
      { timeoutMs: 60_000, what: `${period} settled` },
    );
  }

  async function records(period: string): Promise<Map<string, { volumeL: string; endL: string; startL: string; source: string; flags: string[]; segments: unknown[] }>> {
    const body = await ok('GET', `${BASE}/periods/${period}/records?pageSize=200`);
    return new Map((body.items as { meterNo: string; volumeL: string; endL: string; startL: string; source: string; flags: string[]; segments: unknown[] }[]).map((r) => [r.meterNo, r]));
  }

  beforeAll(async () => {
    // PGlite by default; SHUIYUN_SETTLEMENT_TEST_DRIVER=postgres runs the same on the PostgreSQL server (real concurrency).
    kit = await startPackTestKit({ packs: [metering], driver: process.env.SHUIYUN_SETTLEMENT_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
    const household = await ok('POST', '/api/entities/metering_household/records', { data: { accountNo: 'H-0001', name: '张三', community: '阳光小区' } });
    for (const m of meters) {
      const mechanical = m.kind === 'mechanical';
      const created = await ok('POST', '/api/entities/metering_meter/records', {
        data: {
          meterNo: m.no,
          kind: mechanical ? 'mechanical' : 'remote',
          household: household.id,
          ...(mechanical ? {} : { device: `DEV-${m.no}` }),
          ...(m.digits ? { registerDigits: m.digits } : {}),
          initialReadingL: m.initialL,
          installedAt: m.installedAt ?? '2026-01-20',
          status: m.status ?? 'in_service',
        },
      });
      ids.set(m.no, created.id);
    }
    // Remote readings into the analytics store; hand, import, estimate and correction rows into the pack's table.
    await kit.publishReadings(
      meters.flatMap((m) =>
        m.kind === 'mechanical'
          ? []
          : m.readings.filter((r) => r.src === 'remote').map((r) => ({ device: `DEV-${m.no}`, metric: 'cumulative_volume', at: sh(r.at), milli: r.milli ?? r.l! * 1000n })),
      ),
    );
    const services = kit.services('metering');
    await services.transaction(async (tx) => {
      for (const m of meters) {
        for (const r of m.readings.filter((x) => x.src !== 'remote' || x.status === 'review')) {
          await tx.query(
            `insert into pack_metering.readings (tenant_id, tenant_path, meter_id, read_at, value_l, source, status) values ($1, $2::ltree, $3, $4, $5, $6, $7)`,
            [kit.tenant.id, kit.tenant.path, ids.get(m.no)!, sh(r.at), r.l!, r.src!, r.status ?? 'valid'],
          );
        }
      }
      for (const s of swaps) {
        await tx.query(
          `insert into pack_metering.swaps (tenant_id, tenant_path, old_meter_id, new_meter_id, swapped_at, old_final_l, new_initial_l) values ($1, $2::ltree, $3, $4, $5, $6, $7)`,
          [kit.tenant.id, kit.tenant.path, ids.get(s.old)!, ids.get(s.new)!, sh(s.at), s.finalL, s.initialL],
        );
      }
    });
  });
  afterAll(() => kit?.close());

  it('settles February through the metering_settle process: every volume exact', async () => {
    const started = await kit.request('POST', `${BASE}/periods/2026-02/settle`, { body: {} });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ period: '2026-02', scope: '*', status: 'settling', startsAt: '2026-01-31T16:00:00.000Z', endsAt: '2026-02-28T16:00:00.000Z', settlementDay: 1 });
    expect(started.body.runInstance).toBeTruthy();
    const summary = await settled('2026-02');
    expect(summary.progress).toEqual({ done: 21, total: 21 });
    const got = await records('2026-02');
    expect(Object.fromEntries([...got].map(([no, r]) => [no, BigInt(r.volumeL)]))).toEqual(february);
    // The first settlement opens at the installation: A01 from 1_000_000 at 2026-01-20 00:00 local.
    expect(got.get('A01')).toMatchObject({ startL: '1000000', endL: '1011700', source: 'remote' });
  });

  it('settles March exactly: swaps, roll-over, negative, estimated, missing, hand, import, corrections', async () => {
    const started = await kit.request('POST', `${BASE}/periods/2026-03/settle`, { body: { scope: '*' } });
    expect(started.status).toBe(202);
    const summary = await settled('2026-03');
    const got = await records('2026-03');
    expect([...got.keys()].sort()).toEqual(Object.keys(march).sort());
    for (const [no, want] of Object.entries(march)) {
      const r = got.get(no)!;
      expect({ no, volumeL: BigInt(r.volumeL), endL: BigInt(r.endL), source: r.source, flags: r.flags }).toEqual({ no, ...want });
    }
    // Openings chain from February's ends, across swaps from the first meter's end.
    expect(got.get('A01')!.startL).toBe('1011700');
    expect(got.get('A06N')!.startL).toBe('3210000');
    expect(got.get('A23N')!.segments).toEqual([
      { meterId: ids.get('A23'), meter: 'old', meterIndex: 0, fromL: '1000000', toL: '1001000', volumeL: '1000', rolledOver: false },
      { meterId: ids.get('A23M'), meter: 'new', meterIndex: 1, fromL: '10', toL: '2510', volumeL: '2500', rolledOver: false },
      { meterId: ids.get('A23N'), meter: 'new', meterIndex: 2, fromL: '5', toL: '1205', volumeL: '1200', rolledOver: false },
    ]);
    // The summary: counts by source, flags, the exact total.
    expect(summary).toMatchObject({
      records: 23,
      progress: { done: 23, total: 23 },
      bySource: { remote: 11, hand: 4, estimated: 7, missing: 1 },
      flags: { swap: 2, estimated: 7, missing: 1, rollover: 1, negative: 1 },
      totalVolumeL: MARCH_TOTAL.toString(),
    });
    // Reports list flagged meters by filter.
    const negative = await ok('GET', `${BASE}/periods/2026-03/records?flag=negative`);
    expect(negative.items.map((r: { meterNo: string }) => r.meterNo)).toEqual(['A08']);
    const estimated = await ok('GET', `${BASE}/periods/2026-03/records?source=estimated&pageSize=2&page=2`);
    expect(estimated).toMatchObject({ total: 7, page: 2, pageSize: 2 });
    expect(estimated.items.map((r: { meterNo: string }) => r.meterNo)).toEqual(['A12', 'A17']);
    const byNo = await ok('GET', `${BASE}/periods/2026-03/records?meterNo=A23`);
    expect(byNo.items.map((r: { meterNo: string }) => r.meterNo)).toEqual(['A23N']);
    // The period list: newest first.
    const list = await ok('GET', `${BASE}/periods`);
    expect(list.items.map((p: { period: string }) => p.period)).toEqual(['2026-03', '2026-02']);
    expect(list.items[0]).toMatchObject({ status: 'settled', progress: { done: 23, total: 23 } });
  });

  it('closes March: locked, emits metering.period-closed in the same transaction, refuses a second close and a new settle', async () => {
    const notYet = await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('A21'), correctsPeriod: '2026-03', readingL: '5600', reason: '抄错' } });
    expect(notYet.status).toBe(409);

    const closed = await kit.request('POST', `${BASE}/periods/2026-03/close`, { body: {} });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', meters: 23, totalVolumeL: MARCH_TOTAL.toString() });
    expect(closed.body.closedAt).toBeTruthy();
    expect(closed.body.closedBy).toEqual(expect.any(Number));

    const events = await kit.services('metering').transaction((tx) =>
      tx.query<{ name: string; payload: Record<string, unknown> }>(`select name, payload from pack_events where name = 'metering.period-closed' order by id`),
    );
    expect(events).toEqual([
      {
        name: 'metering.period-closed',
        payload: { tenantId: kit.tenant.id, period: '2026-03', scope: '*', startsAt: '2026-02-28T16:00:00.000Z', endsAt: '2026-03-31T16:00:00.000Z', meters: 23, totalVolumeL: '73411' },
      },
    ]);

    const again = await kit.request('POST', `${BASE}/periods/2026-03/close`, { body: {}, locale: 'en' });
    expect(again.status).toBe(409);
    const settle = await kit.request('POST', `${BASE}/periods/2026-03/settle`, { body: {}, locale: 'zh-CN' });
    expect(settle.status).toBe(409);
    expect(settle.body.error.details[0].message).toContain('已关账');
    const settleEn = await kit.request('POST', `${BASE}/periods/2026-03/settle`, { body: {}, locale: 'en' });
    expect(settleEn.body.error.details[0].message).toContain('closed');
    // Nothing was emitted twice.
    const count = await kit.services('metering').transaction((tx) => tx.query<{ n: number }>(`select count(*)::int as n from pack_events where name = 'metering.period-closed'`));
    expect(count[0]!.n).toBe(1);
  });

  it('posts late corrections into the next open period, and April opens from the corrected reading', async () => {
    // A21 by reading: corrected March volume 5_600 − 2_000 = 3_600; settled 3_000 → +600, into 2026-04 (created open).
    const first = await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('A21'), correctsPeriod: '2026-03', readingL: '5600', reason: '远传数据延迟，按现场读数更正' } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ period: '2026-04', correctsPeriod: '2026-03', meterNo: 'A21', volumeL: '600', settledVolumeL: '3000', correctedVolumeL: '3600', readingL: '5600', previousReadingL: '5000' });
    expect(first.body.readingId).toEqual(expect.any(Number));
    const april = await ok('GET', `${BASE}/periods/2026-04`);
    expect(april).toMatchObject({ status: 'open', startsAt: '2026-03-31T16:00:00.000Z', endsAt: '2026-04-30T16:00:00.000Z' });

    // A21 again: corrected 5_500 − 2_000 = 3_500; settled 3_000 + adjusted 600 = 3_600 → −100.
    const second = await ok('POST', `${BASE}/adjustments`, { meterId: ids.get('A21'), correctsPeriod: '2026-03', readingL: 5_500, reason: '复核后再次更正' });
    expect(second).toMatchObject({ period: '2026-04', volumeL: '-100', settledVolumeL: '3600', correctedVolumeL: '3500' });

    // A22 by volume: corrected 800, settled 1_000 → −200.
    const third = await ok('POST', `${BASE}/adjustments`, { meterId: ids.get('A22'), correctsPeriod: '2026-03', volumeL: '800', reason: '表计误差核减' });
    expect(third).toMatchObject({ period: '2026-04', volumeL: '-200', correctedVolumeL: '800' });

    // The adjustments list and the summaries of both periods.
    const listed = await ok('GET', `${BASE}/adjustments?correctsPeriod=2026-03`);
    expect(listed.items.map((a: { volumeL: string }) => a.volumeL)).toEqual(['-200', '-100', '600']);
    expect((await ok('GET', `${BASE}/periods/2026-03`)).adjustments.correcting).toEqual({ count: 3, volumeL: '300' });
    expect((await ok('GET', `${BASE}/periods/2026-04`)).adjustments.posted).toEqual({ count: 3, volumeL: '300' });

    // April: A21 opens from the latest corrected reading 5_500 (not 5_000): 6_000 − 5_500 = 500.
    // A22 opens from its March end 52_000 (a volume correction leaves the register alone); no April reading,
    // average ⌊(1_000 + 1_000) L × 24 h ÷ (39 d + 31 d 9 h)⌋ … only its end matters here: estimated.
    expect((await kit.request('POST', `${BASE}/periods/2026-04/settle`, { body: {} })).status).toBe(202);
    await settled('2026-04');
    const got = await records('2026-04');
    expect(got.get('A21')).toMatchObject({ startL: '5500', endL: '6000', volumeL: '500', source: 'remote' });
    expect(got.get('A22')).toMatchObject({ startL: '52000', source: 'estimated' });

    // A correction by reading is refused once the meter is settled in a later period; by volume it is not.
    const late = await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('A21'), correctsPeriod: '2026-03', readingL: '5400', reason: 'x' } });
    expect(late.status).toBe(409);
    // April is settled, not closed: it is not a period to correct.
    const open = await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('A21'), correctsPeriod: '2026-04', volumeL: '1', reason: 'x' } });
    expect(open.status).toBe(409);
  });

  it('refuses malformed input: a bad period → 400, an unknown meter → 404, both or neither of readingL/volumeL → 400', async () => {
    for (const path of [`${BASE}/periods/2026-13`, `${BASE}/periods/26-03`, `${BASE}/periods/2026-3/records`]) {
      expect((await kit.request('GET', path)).status, path).toBe(400);
    }
    expect((await kit.request('POST', `${BASE}/periods/abc/settle`, { body: {} })).status).toBe(400);
    expect((await kit.request('POST', `${BASE}/periods/0999-01/settle`, { body: {} })).status).toBe(400);
    expect((await kit.request('POST', `${BASE}/periods/2026-03/settle`, { body: { scope: 7 } })).status).toBe(400);
    expect((await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: 999_999_999, correctsPeriod: '2026-03', volumeL: '1', reason: 'x' } })).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('A22'), correctsPeriod: '2026-03', volumeL: '1', readingL: '1', reason: 'x' } })).status).toBe(400);
    expect((await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('A22'), correctsPeriod: '2026-03', reason: 'x' } })).status).toBe(400);
    expect((await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('A22'), correctsPeriod: '2026-3', volumeL: '1', reason: 'x' } })).status).toBe(400);
    expect((await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('A22'), correctsPeriod: '2026-03', volumeL: '-1', reason: 'x' } })).status).toBe(400);
    expect((await kit.request('GET', `${BASE}/periods/2026-07`)).status).toBe(404);
  });
});
