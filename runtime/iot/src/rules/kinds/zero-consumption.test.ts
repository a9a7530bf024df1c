import { describe, expect, it } from 'vitest';
import { RulesEngine } from '../rules-engine.js';

const DAY = 86_400_000;
const device = { deviceKey: '10000000000077', tenantPath: '1.1' };
const t0 = Date.UTC(2026, 2, 1);
const daily = (day: number, litres: number) => ({ device: device.deviceKey, metric: 'cumulative_volume', at: new Date(t0 + day * DAY), milli: BigInt(litres) * 1000n });

describe('zero_consumption rule', () => {
  it('raises once when a reporting meter has not moved for seven days, and clears when it moves again', () => {
    const engine = new RulesEngine([{ id: 'stopped', kind: 'zero_consumption' }]);
    const readings = [daily(0, 5000), daily(1, 5200), ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((d) => daily(d, 5200)), daily(11, 5350)];
    const signals = readings.flatMap((r) => engine.onReadings(device, [r]));
    expect(signals.map((s) => [s.transition, (s.transition === 'clear' ? s.clearedAt : s.raisedAt).getTime() - t0])).toEqual([
      ['raise', 8 * DAY], // standing since day 1
      ['clear', 11 * DAY],
    ]);
    expect(signals[0]!.detail).toEqual({ standingSince: new Date(t0 + DAY).toISOString(), registerLitres: '5200', days: '7' });
    expect(signals[1]!.detail.usedLitres).toBe('150');
  });

  it('tolerates the configured litres of creep', () => {
    const engine = new RulesEngine([{ id: 'vacant', kind: 'zero_consumption', params: { days: 3, toleranceLitres: '2' } }]);
    const signals = [daily(0, 100), daily(1, 101), daily(2, 102), daily(3, 102)].flatMap((r) => engine.onReadings(device, [r]));
    expect(signals.map((s) => s.transition)).toEqual(['raise']);
  });

  it('does not decide on silence: a meter that stops reporting is not a stopped meter', () => {
    const engine = new RulesEngine([{ id: 'stopped', kind: 'zero_consumption' }]);
    engine.onReadings(device, [daily(0, 100)]);
    expect(engine.tick(new Date(t0 + 30 * DAY))).toEqual([]);
  });
});
