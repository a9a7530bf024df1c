/**
 * Property tests of pricing on generated tariffs: lines add up, volumes are conserved, cumulative pricing over a
 * year never costs less than tier 1 and is additive, and pricing is monotone in volume.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, periodBounds } from './dates.js';
import { divRound } from './money.js';
import { priceVolume, tariffDefinition, tierBoundsFor, type PriceResult, type TariffDefinition, type TariffVersion } from './tariff.js';

interface GenOptions {
  ascendingPrices?: boolean;
  wholeFenPrices?: boolean;
  fullShare?: boolean;
  /** Bounds and household extras in whole m³. */
  wholeM3?: boolean;
}

/** A valid tariff definition (checked against the schema). */
const definitionArb = (o: GenOptions = {}): fc.Arbitrary<TariffDefinition> =>
  fc
    .record({
      steps: fc.array(fc.integer({ min: 1, max: 200_000 }), { maxLength: 4 }),
      components: fc.array(
        fc.record({
          flat: fc.boolean(),
          prices: fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 5, maxLength: 5 }),
          shareBp: fc.integer({ min: 1, max: 10_000 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      rounding: fc.constantFrom('half_up' as const, 'half_even' as const, 'down' as const),
      household: fc.option(
        fc.record({
          fromPersons: fc.integer({ min: 2, max: 8 }),
          extraL: fc.integer({ min: 1, max: 100_000 }).map((x) => String(o.wholeM3 ? x * 1000 : x)),
          perPerson: fc.boolean(),
          bounds: fc.constantFrom('all' as const, 'first' as const),
        }),
        { nil: undefined },
      ),
    })
    .map(({ steps, components, rounding, household }) => {
      let bound = 0;
      const boundsL = steps.map((s) => String((bound += o.wholeM3 ? (s % 200) * 1000 + 1000 : s)));
      const tiers = boundsL.length + 1;
      const def: TariffDefinition = {
        accounting: { period: 'year', startMonth: 1 },
        boundsL,
        components: components.map((c, i) => {
          let prices = c.prices.slice(0, c.flat ? 1 : tiers);
          if (o.ascendingPrices) prices = [...prices].sort((a, b) => a - b);
          if (o.wholeFenPrices) prices = prices.map((p) => p - (p % 100));
          return { code: `c${i}`, name: { 'zh-CN': `费${i}`, en: `Fee ${i}` }, prices: prices.map(String), shareBp: o.fullShare ? 10_000 : c.shareBp };
        }),
        rounding,
        priceChange: 'days',
        ...(household && boundsL.length > 0 ? { household } : {}),
      };
      return tariffDefinition.parse(def);
    });

const dayArb = fc.integer({ min: 0, max: 730 }).map((d) => addDays('2025-01-01', d));

/** 1 to 3 versions of generated definitions, the first in force from 2020. */
const versionsArb = fc
  .tuple(definitionArb(), fc.array(fc.tuple(dayArb, definitionArb()), { maxLength: 2 }))
  .map(([first, later]): TariffVersion[] => [
    { version: 1, effectiveFrom: '2020-01-01', definition: first },
    ...later.map(([effectiveFrom, definition], i) => ({ version: i + 2, effectiveFrom, definition })),
  ])
  .filter((vs) => new Set(vs.map((v) => v.effectiveFrom)).size === vs.length);

const volumeArb = fc.bigInt({ min: 0n, max: 600_000n });
const householdArb = fc.integer({ min: 1, max: 10 });

/** Σ over lines of volume × price × share: the exact amount × 10^9, before any rounding. */
const exact = (r: PriceResult) => r.lines.reduce((s, l) => s + l.volumeL * l.priceUnits * BigInt(l.shareBp), 0n);

/** The same definition with every tiered price replaced by its tier-1 price. */
const tierOne = (def: TariffDefinition): TariffDefinition => ({ ...def, boundsL: [], household: undefined, components: def.components.map((c) => ({ ...c, prices: [c.prices[0]!] })) });

describe('priceVolume on any tariff', () => {
  it('lines add up to the amount, volumes are conserved per component, tiers follow the bounds', () => {
    fc.assert(
      fc.property(
        versionsArb,
        dayArb,
        fc.integer({ min: 1, max: 62 }),
        volumeArb,
        volumeArb,
        householdArb,
        (versions, periodStart, days, volumeL, cumulativeBeforeL, householdSize) => {
          const periodEnd = addDays(periodStart, days);
          const r = priceVolume({ versions, periodStart, periodEnd, volumeL, cumulativeBeforeL, householdSize });
          expect(r.lines.reduce((s, l) => s + l.amountFen, 0n)).toBe(r.amountFen);
          expect(r.cumulativeAfterL).toBe(cumulativeBeforeL + volumeL);
          // Segments tile the period and share the volume.
          expect(r.segments[0]!.from).toBe(periodStart);
          expect(r.segments.at(-1)!.to).toBe(periodEnd);
          r.segments.forEach((s, i) => i > 0 && expect(s.from).toBe(r.segments[i - 1]!.to));
          expect(r.segments.reduce((s, x) => s + x.volumeL, 0n)).toBe(volumeL);
          // Per segment and component, the lines carry the segment's whole volume.
          let cumulative = cumulativeBeforeL;
          for (const segment of r.segments) {
            const def = versions.find((v) => v.version === segment.version)!.definition;
            const bounds = tierBoundsFor(def, householdSize);
            for (const c of def.components) {
              const lines = r.lines.filter((l) => l.version === segment.version && l.component === c.code);
              expect(lines.reduce((s, l) => s + l.volumeL, 0n)).toBe(segment.volumeL);
              let at = cumulative;
              for (const l of lines) {
                expect(l.volumeL > 0n).toBe(true);
                expect(l.amountFen).toBe(divRound(l.volumeL * l.priceUnits * BigInt(c.shareBp), 1_000_000_000n, def.rounding));
                expect(l.priceUnits).toBe(BigInt(c.prices[c.prices.length === 1 ? 0 : l.tier - 1]!));
                if (c.prices.length > 1) {
                  const lower = l.tier === 1 ? 0n : bounds[l.tier - 2]!;
                  const upper = l.tier <= bounds.length ? bounds[l.tier - 1]! : null;
                  expect(at >= lower).toBe(true);
                  if (upper !== null) expect(at + l.volumeL <= upper).toBe(true);
                  at += l.volumeL;
                }
              }
            }
            cumulative += segment.volumeL;
          }
          // Each segment's share of the volume is proportional to its days (floor), the remainder last.
          const total = BigInt(days);
          r.segments.slice(0, -1).forEach((s) => expect(s.volumeL).toBe((volumeL * BigInt(daysBetween(s.from, s.to))) / total));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('is monotone in volume (one version)', () => {
    fc.assert(
      fc.property(definitionArb(), volumeArb, volumeArb, fc.bigInt({ min: 0n, max: 100_000n }), householdArb, (definition, v, cumulativeBeforeL, more, householdSize) => {
        const price = (volumeL: bigint) =>
          priceVolume({ versions: [{ version: 1, effectiveFrom: '2020-01-01', definition }], periodStart: '2026-03-01', periodEnd: '2026-04-01', volumeL, cumulativeBeforeL, householdSize }).amountFen;
        expect(price(v + more) >= price(v)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

/** Twelve monthly volumes, priced cumulatively through 2026 and each month alone at tier 1. */
function year(definition: TariffDefinition, monthly: bigint[], householdSize: number) {
  const versions: TariffVersion[] = [{ version: 1, effectiveFrom: '2020-01-01', definition }];
  const flat: TariffVersion[] = [{ version: 1, effectiveFrom: '2020-01-01', definition: tierOne(definition) }];
  let cumulative = 0n;
  const cumulativeBills: PriceResult[] = [];
  const flatBills: PriceResult[] = [];
  monthly.forEach((volumeL, i) => {
    const { start, end } = periodBounds(`2026-${String(i + 1).padStart(2, '0')}`);
    const r = priceVolume({ versions, periodStart: start, periodEnd: end, volumeL, cumulativeBeforeL: cumulative, householdSize });
    cumulative = r.cumulativeAfterL;
    cumulativeBills.push(r);
    flatBills.push(priceVolume({ versions: flat, periodStart: start, periodEnd: end, volumeL, cumulativeBeforeL: 0n, householdSize }));
  });
  const annual = priceVolume({ versions, periodStart: '2026-01-01', periodEnd: '2027-01-01', volumeL: cumulative, cumulativeBeforeL: 0n, householdSize });
  return { cumulativeBills, flatBills, annual };
}

describe('a year of monthly bills under annual tiers', () => {
  it('exact amounts: never less than tier 1 month by month, and the months add up to the annual pricing', () => {
    fc.assert(
      fc.property(definitionArb({ ascendingPrices: true }), fc.array(fc.bigInt({ min: 0n, max: 60_000n }), { minLength: 12, maxLength: 12 }), householdArb, (def, monthly, size) => {
        const { cumulativeBills, flatBills, annual } = year(def, monthly, size);
        cumulativeBills.forEach((r, i) => expect(exact(r) >= exact(flatBills[i]!)).toBe(true));
        expect(cumulativeBills.reduce((s, r) => s + exact(r), 0n)).toBe(exact(annual));
      }),
      { numRuns: 300 },
    );
  });

  it('billed amounts (whole m³, prices in whole fen): never less than tier 1, and equal to the annual bill', () => {
    fc.assert(
      fc.property(
        definitionArb({ ascendingPrices: true, wholeFenPrices: true, fullShare: true, wholeM3: true }),
        fc.array(fc.integer({ min: 0, max: 60 }).map((m) => BigInt(m) * 1000n), { minLength: 12, maxLength: 12 }),
        householdArb,
        (def, monthly, size) => {
          // Whole m³ at whole fen per m³: every line is exact, so rounding cannot blur the comparison.
          const { cumulativeBills, flatBills, annual } = year(def, monthly, size);
          const billed = cumulativeBills.reduce((s, r) => s + r.amountFen, 0n);
          expect(billed >= flatBills.reduce((s, r) => s + r.amountFen, 0n)).toBe(true);
          cumulativeBills.forEach((r, i) => expect(r.amountFen >= flatBills[i]!.amountFen).toBe(true));
          expect(billed).toBe(annual.amountFen);
        },
      ),
      { numRuns: 300 },
    );
  });
});
