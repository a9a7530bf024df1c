import { describe, expect, it } from 'vitest';
import { RulesEngine } from '../rules-engine.js';

const device = { deviceKey: '10000000000099', tenantPath: '1.1' };
const t0 = Date.UTC(2026, 2, 1);
const valve = (minute: number, state: 0 | 1 | 3) => ({ device: device.deviceKey, metric: 'valve_state', at: new Date(t0 + minute * 60_000), milli: BigInt(state) * 1000n });

describe('valve_fault rule', () => {
  it('raises a critical alarm when the valve reports a fault and clears on the next open or closed report', () => {
    const engine = new RulesEngine([{ id: 'valve', kind: 'valve_fault' }]);
    const signals = [valve(0, 0), valve(1, 3), valve(2, 3), valve(3, 1)].flatMap((r) => engine.onReadings(device, [r]));
    expect(signals.map((s) => [s.transition, s.severity, s.detail.valveState])).toEqual([
      ['raise', 'critical', 'fault'],
      ['clear', 'critical', 'closed'],
    ]);
  });
});
