import type { Reading } from '@shuiyun/sdk';
import { describe, expect, it } from 'vitest';
import type { AlarmSignal } from '../alarm-signal.js';
import { RuleConfigError, type RuleConfigInput } from '../rule-config.js';
import { RulesEngine } from '../rules-engine.js';

const HOUR = 3_600_000;
const device = { deviceKey: 'M-0001', tenantPath: '1.1' };
/** 2026-03-01 00:00 in Asia/Shanghai. */
const start = Date.UTC(2026, 1, 28, 16);

/** Hourly register readings; `litres(localHour, day)` is the use in the hour ending at each reading. */
function hourlyRegister(days: number, litres: (localHour: number, day: number) => number, opts: { skip?: (hour: number) => boolean; from?: number } = {}): Reading[] {
  const readings: Reading[] = [];
  let register = 1_000_000n; // thousandths of a litre
  for (let h = 1; h <= days * 24; h++) {
    const hourStart = (opts.from ?? start) + (h - 1) * HOUR;
    const localHour = new Date(hourStart + 8 * HOUR).getUTCHours();
    register += BigInt(Math.round(litres(localHour, Math.floor((h - 1) / 24)) * 1000));
    if (opts.skip?.(h)) continue;
    readings.push({ device: device.deviceKey, metric: 'cumulative_volume', at: new Date(hourStart + HOUR), milli: register });
  }
  return readings;
}

/** A family that sleeps: nothing between 00:00 and 06:00, plenty by day. */
const household = (localHour: number) => (localHour < 6 ? 0 : localHour === 7 || localHour === 19 ? 60 : 15);
/** The same family with a running cistern of 12 L/h. */
const leaking = (localHour: number) => household(localHour) + 12;

function run(rules: RuleConfigInput[], readings: Reading[]): AlarmSignal[] {
  const engine = new RulesEngine(rules);
  return readings.flatMap((reading) => engine.onReadings(device, [reading]));
}

const localTime = (ms: number) => new Date(ms + 8 * HOUR).toISOString().slice(0, 16);

describe('continuous_flow rule', () => {
  it('raises once after three nights with flow through 02:00–05:00, with the lowest night flow as the leak estimate', () => {
    const signals = run([{ id: 'leak', kind: 'continuous_flow' }], hourlyRegister(6, leaking));
    expect(signals).toHaveLength(1);
    const [raised] = signals;
    expect(raised!.transition).toBe('raise');
    expect(localTime(raised!.raisedAt.getTime())).toBe('2026-03-03T05:00'); // end of the third night window
    expect(raised!.detail).toMatchObject({
      mode: 'night',
      window: '02:00–05:00 Asia/Shanghai',
      nights: '3',
      minFlowLitresPerHour: '12',
      estimatedLossLitresPerDay: '288',
    });
    expect(localTime(Date.parse(raised!.detail.since!))).toBe('2026-03-01T02:00');
  });

  it('never raises for a household with heavy daytime use and quiet nights', () => {
    expect(run([{ id: 'leak', kind: 'continuous_flow' }], hourlyRegister(14, (h) => household(h) * 3))).toEqual([]);
  });

  it('clears at the first quiet hour of a night once the leak is repaired', () => {
    const repairedOnDay = 4;
    const signals = run([{ id: 'leak', kind: 'continuous_flow' }], hourlyRegister(7, (h, day) => (day < repairedOnDay ? leaking(h) : household(h))));
    expect(signals.map((s) => s.transition)).toEqual(['raise', 'clear']);
    const cleared = signals[1]!;
    expect(cleared.transition === 'clear' && localTime(cleared.clearedAt.getTime())).toBe('2026-03-05T03:00'); // the first quiet hour inside that night's window, 02:00–03:00
    expect(cleared.detail.flowLitresPerHour).toBe('0');
  });

  it('lets one quiet hour in a night break the run of nights', () => {
    // Leak that pauses 03:00–04:00 on the second night (a cistern refilling and sealing for a while).
    const signals = run([{ id: 'leak', kind: 'continuous_flow' }], hourlyRegister(5, (h, day) => (day === 1 && h === 3 ? 0 : leaking(h))));
    expect(signals.map((s) => [s.transition, localTime((s.transition === 'raise' ? s.raisedAt : s.clearedAt).getTime())])).toEqual([
      ['raise', '2026-03-05T05:00'], // nights 3, 4 and 5
    ]);
  });

  it('still judges a night with one lost reading, and a night with no readings neither counts nor breaks the run', () => {
    const lostInNight = (h: number) => h === 24 + 4; // the 04:00 reading of the second night
    const signals = run([{ id: 'leak', kind: 'continuous_flow' }], hourlyRegister(6, leaking, { skip: lostInNight }));
    expect(localTime(signals[0]!.raisedAt.getTime())).toBe('2026-03-03T05:00');

    const thirdNightDark = (h: number) => h > 48 && h <= 60; // no readings from 01:00 to 12:00 on the third day
    const dark = run([{ id: 'leak', kind: 'continuous_flow' }], hourlyRegister(6, leaking, { skip: thirdNightDark }));
    expect(dark.map((s) => [s.transition, s.detail.nights, localTime(s.raisedAt.getTime())])).toEqual([['raise', '3', '2026-03-04T05:00']]);
  });

  it('in rolling mode, raises after 24 hours without a quiet hour and clears at the next quiet hour', () => {
    const rules: RuleConfigInput[] = [{ id: 'leak-24h', kind: 'continuous_flow', params: { window: { mode: 'rolling', hours: 24 } } }];
    const signals = run(rules, hourlyRegister(3, (h, day) => (day === 2 && h === 4 ? 1 : leaking(h))));
    expect(signals.map((s) => [s.transition, localTime((s.transition === 'raise' ? s.raisedAt : s.clearedAt).getTime())])).toEqual([
      ['raise', '2026-03-02T01:00'], // 24 hours after the first span (the register's first reading is at 01:00)
      ['clear', '2026-03-03T05:00'], // the hour 04:00–05:00 used 1 L
    ]);
    expect(signals[0]!.detail).toMatchObject({ mode: 'rolling', hours: '24', minFlowLitresPerHour: '12' });
  });

  it('judges nights in the configured time zone', () => {
    // Flow only from 18:00 to 21:00 UTC: night in Shanghai (02:00–05:00), early evening in London.
    const eveningUtc = (localHour: number) => (localHour >= 2 && localHour < 5 ? 20 : 0);
    const readings = hourlyRegister(5, eveningUtc);
    expect(run([{ id: 'shanghai', kind: 'continuous_flow' }], readings).map((s) => s.transition)).toEqual(['raise']);
    expect(run([{ id: 'london', kind: 'continuous_flow', params: { timeZone: 'Europe/London' } }], readings)).toEqual([]);
  });

  it('combines quarter-hourly readings into hour spans, so register steps of a whole litre do not look quiet', () => {
    // 12 L/h read every 15 minutes is 3 L per reading; a quarter hour with 0 L at night would fool a per-reading check.
    const readings: Reading[] = [];
    let register = 0n;
    for (let q = 1; q <= 4 * 24 * 5; q++) {
      register += q % 4 === 0 ? 0n : 4_000n; // 12 L each hour, in three steps of 4 L and one empty quarter
      readings.push({ device: device.deviceKey, metric: 'cumulative_volume', at: new Date(start + q * 15 * 60_000), milli: register });
    }
    expect(run([{ id: 'leak', kind: 'continuous_flow' }], readings).map((s) => [s.transition, s.detail.minFlowLitresPerHour])).toEqual([['raise', '12']]);
  });

  it('refuses an empty night window and an unknown time zone', () => {
    expect(() => new RulesEngine([{ id: 'x', kind: 'continuous_flow', params: { window: { mode: 'night', from: '03:00', to: '03:00' } } }])).toThrow(RuleConfigError);
    expect(() => new RulesEngine([{ id: 'x', kind: 'continuous_flow', params: { timeZone: 'Mars/Olympus' } }])).toThrow(/timeZone/);
    expect(() => new RulesEngine([{ id: 'x', kind: 'continuous_flow', params: { window: { mode: 'night', from: '25:00' } } }])).toThrow(RuleConfigError);
  });

  it('judges a night window that spans midnight', () => {
    const signals = run([{ id: 'late', kind: 'continuous_flow', params: { window: { mode: 'night', from: '23:00', to: '04:00', nights: 2 } } }], hourlyRegister(4, leaking));
    // The household is awake 23:00–24:00 (15 L) on top of the leak; the nights ending 03-02 and 03-03 both flow.
    expect(signals.map((s) => [s.transition, localTime(s.raisedAt.getTime()), s.detail.window])).toEqual([['raise', '2026-03-03T04:00', '23:00–04:00 Asia/Shanghai']]);
  });
});
