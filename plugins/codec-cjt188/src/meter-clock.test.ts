import { describe, expect, it } from 'vitest';
import { decodeMeterClock, meterClockToUtc } from './meter-clock.js';

const at = (year: number, month: number, day: number, hour: number, minute = 0, second = 0) => ({ year, month, day, hour, minute, second });

describe('meter clock to UTC', () => {
  it('takes 8 hours off Asia/Shanghai wall time', () => {
    expect(meterClockToUtc(at(2024, 1, 1, 7, 59, 58), 'Asia/Shanghai').toISOString()).toBe('2023-12-31T23:59:58.000Z');
  });

  it("follows the tz database's history: China kept summer time (UTC+9) in 1988", () => {
    expect(meterClockToUtc(at(1988, 7, 1, 12), 'Asia/Shanghai').toISOString()).toBe('1988-07-01T03:00:00.000Z');
  });

  it('reads a wall time that happened twice (clocks set back) as the earlier instant', () => {
    // Berlin, 27 October 2024: 03:00 CEST became 02:00 CET, so 02:30 happened at 00:30Z and 01:30Z.
    expect(meterClockToUtc(at(2024, 10, 27, 2, 30), 'Europe/Berlin').toISOString()).toBe('2024-10-27T00:30:00.000Z');
  });

  it('moves a wall time that never happened (clocks set forward) forward by the gap', () => {
    // Berlin, 31 March 2024: 02:00 CET became 03:00 CEST; 02:30 is read as 03:30 CEST.
    expect(meterClockToUtc(at(2024, 3, 31, 2, 30), 'Europe/Berlin').toISOString()).toBe('2024-03-31T01:30:00.000Z');
  });

  it('handles zones behind UTC and across the date line', () => {
    expect(meterClockToUtc(at(2024, 1, 1, 0), 'America/New_York').toISOString()).toBe('2024-01-01T05:00:00.000Z');
    expect(meterClockToUtc(at(2024, 1, 1, 0), 'Pacific/Kiritimati').toISOString()).toBe('2023-12-31T10:00:00.000Z');
  });
});

describe('meter clock bytes', () => {
  it('reads ss mm hh DD MM YY-low YY-high', () => {
    expect(decodeMeterClock(Uint8Array.from([0x31, 0x01, 0x22, 0x11, 0x05, 0x15, 0x20]), 0)).toEqual({
      ok: true,
      clock: at(2015, 5, 11, 22, 1, 31),
    });
  });

  it('reports an all-zero clock as unset', () => {
    expect(decodeMeterClock(new Uint8Array(7), 0)).toEqual({ ok: true, clock: 'unset' });
  });

  it.each([
    { year: 2000, leap: true },
    { year: 2100, leap: false },
    { year: 2028, leap: true },
  ])('knows whether $year has a 29 February (leap: $leap)', ({ year, leap }) => {
    const yearLow = parseInt(String(year % 100).padStart(2, '0'), 16);
    const yearHigh = parseInt(String(Math.floor(year / 100)), 16);
    const result = decodeMeterClock(Uint8Array.from([0, 0, 0, 0x29, 0x02, yearLow, yearHigh]), 0);
    expect(result.ok).toBe(leap);
  });

  it('names offsets in the payload when told where the clock sits', () => {
    const result = decodeMeterClock(Uint8Array.from([0x00, 0x00, 0x00, 0x01, 0x1a, 0x24, 0x20]), 0, 24);
    expect(result).toEqual({ ok: false, code: 'bad_bcd', reason: 'meter clock month (byte 28) is 0x1A, not two BCD digits' });
  });
});
