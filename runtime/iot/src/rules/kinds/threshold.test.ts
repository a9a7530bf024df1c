import { describe, expect, it } from 'vitest';
import { parseMilli } from '../exact-decimal.js';
import { RuleConfigError } from '../rule-config.js';
import { RulesEngine } from '../rules-engine.js';

const device = { deviceKey: 'P-01', tenantPath: '1.1' };
const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 0, minute));
const pressure = (minute: number, kPa: string) => ({ device: device.deviceKey, metric: 'pressure', at: at(minute), milli: parseMilli(kPa)! });

function feed(engine: RulesEngine, values: string[]) {
  return values.flatMap((value, minute) => engine.onReadings(device, [pressure(minute, value)]));
}

describe('threshold rule', () => {
  it('raises once when pressure reaches the bound and clears once when it is back below the clear bound', () => {
    const engine = new RulesEngine([{ id: 'high-pressure', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '600', clearAt: '550' } }]);
    const signals = feed(engine, ['500', '600', '640', '610', '520', '530']);
    expect(signals.map((s) => [s.transition, s.detail.value])).toEqual([
      ['raise', '600'],
      ['clear', '520'],
    ]);
    const [raised, cleared] = signals;
    expect(raised).toMatchObject({ kind: 'threshold', severity: 'warning', deviceKey: 'P-01', tenantPath: '1.1', dedupKey: 'threshold:P-01:high-pressure', raisedAt: at(1) });
    expect(cleared).toMatchObject({ dedupKey: raised!.dedupKey, raisedAt: at(1), clearedAt: at(4) });
  });

  it('does not flap while the value wobbles inside the hysteresis band', () => {
    const engine = new RulesEngine([{ id: 'high-pressure', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '600', clearAt: '550' } }]);
    const signals = feed(engine, ['605', '598', '603', '560', '601', '555', '599']);
    expect(signals.map((s) => s.transition)).toEqual(['raise']);
  });

  it('without a clear bound, a value wobbling across the bound raises and clears on every crossing', () => {
    const engine = new RulesEngine([{ id: 'no-band', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '600' } }]);
    expect(feed(engine, ['605', '598', '603']).map((s) => s.transition)).toEqual(['raise', 'clear', 'raise']);
  });

  it('watches a lower bound with the band above it', () => {
    const engine = new RulesEngine([
      { id: 'low-pressure', kind: 'threshold', severity: 'critical', params: { metric: 'pressure', direction: 'below', raiseAt: '150', clearAt: '200.5' } },
    ]);
    const signals = feed(engine, ['300', '149.999', '180', '200.5', '200.501']);
    expect(signals.map((s) => [s.transition, s.detail.value, s.severity])).toEqual([
      ['raise', '149.999', 'critical'],
      ['clear', '200.501', 'critical'],
    ]);
  });

  it('waits for the configured number of consecutive readings past the bound before raising', () => {
    const engine = new RulesEngine([{ id: 'debounced', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: 600, clearAt: 550, readings: 3 } }]);
    const signals = feed(engine, ['700', '580', '700', '700', '700']);
    expect(signals.map((s) => [s.transition, s.raisedAt])).toEqual([['raise', at(4)]]);
  });

  it('ignores other metrics of the same device', () => {
    const engine = new RulesEngine([{ id: 'high-pressure', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '600' } }]);
    expect(engine.onReadings(device, [{ device: device.deviceKey, metric: 'temperature', at: at(0), milli: 900_000n }])).toEqual([]);
  });

  it('refuses a clear bound on the wrong side of the raise bound, and a float-only quantity', () => {
    expect(() => new RulesEngine([{ id: 't', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '600', clearAt: '650' } }])).toThrow(/0\.params\.clearAt/);
    expect(() => new RulesEngine([{ id: 't', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '0.0001' } }])).toThrow(RuleConfigError);
    expect(() => new RulesEngine([{ id: 't', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: 1e21 } }])).toThrow(RuleConfigError);
  });
});
