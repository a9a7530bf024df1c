import { describe, expect, it } from 'vitest';
import { DEFAULT_DUNNING, dueSteps, dunningSchedule } from './dunning.js';

describe('dunningSchedule', () => {
  it('accepts the default and an empty schedule', () => {
    expect(dunningSchedule.parse(DEFAULT_DUNNING)).toEqual(DEFAULT_DUNNING);
    expect(dunningSchedule.parse([])).toEqual([]);
  });

  it('refuses steps out of order, unknown or repeated channels', () => {
    const messages = (value: unknown) => (dunningSchedule.safeParse(value).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(
      messages([
        { step: 1, daysOverdue: 10, channels: ['sms'] },
        { step: 2, daysOverdue: 10, channels: ['sms'] },
      ]),
    ).toEqual(['1.daysOverdue: each step must come more days overdue than the one before']);
    expect(
      messages([
        { step: 2, daysOverdue: 1, channels: ['sms'] },
        { step: 1, daysOverdue: 10, channels: ['sms'] },
      ]),
    ).toEqual(['1.step: steps must be numbered in ascending order']);
    expect(messages([{ step: 1, daysOverdue: 1, channels: [] }])).toEqual(['0.channels: a step needs at least one channel (inapp, sms, wechat)']);
    expect(messages([{ step: 1, daysOverdue: 1, channels: ['sms', 'sms'] }])).toEqual(['0.channels: a channel is named twice']);
    expect(messages([{ step: 1, daysOverdue: 1, channels: ['email'] }])).toHaveLength(1);
    expect(messages([{ step: 1, daysOverdue: -1, channels: ['sms'] }])).toEqual(['0.daysOverdue: daysOverdue: 0..3650 days']);
  });
});

describe('dueSteps', () => {
  it('answers the steps whose days overdue have passed', () => {
    const steps = (asOf: string) => dueSteps(DEFAULT_DUNNING, '2026-03-31', asOf).map((s) => s.step);
    expect(steps('2026-03-30')).toEqual([]);
    expect(steps('2026-03-31')).toEqual([]); // due today: not overdue yet
    expect(steps('2026-04-01')).toEqual([1]); // 1 day overdue
    expect(steps('2026-04-14')).toEqual([1]);
    expect(steps('2026-04-15')).toEqual([1, 2]); // 15 days
    expect(steps('2026-04-30')).toEqual([1, 2, 3]); // 30 days
    expect(dueSteps([], '2026-01-01', '2026-12-31')).toEqual([]);
    expect(dueSteps([{ step: 1, daysOverdue: 0, channels: ['inapp'] }], '2026-03-31', '2026-03-31')).toHaveLength(1);
    expect(() => dueSteps(DEFAULT_DUNNING, '2026-02-30', '2026-04-01')).toThrow(RangeError);
  });
});
