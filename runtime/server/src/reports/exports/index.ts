export { ReportExportRunner, type ReportExportRunnerOptions, type ExportJobRow, EXPORTS_DIR, MAX_ACTIVE_EXPORTS_PER_USER, exportFilePath } from './runner.js';
export { exportJobRoutes, presentExport } from './routes.js';
