import { z } from 'zod';
import { bigintAsString, decimalQuantity, formatMilli } from '../exact-decimal.js';
import { clear, iso, none, raise, type RuleKindDefinition } from '../rule-kind.js';

const DAY = 86_400_000;

export const zeroConsumptionParams = z.object({
  /** Days the register may stand still before it is suspicious: a week rules out a weekend away. */
  days: z.number().positive().max(366).default(7),
  /** Litres the register may move over those days and still count as standing (default: not at all). */
  toleranceLitres: decimalQuantity.prefault('0'),
});
export type ZeroConsumptionParams = z.output<typeof zeroConsumptionParams>;

const zeroConsumptionState = z.object({
  /** The register when it last moved, and when that was (the first reading of the standing run). */
  standingMilli: bigintAsString.nullable(),
  standingSince: z.number().nullable(),
});

/**
 * The register has not moved for N days although the meter keeps reporting: a stopped (stuck) meter, a
 * bypass, or a vacant home. Decided on readings, never on silence: a meter that is offline is the
 * offline rule's business, and a day without readings proves nothing about consumption. A meter that comes
 * back after a silence showing the same register does raise: its readings prove the register stood. Cleared
 * when the register moves again by more than the tolerance.
 */
export const zeroConsumptionRule: RuleKindDefinition<ZeroConsumptionParams, z.output<typeof zeroConsumptionState>> = {
  kind: 'zero_consumption',
  defaultSeverity: 'info',
  metrics: () => ['cumulative_volume'],
  initialState: () => ({ standingMilli: null, standingSince: null }),
  state: zeroConsumptionState,
  onReading(p, state, reading) {
    if (state.standingMilli === null || state.standingSince === null) {
      state.standingMilli = reading.milli;
      state.standingSince = reading.at;
      return none;
    }
    const moved = reading.milli - state.standingMilli;
    if (moved > p.toleranceLitres) {
      const detail = { standingSince: iso(state.standingSince), usedLitres: formatMilli(moved) };
      state.standingMilli = reading.milli;
      state.standingSince = reading.at;
      return [clear(reading.at, detail)];
    }
    // A register that runs back is the reverse-flow rule's finding; here it only lowers the baseline.
    if (moved < 0n) state.standingMilli = reading.milli;
    if (reading.at - state.standingSince >= p.days * DAY) {
      return [raise(reading.at, { standingSince: iso(state.standingSince), registerLitres: formatMilli(reading.milli), days: String(p.days) })];
    }
    return none;
  },
};
