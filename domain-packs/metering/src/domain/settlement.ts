/**
 * Settling one meter for one period (结算): the period's end reading and its volume.
 *
 * Volumes are integer litres (`bigint`); times are UTC instants; a period is [periodStart, periodEnd).
 *
 * Rules, in order:
 * 1. Meter chain. The opening (上期止码, or the initial reading at installation) starts the first
 *    segment. Each swap (换表) ends a segment at the old meter's final reading and starts the next
 *    at the new meter's initial reading. Volume = Σ segment volumes, e.g. with one swap
 *    (oldFinalL − opening) + (end − newInitialL). Each segment is computed on its own by
 *    `registerDelta` (roll-over and negative rules there); the capacity applies to every meter.
 * 2. End reading (本期止码) = the latest reading r with
 *      periodEnd − endToleranceMs ≤ r.at < periodEnd,
 *    r.at ≥ opening.at (a reading at the opening instant is the opening itself or a freeze at period
 *    start after an estimated close), and r.at > the last swap's instant when there was a swap
 *    (at the swap instant the register is ambiguous; the swap record carries both values).
 *    Readings before the opening and at or after periodEnd are ignored.
 *    Ties on the instant: a 'correction' beats any other source, otherwise the later in the input.
 *    Source: 'remote' → 'remote'; 'hand', 'import' and 'correction' → 'hand'.
 *    Stored 'estimate' readings are not measurements: one is used (source 'estimated') only when
 *    no measured reading is in the window.
 * 3. No end reading: from the last known register state — the latest measured reading of the
 *    current meter before periodEnd, else the opening or the last swap's new initial reading —
 *    estimate (估抄) endL = base + averageDailyL × days, days = whole days from the base's instant
 *    to periodEnd rounded down (`daysBetween`; on the local wall clock when `timeZone` is given).
 *    With a capacity, endL wraps: endL = (base + averageDailyL × days) mod capacity.
 *    Source 'estimated', flag 'estimated', endAt = periodEnd.
 * 4. No end reading and no average: endL = base (no extrapolation), source 'missing', flag
 *    'missing', endAt = the base's instant. With no reading since the opening or swap the last
 *    segment's volume is 0; earlier segments across swaps keep their measured volumes.
 */
import { daysBetween } from './periods.js';
import { registerDelta } from './register.js';

/** Where a reading came from. 'import' is a batch upload of hand readings; 'correction' fixes one. */
export type ReadingSource = 'remote' | 'hand' | 'import' | 'estimate' | 'correction';

/** One reading of a meter's cumulative register (读数), in litres. */
export interface MeterReading {
  at: Date;
  valueL: bigint;
  source: ReadingSource;
}

/** A meter swap (换表): the old meter's final reading and the new meter's initial reading. */
export interface MeterSwap {
  at: Date;
  oldFinalL: bigint;
  newInitialL: bigint;
}

/** Everything needed to settle one meter for one period. */
export interface SettleInput {
  /** Period start, inclusive. */
  periodStart: Date;
  /** Period end, exclusive. */
  periodEnd: Date;
  /** The previous settlement's end reading, or the meter's initial reading at installation. */
  opening: { valueL: bigint; at: Date; source: ReadingSource };
  /** Valid readings of the meter (all sources); may include ones before periodStart or the opening. */
  readings: readonly MeterReading[];
  /** Swaps inside the period, strictly in time order, none before the opening. */
  swaps: readonly MeterSwap[];
  /** Register capacity in litres (5 integer digits of m³ → 100_000_000n); null if unknown. */
  capacityL: bigint | null;
  /** Average daily consumption in litres from history, for estimating; null with no history. */
  averageDailyL: bigint | null;
  /** How long before periodEnd a reading still counts as the period's end reading. */
  endToleranceMs: number;
  /** IANA zone: when given, estimate days are counted on its local wall clock (DST-safe). */
  timeZone?: string;
}

/** Flags on a settlement; 'swap' marks a period with at least one meter swap. */
export type SettleFlag = 'swap' | 'estimated' | 'missing' | 'rollover' | 'negative';

/** One meter's stretch of the period. */
export interface SettleSegment {
  fromL: bigint;
  toL: bigint;
  volumeL: bigint;
  /** 'old': the meter in place at the opening; 'new': a meter installed during the period. */
  meter: 'old' | 'new';
  /** 0 for the meter at the opening, k for the meter installed by the k-th swap. */
  meterIndex: number;
  rolledOver: boolean;
}

/** The settlement of one meter for one period. */
export interface SettleResult {
  /** The opening reading. */
  startL: bigint;
  /** The end reading of the meter in place at the end (measured, estimated, or last known). */
  endL: bigint;
  /** Σ segment volumes; negative only with flag 'negative'. */
  volumeL: bigint;
  /** Source of the end reading. */
  source: 'remote' | 'hand' | 'estimated' | 'missing';
  endAt: Date;
  rolledOver: boolean;
  segments: SettleSegment[];
  flags: SettleFlag[];
}

interface EndReading {
  valueL: bigint;
  at: Date;
  source: SettleResult['source'];
}

const FLAG_ORDER: readonly SettleFlag[] = ['swap', 'estimated', 'missing', 'rollover', 'negative'];

/** Settle one meter for one period; see the rules at the top of this file. */
export function settleMeter(input: SettleInput): SettleResult {
  assertInput(input);
  const { opening, swaps, capacityL } = input;
  const segments: SettleSegment[] = [];
  let fromL = opening.valueL;
  let fromAt = opening.at;
  swaps.forEach((swap, i) => {
    segments.push(segment(fromL, swap.oldFinalL, i, capacityL));
    fromL = swap.newInitialL;
    fromAt = swap.at;
  });
  const afterSwap = swaps.length > 0;
  const end = endReading(input, fromL, fromAt, afterSwap);
  segments.push(segment(fromL, end.valueL, swaps.length, capacityL));

  const volumeL = segments.reduce((sum, s) => sum + s.volumeL, 0n);
  const rolledOver = segments.some((s) => s.rolledOver);
  const present = new Set<SettleFlag>();
  if (afterSwap) present.add('swap');
  if (end.source === 'estimated') present.add('estimated');
  if (end.source === 'missing') present.add('missing');
  if (rolledOver) present.add('rollover');
  if (segments.some((s) => s.volumeL < 0n)) present.add('negative');
  return {
    startL: opening.valueL,
    endL: end.valueL,
    volumeL,
    source: end.source,
    endAt: end.at,
    rolledOver,
    segments,
    flags: FLAG_ORDER.filter((f) => present.has(f)),
  };
}

/**
 * The delta a late correction of a closed period posts into the open period (补差/调整量):
 * corrected.volumeL − settled.volumeL (positive: bill more; negative: credit).
 */
export function adjustmentFor(settled: { volumeL: bigint }, corrected: { volumeL: bigint }): bigint {
  return corrected.volumeL - settled.volumeL;
}

function segment(fromL: bigint, toL: bigint, meterIndex: number, capacityL: bigint | null): SettleSegment {
  const delta = registerDelta(fromL, toL, capacityL);
  return {
    fromL,
    toL,
    volumeL: delta.volumeL,
    meter: meterIndex === 0 ? 'old' : 'new',
    meterIndex,
    rolledOver: delta.rolledOver,
  };
}

/** Later wins; on the same instant a correction wins, otherwise the later in the input. */
function latest(readings: readonly MeterReading[]): MeterReading | undefined {
  let best: MeterReading | undefined;
  for (const r of readings) {
    if (!best || r.at.getTime() > best.at.getTime()) best = r;
    else if (r.at.getTime() === best.at.getTime()) {
      if (r.source === 'correction' || best.source !== 'correction') best = r;
    }
  }
  return best;
}

function endReading(input: SettleInput, fromL: bigint, fromAt: Date, afterSwap: boolean): EndReading {
  const endMs = input.periodEnd.getTime();
  const windowStart = endMs - input.endToleranceMs;
  const from = fromAt.getTime();
  const ofCurrentMeter = input.readings.filter((r) => {
    const at = r.at.getTime();
    return at < endMs && (afterSwap ? at > from : at >= from);
  });
  const inWindow = ofCurrentMeter.filter((r) => r.at.getTime() >= windowStart);
  const measured = latest(inWindow.filter((r) => r.source !== 'estimate'));
  if (measured) {
    return { valueL: measured.valueL, at: measured.at, source: measured.source === 'remote' ? 'remote' : 'hand' };
  }
  const stored = latest(inWindow.filter((r) => r.source === 'estimate'));
  if (stored) return { valueL: stored.valueL, at: stored.at, source: 'estimated' };

  const last = latest(ofCurrentMeter.filter((r) => r.source !== 'estimate'));
  const base = last ? { valueL: last.valueL, at: last.at } : { valueL: fromL, at: fromAt };
  if (input.averageDailyL === null) return { ...base, source: 'missing' };
  const days = BigInt(daysBetween(base.at, input.periodEnd, input.timeZone));
  let valueL = base.valueL + input.averageDailyL * days;
  if (input.capacityL !== null && valueL >= input.capacityL) valueL %= input.capacityL;
  return { valueL, at: input.periodEnd, source: 'estimated' };
}

function assertInput(input: SettleInput): void {
  const start = input.periodStart.getTime();
  const end = input.periodEnd.getTime();
  const fail = (why: string): never => {
    throw new RangeError(`settleMeter: ${why}`);
  };
  if (!(start < end)) fail('periodStart must be before periodEnd');
  if (!Number.isFinite(input.endToleranceMs) || input.endToleranceMs < 0) {
    fail('endToleranceMs must be a finite number ≥ 0');
  }
  if (input.capacityL !== null && input.capacityL <= 0n) fail('capacityL must be positive');
  if (input.averageDailyL !== null && input.averageDailyL < 0n) fail('averageDailyL must be ≥ 0');
  const openingAt = input.opening.at.getTime();
  if (!(openingAt < end)) fail('opening must be before periodEnd');
  if (input.opening.valueL < 0n) fail('opening reading must be ≥ 0');
  let previous = Math.max(start, openingAt);
  input.swaps.forEach((swap, i) => {
    const at = swap.at.getTime();
    if (!(at < end) || !(at >= previous) || (i > 0 && at === previous)) {
      fail(`swap ${i} must be inside the period, after the opening and after the previous swap`);
    }
    if (swap.oldFinalL < 0n || swap.newInitialL < 0n) fail(`swap ${i} readings must be ≥ 0`);
    previous = at;
  });
  for (const r of input.readings) {
    if (Number.isNaN(r.at.getTime())) fail('reading with an invalid date');
    if (r.valueL < 0n) fail('readings must be ≥ 0');
  }
}
