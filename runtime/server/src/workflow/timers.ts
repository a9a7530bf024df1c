import { asSystem, type Db, queryRows, type Tx, workflowDefinitions, workflowTimers } from '@shuiyun/db';
import { nextCycleDueAt } from '@shuiyun/workflow';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { InstanceRunner } from './instance-runner.js';

interface DueTimer {
  id: number;
  instance_id: number | null;
  definition_id: number;
  key: string;
  element_id: string;
  due_at: Date | string;
  repetitions_left: number | null;
  interval: string | null;
}

export interface TimerSchedulerOptions {
  db: Db;
  runner: InstanceRunner;
  logger: Logger;
  /** Longest sleep between two looks at the timer table. Default 1000 ms. */
  tickMs?: number;
  now?: () => Date;
}

const BATCH = 100;

/**
 * Fires due timers: an instance's timer (intermediate, boundary) is applied to its instance; a start
 * timer starts a new instance of its definition and is moved to its next cycle. Each timer fires in one
 * transaction with the step it causes (deleted or moved in the same commit), so a timer fires once even
 * when the runtime dies in between or several nodes look at once (`for update skip locked`). Timers
 * that fell due while the runtime was down fire on the first tick after start.
 */
export class TimerScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Not started: timers fire only when the owner calls fireDue (tests on a moved clock). */
  private started = false;
  private wakeAt = Number.POSITIVE_INFINITY;

  constructor(private readonly options: TimerSchedulerOptions) {}

  private get now(): Date {
    return this.options.now?.() ?? new Date();
  }

  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /** A timer due at `at` was created: wake up then if that is sooner than planned (once started). */
  dueAt(at: Date): void {
    if (!this.started) return;
    const delay = Math.max(0, at.getTime() - this.now.getTime());
    if (Date.now() + delay < this.wakeAt) this.schedule(delay);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const tick = this.options.tickMs ?? 1_000;
    const delay = Math.min(delayMs, tick);
    this.wakeAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.running = this.fireDue()
        .then(() => undefined)
        .catch((err: unknown) => this.options.logger.error({ err }, 'firing workflow timers failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule(tick);
        });
    }, delay);
    this.timer.unref();
  }

  /** Fires every timer due now; returns how many fired. Exposed for tests that move the clock. */
  async fireDue(): Promise<number> {
    let fired = 0;
    for (;;) {
      const batch = await asSystem(this.options.db, async (tx) => {
        const due = await queryRows<DueTimer>(
          tx,
          sql`select id::int as id, instance_id::int as instance_id, definition_id::int as definition_id, key, element_id, due_at, repetitions_left, interval
              from workflow_timers where due_at <= ${this.now.toISOString()}::timestamptz order by due_at, id limit ${BATCH} for update skip locked`,
        );
        for (const timer of due) await this.fire(tx, timer);
        return due.length;
      });
      fired += batch;
      if (batch < BATCH || this.stopped) return fired;
    }
  }

  private async fire(tx: Tx, timer: DueTimer): Promise<void> {
    const { runner, logger } = this.options;
    if (timer.instance_id !== null) {
      await tx.delete(workflowTimers).where(eq(workflowTimers.id, timer.id));
      try {
        // A savepoint: an instance that cannot take the timer must not undo the other timers of the batch.
        await tx.transaction((sp) => runner.apply(sp, timer.instance_id!, { type: 'timer', key: timer.key }));
      } catch (err) {
        logger.warn({ err, timer: timer.id, instance: timer.instance_id }, 'a due timer met an instance that no longer waits for it');
      }
      return;
    }
    const [definition] = await tx.select().from(workflowDefinitions).where(eq(workflowDefinitions.id, timer.definition_id));
    const next = timer.interval ? nextCycleDueAt(new Date(timer.due_at), timer.interval, timer.repetitions_left, this.now) : undefined;
    if (next) await tx.update(workflowTimers).set({ dueAt: next.dueAt, repetitionsLeft: next.repetitionsLeft ?? null }).where(eq(workflowTimers.id, timer.id));
    else await tx.delete(workflowTimers).where(eq(workflowTimers.id, timer.id));
    if (definition) await runner.start(tx, { definition, variables: {}, startElementId: timer.element_id });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
