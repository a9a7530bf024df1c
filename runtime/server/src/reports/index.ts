import type { RuntimeRoute } from '../http/route.js';
import { datasetRoutes } from './dataset-routes.js';
import { exportRoutes } from './export-routes.js';
import { runRoutes } from './run-routes.js';
import type { ReportService } from './service.js';
import { templateRoutes } from './template-routes.js';

export { createReportService, type ReportService, type ReportServiceOptions } from './service.js';

/** The report API: datasets and templates (versioned, per tenant) and running them. */
export function reportRoutes(service: ReportService): RuntimeRoute[] {
  return [...datasetRoutes(service), ...templateRoutes(service), ...runRoutes(service), ...exportRoutes(service)];
}
