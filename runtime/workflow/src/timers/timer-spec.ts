import { ISOInterval, getDate } from '@0dep/piso';
import { evaluateFeel, toExpr } from '../feel/expression.js';

/** The three BPMN timer definitions, named as in Zeebe's modeler. */
export type TimerKind = 'duration' | 'date' | 'cycle';

export interface TimerSpec {
  kind: TimerKind;
  /** The attribute text as modelled: ISO 8601 text, or a FEEL expression starting with `=`. */
  expression: string;
}

export interface TimerSchedule {
  dueAt: Date;
  /** Cycles only: firings still to come, this one included; absent for an unbounded `R/…`. */
  repetitionsLeft?: number;
  /** Cycles only: the ISO 8601 duration between firings. */
  interval?: string;
}

export class TimerSpecError extends Error {
  override readonly name = 'TimerSpecError';
}

/**
 * Due time of a timer whose value is already resolved to text.
 * `repetitionsLeft` carries a running cycle's remaining count into its next firing.
 */
export function scheduleTimer(kind: TimerKind, text: string, now: Date, repetitionsLeft?: number): TimerSchedule {
  const value = text.trim();
  if (!value) throw new TimerSpecError(`empty timer ${kind}`);
  try {
    switch (kind) {
      case 'date': {
        const dueAt = getDate(value);
        if (Number.isNaN(dueAt.getTime())) throw new TimerSpecError(`"${value}" is not an ISO 8601 date-time`);
        return { dueAt };
      }
      case 'duration': {
        if (!/^-?P/i.test(value)) throw new TimerSpecError(`"${value}" is not an ISO 8601 duration`);
        const parsed = new ISOInterval(value).parse();
        return { dueAt: parsed.getExpireAt(now, now) };
      }
      case 'cycle': {
        if (!/^R\d*\//i.test(value)) {
          throw new TimerSpecError(`"${value}" is not an ISO 8601 repeating interval (R[n]/…); cron cycles are not supported`);
        }
        const parsed = new ISOInterval(value).parse();
        const interval = parsed.duration?.toISOString();
        // An explicit start in the future is the first firing, as Zeebe schedules it.
        const start = parsed.start ? parsed.startDate : undefined;
        const dueAt = start && start.getTime() > now.getTime() ? start : parsed.getExpireAt(now, now);
        const total = parsed.repeat === undefined || parsed.repeat < 0 ? undefined : parsed.repeat;
        const left = repetitionsLeft ?? total;
        return { dueAt, ...(left !== undefined && { repetitionsLeft: left }), ...(interval && { interval }) };
      }
    }
  } catch (cause) {
    if (cause instanceof TimerSpecError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new TimerSpecError(`invalid timer ${kind} "${value}": ${reason}`);
  }
}

/** Deploy-time check of a static timer value; FEEL values are checked when they are evaluated. */
export function timerSyntaxError(kind: TimerKind, text: string): string | undefined {
  try {
    scheduleTimer(kind, text, new Date(0));
    return undefined;
  } catch (cause) {
    return cause instanceof Error ? cause.message : String(cause);
  }
}

/**
 * Resolves a timer value that may be FEEL to the text that `scheduleTimer` understands.
 * FEEL temporal results arrive as ISO text (see toPlainJson).
 */
export function resolveTimerText(expression: string, variables: Record<string, unknown>): string {
  const expr = toExpr(expression);
  if (expr.kind === 'static') return expr.text;
  const value = evaluateFeel(expr.source, variables);
  if (typeof value !== 'string') {
    throw new TimerSpecError(`timer expression "${expr.source}" evaluated to ${JSON.stringify(value)}, expected ISO 8601 text or a temporal value`);
  }
  return value;
}

/**
 * First due time of a timer start event, for the shell's scheduler; undefined for a date that
 * has already passed (it never fires, as on Zeebe). Timer start events have no instance yet, so
 * a FEEL value sees no variables. Throws TimerSpecError for a value that is not a timer.
 */
export function firstDueAt(spec: TimerSpec, now: Date = new Date()): TimerSchedule | undefined {
  const schedule = scheduleTimer(spec.kind, resolveTimerText(spec.expression, {}), now);
  if (spec.kind === 'date' && schedule.dueAt.getTime() < now.getTime()) return undefined;
  return schedule;
}

/**
 * After a cycle timer fired at `previousDue`: when it fires next, keeping its phase, and how many
 * firings are left (`repetitionsLeft` counts the one that just fired; null/undefined = unbounded).
 * Undefined when the cycle is used up. Firings missed while the runtime was down are skipped:
 * the overdue one fired once, the next one is the first after `now`.
 */
export function nextCycleDueAt(
  previousDue: Date,
  interval: string,
  repetitionsLeft: number | null | undefined,
  now: Date = new Date(),
): { dueAt: Date; repetitionsLeft?: number } | undefined {
  const left = repetitionsLeft === null || repetitionsLeft === undefined ? undefined : repetitionsLeft - 1;
  if (left !== undefined && left <= 0) return undefined;
  let dueAt = scheduleTimer('duration', interval, previousDue).dueAt;
  if (dueAt.getTime() <= previousDue.getTime()) throw new TimerSpecError(`cycle interval "${interval}" does not move time forward`);
  while (dueAt.getTime() <= now.getTime()) dueAt = scheduleTimer('duration', interval, dueAt).dueAt;
  return { dueAt, ...(left !== undefined && { repetitionsLeft: left }) };
}
