import { z } from 'zod';
import { clear, iso, none, raise, type RuleKindDefinition } from '../rule-kind.js';

const HOUR = 3_600_000;

export const offlineParams = z.object({
  /**
   * Silence that makes a device offline. NB-IoT meters usually report once a day, so two days of
   * silence is one missed report plus a retry window; hourly concentrators can use less.
   */
  hours: z.number().positive().max(24 * 90).default(48),
});
export type OfflineParams = z.output<typeof offlineParams>;

const offlineState = z.object({});

/**
 * No reading for N hours. Decided on the clock (`tick`), because silence produces no reading to react
 * to; cleared by the next reading the device sends. The raise is dated when the silence reached N hours
 * (last heard + N), whatever the tick cadence, so replays give the same signals.
 */
export const offlineRule: RuleKindDefinition<OfflineParams, z.output<typeof offlineState>> = {
  kind: 'offline',
  defaultSeverity: 'warning',
  metrics: () => [],
  initialState: () => ({}),
  state: offlineState,
  onTick(p, _state, now, context) {
    if (context.heardAt === null) return none;
    const due = context.heardAt + p.hours * HOUR;
    if (now < due) return none;
    return [raise(due, { lastHeardAt: iso(context.heardAt), silentHours: String(p.hours) })];
  },
  onHeard(p, _state, heardAt, context) {
    // Readings that are themselves older than the silence (a meter's buffer, a clock running behind) do
    // not end it: the engine's clock would raise it again at once. Pass `receivedAt` to count arrival.
    if (context.clock !== null && heardAt + p.hours * HOUR <= context.clock) return none;
    return [clear(heardAt, { heardAt: iso(heardAt) })];
  },
};
