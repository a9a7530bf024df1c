import { z } from 'zod';

/** A UTC instant as a household's wall clock shows it. */
export interface WallClock {
  /** Local calendar date, `YYYY-MM-DD`. */
  date: string;
  /** Minutes since local midnight, 0–1439. */
  minuteOfDay: number;
  /** Local time minus UTC at that instant, ms (Asia/Shanghai: +8 h). */
  offsetMs: number;
}

const MINUTE = 60_000;
const OFFSET_BUCKET_MS = 15 * MINUTE; // every real zone's transitions fall on a quarter hour
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
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
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Local time minus UTC at `ms` in an IANA zone, from the platform's ICU data (Intl). */
export function zoneOffsetMs(timeZone: string, ms: number): number {
  const bucket = Math.floor(ms / OFFSET_BUCKET_MS);
  const key = `${timeZone}@${bucket}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const at = bucket * OFFSET_BUCKET_MS;
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(at))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const offset = wall - at;
  if (offsetCache.size > 50_000) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

export function wallClock(timeZone: string, ms: number): WallClock {
  const offsetMs = zoneOffsetMs(timeZone, ms);
  const local = new Date(ms + offsetMs);
  return {
    date: local.toISOString().slice(0, 10),
    minuteOfDay: local.getUTCHours() * 60 + local.getUTCMinutes(),
    offsetMs,
  };
}

/** The UTC instant of `minuteOfDay` on a local date, with the zone's offset at that date. */
export function localInstant(timeZone: string, date: string, minuteOfDay: number): number {
  const naive = Date.parse(`${date}T00:00:00Z`) + minuteOfDay * MINUTE;
  // Correct twice so an offset that differs between the naive guess and the answer settles.
  const first = naive - zoneOffsetMs(timeZone, naive);
  return naive - zoneOffsetMs(timeZone, first);
}

/** The local date after `date` (`YYYY-MM-DD`). */
export function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

export const timeZoneName = z.string().refine(
  (name) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone known to this runtime' },
);

/** "02:00" → 120. */
export const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM, 24-hour')
  .transform((text) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5)));

export function formatTimeOfDay(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
}
