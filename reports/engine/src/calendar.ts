/**
 * Calendar dates (`YYYY-MM-DD`) in a tenant's time zone. Which instants fall on a date is decided by the
 * database (`toDate(at, tz)` in ClickHouse, `at AT TIME ZONE tz` in PostgreSQL), so one tz database draws
 * every boundary; here is only date arithmetic and "today" for relative defaults.
 */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const DAY_MS = 86_400_000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** An IANA zone in its canonical spelling (`asia/shanghai` → `Asia/Shanghai`), or undefined. */
export function canonicalTimeZone(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** True for a real calendar date between 1900 and 2299 (2026-02-30 is not one). */
export function isCalendarDate(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const match = DAY.exec(text);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (y < 1900 || y > 2299) return false;
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === text;
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** The first day of the month `n` months after `day`'s month. */
export function addMonths(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)).toISOString().slice(0, 10);
}

/** The local date of `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

/** Monday of the ISO week `day` is in. */
export function mondayOf(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(day, -((weekday + 6) % 7));
}
