import { describe, expect, it } from 'vitest';
import { parseMilli } from '../exact-decimal.js';
import { RulesEngine } from '../rules-engine.js';

const device = { deviceKey: '10000000000011', tenantPath: '1.1' };
const t0 = Date.UTC(2026, 2, 1);
const at = (hour: number) => new Date(t0 + hour * 3_600_000);
const flag = (hour: number, low: 0 | 1) => ({ device: device.deviceKey, metric: 'battery_low', at: at(hour), milli: BigInt(low) * 1000n });
const volts = (hour: number, v: string) => ({ device: device.deviceKey, metric: 'battery_voltage', at: at(hour), milli: parseMilli(v)! });

function transitions(engine: RulesEngine, readings: ReturnType<typeof flag>[]) {
  return readings.flatMap((r) => engine.onReadings(device, [r])).map((s) => `${s.transition}@${(s.transition === 'clear' ? s.clearedAt : s.raisedAt).getTime() - t0}`);
}

describe('low_battery rule', () => {
  it('raises on the battery-low status flag and clears when the flag drops', () => {
    const engine = new RulesEngine([{ id: 'battery', kind: 'low_battery' }]);
    expect(transitions(engine, [flag(0, 0), flag(1, 1), flag(2, 1), flag(3, 0)])).toEqual([`raise@${3_600_000}`, `clear@${3 * 3_600_000}`]);
  });

  it('raises below 3.3 V and clears only at 3.4 V or more, so a cell warming up does not flap', () => {
    const engine = new RulesEngine([{ id: 'battery', kind: 'low_battery' }]);
    const signals = [volts(0, '3.6'), volts(1, '3.29'), volts(2, '3.35'), volts(3, '3.28'), volts(4, '3.399'), volts(5, '3.4')].flatMap((r) => engine.onReadings(device, [r]));
    expect(signals.map((s) => [s.transition, s.detail.value])).toEqual([
      ['raise', '3.29'],
      ['clear', '3.4'],
    ]);
  });

  it('stays raised while either source still says low', () => {
    const engine = new RulesEngine([{ id: 'battery', kind: 'low_battery' }]);
    const signals = [flag(0, 1), volts(0, '3.1'), flag(1, 0), volts(2, '3.5')].flatMap((r) => engine.onReadings(device, [r]));
    expect(signals.map((s) => [s.transition, s.detail.metric])).toEqual([
      ['raise', 'battery_low'],
      ['clear', 'battery_voltage'],
    ]);
  });
});
