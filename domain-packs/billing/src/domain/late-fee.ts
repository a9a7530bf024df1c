/**
 * 违约金 (late fee) on an unpaid charge.
 *
 * Convention (Chinese water and power utilities): a customer who has not paid by the due date owes a late fee
 * per day on the unpaid principal, commonly 0.5‰ to 3‰ a day (供水/供电营业规则 and local 城市供水条例 use
 * 1‰–3‰), after an optional grace period (宽限期), and the total is capped — usually at the principal itself
 * (违约金不超过欠费本金).
 *
 * Here: the fee accrues for each day from the day after (dueDate + graceDays) up to and including `asOf`:
 *     days = max(0, asOf − (dueDate + graceDays))
 *     fee  = divRound(principal × dailyRatePpm × days, 10^6, rounding)
 *     cap  = divRound(principal × capBp, 10^4, 'down')
 *     due  = min(fee, cap)
 * So a charge due on 03-10 without grace owes one day's fee on 03-11. The fee is computed on the whole period
 * at once (not day by day rounded), so accruing it daily only ever adds the difference to the previous total.
 *
 * Defaults (`lateFeeRule.parse({})`): 1000 ppm = 1‰ a day (the low end of the usual range), 0 grace days (the
 * due date already gives the payment period, 缴费期, commonly 30 days after the bill), capped at 100 % of the
 * principal, rounded half up like the bills.
 */
import { z } from 'zod';
import { daysBetween, isDate, addDays } from './dates.js';
import { assertBigint, divRound, ROUNDINGS, type Rounding } from './money.js';

export interface LateFeeRule {
  /** Fee per day in parts per million of the principal (1000 = 1‰ a day); 0 = no late fee. */
  dailyRatePpm: number;
  /** Days after the due date before the fee starts. */
  graceDays: number;
  /** Cap of the total fee, basis points of the principal (10000 = the principal). */
  capBp: number;
  rounding: Rounding;
}

export const lateFeeRule = z.object({
  dailyRatePpm: z
    .number()
    .int('dailyRatePpm: whole parts per million')
    .min(0, 'dailyRatePpm: 0..10000 ppm a day (0 = no late fee, 1000 = 1‰)')
    .max(10_000, 'dailyRatePpm: 0..10000 ppm a day (0 = no late fee, 1000 = 1‰)')
    .default(1000),
  graceDays: z.number().int('graceDays: whole days').min(0, 'graceDays: 0..365').max(365, 'graceDays: 0..365').default(0),
  capBp: z
    .number()
    .int('capBp: whole basis points')
    .min(0, 'capBp: 0..10000 basis points of the principal')
    .max(10_000, 'capBp: 0..10000 basis points of the principal')
    .default(10_000),
  rounding: z.enum(ROUNDINGS).default('half_up'),
});

const _schemaMatches = (r: z.output<typeof lateFeeRule>): LateFeeRule => r;
void _schemaMatches;

/** Days of fee accrued by `asOf` on a charge due on `dueDate` (0 before the grace period ends). */
export function lateFeeDays(rule: Pick<LateFeeRule, 'graceDays'>, dueDate: string, asOf: string): number {
  if (!isDate(dueDate) || !isDate(asOf)) throw new RangeError('dueDate and asOf must be dates YYYY-MM-DD');
  const days = daysBetween(addDays(dueDate, rule.graceDays), asOf);
  return days > 0 ? days : 0;
}

/** The total late fee accrued by `asOf` (inclusive) on `principalFen` unpaid since `dueDate`. */
export function lateFeeDue(rule: LateFeeRule, principalFen: bigint, dueDate: string, asOf: string): bigint {
  assertBigint(principalFen, 'principalFen');
  if (principalFen < 0n) throw new RangeError('principalFen must be ≥ 0');
  const days = lateFeeDays(rule, dueDate, asOf);
  if (days === 0 || principalFen === 0n) return 0n;
  const fee = divRound(principalFen * BigInt(rule.dailyRatePpm) * BigInt(days), 1_000_000n, rule.rounding);
  const cap = divRound(principalFen * BigInt(rule.capBp), 10_000n, 'down');
  return fee < cap ? fee : cap;
}
