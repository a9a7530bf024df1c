import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { asSystem, type Db, reportDeliveries, type ReportExportError, reportExports, type Tx } from '@shuiyun/db';
import { AppError, type Locale } from '@shuiyun/http';
import { ExportCancelled, ExportError, type ExportFormat, exportMediaTypes, runExport } from '@shuiyun/report-export';
import { ReportError } from '@shuiyun/reports';
import { and, desc, eq, inArray, isNotNull, isNull, lt, lte, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { callerContext, type RequestContext } from '../../http/context.js';
import { listPage } from '../../http/paging.js';
import type { PermissionModel } from '../../permissions/permission-model.js';
import { prepareExport } from '../export-routes.js';
import type { RunRequest } from '../run.js';
import { describeFailure } from '../schedules/scheduler.js';
import type { ReportService } from '../service.js';
import { exportJobMessage, type ExportJobMessage } from './messages.js';

export type ExportJobRow = typeof reportExports.$inferSelect;

/** Where the jobs' files live under the data directory: `exports/<tenant id>/<job id>.<format>`. */
export const EXPORTS_DIR = 'exports';
/** Exports one user may have queued or running at once; more is 429 (a double submit makes two jobs, a script cannot make a thousand). */
export const MAX_ACTIVE_EXPORTS_PER_USER = 5;

const HOUR = 3_600_000;
const DEFAULTS = {
  concurrency: 1,
  ttlMs: 24 * HOUR,
  deliveryRetentionMs: 30 * 24 * HOUR,
  progressIntervalMs: 500,
  heartbeatMs: 5_000,
  staleAfterMs: 60_000,
  maintenanceMs: 60_000,
};
/** How long a cancel waits for the job to let go of its file before it answers. */
const CANCEL_WAIT_MS = 10_000;
/** Rows touched per statement of the sweeper. */
const SWEEP_BATCH = 500;
/** Advisory lock class serialising one user's submits, so the per-user limit holds under concurrent requests. */
const SUBMIT_LOCK_CLASS = 0x5245_5058; // 'REPX'

const ACTIVE = ['queued', 'running'] as const;

export interface ReportExportRunnerOptions {
  db: Db;
  service: ReportService;
  permissions: PermissionModel;
  logger: Logger;
  dataDir: string;
  /** This node's name (WORKFLOW_NODE_NAME): a node restarted under the same name recovers its jobs at once. */
  nodeName?: string | undefined;
  /** Jobs running at once on this node. Default 1. */
  concurrency?: number | undefined;
  /** How long a finished job's file is kept. Default 24 h. */
  ttlMs?: number | undefined;
  /** How long a schedule delivery's file is kept for its notifications. Default 30 days. */
  deliveryRetentionMs?: number | undefined;
  /** Least time between two writes of a running job's `rows_written`. Default 0.5 s. */
  progressIntervalMs?: number | undefined;
  /** How often this node marks the jobs it holds as alive. Default 5 s. */
  heartbeatMs?: number | undefined;
  /** A queued or running job not marked alive for this long belongs to a dead node. Default 60 s. */
  staleAfterMs?: number | undefined;
  /** How often interrupted jobs are closed and expired files deleted. Default 60 s; 0 runs no such loop (tests call the methods). */
  maintenanceMs?: number | undefined;
}

/** Why a running job was stopped from this side. */
class JobStop extends Error {
  constructor(readonly kind: 'cancelled' | 'stopping' | 'gone') {
    super(kind === 'cancelled' ? 'the export was cancelled' : kind === 'stopping' ? 'the runtime is stopping' : 'the job was cancelled or removed elsewhere');
  }
}

/** A refusal met when the job starts (no bug: recorded on the job with its text). */
class JobRefused extends Error {
  constructor(readonly code: ExportJobMessage) {
    super(code);
  }
}

interface QueuedJob {
  id: number;
  ctx: RequestContext;
  request: RunRequest;
  format: ExportFormat;
}

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

const bilingual = (code: ExportJobMessage) => `${exportJobMessage(code, 'zh-CN')} / ${exportJobMessage(code, 'en')}`;

/** The file a job writes, relative to the data directory (named by id, so a crash's leftover is found without a row). */
export const exportFilePath = (row: Pick<ExportJobRow, 'id' | 'tenantId' | 'format'>) => join(EXPORTS_DIR, String(row.tenantId), `${row.id}.${row.format}`);

/**
 * Writes `rows_written` at most once per interval (never per row) and learns on the way whether the job
 * was cancelled elsewhere (its row is no longer `running`).
 */
class ProgressWriter {
  private flushedAt = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly write: (rows: number) => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly onGone: () => void,
    private readonly logger: Logger,
  ) {}

  report(rows: number): void {
    if (this.inFlight || Date.now() - this.flushedAt < this.intervalMs) return;
    this.flushedAt = Date.now();
    this.inFlight = this.write(rows)
      .then((alive) => {
        if (!alive) this.onGone();
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'writing report export progress failed'))
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  /** Waits for the write under way, so a late progress write cannot land after the outcome. */
  async settle(): Promise<void> {
    await this.inFlight;
  }
}

/**
 * 导出任务的执行: runs background report exports in this runtime process, a few at a time, each as the user
 * who asked for it (the same scope as that user's request). A job is checked and its first page run when
 * it is submitted, so a bad request fails at once; it then waits in this node's queue, runs again from
 * its first page when its turn comes (the report as of then), and streams into
 * `<data dir>/exports/<tenant>/<id>.<ext>`, writing its progress at most every `progressIntervalMs`.
 *
 * Cancelling marks the row `cancelled` first and then aborts the export here (the AbortSignal reaches the
 * paging and the writer; the partial file is deleted before the cancel answers). A job on another node
 * sees its row cancelled at its next progress or heartbeat write and stops there.
 *
 * Crashes: each node marks the jobs it holds alive every `heartbeatMs`. Jobs left `queued` or `running` by
 * a node that stopped marking them (or by an earlier life of this node's name) are closed as `failed`
 * with the reason and their partial file removed — at start-up and on every maintenance round, which also
 * deletes expired export files and schedule delivery files past their retention.
 */
export class ReportExportRunner {
  /** This process among the nodes: the node's name and a random suffix (a restart under the same name is another process). */
  readonly runnerId: string;
  private readonly nodeName: string;
  private readonly settings: typeof DEFAULTS;
  private readonly queue: QueuedJob[] = [];
  private readonly running = new Map<number, RunningJob>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintenance: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: ReportExportRunnerOptions) {
    this.nodeName = options.nodeName ?? `${hostname()}-${process.pid}`;
    this.runnerId = `${this.nodeName}:${randomUUID().slice(0, 8)}`;
    const given = Object.fromEntries(Object.entries(options).filter(([key, value]) => key in DEFAULTS && value !== undefined));
    this.settings = { ...DEFAULTS, ...given };
  }

  /** Where the files are kept (the runtime's data directory). */
  get dataDir(): string {
    return this.options.dataDir;
  }

  /** Jobs waiting for a slot and jobs running on this node. */
  get jobsHere(): { queued: number; running: number } {
    return { queued: this.queue.length, running: this.running.size };
  }

  /** Whether the caller sees (and may cancel) every export of its tenant subtree, not only its own. */
  canManage(ctx: RequestContext): boolean {
    const p = ctx.principal();
    return this.options.permissions.can(p.userId, p.tenantId, 'report:update');
  }

  /** Closes the jobs a crash left behind, then starts the heartbeat and the maintenance loop. */
  start(): void {
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.settings.heartbeatMs);
    this.heartbeatTimer.unref();
    if (this.settings.maintenanceMs === 0) return;
    this.maintenance = this.maintain();
    this.maintenanceTimer = setInterval(() => {
      this.maintenance ??= this.maintain();
    }, this.settings.maintenanceMs);
    this.maintenanceTimer.unref();
  }

  private maintain(): Promise<void> {
    const { logger } = this.options;
    return this.recoverInterrupted()
      .catch((err: unknown) => logger.error({ err }, 'closing interrupted report exports failed'))
      .then(() => this.sweep())
      .then(
        () => undefined,
        (err: unknown) => logger.error({ err }, 'sweeping expired report files failed'),
      )
      .finally(() => {
        this.maintenance = undefined;
      });
  }

  // ─── Submitting, reading, cancelling (the routes' side) ───

  /**
   * Checks the request by running its first page as the caller (every error of the synchronous export is
   * thrown here, nothing is queued), then records the job and queues it.
   */
  async submit(ctx: RequestContext, request: RunRequest, format: ExportFormat): Promise<ExportJobRow> {
    if (this.stopped) throw new AppError('not_ready');
    // Every refusal of the synchronous export, a PDF of too many rows included, is thrown here.
    const prepared = await prepareExport(this.options.service, ctx, request, format);
    const p = ctx.principal();
    const row = await ctx.tx(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${SUBMIT_LOCK_CLASS}::int, (${p.userId}::bigint % 2147483647)::int)`);
      const active = await tx.$count(reportExports, and(eq(reportExports.requestedBy, p.userId), inArray(reportExports.status, ACTIVE)));
      if (active >= MAX_ACTIVE_EXPORTS_PER_USER) {
        throw new AppError('rate_limited', {
          details: [{ path: 'body', code: 'export_limit', message: exportJobMessage('export_limit', ctx.locale, { limit: MAX_ACTIVE_EXPORTS_PER_USER }) }],
        });
      }
      const [inserted] = await tx
        .insert(reportExports)
        .values({
          tenantId: p.tenantId,
          tenantPath: p.tenantPath,
          requestedBy: p.userId,
          request: request as unknown as Record<string, unknown>,
          format,
          status: 'queued',
          rowsTotal: prepared.job.totalRows ?? null,
          runner: this.runnerId,
          heartbeatAt: new Date(),
        })
        .returning();
      return inserted!;
    });
    // The job runs as the caller, under a request id of its own (for the logs); the caller's scope is as of now.
    const jobCtx = callerContext(this.options.db, ctx.caller, {
      requestId: `report-export-${row.id}`,
      locale: ctx.locale,
      meta: { ...ctx.meta, requestId: `report-export-${row.id}` },
    });
    this.queue.push({ id: row.id, ctx: jobCtx, request, format });
    this.pump();
    return row;
  }

  /** Who sees which jobs: everyone their own; holders of report:update every job of their tenant subtree (row-level security). */
  private visibleTo(ctx: RequestContext, all: boolean): SQL | undefined {
    return all && this.canManage(ctx) ? undefined : eq(reportExports.requestedBy, ctx.principal().userId);
  }

  /** One job the caller may see, else 404 (another tenant's, another user's, or none). */
  async load(tx: Tx, ctx: RequestContext, id: number): Promise<ExportJobRow> {
    const [row] = await tx
      .select()
      .from(reportExports)
      .where(and(eq(reportExports.id, id), this.visibleTo(ctx, true)));
    if (!row) throw new AppError('not_found');
    return row;
  }

  /** A page of the jobs the caller sees, newest first: its own, or (`all`, with report:update) everyone's. */
  list(tx: Tx, ctx: RequestContext, query: { page: number; pageSize: number; all: boolean; where: SQL[] }) {
    return listPage(tx, reportExports, and(this.visibleTo(ctx, query.all), ...query.where), [desc(reportExports.id)], query);
  }

  /**
   * Cancels a queued or running job: the row becomes `cancelled` at once (so a second cancel, or the job's
   * own end racing with it, finds it ended), then the job is stopped here and its partial file deleted
   * before this returns. A job that already ended is a 409.
   */
  async cancel(ctx: RequestContext, id: number): Promise<ExportJobRow> {
    const { locale } = ctx;
    const row = await ctx.tx(async (tx) => {
      const current = await this.load(tx, ctx, id);
      const refuse = (status: string) =>
        new AppError('conflict', { details: [{ path: 'params.id', code: 'export_not_cancellable', message: exportJobMessage('export_not_cancellable', locale, { id, status }) }] });
      if (current.status !== 'queued' && current.status !== 'running') throw refuse(current.status);
      const [cancelled] = await tx
        .update(reportExports)
        .set({ status: 'cancelled', finishedAt: new Date(), error: { code: 'export_cancelled', message: exportJobMessage('export_cancelled', locale) } })
        .where(and(eq(reportExports.id, current.id), inArray(reportExports.status, ACTIVE)))
        .returning();
      if (!cancelled) throw refuse((await this.load(tx, ctx, id)).status);
      return cancelled;
    });
    await this.stopHere(row.id, 'cancelled');
    return row;
  }

  /** Stops a job of this node (drops it from the queue, or aborts it and waits until its file is gone). */
  private async stopHere(id: number, kind: JobStop['kind']): Promise<void> {
    const queued = this.queue.findIndex((job) => job.id === id);
    if (queued >= 0) this.queue.splice(queued, 1);
    const running = this.running.get(id);
    if (!running) return;
    running.controller.abort(new JobStop(kind));
    const wait = new AbortController();
    await Promise.race([running.done, sleep(CANCEL_WAIT_MS, undefined, { signal: wait.signal }).catch(() => undefined)]);
    wait.abort();
  }

  // ─── Running ───

  private pump(): void {
    while (!this.stopped && this.running.size < this.settings.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const controller = new AbortController();
      const entry: RunningJob = { controller, done: Promise.resolve() };
      this.running.set(job.id, entry);
      entry.done = this.execute(job, controller.signal)
        .catch((err: unknown) => this.options.logger.error({ err, export: job.id }, 'a report export job failed to record its outcome'))
        .finally(() => {
          this.running.delete(job.id);
          this.pump();
        });
    }
  }

  private update(id: number, values: Partial<ExportJobRow>, onlyIf: SQL = eq(reportExports.status, 'running')): Promise<ExportJobRow[]> {
    return asSystem(this.options.db, (tx) =>
      tx
        .update(reportExports)
        .set(values)
        .where(and(eq(reportExports.id, id), onlyIf))
        .returning(),
    );
  }

  private async execute(job: QueuedJob, signal: AbortSignal): Promise<void> {
    const { service, permissions, dataDir, logger } = this.options;
    const [claimed] = await this.update(job.id, { status: 'running', startedAt: new Date(), heartbeatAt: new Date(), runner: this.runnerId }, eq(reportExports.status, 'queued'));
    if (!claimed) return; // cancelled while it waited
    const gone = () => {
      const running = this.running.get(job.id);
      if (running && !running.controller.signal.aborted) running.controller.abort(new JobStop('gone'));
    };
    const progress = new ProgressWriter(
      async (rows) => (await this.update(job.id, { rowsWritten: rows, heartbeatAt: new Date() })).length > 0,
      this.settings.progressIntervalMs,
      gone,
      logger,
    );
    const relative = exportFilePath(claimed);
    const path = join(dataDir, relative);
    let out: WriteStream | undefined;
    try {
      const p = job.ctx.principal();
      if (!permissions.can(p.userId, p.tenantId, 'report:run')) throw new JobRefused('export_cannot_run');
      const prepared = await prepareExport(service, job.ctx, job.request, job.format);
      if (signal.aborted) throw new ExportCancelled(signal.reason);
      await mkdir(join(dataDir, EXPORTS_DIR, String(claimed.tenantId)), { recursive: true });
      out = createWriteStream(path);
      await once(out, 'open');
      const summary = await runExport({ ...prepared.job, out, signal, onProgress: ({ rowsWritten }) => progress.report(rowsWritten) });
      await progress.settle();
      const { size } = await stat(path);
      const now = new Date();
      const [done] = await this.update(job.id, {
        status: 'succeeded',
        rowsWritten: summary.rows,
        rowsTotal: summary.rows,
        file: relative,
        fileName: prepared.fileName,
        fileSize: size,
        mediaType: exportMediaTypes[job.format],
        finishedAt: now,
        expiresAt: new Date(now.getTime() + this.settings.ttlMs),
      });
      // Cancelled (or removed) in the last moment: the cancel answered already, so nobody will fetch the file.
      if (!done) await rm(path, { force: true });
    } catch (error) {
      await progress.settle();
      if (out) {
        if (!out.destroyed) out.destroy();
        if (!out.closed) await once(out, 'close').catch(() => undefined);
      }
      await rm(path, { force: true });
      const stop: unknown = signal.aborted ? signal.reason : undefined;
      // A cancel or a removal elsewhere already wrote the row's end.
      if (stop instanceof JobStop && stop.kind !== 'stopping') return;
      const failure = this.failureOf(error, stop, job.ctx.locale);
      if (failure.unexpected) logger.error({ err: error, export: job.id }, 'a report export failed');
      await this.update(job.id, { status: 'failed', finishedAt: new Date(), error: failure.error });
    }
  }

  /** What a failed job records: a stable code and a text in the requester's language (never a stack or SQL). */
  private failureOf(error: unknown, stop: unknown, locale: Locale): { error: ReportExportError; unexpected: boolean } {
    if (stop instanceof JobStop) return { error: { code: 'export_interrupted', message: exportJobMessage('export_interrupted', locale) }, unexpected: false };
    if (error instanceof JobRefused) return { error: { code: error.code, message: exportJobMessage(error.code, locale) }, unexpected: false };
    if (error instanceof AppError) {
      return { error: { code: error.details?.find((d) => d.code)?.code ?? error.code, message: describeFailure(error, locale) }, unexpected: error.status >= 500 && error.code !== 'not_ready' };
    }
    if (error instanceof ReportError || error instanceof ExportError) {
      return { error: { code: error.code, message: describeFailure(error, locale) }, unexpected: error instanceof ExportError && error.status >= 500 };
    }
    return { error: { code: 'export_failed', message: exportJobMessage('export_failed', locale) }, unexpected: true };
  }

  /** Marks the jobs this node holds as alive; a job found ended meanwhile (cancelled on another node) is stopped here. */
  private async heartbeat(): Promise<void> {
    const held = [...this.running.keys(), ...this.queue.map((job) => job.id)];
    if (held.length === 0 || this.stopped) return;
    try {
      const alive = await asSystem(this.options.db, (tx) =>
        tx
          .update(reportExports)
          .set({ heartbeatAt: new Date() })
          .where(and(inArray(reportExports.id, held), inArray(reportExports.status, ACTIVE)))
          .returning({ id: reportExports.id }),
      );
      const still = new Set(alive.map((row) => row.id));
      for (const id of held) if (!still.has(id)) void this.stopHere(id, 'gone');
    } catch (err) {
      this.options.logger.warn({ err }, 'marking report exports alive failed');
    }
  }

  // ─── Crash recovery and clean-up ───

  /**
   * Closes jobs a dead process left `queued` or `running`: those of an earlier process under this node's
   * name, and any not marked alive for `staleAfterMs` (another node that died). They become `failed` with
   * `export_interrupted`, and their partial files are removed. Returns how many were closed.
   */
  async recoverInterrupted(now: Date = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.settings.staleAfterMs);
    const closed = await asSystem(this.options.db, (tx) =>
      tx
        .update(reportExports)
        .set({ status: 'failed', finishedAt: now, error: { code: 'export_interrupted', message: bilingual('export_interrupted') } })
        .where(
          and(
            inArray(reportExports.status, ACTIVE),
            or(isNull(reportExports.runner), ne(reportExports.runner, this.runnerId)),
            or(isNull(reportExports.heartbeatAt), lt(reportExports.heartbeatAt, before), sql`${reportExports.runner} like ${`${this.nodeName}:%`}`),
          ),
        )
        .returning({ id: reportExports.id, tenantId: reportExports.tenantId, format: reportExports.format }),
    );
    for (const row of closed) await rm(join(this.options.dataDir, exportFilePath(row)), { force: true });
    if (closed.length > 0) this.options.logger.warn({ exports: closed.map((row) => row.id) }, 'closed report exports a stopped runtime left behind');
    return closed.length;
  }

  /**
   * Deletes the files of finished jobs past `expires_at` (the row stays, without its file), the files of
   * schedule deliveries older than the retention (their notifications then say the file expired), and
   * export files no job row claims any more (a user deleted with their exports). Returns what it removed.
   */
  async sweep(now: Date = new Date()): Promise<{ exports: number; deliveries: number; orphans: number }> {
    const { db, dataDir } = this.options;
    const result = { exports: 0, deliveries: 0, orphans: 0 };
    for (;;) {
      const expired = await asSystem(db, (tx) =>
        tx
          .select({ id: reportExports.id, file: reportExports.file })
          .from(reportExports)
          .where(and(isNotNull(reportExports.file), lte(reportExports.expiresAt, now)))
          .limit(SWEEP_BATCH),
      );
      for (const row of expired) await rm(join(dataDir, row.file!), { force: true });
      if (expired.length > 0) {
        await asSystem(db, (tx) =>
          tx
            .update(reportExports)
            .set({ file: null })
            .where(inArray(reportExports.id, expired.map((row) => row.id))),
        );
      }
      result.exports += expired.length;
      if (expired.length < SWEEP_BATCH) break;
    }
    const kept = new Date(now.getTime() - this.settings.deliveryRetentionMs);
    for (;;) {
      const old = await asSystem(db, (tx) =>
        tx
          .select({ id: reportDeliveries.id, file: reportDeliveries.file })
          .from(reportDeliveries)
          .where(and(isNotNull(reportDeliveries.file), lt(sql`coalesce(${reportDeliveries.finishedAt}, ${reportDeliveries.startedAt})`, kept)))
          .limit(SWEEP_BATCH),
      );
      for (const row of old) await rm(join(dataDir, row.file!), { force: true });
      if (old.length > 0) {
        await asSystem(db, (tx) =>
          tx
            .update(reportDeliveries)
            .set({ file: null })
            .where(inArray(reportDeliveries.id, old.map((row) => row.id))),
        );
      }
      result.deliveries += old.length;
      if (old.length < SWEEP_BATCH) break;
    }
    result.orphans = await this.sweepOrphans(now);
    return result;
  }

  /** Export files older than their lifetime that no job row holds (its row deleted, or a write a crash cut short). */
  private async sweepOrphans(now: Date): Promise<number> {
    const root = join(this.options.dataDir, EXPORTS_DIR);
    let removed = 0;
    const tenantsDirs = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const tenantDir of tenantsDirs.filter((entry) => entry.isDirectory() && /^\d+$/.test(entry.name))) {
      const dir = join(root, tenantDir.name);
      const candidates: { id: number; name: string }[] = [];
      for (const name of await readdir(dir).catch(() => [])) {
        const match = /^(\d+)\.(csv|xlsx|pdf)$/.exec(name);
        if (!match) continue;
        const info = await stat(join(dir, name)).catch(() => undefined);
        if (info && info.mtimeMs < now.getTime() - this.settings.ttlMs) candidates.push({ id: Number(match[1]), name });
      }
      for (let i = 0; i < candidates.length; i += SWEEP_BATCH) {
        const batch = candidates.slice(i, i + SWEEP_BATCH);
        const rows = await asSystem(this.options.db, (tx) =>
          tx
            .select({ id: reportExports.id, file: reportExports.file, status: reportExports.status })
            .from(reportExports)
            .where(inArray(reportExports.id, batch.map((c) => c.id))),
        );
        for (const candidate of batch) {
          const row = rows.find((r) => r.id === candidate.id);
          const relative = join(EXPORTS_DIR, tenantDir.name, candidate.name);
          if (row && (row.file === relative || row.status === 'queued' || row.status === 'running')) continue;
          await rm(join(dir, candidate.name), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  /**
   * Stops the loops, aborts the jobs running here and closes them (and those still queued here) as
   * `failed`/`export_interrupted`, partial files removed, so nothing keeps running after close.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.maintenanceTimer);
    const queued = this.queue.splice(0);
    const running = [...this.running.values()];
    for (const job of running) job.controller.abort(new JobStop('stopping'));
    await Promise.allSettled([...running.map((job) => job.done), this.maintenance]);
    for (const job of queued) {
      await this.update(job.id, { status: 'failed', finishedAt: new Date(), error: { code: 'export_interrupted', message: exportJobMessage('export_interrupted', job.ctx.locale) } }, eq(reportExports.status, 'queued')).catch(
        (err: unknown) => this.options.logger.warn({ err, export: job.id }, 'closing a queued report export failed'),
      );
    }
  }
}
