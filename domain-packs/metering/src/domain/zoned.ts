/**
 * Wall-clock time in an IANA time zone, with `Intl` only: the local fields of an instant, and the instant
 * of local fields. Periods (settlement days at local midnight) and the readings people type
 * (`YYYY-MM-DD HH:mm` in the tenant's zone) both stand on it.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown IANA zone.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const DAY_MS = 86_400_000;

/** Local wall-clock fields of an instant in `timeZone`. */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  /** Milliseconds since local midnight. */
  timeOfDayMs: number;
}

export function localParts(instant: Date, timeZone: string): LocalParts {
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const hour = (fields.hour ?? 0) % 24; // some engines print midnight as 24
  const timeOfDayMs =
    hour * 3_600_000 +
    (fields.minute ?? 0) * 60_000 +
    (fields.second ?? 0) * 1_000 +
    instant.getUTCMilliseconds();
  return { year: fields.year ?? 0, month: fields.month ?? 0, day: fields.day ?? 0, timeOfDayMs };
}

/** Offset of `timeZone` at `epochMs`: local wall time minus UTC, in ms. */
export function offsetMs(epochMs: number, timeZone: string): number {
  const p = localParts(new Date(epochMs), timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day) + p.timeOfDayMs;
  return wall - epochMs;
}

/** Wall-clock fields of a time of day, months 1..12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/**
 * The instant of a wall-clock time in `timeZone`; null when the fields are no real date or time.
 * Resolution follows Temporal's 'compatible' rule: a time that happens twice (clocks set back) is the
 * earlier instant; one skipped by a jump forward is read with the offset before the jump.
 */
export function wallToInstant(w: WallTime, timeZone: string): Date | null {
  if (!Number.isInteger(w.year) || w.year < 1000 || w.year > 9999 || w.hour > 23 || w.minute > 59 || w.second > 59 || w.millisecond > 999) return null;
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== w.year || check.getUTCMonth() !== w.month - 1 || check.getUTCDate() !== w.day) return null;
  const before = offsetMs(wall - DAY_MS, timeZone);
  const after = offsetMs(wall + DAY_MS, timeZone);
  const exact = [wall - before, wall - after].filter((t) => wall - t === offsetMs(t, timeZone));
  return new Date(exact.length > 0 ? Math.min(...exact) : wall - before);
}
