import type { z } from 'zod';
import type { AlarmDetail, Severity } from './alarm-signal.js';

/** A reading the engine accepted: newer than every earlier reading of its metric on the device. */
export interface ObservedReading {
  metric: string;
  /** Epoch ms, UTC. */
  at: number;
  /** Thousandths of the metric's canonical unit. */
  milli: bigint;
}

export interface RuleContext {
  /** Latest instant the device was heard from (epoch ms), null before its first reading. */
  heardAt: number | null;
  /** The runtime's clock as of the latest `tick` (epoch ms), null before the first tick. */
  clock: number | null;
}

/** What a rule decides: the condition holds (raise) or has ended (clear), as of an instant (epoch ms). */
export type Verdict = { raise: number; detail: AlarmDetail } | { clear: number; detail: AlarmDetail };

/**
 * One kind of rule: its parameters, its per-device state and how readings and the clock move that state.
 * Rules are pure: they read the reading, the context and their own state, mutate only that state and
 * return verdicts. Whether a verdict becomes a signal (once per condition) is the engine's business.
 */
export interface RuleKindDefinition<Params, State> {
  kind: string;
  defaultSeverity: Severity;
  /** Metrics whose readings the rule is given. */
  metrics(params: Params): readonly string[];
  initialState(params: Params): State;
  /** Persisted state: `parse` reads JSON into state, `encode` writes state back to JSON-safe values. */
  state: z.ZodType<State>;
  onReading?(params: Params, state: State, reading: ObservedReading, context: RuleContext): readonly Verdict[];
  /** Once per `onReadings` call in which the device sent at least one new reading. */
  onHeard?(params: Params, state: State, heardAt: number, context: RuleContext): readonly Verdict[];
  onTick?(params: Params, state: State, now: number, context: RuleContext): readonly Verdict[];
}

export const none: readonly Verdict[] = [];

export function raise(at: number, detail: AlarmDetail): Verdict {
  return { raise: at, detail };
}

export function clear(at: number, detail: AlarmDetail): Verdict {
  return { clear: at, detail };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
