import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from './dates.js';
import { lateFeeDays, lateFeeDue, lateFeeRule, type LateFeeRule } from './late-fee.js';

const rule = (over: Partial<LateFeeRule> = {}): LateFeeRule => ({ ...lateFeeRule.parse({}), ...over });

describe('lateFeeRule', () => {
  it('defaults to 1‰ a day, no grace, capped at the principal, half up', () => {
    expect(lateFeeRule.parse({})).toEqual({ dailyRatePpm: 1000, graceDays: 0, capBp: 10_000, rounding: 'half_up' });
  });

  it('refuses out-of-range values with clear messages', () => {
    const message = (value: unknown) => (lateFeeRule.safeParse(value).error?.issues ?? []).map((i) => i.message);
    expect(message({ dailyRatePpm: -1 })).toEqual(['dailyRatePpm: 0..10000 ppm a day (0 = no late fee, 1000 = 1‰)']);
    expect(message({ dailyRatePpm: 0.5 })).toEqual(['dailyRatePpm: whole parts per million']);
    expect(message({ graceDays: 400 })).toEqual(['graceDays: 0..365']);
    expect(message({ capBp: 10_001 })).toEqual(['capBp: 0..10000 basis points of the principal']);
    expect(message({ rounding: 'up' })).toHaveLength(1);
  });
});

describe('lateFeeDue', () => {
  it('accrues from the day after the due date up to asOf inclusive', () => {
    // 100.00 元 due 2026-03-31 at 1‰ a day: 04-01 is day 1; 04-10 is day 10 → 100.00 × 0.001 × 10 = 1.00 元
    expect(lateFeeDue(rule(), 10_000n, '2026-03-31', '2026-03-31')).toBe(0n);
    expect(lateFeeDue(rule(), 10_000n, '2026-03-31', '2026-04-01')).toBe(10n);
    expect(lateFeeDue(rule(), 10_000n, '2026-03-31', '2026-04-10')).toBe(100n);
    expect(lateFeeDue(rule(), 10_000n, '2026-03-31', '2026-03-01')).toBe(0n);
    expect(lateFeeDays(rule(), '2026-03-31', '2026-04-10')).toBe(10);
  });

  it('starts after the grace period', () => {
    // grace 5 days: fee from 04-06; by 04-10 that is 5 days → 0.50 元
    expect(lateFeeDue(rule({ graceDays: 5 }), 10_000n, '2026-03-31', '2026-04-05')).toBe(0n);
    expect(lateFeeDue(rule({ graceDays: 5 }), 10_000n, '2026-03-31', '2026-04-06')).toBe(10n);
    expect(lateFeeDue(rule({ graceDays: 5 }), 10_000n, '2026-03-31', '2026-04-10')).toBe(50n);
  });

  it('rounds with the rule', () => {
    // 123.45 元 at 0.5‰ for 3 days = 0.185175 元 = 18.5175 fen → 19 / 19 / 18
    expect(lateFeeDue(rule({ dailyRatePpm: 500 }), 12_345n, '2026-03-31', '2026-04-03')).toBe(19n);
    expect(lateFeeDue(rule({ dailyRatePpm: 500, rounding: 'half_even' }), 12_345n, '2026-03-31', '2026-04-03')).toBe(19n);
    expect(lateFeeDue(rule({ dailyRatePpm: 500, rounding: 'down' }), 12_345n, '2026-03-31', '2026-04-03')).toBe(18n);
    // 10.00 元 at 0.5‰ for 1 day = 0.5 fen exactly → 1 / 0 / 0
    expect(lateFeeDue(rule({ dailyRatePpm: 500 }), 1000n, '2026-03-31', '2026-04-01')).toBe(1n);
    expect(lateFeeDue(rule({ dailyRatePpm: 500, rounding: 'half_even' }), 1000n, '2026-03-31', '2026-04-01')).toBe(0n);
    expect(lateFeeDue(rule({ dailyRatePpm: 500, rounding: 'down' }), 1000n, '2026-03-31', '2026-04-01')).toBe(0n);
  });

  it('is capped (rounded down)', () => {
    // 100.00 元 at 3‰ for 400 days = 120.00 元 > the principal → 100.00 元; cap 30 % → 30.00 元
    expect(lateFeeDue(rule({ dailyRatePpm: 3000 }), 10_000n, '2026-01-01', addDays('2026-01-01', 400))).toBe(10_000n);
    expect(lateFeeDue(rule({ dailyRatePpm: 3000, capBp: 3000 }), 10_000n, '2026-01-01', addDays('2026-01-01', 400))).toBe(3000n);
    // 3.33 元 capped at 50 % = 166.5 fen → 166
    expect(lateFeeDue(rule({ dailyRatePpm: 10_000, capBp: 5000 }), 333n, '2026-01-01', '2026-12-31')).toBe(166n);
    expect(lateFeeDue(rule({ capBp: 0 }), 10_000n, '2026-01-01', '2026-12-31')).toBe(0n);
    expect(lateFeeDue(rule({ dailyRatePpm: 0 }), 10_000n, '2026-01-01', '2026-12-31')).toBe(0n);
  });

  it('refuses a negative principal, a number, or a bad date', () => {
    expect(() => lateFeeDue(rule(), -1n, '2026-01-01', '2026-02-01')).toThrow(RangeError);
    // @ts-expect-error money is never a number
    expect(() => lateFeeDue(rule(), 100, '2026-01-01', '2026-02-01')).toThrow(TypeError);
    expect(() => lateFeeDue(rule(), 100n, '2026-02-30', '2026-03-01')).toThrow(RangeError);
  });

  it('properties: never above the cap, never decreasing with time', () => {
    const arb = fc.record({
      dailyRatePpm: fc.integer({ min: 0, max: 10_000 }),
      graceDays: fc.integer({ min: 0, max: 60 }),
      capBp: fc.integer({ min: 0, max: 10_000 }),
      rounding: fc.constantFrom('half_up' as const, 'half_even' as const, 'down' as const),
    });
    fc.assert(
      fc.property(arb, fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: -30, max: 2000 }), (r, principal, days) => {
        const due = '2026-03-31';
        const fee = lateFeeDue(r, principal, due, addDays(due, days));
        const next = lateFeeDue(r, principal, due, addDays(due, days + 1));
        expect(fee >= 0n && fee <= (principal * BigInt(r.capBp)) / 10_000n).toBe(true);
        expect(next >= fee).toBe(true);
      }),
    );
  });
});
