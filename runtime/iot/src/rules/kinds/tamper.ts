import { z } from 'zod';
import { clear, raise, type RuleKindDefinition } from '../rule-kind.js';
import { formatMilli } from '../exact-decimal.js';

export const tamperParams = z.object({
  /** Metrics of the product's thing model that flag interference (0 normal, anything else tampered). */
  metrics: z.array(z.string().min(1)).min(1).default(['tamper', 'magnetic_tamper']),
});
export type TamperParams = z.output<typeof tamperParams>;

const tamperState = z.object({ flagged: z.array(z.string()) });

/**
 * A tamper flag (magnet, opened case, removal) is set. Raised while any configured flag is non-zero,
 * cleared when every flag that was set reads zero again.
 */
export const tamperRule: RuleKindDefinition<TamperParams, z.output<typeof tamperState>> = {
  kind: 'tamper',
  defaultSeverity: 'warning',
  metrics: (p) => p.metrics,
  initialState: () => ({ flagged: [] }),
  state: tamperState,
  onReading(_p, state, reading) {
    const others = state.flagged.filter((metric) => metric !== reading.metric);
    state.flagged = reading.milli !== 0n ? [...others, reading.metric].sort() : others;
    const detail = { metric: reading.metric, value: formatMilli(reading.milli), flagged: state.flagged.join(',') };
    return [state.flagged.length > 0 ? raise(reading.at, detail) : clear(reading.at, detail)];
  },
};
