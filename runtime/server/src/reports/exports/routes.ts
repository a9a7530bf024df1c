import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { reportExports, tenants } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { exportFormats } from '@shuiyun/report-export';
import { eq, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../../http/context.js';
import { route } from '../../http/route.js';
import { idFilterConditions } from '../../http/scoped-queries.js';
import { runRequestSchema } from '../run.js';
import { exportJobMessage } from './messages.js';
import type { ExportJobRow, ReportExportRunner } from './runner.js';

const tags = ['Reports 报表'];
const PATH = '/api/reports/exports';

/**
 * The API's face of a job: its progress (percent when the total is known), the file while it can be
 * downloaded, and never the runner's bookkeeping or where the file sits on disk.
 */
export function presentExport(row: ExportJobRow) {
  const percent =
    row.status === 'succeeded' ? 100 : row.rowsTotal === null ? null : row.rowsTotal === 0 ? 0 : Math.min(100, Math.floor((row.rowsWritten * 100) / row.rowsTotal));
  const downloadable = row.status === 'succeeded' && row.file !== null;
  return {
    id: row.id,
    tenantId: row.tenantId,
    requestedBy: row.requestedBy,
    format: row.format,
    status: row.status,
    request: row.request,
    progress: { rowsWritten: row.rowsWritten, rowsTotal: row.rowsTotal, percent },
    file: downloadable ? { name: row.fileName, size: row.fileSize, mediaType: row.mediaType, url: `${PATH}/${row.id}/file` } : null,
    /** The job succeeded, and its file has since been deleted (past `expiresAt`). */
    expired: row.status === 'succeeded' && row.file === null,
    error: row.error,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    expiresAt: row.expiresAt,
  };
}

const notDownloadable = (ctx: RequestContext, row: ExportJobRow): AppError => {
  const params = { id: row.id, status: row.status };
  if (row.status === 'queued' || row.status === 'running') {
    return new AppError('conflict', { details: [{ path: 'params.id', code: 'export_not_ready', message: exportJobMessage('export_not_ready', ctx.locale, params) }] });
  }
  if (row.status === 'succeeded') {
    return new AppError('not_found', { details: [{ path: 'params.id', code: 'export_expired', message: exportJobMessage('export_expired', ctx.locale, params) }] });
  }
  return new AppError('conflict', { details: [{ path: 'params.id', code: 'export_not_downloadable', message: exportJobMessage('export_not_downloadable', ctx.locale, params) }] });
};

/**
 * 导出任务: long exports in the background. Submitting checks the request and runs its first page (so a bad
 * request is refused at once, as by `/api/reports/export`) and answers 202 with the job; its status shows
 * the progress; the file is downloaded once it succeeded, until it expires. Everyone sees their own jobs;
 * holders of report:update those of everyone in their tenant subtree; other tenants' jobs are a 404.
 */
export function exportJobRoutes(runner: ReportExportRunner) {
  return [
    route({
      method: 'post',
      path: PATH,
      permission: 'report:run',
      summary:
        'Export a report (the body of /api/reports/run) as CSV, XLSX or PDF (?format=) in the background: checked and its first page run at once, then 202 with the job (poll it, then download its file)',
      tags,
      query: z.object({ format: z.enum(exportFormats) }),
      body: runRequestSchema,
      status: 202,
      handler: async ({ query, body }, ctx, _req, res) => {
        const row = await runner.submit(ctx, body, query.format);
        res.setHeader('location', `${PATH}/${row.id}`);
        return presentExport(row);
      },
    }),
    route({
      method: 'get',
      path: PATH,
      permission: 'report:run',
      summary: 'My background report exports, newest first (?scope=all: everyone’s in my tenant subtree, with report:update; ?tenantId=, ?status=)',
      tags,
      query: pageQuery.extend({
        scope: z.enum(['mine', 'all']).default('mine'),
        tenantId: z.coerce.number().int().positive().optional(),
        status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional(),
      }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          if (query.scope === 'all' && !runner.canManage(ctx)) {
            throw new AppError('forbidden', { details: [{ path: 'query.scope', code: 'export_scope_all', message: exportJobMessage('export_scope_all', ctx.locale) }] });
          }
          const where: SQL[] = await idFilterConditions(tx, query, { tenantId: { column: reportExports.tenantId, table: tenants } });
          if (query.status) where.push(eq(reportExports.status, query.status));
          const page = await runner.list(tx, ctx, { page: query.page, pageSize: query.pageSize, all: query.scope === 'all', where });
          return { ...page, items: page.items.map(presentExport) };
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id`,
      permission: 'report:run',
      summary: 'One background report export: status, progress {rowsWritten, rowsTotal, percent}, the file once ready, the error when it failed',
      tags,
      params: idParams,
      handler: async ({ params }, ctx) => presentExport(await ctx.tx((tx) => runner.load(tx, ctx, params.id))),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id/file`,
      permission: 'report:run',
      summary: 'Download the file of a finished background export (409 export_not_ready while it runs, 409 when it failed or was cancelled, 404 export_expired once deleted)',
      tags,
      params: idParams,
      handler: async ({ params }, ctx, _req, res) => {
        const row = await ctx.tx((tx) => runner.load(tx, ctx, params.id));
        if (row.status !== 'succeeded' || !row.file) throw notDownloadable(ctx, row);
        const stream = createReadStream(join(runner.dataDir, row.file));
        await new Promise<void>((resolve, reject) => {
          stream.once('open', () => resolve());
          stream.once('error', () =>
            reject(new AppError('not_found', { details: [{ path: 'params.id', code: 'export_file_missing', message: exportJobMessage('export_file_missing', ctx.locale, { id: row.id }) }] })),
          );
        });
        res.status(200);
        res.setHeader('content-type', row.mediaType ?? 'application/octet-stream');
        if (row.fileSize !== null) res.setHeader('content-length', String(row.fileSize));
        res.setHeader('content-disposition', `attachment; filename="${(row.fileName ?? `${row.id}.${row.format}`).replace(/[^A-Za-z0-9._-]/g, '_')}"`);
        await new Promise<void>((resolve, reject) => {
          stream.pipe(res);
          stream.once('error', reject);
          res.once('finish', () => resolve());
          res.once('close', () => {
            stream.destroy();
            resolve();
          });
        });
      },
    }),
    route({
      method: 'post',
      path: `${PATH}/:id/cancel`,
      permission: 'report:run',
      summary: 'Cancel a queued or running background export: it stops at once, its partial file is deleted, status cancelled (an ended job, or a second cancel, is 409 export_not_cancellable)',
      tags,
      params: idParams,
      handler: async ({ params }, ctx) => presentExport(await runner.cancel(ctx, params.id)),
    }),
  ];
}
