import { AppError } from '@shuiyun/http';
import {
  type ExportColumn,
  type ExportFormat,
  type ExportJob,
  DEFAULT_PDF_MAX_ROWS,
  ExportCancelled,
  ExportError,
  type ExportSheet,
  exportColumns,
  exportFormats,
  exportMediaTypes,
  assertPdfRowLimit,
  groupedTableSheet,
  pivotSheet,
  runExport,
} from '@shuiyun/report-export';
import type { ResultRow } from '@shuiyun/reports';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { route } from '../http/route.js';
import { runReport, runRequestSchema, type RunRequest, type RunResponse } from './run.js';
import type { ReportService } from './service.js';

/** Rows fetched per page while a table export streams. */
const EXPORT_PAGE_ROWS = 10_000;

const fileName = (response: RunResponse, format: ExportFormat) =>
  `${(response.template?.code ?? response.dataset.code).replace(/[^A-Za-z0-9._-]/g, '_')}-${new Date().toISOString().slice(0, 10)}.${format}`;

/** An export ready to stream: the first page's run (its errors already thrown) and the job without its output. */
export interface PreparedExport {
  first: RunResponse;
  title: string;
  fileName: string;
  job: Omit<ExportJob, 'out' | 'signal'>;
}

/** The API's error for an export refused before it starts (a PDF of too many rows): 422 at `query.format`, as the download answers it. */
export function exportProblem(error: ExportError, locale: RequestContext['locale']): AppError {
  return new AppError('validation_failed', { status: error.status, details: [{ path: 'query.format', code: error.code, message: error.messages[locale] }] });
}

/**
 * Runs the first page of the report the caller asked for (so every error — unknown template, bad
 * parameter, limits, a PDF of a table with too many rows — is thrown before any byte) and shapes the export: a table pages through the whole
 * result ({@link EXPORT_PAGE_ROWS} rows a query) when the job reads its source, grouped tables keep their
 * subtotals, pivots their merged headers, a PDF the chart of a chart view. Shared by the download route and
 * the report schedules.
 */
export async function prepareExport(service: ReportService, ctx: RequestContext, request: RunRequest, format: ExportFormat): Promise<PreparedExport> {
  const first = await runReport(service, ctx, { request: { ...request, page: 1, pageSize: request.view && request.view !== 'table' ? request.pageSize : EXPORT_PAGE_ROWS }, where: 'body' });
  const locale = ctx.locale;
  if (format === 'pdf' && first.view === 'table') {
    // runExport refuses it too, but by destroying its output: a download would lose the answer with the socket.
    try {
      assertPdfRowLimit(first.page.total, DEFAULT_PDF_MAX_ROWS);
    } catch (error) {
      throw error instanceof ExportError ? exportProblem(error, locale) : error;
    }
  }
  let sheet: Pick<ExportSheet, 'columns' | 'header' | 'frozenColumns' | 'rows'>;
  if (first.view === 'grouped' && first.grouped) sheet = groupedTableSheet(first.grouped, { locale });
  else if (first.view === 'pivot' && first.pivot) sheet = pivotSheet(first.pivot, { locale });
  else if (first.view === 'table') {
    const pages = async function* (): AsyncGenerator<ResultRow[]> {
      yield first.rows;
      let current = first;
      for (let page = 2; current.page.hasMore; page++) {
        current = await runReport(service, ctx, { request: { ...request, page, pageSize: EXPORT_PAGE_ROWS }, where: 'body' });
        yield current.rows;
      }
    };
    sheet = { columns: exportColumns(first.columns), rows: pages() };
  } else sheet = { columns: exportColumns(first.columns), rows: [first.rows] };
  const title = first.template?.name ?? first.dataset.code;
  return {
    first,
    title,
    fileName: fileName(first, format),
    job: {
      format,
      columns: sheet.columns as ExportColumn[],
      ...(sheet.header ? { header: sheet.header } : {}),
      ...(sheet.frozenColumns !== undefined ? { frozenColumns: sheet.frozenColumns } : {}),
      source: () => sheet.rows,
      ...(first.view === 'table' ? { totalRows: first.page.total } : {}),
      locale,
      name: title,
      pdf: {
        title,
        timeZone: first.timeZone,
        parameters: first.parameterBar.map((p) => ({ label: p.label, value: JSON.stringify(p.value) })),
        ...(first.chart ? { charts: [{ option: first.chart as never }] } : {}),
      },
    },
  };
}

/**
 * 导出: the report a run would show, as a CSV, XLSX or PDF download streamed into the response (see
 * {@link prepareExport}), so a million rows never sit in memory. Errors before the first byte answer as
 * JSON like any route; a client that goes away cancels the export (the paging stops, nothing keeps running).
 */
export function exportRoutes(service: ReportService) {
  return [
    route({
      method: 'post',
      path: '/api/reports/export',
      permission: 'report:run',
      summary: 'Export a report (the body of /api/reports/run) as CSV, XLSX or PDF (?format=), streamed as a download',
      tags: ['Reports 报表'],
      query: z.object({ format: z.enum(exportFormats) }),
      body: runRequestSchema,
      handler: async ({ query, body: request }, ctx, req, res) => {
        const { format } = query;
        const locale = ctx.locale;
        const prepared = await prepareExport(service, ctx, request, format);
        const controller = new AbortController();
        const abort = () => {
          if (!res.writableFinished) controller.abort(new Error('the client went away'));
        };
        req.once('close', abort);
        res.status(200);
        res.setHeader('content-type', exportMediaTypes[format]);
        res.setHeader('content-disposition', `attachment; filename="${prepared.fileName}"`);
        try {
          await runExport({ ...prepared.job, out: res, signal: controller.signal });
        } catch (error) {
          if (error instanceof ExportCancelled) return;
          if (!res.headersSent) {
            if (error instanceof ExportError) throw exportProblem(error, locale);
            throw error;
          }
          // Mid-stream the download is cut short (the client sees an incomplete transfer); the log says why.
          req.log.error({ err: error }, 'report export failed mid-stream');
        } finally {
          req.off('close', abort);
        }
      },
    }),
  ];
}
