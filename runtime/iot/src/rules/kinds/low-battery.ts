import { z } from 'zod';
import { decimalQuantity, formatMilli } from '../exact-decimal.js';
import { clear, none, raise, type RuleKindDefinition } from '../rule-kind.js';

export const lowBatteryParams = z
  .object({
    /**
     * `battery_voltage` below this raises. Meter cells are mostly 3.6 V lithium thionyl chloride, whose
     * voltage stays flat for years and sags near the end, so the default sits just under the plateau.
     */
    raiseBelowVolts: decimalQuantity.prefault('3.3'),
    /** Voltage at or above which it clears: a cell reads higher when warm, so clear with a margin. */
    clearAtVolts: decimalQuantity.prefault('3.4'),
  })
  .refine((p) => p.clearAtVolts >= p.raiseBelowVolts, { message: 'clearAtVolts must be ≥ raiseBelowVolts', path: ['clearAtVolts'] });
export type LowBatteryParams = z.output<typeof lowBatteryParams>;

const lowBatteryState = z.object({ flagLow: z.boolean(), voltageLow: z.boolean() });

/**
 * The meter says its battery is low (`battery_low` = 1, the CJ/T 188 status bit), or its `battery_voltage`
 * is below a bound. Either source raises; the alarm clears when neither says low any more.
 */
export const lowBatteryRule: RuleKindDefinition<LowBatteryParams, z.output<typeof lowBatteryState>> = {
  kind: 'low_battery',
  defaultSeverity: 'warning',
  metrics: () => ['battery_low', 'battery_voltage'],
  initialState: () => ({ flagLow: false, voltageLow: false }),
  state: lowBatteryState,
  onReading(p, state, reading) {
    if (reading.metric === 'battery_low') {
      state.flagLow = reading.milli !== 0n;
    } else if (reading.milli < p.raiseBelowVolts) {
      state.voltageLow = true;
    } else if (reading.milli >= p.clearAtVolts) {
      state.voltageLow = false;
    } else {
      return none; // inside the hysteresis band: the alarm stays as it is
    }
    const detail = { metric: reading.metric, value: formatMilli(reading.milli) };
    return [state.flagLow || state.voltageLow ? raise(reading.at, detail) : clear(reading.at, detail)];
  },
};
