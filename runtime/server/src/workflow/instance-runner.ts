import {
  queryRows,
  type Tx,
  workflowHistory,
  workflowIncidents,
  workflowInstances,
  workflowJobs,
  workflowSubscriptions,
  workflowTaskEvents,
  workflowTimers,
  workflowUserTasks,
} from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { step, type StepEvent, type StepResult } from '@shuiyun/workflow';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { type DefinitionCache, type DefinitionRow, latestDefinition } from './definitions.js';

export type InstanceRow = typeof workflowInstances.$inferSelect;

/** One open row of an instance as `openRows` reads it: `key` is the wait's key (a child's call key). */
interface OpenRow {
  kind: 'job' | 'task' | 'subscription' | 'timer' | 'child' | 'incident';
  id: number;
  key: string | null;
  state: string | null;
  due: string | Date | null;
}

/** Told after a step commits-to-be (inside its transaction): jobs of these types can be activated. */
export interface RunnerHooks {
  jobsCreated?(types: ReadonlySet<string>): void;
  /** Whether some worker (in-process or polling the API) serves this job type; a job nobody serves is an incident. */
  served?(type: string): boolean;
  timersChanged?(earliest: Date): void;
}

export interface StartRequest {
  definition: DefinitionRow;
  variables: Record<string, unknown>;
  startElementId?: string | undefined;
  businessKey?: string | null | undefined;
  startedBy?: number | null | undefined;
  parent?: { id: number; callKey: string } | undefined;
}

/** Calls from parent to child nest at most this deep (a process calling itself would never end). */
const MAX_CALL_DEPTH = 16;

/**
 * The embedded engine's shell around `@shuiyun/workflow`'s step executor. Every event an instance takes
 * (started, a job completed, a task completed, a message, a timer, a child ended, cancel) runs in the
 * caller's transaction: the instance row is locked, the step runs from the stored snapshot, and the
 * instance's open jobs, user tasks, subscriptions, timers and child instances are reconciled with what
 * the step says it now waits on. An instance is never held in memory between events, so a crash loses
 * nothing that was committed and 10 000 waiting instances cost only rows.
 */
export class InstanceRunner {
  constructor(
    private readonly cache: DefinitionCache,
    private readonly hooks: RunnerHooks = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(tx: Tx, request: StartRequest, depth = 0): Promise<InstanceRow> {
    const { definition } = request;
    if (depth > MAX_CALL_DEPTH) throw new AppError('conflict', { details: [{ path: 'calledElement', message: `call activities nest deeper than ${MAX_CALL_DEPTH}` }] });
    const [row] = await tx
      .insert(workflowInstances)
      .values({
        tenantId: definition.tenantId,
        tenantPath: definition.tenantPath,
        definitionId: definition.id,
        processId: definition.processId,
        version: definition.version,
        parentId: request.parent?.id ?? null,
        parentCallKey: request.parent?.callKey ?? null,
        businessKey: request.businessKey ?? null,
        variables: request.variables,
        startedBy: request.startedBy ?? null,
      })
      .returning();
    const event: StepEvent = { type: 'start', processId: definition.processId, variables: request.variables, ...(request.startElementId ? { startElementId: request.startElementId } : {}) };
    return this.run(tx, row!, event, depth);
  }

  /** Applies one event to an active instance. Throws `conflict` when the instance has ended. */
  async apply(tx: Tx, instanceId: number, event: StepEvent, depth = 0): Promise<InstanceRow> {
    const [row] = await tx.select().from(workflowInstances).where(eq(workflowInstances.id, instanceId)).for('update');
    if (!row) throw new AppError('not_found', { details: [{ path: 'instanceId', message: `no process instance ${instanceId}` }] });
    if (row.state !== 'active') throw new AppError('conflict', { details: [{ path: 'instanceId', message: `process instance ${instanceId} is ${row.state}` }] });
    return this.run(tx, row, event, depth);
  }

  private async run(tx: Tx, row: InstanceRow, event: StepEvent, depth: number): Promise<InstanceRow> {
    const definition = await this.cache.definition(tx, row.definitionId);
    const now = this.now();
    const result = await step(definition, event.type === 'start' ? undefined : row.snapshot, event, { now: () => now });
    if (result.rejected) throw new AppError('conflict', { details: [{ path: 'event', message: `process instance ${row.id}: ${result.rejected.reason}` }] });
    const ended = result.state !== 'active';
    const [updated] = await tx
      .update(workflowInstances)
      .set({
        snapshot: ended ? null : (result.snapshot as Record<string, unknown>),
        variables: result.variables,
        state: result.state,
        endedAt: ended ? now : null,
        updatedAt: now,
      })
      .where(eq(workflowInstances.id, row.id))
      .returning();
    const raised = await this.reconcile(tx, updated!, result, now, depth, event.type === 'start');
    // A BPMN error nobody caught in a called process goes up to the call activity, as on Zeebe: an error
    // boundary event there may catch it (and the child is cancelled with the call).
    const uncaught = raised.find((incident) => incident.kind === 'unhandled-error' && incident.errorCode);
    if (!ended && uncaught && updated!.parentId && updated!.parentCallKey) {
      await this.apply(tx, updated!.parentId, { type: 'job-error', key: updated!.parentCallKey, errorCode: uncaught.errorCode!, message: uncaught.reason }, depth + 1).catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error; // the parent no longer waits for this call: the child's incident stays
      });
    }
    if (ended && updated!.parentId && updated!.parentCallKey && result.state !== 'canceled') {
      // The parent's call activity ends with its child (a terminated child ends it too, as on Zeebe).
      await this.apply(tx, updated!.parentId, { type: 'call-completed', key: updated!.parentCallKey, variables: result.variables }, depth + 1);
    }
    return updated!;
  }

  /** Everything the instance has open (and its user tasks and children of any state), in one round trip. */
  private async openRows(tx: Tx, instanceId: number): Promise<OpenRow[]> {
    return queryRows<OpenRow>(
      tx,
      sql`select 'job' as kind, id::int as id, key, null::text as state, null::timestamptz as due from workflow_jobs where instance_id = ${instanceId}
          union all select 'task', id::int, key, state, null from workflow_user_tasks where instance_id = ${instanceId}
          union all select 'subscription', id::int, key, null, null from workflow_subscriptions where instance_id = ${instanceId}
          union all select 'timer', id::int, key, null, due_at from workflow_timers where instance_id = ${instanceId}
          union all select 'child', id::int, parent_call_key, state, null from workflow_instances where parent_id = ${instanceId}
          union all select 'incident', id::int, engine_key, null, null from workflow_incidents
            where instance_id = ${instanceId} and state = 'open' and engine_key is not null`,
    );
  }

  /**
   * Brings the instance's rows in line with the step's lists (one read of what is open, then only the
   * writes that changed something); returns the incidents the step newly raised.
   */
  private async reconcile(tx: Tx, instance: InstanceRow, result: StepResult, now: Date, depth: number, fresh: boolean): Promise<StepResult['incidents']> {
    const scope = { tenantId: instance.tenantId, tenantPath: instance.tenantPath, instanceId: instance.id };
    // A new instance has nothing open yet.
    const rows = fresh ? [] : await this.openRows(tx, instance.id);
    const of = (kind: OpenRow['kind']) => rows.filter((r) => r.kind === kind);
    let incidentsChanged = false;

    // Jobs: closed ones go (their activation ended); new ones become activatable.
    const jobKeys = new Set(result.jobs.map((j) => j.key));
    const openJobs = of('job');
    const closedJobs = openJobs.filter((j) => !jobKeys.has(j.key!)).map((j) => j.id);
    if (closedJobs.length > 0) {
      const resolvedJobIncidents = await tx
        .update(workflowIncidents)
        .set({ state: 'resolved', resolvedAt: now })
        .where(and(inArray(workflowIncidents.jobId, closedJobs), eq(workflowIncidents.state, 'open')))
        .returning({ id: workflowIncidents.id });
      incidentsChanged ||= resolvedJobIncidents.length > 0;
      await tx.delete(workflowJobs).where(inArray(workflowJobs.id, closedJobs));
    }
    const knownJobs = new Set(openJobs.map((j) => j.key));
    const created = new Set<string>();
    for (const job of result.jobs) {
      if (knownJobs.has(job.key)) continue;
      const unserved = this.hooks.served ? !this.hooks.served(job.type) : false;
      const [inserted] = await tx
        .insert(workflowJobs)
        .values({
          ...scope,
          key: job.key,
          elementId: job.elementId,
          processId: instance.processId,
          type: job.type,
          retries: job.retries,
          headers: job.headers,
          variables: job.variables,
          state: unserved ? 'failed' : 'activatable',
          errorMessage: unserved ? `no job worker serves type ${job.type}` : null,
          retryAt: now,
        })
        .returning({ id: workflowJobs.id });
      if (unserved) {
        await this.raiseIncident(tx, instance, { elementId: job.elementId, kind: 'no-worker', message: `no job worker serves type "${job.type}": register one, then retry`, jobId: inserted!.id });
      } else created.add(job.type);
    }
    if (created.size > 0) this.hooks.jobsCreated?.(created);

    // User tasks: closed ones are canceled (a completed one was marked by its caller before the step).
    const taskKeys = new Set(result.userTasks.map((t) => t.key));
    const tasks = of('task');
    const canceled = tasks.filter((t) => t.state === 'created' && !taskKeys.has(t.key!)).map((t) => t.id);
    if (canceled.length > 0) {
      await tx.update(workflowUserTasks).set({ state: 'canceled', updatedAt: now }).where(inArray(workflowUserTasks.id, canceled));
      await tx.insert(workflowTaskEvents).values(canceled.map((taskId) => ({ tenantId: scope.tenantId, tenantPath: scope.tenantPath, taskId, event: 'canceled', detail: { reason: 'the process moved on' } })));
    }
    const knownTasks = new Set(tasks.map((t) => t.key));
    for (const task of result.userTasks) {
      if (knownTasks.has(task.key)) continue;
      const [inserted] = await tx
        .insert(workflowUserTasks)
        .values({
          ...scope,
          key: task.key,
          elementId: task.elementId,
          processId: instance.processId,
          name: task.name ?? null,
          assignee: task.assignee ?? null,
          candidateGroups: task.candidateGroups,
          candidateUsers: task.candidateUsers,
          formKey: task.formKey ?? null,
          formId: task.formId ?? null,
          dueDate: task.dueDate ? new Date(task.dueDate) : null,
          followUpDate: task.followUpDate ? new Date(task.followUpDate) : null,
          variables: task.variables,
        })
        .returning({ id: workflowUserTasks.id });
      await tx.insert(workflowTaskEvents).values({ tenantId: scope.tenantId, tenantPath: scope.tenantPath, taskId: inserted!.id, event: 'created', detail: task.assignee ? { assignee: task.assignee } : {} });
    }

    // Message subscriptions and timers: the step's lists are complete, so replace what changed.
    const subKeys = new Set(result.messageSubscriptions.map((sub) => sub.key));
    const openSubs = of('subscription');
    const goneSubs = openSubs.filter((sub) => !subKeys.has(sub.key!)).map((sub) => sub.id);
    if (goneSubs.length > 0) await tx.delete(workflowSubscriptions).where(inArray(workflowSubscriptions.id, goneSubs));
    const knownSubs = new Set(openSubs.map((sub) => sub.key));
    const newSubs = result.messageSubscriptions.filter((sub) => !knownSubs.has(sub.key));
    if (newSubs.length > 0) {
      await tx.insert(workflowSubscriptions).values(
        newSubs.map((sub) => ({ ...scope, definitionId: instance.definitionId, key: sub.key, elementId: sub.elementId, messageName: sub.messageName, correlationKey: sub.correlationKey, interrupting: sub.interrupting })),
      );
    }
    const timerByKey = new Map(result.timers.map((t) => [t.key, t]));
    const openTimers = of('timer');
    const goneTimers = openTimers.filter((t) => !timerByKey.has(t.key!)).map((t) => t.id);
    if (goneTimers.length > 0) await tx.delete(workflowTimers).where(inArray(workflowTimers.id, goneTimers));
    for (const timer of openTimers) {
      const next = timerByKey.get(timer.key!);
      if (next && next.dueAt.getTime() !== new Date(timer.due!).getTime()) {
        await tx.update(workflowTimers).set({ dueAt: next.dueAt, repetitionsLeft: next.repetitionsLeft ?? null, interval: next.interval ?? null }).where(eq(workflowTimers.id, timer.id));
        this.hooks.timersChanged?.(next.dueAt);
      }
    }
    const knownTimers = new Set(openTimers.map((t) => t.key));
    const newTimers = result.timers.filter((t) => !knownTimers.has(t.key));
    if (newTimers.length > 0) {
      await tx.insert(workflowTimers).values(
        newTimers.map((timer) => ({
          ...scope,
          definitionId: instance.definitionId,
          key: timer.key,
          elementId: timer.elementId,
          dueAt: timer.dueAt,
          repetitionsLeft: timer.repetitionsLeft ?? null,
          interval: timer.interval ?? null,
        })),
      );
      for (const timer of newTimers) this.hooks.timersChanged?.(timer.dueAt);
    }

    // Call activities: a new call starts a child; a call that is gone (interrupted) cancels its child.
    const children = of('child');
    const callKeys = new Set(result.calls.map((c) => c.key));
    for (const child of children.filter((c) => c.state === 'active' && c.key && !callKeys.has(c.key))) await this.cancel(tx, child.id, depth + 1);
    const called = new Set(children.map((c) => c.key));
    for (const call of result.calls) {
      if (called.has(call.key)) continue;
      const definition = await latestDefinition(tx, instance.tenantId, call.processId);
      if (!definition) {
        await this.raiseIncident(tx, instance, { elementId: call.elementId, kind: 'called-element', message: `no process "${call.processId}" is deployed in this tenant: deploy it, then retry` });
        continue;
      }
      await this.start(tx, { definition, variables: call.variables, parent: { id: instance.id, callKey: call.key }, startedBy: instance.startedBy }, depth + 1);
    }

    if (result.history.length > 0) {
      await tx.insert(workflowHistory).values(
        result.history.map((h) => ({ ...scope, elementId: h.elementId, elementType: h.elementType, name: h.name ?? null, event: h.event, at: h.at })),
      );
    }

    // Incidents the engine raised: its list is complete, so a key that is gone was resolved by the step.
    const engineIncidents = of('incident');
    const incidentKeys = new Set(result.incidents.map((i) => i.key));
    const resolved = engineIncidents.filter((i) => !incidentKeys.has(i.key!)).map((i) => i.id);
    if (resolved.length > 0) await tx.update(workflowIncidents).set({ state: 'resolved', resolvedAt: now }).where(inArray(workflowIncidents.id, resolved));
    const knownIncidents = new Set(engineIncidents.map((i) => i.key));
    const raised = result.incidents.filter((incident) => !knownIncidents.has(incident.key));
    if (raised.length > 0) {
      await tx.insert(workflowIncidents).values(raised.map((incident) => ({ ...scope, elementId: incident.elementId, kind: incident.kind, message: incident.reason, engineKey: incident.key })));
    }
    if (incidentsChanged || resolved.length > 0 || raised.length > 0) await this.countIncidents(tx, instance.id);
    return raised;
  }

  private async countIncidents(tx: Tx, instanceId: number): Promise<void> {
    await tx.execute(sql`update workflow_instances set open_incidents =
      (select count(*) from workflow_incidents where instance_id = ${instanceId} and state = 'open') where id = ${instanceId}`);
  }

  /** Records an incident outside a step (a job nobody serves, out of retries, a missing called process). */
  async raiseIncident(tx: Tx, instance: Pick<InstanceRow, 'id' | 'tenantId' | 'tenantPath'>, incident: { elementId: string; kind: string; message: string; jobId?: number }): Promise<void> {
    await tx.insert(workflowIncidents).values({
      tenantId: instance.tenantId,
      tenantPath: instance.tenantPath,
      instanceId: instance.id,
      elementId: incident.elementId,
      kind: incident.kind,
      message: incident.message,
      jobId: incident.jobId ?? null,
    });
    await this.countIncidents(tx, instance.id);
  }

  /** Cancels an active instance and, through the reconcile, its open tasks, jobs and child instances. */
  async cancel(tx: Tx, instanceId: number, depth = 0): Promise<InstanceRow> {
    const row = await this.apply(tx, instanceId, { type: 'cancel' }, depth);
    await tx
      .update(workflowIncidents)
      .set({ state: 'resolved', resolvedAt: this.now() })
      .where(and(eq(workflowIncidents.instanceId, instanceId), eq(workflowIncidents.state, 'open')));
    await this.countIncidents(tx, instanceId);
    return { ...row, openIncidents: 0 };
  }
}
