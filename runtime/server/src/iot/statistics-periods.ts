import { z } from 'zod';

/**
 * Calendar periods of the device statistics: a day (`2026-03-01`) or a month (`2026-03`) in a tenant's
 * time zone. The arithmetic here is on calendar dates only; which instants belong to a period is decided
 * by ClickHouse (`toDate(at, tz)`, `toStartOfMonth(at, tz)`), so one tz database draws every boundary.
 */
export type Granularity = 'day' | 'month';

export interface Period {
  granularity: Granularity;
  /** As the API names it: `YYYY-MM-DD` or `YYYY-MM`. */
  label: string;
  /** The period's first day, `YYYY-MM-DD` (a ClickHouse `Date` parameter). */
  firstDay: string;
}

const DAY = 86_400_000;
const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const monthPattern = /^(\d{4})-(\d{2})$/;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const utcMidnight = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** `2026-03-01` → a day, `2026-03` → a month; undefined for anything else (2026-02-30 included). */
export function parsePeriod(text: string): Period | undefined {
  const day = dayPattern.exec(text);
  if (day) {
    const [, y, m, d] = day.map(Number) as [number, number, number, number];
    const ms = Date.UTC(y, m - 1, d);
    if (y < 1970 || y > 2299 || isoDay(ms) !== text) return undefined;
    return { granularity: 'day', label: text, firstDay: text };
  }
  const month = monthPattern.exec(text);
  if (month) {
    const [, y, m] = month.map(Number) as [number, number, number];
    if (y < 1970 || y > 2299 || m < 1 || m > 12) return undefined;
    return { granularity: 'month', label: text, firstDay: `${text}-01` };
  }
  return undefined;
}

/** The period `n` periods after (or, negative, before) `period`. */
export function shiftPeriod(period: Period, n: number): Period {
  if (period.granularity === 'day') {
    const label = isoDay(utcMidnight(period.firstDay) + n * DAY);
    return { granularity: 'day', label, firstDay: label };
  }
  const first = new Date(utcMidnight(period.firstDay));
  const label = isoDay(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + n, 1)).slice(0, 7);
  return { granularity: 'month', label, firstDay: `${label}-01` };
}

/** Periods from `from` to `to`, both included. */
export function periodsBetween(from: Period, to: Period): Period[] {
  const periods: Period[] = [];
  for (let p = from; p.firstDay <= to.firstDay; p = shiftPeriod(p, 1)) periods.push(p);
  return periods;
}

/** ClickHouse returns a month's period as its first day; the API names months `YYYY-MM`. */
export const periodLabel = (granularity: Granularity, firstDay: string) => (granularity === 'day' ? firstDay : firstDay.slice(0, 7));

/**
 * Instants that surely contain the periods `from`…`to` in any time zone (offsets run from −12 h to
 * +14 h): a coarse filter on `at`, which prunes partitions and granules. The exact boundary is the
 * local-date filter next to it.
 */
export function coarseBounds(from: Period, to: Period): { lo: Date; hi: Date } {
  return { lo: new Date(utcMidnight(from.firstDay) - DAY), hi: new Date(utcMidnight(shiftPeriod(to, 1).firstDay) + DAY) };
}

/** The ClickHouse expression that puts `at` into its local period. `tz` is a bound parameter. */
export const periodExpression: Record<Granularity, string> = {
  day: 'toDate(at, {tz:String})',
  month: 'toStartOfMonth(at, {tz:String})',
};

/**
 * An IANA time zone in its canonical spelling (`asia/shanghai` → `Asia/Shanghai`): Node accepts names in
 * any case, ClickHouse only as the tz database spells them.
 */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export const timeZoneParam = z
  .string()
  .max(64)
  .transform((tz, ctx) => {
    const canonical = canonicalTimeZone(tz);
    if (!canonical) {
      ctx.addIssue({ code: 'custom', message: 'an IANA time zone such as Asia/Shanghai' });
      return z.NEVER;
    }
    return canonical;
  });

export const periodParam = z.string().transform((text, ctx) => {
  const period = parsePeriod(text);
  if (!period) {
    ctx.addIssue({ code: 'custom', message: 'a day YYYY-MM-DD or a month YYYY-MM' });
    return z.NEVER;
  }
  return period;
});

/**
 * `numerator / denominator` as a percentage with two decimals, rounded half up, computed on integers so
 * no float ever touches it: 2 of 3 → "66.67". Null when nothing is due.
 */
export function percent(numerator: number, denominator: number): string | null {
  if (denominator === 0) return null;
  const n = BigInt(numerator);
  const d = BigInt(denominator);
  const hundredths = (n * 20_000n + d) / (2n * d);
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}`;
}
