import { describe, expect, it } from 'vitest';
import { RulesEngine } from '../rules-engine.js';

const device = { deviceKey: '10000000000123', tenantPath: '1.1' };
const t0 = Date.UTC(2026, 2, 1);
const flag = (minute: number, metric: string, on: 0 | 1) => ({ device: device.deviceKey, metric, at: new Date(t0 + minute * 60_000), milli: BigInt(on) * 1000n });

describe('tamper rule', () => {
  it('raises once while any tamper flag is set and clears when every flag is back to zero', () => {
    const engine = new RulesEngine([{ id: 'tamper', kind: 'tamper' }]);
    const readings = [flag(0, 'tamper', 0), flag(1, 'magnetic_tamper', 1), flag(2, 'tamper', 1), flag(3, 'magnetic_tamper', 0), flag(4, 'tamper', 0)];
    const signals = readings.flatMap((r) => engine.onReadings(device, [r]));
    expect(signals.map((s) => [s.transition, s.detail.flagged, (s.transition === 'clear' ? s.clearedAt : s.raisedAt).getTime() - t0])).toEqual([
      ['raise', 'magnetic_tamper', 60_000],
      ['clear', '', 4 * 60_000],
    ]);
  });

  it('reads the tamper metrics the product names', () => {
    const engine = new RulesEngine([{ id: 'case', kind: 'tamper', params: { metrics: ['case_open'] } }]);
    expect(engine.onReadings(device, [flag(0, 'tamper', 1)])).toEqual([]);
    expect(engine.onReadings(device, [flag(1, 'case_open', 1)]).map((s) => s.transition)).toEqual(['raise']);
  });
});
