/**
 * The billing part of the billing pack (计费): billing runs over metering's closed periods, bills with their
 * lines and charges, bill adjustments with approval, and the notifier port's routes and delivery.
 *
 * Events: consumes `metering.period-closed` (creates the period's run and starts `billing_run`, once);
 * emits `billing.run-finished` when a run is done.
 * Processes: `billing_run` (start → `billing.run-period` → `billing.deliver-notifications` → end),
 * `billing_adjustment` (start → approval user task → `billing.apply-adjustment` → end),
 * `billing_deliver_notifications` (start → `billing.deliver-notifications` → end).
 *
 * Routes (under `/api/ext/billing`):
 *   GET  /runs, /runs/:id          billing.bills:read
 *   POST /runs                     billing.bills:run     (202)
 *   GET  /bills, /bills/:id        billing.bills:read
 *   GET  /adjustments              billing.bills:read
 *   POST /adjustments              billing.bills:adjust  (201)
 *   GET  /notifications            billing.bills:read
 *   POST /notifications/:id/read   billing.bills:read
 */
import { defineWorker, servicesOf, type PackManifestInput } from '@shuiyun/sdk';
import { z } from 'zod';
import { deliverProcessXml, deliverWorker, DELIVER_JOB, DELIVER_PROCESS } from '../notify/deliver.js';
import { notificationRoutes } from '../notify/routes.js';
import { l } from '../shared.js';
import { ADJUSTMENT_PROCESS, adjustmentForm, adjustmentProcessXml, adjustmentRoutes, ADJUSTMENT_FORM, applyAdjustmentWorker } from './adjustments.js';
import { billRoutes } from './bills.js';
import { runBilling } from './run.js';
import { runRoutes } from './run-routes.js';
import { onPeriodClosed, periodClosedPayload, PERIOD_CLOSED, RUN_FINISHED, runFinishedPayload, RUN_JOB, RUN_PROCESS } from './runs.js';

export { runBilling, batchSizeFromEnv, type RunOptions, type RunResult } from './run.js';
export { startRun, presentRun, RUN_PROCESS, RUN_JOB, RUN_FINISHED, type RunRow } from './runs.js';
export { applyAdjustment, ADJUSTMENT_PROCESS, APPLY_ADJUSTMENT, APPROVER_GROUP } from './adjustments.js';

/** How long one attempt of a run may take before another node may take it over: `BILLING_RUN_TIMEOUT_MS`, 30 minutes unless set. */
function runTimeoutMs(): number {
  const n = Number(process.env.BILLING_RUN_TIMEOUT_MS);
  return Number.isInteger(n) && n >= 1_000 ? n : 30 * 60_000;
}

const MAX_ERROR = 2_000;

/** The run worker: bills the run's accounts in batches, resuming after its cursor. */
export const runWorker = defineWorker({
  type: RUN_JOB,
  title: l('执行计费批次', 'Run billing for a period'),
  description: l('为结算期内有结算水量的全部在用账户出账，分批提交，可断点续算', 'Issues the bills of every active account with settled meters in the period, in batches, resumable'),
  input: z.object({ runId: z.union([z.string().regex(/^[1-9][0-9]{0,17}$/), z.number().int().positive()]).transform(String) }).passthrough(),
  output: z.object({ runStatus: z.string(), bills: z.number().int(), skipped: z.number().int(), failed: z.number().int(), amountFen: z.string() }),
  timeoutMs: runTimeoutMs(),
  concurrency: 1,
  handler: async (input, job) => {
    const services = servicesOf(job);
    try {
      const result = await runBilling(services, input.runId, { signal: job.signal });
      return { runStatus: result.status, bills: result.bills, skipped: result.skipped, failed: result.failed, amountFen: result.amountFen };
    } catch (error) {
      // A deadline or a stopping runtime leaves the run running: the next attempt resumes. Anything else is
      // said on the run row (POST /runs may then restart it); the engine retries the job meanwhile.
      if (!job.signal.aborted) {
        const reason = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR);
        await services
          .transaction((tx) => tx.query(`update pack_billing.runs set status = 'failed', error = $3 where tenant_id = $1 and id = $2::bigint and status <> 'done'`, [services.tenant.id, input.runId, reason]))
          .catch(() => undefined);
      }
      throw error;
    }
  },
});

/** start → run the period (`billing.run-period`) → send the queued notifications → end. */
export const runProcessXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="billing_run_definitions" targetNamespace="http://shuiyun.example/bpmn/billing">
  <bpmn:process id="${RUN_PROCESS}" name="计费批次" isExecutable="true">
    <bpmn:startEvent id="run_requested" name="结算期关账"><bpmn:outgoing>to_run</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="run_period" name="出账">
      <bpmn:extensionElements><zeebe:taskDefinition type="${RUN_JOB}" retries="5" /></bpmn:extensionElements>
      <bpmn:incoming>to_run</bpmn:incoming>
      <bpmn:outgoing>to_deliver</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:serviceTask id="deliver_notices" name="发送账单通知">
      <bpmn:extensionElements><zeebe:taskDefinition type="${DELIVER_JOB}" retries="3" /></bpmn:extensionElements>
      <bpmn:incoming>to_deliver</bpmn:incoming>
      <bpmn:outgoing>to_end</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="run_done" name="出账完成"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_run" sourceRef="run_requested" targetRef="run_period" />
    <bpmn:sequenceFlow id="to_deliver" sourceRef="run_period" targetRef="deliver_notices" />
    <bpmn:sequenceFlow id="to_end" sourceRef="deliver_notices" targetRef="run_done" />
  </bpmn:process>
</bpmn:definitions>`;

export const billingPart: Pick<PackManifestInput, 'routes' | 'workers' | 'processes' | 'forms' | 'events'> = {
  routes: [...runRoutes, ...billRoutes, ...adjustmentRoutes, ...notificationRoutes],
  workers: [runWorker, applyAdjustmentWorker, deliverWorker],
  processes: [
    { code: RUN_PROCESS, name: '计费批次', xml: runProcessXml },
    { code: ADJUSTMENT_PROCESS, name: '调账审批', xml: adjustmentProcessXml },
    { code: DELIVER_PROCESS, name: '发送通知', xml: deliverProcessXml },
  ],
  forms: [{ code: ADJUSTMENT_FORM, name: '调账审批单', schema: adjustmentForm }],
  events: {
    emits: [{ name: RUN_FINISHED, description: l('计费批次已完成', 'A billing run finished'), payload: runFinishedPayload }],
    consumes: [PERIOD_CLOSED],
    on: { [PERIOD_CLOSED]: onPeriodClosed },
  },
};

export { periodClosedPayload };
