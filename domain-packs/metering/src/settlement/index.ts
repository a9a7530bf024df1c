/**
 * The settlement part of the metering pack (结算): periods from the tenant's settlement plan, the
 * `metering_settle` process whose `metering.settle-period` worker settles every meter of a period in
 * batches, closing (locking) with the `metering.period-closed` event, and late corrections as adjustments.
 *
 * Routes (under `/api/ext/metering`) and their permissions:
 *   GET  /periods                      metering.settlement:read
 *   GET  /periods/:period              metering.settlement:read
 *   POST /periods/:period/settle       metering.settlement:run     (202)
 *   POST /periods/:period/close        metering.settlement:close
 *   GET  /periods/:period/records      metering.settlement:read
 *   GET  /adjustments                  metering.settlement:read
 *   POST /adjustments                  metering.settlement:adjust  (201)
 */
import { defineWorker, servicesOf, type PackManifestInput } from '@shuiyun/sdk';
import { z } from 'zod';
import { PERIOD_CLOSED, PERMISSIONS, PROCESS_ID, periodClosedPayload, settlementRoutes } from './routes.js';
import { settlePeriod } from './settle.js';
import { l, PERIOD_PATTERN, TENANT_SCOPE } from './shared.js';

export { settlePeriod, scopeTotals, averageDaily, capacityOf, type SettlePeriodInput, type SettlePeriodOptions, type SettlePeriodResult, type SettleProgress } from './settle.js';
export { postAdjustment, type AdjustmentInput } from './adjust.js';
export { closePeriod, PERIOD_CLOSED, PERMISSIONS, PROCESS_ID, periodClosedPayload, type PeriodClosed } from './routes.js';

export const SETTLE_JOB = 'metering.settle-period';

/** The settlement worker: settles the period of its job's tenant (resuming where a failed attempt stopped). */
export const settleWorker = defineWorker({
  type: SETTLE_JOB,
  title: l('结算期结算', 'Settle a period'),
  description: l('按结算计划结算一个结算期内全部水表的用水量，分批写入结算记录', 'Settles the volume of every meter of a period, in batches, into settlement records'),
  input: z.object({ period: z.string().regex(PERIOD_PATTERN), scope: z.string().min(1).max(100).default(TENANT_SCOPE) }),
  output: z.object({ meters: z.number().int().nonnegative(), volumeL: z.string().regex(/^-?[0-9]+$/) }),
  timeoutMs: 30 * 60_000,
  concurrency: 1,
  handler: async (input, job) => {
    const services = servicesOf(job);
    try {
      const result = await settlePeriod(services, input, undefined, { signal: job.signal });
      return { meters: result.meters, volumeL: result.volumeL };
    } catch (error) {
      // Say why on the period row (a new settle request may then restart it); the engine retries the job.
      const reason = (error instanceof Error ? error.message : String(error)).slice(0, 2_000);
      await services
        .transaction((tx) =>
          tx.query(`update pack_metering.periods set error = $4 where tenant_id = $1 and period = $2 and scope = $3 and status = 'settling'`, [services.tenant.id, input.period, input.scope, reason]),
        )
        .catch(() => undefined);
      throw error;
    }
  },
});

/** start → settle the period (service task `metering.settle-period`, variables period and scope) → end. */
export const settleProcessXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="metering_settle_definitions" targetNamespace="http://shuiyun.example/bpmn/metering">
  <bpmn:process id="${PROCESS_ID}" name="月度结算" isExecutable="true">
    <bpmn:startEvent id="settle_requested" name="发起结算"><bpmn:outgoing>to_settle</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="settle_period" name="结算全部水表">
      <bpmn:extensionElements><zeebe:taskDefinition type="${SETTLE_JOB}" retries="3" /></bpmn:extensionElements>
      <bpmn:incoming>to_settle</bpmn:incoming>
      <bpmn:outgoing>to_end</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="settled" name="结算完成"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_settle" sourceRef="settle_requested" targetRef="settle_period" />
    <bpmn:sequenceFlow id="to_end" sourceRef="settle_period" targetRef="settled" />
  </bpmn:process>
</bpmn:definitions>`;

export const settlementPart: Pick<PackManifestInput, 'routes' | 'workers' | 'processes' | 'forms' | 'permissions' | 'events'> = {
  routes: settlementRoutes,
  workers: [settleWorker],
  processes: [{ code: PROCESS_ID, name: '月度结算', xml: settleProcessXml }],
  forms: [],
  permissions: [
    { name: PERMISSIONS.read, label: l('查看结算', 'View settlement') },
    { name: PERMISSIONS.run, label: l('执行结算', 'Run settlement') },
    { name: PERMISSIONS.close, label: l('结算关账', 'Close settlement periods') },
    { name: PERMISSIONS.adjust, label: l('结算调整', 'Adjust closed periods') },
  ],
  events: {
    emits: [{ name: PERIOD_CLOSED, description: l('结算期已关账锁定', 'A settlement period was closed (locked)'), payload: periodClosedPayload }],
    consumes: [],
  },
};
