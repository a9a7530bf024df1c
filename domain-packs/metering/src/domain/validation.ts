/**
 * Reading validation (抄表校验): flags a new reading for review (复核). Integer arithmetic only.
 */
import { registerDelta } from './register.js';
import type { MeterReading } from './settlement.js';

const DAY_MS = 86_400_000n;

/** A non-negative rational num/den, den > 0. */
export interface Ratio {
  num: bigint;
  den: bigint;
}

/** Thresholds of the validation rules. */
export interface ValidationRules {
  /**
   * A reading is 'above_average' when its daily rate exceeds this multiple of the household's
   * average daily consumption (e.g. 3). A number is read as the decimal it prints as
   * (2.5 → 25/10, see `toRatio`); or give the fraction directly.
   */
  maxRatioToAverage: number | Ratio;
  /** 'zero_for_days' when the register has not moved for this many 24-hour days; 0 disables. */
  zeroDays: number;
  /** Default register capacity for roll-over, used when the reading's own `capacityL` is null. */
  capacityL?: bigint | null;
}

/** Why a reading goes to review. `validateReading` never returns 'missing' (see `missingMeters`). */
export type Violation = 'negative' | 'rollover' | 'above_average' | 'zero_for_days' | 'missing';

/** One reading to check, with the meter's context. */
export interface ReadingCheck {
  /** The meter's previous valid reading, or null for its first. */
  previous: MeterReading | null;
  reading: MeterReading;
  /** Average daily consumption in litres; null with no history (the ratio rule is skipped). */
  averageDailyL: bigint | null;
  capacityL: bigint | null;
  /** When the register last changed value; null if unknown (the zero rule is skipped). */
  lastChangeAt: Date | null;
}

/**
 * Exact rational of a number as it prints in decimal: 3 → 3/1, 2.5 → 25/10, 1e-7 → 1/10^7.
 * A `Ratio` is checked and returned as is. Throws `RangeError` for negative, non-finite, den ≤ 0.
 */
export function toRatio(value: number | Ratio): Ratio {
  if (typeof value !== 'number') {
    if (value.num < 0n || value.den <= 0n) throw new RangeError('ratio must be num ≥ 0, den > 0');
    return value;
  }
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`ratio must be finite and ≥ 0, got ${value}`);
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(value));
  if (!match) throw new RangeError(`cannot read ${value} as a decimal`);
  const fraction = match[2] ?? '';
  const exponent = Number(match[3] ?? '0') - fraction.length;
  const digits = BigInt((match[1] ?? '0') + fraction);
  return exponent >= 0
    ? { num: digits * 10n ** BigInt(exponent), den: 1n }
    : { num: digits, den: 10n ** BigInt(-exponent) };
}

/**
 * Check one reading against its predecessor. Returns the violations in the order
 * negative | rollover, above_average, zero_for_days (empty: the reading passes).
 *
 * - Consumption = `registerDelta(previous, reading, capacity)`: 'rollover' when it wrapped
 *   (plausible but still reviewed), 'negative' when the register went back otherwise.
 * - 'above_average': with consumption c ≥ 0 over elapsed time t (ms, at least one day so that
 *   a morning's use is not compared with a few hours' share of the average), average a and
 *   ratio num/den, the daily rate c·DAY/t exceeds a·num/den ⇔ c·DAY·den > a·num·t (all bigint).
 * - 'zero_for_days': the register equals the previous reading and lastChangeAt is at least
 *   `zeroDays` × 24 h before the reading.
 */
export function validateReading(input: ReadingCheck, rules: ValidationRules): Violation[] {
  const { previous, reading, averageDailyL, lastChangeAt } = input;
  const ratio = toRatio(rules.maxRatioToAverage);
  if (!Number.isInteger(rules.zeroDays) || rules.zeroDays < 0) {
    throw new RangeError('zeroDays must be an integer ≥ 0');
  }
  if (previous === null) return [];
  const elapsedMs = BigInt(reading.at.getTime() - previous.at.getTime());
  if (elapsedMs < 0n) throw new RangeError('previous reading must not be after the reading');

  const violations: Violation[] = [];
  const capacityL = input.capacityL ?? rules.capacityL ?? null;
  const delta = registerDelta(previous.valueL, reading.valueL, capacityL);
  if (delta.negative) violations.push('negative');
  if (delta.rolledOver) violations.push('rollover');

  if (!delta.negative && averageDailyL !== null) {
    const t = elapsedMs > DAY_MS ? elapsedMs : DAY_MS;
    if (delta.volumeL * DAY_MS * ratio.den > averageDailyL * ratio.num * t) violations.push('above_average');
  }

  if (rules.zeroDays > 0 && lastChangeAt !== null && reading.valueL === previous.valueL) {
    const unchangedMs = BigInt(reading.at.getTime() - lastChangeAt.getTime());
    if (unchangedMs >= BigInt(rules.zeroDays) * DAY_MS) violations.push('zero_for_days');
  }
  return violations;
}

/** A meter due for reading and the instant of its latest valid measured reading before periodEnd. */
export interface MeterLastReading {
  meterId: string;
  lastReadingAt: Date | null;
}

/**
 * Meters with no valid reading in [periodEnd − toleranceMs, periodEnd) (未抄/缺抄), in input order.
 * `lastReadingAt` must be before periodEnd (later readings belong to the next period): a later
 * one throws `RangeError`. Pass measured readings only; an estimate is not a reading here.
 */
export function missingMeters(
  meters: Iterable<MeterLastReading>,
  periodEnd: Date,
  toleranceMs: number,
): string[] {
  if (!Number.isFinite(toleranceMs) || toleranceMs < 0) throw new RangeError('toleranceMs must be ≥ 0');
  const end = periodEnd.getTime();
  const windowStart = end - toleranceMs;
  const missing: string[] = [];
  for (const { meterId, lastReadingAt } of meters) {
    const at = lastReadingAt?.getTime() ?? null;
    if (at !== null && !(at < end)) {
      throw new RangeError(`meter ${meterId}: lastReadingAt is not before periodEnd`);
    }
    if (at === null || at < windowStart) missing.push(meterId);
  }
  return missing;
}
