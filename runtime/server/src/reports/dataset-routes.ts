import { reportDatasets, tenants, type Tx } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { type Dataset, parseDataset } from '@shuiyun/reports';
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { onlyNewestVersions } from '../http/versions.js';
import { idFilterConditions } from '../http/scoped-queries.js';
import { authorIn } from './caller.js';
import { artifactChecksum } from './checksum.js';
import { checkDatasetPolicy, isPlatformUser } from './dataset-policy.js';
import { answering, refusal, under } from './errors.js';
import { reportMessage } from './messages.js';
import type { ReportService } from './service.js';
import { type DatasetRow, type Saved, newestDataset, saveDatasetVersion, templatesUsing } from './store.js';
import { artifactCode } from './template.js';

const tags = ['Reports 报表'];
const PATH = '/api/reports/datasets';
const definition = z.record(z.string(), z.unknown()).describe('a dataset definition (@shuiyun/reports model: id, label, source, columns, dimensions, measures, parameters …)');

const summary = ({ definition: _definition, ...row }: DatasetRow) => row;
const saved = ({ row, isNew }: Saved<DatasetRow>) => ({ ...summary(row), isNew });

async function load(tx: Tx, id: number): Promise<DatasetRow> {
  const [row] = await tx.select().from(reportDatasets).where(eq(reportDatasets.id, id));
  if (!row) throw new AppError('not_found');
  return row;
}

/** Parses and checks a definition: the engine's model first, then who may save it. */
async function checked(tx: Tx, ctx: RequestContext, input: Record<string, unknown>): Promise<Dataset> {
  const dataset = await answering(ctx.locale, under('body.definition'), () => parseDataset(input));
  checkDatasetPolicy(dataset, await isPlatformUser(tx, ctx.principal().tenantId), ctx.locale, 'body.definition');
  return dataset;
}

/**
 * 数据集: a tenant's datasets, each a list of immutable versions. Creating names a new code; saving a
 * changed definition of a code makes its next version (an unchanged one makes none). The built-in
 * datasets are every tenant's, read-only, and a tenant dataset of the same code shadows one.
 */
export function datasetRoutes(service: ReportService) {
  return [
    route({
      method: 'get',
      path: '/api/reports/builtin-datasets',
      permission: 'dataset:read',
      summary: 'The built-in datasets (reading rate, daily consumption, alarm statistics, online rate), each with the caller’s tenant dataset that shadows it',
      tags,
      handler: (_input, ctx) =>
        ctx.tx(async (tx) => {
          const codes = [...service.builtin.keys()];
          const shadows = await tx
            .select({ code: reportDatasets.code, id: sql<number>`max(${reportDatasets.id})`.mapWith(Number) })
            .from(reportDatasets)
            .where(and(eq(reportDatasets.tenantId, ctx.principal().tenantId), inArray(reportDatasets.code, codes)))
            .groupBy(reportDatasets.code);
          const shadowedBy = new Map(shadows.map((s) => [s.code, s.id]));
          return {
            // As definitions a consultant can copy and save: the columns of an analytics table are the store's, not the definition's.
            items: [...service.builtin.values()].map(({ template: _template, lookupTemplates: _lookups, columns, ...dataset }) => ({
              ...dataset,
              ...(dataset.source.kind === 'analytics' ? {} : { columns }),
              shadowedBy: shadowedBy.get(dataset.id) ?? null,
            })),
          };
        }),
    }),
    route({
      method: 'get',
      path: PATH,
      permission: 'dataset:read',
      summary: 'Saved datasets: the newest version of each, or every version of one (?code=)',
      tags,
      query: pageQuery.extend({ code: artifactCode.optional(), tenantId: z.coerce.number().int().positive().optional() }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, { tenantId: { column: reportDatasets.tenantId, table: tenants } });
          if (query.code) where.push(eq(reportDatasets.code, query.code));
          else where.push(onlyNewestVersions(reportDatasets, reportDatasets.code));
          const page = await listPage(tx, reportDatasets, and(...where), [asc(reportDatasets.code), asc(reportDatasets.tenantId), desc(reportDatasets.version)], query);
          return { ...page, items: page.items.map(summary) };
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id`,
      permission: 'dataset:read',
      summary: 'One dataset version with its definition',
      tags,
      params: idParams,
      handler: ({ params }, ctx) => ctx.tx((tx) => load(tx, params.id)),
    }),
    route({
      method: 'post',
      path: PATH,
      permission: 'dataset:create',
      summary:
        'Save a new dataset (its code is the definition’s id) in the caller’s tenant or one below it: 201 with version 1, or 200 when the ' +
        'same definition is saved again. Datasets with SQL of their own are for platform administrators only (403).',
      tags,
      body: z.strictObject({ tenantId: z.number().int().positive().optional(), definition }),
      status: 201,
      handler: async ({ body }, ctx, _req, res) => {
        const outcome = await ctx.tx(async (tx) => {
          const author = await authorIn(tx, ctx, body.tenantId);
          const dataset = await checked(tx, ctx, body.definition);
          const newest = await newestDataset(tx, author.tenantId, dataset.id);
          if (newest && newest.checksum !== artifactChecksum(body.definition)) {
            const message = reportMessage('code_taken', ctx.locale, { noun: 'dataset', code: dataset.id, version: newest.version, path: PATH, id: newest.id });
            throw refusal('duplicate', 'body.definition.id', 'code_taken', message);
          }
          return saveDatasetVersion(tx, author, dataset, body.definition, newest);
        });
        res.status(outcome.isNew ? 201 : 200).json(saved(outcome));
      },
    }),
    route({
      method: 'put',
      path: `${PATH}/:id`,
      permission: 'dataset:update',
      summary: 'Save a changed definition of the dataset as its next version (200 with the newest version when unchanged)',
      tags,
      params: idParams,
      body: z.strictObject({ definition }),
      status: 201,
      handler: async ({ params, body }, ctx, _req, res) => {
        const outcome = await ctx.tx(async (tx) => {
          const current = await load(tx, params.id);
          const dataset = await checked(tx, ctx, body.definition);
          if (dataset.id !== current.code) {
            throw refusal('validation_failed', 'body.definition.id', 'code_changed', reportMessage('code_changed', ctx.locale, { code: current.code }));
          }
          const author = { tenantId: current.tenantId, tenantPath: current.tenantPath, userId: ctx.principal().userId };
          return saveDatasetVersion(tx, author, dataset, body.definition, await newestDataset(tx, current.tenantId, current.code));
        });
        res.status(outcome.isNew ? 201 : 200).json(saved(outcome));
      },
    }),
    route({
      method: 'delete',
      path: `${PATH}/:id`,
      permission: 'dataset:delete',
      summary: 'Delete a dataset with all its versions; refused (409) while a template of its tenant still reads it',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const current = await load(tx, params.id);
          const users = await templatesUsing(tx, current.tenantId, current.code);
          if (users.length > 0) {
            throw refusal('still_referenced', 'params.id', 'dataset_in_use', reportMessage('dataset_in_use', ctx.locale, { templates: users.join(', ') }));
          }
          await tx.delete(reportDatasets).where(and(eq(reportDatasets.tenantId, current.tenantId), eq(reportDatasets.code, current.code)));
          return undefined;
        }),
    }),
  ];
}
