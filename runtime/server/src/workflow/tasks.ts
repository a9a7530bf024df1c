import { roles, type Tx, userRoles, users, workflowTaskEvents, workflowUserTasks } from '@shuiyun/db';
import { AppError, type Locale } from '@shuiyun/http';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { type DefinitionCache, latestForm } from './definitions.js';
import type { InstanceRunner } from './instance-runner.js';

export type TaskRow = typeof workflowUserTasks.$inferSelect;

/** Who acts on a task: the user, their role codes (candidate groups) and whether they may act on any task. */
export interface TaskActor {
  userId: number;
  username: string;
  groups: string[];
  /** Holds `task:read-all` (a supervisor): may see and work every task of the tenant subtree. */
  supervisor: boolean;
  /** Holds `task:assign`: may assign and unassign others. */
  assigner: boolean;
}

/** The role codes a user holds: the candidate groups they belong to. */
export async function groupsOf(tx: Tx, userId: number): Promise<string[]> {
  const rows = await tx.select({ code: roles.code }).from(userRoles).innerJoin(roles, eq(roles.id, userRoles.roleId)).where(eq(userRoles.userId, userId));
  return [...new Set(rows.map((r) => r.code))].sort();
}

/** Tasks the actor is a candidate for or assigned to. */
export function candidateOf(actor: Pick<TaskActor, 'username' | 'groups'>): SQL {
  const groups = sql`array[${sql.join(actor.groups.length > 0 ? actor.groups.map((g) => sql`${g}`) : [sql`null`], sql`, `)}]::text[]`;
  return sql`(${workflowUserTasks.assignee} = ${actor.username}
    or ${workflowUserTasks.candidateUsers} @> array[${actor.username}]::text[]
    or ${workflowUserTasks.candidateGroups} && ${groups})`;
}

const isCandidate = (task: TaskRow, actor: TaskActor) =>
  task.candidateUsers.includes(actor.username) || task.candidateGroups.some((g) => actor.groups.includes(g));

const conflict = (message: string) => new AppError('conflict', { details: [{ path: 'params.id', message }] });

/**
 * 待办: claim, unclaim, assign and complete, with the rules of Camunda's Tasklist — a task is worked by
 * its assignee; a candidate (by user name or role) may claim an unassigned one; a supervisor
 * (`task:read-all`) may work any task; only `task:assign` moves a task between other people. Completing
 * checks the submitted variables against the task's form and completes the task once, even when two
 * requests race (the task row is locked and must still be open).
 */
export class TaskService {
  constructor(
    private readonly runner: InstanceRunner,
    private readonly cache: DefinitionCache,
  ) {}

  /** The task if the actor may see it; 404 otherwise (another's task does not exist for them). */
  async load(tx: Tx, taskId: number, actor: TaskActor, lock = false): Promise<TaskRow> {
    const query = tx.select().from(workflowUserTasks).where(eq(workflowUserTasks.id, taskId));
    const [task] = lock ? await query.for('update') : await query;
    if (!task || !(actor.supervisor || task.assignee === actor.username || isCandidate(task, actor))) {
      throw new AppError('not_found', { details: [{ path: 'params.id', message: `no task ${taskId} for you` }] });
    }
    return task;
  }

  private async event(tx: Tx, task: TaskRow, event: string, actor: TaskActor, detail: Record<string, unknown> = {}): Promise<void> {
    await tx.insert(workflowTaskEvents).values({ tenantId: task.tenantId, tenantPath: task.tenantPath, taskId: task.id, event, actorId: actor.userId, detail });
  }

  private async open(tx: Tx, taskId: number, actor: TaskActor): Promise<TaskRow> {
    const task = await this.load(tx, taskId, actor, true);
    if (task.state !== 'created') throw conflict(`task ${taskId} is ${task.state}`);
    return task;
  }

  async claim(tx: Tx, taskId: number, actor: TaskActor): Promise<TaskRow> {
    const task = await this.open(tx, taskId, actor);
    if (task.assignee === actor.username) return task;
    if (task.assignee) throw conflict(`task ${taskId} is assigned to ${task.assignee}`);
    const [row] = await tx.update(workflowUserTasks).set({ assignee: actor.username, updatedAt: new Date() }).where(eq(workflowUserTasks.id, taskId)).returning();
    await this.event(tx, task, 'claimed', actor, { assignee: actor.username });
    return row!;
  }

  async unclaim(tx: Tx, taskId: number, actor: TaskActor): Promise<TaskRow> {
    const task = await this.open(tx, taskId, actor);
    if (!task.assignee) return task;
    if (task.assignee !== actor.username && !actor.assigner) throw new AppError('forbidden', { details: [{ path: 'params.id', message: `task ${taskId} is ${task.assignee}'s; unassigning another needs task:assign` }] });
    const [row] = await tx.update(workflowUserTasks).set({ assignee: null, updatedAt: new Date() }).where(eq(workflowUserTasks.id, taskId)).returning();
    await this.event(tx, task, 'unclaimed', actor, { previous: task.assignee });
    return row!;
  }

  async assign(tx: Tx, taskId: number, assignee: string, actor: TaskActor): Promise<TaskRow> {
    const task = await this.open(tx, taskId, actor);
    const [user] = await tx.select({ id: users.id }).from(users).where(and(eq(users.username, assignee), sql`${users.tenantPath} <@ ${task.tenantPath}::ltree`));
    if (!user) throw new AppError('validation_failed', { details: [{ path: 'body.assignee', message: `no user ${assignee} in the task's tenant` }] });
    const [row] = await tx.update(workflowUserTasks).set({ assignee, updatedAt: new Date() }).where(eq(workflowUserTasks.id, taskId)).returning();
    await this.event(tx, task, 'assigned', actor, { assignee, previous: task.assignee });
    return row!;
  }

  /**
   * Completes the task with the submitted variables. A candidate completing an unassigned task claims it
   * in the same step; a task assigned to someone else is theirs (409) unless the actor is a supervisor.
   */
  async complete(tx: Tx, taskId: number, submitted: Record<string, unknown>, actor: TaskActor, locale: Locale = 'en'): Promise<TaskRow> {
    const task = await this.open(tx, taskId, actor);
    if (task.assignee && task.assignee !== actor.username && !actor.supervisor) throw conflict(`task ${taskId} is assigned to ${task.assignee}; claim it first`);
    const variables = await this.checkForm(tx, task, submitted, locale);
    const now = new Date();
    const [row] = await tx
      .update(workflowUserTasks)
      .set({ state: 'completed', assignee: task.assignee ?? actor.username, completedBy: actor.userId, completedAt: now, updatedAt: now })
      .where(eq(workflowUserTasks.id, taskId))
      .returning();
    await this.event(tx, task, 'completed', actor, { variables });
    await this.runner.apply(tx, task.instanceId, { type: 'user-task-completed', key: task.key, variables });
    return row!;
  }

  /** The form's verdict on the submission; 400 naming each field when it refuses. */
  private async checkForm(tx: Tx, task: TaskRow, submitted: Record<string, unknown>, locale: Locale): Promise<Record<string, unknown>> {
    if (!task.formId) return submitted;
    const form = await latestForm(tx, task.tenantId, task.formId);
    if (!form) throw conflict(`the task's form ${task.formId} is not deployed in this tenant`);
    const verdict = this.cache.form(form).validate(submitted, task.variables);
    if (verdict.ok) return verdict.values;
    throw new AppError('validation_failed', {
      details: verdict.issues.map((issue) => ({ path: `body.variables.${issue.field}`, code: issue.code, message: issue.message[locale] })),
    });
  }
}
