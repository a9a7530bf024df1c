import { readFileSync } from 'node:fs';
import { asSystem, type Database, queryRows, tenants, type Tx, workflowIncidents, workflowInstances, workflowJobs, workflowUserTasks } from '@shuiyun/db';
import { compileDefinition, type IncidentKind, type InstanceState, type UserTaskWait, type Variables } from '@shuiyun/workflow';
import { and, eq, gt, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The engine-neutral scenarios and their runner live with the step executor; tests reach them by path.
import { checkScenario, type ConformanceEngine, type InstanceView, runScenario } from '../../../workflow/src/testing/scenario.js';
import { scenarios } from '../../../workflow/src/testing/scenarios.js';
import { drivers, testDatabase } from '../testing/harness.js';
import { latestDefinition } from './definitions.js';
import { EmbeddedWorkflowEngine } from './engine.js';

const fixtures = new URL('../../../workflow/fixtures/', import.meta.url);
const readFixture = (name: string) => readFileSync(new URL(name, fixtures), 'utf8');

/**
 * The conformance scenarios of @shuiyun/workflow, run through the runtime's shell instead of the in-memory
 * driver: every event is a database transaction, waits are rows, timers fire from the timer table on a moved
 * clock, child instances are rows linked to their parent. Same scenarios, same expectations.
 */
class ShellConformanceEngine implements ConformanceEngine {
  private clock = new Date('2025-03-01T08:00:00.000Z');
  readonly engine: EmbeddedWorkflowEngine;
  /** Instances with an id above this belong to the running scenario. */
  private baseline = 0;
  private readonly jobsSeen = new Map<number, { key: string; type: string }[]>();

  constructor(
    private readonly database: Database,
    private readonly tenant: { id: number; path: string },
  ) {
    this.engine = new EmbeddedWorkflowEngine({ db: database.db, logger: pino({ level: 'silent' }), nodeName: 'conformance', tickMs: 0, now: () => this.clock });
  }

  private system<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return asSystem(this.database.db, work);
  }

  async beginScenario(): Promise<void> {
    this.clock = new Date('2025-03-01T08:00:00.000Z'); // each scenario starts at the in-memory driver's time
    const [row] = await this.system((tx) => queryRows<{ id: number }>(tx, sql`select coalesce(max(id), 0)::int as id from workflow_instances`));
    this.baseline = row!.id;
    this.jobsSeen.clear();
    // Start-event timers and subscriptions of earlier scenarios' processes must not fire into this one.
    await this.system(async (tx) => {
      await tx.execute(sql`delete from workflow_timers`);
      await tx.execute(sql`delete from workflow_subscriptions where instance_id is null`);
    });
  }

  private async scenarioInstances(tx: Tx) {
    return tx.select().from(workflowInstances).where(gt(workflowInstances.id, this.baseline)).orderBy(workflowInstances.id);
  }

  /** Notes the jobs open now, in creation order, per instance (jobs are deleted once done). */
  private async noteJobs(): Promise<void> {
    const open = await this.system(async (tx) => tx.select().from(workflowJobs).where(gt(workflowJobs.instanceId, this.baseline)).orderBy(workflowJobs.id));
    for (const job of open) {
      const seen = this.jobsSeen.get(job.instanceId) ?? [];
      if (!seen.some((s) => s.key === job.key)) seen.push({ key: job.key, type: job.type });
      this.jobsSeen.set(job.instanceId, seen);
    }
  }

  async deploy(files: { name: string; xml: string }[]): Promise<void> {
    for (const file of files) for (const process of compileDefinition(file.xml).processes) for (const type of process.jobTypes) this.engine.noteExternalWorker(type);
    await this.system((tx) =>
      this.engine.deploy(tx, { tenantId: this.tenant.id, tenantPath: this.tenant.path, userId: null }, files.map((f) => ({ name: f.name, content: f.xml }))),
    );
  }

  async startInstance(processId: string, variables: Variables, startElementId?: string): Promise<void> {
    await this.system(async (tx) => {
      const definition = (await latestDefinition(tx, this.tenant.id, processId))!;
      await this.engine.runner.start(tx, { definition, variables, startElementId });
    });
    await this.noteJobs();
  }

  private async activate(type: string) {
    return this.system(async (tx) => {
      const [job] = await this.engine.jobs.activate(tx, { types: [type], worker: 'conformance', maxJobs: 1, timeoutMs: 3_600_000 }, this.clock);
      if (!job) throw new Error(`no open job of type ${type}`);
      return job;
    });
  }

  async completeJob(type: string, variables: Variables): Promise<void> {
    const job = await this.activate(type);
    await this.system((tx) => this.engine.jobs.complete(tx, job.id, variables, 'conformance'));
    await this.noteJobs();
  }

  async throwJobError(type: string, errorCode: string, variables?: Variables): Promise<void> {
    const job = await this.activate(type);
    await this.system((tx) => this.engine.jobs.throwError(tx, job.id, { errorCode, variables }, 'conformance'));
    await this.noteJobs();
  }

  async completeUserTask(elementId: string, variables: Variables): Promise<void> {
    await this.system(async (tx) => {
      const [task] = await tx
        .select()
        .from(workflowUserTasks)
        .where(and(eq(workflowUserTasks.elementId, elementId), eq(workflowUserTasks.state, 'created'), gt(workflowUserTasks.instanceId, this.baseline)))
        .orderBy(workflowUserTasks.id)
        .limit(1);
      if (!task) throw new Error(`no open user task ${elementId}`);
      // As the task service does, without a form check (the fixtures' forms are not deployed here).
      await tx.update(workflowUserTasks).set({ state: 'completed', completedAt: this.clock }).where(eq(workflowUserTasks.id, task.id));
      await this.engine.runner.apply(tx, task.instanceId, { type: 'user-task-completed', key: task.key, variables });
    });
    await this.noteJobs();
  }

  async publishMessage(name: string, correlationKey: string | undefined, variables: Variables): Promise<void> {
    await this.system((tx) => this.engine.publishMessage(tx, { tenantId: this.tenant.id, name, correlationKey: correlationKey ?? '', variables, startedBy: null }));
    await this.noteJobs();
  }

  /** Moves the clock timer by timer, as time passes, firing each at its due time. */
  async advanceTime(milliseconds: number): Promise<void> {
    const target = new Date(this.clock.getTime() + milliseconds);
    for (;;) {
      const [next] = await this.system((tx) => queryRows<{ due: string | null }>(tx, sql`select min(due_at)::text as due from workflow_timers`));
      if (!next?.due || new Date(next.due).getTime() > target.getTime()) break;
      if (new Date(next.due).getTime() > this.clock.getTime()) this.clock = new Date(next.due);
      await this.engine.timers.fireDue();
      await this.noteJobs();
    }
    this.clock = target;
  }

  async resolveIncident(elementId: string, variables?: Variables): Promise<void> {
    await this.system(async (tx) => {
      const [incident] = await tx
        .select()
        .from(workflowIncidents)
        .where(and(eq(workflowIncidents.elementId, elementId), eq(workflowIncidents.state, 'open'), gt(workflowIncidents.instanceId, this.baseline)))
        .limit(1);
      if (!incident) throw new Error(`no open incident at ${elementId}`);
      await this.engine.retryIncident(tx, incident.id, { retries: 1, variables }, null);
    });
    await this.noteJobs();
  }

  async rootInstance(processId: string): Promise<InstanceView> {
    return this.system(async (tx) => {
      const instance = (await this.scenarioInstances(tx)).find((i) => i.processId === processId && i.parentId === null);
      if (!instance) throw new Error(`no instance of ${processId}`);
      const history = await queryRows<{ element_id: string }>(tx, sql`select element_id from workflow_history where instance_id = ${instance.id} and event = 'completed' order by id`);
      const tasks = await tx.select().from(workflowUserTasks).where(eq(workflowUserTasks.instanceId, instance.id)).orderBy(workflowUserTasks.id);
      const jobs = await tx.select().from(workflowJobs).where(eq(workflowJobs.instanceId, instance.id)).orderBy(workflowJobs.id);
      const incidents = await tx.select().from(workflowIncidents).where(and(eq(workflowIncidents.instanceId, instance.id), eq(workflowIncidents.state, 'open'))).orderBy(workflowIncidents.id);
      const subs = await queryRows<{ message_name: string }>(tx, sql`select message_name from workflow_subscriptions where instance_id = ${instance.id} order by id`);
      const timers = await queryRows<{ element_id: string }>(tx, sql`select element_id from workflow_timers where instance_id = ${instance.id} order by id`);
      const taskView = (t: (typeof tasks)[number]): Partial<UserTaskWait> => ({
        elementId: t.elementId,
        ...(t.name ? { name: t.name } : {}),
        ...(t.assignee ? { assignee: t.assignee } : {}),
        candidateGroups: t.candidateGroups,
        candidateUsers: t.candidateUsers,
        ...(t.formKey ? { formKey: t.formKey } : {}),
        ...(t.formId ? { formId: t.formId } : {}),
        ...(t.dueDate ? { dueDate: t.dueDate.toISOString() } : {}),
        ...(t.followUpDate ? { followUpDate: t.followUpDate.toISOString() } : {}),
      });
      return {
        state: instance.state as InstanceState,
        variables: instance.variables,
        completedElementIds: history.map((h) => h.element_id),
        jobTypesCreated: (this.jobsSeen.get(instance.id) ?? []).map((j) => j.type),
        userTasksCreated: tasks.map(taskView),
        incidents: incidents.map((i) => ({ elementId: i.elementId, kind: i.kind as IncidentKind })),
        open: {
          jobTypes: jobs.filter((j) => j.state !== 'failed').map((j) => j.type),
          userTasks: tasks.filter((t) => t.state === 'created').map((t) => t.elementId),
          messages: subs.map((s) => s.message_name),
          timers: timers.map((t) => t.element_id),
          incidents: incidents.map((i) => i.elementId),
        },
      };
    });
  }
}

describe.each(drivers)('conformance scenarios through the runtime shell on %s', (driver) => {
  let database: Database;
  let engine: ShellConformanceEngine;

  beforeAll(async () => {
    database = await testDatabase(driver);
    const [tenant] = await asSystem(database.db, (tx) =>
      tx.insert(tenants).values({ path: '1', code: 'conformance', name: 'conformance', kind: 'platform', settings: { timeZone: 'Asia/Shanghai', locale: 'zh-CN', brandingName: null } }).returning(),
    );
    await asSystem(database.db, (tx) => tx.update(tenants).set({ path: String(tenant!.id) }).where(eq(tenants.id, tenant!.id)));
    engine = new ShellConformanceEngine(database, { id: tenant!.id, path: String(tenant!.id) });
  });
  afterAll(async () => {
    await engine?.engine.close();
    await database?.close();
  });

  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      await engine.beginScenario();
      checkScenario(expect, scenario, await runScenario(scenario, engine, readFixture));
    });
  }
});


