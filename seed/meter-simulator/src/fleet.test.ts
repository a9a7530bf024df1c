import { describe, expect, it } from 'vitest';
import { createFleet, leakLitresBetween, meterReports } from './fleet.js';
import { hourlyShare } from './demand.js';

const from = new Date('2026-03-01T00:00:00Z');
const to = new Date('2026-03-15T00:00:00Z');

describe('simulated meter fleet', () => {
  it('is the same for the same seed and different for another', () => {
    const a = createFleet({ seed: 42, count: 500, from, to });
    expect(createFleet({ seed: 42, count: 500, from, to })).toEqual(a);
    expect(createFleet({ seed: 43, count: 500, from, to })).not.toEqual(a);
    expect(new Set(a.map((m) => m.address)).size).toBe(500);
    expect(a.every((m) => /^\d{14}$/.test(m.address))).toBe(true);
  });

  it('puts leaks into about the requested share of meters, each inside the period', () => {
    const fleet = createFleet({ seed: 7, count: 5000, from, to, leakShare: 0.05 });
    const leaking = fleet.filter((m) => m.leak);
    expect(leaking.length).toBeGreaterThan(180);
    expect(leaking.length).toBeLessThan(320);
    expect(leaking.every((m) => m.leak!.startsAt >= from && m.leak!.startsAt < to)).toBe(true);
  });

  it('reports a register that never runs backwards, in whole litres, reproducibly', () => {
    const [meter] = createFleet({ seed: 1, count: 1, from, to });
    const run = () => [...meterReports(meter!, 1, { from, to, intervalMinutes: 60 })];
    const reports = run();
    expect(run()).toEqual(reports);
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.cumulativeLitres).toBeGreaterThanOrEqual(reports[i - 1]!.cumulativeLitres);
    expect(reports.every((r) => Number.isInteger(r.cumulativeLitres))).toBe(true);
  });

  it('uses more water in the evening peak than at night, and about persons × 140 L a day', () => {
    const fleet = createFleet({ seed: 3, count: 200, from, to, leakShare: 0 });
    let night = 0;
    let evening = 0;
    let litres = 0;
    let personDays = 0;
    for (const meter of fleet) {
      const reports = [...meterReports({ ...meter, dropoutRate: 0, outage: null }, 3, { from, to, intervalMinutes: 60 })];
      for (let i = 1; i < reports.length; i++) {
        const used = reports[i]!.cumulativeLitres - reports[i - 1]!.cumulativeLitres;
        const localHour = (reports[i]!.at.getUTCHours() + 8 - 1 + 24) % 24; // the hour the use happened in
        if (localHour >= 2 && localHour < 5) night += used;
        if (localHour >= 19 && localHour < 22) evening += used;
      }
      litres += reports.at(-1)!.cumulativeLitres - meter.startLitres;
      personDays += meter.persons * meter.appetite * 14;
    }
    expect(evening).toBeGreaterThan(night * 8);
    expect(litres / personDays).toBeGreaterThan(120);
    expect(litres / personDays).toBeLessThan(160);
    expect(hourlyShare.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('labels leak flow exactly: a burst of 10 L/h adds 240 L a day; a growing leak ramps up', () => {
    const burst = { kind: 'burst' as const, startsAt: from, litresPerHour: 10, rampHours: 0 };
    expect(leakLitresBetween(burst, from.getTime(), from.getTime() + 86_400_000)).toBeCloseTo(240, 9);
    const growing = { kind: 'growing' as const, startsAt: from, litresPerHour: 10, rampHours: 10 };
    // Over the 10-hour ramp the mean rate is 5 L/h; afterwards the full 10 L/h.
    expect(leakLitresBetween(growing, from.getTime(), from.getTime() + 10 * 3_600_000)).toBeCloseTo(50, 9);
    expect(leakLitresBetween(growing, from.getTime(), from.getTime() + 20 * 3_600_000)).toBeCloseTo(150, 9);
    expect(leakLitresBetween(growing, from.getTime() - 3_600_000, from.getTime())).toBe(0);
  });

  it('drops reports during an outage and some at random', () => {
    const [meter] = createFleet({ seed: 9, count: 1, from, to });
    const outage = { from: new Date('2026-03-05T00:00:00Z'), to: new Date('2026-03-06T00:00:00Z') };
    const reports = [...meterReports({ ...meter!, outage, dropoutRate: 0.1 }, 9, { from, to, intervalMinutes: 60 })];
    expect(reports.some((r) => r.at >= outage.from && r.at < outage.to)).toBe(false);
    expect(reports.length).toBeLessThan(14 * 24 - 24);
    expect(reports.length).toBeGreaterThan(14 * 24 * 0.8);
  });
});
