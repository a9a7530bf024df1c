export { ReportScheduler, type ReportSchedulerOptions, type DeliveryRow, type ScheduleRow } from './scheduler.js';
export { scheduleRoutes } from './routes.js';
export { notificationRoutes } from './notification-routes.js';
export { createMailer, type Mailer } from './mailer.js';
export { cronFault, nextCronRun } from './cron.js';
