import { tenants, type Tx, workflowInstances, workflowTaskEvents, workflowUserTasks } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, asc, eq, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { idFilterConditions } from '../http/scoped-queries.js';
import type { PermissionModel } from '../permissions/permission-model.js';
import { latestForm } from './definitions.js';
import type { WorkflowEngine } from './engine.js';
import { candidateOf, groupsOf, type TaskActor } from './tasks.js';

const tags = ['Tasks 待办'];

function unavailable(): never {
  throw new AppError('not_ready', { details: [{ path: 'workflow', message: 'the workflow engine is not running on this node' }] });
}

/** 待办列表: my tasks, my groups' tasks, every task (supervisors), and the four things done to a task. */
export function taskRoutes(engine: WorkflowEngine | undefined, permissions: PermissionModel) {
  const need = () => engine ?? unavailable();
  const actorOf = async (tx: Tx, ctx: RequestContext): Promise<TaskActor> => {
    const p = ctx.principal();
    return {
      userId: p.userId,
      username: p.username,
      groups: await groupsOf(tx, p.userId),
      supervisor: permissions.can(p.userId, p.tenantId, 'task:read-all'),
      assigner: permissions.can(p.userId, p.tenantId, 'task:assign'),
    };
  };
  return [
    route({
      method: 'get',
      path: '/api/tasks',
      permission: 'task:read',
      summary: 'Tasks: mine and those open to my groups or me as a candidate (candidate, the default), only those assigned to me (mine), or every task (all, needs task:read-all)',
      tags,
      query: pageQuery.extend({
        scope: z.enum(['mine', 'candidate', 'all']).default('candidate'),
        state: z.enum(['created', 'completed', 'canceled']).default('created'),
        processId: z.string().max(255).optional(),
        instanceId: z.coerce.number().int().positive().optional(),
        tenantId: z.coerce.number().int().positive().optional(),
      }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const actor = await actorOf(tx, ctx);
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, {
            instanceId: { column: workflowUserTasks.instanceId, table: workflowInstances },
            tenantId: { column: workflowUserTasks.tenantId, table: tenants },
          });
          where.push(eq(workflowUserTasks.state, query.state));
          if (query.scope === 'mine') where.push(eq(workflowUserTasks.assignee, actor.username));
          else if (query.scope === 'candidate') where.push(candidateOf(actor));
          else if (!actor.supervisor) throw new AppError('forbidden', { details: [{ path: 'query.scope', message: 'every task of the tenant needs task:read-all' }] });
          if (query.processId) where.push(eq(workflowUserTasks.processId, query.processId));
          // Due first (nulls last), then oldest: the order a work queue is worked in.
          return listPage(tx, workflowUserTasks, and(...where), [asc(workflowUserTasks.dueDate), asc(workflowUserTasks.id)], query);
        }),
    }),
    route({
      method: 'get',
      path: '/api/tasks/:id',
      permission: 'task:read',
      summary: 'One task with its form schema (form-js) and the variables it shows',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const task = await need().tasks.load(tx, params.id, await actorOf(tx, ctx));
          const form = task.formId ? await latestForm(tx, task.tenantId, task.formId) : undefined;
          return { ...task, form: form ? { formId: form.formId, version: form.version, schema: form.schema } : null };
        }),
    }),
    route({
      method: 'get',
      path: '/api/tasks/:id/history',
      permission: 'task:read',
      summary: 'Who created, claimed, assigned and completed the task, and when',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          await need().tasks.load(tx, params.id, await actorOf(tx, ctx));
          return tx.select().from(workflowTaskEvents).where(eq(workflowTaskEvents.taskId, params.id)).orderBy(asc(workflowTaskEvents.id));
        }),
    }),
    route({
      method: 'post',
      path: '/api/tasks/:id/claim',
      permission: 'task:claim',
      summary: 'Take an unassigned task I am a candidate for',
      tags,
      params: idParams,
      handler: ({ params }, ctx) => ctx.tx(async (tx) => need().tasks.claim(tx, params.id, await actorOf(tx, ctx))),
    }),
    route({
      method: 'post',
      path: '/api/tasks/:id/unclaim',
      permission: 'task:claim',
      summary: 'Give a task back to its candidates (another’s task needs task:assign)',
      tags,
      params: idParams,
      handler: ({ params }, ctx) => ctx.tx(async (tx) => need().tasks.unclaim(tx, params.id, await actorOf(tx, ctx))),
    }),
    route({
      method: 'post',
      path: '/api/tasks/:id/assign',
      permission: 'task:assign',
      summary: 'Assign a task to a user of its tenant',
      tags,
      params: idParams,
      body: z.strictObject({ assignee: z.string().trim().min(1).max(200) }),
      handler: ({ params, body }, ctx) => ctx.tx(async (tx) => need().tasks.assign(tx, params.id, body.assignee, await actorOf(tx, ctx))),
    }),
    route({
      method: 'post',
      path: '/api/tasks/:id/complete',
      permission: 'task:complete',
      summary: 'Complete a task with the form’s variables (checked against its form-js schema); the process moves on',
      tags,
      params: idParams,
      body: z.strictObject({ variables: z.record(z.string(), z.unknown()).default({}) }),
      handler: ({ params, body }, ctx) => ctx.tx(async (tx) => need().tasks.complete(tx, params.id, body.variables, await actorOf(tx, ctx), ctx.locale)),
    }),
  ];
}

