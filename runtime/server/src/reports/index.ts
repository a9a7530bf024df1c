import type { RuntimeRoute } from '../http/route.js';
import { datasetRoutes } from './dataset-routes.js';
import { exportRoutes } from './export-routes.js';
import { exportJobRoutes, type ReportExportRunner } from './exports/index.js';
import { runRoutes } from './run-routes.js';
import { type ReportScheduler, scheduleRoutes } from './schedules/index.js';
import type { ReportService } from './service.js';
import { templateRoutes } from './template-routes.js';

export { createReportService, type ReportService, type ReportServiceOptions } from './service.js';

export { ReportScheduler, createMailer, notificationRoutes } from './schedules/index.js';

export { ReportExportRunner } from './exports/index.js';

/** The report API: datasets and templates (versioned, per tenant), running and exporting them (at once or as background jobs), and their schedules. */
export function reportRoutes(service: ReportService, scheduler: ReportScheduler, exports: ReportExportRunner): RuntimeRoute[] {
  return [
    ...datasetRoutes(service),
    ...templateRoutes(service),
    ...runRoutes(service),
    ...exportRoutes(service),
    ...exportJobRoutes(exports),
    ...scheduleRoutes(service, scheduler),
  ];
}
