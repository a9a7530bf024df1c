/**
 * 欠费管理: arrears of the billing pack — late fees accrued daily on overdue bills (with waivers approved in
 * a process), the arrears list and ageing, dunning by the tenant's schedule, and valve control for accounts in
 * arrears (notice, grace period, approval, valve closing through the IoT downlink, reopening after payment).
 *
 * Routes (under `/api/ext/billing`) and their permissions:
 *   GET  /arrears                          billing.arrears:read
 *   GET  /arrears/ageing                   billing.arrears:read
 *   POST /arrears/accrue                   billing.arrears:manage
 *   POST /arrears/dunning/run              billing.arrears:manage
 *   POST /arrears/daily-run                billing.arrears:manage   (202)
 *   POST /arrears/waivers                  billing.arrears:manage   (201)
 *   GET  /arrears/waivers                  billing.arrears:read
 *   GET  /arrears/waivers/:id              billing.arrears:read
 *   POST /arrears/valve-cases              billing.arrears:manage   (201)
 *   GET  /arrears/valve-cases              billing.arrears:read
 *   GET  /arrears/valve-cases/:id          billing.arrears:read
 *   POST /arrears/valve-cases/:id/recheck  billing.arrears:manage
 * Processes: billing_daily_arrears (timer start daily at 02:00), billing_late_fee_waiver, billing_valve_control;
 * approvals go to the candidate group `billing-approver` (the pack's role `approver`).
 */
import type { PackManifestInput } from '@shuiyun/sdk';
import { dailyProcessXml, DAILY_PROCESS, dailyRoutes, dailyWorkers } from './daily.js';
import { valveApprovalForm, valveProcessXml, valveReopenForm, VALVE_APPROVAL_FORM, VALVE_REOPEN_FORM } from './valve-process.js';
import { valveRoutes } from './valve-routes.js';
import { VALVE_PROCESS, valveWorkers } from './valve.js';
import { viewRoutes } from './views.js';
import { waiverPart } from './waivers.js';

export { afterPayment, CLEARED_MESSAGE } from './cleared.js';
export { accrueLateFees, accrualStep } from './accrue.js';
export { runDunning } from './dunning.js';
export { valveSettings, DEFAULT_VALVE, loadArrearsSettings, type ValveSettings } from './settings.js';
export { APPROVER_GROUP } from './workflow.js';
export { DAILY_PROCESS, VALVE_PROCESS };
export { WAIVER_PROCESS } from './waivers.js';

export const arrearsPart: Pick<PackManifestInput, 'routes' | 'workers' | 'processes' | 'forms' | 'events'> = {
  routes: [...viewRoutes, ...dailyRoutes, ...waiverPart.routes, ...valveRoutes],
  workers: [...dailyWorkers, ...waiverPart.workers, ...valveWorkers],
  processes: [{ code: DAILY_PROCESS, name: '每日欠费处理', xml: dailyProcessXml }, ...waiverPart.processes, { code: VALVE_PROCESS, name: '欠费关阀', xml: valveProcessXml }],
  forms: [
    ...waiverPart.forms,
    { code: VALVE_APPROVAL_FORM, name: '关阀审批单', schema: valveApprovalForm },
    { code: VALVE_REOPEN_FORM, name: '开阀确认单', schema: valveReopenForm },
  ],
};
