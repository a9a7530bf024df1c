import { describe, expect, it } from 'vitest';
import { parseMilli } from '../exact-decimal.js';
import { RulesEngine } from '../rules-engine.js';

const HOUR = 3_600_000;
const device = { deviceKey: '10000000000042', tenantPath: '1.1' };
const t0 = Date.UTC(2026, 2, 1);
const register = (hour: number, litres: string, metric = 'cumulative_volume') => ({
  device: device.deviceKey,
  metric,
  at: new Date(t0 + hour * HOUR),
  milli: parseMilli(litres)!,
});

function feed(engine: RulesEngine, readings: ReturnType<typeof register>[]) {
  return readings.flatMap((r) => engine.onReadings(device, [r]));
}

describe('reverse_flow rule', () => {
  it('raises when the register runs back by more than the tolerance, and not for a one-litre wobble', () => {
    const engine = new RulesEngine([{ id: 'backflow', kind: 'reverse_flow' }]);
    const signals = feed(engine, [register(0, '1000'), register(1, '1005'), register(2, '1004'), register(3, '1006'), register(4, '1001')]);
    expect(signals).toEqual([expect.objectContaining({ transition: 'raise', raisedAt: new Date(t0 + 4 * HOUR) })]);
    expect(signals[0]!.detail).toEqual({ metric: 'cumulative_volume', reverseLitres: '5', registerLitres: '1001' });
  });

  it('adds up a slow creep backwards that stays under the tolerance at each reading', () => {
    const engine = new RulesEngine([{ id: 'backflow', kind: 'reverse_flow', params: { toleranceLitres: '1' } }]);
    const creep = ['100', '99.4', '98.8', '98.2'].map((litres, hour) => register(hour, litres));
    // 0.6 L back per reading: the second step takes it 1.2 L below the mark.
    expect(feed(engine, creep).map((s) => [s.transition, s.detail.reverseLitres, s.detail.registerLitres])).toEqual([['raise', '1.2', '98.8']]);
  });

  it("raises when the meter's own reverse register advances", () => {
    const engine = new RulesEngine([{ id: 'backflow', kind: 'reverse_flow' }]);
    const signals = feed(engine, [register(0, '12', 'reverse_volume'), register(1, '12', 'reverse_volume'), register(2, '15', 'reverse_volume')]);
    expect(signals.map((s) => [s.transition, s.detail.metric, s.detail.reverseLitres])).toEqual([['raise', 'reverse_volume', '3']]);
  });

  it('clears once readings have shown no reverse movement for the clear period', () => {
    const engine = new RulesEngine([{ id: 'backflow', kind: 'reverse_flow', params: { clearAfterHours: 24 } }]);
    const signals = feed(engine, [register(0, '500'), register(1, '490'), register(2, '480'), register(12, '495'), register(25, '510'), register(26, '520')]);
    expect(signals.map((s) => [s.transition, (s.transition === 'clear' ? s.clearedAt : s.raisedAt).getTime() - t0])).toEqual([
      ['raise', 1 * HOUR],
      ['clear', 26 * HOUR], // 24 h after the last reverse movement (hour 2)
    ]);
  });
});
