import { Cron } from 'croner';

/** Why a cron expression cannot be scheduled. */
export type CronFault = { code: 'cron_invalid'; detail: string } | { code: 'cron_never_fires' };

/**
 * A schedule's cron: five fields (minute hour day-of-month month day-of-week, with names, ranges, lists,
 * steps and the `@daily`-style nicknames), read by croner in the schedule's time zone. Seconds are not
 * allowed: reports run at most once a minute.
 */
function parse(cron: string, timeZone: string): Cron {
  return new Cron(cron, { timezone: timeZone, mode: '5-part', paused: true });
}

/** The first time the cron fires strictly after `after`, in `timeZone`; null when it never does again. */
export function nextCronRun(cron: string, timeZone: string, after: Date): Date | null {
  try {
    return parse(cron, timeZone).nextRun(after) ?? null;
  } catch {
    return null;
  }
}

/** The fault of a cron expression, or undefined when it fires after `now` (a Feb 30 never does). */
export function cronFault(cron: string, timeZone: string, now: Date): CronFault | undefined {
  let job: Cron;
  try {
    job = parse(cron, timeZone);
  } catch (error) {
    return { code: 'cron_invalid', detail: (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, '') };
  }
  return job.nextRun(now) ? undefined : { code: 'cron_never_fires' };
}
