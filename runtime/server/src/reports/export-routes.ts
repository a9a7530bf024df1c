import { AppError } from '@shuiyun/http';
import {
  type ExportColumn,
  type ExportFormat,
  ExportCancelled,
  ExportError,
  type ExportSheet,
  exportColumns,
  exportFormats,
  exportMediaTypes,
  groupedTableSheet,
  pivotSheet,
  runExport,
} from '@shuiyun/report-export';
import type { ResultRow } from '@shuiyun/reports';
import { z } from 'zod';
import { route } from '../http/route.js';
import { runReport, runRequestSchema, type RunResponse } from './run.js';
import type { ReportService } from './service.js';

/** Rows fetched per page while a table export streams. */
const EXPORT_PAGE_ROWS = 10_000;


const fileName = (response: RunResponse, format: ExportFormat) =>
  `${(response.template?.code ?? response.dataset.code).replace(/[^A-Za-z0-9._-]/g, '_')}-${new Date().toISOString().slice(0, 10)}.${format}`;

/**
 * 导出: the report a run would show, as a CSV, XLSX or PDF download streamed into the response. A table
 * export pages through the whole result ({@link EXPORT_PAGE_ROWS} rows a query), so a million rows never
 * sit in memory; grouped tables keep their subtotals (bold), pivots their merged headers, and a PDF draws
 * the chart of a chart view. Errors before the first byte answer as JSON like any route; a client that
 * goes away cancels the export (the paging stops, nothing keeps running).
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
        // The first page: every error (unknown template, bad parameter, limits) answers before any byte.
        const first = await runReport(service, ctx, { request: { ...request, page: 1, pageSize: request.view && request.view !== 'table' ? request.pageSize : EXPORT_PAGE_ROWS }, where: 'body' });
        const locale = ctx.locale;
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

        const controller = new AbortController();
        const abort = () => {
          if (!res.writableFinished) controller.abort(new Error('the client went away'));
        };
        req.once('close', abort);
        const title = first.template?.name ?? first.dataset.code;
        res.status(200);
        res.setHeader('content-type', exportMediaTypes[format]);
        res.setHeader('content-disposition', `attachment; filename="${fileName(first, format)}"`);
        try {
          await runExport({
            format,
            columns: sheet.columns as ExportColumn[],
            ...(sheet.header ? { header: sheet.header } : {}),
            ...(sheet.frozenColumns !== undefined ? { frozenColumns: sheet.frozenColumns } : {}),
            source: () => sheet.rows,
            ...(first.view === 'table' ? { totalRows: first.page.total } : {}),
            out: res,
            signal: controller.signal,
            locale,
            name: title,
            pdf: {
              title,
              timeZone: first.timeZone,
              parameters: first.parameterBar.map((p) => ({ label: p.label, value: JSON.stringify(p.value) })),
              ...(first.chart ? { charts: [{ option: first.chart as never }] } : {}),
            },
          });
        } catch (error) {
          if (error instanceof ExportCancelled) return;
          if (!res.headersSent) {
            if (error instanceof ExportError) throw new AppError('validation_failed', { status: error.status, details: [{ path: 'query.format', code: error.code, message: error.messages[locale] }] });
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
