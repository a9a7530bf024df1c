import { z } from 'zod';
import { bigintAsString, decimalQuantity, formatMilli, milliPerHour } from '../exact-decimal.js';
import { formatTimeOfDay, localInstant, nextDate, timeOfDay, timeZoneName, wallClock } from '../local-time.js';
import { clear, iso, none, raise, type ObservedReading, type RuleKindDefinition, type Verdict } from '../rule-kind.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const continuousFlowParams = z
  .object({
    /**
     * An hour that uses less than this counts as "no flow" (~0). Real homes have many such hours at night;
     * a leak has none. The default is half the smallest leak worth a visit (10 L/h ≈ 240 L a day, a
     * running cistern) and above a dripping tap, so household noise and a leak still in its ramp-up do
     * not decide alone.
     */
    quietBelowLitresPerHour: decimalQuantity.prefault('5'),
    window: z
      .discriminatedUnion('mode', [
        /**
         * Only the night is judged (minimum night flow): the flow must stay at or above the quiet bound
         * throughout the window on `nights` nights in a row. Nights without enough data neither count nor
         * break the run.
         */
        z.object({
          mode: z.literal('night'),
          from: timeOfDay.prefault('02:00'),
          to: timeOfDay.prefault('05:00'),
          nights: z.int().min(1).max(31).default(3),
        }),
        /** Every hour of a rolling window of `hours` must carry flow: the meter-style "no quiet hour in 24 h". */
        z.object({ mode: z.literal('rolling'), hours: z.int().min(2).max(24 * 14).default(24) }),
      ])
      .prefault({ mode: 'night' }),
    /** Households' local time zone (IANA), for the night window. */
    timeZone: timeZoneName.default('Asia/Shanghai'),
    /** Length of the spans flow is measured over; readings closer together are combined into spans this long. */
    resolutionMinutes: z.int().min(5).max(360).default(60),
    /**
     * A span between readings longer than this proves nothing about continuity (a high average over six
     * hours may hide a quiet hour), so it counts as missing data. A low average over any span still
     * proves a quiet hour inside it.
     */
    maxGapHours: z.number().positive().max(24).default(3),
  })
  .refine((p) => p.window.mode !== 'night' || p.window.from !== p.window.to, { message: 'the night window is empty', path: ['window'] })
  .refine((p) => p.maxGapHours * 60 >= p.resolutionMinutes, { message: 'maxGapHours must be at least resolutionMinutes', path: ['maxGapHours'] });
export type ContinuousFlowParams = z.output<typeof continuousFlowParams>;

const point = z.object({ at: z.number(), milli: bigintAsString });

const continuousFlowState = z.object({
  /** Recent register readings, just enough to form the next span. */
  points: z.array(point),
  /** The night being judged (night mode). */
  night: z
    .object({
      key: z.string(),
      start: z.number(),
      end: z.number(),
      quiet: z.boolean(),
      coveredMs: z.number(),
      coveredUntil: z.number(),
      lastEnd: z.number(),
      minRate: bigintAsString.nullable(),
    })
    .nullable(),
  /** Consecutive nights with flow throughout (night mode). */
  streak: z.int().min(0),
  streakSince: z.number().nullable(),
  streakMinRate: bigintAsString.nullable(),
  /** Start of the current run of spans that all carried flow (rolling mode). */
  busySince: z.number().nullable(),
  busyMinRate: bigintAsString.nullable(),
});
type ContinuousFlowState = z.output<typeof continuousFlowState>;

/** Consumption between two register readings, judged against the quiet bound. */
interface FlowSpan {
  start: number;
  end: number;
  /** `quiet`: less than the bound per hour; `flowing`: at least it; `unknown`: too long, or the register ran back. */
  verdict: 'quiet' | 'flowing' | 'unknown';
  /** Mean flow over the span, thousandths of L/h. */
  rate: bigint;
}

/**
 * Leak suspicion (连续用水 / 夜间最小流量): the household's consumption never drops to about zero for an
 * hour — through every night window for several nights (default), or through a rolling number of hours.
 * Computed from `cumulative_volume` deltas only, so it works on any meter that reports its register.
 * Raised with the lowest hourly flow seen over the run (the leak rate's lower bound, since a leak flows
 * under all use); cleared by the first quiet hour in a judged window.
 */
export const continuousFlowRule: RuleKindDefinition<ContinuousFlowParams, ContinuousFlowState> = {
  kind: 'continuous_flow',
  defaultSeverity: 'warning',
  metrics: () => ['cumulative_volume'],
  initialState: () => ({ points: [], night: null, streak: 0, streakSince: null, streakMinRate: null, busySince: null, busyMinRate: null }),
  state: continuousFlowState,
  onReading(p, state, reading) {
    const span = nextSpan(p, state, reading);
    if (!span) return none;
    return p.window.mode === 'night' ? judgeNight(p, state, span) : judgeRolling(p, p.window.hours, state, span);
  },
};

function nextSpan(p: ContinuousFlowParams, state: ContinuousFlowState, reading: ObservedReading): FlowSpan | null {
  // Readings drift by seconds to minutes around their schedule: a span of 90 % of the resolution counts.
  const shortest = p.resolutionMinutes * MINUTE * 0.9;
  const latestStart = reading.at - shortest;
  let base: { at: number; milli: bigint } | undefined;
  for (let i = state.points.length - 1; i >= 0; i--) {
    if (state.points[i]!.at <= latestStart) {
      base = state.points[i];
      break;
    }
  }
  state.points.push({ at: reading.at, milli: reading.milli });
  // The oldest point is only needed while no later one is old enough to start a span for future readings.
  while (state.points.length >= 2 && state.points[1]!.at <= latestStart) state.points.shift();
  if (!base) return null;
  const duration = reading.at - base.at;
  const used = reading.milli - base.milli;
  const rate = used < 0n ? 0n : milliPerHour(used, duration);
  if (duration > p.maxGapHours * HOUR || used < 0n) return { start: base.at, end: reading.at, verdict: 'unknown', rate };
  // Exact: used / duration < bound / hour, cross-multiplied in bigint.
  const quiet = used * BigInt(HOUR) < p.quietBelowLitresPerHour * BigInt(duration);
  return { start: base.at, end: reading.at, verdict: quiet ? 'quiet' : 'flowing', rate };
}

function minOf(a: bigint | null, b: bigint): bigint {
  return a === null || b < a ? b : a;
}

function quietDetail(span: FlowSpan) {
  return { quietFrom: iso(span.start), quietTo: iso(span.end), flowLitresPerHour: formatMilli(span.rate) };
}

function judgeRolling(p: ContinuousFlowParams, hours: number, state: ContinuousFlowState, span: FlowSpan): readonly Verdict[] {
  if (span.verdict === 'unknown') {
    state.busySince = null;
    state.busyMinRate = null;
    return none;
  }
  if (span.verdict === 'quiet') {
    state.busySince = null;
    state.busyMinRate = null;
    return [clear(span.end, quietDetail(span))];
  }
  state.busySince ??= span.start;
  state.busyMinRate = minOf(state.busyMinRate, span.rate);
  if (span.end - state.busySince < hours * HOUR) return none;
  return [
    raise(span.end, {
      mode: 'rolling',
      hours: String(hours),
      since: iso(state.busySince),
      minFlowLitresPerHour: formatMilli(state.busyMinRate),
      estimatedLossLitresPerDay: formatMilli(state.busyMinRate * 24n),
      quietBelowLitresPerHour: formatMilli(p.quietBelowLitresPerHour),
    }),
  ];
}

interface NightWindow {
  key: string;
  start: number;
  end: number;
}

/** The night window a span belongs to: the one holding the span's midpoint, if any. */
function nightOf(p: ContinuousFlowParams, window: { from: number; to: number }, instant: number): NightWindow | null {
  const local = wallClock(p.timeZone, instant);
  const wraps = window.from > window.to; // e.g. 23:00–04:00: the night is named by the date it ends on
  let key: string | null = null;
  if (!wraps) {
    if (local.minuteOfDay >= window.from && local.minuteOfDay < window.to) key = local.date;
  } else if (local.minuteOfDay >= window.from) {
    key = nextDate(local.date);
  } else if (local.minuteOfDay < window.to) {
    key = local.date;
  }
  if (key === null) return null;
  const end = localInstant(p.timeZone, key, window.to);
  const length = (wraps ? 1440 - window.from + window.to : window.to - window.from) * MINUTE;
  return { key, start: end - length, end };
}

function judgeNight(p: ContinuousFlowParams, state: ContinuousFlowState, span: FlowSpan): readonly Verdict[] {
  if (p.window.mode !== 'night') return none;
  const window = p.window;
  const verdicts: Verdict[] = [];
  const mid = span.start + (span.end - span.start) / 2;
  const night = nightOf(p, window, mid);
  if (state.night && (night ? night.key !== state.night.key : mid >= state.night.end)) verdicts.push(...closeNight(p, window, state));
  if (!night) return verdicts;
  state.night ??= { ...night, quiet: false, coveredMs: 0, coveredUntil: night.start, lastEnd: night.start, minRate: null };
  const current = state.night;
  if (span.verdict === 'quiet') {
    current.quiet = true;
    state.streak = 0;
    state.streakSince = null;
    state.streakMinRate = null;
    verdicts.push(clear(span.end, quietDetail(span)));
  } else if (span.verdict === 'flowing') {
    const from = Math.max(span.start, current.coveredUntil);
    const to = Math.min(span.end, current.end);
    if (to > from) current.coveredMs += to - from;
    current.coveredUntil = Math.max(current.coveredUntil, to);
    current.lastEnd = Math.max(current.lastEnd, span.end);
    current.minRate = minOf(current.minRate, span.rate);
  }
  if (span.end >= current.end) verdicts.push(...closeNight(p, window, state));
  return verdicts;
}

/** A night is judged once it is over: quiet (already cleared), flowing throughout, or not known. */
function closeNight(p: ContinuousFlowParams, window: { from: number; to: number; nights: number }, state: ContinuousFlowState): readonly Verdict[] {
  const night = state.night;
  state.night = null;
  if (!night || night.quiet || night.minRate === null) return none;
  // Two thirds of the window must be seen flowing; less is a night without a verdict (dropouts, outage).
  if (night.coveredMs * 3 < (night.end - night.start) * 2) return none;
  state.streak += 1;
  state.streakSince ??= night.start;
  state.streakMinRate = minOf(state.streakMinRate, night.minRate);
  if (state.streak < window.nights) return none;
  return [
    raise(Math.max(night.end, night.lastEnd), {
      mode: 'night',
      window: `${formatTimeOfDay(window.from)}–${formatTimeOfDay(window.to)} ${p.timeZone}`,
      nights: String(state.streak),
      since: iso(state.streakSince),
      minFlowLitresPerHour: formatMilli(state.streakMinRate),
      estimatedLossLitresPerDay: formatMilli(state.streakMinRate * 24n),
      quietBelowLitresPerHour: formatMilli(p.quietBelowLitresPerHour),
    }),
  ];
}
