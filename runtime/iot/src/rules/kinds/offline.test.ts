import { describe, expect, it } from 'vitest';
import { RulesEngine } from '../rules-engine.js';

const HOUR = 3_600_000;
const device = { deviceKey: 'NB-860000000000001', tenantPath: '1.2' };
const t0 = Date.UTC(2026, 2, 1);
const reading = (hour: number) => ({ device: device.deviceKey, metric: 'cumulative_volume', at: new Date(t0 + hour * HOUR), milli: BigInt(hour) * 1000n });

describe('offline rule', () => {
  it('raises on the clock tick once the device has been silent for the configured hours, dated when the silence reached them', () => {
    const engine = new RulesEngine([{ id: 'silent-2d', kind: 'offline' }]);
    engine.onReadings(device, [reading(0)]);
    expect(engine.tick(new Date(t0 + 47 * HOUR))).toEqual([]);
    const raised = engine.tick(new Date(t0 + 50 * HOUR));
    expect(raised).toEqual([
      expect.objectContaining({ transition: 'raise', kind: 'offline', dedupKey: `offline:${device.deviceKey}:silent-2d`, raisedAt: new Date(t0 + 48 * HOUR) }),
    ]);
    expect(raised[0]!.detail).toEqual({ lastHeardAt: new Date(t0).toISOString(), silentHours: '48' });
    expect(engine.tick(new Date(t0 + 60 * HOUR))).toEqual([]); // still silent: no second raise
  });

  it('clears when the device reports again', () => {
    const engine = new RulesEngine([{ id: 'silent', kind: 'offline', params: { hours: 6 } }]);
    engine.onReadings(device, [reading(0)]);
    engine.tick(new Date(t0 + 7 * HOUR));
    const received = new Date(t0 + 9 * HOUR);
    expect(engine.onReadings(device, [reading(9)], received)).toEqual([
      expect.objectContaining({ transition: 'clear', raisedAt: new Date(t0 + 6 * HOUR), clearedAt: received }),
    ]);
    expect(engine.tick(new Date(t0 + 10 * HOUR))).toEqual([]);
  });

  it('counts the receive time as hearing from the device, so a meter whose clock lags is not offline', () => {
    const engine = new RulesEngine([{ id: 'silent', kind: 'offline', params: { hours: 6 } }]);
    // Meter clock three days behind, but it reports every hour.
    for (let hour = 0; hour < 12; hour++) engine.onReadings(device, [reading(hour - 72)], new Date(t0 + hour * HOUR));
    expect(engine.tick(new Date(t0 + 12 * HOUR))).toEqual([]);
  });

  it('does not clear on buffered readings that are themselves older than the silence', () => {
    const engine = new RulesEngine([{ id: 'silent', kind: 'offline', params: { hours: 6 } }]);
    engine.onReadings(device, [reading(0)]);
    engine.tick(new Date(t0 + 20 * HOUR));
    // Without a receive time, readings stamped hour 1–3 say nothing about now (hour 20).
    expect(engine.onReadings(device, [reading(1), reading(2), reading(3)])).toEqual([]);
    expect(engine.onReadings(device, [reading(19)]).map((s) => s.transition)).toEqual(['clear']);
  });

  it('knows nothing of a device that never reported', () => {
    const engine = new RulesEngine([{ id: 'silent', kind: 'offline' }]);
    expect(engine.tick(new Date(t0 + 1000 * HOUR))).toEqual([]);
  });
});
