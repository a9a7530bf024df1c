/**
 * Hand-checked settlement fixture: 28 meters, period '2026-03', Asia/Shanghai (UTC+8), settlement
 * day 1, end tolerance 3 days. Every expected volume is an exact literal worked out in its comment.
 *
 *   period  = [2026-03-01 00:00 local, 2026-04-01 00:00 local) = [2026-02-28T16:00Z, 2026-03-31T16:00Z)
 *   window  = [2026-03-29 00:00 local, 2026-04-01 00:00 local)   (end readings must fall here)
 *   opening = 2026-02-28 09:00 local unless stated; from it to period end is 31 d 15 h → 31 days.
 */
import { describe, expect, it } from 'vitest';
import { periodBounds } from './periods.js';
import {
  adjustmentFor,
  settleMeter,
  type MeterReading,
  type ReadingSource,
  type SettleInput,
  type SettleResult,
  type SettleSegment,
} from './settlement.js';

/** Local Shanghai wall time 'YYYY-MM-DD HH:mm[:ss.SSS]' → instant. */
const sh = (local: string): Date => new Date(`${local.replace(' ', 'T')}+08:00`);
const OPENED = sh('2026-02-28 09:00');
const PERIOD_START = sh('2026-03-01 00:00');
const PERIOD_END = sh('2026-04-01 00:00');
const DAY = 86_400_000;

const r = (local: string, valueL: bigint, source: ReadingSource = 'remote'): MeterReading => ({
  at: sh(local),
  valueL,
  source,
});

function meter(openingL: bigint, more: Partial<SettleInput> = {}): SettleInput {
  return {
    periodStart: PERIOD_START,
    periodEnd: PERIOD_END,
    opening: { valueL: openingL, at: OPENED, source: 'remote' },
    readings: [],
    swaps: [],
    capacityL: null,
    averageDailyL: null,
    endToleranceMs: 3 * DAY,
    ...more,
  };
}

const seg = (fromL: bigint, toL: bigint, volumeL: bigint, meterIndex = 0, rolledOver = false): SettleSegment => ({
  fromL,
  toL,
  volumeL,
  meter: meterIndex === 0 ? 'old' : 'new',
  meterIndex,
  rolledOver,
});

type Expected = Omit<SettleResult, 'segments' | 'flags' | 'rolledOver'> &
  Partial<Pick<SettleResult, 'segments' | 'flags' | 'rolledOver'>>;

/** Defaults: one segment startL → endL, no flags, no roll-over. */
function result(e: Expected): SettleResult {
  return {
    rolledOver: false,
    flags: [],
    segments: [seg(e.startL, e.endL, e.volumeL)],
    ...e,
  };
}

interface Case {
  id: string;
  input: SettleInput;
  expected: SettleResult;
}

const cases: Case[] = [
  {
    // Plain remote. 1_249_500 − 1_234_000 = 15_500
    id: 'M01 plain remote',
    input: meter(1_234_000n, {
      readings: [r('2026-03-15 09:00', 1_240_000n), r('2026-03-31 09:00', 1_249_500n)],
    }),
    expected: result({ startL: 1_234_000n, endL: 1_249_500n, volumeL: 15_500n, source: 'remote', endAt: sh('2026-03-31 09:00') }),
  },
  {
    // Three readings in the window; the last, 1 ms before period end, wins. 100_950 − 100_000 = 950
    id: 'M02 latest in window, last millisecond',
    input: meter(100_000n, {
      readings: [
        r('2026-03-29 00:00', 100_500n),
        r('2026-03-31 23:59:59.999', 100_950n),
        r('2026-03-30 12:00', 100_700n),
      ],
    }),
    expected: result({ startL: 100_000n, endL: 100_950n, volumeL: 950n, source: 'remote', endAt: sh('2026-03-31 23:59:59.999') }),
  },
  {
    // Hand reading (人工抄表). 62_300 − 56_000 = 6_300
    id: 'M03 hand',
    input: meter(56_000n, { readings: [r('2026-03-30 10:15', 62_300n, 'hand')] }),
    expected: result({ startL: 56_000n, endL: 62_300n, volumeL: 6_300n, source: 'hand', endAt: sh('2026-03-30 10:15') }),
  },
  {
    // Imported hand readings count as 'hand'. 8_012_345 − 8_000_000 = 12_345
    id: 'M04 import',
    input: meter(8_000_000n, { readings: [r('2026-03-29 14:00', 8_012_345n, 'import')] }),
    expected: result({ startL: 8_000_000n, endL: 8_012_345n, volumeL: 12_345n, source: 'hand', endAt: sh('2026-03-29 14:00') }),
  },
  {
    // A correction at the same instant beats the remote value it corrects, even listed first.
    // 747_000 − 740_000 = 7_000 (not 777_000 − 740_000 = 37_000)
    id: 'M05 correction wins a tie',
    input: meter(740_000n, {
      readings: [r('2026-03-31 09:00', 747_000n, 'correction'), r('2026-03-31 09:00', 777_000n)],
    }),
    expected: result({ startL: 740_000n, endL: 747_000n, volumeL: 7_000n, source: 'hand', endAt: sh('2026-03-31 09:00') }),
  },
  {
    // One swap (换表) on 03-12. old: 3_215_500 − 3_210_000 = 5_500; new: 4_200 − 0 = 4_200;
    // total 5_500 + 4_200 = 9_700. The old meter's 03-10 reading plays no part.
    id: 'M06 one swap',
    input: meter(3_210_000n, {
      swaps: [{ at: sh('2026-03-12 10:00'), oldFinalL: 3_215_500n, newInitialL: 0n }],
      readings: [r('2026-03-10 09:00', 3_215_000n), r('2026-03-31 09:00', 4_200n)],
    }),
    expected: result({
      startL: 3_210_000n, endL: 4_200n, volumeL: 9_700n, source: 'remote', endAt: sh('2026-03-31 09:00'),
      segments: [seg(3_210_000n, 3_215_500n, 5_500n), seg(0n, 4_200n, 4_200n, 1)],
      flags: ['swap'],
    }),
  },
  {
    // Two swaps. 1_001_000 − 1_000_000 = 1_000; 2_510 − 10 = 2_500; 1_205 − 5 = 1_200;
    // total 1_000 + 2_500 + 1_200 = 4_700
    id: 'M07 two swaps',
    input: meter(1_000_000n, {
      swaps: [
        { at: sh('2026-03-05 10:00'), oldFinalL: 1_001_000n, newInitialL: 10n },
        { at: sh('2026-03-20 15:30'), oldFinalL: 2_510n, newInitialL: 5n },
      ],
      readings: [r('2026-03-30 09:00', 1_205n)],
    }),
    expected: result({
      startL: 1_000_000n, endL: 1_205n, volumeL: 4_700n, source: 'remote', endAt: sh('2026-03-30 09:00'),
      segments: [seg(1_000_000n, 1_001_000n, 1_000n), seg(10n, 2_510n, 2_500n, 1), seg(5n, 1_205n, 1_200n, 2)],
      flags: ['swap'],
    }),
  },
  {
    // 4-digit register (max 9999.999 m³), capacity 10_000_000 L. 1_300 < 9_998_200, wrap
    // W = 10_000_000 − 9_998_200 + 1_300 = 3_100, and 2 × 3_100 < 10_000_000: roll-over.
    id: 'M08 roll-over on 9999 m³ register',
    input: meter(9_998_200n, { capacityL: 10_000_000n, readings: [r('2026-03-31 09:00', 1_300n)] }),
    expected: result({
      startL: 9_998_200n, endL: 1_300n, volumeL: 3_100n, source: 'remote', endAt: sh('2026-03-31 09:00'),
      segments: [seg(9_998_200n, 1_300n, 3_100n, 0, true)], rolledOver: true, flags: ['rollover'],
    }),
  },
  {
    // Backwards with a known capacity: W = 10_000_000 − 5_000_000 + 4_990_000 = 9_990_000 is not
    // under half the capacity, so no roll-over: 4_990_000 − 5_000_000 = −10_000, flagged.
    id: 'M09 negative, implausible wrap',
    input: meter(5_000_000n, { capacityL: 10_000_000n, readings: [r('2026-03-30 16:00', 4_990_000n, 'hand')] }),
    expected: result({
      startL: 5_000_000n, endL: 4_990_000n, volumeL: -10_000n, source: 'hand', endAt: sh('2026-03-30 16:00'),
      flags: ['negative'],
    }),
  },
  {
    // Looks like a wrap, but the capacity is unknown: 500 − 99_999_000 = −99_998_500, flagged.
    id: 'M10 negative, capacity unknown',
    input: meter(99_999_000n, { readings: [r('2026-03-31 09:00', 500n)] }),
    expected: result({
      startL: 99_999_000n, endL: 500n, volumeL: -99_998_500n, source: 'remote', endAt: sh('2026-03-31 09:00'),
      flags: ['negative'],
    }),
  },
  {
    // No reading, average 350 L/day, 31 days from the opening: 40_000 + 350 × 31 = 40_000 + 10_850
    // = 50_850; volume 10_850 (估抄).
    id: 'M11 estimated from opening',
    input: meter(40_000n, { averageDailyL: 350n }),
    expected: result({
      startL: 40_000n, endL: 50_850n, volumeL: 10_850n, source: 'estimated', endAt: PERIOD_END, flags: ['estimated'],
    }),
  },
  {
    // Last reading 03-20 09:00 (before the window); to 04-01 00:00 is 11 d 15 h → 11 days.
    // 206_000 + 300 × 11 = 209_300; volume 209_300 − 200_000 = 9_300
    id: 'M12 estimated from a mid-period reading',
    input: meter(200_000n, { averageDailyL: 300n, readings: [r('2026-03-20 09:00', 206_000n, 'hand')] }),
    expected: result({
      startL: 200_000n, endL: 209_300n, volumeL: 9_300n, source: 'estimated', endAt: PERIOD_END, flags: ['estimated'],
    }),
  },
  {
    // Reading 1 ms before the window: not an end reading. 3 d + 1 ms → 3 days.
    // 71_000 + 40 × 3 = 71_120; volume 71_120 − 70_000 = 1_120
    id: 'M13 just outside the tolerance window',
    input: meter(70_000n, { averageDailyL: 40n, readings: [r('2026-03-28 23:59:59.999', 71_000n)] }),
    expected: result({
      startL: 70_000n, endL: 71_120n, volumeL: 1_120n, source: 'estimated', endAt: PERIOD_END, flags: ['estimated'],
    }),
  },
  {
    // Reading exactly at the window start (periodEnd − 3 days) counts. 71_000 − 70_000 = 1_000
    id: 'M14 exactly at the window start',
    input: meter(70_000n, { averageDailyL: 40n, readings: [r('2026-03-29 00:00', 71_000n)] }),
    expected: result({ startL: 70_000n, endL: 71_000n, volumeL: 1_000n, source: 'remote', endAt: sh('2026-03-29 00:00') }),
  },
  {
    // Readings at exactly period end and after it belong to April. 15_900 − 15_000 = 900
    id: 'M15 readings at and after period end ignored',
    input: meter(15_000n, {
      readings: [r('2026-03-30 08:00', 15_900n), r('2026-04-01 00:00', 16_000n), r('2026-04-02 10:00', 16_100n)],
    }),
    expected: result({ startL: 15_000n, endL: 15_900n, volumeL: 900n, source: 'remote', endAt: sh('2026-03-30 08:00') }),
  },
  {
    // Zero consumption: 88_888 − 88_888 = 0, no flags.
    id: 'M16 zero consumption',
    input: meter(88_888n, { readings: [r('2026-03-31 09:00', 88_888n)] }),
    expected: result({ startL: 88_888n, endL: 88_888n, volumeL: 0n, source: 'remote', endAt: sh('2026-03-31 09:00') }),
  },
  {
    // Capacity 10^12 L (9 integer digits of m³). W = 1_000_000_000_000 − 999_999_000_000
    // + 1_500_000_000 = 1_000_000 + 1_500_000_000 = 1_501_000_000; 2W < 10^12: roll-over.
    id: 'M17 huge register, roll-over at 10^12 L',
    input: meter(999_999_000_000n, {
      capacityL: 1_000_000_000_000n,
      readings: [r('2026-03-31 09:00', 1_500_000_000n)],
    }),
    expected: result({
      startL: 999_999_000_000n, endL: 1_500_000_000n, volumeL: 1_501_000_000n, source: 'remote',
      endAt: sh('2026-03-31 09:00'),
      segments: [seg(999_999_000_000n, 1_500_000_000n, 1_501_000_000n, 0, true)], rolledOver: true, flags: ['rollover'],
    }),
  },
  {
    // Above 2^53 (doubles would round both odd values): 9_007_199_254_750_995 −
    // 9_007_199_254_740_993 = 10_002 exactly.
    id: 'M18 beyond 2^53',
    input: meter(9_007_199_254_740_993n, { readings: [r('2026-03-31 09:00', 9_007_199_254_750_995n)] }),
    expected: result({
      startL: 9_007_199_254_740_993n, endL: 9_007_199_254_750_995n, volumeL: 10_002n, source: 'remote',
      endAt: sh('2026-03-31 09:00'),
    }),
  },
  {
    // No reading, no history: end = opening, volume 0, at the opening's instant.
    id: 'M19 missing',
    input: meter(123_456n),
    expected: result({
      startL: 123_456n, endL: 123_456n, volumeL: 0n, source: 'missing', endAt: OPENED, flags: ['missing'],
    }),
  },
  {
    // Reading at exactly periodStart is a mid-period reading (too early for the window); the one
    // at exactly periodEnd belongs to April. Base 300_000 at 03-01 00:00, exactly 31 days to the end:
    // 300_000 + 100 × 31 = 303_100; volume 303_100 − 299_000 = 4_100
    id: 'M20 readings at periodStart and periodEnd',
    input: meter(299_000n, {
      averageDailyL: 100n,
      readings: [r('2026-03-01 00:00', 300_000n), r('2026-04-01 00:00', 305_000n)],
    }),
    expected: result({
      startL: 299_000n, endL: 303_100n, volumeL: 4_100n, source: 'estimated', endAt: PERIOD_END, flags: ['estimated'],
    }),
  },
  {
    // Installed 03-10 with initial reading 0 (opening = 初始读数). 2_750 − 0 = 2_750
    id: 'M21 installed mid-period',
    input: {
      ...meter(0n, { readings: [r('2026-03-31 09:00', 2_750n)] }),
      opening: { valueL: 0n, at: sh('2026-03-10 14:00'), source: 'hand' },
    },
    expected: result({ startL: 0n, endL: 2_750n, volumeL: 2_750n, source: 'remote', endAt: sh('2026-03-31 09:00') }),
  },
  {
    // Swap, then nothing read on the new meter, no history. old: 502_400 − 500_000 = 2_400;
    // new: 0 − 0 = 0; total 2_400, end = new initial 0 at the swap.
    id: 'M22 swap, new meter missing',
    input: meter(500_000n, { swaps: [{ at: sh('2026-03-15 11:00'), oldFinalL: 502_400n, newInitialL: 0n }] }),
    expected: result({
      startL: 500_000n, endL: 0n, volumeL: 2_400n, source: 'missing', endAt: sh('2026-03-15 11:00'),
      segments: [seg(500_000n, 502_400n, 2_400n), seg(0n, 0n, 0n, 1)], flags: ['swap', 'missing'],
    }),
  },
  {
    // Swap 03-16 00:00; the old meter's final reading logged at the swap instant is not the new
    // meter's. Estimate from the new initial: 16 days → 20 + 200 × 16 = 3_220.
    // old: 601_500 − 600_000 = 1_500; new: 3_220 − 20 = 3_200; total 4_700
    id: 'M23 swap, new meter estimated',
    input: meter(600_000n, {
      averageDailyL: 200n,
      swaps: [{ at: sh('2026-03-16 00:00'), oldFinalL: 601_500n, newInitialL: 20n }],
      readings: [r('2026-03-16 00:00', 601_500n, 'hand')],
    }),
    expected: result({
      startL: 600_000n, endL: 3_220n, volumeL: 4_700n, source: 'estimated', endAt: PERIOD_END,
      segments: [seg(600_000n, 601_500n, 1_500n), seg(20n, 3_220n, 3_200n, 1)], flags: ['swap', 'estimated'],
    }),
  },
  {
    // Estimate past the capacity wraps: 9_995_000 + 250 × 31 = 10_002_750 → mod 10_000_000 = 2_750;
    // W = 10_000_000 − 9_995_000 + 2_750 = 7_750 (= 250 × 31).
    id: 'M24 estimate wraps the register',
    input: meter(9_995_000n, { capacityL: 10_000_000n, averageDailyL: 250n }),
    expected: result({
      startL: 9_995_000n, endL: 2_750n, volumeL: 7_750n, source: 'estimated', endAt: PERIOD_END,
      segments: [seg(9_995_000n, 2_750n, 7_750n, 0, true)], rolledOver: true, flags: ['estimated', 'rollover'],
    }),
  },
  {
    // A stored estimate in the window, no measured one there: used. 46_000 − 45_000 = 1_000
    // (computing would give 45_500 + 50 × 11 = 46_050).
    id: 'M25 stored estimate in window',
    input: meter(45_000n, {
      averageDailyL: 50n,
      readings: [r('2026-03-20 09:00', 45_500n), r('2026-03-30 09:00', 46_000n, 'estimate')],
    }),
    expected: result({
      startL: 45_000n, endL: 46_000n, volumeL: 1_000n, source: 'estimated', endAt: sh('2026-03-30 09:00'),
      flags: ['estimated'],
    }),
  },
  {
    // A measured reading in the window beats a later stored estimate. 45_800 − 45_000 = 800
    id: 'M26 measured beats later stored estimate',
    input: meter(45_000n, {
      averageDailyL: 50n,
      readings: [r('2026-03-29 10:00', 45_800n, 'hand'), r('2026-03-31 10:00', 46_500n, 'estimate')],
    }),
    expected: result({ startL: 45_000n, endL: 45_800n, volumeL: 800n, source: 'hand', endAt: sh('2026-03-29 10:00') }),
  },
];

describe('settlement fixture 2026-03 Asia/Shanghai', () => {
  it('uses the period bounds of 2026-03, day 1, Asia/Shanghai', () => {
    expect(periodBounds('2026-03', 1, 'Asia/Shanghai')).toEqual({ startsAt: PERIOD_START, endsAt: PERIOD_END });
    expect(PERIOD_START.toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(PERIOD_END.toISOString()).toBe('2026-03-31T16:00:00.000Z');
  });

  it.each(cases)('$id', ({ input, expected }) => {
    expect(settleMeter(input)).toEqual(expected);
  });

  it('settles every fixture meter to the hand-summed total', () => {
    // 15_500 + 950 + 6_300 + 12_345 + 7_000 + 9_700 + 4_700 + 3_100 − 10_000 − 99_998_500
    // + 10_850 + 9_300 + 1_120 + 1_000 + 900 + 0 + 1_501_000_000 + 10_002 + 0 + 4_100 + 2_750
    // + 2_400 + 4_700 + 7_750 + 1_000 + 800 = 1_401_107_767
    const total = cases.reduce((sum, c) => sum + settleMeter(c.input).volumeL, 0n);
    expect(cases).toHaveLength(26);
    expect(total).toBe(1_401_107_767n);
  });
});

describe('late correction after close (补差)', () => {
  const misRead = (valueL: bigint): MeterReading => r('2026-03-30 09:00', valueL, 'hand');

  it('M27 posts a positive delta when the corrected reading is higher', () => {
    // Closed on 504_000: 504_000 − 500_000 = 4_000. Corrected to 509_000: 9_000.
    // Adjustment into the open period: 9_000 − 4_000 = +5_000
    const closed = settleMeter(meter(500_000n, { readings: [misRead(504_000n)] }));
    const corrected = settleMeter(
      meter(500_000n, { readings: [misRead(504_000n), r('2026-03-30 09:00', 509_000n, 'correction')] }),
    );
    expect([closed.volumeL, corrected.volumeL]).toEqual([4_000n, 9_000n]);
    expect(adjustmentFor(closed, corrected)).toBe(5_000n);
  });

  it('M28 posts a negative delta when the corrected reading is lower', () => {
    // Closed on 528_000: 28_000. Corrected to 523_000: 23_000. Adjustment 23_000 − 28_000 = −5_000
    const closed = settleMeter(meter(500_000n, { readings: [misRead(528_000n)] }));
    const corrected = settleMeter(
      meter(500_000n, { readings: [r('2026-03-30 09:00', 523_000n, 'correction'), misRead(528_000n)] }),
    );
    expect([closed.volumeL, corrected.volumeL]).toEqual([28_000n, 23_000n]);
    expect(adjustmentFor(closed, corrected)).toBe(-5_000n);
  });
});
