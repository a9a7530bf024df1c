/**
 * 催费 (dunning): the steps of reminders an account in arrears gets, by days overdue of its oldest unpaid
 * charge. A schedule is a list of steps, strictly ascending in step number and days overdue; a step is due
 * once the oldest unpaid charge is `daysOverdue` days past its due date (asOf − dueDate ≥ daysOverdue; 0 =
 * on the due date). An empty schedule sends nothing.
 */
import { z } from 'zod';
import { daysBetween, isDate } from './dates.js';

export type DunningChannel = 'inapp' | 'sms' | 'wechat';
export const DUNNING_CHANNELS = ['inapp', 'sms', 'wechat'] as const satisfies readonly DunningChannel[];

export interface DunningStep {
  step: number;
  daysOverdue: number;
  channels: DunningChannel[];
}

export const dunningStep = z.object({
  step: z.number().int().min(1, 'step: 1, 2, 3 …').max(100),
  daysOverdue: z.number().int().min(0, 'daysOverdue: 0..3650 days').max(3650, 'daysOverdue: 0..3650 days'),
  channels: z
    .array(z.enum(DUNNING_CHANNELS))
    .min(1, 'a step needs at least one channel (inapp, sms, wechat)')
    .refine((c) => new Set(c).size === c.length, 'a channel is named twice'),
});

export const dunningSchedule = z
  .array(dunningStep)
  .max(20, 'at most 20 steps')
  .superRefine((steps, ctx) => {
    for (let i = 1; i < steps.length; i++) {
      if (steps[i]!.step <= steps[i - 1]!.step) {
        ctx.addIssue({ code: 'custom', path: [i, 'step'], message: 'steps must be numbered in ascending order' });
      }
      if (steps[i]!.daysOverdue <= steps[i - 1]!.daysOverdue) {
        ctx.addIssue({ code: 'custom', path: [i, 'daysOverdue'], message: 'each step must come more days overdue than the one before' });
      }
    }
  });

/** A sensible default: in-app at 1 day overdue, SMS at 15, SMS and WeChat at 30. */
export const DEFAULT_DUNNING: DunningStep[] = [
  { step: 1, daysOverdue: 1, channels: ['inapp'] },
  { step: 2, daysOverdue: 15, channels: ['inapp', 'sms'] },
  { step: 3, daysOverdue: 30, channels: ['inapp', 'sms', 'wechat'] },
];

/** The steps due by `asOf` for arrears whose oldest unpaid charge was due on `oldestDueDate`, in step order. */
export function dueSteps(schedule: DunningStep[], oldestDueDate: string, asOf: string): DunningStep[] {
  if (!isDate(oldestDueDate) || !isDate(asOf)) throw new RangeError('oldestDueDate and asOf must be dates YYYY-MM-DD');
  const overdue = daysBetween(oldestDueDate, asOf);
  return [...schedule].sort((a, b) => a.step - b.step).filter((s) => s.daysOverdue <= overdue);
}
