import { describe, expect, it } from 'vitest';
import {
  daysBetween,
  formatPeriod,
  nextPeriod,
  parsePeriod,
  periodBounds,
  periodContaining,
  previousPeriod,
  startOfLocalDay,
} from './periods.js';

const iso = (b: { startsAt: Date; endsAt: Date }): [string, string] => [
  b.startsAt.toISOString(),
  b.endsAt.toISOString(),
];
const HOUR = 3_600_000;

describe('parsePeriod / formatPeriod / nextPeriod / previousPeriod', () => {
  it('parses and formats YYYY-MM', () => {
    expect(parsePeriod('2026-03')).toEqual({ year: 2026, month: 3 });
    expect(formatPeriod({ year: 2026, month: 3 })).toBe('2026-03');
  });

  it.each(['2026-13', '2026-00', '2026-3', '26-03', '0999-01', '2026-03-01', ' 2026-03'])('rejects %j', (p) => {
    expect(() => parsePeriod(p)).toThrow(RangeError);
  });

  it('steps across the year boundary', () => {
    expect(nextPeriod('2025-12')).toBe('2026-01');
    expect(previousPeriod('2026-01')).toBe('2025-12');
    expect(nextPeriod('2026-03')).toBe('2026-04');
    expect(previousPeriod('2026-03')).toBe('2026-02');
  });
});

describe('periodBounds, Asia/Shanghai (UTC+8)', () => {
  it('day 1: the calendar month', () => {
    expect(iso(periodBounds('2026-03', 1, 'Asia/Shanghai'))).toEqual([
      '2026-02-28T16:00:00.000Z',
      '2026-03-31T16:00:00.000Z',
    ]);
  });

  it('day 25: named by the month it ends in', () => {
    // [2026-02-25 00:00, 2026-03-25 00:00) local
    expect(iso(periodBounds('2026-03', 25, 'Asia/Shanghai'))).toEqual([
      '2026-02-24T16:00:00.000Z',
      '2026-03-24T16:00:00.000Z',
    ]);
  });

  it('year boundary Dec → Jan', () => {
    expect(iso(periodBounds('2025-12', 1, 'Asia/Shanghai'))).toEqual([
      '2025-11-30T16:00:00.000Z',
      '2025-12-31T16:00:00.000Z',
    ]);
    expect(iso(periodBounds('2026-01', 1, 'Asia/Shanghai'))).toEqual([
      '2025-12-31T16:00:00.000Z',
      '2026-01-31T16:00:00.000Z',
    ]);
    // day 25: [2025-12-25, 2026-01-25) local
    expect(iso(periodBounds('2026-01', 25, 'Asia/Shanghai'))).toEqual([
      '2025-12-24T16:00:00.000Z',
      '2026-01-24T16:00:00.000Z',
    ]);
  });

  it('February in a leap year', () => {
    expect(iso(periodBounds('2028-02', 1, 'Asia/Shanghai'))).toEqual([
      '2028-01-31T16:00:00.000Z',
      '2028-02-29T16:00:00.000Z',
    ]);
  });
});

describe('periodBounds, Europe/Berlin (DST)', () => {
  it('March, day 1: spring forward makes the period 743 hours', () => {
    const b = periodBounds('2026-03', 1, 'Europe/Berlin');
    // 2026-03-01 00:00 CET (+1) → 2026-04-01 00:00 CEST (+2)
    expect(iso(b)).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
    expect(b.endsAt.getTime() - b.startsAt.getTime()).toBe(743 * HOUR);
  });

  it('October, day 1: fall back makes the period 745 hours', () => {
    const b = periodBounds('2026-10', 1, 'Europe/Berlin');
    expect(iso(b)).toEqual(['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z']);
    expect(b.endsAt.getTime() - b.startsAt.getTime()).toBe(745 * HOUR);
  });

  it('day 25 across the DST change and across the year', () => {
    expect(iso(periodBounds('2026-04', 25, 'Europe/Berlin'))).toEqual([
      '2026-03-24T23:00:00.000Z',
      '2026-04-24T22:00:00.000Z',
    ]);
    expect(iso(periodBounds('2026-01', 25, 'Europe/Berlin'))).toEqual([
      '2025-12-24T23:00:00.000Z',
      '2026-01-24T23:00:00.000Z',
    ]);
  });

  it.each([
    ['Europe/Berlin', 1],
    ['Europe/Berlin', 25],
    ['Asia/Shanghai', 28],
    ['America/Santiago', 6],
  ] as const)('periods of 2026 in %s, day %i tile without gaps', (zone, day) => {
    let period = '2025-12';
    for (let i = 0; i < 14; i += 1) {
      const next = nextPeriod(period);
      expect(periodBounds(period, day, zone).endsAt).toEqual(periodBounds(next, day, zone).startsAt);
      period = next;
    }
  });

  it('rejects a bad settlement day or zone', () => {
    for (const day of [0, 29, 1.5]) expect(() => periodBounds('2026-03', day, 'Asia/Shanghai')).toThrow(RangeError);
    expect(() => periodBounds('2026-03', 1, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('startOfLocalDay', () => {
  it('midnight skipped by a spring-forward (Beirut, Santiago) resolves to the jump', () => {
    // Asia/Beirut 2026-03-29: 00:00 (+2) → 01:00 (+3), the jump is at 2026-03-28T22:00Z
    expect(startOfLocalDay(2026, 3, 29, 'Asia/Beirut').toISOString()).toBe('2026-03-28T22:00:00.000Z');
    // America/Santiago 2026-09-06: 00:00 (−4) → 01:00 (−3), the jump is at 04:00Z
    expect(startOfLocalDay(2026, 9, 6, 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('midnight happening twice (Havana fall back 01:00 → 00:00) resolves to the first', () => {
    expect(startOfLocalDay(2026, 11, 1, 'America/Havana').toISOString()).toBe('2026-11-01T04:00:00.000Z');
  });

  it('rejects impossible dates', () => {
    expect(() => startOfLocalDay(2026, 2, 30, 'Asia/Shanghai')).toThrow(RangeError);
    expect(() => startOfLocalDay(2026, 13, 1, 'Asia/Shanghai')).toThrow(RangeError);
  });
});

describe('periodContaining', () => {
  it('day 1, on either side of the period end', () => {
    expect(periodContaining(new Date('2026-03-31T15:59:59.999Z'), 1, 'Asia/Shanghai')).toBe('2026-03');
    expect(periodContaining(new Date('2026-03-31T16:00:00.000Z'), 1, 'Asia/Shanghai')).toBe('2026-04');
  });

  it('day 25, including the year boundary', () => {
    expect(periodContaining(new Date('2026-03-24T23:59:00+08:00'), 25, 'Asia/Shanghai')).toBe('2026-03');
    expect(periodContaining(new Date('2026-03-25T00:00:00+08:00'), 25, 'Asia/Shanghai')).toBe('2026-04');
    expect(periodContaining(new Date('2025-12-25T00:00:00+08:00'), 25, 'Asia/Shanghai')).toBe('2026-01');
  });

  it('agrees with periodBounds', () => {
    for (const at of ['2026-03-29T01:30:00Z', '2026-10-25T00:30:00Z', '2026-12-31T23:30:00Z']) {
      const instant = new Date(at);
      for (const day of [1, 25]) {
        const b = periodBounds(periodContaining(instant, day, 'Europe/Berlin'), day, 'Europe/Berlin');
        expect(b.startsAt.getTime()).toBeLessThanOrEqual(instant.getTime());
        expect(instant.getTime()).toBeLessThan(b.endsAt.getTime());
      }
    }
  });
});

describe('daysBetween', () => {
  it('counts elapsed 24-hour days, rounded down', () => {
    const from = new Date('2026-03-01T00:00:00Z');
    expect(daysBetween(from, new Date('2026-03-01T23:59:59.999Z'))).toBe(0);
    expect(daysBetween(from, new Date('2026-03-02T00:00:00Z'))).toBe(1);
    expect(daysBetween(from, new Date('2026-04-01T00:00:00Z'))).toBe(31);
  });

  it('on the local wall clock, a 23-hour DST day still counts', () => {
    const { startsAt, endsAt } = periodBounds('2026-03', 1, 'Europe/Berlin');
    expect(daysBetween(startsAt, endsAt)).toBe(30); // 743 h
    expect(daysBetween(startsAt, endsAt, 'Europe/Berlin')).toBe(31);
    // 10:00 local on 03-28 to 09:59 local on 03-30: one whole day
    expect(daysBetween(new Date('2026-03-28T09:00:00Z'), new Date('2026-03-30T07:59:00Z'), 'Europe/Berlin')).toBe(1);
  });

  it('never goes negative when the wall clock runs back', () => {
    // 02:30 CEST then 02:10 CET, 40 minutes later
    expect(daysBetween(new Date('2026-10-25T00:30:00Z'), new Date('2026-10-25T01:10:00Z'), 'Europe/Berlin')).toBe(0);
  });

  it('rejects to < from', () => {
    expect(() => daysBetween(new Date(1), new Date(0))).toThrow(RangeError);
  });
});
