import {
  tenants,
  type Tx,
  workflowDefinitions,
  workflowHistory,
  workflowIncidents,
  workflowInstances,
  workflowJobs,
  workflowSubscriptions,
  workflowTimers,
  workflowUserTasks,
} from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, asc, desc, eq, gt, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { onlyNewestVersions } from '../http/versions.js';
import { idFilterConditions, resolveTenant } from '../http/scoped-queries.js';
import type { WorkflowEngine } from './engine.js';

const tags = ['Processes 流程'];
const variables = z.record(z.string(), z.unknown()).default({});
const processId = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,254}$/, 'a BPMN process id (an XML NCName)');
const jobType = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/);

function unavailable(): never {
  throw new AppError('not_ready', { details: [{ path: 'workflow', message: 'the workflow engine is not running on this node' }] });
}

async function loadInstance(tx: Tx, id: number) {
  const [row] = await tx.select().from(workflowInstances).where(eq(workflowInstances.id, id));
  if (!row) throw new AppError('not_found', { details: [{ path: 'params.id', message: `no process instance ${id}` }] });
  return row;
}

const deployer = async (tx: Tx, ctx: RequestContext, tenantId: number | undefined) => {
  const tenant = await resolveTenant(tx, ctx, tenantId);
  return { tenantId: tenant.id, tenantPath: tenant.path, userId: ctx.principal().userId };
};

/** Process administration: deploy, definitions and versions, start, instances with history, cancel, messages, incidents. */
export function processRoutes(engine: WorkflowEngine | undefined) {
  const need = () => engine ?? unavailable();
  return [
    route({
      method: 'post',
      path: '/api/workflow/deployments',
      permission: 'process:deploy',
      summary: 'Deploy BPMN processes and form-js forms; each changed process or form becomes a new version of its tenant',
      tags,
      body: z.strictObject({
        tenantId: z.number().int().positive().optional(),
        resources: z
          .array(z.strictObject({ name: z.string().trim().min(1).max(255), content: z.string().min(1).max(2_000_000) }))
          .min(1)
          .max(50),
      }),
      status: 201,
      handler: ({ body }, ctx) => ctx.tx(async (tx) => need().deploy(tx, await deployer(tx, ctx, body.tenantId), body.resources)),
    }),
    route({
      method: 'get',
      path: '/api/workflow/definitions',
      permission: 'process:read',
      summary: 'Process definitions: the newest version of each process, or every version of one (?processId=)',
      tags,
      query: pageQuery.extend({ processId: processId.optional(), tenantId: z.coerce.number().int().positive().optional() }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, { tenantId: { column: workflowDefinitions.tenantId, table: tenants } });
          if (query.processId) where.push(eq(workflowDefinitions.processId, query.processId));
          else where.push(onlyNewestVersions(workflowDefinitions, workflowDefinitions.processId));
          const page = await listPage(tx, workflowDefinitions, and(...where), [asc(workflowDefinitions.processId), desc(workflowDefinitions.version)], query);
          return { ...page, items: page.items.map(({ xml: _xml, ...rest }) => rest) };
        }),
    }),
    route({
      method: 'get',
      path: '/api/workflow/definitions/:id',
      permission: 'process:read',
      summary: 'One process definition version with its BPMN XML',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const [row] = await tx.select().from(workflowDefinitions).where(eq(workflowDefinitions.id, params.id));
          if (!row) throw new AppError('not_found');
          return row;
        }),
    }),
    route({
      method: 'post',
      path: '/api/workflow/instances',
      permission: 'process:start',
      summary: 'Start an instance of a process (newest version unless one is named)',
      tags,
      body: z.strictObject({
        tenantId: z.number().int().positive().optional(),
        processId,
        version: z.number().int().positive().optional(),
        businessKey: z.string().trim().min(1).max(200).optional(),
        variables,
      }),
      status: 201,
      handler: ({ body }, ctx) =>
        ctx.tx(async (tx) => {
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          return need().startInstance(tx, { tenantId: tenant.id, processId: body.processId, version: body.version, variables: body.variables, businessKey: body.businessKey, startedBy: ctx.principal().userId });
        }),
    }),
    route({
      method: 'get',
      path: '/api/workflow/instances',
      permission: 'process:read',
      summary: 'Process instances, newest first',
      tags,
      query: pageQuery.extend({
        state: z.enum(['active', 'completed', 'terminated', 'canceled', 'incident']).optional(),
        processId: processId.optional(),
        businessKey: z.string().max(200).optional(),
        tenantId: z.coerce.number().int().positive().optional(),
      }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, { tenantId: { column: workflowInstances.tenantId, table: tenants } });
          if (query.state === 'incident') where.push(gt(workflowInstances.openIncidents, 0));
          else if (query.state) where.push(eq(workflowInstances.state, query.state));
          if (query.processId) where.push(eq(workflowInstances.processId, query.processId));
          if (query.businessKey) where.push(eq(workflowInstances.businessKey, query.businessKey));
          const page = await listPage(tx, workflowInstances, and(...where), [desc(workflowInstances.id)], query);
          return { ...page, items: page.items.map(({ snapshot: _snapshot, ...rest }) => rest) };
        }),
    }),
    route({
      method: 'get',
      path: '/api/workflow/instances/:id',
      permission: 'process:read',
      summary: 'One instance: state, variables, what it waits on (jobs, tasks, messages, timers), incidents',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const { snapshot: _snapshot, ...instance } = await loadInstance(tx, params.id);
          // One after the other: a transaction is one connection, and pg warns on overlapping queries.
          const jobs = await tx.select().from(workflowJobs).where(eq(workflowJobs.instanceId, params.id));
          const tasks = await tx.select().from(workflowUserTasks).where(and(eq(workflowUserTasks.instanceId, params.id), eq(workflowUserTasks.state, 'created')));
          const subscriptions = await tx.select().from(workflowSubscriptions).where(eq(workflowSubscriptions.instanceId, params.id));
          const timers = await tx.select().from(workflowTimers).where(eq(workflowTimers.instanceId, params.id));
          const incidents = await tx.select().from(workflowIncidents).where(eq(workflowIncidents.instanceId, params.id)).orderBy(desc(workflowIncidents.id));
          const children = await tx
            .select({ id: workflowInstances.id, processId: workflowInstances.processId, state: workflowInstances.state })
            .from(workflowInstances)
            .where(eq(workflowInstances.parentId, params.id));
          return { ...instance, waitingOn: { jobs, userTasks: tasks, messageSubscriptions: subscriptions, timers }, incidents, children };
        }),
    }),
    route({
      method: 'get',
      path: '/api/workflow/instances/:id/history',
      permission: 'process:read',
      summary: 'The elements an instance entered and left, in order, with times',
      tags,
      params: idParams,
      query: pageQuery.extend({ pageSize: z.coerce.number().int().min(1).max(500).default(200) }),
      handler: ({ params, query }, ctx) =>
        ctx.tx(async (tx) => {
          await loadInstance(tx, params.id);
          return listPage(tx, workflowHistory, eq(workflowHistory.instanceId, params.id), [asc(workflowHistory.id)], query);
        }),
    }),
    route({
      method: 'post',
      path: '/api/workflow/instances/:id/cancel',
      permission: 'process:cancel',
      summary: 'Cancel an active instance, its open tasks and jobs and its child instances',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          await loadInstance(tx, params.id);
          const { snapshot: _snapshot, ...row } = await need().cancelInstance(tx, params.id);
          return row;
        }),
    }),
    route({
      method: 'post',
      path: '/api/workflow/messages',
      permission: 'process:message',
      summary: 'Publish a message: continue the instances waiting for it (name + correlation key) and start message-start processes',
      tags,
      body: z.strictObject({
        tenantId: z.number().int().positive().optional(),
        name: z.string().trim().min(1).max(255),
        correlationKey: z.string().max(255).default(''),
        variables,
      }),
      handler: ({ body }, ctx) =>
        ctx.tx(async (tx) => {
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          return need().publishMessage(tx, { tenantId: tenant.id, name: body.name, correlationKey: body.correlationKey, variables: body.variables, startedBy: ctx.principal().userId });
        }),
    }),
    route({
      method: 'get',
      path: '/api/workflow/incidents',
      permission: 'process:read',
      summary: 'Incidents (open first), with what stopped the instance',
      tags,
      query: pageQuery.extend({
        state: z.enum(['open', 'resolved']).optional(),
        instanceId: z.coerce.number().int().positive().optional(),
        tenantId: z.coerce.number().int().positive().optional(),
      }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, {
            instanceId: { column: workflowIncidents.instanceId, table: workflowInstances },
            tenantId: { column: workflowIncidents.tenantId, table: tenants },
          });
          if (query.state) where.push(eq(workflowIncidents.state, query.state));
          return listPage(tx, workflowIncidents, and(...where), [desc(workflowIncidents.id)], query);
        }),
    }),
    route({
      method: 'post',
      path: '/api/workflow/incidents/:id/retry',
      permission: 'process:retry',
      summary: 'Retry an incident: a failed job gets new retries; an expression or unhandled error is tried again after merging the given variables',
      tags,
      params: idParams,
      body: z.strictObject({ retries: z.number().int().min(1).max(100).default(1), variables: z.record(z.string(), z.unknown()).optional() }),
      handler: ({ params, body }, ctx) =>
        ctx.tx(async (tx) => {
          await need().retryIncident(tx, params.id, { retries: body.retries, variables: body.variables }, ctx.principal().userId);
          const [row] = await tx.select().from(workflowIncidents).where(eq(workflowIncidents.id, params.id));
          return row!;
        }),
    }),
    route({
      method: 'post',
      path: '/api/workflow/jobs/activate',
      permission: 'job:activate',
      summary: 'For job workers outside the runtime: take up to maxJobs jobs of a type of the caller’s tenant, each until its deadline',
      tags,
      body: z.strictObject({
        type: jobType,
        worker: z.string().trim().min(1).max(100),
        maxJobs: z.number().int().min(1).max(100).default(10),
        timeoutMs: z.number().int().min(1_000).max(24 * 3_600_000).default(60_000),
      }),
      handler: ({ body }, ctx) =>
        ctx.tx(async (tx) => {
          const engine = need();
          engine.noteExternalWorker(body.type);
          const jobs = await engine.jobs.activate(tx, { types: [body.type], worker: body.worker, maxJobs: body.maxJobs, timeoutMs: body.timeoutMs, tenantId: ctx.principal().tenantId });
          return { jobs };
        }),
    }),
    route({
      method: 'post',
      path: '/api/workflow/jobs/:id/complete',
      permission: 'job:complete',
      summary: 'Complete an activated job with its result variables',
      tags,
      params: idParams,
      body: z.strictObject({ worker: z.string().trim().min(1).max(100), variables }),
      handler: async ({ params, body }, ctx) => {
        await ctx.tx((tx) => need().jobs.complete(tx, params.id, body.variables, body.worker));
        return { completed: true };
      },
    }),
    route({
      method: 'post',
      path: '/api/workflow/jobs/:id/fail',
      permission: 'job:complete',
      summary: 'Report a failed attempt: retried after a back-off while retries remain, else an incident',
      tags,
      params: idParams,
      body: z.strictObject({
        worker: z.string().trim().min(1).max(100),
        errorMessage: z.string().trim().min(1).max(4_000),
        retries: z.number().int().min(0).max(100).optional(),
        retryBackOffMs: z.number().int().min(0).max(24 * 3_600_000).optional(),
      }),
      handler: ({ params, body }, ctx) =>
        ctx.tx((tx) => need().jobs.fail(tx, params.id, { errorMessage: body.errorMessage, retries: body.retries, backOffMs: body.retryBackOffMs }, body.worker)),
    }),
    route({
      method: 'post',
      path: '/api/workflow/jobs/:id/error',
      permission: 'job:complete',
      summary: 'Throw a BPMN error from a job: an error boundary event catches it, else an incident',
      tags,
      params: idParams,
      body: z.strictObject({
        worker: z.string().trim().min(1).max(100),
        errorCode: z.string().trim().min(1).max(255),
        errorMessage: z.string().max(4_000).optional(),
        variables: variables.optional(),
      }),
      handler: async ({ params, body }, ctx) => {
        await ctx.tx((tx) => need().jobs.throwError(tx, params.id, { errorCode: body.errorCode, message: body.errorMessage, variables: body.variables }, body.worker));
        return { thrown: true };
      },
    }),
  ];
}
