import { z } from 'zod';
import { bigintAsString, decimalQuantity, formatMilli } from '../exact-decimal.js';
import { clear, iso, none, raise, type RuleKindDefinition } from '../rule-kind.js';

const HOUR = 3_600_000;

export const reverseFlowParams = z.object({
  /**
   * Litres the register may run back (or the reverse register may run on) before it counts: one litre is
   * one step of a 0.001 m³ register, so the default ignores a single-digit wobble and nothing more.
   */
  toleranceLitres: decimalQuantity.prefault('1'),
  /** Hours of readings without reverse movement that end the alarm. */
  clearAfterHours: z.number().positive().max(24 * 30).default(24),
});
export type ReverseFlowParams = z.output<typeof reverseFlowParams>;

const reverseFlowState = z.object({
  /** Highest forward register since the last reverse movement (thousandths of a litre). */
  forwardMark: bigintAsString.nullable(),
  /** Reverse register when the last reverse movement was counted. */
  reverseMark: bigintAsString.nullable(),
  lastReverseAt: z.number().nullable(),
});

/**
 * Water running backwards: the forward register (`cumulative_volume`) falls below its high mark by more
 * than the tolerance, or the meter's own reverse register (`reverse_volume`) advances by more than it.
 * Both are measured from a mark rather than from the previous reading, so a slow creep backwards of less
 * than the tolerance per reading still adds up and is caught.
 * A meter swap also makes the register fall: swaps must re-key the device (or reset its state) upstream.
 */
export const reverseFlowRule: RuleKindDefinition<ReverseFlowParams, z.output<typeof reverseFlowState>> = {
  kind: 'reverse_flow',
  defaultSeverity: 'warning',
  metrics: () => ['cumulative_volume', 'reverse_volume'],
  initialState: () => ({ forwardMark: null, reverseMark: null, lastReverseAt: null }),
  state: reverseFlowState,
  onReading(p, state, reading) {
    let reversed: bigint | null = null;
    if (reading.metric === 'cumulative_volume') {
      if (state.forwardMark !== null && state.forwardMark - reading.milli > p.toleranceLitres) {
        reversed = state.forwardMark - reading.milli;
        state.forwardMark = reading.milli;
      } else if (state.forwardMark === null || reading.milli > state.forwardMark) {
        state.forwardMark = reading.milli;
      }
    } else {
      if (state.reverseMark !== null && reading.milli - state.reverseMark > p.toleranceLitres) {
        reversed = reading.milli - state.reverseMark;
        state.reverseMark = reading.milli;
      } else if (state.reverseMark === null || reading.milli < state.reverseMark) {
        state.reverseMark = reading.milli;
      }
    }
    if (reversed !== null) {
      state.lastReverseAt = reading.at;
      return [raise(reading.at, { metric: reading.metric, reverseLitres: formatMilli(reversed), registerLitres: formatMilli(reading.milli) })];
    }
    if (state.lastReverseAt !== null && reading.at - state.lastReverseAt >= p.clearAfterHours * HOUR) {
      const detail = { lastReverseAt: iso(state.lastReverseAt) };
      state.lastReverseAt = null;
      return [clear(reading.at, detail)];
    }
    return none;
  },
};
