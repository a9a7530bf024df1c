import type { Rejection } from '@shuiyun/sdk';
import { bcdByteValue } from './bcd.js';
import { hexByte, reject } from './rejection.js';

/**
 * The meter's real-time clock as CJ/T 188 sends it: 7 packed-BCD bytes `ss mm hh DD MM YY-low YY-high`,
 * in the meter's local time with no zone or offset. The product says which zone its meters keep.
 */
export const METER_CLOCK_BYTES = 7;

export interface MeterWallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** `unset`: the meter sent all zeros, which meters do before their clock has ever been set. */
export type MeterClockResult = { ok: true; clock: MeterWallClock | 'unset' } | Rejection;

const clockFieldNames = ['second', 'minute', 'hour', 'day', 'month', 'year (low byte)', 'year (high byte)'];

/**
 * Readings dated before the Unix epoch come from a meter whose clock was never set properly, and
 * rejecting them also keeps every date the codec produces in the range the tz database is sure about.
 */
const EARLIEST_YEAR = 1970;

/**
 * Decodes the clock at `bytes[offset]`; `payloadOffset` is where that byte sits in the payload, so
 * rejections name the byte an operator sees in the raw frame.
 */
export function decodeMeterClock(bytes: Uint8Array, offset: number, payloadOffset = offset): MeterClockResult {
  const fields: number[] = [];
  let allZero = true;
  for (let index = 0; index < METER_CLOCK_BYTES; index++) {
    const byte = bytes[offset + index] ?? 0xff;
    const value = bcdByteValue(byte);
    if (value === undefined) {
      return reject(
        'bad_bcd',
        `meter clock ${clockFieldNames[index]} (byte ${payloadOffset + index}) is ${hexByte(byte)}, not two BCD digits`,
      );
    }
    if (byte !== 0) allZero = false;
    fields.push(value);
  }
  if (allZero) return { ok: true, clock: 'unset' };

  const [second = 0, minute = 0, hour = 0, day = 0, month = 0, yearLow = 0, yearHigh = 0] = fields;
  const clock = { year: yearHigh * 100 + yearLow, month, day, hour, minute, second };
  const impossible = describeImpossibleClock(clock);
  if (impossible !== undefined) {
    const lastByte = payloadOffset + METER_CLOCK_BYTES - 1;
    return reject(
      'bad_clock',
      `meter clock (bytes ${payloadOffset}–${lastByte}) reads ${formatWallClock(clock)}: ${impossible}`,
    );
  }
  return { ok: true, clock };
}

function describeImpossibleClock({ year, month, day, hour, minute, second }: MeterWallClock): string | undefined {
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  if (day < 1 || day > daysInMonth) return `month ${month} of ${year} has no day ${day}`;
  if (hour > 23) return `there is no hour ${hour}`;
  if (minute > 59) return `there is no minute ${minute}`;
  // Meters do not keep leap seconds.
  if (second > 59) return `there is no second ${second}`;
  if (year < EARLIEST_YEAR) return `a year before ${EARLIEST_YEAR} means the clock was never set`;
  return undefined;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function formatWallClock({ year, month, day, hour, minute, second }: MeterWallClock): string {
  const two = (value: number) => value.toString().padStart(2, '0');
  return `${year.toString().padStart(4, '0')}-${two(month)}-${two(day)} ${two(hour)}:${two(minute)}:${two(second)}`;
}

const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter that reads an instant's wall clock in `timeZone`, or undefined for an unknown zone. */
function wallClockFormatter(timeZone: string): Intl.DateTimeFormat | undefined {
  let formatter = wallClockFormatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return undefined;
    }
    wallClockFormatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isKnownTimeZone(timeZone: string): boolean {
  return wallClockFormatter(timeZone) !== undefined;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The UTC instant at which `timeZone`'s clocks showed `clock`, using the tz database that ships with
 * Node's ICU. Where the zone's offset changes, a wall time that happened twice (clocks set back) is
 * read as the earlier instant, and one that never happened (clocks set forward) is moved forward by
 * the gap, as Temporal's `compatible` disambiguation does.
 */
export function meterClockToUtc(clock: MeterWallClock, timeZone: string): Date {
  const formatter = wallClockFormatter(timeZone);
  if (formatter === undefined) throw new RangeError(`unknown time zone "${timeZone}"`);
  const wallAsUtc = wallClockAsUtcMs(clock);
  // Any one wall time lies within a day of at most one offset change.
  const offsetBefore = utcOffsetMs(formatter, wallAsUtc - DAY_MS);
  const offsetAfter = utcOffsetMs(formatter, wallAsUtc + DAY_MS);
  const candidates = [offsetBefore, offsetAfter]
    .map((offset) => wallAsUtc - offset)
    .filter((instant) => wallAsUtc - instant === utcOffsetMs(formatter, instant));
  if (candidates.length === 0) return new Date(wallAsUtc - offsetBefore);
  return new Date(Math.min(...candidates));
}

function wallClockAsUtcMs({ year, month, day, hour, minute, second }: MeterWallClock): number {
  const date = new Date(0);
  // setUTCFullYear, because Date.UTC reads years 0–99 as 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** How far `timeZone`'s wall clock was ahead of UTC at `instantMs`. */
function utcOffsetMs(formatter: Intl.DateTimeFormat, instantMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = wallClockAsUtcMs({
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  });
  return wall - (instantMs - mod(instantMs, 1000));
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}
