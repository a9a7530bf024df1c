/**
 * Settlement periods (结算周期) in the tenant's time zone, computed with `Intl` only.
 *
 * Naming rule: a period is named 'YYYY-MM' after the month that holds its LAST local day.
 * With settlement day (结算日) D, a period ends at local 00:00 on day D:
 * - D = 1:  '2026-03' covers [2026-03-01 00:00, 2026-04-01 00:00) local — the calendar month;
 * - D = 25: '2026-03' covers [2026-02-25 00:00, 2026-03-25 00:00) local — last day 03-24.
 * So the end is day D of month M when D > 1, and day 1 of month M + 1 when D = 1; the start is
 * the previous period's end. D is limited to 1..28 so that every month has the day.
 */
import { localParts, wallToInstant } from './zoned.js';

const DAY_MS = 86_400_000;
const PERIOD_RE = /^([1-9]\d{3})-(0[1-9]|1[0-2])$/;

/** A calendar month, `month` 1..12. */
export interface YearMonth {
  year: number;
  month: number;
}

/** A period as UTC instants: [startsAt, endsAt). */
export interface PeriodBounds {
  startsAt: Date;
  endsAt: Date;
}

/** Parse 'YYYY-MM' (years 1000..9999). Throws `RangeError` on anything else. */
export function parsePeriod(period: string): YearMonth {
  const match = PERIOD_RE.exec(period);
  if (!match) throw new RangeError(`period must be 'YYYY-MM', got '${period}'`);
  return { year: Number(match[1]), month: Number(match[2]) };
}

/** Format a month as 'YYYY-MM'. */
export function formatPeriod({ year, month }: YearMonth): string {
  const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
  parsePeriod(text); // validates the range
  return text;
}

function shiftMonth({ year, month }: YearMonth, by: number): YearMonth {
  const index = year * 12 + (month - 1) + by;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** The period after `period`: '2026-12' → '2027-01'. */
export function nextPeriod(period: string): string {
  return formatPeriod(shiftMonth(parsePeriod(period), 1));
}

/** The period before `period`: '2026-01' → '2025-12'. */
export function previousPeriod(period: string): string {
  return formatPeriod(shiftMonth(parsePeriod(period), -1));
}

/**
 * The UTC instant of local 00:00 on `year-month-day` in `timeZone`.
 *
 * Resolution follows Temporal's 'compatible' rule: if midnight happens twice (clocks set back
 * across it) the earlier instant; if it does not exist (clocks jump forward at midnight, e.g.
 * Asia/Beirut, America/Santiago) the instant the clocks jump, read with the offset before the jump.
 */
export function startOfLocalDay(year: number, month: number, day: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day);
  const check = new Date(wall);
  if (
    !Number.isInteger(year) ||
    year < 1000 ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day
  ) {
    throw new RangeError(`not a calendar date: ${year}-${month}-${day}`);
  }
  return wallToInstant({ year, month, day, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone)!;
}

function assertSettlementDay(settlementDay: number): void {
  if (!Number.isInteger(settlementDay) || settlementDay < 1 || settlementDay > 28) {
    throw new RangeError(`settlementDay must be an integer 1..28, got ${settlementDay}`);
  }
}

/** Local 00:00 ending the period named `ym` (see the naming rule at the top of this file). */
function periodEnd(ym: YearMonth, settlementDay: number, timeZone: string): Date {
  const endMonth = settlementDay === 1 ? shiftMonth(ym, 1) : ym;
  return startOfLocalDay(endMonth.year, endMonth.month, settlementDay, timeZone);
}

/**
 * Bounds [startsAt, endsAt) of `period` ('YYYY-MM') with settlement day `settlementDay` (1..28)
 * in the IANA `timeZone`. Each bound is local 00:00 converted to UTC, so DST is respected:
 * '2026-03', day 1, Europe/Berlin is [2026-02-28T23:00Z, 2026-03-31T22:00Z), 743 hours.
 */
export function periodBounds(period: string, settlementDay: number, timeZone: string): PeriodBounds {
  assertSettlementDay(settlementDay);
  const ym = parsePeriod(period);
  return {
    startsAt: periodEnd(shiftMonth(ym, -1), settlementDay, timeZone),
    endsAt: periodEnd(ym, settlementDay, timeZone),
  };
}

/**
 * The period ('YYYY-MM') containing `instant`, for settlement day `settlementDay` in `timeZone`:
 * e.g. where a late reading or correction belongs.
 */
export function periodContaining(instant: Date, settlementDay: number, timeZone: string): string {
  assertSettlementDay(settlementDay);
  const local = localParts(instant, timeZone);
  const ym = { year: local.year, month: local.month };
  // Day 1: the calendar month. Day D > 1: local days D.. of month M belong to period M + 1.
  const named = settlementDay > 1 && local.day >= settlementDay ? shiftMonth(ym, 1) : ym;
  return formatPeriod(named);
}

/**
 * Whole days from `from` to `to` (`to >= from`), rounded down.
 *
 * - Without `timeZone`: elapsed 24-hour days, ⌊(to − from) / 86 400 000 ms⌋.
 * - With `timeZone`: whole days on the local wall clock — the difference of the local dates,
 *   minus one when `to`'s local time of day is earlier than `from`'s — so a 23-hour DST day
 *   still counts as one day. Never negative (clocks set back can make the wall clock run back).
 */
export function daysBetween(from: Date, to: Date, timeZone?: string): number {
  const elapsed = to.getTime() - from.getTime();
  if (!(elapsed >= 0)) throw new RangeError('daysBetween: `to` must not be before `from`');
  if (timeZone === undefined) return Math.floor(elapsed / DAY_MS);
  const a = localParts(from, timeZone);
  const b = localParts(to, timeZone);
  let days = (Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / DAY_MS;
  if (b.timeOfDayMs < a.timeOfDayMs) days -= 1;
  return Math.max(0, days);
}
