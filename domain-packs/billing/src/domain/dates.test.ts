import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  compareDates,
  daysBetween,
  daysInMonth,
  isDate,
  localDate,
  nextPeriod,
  periodBounds,
  periodOf,
  previousPeriod,
} from './dates.js';

describe('calendar arithmetic', () => {
  it('adds days across months, years and leap days', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-03-10', 0)).toBe('2026-03-10');
    expect(addDays('2026-01-01', 365)).toBe('2027-01-01');
    expect(() => addDays('2026-01-01', 1.5)).toThrow(RangeError);
  });

  it('counts days to − from', () => {
    expect(daysBetween('2026-03-01', '2026-04-01')).toBe(31);
    expect(daysBetween('2026-02-01', '2026-03-01')).toBe(28);
    expect(daysBetween('2024-02-01', '2024-03-01')).toBe(29);
    expect(daysBetween('2026-04-01', '2026-03-01')).toBe(-31);
    expect(daysBetween('2026-01-01', '2027-01-01')).toBe(365);
    // Not disturbed by daylight saving anywhere: the count is in UTC days.
    expect(daysBetween('2026-03-01', '2026-03-31')).toBe(30);
  });

  it('validates dates', () => {
    expect(isDate('2026-02-28')).toBe(true);
    expect(isDate('2024-02-29')).toBe(true);
    for (const bad of ['2026-02-29', '2026-02-30', '2026-04-31', '2026-13-01', '2026-1-01', '26-01-01', '2026-01-01T00:00', '0999-01-01', 20260101]) {
      expect(isDate(bad), String(bad)).toBe(false);
    }
    expect(() => daysBetween('2026-02-30', '2026-03-01')).toThrow(RangeError);
    expect(daysInMonth(2026, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(compareDates('2026-01-02', '2026-01-10')).toBe(-1);
    expect(compareDates('2026-01-10', '2026-01-10')).toBe(0);
  });

  it('addDays and daysBetween agree', () => {
    const date = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(date, fc.integer({ min: -5000, max: 5000 }), (from, n) => {
        const to = addDays(from, n);
        expect(isDate(to)).toBe(true);
        expect(daysBetween(from, to)).toBe(n);
        expect(addDays(to, -n)).toBe(from);
      }),
    );
  });
});

describe('periods', () => {
  it('answers the calendar month of a period', () => {
    expect(periodBounds('2026-03')).toEqual({ start: '2026-03-01', end: '2026-04-01' });
    expect(periodBounds('2026-12')).toEqual({ start: '2026-12-01', end: '2027-01-01' });
    expect(nextPeriod('2026-12')).toBe('2027-01');
    expect(previousPeriod('2026-01')).toBe('2025-12');
    expect(addMonths('2026-03', 11)).toBe('2027-02');
    expect(addMonths('2026-03', -15)).toBe('2024-12');
    expect(periodOf('2026-03-15')).toBe('2026-03');
    for (const bad of ['2026-13', '2026-3', '2026-00', '2026-03-01']) expect(() => periodBounds(bad), bad).toThrow(RangeError);
  });
});

describe('localDate', () => {
  it('answers the calendar day in the time zone', () => {
    const instant = new Date('2026-03-31T16:30:00Z');
    expect(localDate(instant, 'Asia/Shanghai')).toBe('2026-04-01');
    expect(localDate(instant, 'UTC')).toBe('2026-03-31');
    expect(localDate(new Date('2026-03-31T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-03-31');
    expect(localDate(new Date('2026-01-01T04:00:00Z'), 'America/New_York')).toBe('2025-12-31');
    expect(localDate(new Date('2026-12-31T23:00:00Z'), 'Pacific/Kiritimati')).toBe('2027-01-01');
  });

  it('refuses an invalid instant or time zone', () => {
    expect(() => localDate(new Date('nope'), 'UTC')).toThrow(RangeError);
    expect(() => localDate(new Date(), 'Mars/Olympus')).toThrow(RangeError);
  });
});
