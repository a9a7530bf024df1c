import { z } from 'zod';
import { decimalQuantity, formatMilli } from '../exact-decimal.js';
import { clear, none, raise, type RuleKindDefinition } from '../rule-kind.js';

export const thresholdParams = z
  .object({
    /** Any metric of the thing model, e.g. `pressure` (kPa), `flow_rate` (L/h), `temperature`. */
    metric: z.string().min(1),
    direction: z.enum(['above', 'below']),
    /** Raised when a reading reaches this value (≥ for `above`, ≤ for `below`). */
    raiseAt: decimalQuantity,
    /**
     * Cleared only once a reading is back past this value (< for `above`, > for `below`). The band between
     * the two is the hysteresis: a value wobbling around one bound does not flap. Defaults to `raiseAt`.
     */
    clearAt: decimalQuantity.optional(),
    /** Consecutive readings past `raiseAt` needed to raise (a debounce against single spikes). */
    readings: z.int().min(1).max(100).default(1),
  })
  .transform(({ clearAt, ...rest }) => ({ ...rest, clearAt: clearAt ?? rest.raiseAt }))
  .refine((p) => (p.direction === 'above' ? p.clearAt <= p.raiseAt : p.clearAt >= p.raiseAt), {
    message: 'clearAt must lie on the normal side of raiseAt (≤ it for "above", ≥ it for "below")',
    path: ['clearAt'],
  });
export type ThresholdParams = z.output<typeof thresholdParams>;

const thresholdState = z.object({ beyond: z.int().min(0) });

/** A metric above or below a bound, with a hysteresis band and an optional debounce. */
export const thresholdRule: RuleKindDefinition<ThresholdParams, z.output<typeof thresholdState>> = {
  kind: 'threshold',
  defaultSeverity: 'warning',
  metrics: (p) => [p.metric],
  initialState: () => ({ beyond: 0 }),
  state: thresholdState,
  onReading(p, state, reading) {
    const v = reading.milli;
    const pastRaise = p.direction === 'above' ? v >= p.raiseAt : v <= p.raiseAt;
    const backPastClear = p.direction === 'above' ? v < p.clearAt : v > p.clearAt;
    const detail = { metric: p.metric, value: formatMilli(v), direction: p.direction, raiseAt: formatMilli(p.raiseAt), clearAt: formatMilli(p.clearAt) };
    if (pastRaise) {
      state.beyond = Math.min(state.beyond + 1, p.readings);
      return state.beyond >= p.readings ? [raise(reading.at, detail)] : none;
    }
    state.beyond = 0;
    return backPastClear ? [clear(reading.at, detail)] : none;
  },
};
