/**
 * The valve-case routes (under `/api/ext/billing`):
 *   POST /arrears/valve-cases              billing.arrears:manage  (201) opens a case and starts its process
 *   GET  /arrears/valve-cases              billing.arrears:read    ?status=&accountId=&page=&pageSize=
 *   GET  /arrears/valve-cases/:id          billing.arrears:read    the case, its valve commands and their delivery
 *   POST /arrears/valve-cases/:id/recheck  billing.arrears:manage  a closed case: are the arrears paid? then the valve reopens
 */
import { defineRoute, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { formatYuan } from '../domain/index.js';
import { conflict, idParams, iso, l, notFound, page, Params, PERMISSIONS, text } from '../shared.js';
import { CLEARED_MESSAGE, CASE_COLUMNS, caseById, casePaid, openValveCase, refusalError, type CaseRow } from './valve.js';
import { accountArrears, todayOf } from './queries.js';
import { durationWords } from './settings.js';

const STATUSES = ['opened', 'notified', 'awaiting_approval', 'rejected', 'closing', 'closed', 'reopening', 'reopened', 'cancelled', 'failed'] as const;

interface ListedCase extends CaseRow {
  account_no: string | null;
  customer_name: string | null;
}

export const presentCase = (c: ListedCase) => ({
  id: Number(c.id),
  accountId: Number(c.account_id),
  accountNo: c.account_no,
  customerName: c.customer_name,
  status: c.status,
  origin: c.origin,
  arrearsFen: text(c.arrears_fen),
  arrearsYuan: formatYuan(BigInt(c.arrears_fen)),
  graceDuration: c.grace_duration,
  grace: durationWords(c.grace_duration),
  graceUntil: iso(c.grace_until),
  instance: c.instance,
  decidedBy: c.decided_by === null ? null : Number(c.decided_by),
  decidedAt: iso(c.decided_at),
  decisionNote: c.decision_note,
  failure: c.failure,
  startedBy: c.started_by === null ? null : Number(c.started_by),
  openedAt: iso(c.opened_at),
  notifiedAt: iso(c.notified_at),
  closedAt: iso(c.closed_at),
  clearedAt: iso(c.cleared_at),
  reopenedAt: iso(c.reopened_at),
  updatedAt: iso(c.updated_at),
});

const prefixed = CASE_COLUMNS.split(',')
  .map((c) => `v.${c.trim()}`)
  .join(', ');
const LIST_SELECT = `select ${prefixed}, a.account_no, cu.name as customer_name
  from pack_billing.valve_cases v
  left join pack_billing.accounts a on a.id = v.account_id
  left join pack_billing.customers cu on cu.id = a.customer_id`;

async function listedCase(tx: PackTx, services: PackServices, id: string): Promise<ListedCase | null> {
  const [row] = await tx.query<ListedCase>(`${LIST_SELECT} where v.tenant_id = $1 and v.id = $2::bigint`, [services.tenant.id, id]);
  return row ?? null;
}

interface CommandRow {
  id: string;
  meter_id: string;
  meter_no: string;
  device: string;
  action: 'close' | 'open';
  command_id: string | null;
  status: string;
  failure_reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const accountIdBody = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,17}$/, 'an account id')]).transform((v) => String(v));

export const valveRoutes = [
  defineRoute({
    method: 'post',
    path: '/arrears/valve-cases',
    permission: PERMISSIONS.arrearsManage,
    summary: 'Open a valve-control case for an account in arrears (notice, grace period, approval, valve closing, reopening after payment)',
    status: 201,
    body: z.strictObject({ accountId: accountIdBody }),
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const opened = await openValveCase(tx, services, body.accountId, 'manual');
        if (!opened.ok) throw refusalError(opened, body.accountId);
        return presentCase((await listedCase(tx, services, opened.caseId))!);
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/arrears/valve-cases',
    permission: PERMISSIONS.arrearsRead,
    summary: 'Valve-control cases, newest first; filters: status, accountId',
    query: z.object({ ...page, status: z.enum(STATUSES).optional(), accountId: z.coerce.number().int().positive().optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`v.tenant_id = ${p.add(services.tenant.id)}`];
        if (query.status) where.push(`v.status = ${p.add(query.status)}`);
        if (query.accountId) where.push(`v.account_id = ${p.add(query.accountId)}::bigint`);
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.valve_cases v where ${where.join(' and ')}`, p.values);
        const rows = await tx.query<ListedCase>(
          `${LIST_SELECT} where ${where.join(' and ')} order by v.id desc limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        return { items: rows.map(presentCase), total: count!.n, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/arrears/valve-cases/:id',
    permission: PERMISSIONS.arrearsRead,
    summary: 'One valve-control case with its valve commands and where each stands on the IoT platform',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const row = await listedCase(tx, services, String(params.id));
        if (!row) throw notFound(l(`没有关阀流程 ${params.id}`, `no valve case ${params.id}`), 'params.id');
        const commands = await tx.query<CommandRow>(
          `select id::text, meter_id::text, meter_no, device, action, command_id::text, status, failure_reason, created_at, updated_at
             from pack_billing.valve_commands where tenant_id = $1 and case_id = $2::bigint order by id`,
          [services.tenant.id, row.id],
        );
        const items = [];
        for (const c of commands) {
          // What the platform says now (the recorded status catches up when the process next looks).
          const live = c.command_id !== null && services.devices ? await services.devices.commandStatus(tx, c.command_id) : null;
          items.push({
            id: Number(c.id),
            meterId: Number(c.meter_id),
            meterNo: c.meter_no,
            device: c.device,
            action: c.action,
            commandId: c.command_id === null ? null : Number(c.command_id),
            status: c.status,
            failureReason: c.failure_reason,
            delivery: live ? { status: live.status, failureReason: live.failureReason, updatedAt: live.updatedAt } : null,
            createdAt: iso(c.created_at),
            updatedAt: iso(c.updated_at),
          });
        }
        return { ...presentCase(row), commands: items };
      }),
  }),

  defineRoute({
    method: 'post',
    path: '/arrears/valve-cases/:id/recheck',
    permission: PERMISSIONS.arrearsManage,
    summary: 'For a closed case: when the account has no arrears any more, publish billing.arrears-cleared so the valve reopens',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const row = await caseById(tx, services.tenant, String(params.id), true);
        if (!row) throw notFound(l(`没有关阀流程 ${params.id}`, `no valve case ${params.id}`), 'params.id');
        if (row.status !== 'closed') {
          throw conflict(l(`关阀流程 ${row.id} 的状态为 ${row.status}，只有已关阀的流程可以复核开阀`, `valve case ${row.id} is ${row.status}; only a closed case is re-checked for reopening`), 'params.id');
        }
        const cleared = await casePaid(tx, services.tenant, row);
        if (cleared) await tx.publishMessage(CLEARED_MESSAGE, { correlationKey: row.account_id });
        const arrears = await accountArrears(tx, services.tenant, row.account_id, todayOf(services.tenant));
        return { id: Number(row.id), status: row.status, cleared, published: cleared, arrearsFen: text(arrears.arrearsFen) };
      }),
  }),
];
