import type { Reading } from '@shuiyun/sdk';
import { describe, expect, it } from 'vitest';
import type { DeviceIdentity } from '../devices.js';
import type { AlarmSignal } from './alarm-signal.js';
import { RuleConfigError, type RuleConfigInput } from './rule-config.js';
import { RulesEngine, RulesSnapshotError } from './rules-engine.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const device = { deviceKey: '10000000000001', tenantPath: '1.2.7' };
/** 2026-03-01 00:00 in Asia/Shanghai. */
const start = Date.UTC(2026, 1, 28, 16);

/** Hourly register of a household with a 12 L/h leak on top of daytime use (quiet nights otherwise). */
function leakingMeter(hours: number, leakLitresPerHour = 12): Reading[] {
  const readings: Reading[] = [];
  let register = 5_000_000n;
  for (let h = 1; h <= hours; h++) {
    const localHour = new Date(start + (h - 1) * HOUR + 8 * HOUR).getUTCHours();
    const household = localHour < 6 ? 0 : 20;
    register += BigInt((household + leakLitresPerHour) * 1000);
    readings.push({ device: device.deviceKey, metric: 'cumulative_volume', at: new Date(start + h * HOUR), milli: register });
  }
  return readings;
}

const days = (readings: Reading[]) => Array.from({ length: Math.ceil(readings.length / 24) }, (_, d) => readings.slice(d * 24, d * 24 + 24));
const transitions = (signals: AlarmSignal[]) => signals.map((s) => `${s.transition} ${s.kind}`);

const leakRules: RuleConfigInput[] = [
  { id: 'leak', kind: 'continuous_flow' },
  { id: 'backflow', kind: 'reverse_flow' },
  { id: 'stopped', kind: 'zero_consumption', params: { days: 1 } },
];

describe('RulesEngine', () => {
  it('ignores a redelivered batch: no second raise, no doubled consumption', () => {
    const engine = new RulesEngine(leakRules);
    const signals: AlarmSignal[] = [];
    for (const day of days(leakingMeter(24 * 5))) {
      signals.push(...engine.onReadings(device, day));
      signals.push(...engine.onReadings(device, day)); // the platform retried the push
    }
    expect(transitions(signals)).toEqual(['raise continuous_flow']);
    expect(signals[0]!.detail.minFlowLitresPerHour).toBe('12'); // not 0 (a repeated reading as a quiet hour) nor 24
    expect(engine.stats).toMatchObject({ accepted: 120, stale: 120 });
  });

  it('sorts a batch uploaded newest first, and ignores readings older than what it already took', () => {
    const engine = new RulesEngine(leakRules);
    const readings = leakingMeter(24 * 5);
    const signals = days(readings).flatMap((day) => engine.onReadings(device, [...day].reverse()));
    expect(transitions(signals)).toEqual(['raise continuous_flow']);
    // A concentrator re-sends an old reading after newer ones: no reverse flow, no quiet hour, no clear.
    const late = engine.onReadings(device, [readings[30]!, { ...readings[31]!, milli: readings[31]!.milli - 50_000n }]);
    expect(late).toEqual([]);
    expect(engine.stats.stale).toBe(2);
    expect(engine.activeAlarms().map((a) => a.kind)).toEqual(['continuous_flow']);
  });

  it('keeps one condition to one raise and one clear per rule, each rule with its own dedup key', () => {
    const engine = new RulesEngine([
      { id: 'high', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '600' } },
      { id: 'very-high', kind: 'threshold', severity: 'critical', params: { metric: 'pressure', direction: 'above', raiseAt: '800' } },
    ]);
    const p = (minute: number, kPa: number) => ({ device: device.deviceKey, metric: 'pressure', at: new Date(start + minute * 60_000), milli: BigInt(kPa) * 1000n });
    const signals = [p(0, 650), p(1, 850), p(2, 900), p(3, 700), p(4, 500)].flatMap((r) => engine.onReadings(device, [r]));
    expect(signals.map((s) => `${s.transition} ${s.dedupKey} ${s.severity}`)).toEqual([
      `raise threshold:${device.deviceKey}:high warning`,
      `raise threshold:${device.deviceKey}:very-high critical`,
      `clear threshold:${device.deviceKey}:very-high critical`,
      `clear threshold:${device.deviceKey}:high warning`,
    ]);
  });

  it('refuses readings of another device and readings stamped far beyond their receive time', () => {
    const engine = new RulesEngine([{ id: 'high', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '600' } }]);
    const received = new Date(start);
    const future = { device: device.deviceKey, metric: 'pressure', at: new Date(start + 400 * DAY), milli: 900_000n };
    const foreign = { device: 'someone-else', metric: 'pressure', at: new Date(start), milli: 900_000n };
    expect(engine.onReadings(device, [future, foreign], received)).toEqual([]);
    expect(engine.stats).toMatchObject({ accepted: 0, future: 1, refused: 1 });
    // The bogus future reading did not become the "latest": a true reading is still taken.
    expect(transitions(engine.onReadings(device, [{ ...future, at: received }], received))).toEqual(['raise threshold']);
  });

  it('continues from a snapshot taken mid-condition without raising again, and clears with the original raise time', () => {
    const readings = leakingMeter(24 * 6);
    const before = new RulesEngine(leakRules);
    const raised = days(readings.slice(0, 24 * 4)).flatMap((day) => before.onReadings(device, day));
    expect(transitions(raised)).toEqual(['raise continuous_flow']);

    const persisted = JSON.stringify(before.snapshot()); // bigints as strings: plain JSON
    const after = new RulesEngine(leakRules);
    expect(after.restore(JSON.parse(persisted))).toEqual([]);
    expect(after.activeAlarms()).toEqual(before.activeAlarms());
    expect(days(readings.slice(24 * 4, 24 * 5)).flatMap((day) => after.onReadings(device, day))).toEqual([]); // the leak goes on: no re-raise

    // Repaired: the next night's quiet hour clears the alarm the first engine raised.
    const repaired = leakingMeter(24 * 6, 0).slice(24 * 5);
    const offset = readings[24 * 5 - 1]!.milli - leakingMeter(24 * 6, 0)[24 * 5 - 1]!.milli;
    const cleared = after.onReadings(device, repaired.map((r) => ({ ...r, milli: r.milli + offset })));
    expect(cleared).toEqual([expect.objectContaining({ transition: 'clear', kind: 'continuous_flow', raisedAt: raised[0]!.raisedAt })]);
  });

  it('carries a run of nights across a restart: two nights before, one after, raises on the third', () => {
    const readings = leakingMeter(24 * 4);
    const before = new RulesEngine(leakRules);
    expect(days(readings.slice(0, 48)).flatMap((day) => before.onReadings(device, day))).toEqual([]);
    const after = new RulesEngine(leakRules);
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    const signals = days(readings.slice(48)).flatMap((day) => after.onReadings(device, day));
    expect(signals.map((s) => [s.transition, s.detail.nights])).toEqual([['raise', '3']]);
  });

  it('keeps the offline clock across a restart', () => {
    const before = new RulesEngine([{ id: 'silent', kind: 'offline', params: { hours: 6 } }]);
    before.onReadings(device, leakingMeter(1));
    before.tick(new Date(start + 2 * HOUR));
    const after = new RulesEngine([{ id: 'silent', kind: 'offline', params: { hours: 6 } }]);
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    expect(after.tick(new Date(start + 8 * HOUR))).toEqual([expect.objectContaining({ transition: 'raise', raisedAt: new Date(start + 7 * HOUR) })]);
  });

  it('on restore, clears open alarms of rules that were removed from the configuration', () => {
    const before = new RulesEngine(leakRules);
    days(leakingMeter(24 * 4)).forEach((day) => before.onReadings(device, day));
    const after = new RulesEngine(leakRules.filter((rule) => rule.id !== 'leak'));
    const signals = after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    expect(signals).toEqual([expect.objectContaining({ transition: 'clear', kind: 'continuous_flow', dedupKey: `continuous_flow:${device.deviceKey}:leak` })]);
    expect(signals[0]!.detail).toEqual({ reason: 'rule_removed' });
    expect(after.activeAlarms()).toEqual([]);
  });

  it('refuses a snapshot it did not write', () => {
    const engine = new RulesEngine(leakRules);
    expect(() => engine.restore({ format: 'something-else', devices: [] })).toThrow(RulesSnapshotError);
    const snapshot = JSON.parse(JSON.stringify(new RulesEngine(leakRules).snapshot()));
    snapshot.devices = [{ deviceKey: 'x', tenantPath: '1', productKey: null, heardAt: null, latest: { cumulative_volume: { at: 0, milli: 'twelve' } }, rules: [] }];
    expect(() => engine.restore(snapshot)).toThrow(/latest\.cumulative_volume\.milli/);
  });

  it('applies a rule only to the tenant subtree and product it is scoped to', () => {
    const engine = new RulesEngine([
      { id: 'company-2', kind: 'valve_fault', scope: { tenantPath: '1.2' } },
      { id: 'prepaid', kind: 'valve_fault', scope: { productKey: 'ic-card-dn20' } },
    ]);
    const fault = (deviceKey: string) => [{ device: deviceKey, metric: 'valve_state', at: new Date(start), milli: 3000n }];
    const ids = (subject: { deviceKey: string; tenantPath: string; productKey?: string }) => engine.onReadings(subject, fault(subject.deviceKey)).map((s) => s.ruleId);
    expect(ids({ deviceKey: 'a', tenantPath: '1.2.7' })).toEqual(['company-2']);
    expect(ids({ deviceKey: 'b', tenantPath: '1.22' })).toEqual([]);
    expect(ids({ deviceKey: 'c', tenantPath: '1.3', productKey: 'ic-card-dn20' })).toEqual(['prepaid']);
    expect(ids({ deviceKey: 'd', tenantPath: '1.2', productKey: 'ic-card-dn20' })).toEqual(['company-2', 'prepaid']);
  });

  it('clears the alarms of rules that stop covering a device moved to another tenant', () => {
    const engine = new RulesEngine([{ id: 'company-2', kind: 'valve_fault', scope: { tenantPath: '1.2' } }]);
    engine.onReadings(device, [{ device: device.deviceKey, metric: 'valve_state', at: new Date(start), milli: 3000n }]);
    const moved = engine.onReadings({ ...device, tenantPath: '1.3.1' }, [{ device: device.deviceKey, metric: 'valve_state', at: new Date(start + HOUR), milli: 3000n }]);
    expect(moved).toEqual([expect.objectContaining({ transition: 'clear', tenantPath: '1.3.1', detail: { reason: 'out_of_scope' } })]);
  });

  it("takes the ingestion pipeline's device identity as it is handed to onAccepted", () => {
    const engine = new RulesEngine([{ id: 'valve', kind: 'valve_fault', scope: { tenantPath: '1.2' } }]);
    const identity: DeviceIdentity = { deviceId: 7, deviceKey: device.deviceKey, tenantId: 3, tenantPath: '1.2.7', codec: 'cjt188', codecSettings: {} };
    const signals = engine.onReadings(identity, [{ device: device.deviceKey, metric: 'valve_state', at: new Date(start), milli: 3000n }]);
    expect(signals.map((s) => [s.transition, s.tenantPath])).toEqual([['raise', '1.2.7']]);
  });

  it('refuses an invalid rule set, naming each fault', () => {
    const bad = [
      { id: 'a', kind: 'continuous_flow', params: { quietBelowLitresPerHour: 'lots' } },
      { id: 'a', kind: 'offline' },
      { id: 'b', kind: 'no_such_rule' },
    ] as unknown as RuleConfigInput[];
    let error: unknown;
    try {
      new RulesEngine(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RuleConfigError);
    const { issues, code } = error as RuleConfigError;
    expect(code).toBe('invalid_rule_config');
    expect(issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['0.params.quietBelowLitresPerHour', '2.kind']));
  });
});
