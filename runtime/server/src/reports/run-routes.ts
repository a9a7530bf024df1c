import { route } from '../http/route.js';
import { runReport, runRequestSchema } from './run.js';
import type { ReportService } from './service.js';

/** Running reports: a dataset with a query, or a template with parameters; the result shaped for the viewer. */
export function runRoutes(service: ReportService) {
  return [
    route({
      method: 'post',
      path: '/api/reports/run',
      permission: 'report:run',
      summary:
        'Run a report: a dataset (code or stored version id) with a query, or a template (id, or code in the caller’s tenant) with parameters ' +
        'over its defaults; view table (paged), grouped (subtotals), pivot or chart (ECharts option); with conditional formats and drill-downs per row',
      tags: ['Reports 报表'],
      body: runRequestSchema,
      handler: ({ body }, ctx) => runReport(service, ctx, { request: body, where: 'body' }),
    }),
  ];
}
