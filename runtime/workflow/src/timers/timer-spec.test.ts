import { describe, expect, it } from 'vitest';
import { firstDueAt, nextCycleDueAt, scheduleTimer, TimerSpecError, timerSyntaxError } from './timer-spec.js';

const now = new Date('2025-01-01T00:00:00Z');

describe('timer specs', () => {
  it('schedules durations, dates and cycles from the given clock', () => {
    expect(scheduleTimer('duration', 'PT90M', now)).toEqual({ dueAt: new Date('2025-01-01T01:30:00Z') });
    expect(scheduleTimer('duration', 'P1M', now)).toEqual({ dueAt: new Date('2025-02-01T00:00:00Z') });
    expect(scheduleTimer('date', '2025-03-01T10:00:00+08:00', now)).toEqual({ dueAt: new Date('2025-03-01T02:00:00Z') });
    expect(scheduleTimer('cycle', 'R3/PT10M', now)).toEqual({ dueAt: new Date('2025-01-01T00:10:00Z'), repetitionsLeft: 3, interval: 'PT10M' });
    expect(scheduleTimer('cycle', 'R/PT1H', now)).toEqual({ dueAt: new Date('2025-01-01T01:00:00Z'), interval: 'PT1H' });
    // A cycle with a start in the future first fires at its start.
    expect(scheduleTimer('cycle', 'R2/2025-01-05T08:00:00Z/P1D', now).dueAt).toEqual(new Date('2025-01-05T08:00:00Z'));
  });

  it('explains what is wrong with a value', () => {
    expect(timerSyntaxError('duration', 'PT1X')).toMatch(/PT1X/);
    expect(timerSyntaxError('duration', 'R3/PT1H')).toMatch(/not an ISO 8601 duration/);
    expect(timerSyntaxError('date', 'tomorrow')).toMatch(/tomorrow/);
    expect(timerSyntaxError('cycle', '0 0 9 * * MON')).toMatch(/cron cycles are not supported/);
    expect(timerSyntaxError('cycle', 'R5/PT30S')).toBeUndefined();
    expect(() => scheduleTimer('duration', '', now)).toThrow(TimerSpecError);
  });

  it('gives the shell the first due time of a timer start event', () => {
    expect(firstDueAt({ kind: 'cycle', expression: 'R/P1D' }, now)).toEqual({ dueAt: new Date('2025-01-02T00:00:00Z'), interval: 'P1D' });
    expect(firstDueAt({ kind: 'date', expression: '2024-12-31T00:00:00Z' }, now)).toBeUndefined();
    expect(firstDueAt({ kind: 'date', expression: '=date and time("2025-01-10T00:00:00Z")' }, now)).toEqual({ dueAt: new Date('2025-01-10T00:00:00Z') });
    expect(() => firstDueAt({ kind: 'date', expression: '=missing' }, now)).toThrow(TimerSpecError);
  });

  it('moves a cycle on, counting repetitions and skipping firings missed while down', () => {
    const fired = new Date('2025-01-01T08:00:00Z');
    expect(nextCycleDueAt(fired, 'P1D', null, fired)).toEqual({ dueAt: new Date('2025-01-02T08:00:00Z') });
    expect(nextCycleDueAt(fired, 'PT1H', 3, fired)).toEqual({ dueAt: new Date('2025-01-01T09:00:00Z'), repetitionsLeft: 2 });
    expect(nextCycleDueAt(fired, 'PT1H', 1, fired)).toBeUndefined();
    // Down for three days and a bit: the next firing keeps the phase and lies after now.
    expect(nextCycleDueAt(fired, 'P1D', undefined, new Date('2025-01-04T09:00:00Z'))).toEqual({ dueAt: new Date('2025-01-05T08:00:00Z') });
  });
});
