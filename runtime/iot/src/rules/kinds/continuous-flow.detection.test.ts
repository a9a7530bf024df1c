import type { Reading } from '@shuiyun/sdk';
import { createFleet, meterReports, type SimulatedMeter } from '@shuiyun/seed-meter-simulator';
import { describe, expect, it } from 'vitest';
import type { AlarmRaise } from '../alarm-signal.js';
import type { RuleConfigInput } from '../rule-config.js';
import { RulesEngine } from '../rules-engine.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const from = new Date('2026-03-01T00:00:00Z');
const to = new Date('2026-03-15T00:00:00Z');

/** When a labelled leak first flows at `litresPerHour` or more (a growing leak gets there during its ramp). */
function reachesRate(meter: SimulatedMeter, litresPerHour: number): number | null {
  const leak = meter.leak;
  if (!leak || leak.litresPerHour < litresPerHour) return null;
  const start = leak.startsAt.getTime();
  return leak.kind === 'burst' ? start : start + (leak.rampHours * HOUR * litresPerHour) / leak.litresPerHour;
}

interface Score {
  rule: string;
  /** Leaks that reach ≥ 10 L/h at least 3 days before the period ends, and how many of them were raised. */
  qualifying: number;
  found: number;
  recall: number;
  allLeaks: number;
  allFound: number;
  /** Raise signals on a leaking meter after its leak began, and all others (no leak, or before it began). */
  trueRaises: number;
  falseRaises: number;
  precision: number;
  medianDelayHours: number;
}

function score(rule: string, fleet: SimulatedMeter[], raises: AlarmRaise[]): Score {
  const meters = new Map(fleet.map((m) => [m.address, m]));
  const firstRaise = new Map<string, number>();
  let trueRaises = 0;
  let falseRaises = 0;
  for (const signal of raises) {
    if (signal.ruleId !== rule) continue;
    const meter = meters.get(signal.deviceKey)!;
    const at = signal.raisedAt.getTime();
    if (!meter.leak || at < meter.leak.startsAt.getTime()) {
      falseRaises += 1;
    } else {
      trueRaises += 1;
      if (!firstRaise.has(meter.address)) firstRaise.set(meter.address, at);
    }
  }
  // The label a detector is held to: flows at ≥ 10 L/h for at least 3 days inside the simulated period.
  const qualifying = fleet.filter((m) => {
    const t = reachesRate(m, 10);
    return t !== null && to.getTime() - t >= 3 * DAY;
  });
  const found = qualifying.filter((m) => firstRaise.has(m.address));
  const delays = found.map((m) => (firstRaise.get(m.address)! - m.leak!.startsAt.getTime()) / HOUR).sort((a, b) => a - b);
  const leaking = fleet.filter((m) => m.leak);
  return {
    rule,
    qualifying: qualifying.length,
    found: found.length,
    recall: found.length / qualifying.length,
    allLeaks: leaking.length,
    allFound: leaking.filter((m) => firstRaise.has(m.address)).length,
    trueRaises,
    falseRaises,
    precision: trueRaises / Math.max(1, trueRaises + falseRaises),
    medianDelayHours: delays[Math.floor(delays.length / 2)] ?? NaN,
  };
}

/** Replays a fleet the way NB-IoT meters upload: a day's hourly readings per batch, newest first. */
function replay(engine: RulesEngine, fleet: SimulatedMeter[], seed: number): AlarmRaise[] {
  const raises: AlarmRaise[] = [];
  for (const meter of fleet) {
    const device = { deviceKey: meter.address, tenantPath: '1.1' };
    let batch: Reading[] = [];
    const send = () => {
      for (const signal of engine.onReadings(device, batch.reverse())) if (signal.transition === 'raise') raises.push(signal);
      batch = [];
    };
    for (const report of meterReports(meter, seed, { from, to, intervalMinutes: 60 })) {
      if (report.corrupt) continue; // the codec rejects a corrupt frame before rules see it
      batch.push({ device: meter.address, metric: 'cumulative_volume', at: report.at, milli: BigInt(report.cumulativeLitres) * 1000n });
      if (batch.length === 24) send();
    }
    send();
  }
  return raises;
}

describe('continuous_flow against the simulated fleet (labelled leaks)', () => {
  it.each([2026, 7])('finds leaks of 10 L/h or more that last 3 days with recall ≥ 0.8 and precision ≥ 0.8 on its defaults (fleet seed %i)', (seed) => {
    const fleet = createFleet({ seed, count: 1000, from, to, leakShare: 0.05 });
    const variants: RuleConfigInput[] = [
      { id: 'default', kind: 'continuous_flow' },
      { id: 'nights-2', kind: 'continuous_flow', params: { window: { mode: 'night', nights: 2 } } },
      { id: 'quiet-2', kind: 'continuous_flow', params: { quietBelowLitresPerHour: '2' } },
      { id: 'quiet-8', kind: 'continuous_flow', params: { quietBelowLitresPerHour: '8' } },
      { id: 'rolling-24h', kind: 'continuous_flow', params: { window: { mode: 'rolling', hours: 24 } } },
      { id: 'rolling-24h-quiet-2', kind: 'continuous_flow', params: { window: { mode: 'rolling', hours: 24 }, quietBelowLitresPerHour: '2' } },
    ];
    const engine = new RulesEngine(variants);
    const raises = replay(engine, fleet, seed);
    const scores = variants.map((v) => score(v.id, fleet, raises));
    console.log(
      [
        `continuous_flow on ${fleet.length} simulated meters, 14 days hourly, 5 % leaking, seed ${seed}; recall over leaks at ≥ 10 L/h for ≥ 3 days`,
        ...scores.map(
          (s) =>
            `  ${s.rule.padEnd(20)} recall ${s.found}/${s.qualifying} = ${s.recall.toFixed(2)}  (any leak ${s.allFound}/${s.allLeaks})  ` +
            `precision ${s.trueRaises}/${s.trueRaises + s.falseRaises} raises = ${s.precision.toFixed(2)}  median delay from leak start ${s.medianDelayHours.toFixed(0)} h`,
        ),
      ].join('\n'),
    );
    const defaults = scores[0]!;
    expect(defaults.qualifying).toBeGreaterThanOrEqual(20); // enough labelled leaks for the figures to mean something
    expect(defaults.recall).toBeGreaterThanOrEqual(0.8);
    expect(defaults.precision).toBeGreaterThanOrEqual(0.8);
    expect(engine.stats.stale).toBe(0);
  });
});
