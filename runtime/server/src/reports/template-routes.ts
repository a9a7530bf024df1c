import { reportTemplates, tenants, type Tx } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { onlyNewestVersions } from '../http/versions.js';
import { idFilterConditions } from '../http/scoped-queries.js';
import { authorIn, tenantTimeZone } from './caller.js';
import { artifactChecksum } from './checksum.js';
import { answering, refusal, under, zodProblem } from './errors.js';
import { reportMessage } from './messages.js';
import { runReport, runRequestSchema } from './run.js';
import type { ReportService } from './service.js';
import { type Author, type Saved, type TemplateRow, newestTemplate, resolveDataset, saveTemplateVersion } from './store.js';
import { type ReportTemplate, artifactCode, checkTemplate, reportTemplateSchema, reportViews } from './template.js';

const tags = ['Reports 报表'];
const PATH = '/api/reports/templates';
const document = z.record(z.string(), z.unknown()).describe('a report template: code, name, dataset {code, version?}, query, parameterBar, view, table, grouped, pivot, chart, formats, drillDowns');

const summary = ({ template: _template, ...row }: TemplateRow) => row;
const saved = ({ row, isNew }: Saved<TemplateRow>) => ({ ...summary(row), isNew });

async function load(tx: Tx, id: number): Promise<TemplateRow> {
  const [row] = await tx.select().from(reportTemplates).where(eq(reportTemplates.id, id));
  if (!row) throw new AppError('not_found');
  return row;
}

/**
 * A template as saved: its shape (zod), its dataset (in the target tenant, else built in; a pinned version
 * must exist), and every field it names planned against that dataset. Faults are 400s with the path in
 * the body (`body.template.query.dimensions.0`).
 */
export async function checkedTemplate(tx: Tx, ctx: RequestContext, service: ReportService, input: Record<string, unknown>, tenant: Author): Promise<ReportTemplate> {
  const parsed = reportTemplateSchema.safeParse(input);
  if (!parsed.success) throw zodProblem(parsed.error, 'body.template');
  const template = parsed.data;
  const resolution = await answering(ctx.locale, () => 'body.template.dataset', () => resolveDataset(tx, service.parsed, service.builtin, tenant.tenantId, template.dataset));
  if (resolution === 'unknown') {
    throw refusal('invalid_reference', 'body.template.dataset.code', 'dataset_unknown', reportMessage('dataset_unknown', ctx.locale, { code: template.dataset.code }));
  }
  if (resolution === 'unknown_version') {
    const message = reportMessage('dataset_version_unknown', ctx.locale, { code: template.dataset.code, version: template.dataset.version ?? '' });
    throw refusal('invalid_reference', 'body.template.dataset.version', 'dataset_version_unknown', message);
  }
  const timeZone = await tenantTimeZone(tx, tenant.tenantId);
  await answering(ctx.locale, under('body.template'), () => checkTemplate(template, resolution.dataset, { tenantPath: tenant.tenantPath, timeZone, now: new Date() }));
  return template;
}

/**
 * 报表模板: versioned like datasets (create a code, save changes as new versions, unchanged saves make
 * none), validated on save against their dataset; and run by id with the parameters in the query string.
 */
export function templateRoutes(service: ReportService) {
  return [
    route({
      method: 'get',
      path: PATH,
      permission: 'report:read',
      summary: 'Report templates: the newest version of each, or every version of one (?code=)',
      tags,
      query: pageQuery.extend({ code: artifactCode.optional(), datasetCode: artifactCode.optional(), tenantId: z.coerce.number().int().positive().optional() }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, { tenantId: { column: reportTemplates.tenantId, table: tenants } });
          if (query.datasetCode) where.push(eq(reportTemplates.datasetCode, query.datasetCode));
          if (query.code) where.push(eq(reportTemplates.code, query.code));
          else where.push(onlyNewestVersions(reportTemplates, reportTemplates.code));
          const page = await listPage(tx, reportTemplates, and(...where), [asc(reportTemplates.code), asc(reportTemplates.tenantId), desc(reportTemplates.version)], query);
          return { ...page, items: page.items.map(summary) };
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id`,
      permission: 'report:read',
      summary: 'One report template version with its document',
      tags,
      params: idParams,
      handler: ({ params }, ctx) => ctx.tx((tx) => load(tx, params.id)),
    }),
    route({
      method: 'post',
      path: PATH,
      permission: 'report:create',
      summary: 'Save a new report template in the caller’s tenant or one below it, checked against its dataset: 201 with version 1, 200 when saved again unchanged',
      tags,
      body: z.strictObject({ tenantId: z.number().int().positive().optional(), template: document }),
      status: 201,
      handler: async ({ body }, ctx, _req, res) => {
        const outcome = await ctx.tx(async (tx) => {
          const author = await authorIn(tx, ctx, body.tenantId);
          const template = await checkedTemplate(tx, ctx, service, body.template, author);
          const newest = await newestTemplate(tx, author.tenantId, template.code);
          if (newest && newest.checksum !== artifactChecksum(template as unknown as Record<string, unknown>)) {
            const message = reportMessage('code_taken', ctx.locale, { noun: 'report template', code: template.code, version: newest.version, path: PATH, id: newest.id });
            throw refusal('duplicate', 'body.template.code', 'code_taken', message);
          }
          return saveTemplateVersion(tx, author, template, newest);
        });
        res.status(outcome.isNew ? 201 : 200).json(saved(outcome));
      },
    }),
    route({
      method: 'put',
      path: `${PATH}/:id`,
      permission: 'report:update',
      summary: 'Save a changed template as its next version (200 with the newest version when unchanged)',
      tags,
      params: idParams,
      body: z.strictObject({ template: document }),
      status: 201,
      handler: async ({ params, body }, ctx, _req, res) => {
        const outcome = await ctx.tx(async (tx) => {
          const current = await load(tx, params.id);
          const author = { tenantId: current.tenantId, tenantPath: current.tenantPath, userId: ctx.principal().userId };
          const template = await checkedTemplate(tx, ctx, service, body.template, author);
          if (template.code !== current.code) {
            throw refusal('validation_failed', 'body.template.code', 'code_changed', reportMessage('code_changed', ctx.locale, { code: current.code }));
          }
          return saveTemplateVersion(tx, author, template, await newestTemplate(tx, current.tenantId, current.code));
        });
        res.status(outcome.isNew ? 201 : 200).json(saved(outcome));
      },
    }),
    route({
      method: 'delete',
      path: `${PATH}/:id`,
      permission: 'report:delete',
      summary: 'Delete a report template with all its versions',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const current = await load(tx, params.id);
          await tx.delete(reportTemplates).where(and(eq(reportTemplates.tenantId, current.tenantId), eq(reportTemplates.code, current.code)));
          return undefined;
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id/run`,
      permission: 'report:run',
      summary:
        'Run a template version with parameters in the query string (?period=last7Days, ?period=2026-03-01..2026-03-31 or period.from/period.to, ' +
        'repeated keys for lists), plus view, page and pageSize',
      tags,
      params: idParams,
      query: z
        .object({
          view: z.enum(reportViews).optional(),
          page: z.coerce.number().int().min(1).max(1_000_000).default(1),
          pageSize: z.coerce.number().int().min(1).max(10_000).optional(),
        })
        .catchall(z.union([z.string().max(1_000), z.array(z.string().max(1_000)).max(500)])),
      handler: ({ params, query }, ctx) => {
        const { view, page, pageSize, ...parameters } = query;
        const request = runRequestSchema.parse({ template: params.id, view, page, pageSize });
        return runReport(service, ctx, { request, where: 'query', queryString: parameters as Record<string, string | string[]> });
      },
    }),
  ];
}
