import { z } from 'zod';
import { clear, raise, type RuleKindDefinition } from '../rule-kind.js';

/** `valve_state` in thousandths: 0 open, 1 closed, 3 fault (CJ/T 188 status bits 0–1 = 11). */
const VALVE_FAULT = 3_000n;
const valveStateNames: Record<string, string> = { '0': 'open', '1000': 'closed', '3000': 'fault' };

export const valveFaultParams = z.object({});
export type ValveFaultParams = z.output<typeof valveFaultParams>;

const valveFaultState = z.object({});

/**
 * The valve of a prepaid or remote-controlled meter reports a fault: it may be stuck open (water flows
 * that is not paid for) or stuck closed (a household without water), so the default is critical.
 * Cleared by the next report of an open or closed valve.
 */
export const valveFaultRule: RuleKindDefinition<ValveFaultParams, z.output<typeof valveFaultState>> = {
  kind: 'valve_fault',
  defaultSeverity: 'critical',
  metrics: () => ['valve_state'],
  initialState: () => ({}),
  state: valveFaultState,
  onReading(_p, _state, reading) {
    const detail = { valveState: valveStateNames[reading.milli.toString()] ?? `unknown (${reading.milli / 1000n})` };
    return [reading.milli === VALVE_FAULT ? raise(reading.at, detail) : clear(reading.at, detail)];
  },
};
