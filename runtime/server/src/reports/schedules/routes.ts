import { reportDeliveries, reportSchedules, reportTemplates, tenants, type Tx, users } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { exportFormats } from '@shuiyun/report-export';
import { canonicalTimeZone, planQuery } from '@shuiyun/reports';
import { and, asc, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../../http/context.js';
import { listPage } from '../../http/paging.js';
import { route } from '../../http/route.js';
import { idFilterConditions, resolveTenant, type TargetTenant } from '../../http/scoped-queries.js';
import { tenantTimeZone } from '../caller.js';
import { answering, refusal } from '../errors.js';
import { reportMessage } from '../messages.js';
import type { ReportService } from '../service.js';
import { newestTemplate, resolveDataset, templateOf } from '../store.js';
import { cronFault, nextCronRun } from './cron.js';
import { scheduleMessage } from './messages.js';
import type { ReportScheduler, ScheduleRow } from './scheduler.js';

const tags = ['Reports 报表'];
const PATH = '/api/reports/schedules';

const recipients = z.strictObject({
  users: z.array(z.number().int().positive()).max(200).default([]),
  emails: z.array(z.email().max(254)).max(50).default([]),
});

/** A schedule's fields; created with all of the required ones, changed with any of them. */
const fields = {
  templateId: z.number().int().positive().describe('a report template (version id); runs take the newest version of its code'),
  name: z.string().trim().min(1).max(200),
  cron: z.string().trim().min(1).max(120).describe('five fields: minute hour day-of-month month day-of-week (or @daily, @weekly …)'),
  timeZone: z.string().min(1).max(64).describe('IANA time zone the cron is read in; default the tenant’s'),
  parameters: z.record(z.string(), z.unknown()).describe('the template’s parameters for every run (over its saved defaults)'),
  format: z.enum(exportFormats),
  recipients: recipients.describe('users of the schedule’s tenant (in-app notifications) and e-mail addresses (needs SMTP_URL)'),
  enabled: z.boolean(),
};
const createBody = z.strictObject({
  tenantId: z.number().int().positive().optional(),
  ...fields,
  timeZone: fields.timeZone.optional(),
  parameters: fields.parameters.default({}),
  format: fields.format.default('xlsx'),
  enabled: fields.enabled.default(true),
});
const updateBody = z.strictObject(fields).partial();

interface ScheduleInput {
  templateId: number;
  name: string;
  cron: string;
  timeZone?: string | undefined;
  parameters: Record<string, unknown>;
  format: (typeof exportFormats)[number];
  recipients: { users: number[]; emails: string[] };
  enabled: boolean;
}

/** The API's face of a schedule: recipients together. */
const present = ({ recipientUserIds, recipientEmails, ...row }: ScheduleRow) => ({ ...row, recipients: { users: recipientUserIds, emails: recipientEmails } });

async function load(tx: Tx, id: number): Promise<ScheduleRow> {
  const [row] = await tx.select().from(reportSchedules).where(eq(reportSchedules.id, id));
  if (!row) throw new AppError('not_found');
  return row;
}

const within = (path: string, tenantPath: string) => path === tenantPath || path.startsWith(`${tenantPath}.`);

/**
 * A schedule as saved: its cron fires (in its time zone, default the tenant's), its template is one the
 * caller sees, its parameters plan with the template's query (the same planning a run does, so a wrong
 * type, an unknown parameter or a missing required one is a 400 now, not a failed delivery later), its
 * recipient users belong to the schedule's tenant subtree, and e-mail recipients need SMTP_URL.
 */
async function checked(tx: Tx, ctx: RequestContext, service: ReportService, scheduler: ReportScheduler, input: ScheduleInput, tenant: TargetTenant) {
  const { locale } = ctx;
  const now = new Date();
  let timeZone: string;
  if (input.timeZone !== undefined) {
    const canonical = canonicalTimeZone(input.timeZone);
    if (!canonical) throw refusal('validation_failed', 'body.timeZone', 'time_zone_invalid', scheduleMessage('time_zone_invalid', locale, { timeZone: input.timeZone }));
    timeZone = canonical;
  } else timeZone = await tenantTimeZone(tx, tenant.id);
  const fault = cronFault(input.cron, timeZone, now);
  if (fault) throw refusal('validation_failed', 'body.cron', fault.code, scheduleMessage(fault.code, locale, { cron: input.cron, detail: fault.code === 'cron_invalid' ? fault.detail : '' }));

  const [template] = await tx.select().from(reportTemplates).where(eq(reportTemplates.id, input.templateId));
  if (!template) throw refusal('invalid_reference', 'body.templateId', 'template_not_visible', reportMessage('template_not_visible', locale, { id: input.templateId }));
  const newest = (await newestTemplate(tx, template.tenantId, template.code)) ?? template;
  const document = templateOf(newest);
  const resolution = await answering(locale, () => 'template.dataset', () => resolveDataset(tx, service.parsed, service.builtin, newest.tenantId, document.dataset));
  if (typeof resolution === 'string') {
    throw refusal('invalid_reference', 'body.templateId', 'dataset_unknown', reportMessage('dataset_unknown', locale, { code: document.dataset.code }));
  }
  const parameters = { ...((document.query.parameters as Record<string, unknown> | undefined) ?? {}), ...input.parameters };
  await answering(
    locale,
    (path) => {
      const [head, ...rest] = path.map(String);
      return head === 'parameters' ? ['body.parameters', ...rest].join('.') : ['template.query', ...(head === undefined ? [] : [head]), ...rest].join('.');
    },
    () => planQuery(resolution.dataset, { ...document.query, parameters }, { tenantPath: ctx.principal().tenantPath, timeZone, now }),
  );

  const wanted = [...new Set(input.recipients.users)];
  const found = wanted.length ? await tx.select({ id: users.id, tenantPath: users.tenantPath }).from(users).where(inArray(users.id, wanted)) : [];
  input.recipients.users.forEach((id, i) => {
    const user = found.find((u) => u.id === id);
    if (!user || !within(user.tenantPath, tenant.path)) {
      throw refusal('invalid_reference', `body.recipients.users.${i}`, 'recipient_unknown', scheduleMessage('recipient_unknown', locale, { id }));
    }
  });
  if (input.recipients.emails.length > 0 && !scheduler.canEmail) {
    throw refusal('validation_failed', 'body.recipients.emails', 'smtp_not_configured', scheduleMessage('smtp_not_configured', locale));
  }
  if (wanted.length === 0 && input.recipients.emails.length === 0) {
    throw refusal('validation_failed', 'body.recipients', 'recipients_missing', scheduleMessage('recipients_missing', locale));
  }
  return {
    templateId: input.templateId,
    name: input.name,
    cron: input.cron,
    timeZone,
    parameters: input.parameters,
    format: input.format,
    recipientUserIds: wanted,
    recipientEmails: [...new Set(input.recipients.emails.map((e) => e.toLowerCase()))],
    enabled: input.enabled,
    nextRunAt: input.enabled ? nextCronRun(input.cron, timeZone, now) : null,
    // Whoever saves a schedule owns it: runs use the rights of the last person who chose what it sends to whom.
    ownerId: ctx.principal().userId,
  };
}

/**
 * 报表订阅: CRUD for schedules, run-now and the delivery history. A schedule belongs to the caller's
 * tenant or one below it (`tenantId`); it runs as its owner — whoever saved it last.
 */
export function scheduleRoutes(service: ReportService, scheduler: ReportScheduler) {
  return [
    route({
      method: 'get',
      path: PATH,
      permission: 'report-schedule:read',
      summary: 'Report schedules of the caller’s tenant subtree (?tenantId= for one tenant)',
      tags,
      query: pageQuery.extend({ tenantId: z.coerce.number().int().positive().optional() }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: SQL[] = await idFilterConditions(tx, query, { tenantId: { column: reportSchedules.tenantId, table: tenants } });
          const page = await listPage(tx, reportSchedules, and(...where), [asc(reportSchedules.id)], query);
          return { ...page, items: page.items.map(present) };
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id`,
      permission: 'report-schedule:read',
      summary: 'One report schedule: cron, time zone, parameters, format, recipients, next and last run',
      tags,
      params: idParams,
      handler: async ({ params }, ctx) => present(await ctx.tx((tx) => load(tx, params.id))),
    }),
    route({
      method: 'post',
      path: PATH,
      permission: 'report-schedule:create',
      summary:
        'Schedule a report template: cron (checked: a syntax error or a cron that never fires is 400 at body.cron), time zone, parameters ' +
        '(planned with the template now), format csv|xlsx|pdf, recipients (users of the tenant, e-mail addresses with SMTP_URL)',
      tags,
      body: createBody,
      status: 201,
      handler: ({ body }, ctx) =>
        ctx.tx(async (tx) => {
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          const values = await checked(tx, ctx, service, scheduler, body, tenant);
          const [row] = await tx
            .insert(reportSchedules)
            .values({ tenantId: tenant.id, tenantPath: tenant.path, ...values, createdBy: ctx.principal().userId })
            .returning();
          return present(row!);
        }),
    }),
    route({
      method: 'patch',
      path: `${PATH}/:id`,
      permission: 'report-schedule:update',
      summary: 'Change a report schedule (checked like a new one); the caller becomes its owner, and its next run is computed again',
      tags,
      params: idParams,
      body: updateBody,
      handler: ({ params, body }, ctx) =>
        ctx.tx(async (tx) => {
          const current = await load(tx, params.id);
          const input: ScheduleInput = {
            templateId: body.templateId ?? current.templateId,
            name: body.name ?? current.name,
            cron: body.cron ?? current.cron,
            timeZone: body.timeZone ?? current.timeZone,
            parameters: body.parameters ?? current.parameters,
            format: body.format ?? current.format,
            recipients: body.recipients ?? { users: current.recipientUserIds, emails: current.recipientEmails },
            enabled: body.enabled ?? current.enabled,
          };
          const values = await checked(tx, ctx, service, scheduler, input, { id: current.tenantId, path: current.tenantPath });
          const [row] = await tx
            .update(reportSchedules)
            .set({ ...values, updatedAt: new Date() })
            .where(eq(reportSchedules.id, current.id))
            .returning();
          return present(row!);
        }),
    }),
    route({
      method: 'delete',
      path: `${PATH}/:id`,
      permission: 'report-schedule:delete',
      summary: 'Delete a report schedule with its delivery history (notifications already sent stay)',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const current = await load(tx, params.id);
          await tx.delete(reportSchedules).where(eq(reportSchedules.id, current.id));
          return undefined;
        }),
    }),
    route({
      method: 'post',
      path: `${PATH}/:id/run-now`,
      permission: 'report-schedule:run',
      summary: 'Run a schedule now (as its owner, enabled or not; its cron is not touched) and answer with the delivery',
      tags,
      params: idParams,
      handler: async ({ params }, ctx) => {
        const schedule = await ctx.tx((tx) => load(tx, params.id));
        return scheduler.runNow(schedule);
      },
    }),
    route({
      method: 'get',
      path: `${PATH}/:id/deliveries`,
      permission: 'report-schedule:read',
      summary: 'A schedule’s deliveries, newest first: status, rows, bytes, in-app and e-mail recipients served, error',
      tags,
      params: idParams,
      query: pageQuery,
      handler: ({ params, query }, ctx) =>
        ctx.tx(async (tx) => {
          const schedule = await load(tx, params.id);
          return listPage(tx, reportDeliveries, eq(reportDeliveries.scheduleId, schedule.id), [desc(reportDeliveries.id)], query);
        }),
    }),
  ];
}
