/**
 * Calendar dates (日期) as 'YYYY-MM-DD' text and periods (账期) as 'YYYY-MM' text.
 *
 * Pure calendar arithmetic in the proleptic Gregorian calendar, years 1000..9999. `Date.UTC` is used only
 * to count days; no local time zone of the machine is ever involved. `localDate` answers the calendar day
 * an instant falls on in a tenant's time zone (IANA name), through a cached `Intl.DateTimeFormat`.
 */

const DAY_MS = 86_400_000;
const DATE_RE = /^([1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
const PERIOD_RE = /^([1-9][0-9]{3})-(0[1-9]|1[0-2])$/;

export interface YMD {
  year: number;
  month: number;
  day: number;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** Days in `month` (1..12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Is `text` a real calendar date 'YYYY-MM-DD' (no 2026-02-30)? */
export function isDate(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const m = DATE_RE.exec(text);
  if (!m) return false;
  return Number(m[3]) <= daysInMonth(Number(m[1]), Number(m[2]));
}

/** 'YYYY-MM-DD' as its parts; throws `RangeError` on anything that is not a real date. */
export function parseDate(date: string): YMD {
  if (!isDate(date)) throw new RangeError(`date must be a calendar date 'YYYY-MM-DD', got '${String(date)}'`);
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)) };
}

/** Parts as 'YYYY-MM-DD' (validated). */
export function formatDate({ year, month, day }: YMD): string {
  const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  parseDate(text);
  return text;
}

/** Days since 1970-01-01 of a date. */
function dayNumber(date: string): number {
  const { year, month, day } = parseDate(date);
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function fromDayNumber(n: number): string {
  const d = new Date(n * DAY_MS);
  return formatDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

/** `date` + `n` days (`n` a whole number, may be negative): addDays('2026-02-28', 1) = '2026-03-01'. */
export function addDays(date: string, n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`days must be a whole number, got ${n}`);
  return fromDayNumber(dayNumber(date) + n);
}

/** `to` − `from` in days: daysBetween('2026-03-01', '2026-04-01') = 31. */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** −1, 0 or 1 as `a` is before, equal to or after `b` (dates compare as text, validated). */
export function compareDates(a: string, b: string): number {
  parseDate(a);
  parseDate(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date `instant` falls on in `timeZone` (IANA, e.g. 'Asia/Shanghai'). */
export function localDate(instant: Date, timeZone: string): string {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) throw new RangeError('localDate needs a valid Date');
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(instant)) parts[part.type] = part.value;
  return formatDate({ year: Number(parts.year), month: Number(parts.month), day: Number(parts.day) });
}

/** Is `text` a period 'YYYY-MM'? */
export function isPeriod(text: unknown): text is string {
  return typeof text === 'string' && PERIOD_RE.test(text);
}

/** 'YYYY-MM' as `{ year, month }`; throws `RangeError` otherwise. */
export function parsePeriod(period: string): { year: number; month: number } {
  const m = PERIOD_RE.exec(period);
  if (!m) throw new RangeError(`period must be 'YYYY-MM', got '${String(period)}'`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

/** The period `n` months after `period` (n may be negative): addMonths('2026-12', 1) = '2027-01'. */
export function addMonths(period: string, n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`months must be a whole number, got ${n}`);
  const { year, month } = parsePeriod(period);
  const index = year * 12 + (month - 1) + n;
  const text = `${pad(Math.floor(index / 12), 4)}-${pad((index % 12) + 1, 2)}`;
  parsePeriod(text);
  return text;
}

/** The calendar month of a period: `{ start: 'YYYY-MM-01', end: first day of the next month }` (end exclusive). */
export function periodBounds(period: string): { start: string; end: string } {
  parsePeriod(period);
  return { start: `${period}-01`, end: `${addMonths(period, 1)}-01` };
}

/** The period after `period`. */
export function nextPeriod(period: string): string {
  return addMonths(period, 1);
}

/** The period before `period`. */
export function previousPeriod(period: string): string {
  return addMonths(period, -1);
}

/** The period (calendar month) a date falls in: '2026-03-15' → '2026-03'. */
export function periodOf(date: string): string {
  parseDate(date);
  return date.slice(0, 7);
}
