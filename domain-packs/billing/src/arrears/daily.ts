/**
 * The daily arrears run: the `billing_daily_arrears` process accrues late fees, then sends the dunning
 * notices due (and opens valve cases when valve control is enabled). Its timer start event starts it every day
 * at 02:00 (Asia/Shanghai: 18:00 UTC) in every tenant with the pack; a none start event lets a route start it
 * for a given day. Both steps are idempotent for a day: a rerun (or a retried job) adds and sends nothing twice.
 *
 * Routes (under `/api/ext/billing`):
 *   POST /arrears/daily-run     billing.arrears:manage  (202) starts the process { asOf? }
 *   POST /arrears/accrue        billing.arrears:manage  accrues late fees to { asOf? } in the request, answers counts
 *   POST /arrears/dunning/run   billing.arrears:manage  sends the dunning notices due by { asOf? } in the request, answers counts
 * asOf is a local day 'YYYY-MM-DD', today unless given, never after today.
 */
import { defineRoute, defineWorker, servicesOf } from '@shuiyun/sdk';
import { z } from 'zod';
import { formatYuan } from '../domain/index.js';
import { l, PERMISSIONS, text } from '../shared.js';
import { accrueLateFees } from './accrue.js';
import { runDunning } from './dunning.js';
import { todayOf } from './queries.js';
import { asOfOrToday, dateText } from './views.js';
import { definitions, flow, serviceTask } from './workflow.js';

export const DAILY_PROCESS = 'billing_daily_arrears';
export const ACCRUE_JOB = 'billing.accrue-late-fees';
export const DUNNING_JOB = 'billing.run-dunning';
/** Every day at 02:00 Beijing time (the first firing is the next one after deployment). */
export const DAILY_CYCLE = 'R/2025-01-01T18:00:00Z/P1D';

export const dailyProcessXml = definitions(
  DAILY_PROCESS,
  `<bpmn:process id="${DAILY_PROCESS}" name="每日欠费处理" isExecutable="true">
    <bpmn:startEvent id="requested" name="手动发起" />
    <bpmn:startEvent id="every_day" name="每日 02:00"><bpmn:timerEventDefinition><bpmn:timeCycle>${DAILY_CYCLE}</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:exclusiveGateway id="start_merge" />
    ${serviceTask('accrue', '计提违约金', ACCRUE_JOB, { retries: 3 })}
    ${serviceTask('dunning', '催费', DUNNING_JOB, { retries: 3 })}
    <bpmn:endEvent id="done" name="完成" />
    ${flow('requested_go', 'requested', 'start_merge')}
    ${flow('timer_go', 'every_day', 'start_merge')}
    ${flow('to_accrue', 'start_merge', 'accrue')}
    ${flow('to_dunning', 'accrue', 'dunning')}
    ${flow('to_done', 'dunning', 'done')}
  </bpmn:process>`,
);

const asOfBody = z.strictObject({ asOf: dateText.optional() }).optional();
const asOfVariable = z.object({ asOf: dateText.nullish() });

export const presentAccrual = (r: Awaited<ReturnType<typeof accrueLateFees>>) => ({
  asOf: r.asOf,
  charges: r.charges,
  increased: r.increased,
  addedFen: text(r.addedFen),
  addedYuan: formatYuan(r.addedFen),
  newFeeCharges: r.newFeeCharges,
});

export const dailyWorkers = [
  defineWorker({
    type: ACCRUE_JOB,
    title: l('计提违约金', 'Accrue late fees'),
    description: l('按违约金规则计提逾期账单的违约金（同一天重复执行不重复计提）', 'Accrues the late fees of overdue bills by the late-fee rule (idempotent for a day)'),
    input: asOfVariable,
    output: z.object({ accrual: z.object({ asOf: z.string(), charges: z.number().int(), increased: z.number().int(), addedFen: z.string(), addedYuan: z.string(), newFeeCharges: z.number().int() }) }),
    timeoutMs: 30 * 60_000,
    concurrency: 1,
    handler: async ({ asOf }, job) => {
      const services = servicesOf(job);
      const result = await accrueLateFees(services, asOf ?? todayOf(services.tenant), { signal: job.signal });
      return { accrual: presentAccrual(result) };
    },
  }),
  defineWorker({
    type: DUNNING_JOB,
    title: l('催费', 'Send dunning notices'),
    description: l('按催费计划通知欠费用户，每一步只发一次；启用关阀时发起关阀流程', 'Reminds accounts in arrears by the dunning schedule, each step once; opens valve cases when valve control is on'),
    input: asOfVariable,
    output: z.object({ dunning: z.object({ asOf: z.string(), accounts: z.number().int(), sent: z.number().int(), superseded: z.number().int(), valveCases: z.number().int() }) }),
    timeoutMs: 30 * 60_000,
    concurrency: 1,
    handler: async ({ asOf }, job) => {
      const services = servicesOf(job);
      return { dunning: await runDunning(services, asOf ?? todayOf(services.tenant), { signal: job.signal }) };
    },
  }),
];

export const dailyRoutes = [
  defineRoute({
    method: 'post',
    path: '/arrears/daily-run',
    permission: PERMISSIONS.arrearsManage,
    summary: 'Start the daily arrears process (late fees, then dunning) for a day; it also runs by itself every day at 02:00',
    status: 202,
    body: asOfBody,
    handler: async ({ body }, services) => {
      const asOf = asOfOrToday(services, body?.asOf, 'body.asOf');
      const instance = await services.transaction((tx) => tx.startProcess(DAILY_PROCESS, { variables: { asOf }, businessKey: `daily-arrears:${asOf}` }));
      return { asOf, instance };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/arrears/accrue',
    permission: PERMISSIONS.arrearsManage,
    summary: 'Accrue late fees of overdue bill charges up to a day (idempotent for the day); answers the counts',
    body: asOfBody,
    handler: async ({ body }, services) => presentAccrual(await accrueLateFees(services, asOfOrToday(services, body?.asOf, 'body.asOf'))),
  }),
  defineRoute({
    method: 'post',
    path: '/arrears/dunning/run',
    permission: PERMISSIONS.arrearsManage,
    summary: 'Send the dunning notices due by a day (each step once per account and oldest charge); answers the counts',
    body: asOfBody,
    handler: async ({ body }, services) => runDunning(services, asOfOrToday(services, body?.asOf, 'body.asOf')),
  }),
];
