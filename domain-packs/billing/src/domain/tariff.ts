/**
 * 阶梯水价: tiered tariffs, their versions, and pricing a bill's volume.
 *
 * Units: volumes are integer litres (`bigint`); prices are integer price units of 0.0001 元 per m³
 * (2.07 元/m³ = 20700n); amounts are integer fen. A line's amount is
 *     divRound(volumeL × priceUnits × shareBp, 10^9, rounding)
 * (litres → m³ is 10^3, price units → 元 is 10^4, basis points → share is 10^4, 元 → fen is 10^-2), rounded
 * once per line with the tariff's rule, so nothing is lost between the line and the bill.
 *
 * Tiers (阶梯) are counted over the accounting period's cumulative volume (a calendar year in Beijing and
 * Shanghai, a month in Shenzhen): bound i (0-based) is the inclusive upper limit, in litres, of tier i+1; the
 * n-th litre of the accounting period is in tier 1 while n ≤ bound 0, and so on; past the last bound is the
 * last tier. A bill prices the litres (cumulativeBefore, cumulativeBefore + volume] and splits them at every
 * bound they cross. Household size can move the bounds (see `tierBoundsFor`).
 *
 * Components (水费, 水资源费, 污水处理费, 垃圾费…) each have their own price per tier (or one flat price, which
 * ignores tiers), may be levied on a share of the volume (`shareBp`, e.g. Shanghai's drainage charge on 90 %),
 * and each gets its own line on the bill.
 *
 * Versions: a tariff has versions, each in force from its `effectiveFrom` date until the next one's. A price
 * change inside a billing period is never ignored: the days of [periodStart, periodEnd) are split by the
 * version in force on each day, and the period's volume is shared among the segments in proportion to their
 * days (integer litres, rounded down, the remainder to the last segment); the cumulative volume flows through
 * the segments in date order, and each segment is priced with its own version's tiers, prices and rounding.
 */
import { z } from 'zod';
import { addDays, addMonths, daysBetween, isDate, parsePeriod } from './dates.js';
import { assertBigint, divRound, ROUNDINGS, type Rounding } from './money.js';

/** Price units per 元 (a price unit is 0.0001 元 per m³). */
export const PRICE_UNITS_PER_YUAN = 10_000n;
/** A whole share in basis points. */
export const FULL_SHARE_BP = 10_000;
/** Litres × price units × basis points per fen. */
const LINE_DIVISOR = 1_000_000_000n;

export type LocalizedName = { 'zh-CN': string; en: string };

export interface TariffComponent {
  /** Stable code of the component, e.g. 'water', 'resource', 'sewage'. */
  code: string;
  name: LocalizedName;
  /** Integer price units per m³ as digits: one per tier (boundsL.length + 1), or one = a flat price. */
  prices: string[];
  /** Share of the volume charged, basis points 1..10000 (9000 = 90 %). */
  shareBp: number;
}

export interface HouseholdRule {
  /** The household size from which the rule applies (Beijing 6, Shanghai 5). */
  fromPersons: number;
  /** Litres added to the bound(s). */
  extraL: string;
  /** true: extraL for each person from `fromPersons` on (a household of 7 with fromPersons 6 gets 2 × extraL); false: once. */
  perPerson: boolean;
  /** 'all': every bound moves; 'first': only the first bound moves (later bounds are kept ≥ it). */
  bounds: 'all' | 'first';
}

export interface TariffDefinition {
  accounting: { period: 'month' } | { period: 'year'; startMonth: number };
  /** Ascending upper bounds (litres, as digits) of tiers 1..n-1; [] = a flat tariff. */
  boundsL: string[];
  components: TariffComponent[];
  household?: HouseholdRule;
  rounding: Rounding;
  priceChange: 'days';
}

export interface TariffVersion {
  version: number;
  /** First local date the version is in force, 'YYYY-MM-DD'. */
  effectiveFrom: string;
  definition: TariffDefinition;
}

export interface PricedLine {
  component: string;
  componentName: LocalizedName;
  /** 1-based; a flat component's line is tier 1. */
  tier: number;
  version: number;
  /** Litres of this tier segment (before the component's share). */
  volumeL: bigint;
  /** Litres charged after the share, for display: round(volumeL × shareBp / 10000) with the tariff's rounding. */
  chargedL: bigint;
  priceUnits: bigint;
  shareBp: number;
  amountFen: bigint;
}

export interface PriceSegment {
  version: number;
  /** First day of the segment. */
  from: string;
  /** Day after the segment's last day (exclusive). */
  to: string;
  volumeL: bigint;
}

export interface PriceInput {
  versions: TariffVersion[];
  periodStart: string;
  /** Exclusive. */
  periodEnd: string;
  volumeL: bigint;
  /** Litres already consumed in the accounting period before this bill. */
  cumulativeBeforeL: bigint;
  householdSize: number;
}

export interface PriceResult {
  lines: PricedLine[];
  amountFen: bigint;
  volumeL: bigint;
  cumulativeAfterL: bigint;
  segments: PriceSegment[];
}

export interface QuoteResult extends PriceResult {
  /** Tier of the last litre (of cumulativeBefore + volume; tier 1 when that is 0). */
  tier: number;
  version: number;
}

// ---------------------------------------------------------------------------------------------------------
// The schema

const CODE_RE = /^[a-z][a-z0-9_-]{0,39}$/;
const PRICE_RE = /^(0|[1-9][0-9]{0,11})$/;
const BOUND_RE = /^[1-9][0-9]{0,14}$/;
const MAX_TIERS = 10;

const localizedName = z.object({
  'zh-CN': z.string().trim().min(1, 'a Chinese name is required').max(100),
  en: z.string().trim().min(1, 'an English name is required').max(100),
});

export const tariffComponent = z.object({
  code: z.string().regex(CODE_RE, 'component code: a lower-case letter, then letters, digits, _ or - (at most 40)'),
  name: localizedName,
  prices: z
    .array(z.string().regex(PRICE_RE, 'price: whole price units of 0.0001 yuan per m³ as digits (2.07 yuan/m³ = "20700")'))
    .min(1, 'a component needs at least one price')
    .max(MAX_TIERS, `at most ${MAX_TIERS} prices`),
  shareBp: z
    .number()
    .int('shareBp: whole basis points')
    .min(1, 'shareBp: 1..10000 basis points of the volume')
    .max(FULL_SHARE_BP, 'shareBp: 1..10000 basis points of the volume')
    .default(FULL_SHARE_BP),
});

export const householdRule = z.object({
  fromPersons: z.number().int().min(2, 'household.fromPersons: 2..50 persons').max(50, 'household.fromPersons: 2..50 persons'),
  extraL: z.string().regex(BOUND_RE, 'household.extraL: a positive whole number of litres as digits'),
  perPerson: z.boolean(),
  bounds: z.enum(['all', 'first']).default('all'),
});

export const tariffDefinition = z
  .object({
    accounting: z.discriminatedUnion('period', [
      z.object({ period: z.literal('month') }),
      z.object({
        period: z.literal('year'),
        startMonth: z.number().int().min(1, 'startMonth: 1..12').max(12, 'startMonth: 1..12').default(1),
      }),
    ]),
    boundsL: z
      .array(z.string().regex(BOUND_RE, 'tier bound: a positive whole number of litres as digits'))
      .max(MAX_TIERS - 1, `at most ${MAX_TIERS - 1} tier bounds`),
    components: z.array(tariffComponent).min(1, 'a tariff needs at least one component').max(20),
    household: householdRule.optional(),
    rounding: z.enum(ROUNDINGS).default('half_up'),
    priceChange: z.literal('days').default('days'),
  })
  .superRefine((def, ctx) => {
    for (let i = 1; i < def.boundsL.length; i++) {
      if (BigInt(def.boundsL[i]!) <= BigInt(def.boundsL[i - 1]!)) {
        ctx.addIssue({ code: 'custom', path: ['boundsL', i], message: 'tier bounds must be strictly ascending' });
      }
    }
    const tiers = def.boundsL.length + 1;
    const seen = new Set<string>();
    def.components.forEach((c, i) => {
      if (c.prices.length !== 1 && c.prices.length !== tiers) {
        ctx.addIssue({
          code: 'custom',
          path: ['components', i, 'prices'],
          message: `component '${c.code}' has ${c.prices.length} prices: give 1 (flat) or ${tiers} (one per tier)`,
        });
      }
      if (seen.has(c.code)) {
        ctx.addIssue({ code: 'custom', path: ['components', i, 'code'], message: `component code '${c.code}' is used twice` });
      }
      seen.add(c.code);
    });
    if (def.household && def.boundsL.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['household'], message: 'a household rule needs tier bounds to move (this tariff is flat)' });
    }
  });

export const tariffVersion = z.object({
  version: z.number().int().min(1),
  effectiveFrom: z.string().refine(isDate, 'effectiveFrom: a date YYYY-MM-DD'),
  definition: tariffDefinition,
});

// Compile-time check: what the schema answers is a TariffDefinition.
const _schemaMatches = (d: z.output<typeof tariffDefinition>): TariffDefinition => d;
void _schemaMatches;

/** Cheap run-time check of a definition read back from storage (the schema validated it on the way in). */
function assertDefinition(def: TariffDefinition, version: number): void {
  const tiers = def.boundsL.length + 1;
  const bad = (why: string) => new RangeError(`tariff version ${version}: ${why}`);
  let previous = 0n;
  for (const b of def.boundsL) {
    const bound = BigInt(b);
    if (bound <= previous) throw bad('tier bounds must be positive and strictly ascending');
    previous = bound;
  }
  if (def.components.length === 0) throw bad('no components');
  for (const c of def.components) {
    if (c.prices.length !== 1 && c.prices.length !== tiers) throw bad(`component '${c.code}' has ${c.prices.length} prices for ${tiers} tiers`);
    if (!Number.isInteger(c.shareBp) || c.shareBp < 1 || c.shareBp > FULL_SHARE_BP) throw bad(`component '${c.code}' has shareBp ${c.shareBp}`);
    for (const p of c.prices) if (!PRICE_RE.test(p)) throw bad(`component '${c.code}' has price '${p}'`);
  }
  if (!ROUNDINGS.includes(def.rounding)) throw bad(`unknown rounding '${String(def.rounding)}'`);
}

// ---------------------------------------------------------------------------------------------------------
// Bounds, accounting years, versions

/**
 * The tier bounds (litres, ascending) for a household of `householdSize` persons.
 * Beijing: { fromPersons: 6, extraL: '30000', perPerson: true, bounds: 'all' } — from the 6th person each bound
 * moves up 30 m³ per person (7 persons: +60 m³ on every bound). Shanghai: { fromPersons: 5, extraL: '100000',
 * perPerson: false } — 5 or more persons: +100 m³ once. With bounds 'first' only the first bound moves, and a
 * later bound it overtakes is raised to it (that tier is then empty).
 */
export function tierBoundsFor(def: TariffDefinition, householdSize: number): bigint[] {
  if (!Number.isSafeInteger(householdSize) || householdSize < 0) {
    throw new RangeError(`householdSize must be a whole number ≥ 0, got ${householdSize}`);
  }
  const bounds = def.boundsL.map((b) => BigInt(b));
  const rule = def.household;
  if (!rule || bounds.length === 0 || householdSize < rule.fromPersons) return bounds;
  const extra = BigInt(rule.extraL) * (rule.perPerson ? BigInt(householdSize - rule.fromPersons + 1) : 1n);
  if (rule.bounds === 'all') return bounds.map((b) => b + extra);
  const first = bounds[0]! + extra;
  return bounds.map((b, i) => (i === 0 || b < first ? first : b));
}

/** The tier (1-based) of the n-th litre of the accounting period; litre 0 (nothing yet) is tier 1. */
export function tierOfLitre(bounds: bigint[], litre: bigint): number {
  let tier = 1;
  for (const b of bounds) if (litre > b) tier++;
  return tier;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * The accounting period (计量周期 for the tiers) that billing period `period` ('YYYY-MM') belongs to.
 * Month accounting: the period itself. Year accounting from `startMonth`: the twelve periods from the last
 * start on or before `period`; key 'YYYY' for a calendar year, 'YYYY-MM..YYYY-MM' otherwise.
 */
export function accountingYearOf(def: TariffDefinition, period: string): { key: string; firstPeriod: string; lastPeriod: string } {
  const { year, month } = parsePeriod(period);
  if (def.accounting.period === 'month') return { key: period, firstPeriod: period, lastPeriod: period };
  const start = def.accounting.startMonth;
  const firstPeriod = `${month >= start ? year : year - 1}-${pad2(start)}`;
  parsePeriod(firstPeriod);
  const lastPeriod = addMonths(firstPeriod, 11);
  return { key: start === 1 ? firstPeriod.slice(0, 4) : `${firstPeriod}..${lastPeriod}`, firstPeriod, lastPeriod };
}

const byEffectiveFrom = (a: TariffVersion, b: TariffVersion) =>
  a.effectiveFrom < b.effectiveFrom ? -1 : a.effectiveFrom > b.effectiveFrom ? 1 : a.version - b.version;

/** The version in force on `day`: the latest with effectiveFrom ≤ day (undefined before the first). */
export function versionInForce(versions: TariffVersion[], day: string): TariffVersion | undefined {
  if (!isDate(day)) throw new RangeError(`day must be a date YYYY-MM-DD, got '${String(day)}'`);
  let found: TariffVersion | undefined;
  for (const v of [...versions].sort(byEffectiveFrom)) if (v.effectiveFrom <= day) found = v;
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Pricing

/** The litres (from, from + volume] split at the bounds: [{ tier, volumeL }] with volumeL > 0. */
export function splitByTier(bounds: bigint[], from: bigint, volumeL: bigint): { tier: number; volumeL: bigint }[] {
  const parts: { tier: number; volumeL: bigint }[] = [];
  const end = from + volumeL;
  let pos = from;
  for (let t = 0; t <= bounds.length && pos < end; t++) {
    const upper = t < bounds.length ? bounds[t]! : end;
    if (pos < upper) {
      const top = upper < end ? upper : end;
      parts.push({ tier: t + 1, volumeL: top - pos });
      pos = top;
    }
  }
  return parts;
}

/** One line's amount: divRound(volumeL × priceUnits × shareBp, 10^9, rounding). */
export function lineAmount(volumeL: bigint, priceUnits: bigint, shareBp: number, rounding: Rounding): bigint {
  assertBigint(volumeL, 'volumeL');
  assertBigint(priceUnits, 'priceUnits');
  return divRound(volumeL * priceUnits * BigInt(shareBp), LINE_DIVISOR, rounding);
}

function checkInput(input: PriceInput): void {
  assertBigint(input.volumeL, 'volumeL');
  assertBigint(input.cumulativeBeforeL, 'cumulativeBeforeL');
  if (input.volumeL < 0n) throw new RangeError('volumeL must be ≥ 0');
  if (input.cumulativeBeforeL < 0n) throw new RangeError('cumulativeBeforeL must be ≥ 0');
  if (!isDate(input.periodStart) || !isDate(input.periodEnd)) throw new RangeError('periodStart and periodEnd must be dates YYYY-MM-DD');
  if (daysBetween(input.periodStart, input.periodEnd) <= 0) throw new RangeError('periodEnd must be after periodStart');
  for (const v of input.versions) {
    if (!isDate(v.effectiveFrom)) throw new RangeError(`tariff version ${v.version}: effectiveFrom '${v.effectiveFrom}' is not a date`);
  }
}

/**
 * Price `volumeL` litres consumed over [periodStart, periodEnd), after `cumulativeBeforeL` litres of the same
 * accounting period. One line per version segment × component × tier segment (in that order), each rounded
 * once; zero volume gives no lines and 0 fen. Throws `RangeError` if no version is in force on periodStart.
 */
export function priceVolume(input: PriceInput): PriceResult {
  checkInput(input);
  const { periodStart, periodEnd, volumeL, cumulativeBeforeL, householdSize } = input;
  const versions = [...input.versions].sort(byEffectiveFrom);

  // Version segments over the days of the period.
  const first = versionInForce(versions, periodStart);
  if (!first) throw new RangeError(`no tariff version is in force on ${periodStart}`);
  const cuts: { from: string; version: TariffVersion }[] = [{ from: periodStart, version: first }];
  for (const v of versions) {
    if (v.effectiveFrom > periodStart && v.effectiveFrom < periodEnd) {
      const last = cuts[cuts.length - 1]!;
      if (last.from === v.effectiveFrom) last.version = v; // same day: the later version wins
      else cuts.push({ from: v.effectiveFrom, version: v });
    }
  }
  const totalDays = BigInt(daysBetween(periodStart, periodEnd));
  let shared = 0n;
  const segments: (PriceSegment & { definition: TariffDefinition })[] = cuts.map((cut, i) => {
    const to = i + 1 < cuts.length ? cuts[i + 1]!.from : periodEnd;
    const days = BigInt(daysBetween(cut.from, to));
    const segmentVolume = i + 1 < cuts.length ? (volumeL * days) / totalDays : volumeL - shared;
    shared += segmentVolume;
    return { version: cut.version.version, from: cut.from, to, volumeL: segmentVolume, definition: cut.version.definition };
  });

  const lines: PricedLine[] = [];
  let cumulative = cumulativeBeforeL;
  for (const segment of segments) {
    const def = segment.definition;
    assertDefinition(def, segment.version);
    const parts = splitByTier(tierBoundsFor(def, householdSize), cumulative, segment.volumeL);
    for (const component of def.components) {
      const flat = component.prices.length === 1;
      const componentParts = flat ? (segment.volumeL > 0n ? [{ tier: 1, volumeL: segment.volumeL }] : []) : parts;
      for (const part of componentParts) {
        const priceUnits = BigInt(component.prices[part.tier - 1]!);
        lines.push({
          component: component.code,
          componentName: { 'zh-CN': component.name['zh-CN'], en: component.name.en },
          tier: part.tier,
          version: segment.version,
          volumeL: part.volumeL,
          chargedL: divRound(part.volumeL * BigInt(component.shareBp), BigInt(FULL_SHARE_BP), def.rounding),
          priceUnits,
          shareBp: component.shareBp,
          amountFen: lineAmount(part.volumeL, priceUnits, component.shareBp, def.rounding),
        });
      }
    }
    cumulative += segment.volumeL;
  }

  let amountFen = 0n;
  for (const line of lines) amountFen += line.amountFen;
  return {
    lines,
    amountFen,
    volumeL,
    cumulativeAfterL: cumulativeBeforeL + volumeL,
    segments: segments.map(({ version, from, to, volumeL: v }) => ({ version, from, to, volumeL: v })),
  };
}

/**
 * What `volumeL` litres would cost on `today` (a counter's or customer's quote, 水费试算), after
 * `cumulativeBeforeL` litres of the accounting period: the single version in force on `today`, plus the tier
 * of the last litre.
 */
export function quote(
  versions: TariffVersion[],
  today: string,
  volumeL: bigint,
  cumulativeBeforeL: bigint,
  householdSize: number,
): QuoteResult {
  const version = versionInForce(versions, today);
  if (!version) throw new RangeError(`no tariff version is in force on ${today}`);
  const result = priceVolume({ versions: [version], periodStart: today, periodEnd: addDays(today, 1), volumeL, cumulativeBeforeL, householdSize });
  const tier = tierOfLitre(tierBoundsFor(version.definition, householdSize), result.cumulativeAfterL);
  return { ...result, tier, version: version.version };
}
