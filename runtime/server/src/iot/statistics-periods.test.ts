import { describe, expect, it } from 'vitest';
import { canonicalTimeZone, coarseBounds, parsePeriod, percent, periodsBetween, shiftPeriod } from './statistics-periods.js';

describe('statistics periods', () => {
  it('reads a day or a month and refuses dates that do not exist', () => {
    expect(parsePeriod('2026-03-01')).toEqual({ granularity: 'day', label: '2026-03-01', firstDay: '2026-03-01' });
    expect(parsePeriod('2026-03')).toEqual({ granularity: 'month', label: '2026-03', firstDay: '2026-03-01' });
    expect(parsePeriod('2024-02-29')?.granularity).toBe('day');
    for (const bad of ['2026-02-29', '2026-02-30', '2026-13', '2026-00', '2026-3-1', '20260301', '2026-03-01T00:00', '', '1969-12']) {
      expect(parsePeriod(bad), bad).toBeUndefined();
    }
  });

  it('steps across month and year ends, and lists a range with both ends', () => {
    const day = parsePeriod('2024-02-28')!;
    expect(shiftPeriod(day, 1).label).toBe('2024-02-29');
    expect(shiftPeriod(day, 2).label).toBe('2024-03-01');
    expect(shiftPeriod(parsePeriod('2026-01-01')!, -1).label).toBe('2025-12-31');
    expect(shiftPeriod(parsePeriod('2026-01')!, -1)).toEqual({ granularity: 'month', label: '2025-12', firstDay: '2025-12-01' });
    expect(shiftPeriod(parsePeriod('2026-03')!, -12).label).toBe('2025-03');
    expect(periodsBetween(parsePeriod('2025-11')!, parsePeriod('2026-02')!).map((p) => p.label)).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(periodsBetween(parsePeriod('2026-03-02')!, parsePeriod('2026-03-01')!)).toEqual([]);
  });

  it('bounds the instants of a range with a day to spare on each side, for any UTC offset', () => {
    const { lo, hi } = coarseBounds(parsePeriod('2026-03-01')!, parsePeriod('2026-03')!);
    expect(lo.toISOString()).toBe('2026-02-28T00:00:00.000Z');
    // March ends at 2026-04-01T00:00 local; at UTC−12 that is 12:00 UTC on 1 April.
    expect(hi.toISOString()).toBe('2026-04-02T00:00:00.000Z');
  });

  it('gives percentages exactly, two decimals, half up', () => {
    expect(percent(2, 3)).toBe('66.67');
    expect(percent(1, 3)).toBe('33.33');
    expect(percent(1, 6)).toBe('16.67');
    expect(percent(1, 8)).toBe('12.50');
    expect(percent(1, 800)).toBe('0.13');
    expect(percent(1, 80_000)).toBe('0.00');
    expect(percent(0, 5)).toBe('0.00');
    expect(percent(3, 3)).toBe('100.00');
    expect(percent(999_999, 1_000_000)).toBe('100.00');
    expect(percent(0, 0)).toBeNull();
  });

  it('spells time zones as the tz database does', () => {
    expect(canonicalTimeZone('asia/shanghai')).toBe('Asia/Shanghai');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeUndefined();
  });
});
