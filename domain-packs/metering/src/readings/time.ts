/**
 * Reading times as people write them: ISO 8601 with a zone, or a wall-clock time (`YYYY-MM-DD HH:mm`)
 * in the tenant's time zone. Converted with `Intl` only.
 */

import { localParts, type WallTime, wallToInstant } from '../domain/zoned.js';

export { type WallTime, wallToInstant };

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?\s*(Z|z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A reading time: `2026-03-01T08:00:00Z`, `2026-03-01T08:00+08:00`, or a wall-clock time in the tenant's
 * zone: `2026-03-01 08:00`, `2026-03-01T08:00:30`, `2026-03-01` (local midnight). Null when not one.
 */
export function parseReadingTime(text: string, timeZone: string): Date | null {
  const match = TIME.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, ms, zone] = match;
  const wall: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h ?? 0),
    minute: Number(mi ?? 0),
    second: Number(s ?? 0),
    millisecond: Number((ms ?? '0').padEnd(3, '0')),
  };
  if (!zone) return wallToInstant(wall, timeZone);
  const utc = wallToInstant(wall, 'UTC');
  if (!utc) return null;
  if (zone === 'Z' || zone === 'z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 14 || minutes > 59) return null;
  return new Date(utc.getTime() - sign * (hours * 3_600_000 + minutes * 60_000));
}

/** An instant as local `YYYY-MM-DD HH:mm` in `timeZone`, for messages. */
export function localText(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(Math.floor(p.timeOfDayMs / 3_600_000))}:${two(Math.floor(p.timeOfDayMs / 60_000) % 60)}`;
}
