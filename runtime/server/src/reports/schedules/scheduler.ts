import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { asSystem, type Db, notifications, reportDeliveries, reportSchedules, reportTemplates, tenants, users } from '@shuiyun/db';
import { AppError, errorMessages, type Locale } from '@shuiyun/http';
import { ExportError, exportMediaTypes, runExport } from '@shuiyun/report-export';
import { ReportError } from '@shuiyun/reports';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { callerContext } from '../../http/context.js';
import type { PermissionModel } from '../../permissions/permission-model.js';
import { prepareExport } from '../export-routes.js';
import { runRequestSchema } from '../run.js';
import type { ReportService } from '../service.js';
import { newestTemplate } from '../store.js';
import { nextCronRun } from './cron.js';
import type { Mailer } from './mailer.js';
import { bilingual, scheduleMessage } from './messages.js';

export type ScheduleRow = typeof reportSchedules.$inferSelect;
export type DeliveryRow = typeof reportDeliveries.$inferSelect;

export interface ReportSchedulerOptions {
  db: Db;
  service: ReportService;
  permissions: PermissionModel;
  logger: Logger;
  /** Where the exports are kept (`<data dir>/report-deliveries/<tenant>/`), for the notifications' downloads. */
  dataDir: string;
  /** Absent when SMTP_URL is unset: e-mail recipients are refused on save, and a run cannot send any. */
  mailer: Mailer | undefined;
  /** How often the scheduler looks for due schedules. Default 30 s; 0 runs no background loop (tests call fireDue). */
  tickMs?: number | undefined;
}

/** Schedules claimed per transaction. */
const BATCH = 20;
const DEFAULT_TICK_MS = 30_000;

/** A run's refusal that is no bug: recorded on the delivery with its text. */
class RunRefused extends Error {}

/** A readable reason for a failed run, in the run's language. */
export function describeFailure(error: unknown, locale: Locale): string {
  const separator = locale === 'zh-CN' ? '：' : ': ';
  if (error instanceof AppError) {
    const details = (error.details ?? []).map((d) => (d.path ? `${d.path} ${d.message}` : d.message));
    return `${errorMessages[error.code][locale]}${details.length ? separator + details.join('; ') : ''}`;
  }
  if (error instanceof ExportError) return error.messages[locale];
  if (error instanceof ReportError) return `${error.messages[locale]}${separator}${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * 报表订阅的调度: fires due schedules once each. A claim locks due rows (`for update skip locked`), moves
 * each one's `next_run_at` to its next cron time after now (runs missed while the runtime was down collapse
 * into one) and opens a `running` delivery, all in one transaction; so two nodes, or two calls at once,
 * never fire a schedule twice, and a restart does not repeat a run. The run itself happens after that
 * commit: the report runs as the schedule's owner (the owner's tenant, roles and data scope, exactly the
 * scope a request of the owner gets), is exported into a file under the data directory, and is delivered
 * as an in-app notification to each recipient user and one e-mail to the addresses. The delivery row
 * records the outcome; a failed e-mail leaves the notifications in place (`partial`).
 */
/** A run still `running` this long after it started was cut short by a crash (no export takes an hour). */
export const STALE_RUN_MS = 60 * 60_000;

export class ReportScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly active = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly options: ReportSchedulerOptions) {}

  /** Whether e-mail recipients can be served. */
  get canEmail(): boolean {
    return this.options.mailer !== undefined;
  }

  /** Starts the background loop (unless tickMs is 0), after closing the runs a crash cut short. */
  start(): void {
    if (this.options.tickMs === 0) return;
    void this.recoverInterrupted().catch((err: unknown) => this.options.logger.error({ err }, 'closing interrupted report deliveries failed'));
    this.schedule();
  }

  /**
   * Deliveries still `running` long after they started were cut short (the runtime died mid-run): they
   * become `failed` with that reason, and their schedule shows it, instead of staying `running` for ever.
   * The schedule itself already moved on when the run was claimed; the next cron time runs it again.
   */
  async recoverInterrupted(now: Date = new Date(), staleAfterMs = STALE_RUN_MS): Promise<number> {
    const before = new Date(now.getTime() - staleAfterMs);
    const reason = 'interrupted: the runtime stopped while this run was under way (运行中断：运行时在本次运行期间停止)';
    return asSystem(this.options.db, async (tx) => {
      const stale = await tx
        .update(reportDeliveries)
        .set({ status: 'failed', finishedAt: now, error: reason })
        .where(and(eq(reportDeliveries.status, 'running'), lte(reportDeliveries.startedAt, before)))
        .returning({ scheduleId: reportDeliveries.scheduleId });
      const schedules = [...new Set(stale.map((d) => d.scheduleId))];
      if (schedules.length > 0) {
        await tx
          .update(reportSchedules)
          .set({ lastStatus: 'failed', lastError: reason })
          .where(and(inArray(reportSchedules.id, schedules), eq(reportSchedules.lastStatus, 'running')));
      }
      return stale.length;
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.fireDue()
        .catch((err: unknown) => this.options.logger.error({ err }, 'firing report schedules failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.options.tickMs ?? DEFAULT_TICK_MS);
    this.timer.unref();
  }

  /** Fires every schedule due at `now`; returns the deliveries they made. Exposed for tests (any clock). */
  async fireDue(now: Date = new Date()): Promise<DeliveryRow[]> {
    const done: DeliveryRow[] = [];
    for (;;) {
      const claimed = await asSystem(this.options.db, async (tx) => {
        const due = await tx
          .select()
          .from(reportSchedules)
          .where(and(eq(reportSchedules.enabled, true), lte(reportSchedules.nextRunAt, now)))
          .orderBy(asc(reportSchedules.nextRunAt), asc(reportSchedules.id))
          .limit(BATCH)
          .for('update', { skipLocked: true });
        const runs: { schedule: ScheduleRow; delivery: DeliveryRow }[] = [];
        for (const schedule of due) {
          const next = nextCronRun(schedule.cron, schedule.timeZone, now);
          await tx.update(reportSchedules).set({ nextRunAt: next, lastRunAt: now, lastStatus: 'running', lastError: null }).where(eq(reportSchedules.id, schedule.id));
          const [delivery] = await tx
            .insert(reportDeliveries)
            .values({ tenantId: schedule.tenantId, tenantPath: schedule.tenantPath, scheduleId: schedule.id, trigger: 'schedule', scheduledFor: schedule.nextRunAt, startedAt: now, format: schedule.format })
            .returning();
          runs.push({ schedule, delivery: delivery! });
        }
        return runs;
      });
      for (const { schedule, delivery } of claimed) done.push(await this.track(this.deliver(schedule, delivery)));
      if (claimed.length < BATCH || this.stopped) return done;
    }
  }

  /**
   * 立即运行: runs a schedule now (enabled or not) as its owner, without touching its cron; the caller
   * has already seen the schedule under its own row-level security.
   */
  async runNow(schedule: ScheduleRow): Promise<DeliveryRow> {
    const now = new Date();
    const delivery = await asSystem(this.options.db, async (tx) => {
      await tx.update(reportSchedules).set({ lastRunAt: now, lastStatus: 'running', lastError: null }).where(eq(reportSchedules.id, schedule.id));
      const [row] = await tx
        .insert(reportDeliveries)
        .values({ tenantId: schedule.tenantId, tenantPath: schedule.tenantPath, scheduleId: schedule.id, trigger: 'manual', startedAt: now, format: schedule.format })
        .returning();
      return row!;
    });
    return this.track(this.deliver(schedule, delivery));
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.active.add(work);
    return work.finally(() => this.active.delete(work));
  }

  /** The owner as a caller: its tenant, roles and data scope now, or why the run may not happen. */
  private async owner(schedule: ScheduleRow) {
    const { db, permissions } = this.options;
    const found = await asSystem(db, async (tx) => {
      if (schedule.ownerId === null) return undefined;
      const [user] = await tx.select().from(users).where(eq(users.id, schedule.ownerId));
      if (!user) return undefined;
      const [tenant] = await tx.select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, user.tenantId));
      return { user, tenantLocale: tenant?.settings.locale };
    });
    if (!found) return { refused: 'owner_missing' as const, locale: 'zh-CN' as Locale, user: '' };
    const { user } = found;
    const locale: Locale = user.locale ?? found.tenantLocale ?? 'zh-CN';
    if (user.status !== 'active') return { refused: 'owner_disabled' as const, locale, user: user.username };
    if (!permissions.can(user.id, user.tenantId, 'report:run')) return { refused: 'owner_cannot_run' as const, locale, user: user.username };
    return {
      locale,
      user: user.username,
      caller: {
        principal: {
          userId: user.id,
          username: user.username,
          tenantId: user.tenantId,
          tenantPath: user.tenantPath,
          orgPath: user.orgPath,
          sessionId: `report-schedule:${schedule.id}`,
        },
        dataScope: permissions.dataScopeOf(user.id, user.tenantId) ?? ('own' as const),
      },
    };
  }

  private async deliver(schedule: ScheduleRow, delivery: DeliveryRow): Promise<DeliveryRow> {
    const { db, service, dataDir, logger, mailer } = this.options;
    let locale: Locale = 'zh-CN';
    try {
      const owner = await this.owner(schedule);
      locale = owner.locale;
      if (!owner.caller) throw new RunRefused(scheduleMessage(owner.refused ?? 'owner_missing', locale, { user: owner.user }));
      const requestId = `report-schedule-${schedule.id}-${delivery.id}`;
      const ctx = callerContext(db, owner.caller, { requestId, locale, meta: { userAgent: 'shuiyun-report-scheduler', requestId } });
      // The newest version of the template's code, as the owner sees it (gone or hidden: 404 in the record).
      const templateId = await ctx.tx(async (tx) => {
        const [row] = await tx.select().from(reportTemplates).where(eq(reportTemplates.id, schedule.templateId));
        if (!row) throw new AppError('not_found', { details: [{ path: 'templateId', message: scheduleMessage('template_not_visible', locale, { id: schedule.templateId }) }] });
        return (await newestTemplate(tx, row.tenantId, row.code))?.id ?? row.id;
      });
      const request = runRequestSchema.parse({ template: templateId, parameters: schedule.parameters });
      const prepared = await prepareExport(service, ctx, request, schedule.format);

      const relative = join('report-deliveries', String(schedule.tenantId), `${delivery.id}-${prepared.fileName}`);
      const path = join(dataDir, relative);
      await mkdir(join(dataDir, 'report-deliveries', String(schedule.tenantId)), { recursive: true });
      const summary = await runExport({ ...prepared.job, out: createWriteStream(path) });
      const bytes = (await stat(path)).size;
      const report = prepared.title;
      const file = { fileName: prepared.fileName, mediaType: exportMediaTypes[schedule.format], bytes };
      const words = { name: schedule.name, report, rows: summary.rows, format: schedule.format.toUpperCase(), file: prepared.fileName };

      const notified = await this.notify(schedule, delivery, file, words);
      let error: string | null = null;
      let emailed = 0;
      if (schedule.recipientEmails.length > 0) {
        try {
          if (!mailer) throw new Error('SMTP_URL is not set');
          await mailer.send({
            to: schedule.recipientEmails,
            subject: scheduleMessage('email_subject', locale, words),
            text: scheduleMessage('email_text', locale, words),
            attachments: [{ filename: prepared.fileName, path, contentType: file.mediaType }],
          });
          emailed = schedule.recipientEmails.length;
        } catch (err) {
          logger.warn({ err, schedule: schedule.id, delivery: delivery.id }, 'a scheduled report e-mail failed');
          error = scheduleMessage('email_failed', locale, { detail: err instanceof Error ? err.message : String(err) });
        }
      }
      const status = error === null ? 'succeeded' : notified > 0 ? 'partial' : 'failed';
      return await this.finish(schedule, delivery, { status, rows: summary.rows, bytes, file: relative, fileName: prepared.fileName, notified, emailed, error });
    } catch (err) {
      if (!(err instanceof RunRefused || err instanceof AppError || err instanceof ExportError)) logger.error({ err, schedule: schedule.id, delivery: delivery.id }, 'a scheduled report failed');
      return this.finish(schedule, delivery, { status: 'failed', error: describeFailure(err, locale) });
    }
  }

  /** One notification per recipient user still active in the schedule's tenant subtree, in that user's tenant. */
  private async notify(
    schedule: ScheduleRow,
    delivery: DeliveryRow,
    file: { fileName: string; mediaType: string; bytes: number },
    words: Record<string, string | number>,
  ): Promise<number> {
    if (schedule.recipientUserIds.length === 0) return 0;
    return asSystem(this.options.db, async (tx) => {
      const recipients = await tx
        .select({ id: users.id, tenantId: users.tenantId, tenantPath: users.tenantPath })
        .from(users)
        .where(and(inArray(users.id, schedule.recipientUserIds), eq(users.status, 'active'), sql`${users.tenantPath} <@ ${schedule.tenantPath}::ltree`));
      if (recipients.length === 0) return 0;
      await tx.insert(notifications).values(
        recipients.map((user) => ({
          tenantId: user.tenantId,
          tenantPath: user.tenantPath,
          userId: user.id,
          kind: 'report-delivery',
          title: bilingual('notification_title', words),
          body: bilingual('notification_body', words),
          link: `/api/reports/schedules/${schedule.id}/deliveries`,
          attachment: { deliveryId: delivery.id, ...file },
        })),
      );
      return recipients.length;
    });
  }

  private finish(schedule: ScheduleRow, delivery: DeliveryRow, outcome: Partial<DeliveryRow> & Pick<DeliveryRow, 'status'>): Promise<DeliveryRow> {
    return asSystem(this.options.db, async (tx) => {
      const [row] = await tx
        .update(reportDeliveries)
        .set({ ...outcome, finishedAt: new Date() })
        .where(eq(reportDeliveries.id, delivery.id))
        .returning();
      await tx.update(reportSchedules).set({ lastStatus: outcome.status, lastError: outcome.error ?? null }).where(eq(reportSchedules.id, schedule.id));
      // Deleted meanwhile (the schedule and its deliveries): report the outcome all the same.
      return row ?? { ...delivery, ...outcome, finishedAt: new Date() };
    });
  }

  /** Stops the loop and waits for the runs under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.allSettled([...this.active]);
    this.options.mailer?.close();
  }
}
