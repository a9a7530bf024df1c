import { queryRows, type Tx, workflowIncidents, workflowJobs } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { defaultBackOffMs } from '@shuiyun/sdk';
import { and, eq, sql } from 'drizzle-orm';
import type { InstanceRunner } from './instance-runner.js';

export type JobRow = typeof workflowJobs.$inferSelect;

export interface ActivateRequest {
  types: readonly string[];
  worker: string;
  maxJobs: number;
  timeoutMs: number;
  /** Only jobs of this tenant (a worker calling the API); all tenants for the runtime's own workers. */
  tenantId?: number | undefined;
}

const notFound = (jobId: number) => new AppError('not_found', { details: [{ path: 'params.id', message: `no open job ${jobId}` }] });

/**
 * 作业 for job workers, in-process or over the API: activate with a deadline, complete, fail (retry with
 * back-off, then incident), or throw a BPMN error. A job's outcome is accepted only while the job is
 * activated: a worker that outlived its deadline, or whose job the process no longer waits for, gets 404
 * and its result is dropped, so a job is completed at most once.
 */
export class JobService {
  constructor(private readonly runner: InstanceRunner) {}

  async activate(tx: Tx, request: ActivateRequest, now = new Date()): Promise<JobRow[]> {
    if (request.types.length === 0 || request.maxJobs <= 0) return [];
    const iso = now.toISOString();
    const deadline = new Date(now.getTime() + request.timeoutMs).toISOString();
    const tenant = request.tenantId === undefined ? sql`true` : sql`tenant_id = ${request.tenantId}`;
    const types = sql.join(request.types.map((t) => sql`${t}`), sql`, `);
    const rows = await queryRows<{ id: number }>(
      tx,
      sql`update workflow_jobs set state = 'activated', worker = ${request.worker}, deadline = ${deadline}::timestamptz, updated_at = ${iso}::timestamptz
          where id in (
            select id from workflow_jobs
            where type in (${types}) and ${tenant}
              and ((state = 'activatable' and retry_at <= ${iso}::timestamptz) or (state = 'activated' and deadline < ${iso}::timestamptz))
            order by id limit ${request.maxJobs} for update skip locked)
          returning id::int as id`,
    );
    if (rows.length === 0) return [];
    return tx
      .select()
      .from(workflowJobs)
      .where(sql`${workflowJobs.id} in (${sql.join(rows.map((r) => sql`${r.id}`), sql`, `)})`)
      .orderBy(workflowJobs.id);
  }

  /** Takes the job out of the activated state for its outcome; 404 when it is not (any longer) activated. */
  private async claim(tx: Tx, jobId: number, worker: string | undefined): Promise<JobRow> {
    const [job] = await tx.select().from(workflowJobs).where(eq(workflowJobs.id, jobId)).for('update');
    if (!job || job.state !== 'activated' || (worker !== undefined && job.worker !== worker)) throw notFound(jobId);
    return job;
  }

  async complete(tx: Tx, jobId: number, variables: Record<string, unknown>, worker?: string): Promise<void> {
    const job = await this.claim(tx, jobId, worker);
    await this.runner.apply(tx, job.instanceId, { type: 'job-completed', key: job.key, variables });
  }

  async throwError(tx: Tx, jobId: number, error: { errorCode: string; message?: string | undefined; variables?: Record<string, unknown> | undefined }, worker?: string): Promise<void> {
    const job = await this.claim(tx, jobId, worker);
    await this.runner.apply(tx, job.instanceId, { type: 'job-error', key: job.key, errorCode: error.errorCode, ...(error.message ? { message: error.message } : {}), ...(error.variables ? { variables: error.variables } : {}) });
  }

  /**
   * A failed attempt. With retries left the job waits out its back-off and becomes activatable again;
   * with none it stays `failed` under an incident until an operator gives it retries.
   */
  async fail(tx: Tx, jobId: number, failure: { retries?: number | undefined; errorMessage: string; backOffMs?: number | undefined }, worker?: string, now = new Date()): Promise<JobRow> {
    const job = await this.claim(tx, jobId, worker);
    const retries = Math.max(0, failure.retries ?? job.retries - 1);
    const message = failure.errorMessage.slice(0, 4_000);
    if (retries > 0) {
      const attempt = Math.max(1, job.retries - retries);
      const retryAt = new Date(now.getTime() + (failure.backOffMs ?? defaultBackOffMs(attempt)));
      const [row] = await tx
        .update(workflowJobs)
        .set({ state: 'activatable', retries, retryAt, worker: null, deadline: null, errorMessage: message, updatedAt: now })
        .where(eq(workflowJobs.id, jobId))
        .returning();
      return row!;
    }
    const [row] = await tx
      .update(workflowJobs)
      .set({ state: 'failed', retries: 0, worker: null, deadline: null, errorMessage: message, updatedAt: now })
      .where(eq(workflowJobs.id, jobId))
      .returning();
    await this.runner.raiseIncident(tx, { id: job.instanceId, tenantId: job.tenantId, tenantPath: job.tenantPath }, { elementId: job.elementId, kind: 'job', message: `${job.type}: ${message}`, jobId });
    return row!;
  }

  /**
   * The operator's "retry": a job incident gives the job new retries; an incident the engine raised (an
   * expression that failed, an error nobody caught) is retried by the engine after `variables` are merged
   * into the process scope (the usual fix: correct the variable the expression reads).
   */
  async retry(tx: Tx, incidentId: number, options: { retries: number; variables?: Record<string, unknown> | undefined }, userId: number | null, now = new Date()): Promise<void> {
    const [incident] = await tx.select().from(workflowIncidents).where(eq(workflowIncidents.id, incidentId)).for('update');
    if (!incident || incident.state !== 'open') throw new AppError('not_found', { details: [{ path: 'params.id', message: `no open incident ${incidentId}` }] });
    if (incident.engineKey !== null) {
      await this.runner.apply(tx, incident.instanceId, { type: 'resolve-incident', key: incident.engineKey, ...(options.variables ? { variables: options.variables } : {}) });
      // The step resolved it, or raised it again under a new key when the cause is still there.
      await tx.update(workflowIncidents).set({ resolvedBy: userId }).where(and(eq(workflowIncidents.id, incidentId), eq(workflowIncidents.state, 'resolved')));
      return;
    }
    if (incident.jobId === null) {
      throw new AppError('conflict', {
        details: [{ path: 'params.id', message: `a ${incident.kind} incident is resolved by fixing its cause (deploying the missing process) and cancelling the instance` }],
      });
    }
    await tx
      .update(workflowJobs)
      .set({ state: 'activatable', retries: options.retries, retryAt: now, errorMessage: null, updatedAt: now })
      .where(and(eq(workflowJobs.id, incident.jobId), eq(workflowJobs.state, 'failed')));
    await tx.update(workflowIncidents).set({ state: 'resolved', resolvedAt: now, resolvedBy: userId }).where(eq(workflowIncidents.id, incidentId));
    await tx.execute(sql`update workflow_instances set open_incidents =
      (select count(*) from workflow_incidents where instance_id = ${incident.instanceId} and state = 'open') where id = ${incident.instanceId}`);
    const [job] = await tx.select({ type: workflowJobs.type }).from(workflowJobs).where(eq(workflowJobs.id, incident.jobId));
    if (job) this.retried?.(job.type);
  }

  /** Told when a job became activatable again by an operator's retry. */
  retried: ((type: string) => void) | undefined;
}
