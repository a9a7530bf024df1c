/**
 * Bills computed by hand on the published tariffs of DOMAIN.md (see published.ts). Every line is worked out in
 * its comment: amount = volume (m³) × price (元/m³) × share, in fen, rounded half up once per line.
 */
import { describe, expect, it } from 'vitest';
import {
  BEIJING_RESIDENTIAL,
  BEIJING_SHARED_METER,
  HANGZHOU_RESIDENTIAL,
  SHANGHAI_RESIDENTIAL,
  SHENZHEN_RESIDENTIAL,
} from './published.js';
import {
  accountingYearOf,
  priceVolume,
  quote,
  tariffDefinition,
  tierBoundsFor,
  type PriceResult,
  type TariffDefinition,
  type TariffVersion,
} from './tariff.js';
import { periodBounds } from './dates.js';

const m3 = (text: string): bigint => {
  const [whole, frac = ''] = text.split('.');
  return BigInt(whole!) * 1000n + BigInt(frac.padEnd(3, '0'));
};
const v1 = (definition: TariffDefinition, effectiveFrom = '2020-01-01'): TariffVersion[] => [{ version: 1, effectiveFrom, definition }];

/** Price a bill of `volume` m³ after `before` m³ in March 2026. */
function bill(definition: TariffDefinition, before: string, volume: string, householdSize = 3): PriceResult {
  return priceVolume({
    versions: v1(definition),
    periodStart: '2026-03-01',
    periodEnd: '2026-04-01',
    volumeL: m3(volume),
    cumulativeBeforeL: m3(before),
    householdSize,
  });
}

/** The lines as compact [component, tier, litres, fen] rows. */
const rows = (r: PriceResult) => r.lines.map((l) => [l.component, l.tier, l.volumeL, l.amountFen]);

describe('each tier alone', () => {
  it('Beijing tier 1: 10 m³ from 0 → 50.00 元', () => {
    // 水费 10 × 2.07 = 20.70; 水资源 10 × 1.57 = 15.70; 污水 10 × 1.36 = 13.60; total 50.00
    const r = bill(BEIJING_RESIDENTIAL, '0', '10');
    expect(rows(r)).toEqual([
      ['water', 1, 10_000n, 2070n],
      ['resource', 1, 10_000n, 1570n],
      ['sewage', 1, 10_000n, 1360n],
    ]);
    expect(r.amountFen).toBe(5000n);
    expect(r.cumulativeAfterL).toBe(10_000n);
  });

  it('Beijing tier 2: 20 m³ from 200 → 140.00 元', () => {
    // 水费 20 × 4.07 = 81.40; 水资源 20 × 1.57 = 31.40; 污水 20 × 1.36 = 27.20; total 140.00 (= 20 × 7)
    const r = bill(BEIJING_RESIDENTIAL, '200', '20');
    expect(rows(r)).toEqual([
      ['water', 2, 20_000n, 8140n],
      ['resource', 1, 20_000n, 3140n],
      ['sewage', 1, 20_000n, 2720n],
    ]);
    expect(r.amountFen).toBe(14_000n);
  });

  it('Beijing tier 3: 15 m³ from 300 → 135.00 元', () => {
    // 水费 15 × 6.07 = 91.05; 水资源 15 × 1.57 = 23.55; 污水 15 × 1.36 = 20.40; total 135.00 (= 15 × 9)
    const r = bill(BEIJING_RESIDENTIAL, '300', '15');
    expect(rows(r)).toEqual([
      ['water', 3, 15_000n, 9105n],
      ['resource', 1, 15_000n, 2355n],
      ['sewage', 1, 15_000n, 2040n],
    ]);
    expect(r.amountFen).toBe(13_500n);
  });

  it('Shanghai tiers 1, 2, 3 alone (3.45 / 4.83 / 5.83 元/m³)', () => {
    // t1: 100 m³ from 0: 自来水 100 × 1.92 = 192.00; 排水 100 × 90 % × 1.70 = 153.00 → 345.00
    expect(rows(bill(SHANGHAI_RESIDENTIAL, '0', '100'))).toEqual([
      ['water', 1, 100_000n, 19_200n],
      ['drainage', 1, 100_000n, 15_300n],
    ]);
    expect(bill(SHANGHAI_RESIDENTIAL, '0', '100').amountFen).toBe(34_500n);
    // t2: 30 m³ from 250: 30 × 3.30 = 99.00; 30 × 0.9 × 1.70 = 45.90 → 144.90
    expect(rows(bill(SHANGHAI_RESIDENTIAL, '250', '30'))).toEqual([
      ['water', 2, 30_000n, 9900n],
      ['drainage', 1, 30_000n, 4590n],
    ]);
    expect(bill(SHANGHAI_RESIDENTIAL, '250', '30').amountFen).toBe(14_490n);
    // t3: 10 m³ from 300: 10 × 4.30 = 43.00; 10 × 0.9 × 1.70 = 15.30 → 58.30
    expect(bill(SHANGHAI_RESIDENTIAL, '300', '10').amountFen).toBe(5830n);
    expect(bill(SHANGHAI_RESIDENTIAL, '300', '10').lines[0]!.tier).toBe(3);
  });

  it('Shenzhen tiers 1, 2, 3 alone (monthly)', () => {
    // t1: 10 m³: 水费 26.70 + 污水 9.00 + 垃圾 5.90 = 41.60
    expect(rows(bill(SHENZHEN_RESIDENTIAL, '0', '10'))).toEqual([
      ['water', 1, 10_000n, 2670n],
      ['sewage', 1, 10_000n, 900n],
      ['refuse', 1, 10_000n, 590n],
    ]);
    // t2: 5 m³ from 22: 5 × 4.01 = 20.05; 5 × 1.00 = 5.00; 5 × 0.59 = 2.95 → 28.00
    expect(rows(bill(SHENZHEN_RESIDENTIAL, '22', '5'))).toEqual([
      ['water', 2, 5000n, 2005n],
      ['sewage', 2, 5000n, 500n],
      ['refuse', 1, 5000n, 295n],
    ]);
    // t3: 4 m³ from 30: 4 × 8.01 = 32.04; 4 × 1.10 = 4.40; 4 × 0.59 = 2.36 → 38.80
    expect(bill(SHENZHEN_RESIDENTIAL, '30', '4').amountFen).toBe(3880n);
  });

  it('Hangzhou tiers 1, 2, 3 alone (2.90 / 3.85 / 6.70 元/m³)', () => {
    // t1: 100 × 1.90 = 190.00 + 100 × 1.00 = 100.00 → 290.00
    expect(bill(HANGZHOU_RESIDENTIAL, '0', '100').amountFen).toBe(29_000n);
    // t2: 50 m³ from 216: 50 × 2.85 = 142.50 + 50.00 → 192.50
    expect(rows(bill(HANGZHOU_RESIDENTIAL, '216', '50'))).toEqual([
      ['water', 2, 50_000n, 14_250n],
      ['sewage', 1, 50_000n, 5000n],
    ]);
    // t3: 20 m³ from 300: 20 × 5.70 = 114.00 + 20.00 → 134.00
    expect(bill(HANGZHOU_RESIDENTIAL, '300', '20').amountFen).toBe(13_400n);
  });

  it('a bound is the inclusive upper limit of its tier', () => {
    // 180 m³ from 0: all tier 1; 1 litre more is tier 2.
    expect(bill(BEIJING_RESIDENTIAL, '0', '180').lines.map((l) => l.tier)).toEqual([1, 1, 1]);
    expect(rows(bill(BEIJING_RESIDENTIAL, '0', '180.001')).slice(0, 2)).toEqual([
      ['water', 1, 180_000n, 37_260n], // 180 × 2.07 = 372.60
      ['water', 2, 1n, 0n], // 0.001 × 4.07 = 0.00407 元 = 0.407 fen → 0
    ]);
  });
});

describe('bills crossing bounds', () => {
  it('Beijing, one bound: 25 m³ from 170 → 10 m³ tier 1 + 15 m³ tier 2 = 155.00 元', () => {
    // 水费 10 × 2.07 = 20.70 and 15 × 4.07 = 61.05; 水资源 25 × 1.57 = 39.25; 污水 25 × 1.36 = 34.00
    // total 20.70 + 61.05 + 39.25 + 34.00 = 155.00 (= 10 × 5 + 15 × 7)
    const r = bill(BEIJING_RESIDENTIAL, '170', '25');
    expect(rows(r)).toEqual([
      ['water', 1, 10_000n, 2070n],
      ['water', 2, 15_000n, 6105n],
      ['resource', 1, 25_000n, 3925n],
      ['sewage', 1, 25_000n, 3400n],
    ]);
    expect(r.amountFen).toBe(15_500n);
    expect(r.cumulativeAfterL).toBe(195_000n);
  });

  it('Beijing, two bounds: 100 m³ from 170 → 10 / 80 / 10 m³ = 700.00 元', () => {
    // 水费 10 × 2.07 = 20.70, 80 × 4.07 = 325.60, 10 × 6.07 = 60.70; 水资源 100 × 1.57 = 157.00;
    // 污水 100 × 1.36 = 136.00; total 700.00 (= 50 + 560 + 90)
    const r = bill(BEIJING_RESIDENTIAL, '170', '100');
    expect(rows(r)).toEqual([
      ['water', 1, 10_000n, 2070n],
      ['water', 2, 80_000n, 32_560n],
      ['water', 3, 10_000n, 6070n],
      ['resource', 1, 100_000n, 15_700n],
      ['sewage', 1, 100_000n, 13_600n],
    ]);
    expect(r.amountFen).toBe(70_000n);
  });

  it('Shenzhen, two bounds with fractions: 35 m³ and 23.456 m³ in one month', () => {
    // 35 m³ = 22 + 8 + 5: 水费 58.74 + 32.08 + 40.05; 污水 19.80 + 8.00 + 5.50; 垃圾 35 × 0.59 = 20.65 → 184.82
    const r = bill(SHENZHEN_RESIDENTIAL, '0', '35');
    expect(rows(r)).toEqual([
      ['water', 1, 22_000n, 5874n],
      ['water', 2, 8000n, 3208n],
      ['water', 3, 5000n, 4005n],
      ['sewage', 1, 22_000n, 1980n],
      ['sewage', 2, 8000n, 800n],
      ['sewage', 3, 5000n, 550n],
      ['refuse', 1, 35_000n, 2065n],
    ]);
    expect(r.amountFen).toBe(18_482n);
    // 23.456 m³ = 22 + 1.456: 水费 58.74, 1.456 × 4.01 = 5.83856 → 583.856 fen → 584; 污水 19.80,
    // 1.456 × 1.00 = 145.6 fen → 146; 垃圾 23.456 × 0.59 = 13.83904 → 1383.904 fen → 1384; total 9968
    const f = bill(SHENZHEN_RESIDENTIAL, '0', '23.456');
    expect(rows(f)).toEqual([
      ['water', 1, 22_000n, 5874n],
      ['water', 2, 1456n, 584n],
      ['sewage', 1, 22_000n, 1980n],
      ['sewage', 2, 1456n, 146n],
      ['refuse', 1, 23_456n, 1384n],
    ]);
    expect(f.amountFen).toBe(9968n);
  });
});

describe('twelve monthly bills under an annual cumulative tier (Beijing 2026)', () => {
  // Monthly m³ and the cumulative after each month:
  //   Jan 20 (20)  Feb 18 (38)  Mar 22 (60)  Apr 25 (85)  May 28 (113)  Jun 30 (143)  Jul 35 (178)
  //   Aug 32 (210): 2 m³ tier 1 (178→180) + 30 m³ tier 2
  //   Sep 26 (236) tier 2   Oct 24 (260) tier 2, ends exactly on the bound   Nov 20 (280) tier 3   Dec 20 (300) tier 3
  // Composite 5 / 7 / 9 元: Jan 100, Feb 90, Mar 110, Apr 125, May 140, Jun 150, Jul 175, Aug 10 + 210 = 220,
  //   Sep 182, Oct 168, Nov 180, Dec 180 → 1820.00 元 = 180 × 5 + 80 × 7 + 40 × 9.
  const monthly = ['20', '18', '22', '25', '28', '30', '35', '32', '26', '24', '20', '20'];
  const expected = [10_000n, 9000n, 11_000n, 12_500n, 14_000n, 15_000n, 17_500n, 22_000n, 18_200n, 16_800n, 18_000n, 18_000n];

  it('each bill is priced at the tier of the year-to-date volume, and they sum to the annual pricing', () => {
    let cumulative = 0n;
    let total = 0n;
    const results: PriceResult[] = [];
    monthly.forEach((volume, i) => {
      const period = `2026-${String(i + 1).padStart(2, '0')}`;
      const year = accountingYearOf(BEIJING_RESIDENTIAL, period);
      expect(year).toEqual({ key: '2026', firstPeriod: '2026-01', lastPeriod: '2026-12' });
      const { start, end } = periodBounds(period);
      const r = priceVolume({ versions: v1(BEIJING_RESIDENTIAL), periodStart: start, periodEnd: end, volumeL: m3(volume), cumulativeBeforeL: cumulative, householdSize: 3 });
      expect(r.amountFen, period).toBe(expected[i]);
      cumulative = r.cumulativeAfterL;
      total += r.amountFen;
      results.push(r);
    });
    expect(cumulative).toBe(300_000n);
    const water = (r: PriceResult) => r.lines.filter((l) => l.component === 'water').map((l) => [l.tier, l.volumeL]);
    expect(water(results[6]!)).toEqual([[1, 35_000n]]);
    expect(water(results[7]!)).toEqual([
      [1, 2000n],
      [2, 30_000n],
    ]);
    expect(water(results[9]!)).toEqual([[2, 24_000n]]);
    expect(water(results[10]!)).toEqual([[3, 20_000n]]);
    expect(total).toBe(182_000n);
    const annual = priceVolume({ versions: v1(BEIJING_RESIDENTIAL), periodStart: '2026-01-01', periodEnd: '2027-01-01', volumeL: 300_000n, cumulativeBeforeL: 0n, householdSize: 3 });
    expect(annual.amountFen).toBe(total);
  });
});

describe('household size', () => {
  it('Beijing, 7 persons: every bound +60 m³ (240 / 320); 250 m³ from 0 → 1270.00 元', () => {
    expect(tierBoundsFor(BEIJING_RESIDENTIAL, 5)).toEqual([180_000n, 260_000n]);
    expect(tierBoundsFor(BEIJING_RESIDENTIAL, 6)).toEqual([210_000n, 290_000n]);
    expect(tierBoundsFor(BEIJING_RESIDENTIAL, 7)).toEqual([240_000n, 320_000n]);
    // 水费 240 × 2.07 = 496.80 and 10 × 4.07 = 40.70; 水资源 250 × 1.57 = 392.50; 污水 250 × 1.36 = 340.00
    // total 1270.00 (= 240 × 5 + 10 × 7); for 3 persons it is 180 × 5 + 70 × 7 = 1390.00
    const r = bill(BEIJING_RESIDENTIAL, '0', '250', 7);
    expect(rows(r)).toEqual([
      ['water', 1, 240_000n, 49_680n],
      ['water', 2, 10_000n, 4070n],
      ['resource', 1, 250_000n, 39_250n],
      ['sewage', 1, 250_000n, 34_000n],
    ]);
    expect(r.amountFen).toBe(127_000n);
    expect(bill(BEIJING_RESIDENTIAL, '0', '250', 3).amountFen).toBe(139_000n);
  });

  it('Shanghai, 5 persons: +100 m³ once (320 / 400); 330 m³ from 0 → 1152.30 元', () => {
    expect(tierBoundsFor(SHANGHAI_RESIDENTIAL, 4)).toEqual([220_000n, 300_000n]);
    expect(tierBoundsFor(SHANGHAI_RESIDENTIAL, 5)).toEqual([320_000n, 400_000n]);
    expect(tierBoundsFor(SHANGHAI_RESIDENTIAL, 9)).toEqual([320_000n, 400_000n]);
    // 自来水 320 × 1.92 = 614.40 and 10 × 3.30 = 33.00; 排水 330 × 0.9 × 1.70 = 504.90 → 1152.30
    const r = bill(SHANGHAI_RESIDENTIAL, '0', '330', 5);
    expect(rows(r)).toEqual([
      ['water', 1, 320_000n, 61_440n],
      ['water', 2, 10_000n, 3300n],
      ['drainage', 1, 330_000n, 50_490n],
    ]);
    expect(r.amountFen).toBe(115_230n);
    // 4 persons: 220 × 1.92 = 422.40, 80 × 3.30 = 264.00, 30 × 4.30 = 129.00, 排水 504.90 → 1320.30
    expect(bill(SHANGHAI_RESIDENTIAL, '0', '330', 4).amountFen).toBe(132_030n);
  });

  it("bounds 'first' moves only the first bound and keeps later bounds at least as high", () => {
    const first = (extraL: string): TariffDefinition => ({ ...SHANGHAI_RESIDENTIAL, household: { fromPersons: 5, extraL, perPerson: false, bounds: 'first' } });
    expect(tierBoundsFor(first('50000'), 5)).toEqual([270_000n, 300_000n]);
    expect(tierBoundsFor(first('100000'), 5)).toEqual([320_000n, 320_000n]);
    // 330 m³, bounds 320 / 320: tier 2 is empty — 320 × 1.92 = 614.40, 10 × 4.30 = 43.00, 排水 504.90
    expect(rows(bill(first('100000'), '0', '330', 5))).toEqual([
      ['water', 1, 320_000n, 61_440n],
      ['water', 3, 10_000n, 4300n],
      ['drainage', 1, 330_000n, 50_490n],
    ]);
  });
});

describe('a price change inside a period', () => {
  // Shenzhen, March 2026 (31 days); version 2 from 2026-03-11 raises 水费 to 2.80 / 4.20 / 8.40.
  // Days: v1 03-01..03-10 = 10 days, v2 03-11..03-31 = 21 days. Volume 25 m³ = 25000 L:
  //   v1 gets floor(25000 × 10 / 31) = floor(8064.5) = 8064 L, v2 the rest, 16936 L.
  // Cumulative: v1 covers 0 → 8064 (tier 1); v2 covers 8064 → 25000: 13936 L tier 1, 3000 L tier 2.
  //   v1: 水费 8.064 × 2.67 = 2153.088 fen → 2153; 污水 8.064 × 0.90 = 725.76 → 726; 垃圾 8.064 × 0.59 = 475.776 → 476
  //   v2: 水费 13.936 × 2.80 = 3902.08 → 3902, 3 × 4.20 = 1260; 污水 13.936 × 0.90 = 1254.24 → 1254, 3 × 1.00 = 300;
  //       垃圾 16.936 × 0.59 = 999.224 → 999
  //   total 2153 + 726 + 476 + 3902 + 1260 + 1254 + 300 + 999 = 11070 fen = 110.70 元
  const v2: TariffDefinition = {
    ...SHENZHEN_RESIDENTIAL,
    components: SHENZHEN_RESIDENTIAL.components.map((c) => (c.code === 'water' ? { ...c, prices: ['28000', '42000', '84000'] } : c)),
  };
  const versions: TariffVersion[] = [
    { version: 2, effectiveFrom: '2026-03-11', definition: v2 },
    { version: 1, effectiveFrom: '2022-01-01', definition: SHENZHEN_RESIDENTIAL },
  ];

  it('splits the volume by days and prices each segment with its own version', () => {
    const r = priceVolume({ versions, periodStart: '2026-03-01', periodEnd: '2026-04-01', volumeL: 25_000n, cumulativeBeforeL: 0n, householdSize: 3 });
    expect(r.segments).toEqual([
      { version: 1, from: '2026-03-01', to: '2026-03-11', volumeL: 8064n },
      { version: 2, from: '2026-03-11', to: '2026-04-01', volumeL: 16_936n },
    ]);
    expect(r.lines.map((l) => [l.version, l.component, l.tier, l.volumeL, l.priceUnits, l.amountFen])).toEqual([
      [1, 'water', 1, 8064n, 26_700n, 2153n],
      [1, 'sewage', 1, 8064n, 9000n, 726n],
      [1, 'refuse', 1, 8064n, 5900n, 476n],
      [2, 'water', 1, 13_936n, 28_000n, 3902n],
      [2, 'water', 2, 3000n, 42_000n, 1260n],
      [2, 'sewage', 1, 13_936n, 9000n, 1254n],
      [2, 'sewage', 2, 3000n, 10_000n, 300n],
      [2, 'refuse', 1, 16_936n, 5900n, 999n],
    ]);
    expect(r.amountFen).toBe(11_070n);
  });

  it('a version effective on the period start or after the period end makes one segment', () => {
    const april = priceVolume({ versions, periodStart: '2026-04-01', periodEnd: '2026-05-01', volumeL: 10_000n, cumulativeBeforeL: 0n, householdSize: 3 });
    expect(april.segments).toEqual([{ version: 2, from: '2026-04-01', to: '2026-05-01', volumeL: 10_000n }]);
    expect(april.amountFen).toBe(2800n + 900n + 590n);
    const feb = priceVolume({ versions, periodStart: '2026-02-01', periodEnd: '2026-03-01', volumeL: 10_000n, cumulativeBeforeL: 0n, householdSize: 3 });
    expect(feb.segments.map((s) => s.version)).toEqual([1]);
    expect(feb.amountFen).toBe(4160n);
  });

  it('refuses a period before the first version', () => {
    expect(() => priceVolume({ versions, periodStart: '2021-12-01', periodEnd: '2022-01-01', volumeL: 1n, cumulativeBeforeL: 0n, householdSize: 3 })).toThrow(/no tariff version/);
  });
});

describe('a component on a share of the volume', () => {
  it('Shanghai drainage on 90 % of 12.345 m³', () => {
    // 自来水 12.345 × 1.92 = 23.7024 元 = 2370.24 fen → 2370
    // 排水 12.345 × 0.9 × 1.70 = 18.88785 元 = 1888.785 fen → 1889 (half up; 1888 rounding down)
    // (charged volume 11.1105 m³, shown rounded to 11.111 m³ — the amount uses the exact share)
    const r = bill(SHANGHAI_RESIDENTIAL, '0', '12.345');
    expect(r.lines.map((l) => [l.component, l.volumeL, l.chargedL, l.shareBp, l.amountFen])).toEqual([
      ['water', 12_345n, 12_345n, 10_000, 2370n],
      ['drainage', 12_345n, 11_111n, 9000, 1889n],
    ]);
    expect(r.amountFen).toBe(4259n);
    expect(bill({ ...SHANGHAI_RESIDENTIAL, rounding: 'down' }, '0', '12.345').amountFen).toBe(4258n);
  });
});

describe('a shared meter (合表) at a flat price', () => {
  it('ignores tiers and the year-to-date volume: 123.456 m³ after 500 m³', () => {
    // 水费 123.456 × 2.07 = 25555.392 fen → 25555; 水资源 123.456 × 1.57 = 19382.592 → 19383;
    // 污水 123.456 × 1.36 = 16790.016 → 16790; total 61728 fen = 617.28 元
    const r = bill(BEIJING_SHARED_METER, '500', '123.456', 8);
    expect(rows(r)).toEqual([
      ['water', 1, 123_456n, 25_555n],
      ['resource', 1, 123_456n, 19_383n],
      ['sewage', 1, 123_456n, 16_790n],
    ]);
    expect(r.amountFen).toBe(61_728n);
  });

  it('a flat tariff still gets one line per version segment', () => {
    const raised: TariffDefinition = { ...BEIJING_SHARED_METER, components: [{ ...BEIJING_SHARED_METER.components[0]!, prices: ['30000'] }] };
    // April 2026 (30 days), v2 from 04-16: v1 15 days, v2 15 days; 30 m³ → 15000 L each.
    // v1: 15 × 2.07 = 31.05, 15 × 1.57 = 23.55, 15 × 1.36 = 20.40; v2: 15 × 3.00 = 45.00 → 120.00 元
    const r = priceVolume({
      versions: [
        { version: 1, effectiveFrom: '2020-01-01', definition: BEIJING_SHARED_METER },
        { version: 2, effectiveFrom: '2026-04-16', definition: raised },
      ],
      periodStart: '2026-04-01',
      periodEnd: '2026-05-01',
      volumeL: 30_000n,
      cumulativeBeforeL: 0n,
      householdSize: 3,
    });
    expect(r.lines.map((l) => [l.version, l.component, l.volumeL, l.amountFen])).toEqual([
      [1, 'water', 15_000n, 3105n],
      [1, 'resource', 15_000n, 2355n],
      [1, 'sewage', 15_000n, 2040n],
      [2, 'water', 15_000n, 4500n],
    ]);
    expect(r.amountFen).toBe(12_000n);
  });
});

describe('zero consumption', () => {
  it('no lines, 0 fen, cumulative unchanged', () => {
    const r = bill(BEIJING_RESIDENTIAL, '170', '0');
    expect(r.lines).toEqual([]);
    expect(r.amountFen).toBe(0n);
    expect(r.volumeL).toBe(0n);
    expect(r.cumulativeAfterL).toBe(170_000n);
    expect(r.segments).toEqual([{ version: 1, from: '2026-03-01', to: '2026-04-01', volumeL: 0n }]);
    expect(bill(BEIJING_SHARED_METER, '0', '0').lines).toEqual([]);
  });
});

describe('rounding half up vs half even vs down', () => {
  it('Beijing 1.5 m³ in tier 1: 水费 310.5 fen and 水资源 235.5 fen are ties', () => {
    // 水费 1.5 × 2.07 = 3.105 元 = 310.5 fen: half up 311, half even 310, down 310
    // 水资源 1.5 × 1.57 = 2.355 元 = 235.5 fen: half up 236, half even 236, down 235
    // 污水 1.5 × 1.36 = 2.04 元 = 204 fen exactly
    const amounts = (rounding: 'half_up' | 'half_even' | 'down') =>
      bill({ ...BEIJING_RESIDENTIAL, rounding }, '0', '1.5').lines.map((l) => l.amountFen);
    expect(amounts('half_up')).toEqual([311n, 236n, 204n]);
    expect(amounts('half_even')).toEqual([310n, 236n, 204n]);
    expect(amounts('down')).toEqual([310n, 235n, 204n]);
    expect(bill({ ...BEIJING_RESIDENTIAL, rounding: 'half_even' }, '0', '1.5').amountFen).toBe(750n);
  });

  it('each version segment is rounded with its own rule', () => {
    // March 2026, v2 (rounding down) from 03-17: 16 + 15 days; 3.1 m³ → v1 floor(3100 × 16 / 31) = 1600 L, v2 1500 L
    // v1 half up: 1.6 × 2.07 = 331.2 → 331, 1.6 × 1.57 = 251.2 → 251, 1.6 × 1.36 = 217.6 → 218
    // v2 down: 1.5 × 2.07 = 310.5 → 310, 235.5 → 235, 204
    const r = priceVolume({
      versions: [
        { version: 1, effectiveFrom: '2020-01-01', definition: BEIJING_RESIDENTIAL },
        { version: 2, effectiveFrom: '2026-03-17', definition: { ...BEIJING_RESIDENTIAL, rounding: 'down' } },
      ],
      periodStart: '2026-03-01',
      periodEnd: '2026-04-01',
      volumeL: 3100n,
      cumulativeBeforeL: 0n,
      householdSize: 3,
    });
    expect(r.lines.map((l) => l.amountFen)).toEqual([331n, 251n, 218n, 310n, 235n, 204n]);
  });
});

describe('quote', () => {
  it('uses the version in force today and answers the tier of the last litre', () => {
    const versions: TariffVersion[] = [
      { version: 1, effectiveFrom: '2020-01-01', definition: BEIJING_RESIDENTIAL },
      { version: 2, effectiveFrom: '2026-07-01', definition: BEIJING_SHARED_METER },
    ];
    const q = quote(versions, '2026-06-30', 25_000n, 170_000n, 3);
    expect(q.version).toBe(1);
    expect(q.tier).toBe(2);
    expect(q.amountFen).toBe(15_500n);
    expect(quote(versions, '2026-06-30', 0n, 0n, 3).tier).toBe(1);
    expect(quote(versions, '2026-06-30', 10_000n, 170_000n, 3).tier).toBe(1); // litre 180000 is tier 1
    expect(quote(versions, '2026-06-30', 1n, 260_000n, 3).tier).toBe(3);
    expect(quote(versions, '2026-06-30', 1n, 260_000n, 7).tier).toBe(2);
    const flat = quote(versions, '2026-07-01', 10_000n, 500_000n, 3);
    expect([flat.version, flat.tier, flat.amountFen]).toEqual([2, 1, 5000n]);
    expect(() => quote(versions, '2019-12-31', 1n, 0n, 3)).toThrow(/no tariff version/);
  });
});

describe('accountingYearOf', () => {
  it('month accounting is the period itself; years may start in any month', () => {
    expect(accountingYearOf(SHENZHEN_RESIDENTIAL, '2026-03')).toEqual({ key: '2026-03', firstPeriod: '2026-03', lastPeriod: '2026-03' });
    const july: TariffDefinition = { ...BEIJING_RESIDENTIAL, accounting: { period: 'year', startMonth: 7 } };
    expect(accountingYearOf(july, '2026-03')).toEqual({ key: '2025-07..2026-06', firstPeriod: '2025-07', lastPeriod: '2026-06' });
    expect(accountingYearOf(july, '2026-07')).toEqual({ key: '2026-07..2027-06', firstPeriod: '2026-07', lastPeriod: '2027-06' });
    expect(accountingYearOf(BEIJING_RESIDENTIAL, '2026-12').key).toBe('2026');
    expect(() => accountingYearOf(BEIJING_RESIDENTIAL, '2026-13')).toThrow(RangeError);
  });
});

describe('the tariffDefinition schema', () => {
  const issues = (value: unknown) => {
    const r = tariffDefinition.safeParse(value);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts the published tariffs unchanged and fills defaults', () => {
    for (const def of [BEIJING_RESIDENTIAL, BEIJING_SHARED_METER, SHANGHAI_RESIDENTIAL, SHENZHEN_RESIDENTIAL, HANGZHOU_RESIDENTIAL]) {
      expect(tariffDefinition.parse(def)).toEqual(def);
    }
    const minimal = tariffDefinition.parse({
      accounting: { period: 'year' },
      boundsL: ['180000'],
      components: [{ code: 'water', name: { 'zh-CN': '水费', en: 'Water' }, prices: ['20700', '40700'] }],
      household: { fromPersons: 6, extraL: '30000', perPerson: true },
    });
    expect(minimal.accounting).toEqual({ period: 'year', startMonth: 1 });
    expect(minimal.components[0]!.shareBp).toBe(10_000);
    expect(minimal.household!.bounds).toBe('all');
    expect([minimal.rounding, minimal.priceChange]).toEqual(['half_up', 'days']);
  });

  it('refuses bounds that are not ascending or not positive', () => {
    expect(issues({ ...BEIJING_RESIDENTIAL, boundsL: ['260000', '180000'] })).toEqual(['boundsL.1: tier bounds must be strictly ascending']);
    expect(issues({ ...BEIJING_RESIDENTIAL, boundsL: ['180000', '180000'] })).toEqual(['boundsL.1: tier bounds must be strictly ascending']);
    expect(issues({ ...BEIJING_RESIDENTIAL, boundsL: ['0', '180000'] })[0]).toMatch(/^boundsL\.0: tier bound: a positive whole number/);
    expect(issues({ ...BEIJING_RESIDENTIAL, boundsL: ['-5', '180000'] })[0]).toMatch(/^boundsL\.0:/);
    expect(issues({ ...BEIJING_RESIDENTIAL, boundsL: [180000, 260000] })[0]).toMatch(/^boundsL\.0:/);
  });

  it('refuses a component with the wrong number of prices, a bad price, a bad share, or a duplicate code', () => {
    const [water, resource] = BEIJING_RESIDENTIAL.components;
    expect(issues({ ...BEIJING_RESIDENTIAL, components: [{ ...water, prices: ['20700', '40700'] }] })).toEqual([
      "components.0.prices: component 'water' has 2 prices: give 1 (flat) or 3 (one per tier)",
    ]);
    expect(issues({ ...BEIJING_RESIDENTIAL, components: [{ ...water, prices: ['2.07', '4.07', '6.07'] }] })[0]).toMatch(/^components\.0\.prices\.0: price: whole price units/);
    expect(issues({ ...BEIJING_RESIDENTIAL, components: [{ ...water, prices: ['-1', '4', '6'] }] })[0]).toMatch(/^components\.0\.prices\.0:/);
    expect(issues({ ...BEIJING_RESIDENTIAL, components: [{ ...resource, shareBp: 0 }] })).toEqual(['components.0.shareBp: shareBp: 1..10000 basis points of the volume']);
    expect(issues({ ...BEIJING_RESIDENTIAL, components: [{ ...resource, shareBp: 10_001 }] })).toEqual(['components.0.shareBp: shareBp: 1..10000 basis points of the volume']);
    expect(issues({ ...BEIJING_RESIDENTIAL, components: [water, { ...resource, code: 'water' }] })).toEqual(["components.1.code: component code 'water' is used twice"]);
    expect(issues({ ...BEIJING_RESIDENTIAL, components: [] })).toEqual(['components: a tariff needs at least one component']);
    expect(issues({ ...BEIJING_RESIDENTIAL, components: [{ ...water, code: 'Water Fee' }] })[0]).toMatch(/^components\.0\.code: component code/);
  });

  it('refuses a bad accounting period, household rule or rounding', () => {
    expect(issues({ ...BEIJING_RESIDENTIAL, accounting: { period: 'year', startMonth: 13 } })).toEqual(['accounting.startMonth: startMonth: 1..12']);
    expect(issues({ ...BEIJING_RESIDENTIAL, accounting: { period: 'week' } })).toHaveLength(1);
    expect(issues({ ...BEIJING_RESIDENTIAL, household: { fromPersons: 1, extraL: '30000', perPerson: true, bounds: 'all' } })).toEqual([
      'household.fromPersons: household.fromPersons: 2..50 persons',
    ]);
    expect(issues({ ...BEIJING_RESIDENTIAL, household: { fromPersons: 6, extraL: '0', perPerson: true, bounds: 'all' } })[0]).toMatch(/^household\.extraL:/);
    expect(issues({ ...BEIJING_SHARED_METER, household: BEIJING_RESIDENTIAL.household })).toEqual([
      'household: a household rule needs tier bounds to move (this tariff is flat)',
    ]);
    expect(issues({ ...BEIJING_RESIDENTIAL, rounding: 'ceiling' })).toHaveLength(1);
  });

  it('priceVolume refuses a malformed stored definition and bad input', () => {
    const broken = { ...BEIJING_RESIDENTIAL, boundsL: ['260000', '180000'] };
    expect(() => bill(broken, '0', '1')).toThrow(/strictly ascending/);
    const base = { versions: v1(BEIJING_RESIDENTIAL), periodStart: '2026-03-01', periodEnd: '2026-04-01', volumeL: 1n, cumulativeBeforeL: 0n, householdSize: 3 };
    expect(() => priceVolume({ ...base, volumeL: -1n })).toThrow(RangeError);
    expect(() => priceVolume({ ...base, cumulativeBeforeL: -1n })).toThrow(RangeError);
    expect(() => priceVolume({ ...base, periodEnd: '2026-03-01' })).toThrow(/after periodStart/);
    expect(() => priceVolume({ ...base, periodStart: '2026-02-30' })).toThrow(RangeError);
    expect(() => priceVolume({ ...base, householdSize: 2.5 })).toThrow(RangeError);
    expect(() => priceVolume({ ...base, volumeL: 1 as any })).toThrow(TypeError);
  });
});
