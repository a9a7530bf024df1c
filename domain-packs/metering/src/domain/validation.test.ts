import { describe, expect, it } from 'vitest';
import type { MeterReading } from './settlement.js';
import { missingMeters, toRatio, validateReading, type ReadingCheck, type ValidationRules } from './validation.js';

const DAY = 86_400_000;
const T0 = new Date('2026-03-01T00:00:00Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const read = (valueL: bigint, ms = 0): MeterReading => ({ at: at(ms), valueL, source: 'remote' });
const rules: ValidationRules = { maxRatioToAverage: 3, zeroDays: 7 };

function check(previous: MeterReading | null, reading: MeterReading, more: Partial<ReadingCheck> = {}): ReadingCheck {
  return { previous, reading, averageDailyL: 300n, capacityL: null, lastChangeAt: null, ...more };
}

describe('toRatio', () => {
  it.each([
    [3, 3n, 1n],
    [2.5, 25n, 10n],
    [0.1, 1n, 10n],
    [1e-7, 1n, 10_000_000n],
    [1.5e21, 1_500_000_000_000_000_000_000n, 1n],
    [0, 0n, 1n],
  ])('%d → %d/%d', (value, num, den) => {
    expect(toRatio(value)).toEqual({ num, den });
  });

  it('rejects negative, non-finite and zero denominators', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => toRatio(bad)).toThrow(RangeError);
    expect(() => toRatio({ num: 1n, den: 0n })).toThrow(RangeError);
  });
});

describe('validateReading', () => {
  it('a first reading has nothing to compare with', () => {
    expect(validateReading(check(null, read(1_000n)), rules)).toEqual([]);
  });

  it('one day, average 300, ratio 3: 900 passes, 901 is above average', () => {
    // 900 × DAY × 1 > 300 × 3 × DAY ? 900 > 900 no;  901 > 900 yes
    expect(validateReading(check(read(1_000n), read(1_900n, DAY)), rules)).toEqual([]);
    expect(validateReading(check(read(1_000n), read(1_901n, DAY)), rules)).toEqual(['above_average']);
  });

  it('ten days: the threshold is 300 × 3 × 10 = 9_000', () => {
    expect(validateReading(check(read(0n), read(9_000n, 10 * DAY)), rules)).toEqual([]);
    expect(validateReading(check(read(0n), read(9_001n, 10 * DAY)), rules)).toEqual(['above_average']);
  });

  it('a gap shorter than a day is judged as one day', () => {
    // 800 L in one hour: 800 ≤ 900 (one day's allowance), not 800 > 900 / 24
    expect(validateReading(check(read(0n), read(800n, DAY / 24)), rules)).toEqual([]);
    expect(validateReading(check(read(0n), read(901n, 0)), rules)).toEqual(['above_average']);
  });

  it('accepts the ratio as a decimal number or as a fraction', () => {
    // 2.5 × 300 = 750 per day
    for (const maxRatioToAverage of [2.5, { num: 5n, den: 2n }]) {
      const r = { ...rules, maxRatioToAverage };
      expect(validateReading(check(read(0n), read(750n, DAY)), r)).toEqual([]);
      expect(validateReading(check(read(0n), read(751n, DAY)), r)).toEqual(['above_average']);
    }
  });

  it('skips the ratio without history; a zero average flags any use', () => {
    const noHistory = { averageDailyL: null };
    expect(validateReading(check(read(0n), read(1_000_000n, DAY), noHistory), rules)).toEqual([]);
    expect(validateReading(check(read(0n), read(1n, DAY), { averageDailyL: 0n }), rules)).toEqual(['above_average']);
    expect(validateReading(check(read(5n), read(5n, DAY), { averageDailyL: 0n }), rules)).toEqual([]);
  });

  it('negative without a capacity, and no ratio check on a negative', () => {
    expect(validateReading(check(read(1_000n), read(900n, DAY)), rules)).toEqual(['negative']);
  });

  it('roll-over with the meter capacity or the rules default', () => {
    // 10_000_000 − 9_999_500 + 300 = 800 ≤ 900
    const prev = read(9_999_500n);
    const next = read(300n, DAY);
    expect(validateReading(check(prev, next, { capacityL: 10_000_000n }), rules)).toEqual(['rollover']);
    expect(validateReading(check(prev, next), { ...rules, capacityL: 10_000_000n })).toEqual(['rollover']);
    // with average 100 the allowance is 300 < 800
    expect(validateReading(check(prev, next, { capacityL: 10_000_000n, averageDailyL: 100n }), rules)).toEqual([
      'rollover',
      'above_average',
    ]);
    // a wrap of half the capacity or more is not plausible: 10_000_000 − 6_000_000 + 1_000_000 = 5_000_000
    expect(validateReading(check(read(6_000_000n), read(1_000_000n, DAY), { capacityL: 10_000_000n }), rules)).toEqual([
      'negative',
    ]);
  });

  it('zero for days: unchanged register and last change at least zeroDays ago', () => {
    const prev = read(500n);
    const now = read(500n, 10 * DAY);
    expect(validateReading(check(prev, now, { lastChangeAt: at(3 * DAY) }), rules)).toEqual(['zero_for_days']);
    expect(validateReading(check(prev, now, { lastChangeAt: at(3 * DAY + 1) }), rules)).toEqual([]);
    expect(validateReading(check(prev, now, { lastChangeAt: null }), rules)).toEqual([]);
    expect(validateReading(check(prev, read(501n, 10 * DAY), { lastChangeAt: at(0) }), rules)).toEqual([]);
    expect(validateReading(check(prev, now, { lastChangeAt: at(0) }), { ...rules, zeroDays: 0 })).toEqual([]);
  });

  it('rejects a previous reading after the reading and a bad zeroDays', () => {
    expect(() => validateReading(check(read(0n, DAY), read(0n)), rules)).toThrow(RangeError);
    expect(() => validateReading(check(null, read(0n)), { ...rules, zeroDays: 1.5 })).toThrow(RangeError);
  });
});

describe('missingMeters', () => {
  const end = new Date('2026-03-31T16:00:00Z');
  const tolerance = 3 * DAY;
  const before = (ms: number): Date => new Date(end.getTime() - ms);

  it('lists meters without a reading in [end − tolerance, end), in input order', () => {
    const meters = [
      { meterId: 'never', lastReadingAt: null },
      { meterId: 'last-ms', lastReadingAt: before(1) },
      { meterId: 'too-early', lastReadingAt: before(tolerance + 1) },
      { meterId: 'window-start', lastReadingAt: before(tolerance) },
      { meterId: 'old', lastReadingAt: before(40 * DAY) },
    ];
    expect(missingMeters(meters, end, tolerance)).toEqual(['never', 'too-early', 'old']);
  });

  it('rejects a last reading at or after period end', () => {
    expect(() => missingMeters([{ meterId: 'x', lastReadingAt: end }], end, tolerance)).toThrow(RangeError);
  });
});
