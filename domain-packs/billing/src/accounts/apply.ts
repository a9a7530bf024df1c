/**
 * The workers of the account-lifecycle processes:
 *
 * - `billing.apply-account-request` applies the approver's decision, once: the account row is locked first
 *   (the pack's lock order), then the request row; a request no longer pending answers what its decision
 *   left, so a redelivered job changes nothing twice. 开户 approved: the next account number is taken under
 *   the settings row's lock (gapless), the account becomes active. 过户: the account's customer changes (the
 *   request row keeps from and to). 销户: checked again — an account that owes money or holds credit by now
 *   is not closed, the request is rejected with the amount. 换表: approved, waiting for the field swap.
 *   Rejected: the request is rejected (a pending 开户 account is closed, numberless).
 * - `billing.complete-meter-change` checks that metering recorded a swap of the old meter
 *   (`pack_metering.swaps`, read only) and marks the request done with it; until then the job fails with a
 *   message saying so (the engine retries, then raises an incident to retry once the swap is recorded).
 */
import { defineWorker, type JobContext, type PackServices, type PackTx, servicesOf } from '@shuiyun/sdk';
import { z } from 'zod';
import { l } from '../shared.js';
import { refreshSearch } from './model.js';
import { APPLY_REQUEST, COMPLETE_METER_CHANGE } from './processes.js';
import { closeRefusal } from './requests.js';
import { takeAccountNo } from './settings.js';

const idVariable = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,17}$/)]).transform((v) => String(v));

export const applyRequestInput = z.object({
  requestId: idVariable,
  decision: z.enum(['approve', 'reject']),
  note: z.string().max(2_000).nullish(),
});

export const applyRequestOutput = z.object({
  /** The request's status afterwards: done, approved (换表 waiting for the swap) or rejected. */
  requestStatus: z.enum(['pending', 'approved', 'rejected', 'done']),
  accountNo: z.string().nullable(),
  message: z.string(),
});
type ApplyResult = z.input<typeof applyRequestOutput>;

interface LockedRequest {
  id: string;
  kind: 'open' | 'transfer' | 'close' | 'meter_change';
  account_id: string;
  status: 'pending' | 'approved' | 'rejected' | 'done';
  request: Record<string, unknown>;
  decision_note: string | null;
}

interface LockedAccount {
  id: string;
  account_no: string | null;
  status: string;
}

/** Locks the request's account, then the request (the account first: the pack's lock order). */
async function lockRequest(tx: PackTx, tenantId: number, requestId: string): Promise<{ request: LockedRequest; account: LockedAccount }> {
  const [found] = await tx.query<{ account_id: string | null }>(`select account_id from pack_billing.account_requests where id = $1::bigint and tenant_id = $2`, [requestId, tenantId]);
  if (!found || found.account_id === null) throw new Error(`no account request ${requestId} in tenant ${tenantId}`);
  const [account] = await tx.query<LockedAccount>(`select id, account_no, status from pack_billing.accounts where id = $1::bigint and tenant_id = $2 for update`, [found.account_id, tenantId]);
  const [request] = await tx.query<LockedRequest>(
    `select id, kind, account_id, status, request, decision_note from pack_billing.account_requests where id = $1::bigint and tenant_id = $2 for update`,
    [requestId, tenantId],
  );
  if (!account || !request) throw new Error(`account request ${requestId} lost its account`);
  return { request, account };
}

const outcome = (request: Pick<LockedRequest, 'status' | 'decision_note'>, account: Pick<LockedAccount, 'account_no'>, message?: string): ApplyResult => ({
  requestStatus: request.status,
  accountNo: account.account_no,
  message: message ?? request.decision_note ?? request.status,
});

async function decide(tx: PackTx, requestId: string, status: 'approved' | 'rejected' | 'done', note: string | null, decidedBy: number | null, extra: Record<string, unknown> = {}): Promise<void> {
  await tx.query(
    `update pack_billing.account_requests set status = $2, decision_note = $3, decided_by = $4::bigint, decided_at = now(), request = request || $5::jsonb where id = $1::bigint`,
    [requestId, status, note, decidedBy === null ? null : String(decidedBy), extra],
  );
}

/** Applies an approver's decision to a request, once (see the module comment). */
export async function applyDecision(tx: PackTx, services: PackServices, input: z.output<typeof applyRequestInput>, decidedBy: number | null = null): Promise<ApplyResult> {
  const tenantId = services.tenant.id;
  const { request, account } = await lockRequest(tx, tenantId, input.requestId);
  if (request.status !== 'pending') return outcome(request, account);
  const note = input.note?.trim() ? input.note.trim() : null;

  if (input.decision === 'reject') {
    await decide(tx, request.id, 'rejected', note, decidedBy);
    if (request.kind === 'open' && account.status === 'pending') {
      await tx.query(`update pack_billing.accounts set status = 'closed', closed_at = now() where id = $1::bigint`, [account.id]);
    }
    return outcome({ status: 'rejected', decision_note: note }, account, note ?? 'rejected');
  }

  switch (request.kind) {
    case 'open': {
      if (account.status !== 'pending') {
        const why = `账户状态为 ${account.status}，未开户 / the account is ${account.status}; not opened`;
        await decide(tx, request.id, 'rejected', why, decidedBy);
        return outcome({ status: 'rejected', decision_note: why }, account);
      }
      const accountNo = await takeAccountNo(tx, services.tenant);
      await tx.query(`update pack_billing.accounts set account_no = $2, status = 'active', opened_at = now() where id = $1::bigint`, [account.id, accountNo]);
      await decide(tx, request.id, 'done', note, decidedBy, { accountNo });
      return { requestStatus: 'done', accountNo, message: note ?? `opened ${accountNo}` };
    }
    case 'transfer': {
      const to = request.request.toCustomerId;
      if (account.status !== 'active' || to === undefined || to === null) {
        const why = `账户状态为 ${account.status}，未过户 / the account is ${account.status}; not transferred`;
        await decide(tx, request.id, 'rejected', why, decidedBy);
        return outcome({ status: 'rejected', decision_note: why }, account);
      }
      await tx.query(`update pack_billing.accounts set customer_id = $2::bigint where id = $1::bigint`, [account.id, String(to)]);
      await refreshSearch(tx, services.tenant, account.id);
      await decide(tx, request.id, 'done', note, decidedBy, { transferredAt: new Date().toISOString() });
      return outcome({ status: 'done', decision_note: note }, account, note ?? `transferred to customer ${String(to)}`);
    }
    case 'close': {
      const refusal = account.status === 'active' ? await closeRefusal(tx, account) : l(`账户状态为 ${account.status}`, `the account is ${account.status}`);
      if (refusal) {
        const why = `审批通过但不能销户：${refusal['zh-CN']} / Approved but not closed: ${refusal.en}`;
        await decide(tx, request.id, 'rejected', why, decidedBy);
        return outcome({ status: 'rejected', decision_note: why }, account);
      }
      await tx.query(`update pack_billing.accounts set status = 'closed', closed_at = now() where id = $1::bigint`, [account.id]);
      await decide(tx, request.id, 'done', note, decidedBy);
      return outcome({ status: 'done', decision_note: note }, account, note ?? 'closed');
    }
    case 'meter_change': {
      await decide(tx, request.id, 'approved', note, decidedBy);
      return outcome({ status: 'approved', decision_note: note }, account, note ?? 'approved: waiting for the field swap');
    }
  }
}

/**
 * Who completed the approval task, for `decided_by`: read from the platform's task list of the embedded
 * engine in a transaction of its own (null when it cannot tell, e.g. on another engine).
 */
async function approverOf(services: PackServices, instanceId: string): Promise<number | null> {
  if (!/^[1-9][0-9]{0,17}$/.test(instanceId)) return null;
  try {
    return await services.transaction(async (tx) => {
      const [row] = await tx.query<{ completed_by: string | null }>(
        `select completed_by::text as completed_by from public.workflow_user_tasks
          where instance_id = $1::bigint and element_id = 'approve' and state = 'completed' order by id desc limit 1`,
        [instanceId],
      );
      return row?.completed_by ? Number(row.completed_by) : null;
    });
  } catch {
    return null;
  }
}

export const applyRequestWorker = defineWorker({
  type: APPLY_REQUEST,
  title: l('执行用户业务审批结论', 'Apply an account request decision'),
  description: l('按审批结论开户（分配户号）、过户、销户或批准换表；重复投递不会重复执行', 'Opens (numbers), transfers or closes the account, or approves the meter change; a redelivered job changes nothing twice'),
  input: applyRequestInput,
  output: applyRequestOutput,
  handler: async (input, job: JobContext) => {
    const services = servicesOf(job);
    const decidedBy = await approverOf(services, job.instanceId);
    return services.transaction((tx) => applyDecision(tx, services, input, decidedBy));
  },
});

export const completeMeterChangeInput = z.object({ requestId: idVariable });
export const completeMeterChangeOutput = z.object({
  requestStatus: z.enum(['pending', 'approved', 'rejected', 'done']),
  swapId: z.number().int().nullable(),
  newMeterNo: z.string().nullable(),
});

/** Marks an approved 换表 done once metering holds a swap of its old meter; throws (the job fails) until then. */
export async function completeMeterChange(tx: PackTx, services: PackServices, requestId: string): Promise<z.input<typeof completeMeterChangeOutput>> {
  const tenantId = services.tenant.id;
  const { request } = await lockRequest(tx, tenantId, requestId);
  const swapOf = (r: Record<string, unknown>) => (r.swap ?? null) as { id?: number; newMeterNo?: string } | null;
  if (request.status !== 'approved') {
    const swap = swapOf(request.request);
    return { requestStatus: request.status, swapId: swap?.id ?? null, newMeterNo: swap?.newMeterNo ?? null };
  }
  const oldMeterId = String(request.request.oldMeterId);
  const oldMeterNo = String(request.request.oldMeterNo);
  const [swap] = await tx.query<{ id: string; new_meter_id: string; new_meter_no: string | null; swapped_at: Date | string; old_final_l: string; new_initial_l: string }>(
    `select s.id, s.new_meter_id, n.data->>'meterNo' as new_meter_no, s.swapped_at, s.old_final_l::text as old_final_l, s.new_initial_l::text as new_initial_l
       from pack_metering.swaps s left join public.entity_records n on n.id = s.new_meter_id and n.entity = 'metering_meter'
      where s.tenant_id = $1 and s.old_meter_id = $2::bigint`,
    [tenantId, oldMeterId],
  );
  if (!swap) {
    throw new Error(
      `换表未登记：水表 ${oldMeterNo}（${oldMeterId}）在「水表档案」中还没有换表记录，请先登记换表再重试 / ` +
        `No swap of meter ${oldMeterNo} (${oldMeterId}) is recorded in the meter archive yet: record the swap there, then retry`,
    );
  }
  const planned = String(request.request.newMeterNo);
  const note = swap.new_meter_no !== null && swap.new_meter_no !== planned ? `实际新表 ${swap.new_meter_no}（申请为 ${planned}） / new meter ${swap.new_meter_no}, not ${planned} as requested` : null;
  await tx.query(
    `update pack_billing.account_requests set status = 'done', request = request || $2::jsonb,
            decision_note = case when $3::text is null then decision_note when decision_note is null then $3::text else decision_note || ' · ' || $3::text end
      where id = $1::bigint`,
    [
      request.id,
      {
        swap: {
          id: Number(swap.id),
          newMeterId: Number(swap.new_meter_id),
          newMeterNo: swap.new_meter_no,
          swappedAt: new Date(swap.swapped_at).toISOString(),
          oldFinalL: swap.old_final_l,
          newInitialL: swap.new_initial_l,
        },
      },
      note,
    ],
  );
  return { requestStatus: 'done', swapId: Number(swap.id), newMeterNo: swap.new_meter_no };
}

export const completeMeterChangeWorker = defineWorker({
  type: COMPLETE_METER_CHANGE,
  title: l('核对换表记录', 'Check the meter swap'),
  description: l('旧表在水表档案中有换表记录后办结换表业务；没有记录时任务失败（重试，之后成为事件待处理）', "Finishes the meter change once metering recorded the old meter's swap; fails (retried, then an incident) until it is"),
  input: completeMeterChangeInput,
  output: completeMeterChangeOutput,
  handler: async (input, job: JobContext) => {
    const services = servicesOf(job);
    return services.transaction((tx) => completeMeterChange(tx, services, input.requestId));
  },
});
