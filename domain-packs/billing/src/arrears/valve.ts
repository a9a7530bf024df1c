/**
 * 欠费关阀: a valve case per account in arrears, run by the `billing_valve_control` process (valve-process.ts).
 * This module opens cases (by hand or from the dunning run) and holds the workers of the process's service
 * tasks. Each worker changes the case under its row's lock and answers what it finds when its job is
 * delivered again (a retried job changes nothing twice). A worker that must end the case as failed commits
 * the failure first and then throws a BPMN error, which the process catches to end the instance there.
 *
 * Valve commands go through the platform's IoT downlink (`services.devices`): one `valve_close` per remote
 * meter of the account's household that has a device code, queued in the worker's transaction and handed to
 * the transport after commit; a command the platform refuses (unknown device, a product without the
 * service, a command still open) is recorded as a failed valve command with the refusal. The reopening sends
 * `valve_open` to the meters whose close was acknowledged.
 */
import { BpmnError, defineWorker, PackError, servicesOf, type PackServices, type PackTenant, type PackTx, type SqlParam } from '@shuiyun/sdk';
import { z } from 'zod';
import { daysBetween, formatYuan } from '../domain/index.js';
import { notify } from '../notify/notify.js';
import { l } from '../shared.js';
import { accountArrears, accountInfo, todayOf, valveMeters, type ValveMeter } from './queries.js';
import { durationMs, durationWords, loadArrearsSettings } from './settings.js';
import { completedBy, idVariable } from './workflow.js';

export const VALVE_PROCESS = 'billing_valve_control';
export const CLEARED_MESSAGE = 'billing.arrears-cleared';
export const VALVE_JOBS = {
  notice: 'billing.valve-notice',
  recheck: 'billing.valve-recheck',
  decision: 'billing.valve-decision',
  command: 'billing.valve-command',
  delivery: 'billing.valve-delivery',
  cleared: 'billing.valve-check-cleared',
} as const;
export const VALVE_FAILED = 'valve_command_failed';

export type CaseStatus = 'opened' | 'notified' | 'awaiting_approval' | 'rejected' | 'closing' | 'closed' | 'reopening' | 'reopened' | 'cancelled' | 'failed';
export const OPEN_STATUSES = ['opened', 'notified', 'awaiting_approval', 'closing', 'closed', 'reopening'] as const;
export const TERMINAL = `('reopened', 'cancelled', 'rejected', 'failed')`;

export interface CaseRow {
  id: string;
  account_id: string;
  status: CaseStatus;
  arrears_fen: string;
  origin: 'manual' | 'dunning';
  grace_duration: string;
  grace_until: Date | string | null;
  instance: string | null;
  decided_by: string | null;
  decided_at: Date | string | null;
  decision_note: string | null;
  failure: string | null;
  started_by: string | null;
  opened_at: Date | string;
  notified_at: Date | string | null;
  closed_at: Date | string | null;
  cleared_at: Date | string | null;
  reopened_at: Date | string | null;
  updated_at: Date | string;
}

export const CASE_COLUMNS = `id::text, account_id::text, status, arrears_fen::text, origin, grace_duration, grace_until, instance, decided_by::text, decided_at,
  decision_note, failure, started_by::text, opened_at, notified_at, closed_at, cleared_at, reopened_at, updated_at`;

export async function caseById(tx: PackTx, tenant: PackTenant, id: string, lock = false): Promise<CaseRow | null> {
  const [row] = await tx.query<CaseRow>(`select ${CASE_COLUMNS} from pack_billing.valve_cases where tenant_id = $1 and id = $2::bigint${lock ? ' for update' : ''}`, [tenant.id, id]);
  return row ?? null;
}

/** Sets the case's status (and `extra` assignments using $3, $4 … of `params`). */
const setStatus = (tx: PackTx, id: string, status: CaseStatus, extra = '', params: SqlParam[] = []) =>
  tx.query(`update pack_billing.valve_cases set status = $2, updated_at = now()${extra} where id = $1::bigint`, [id, status, ...params]);

/** Why a case cannot be opened for an account. */
export type OpenRefusal =
  | { reason: 'no_account' }
  | { reason: 'not_active'; status: string }
  | { reason: 'no_arrears' }
  | { reason: 'no_meters' }
  | { reason: 'open_case'; caseId: string };

export type OpenResult = { ok: true; caseId: string; instance: string } | ({ ok: false } & OpenRefusal);

/**
 * Opens a valve case for the account and starts its process, in the caller's transaction, under the account's
 * lock: the account must be active, in arrears (charges past due unpaid), have a meter that can take valve
 * commands, and no open case (the partial unique index keeps it at one).
 */
export async function openValveCase(tx: PackTx, services: PackServices, accountId: string, origin: 'manual' | 'dunning'): Promise<OpenResult> {
  const tenant = services.tenant;
  const account = await accountInfo(tx, tenant, accountId, true);
  if (!account) return { ok: false, reason: 'no_account' };
  if (account.status !== 'active') return { ok: false, reason: 'not_active', status: account.status };
  const [open] = await tx.query<{ id: string }>(`select id::text from pack_billing.valve_cases where tenant_id = $1 and account_id = $2::bigint and status not in ${TERMINAL}`, [tenant.id, accountId]);
  if (open) return { ok: false, reason: 'open_case', caseId: open.id };
  const today = todayOf(tenant);
  const arrears = await accountArrears(tx, tenant, accountId, today);
  if (arrears.arrearsFen <= 0n) return { ok: false, reason: 'no_arrears' };
  const meters = await valveMeters(tx, tenant, account.householdId);
  if (meters.length === 0) return { ok: false, reason: 'no_meters' };
  const { valve } = await loadArrearsSettings(tx, tenant);
  const [row] = await tx.query<{ id: string }>(
    `insert into pack_billing.valve_cases (tenant_id, tenant_path, account_id, status, arrears_fen, origin, grace_duration, started_by)
     values ($1, $2::ltree, $3::bigint, 'opened', $4::bigint, $5, $6, $7::bigint)
     on conflict (tenant_id, account_id) where status not in ${TERMINAL} do nothing
     returning id::text`,
    [tenant.id, tenant.path, accountId, arrears.arrearsFen, origin, valve.graceDuration, services.user?.id ?? null],
  );
  if (!row) {
    const [again] = await tx.query<{ id: string }>(`select id::text from pack_billing.valve_cases where tenant_id = $1 and account_id = $2::bigint and status not in ${TERMINAL}`, [tenant.id, accountId]);
    return { ok: false, reason: 'open_case', caseId: again?.id ?? '' };
  }
  const instance = await tx.startProcess(VALVE_PROCESS, {
    businessKey: `valve-case:${row.id}`,
    variables: {
      caseId: Number(row.id),
      accountId: Number(accountId),
      accountKey: accountId,
      accountNo: account.accountNo ?? '',
      customerName: account.customerName,
      arrearsFen: arrears.arrearsFen.toString(),
      arrearsYuan: formatYuan(arrears.arrearsFen),
      meterNos: meters.map((m) => m.meterNo).join(', '),
      graceDuration: valve.graceDuration,
      graceWords: durationWords(valve.graceDuration)['zh-CN'],
      pollInterval: valve.pollInterval,
      recheckInterval: valve.recheckInterval,
      autoReopen: valve.reopenOnPayment,
      commandExpiresInSeconds: valve.commandExpiresInSeconds,
    },
  });
  await tx.query(`update pack_billing.valve_cases set instance = $2 where id = $1::bigint`, [row.id, instance]);
  return { ok: true, caseId: row.id, instance };
}

/** Refusals of `openValveCase` as the route answers them. */
export function refusalError(refusal: OpenRefusal, accountId: string): PackError {
  switch (refusal.reason) {
    case 'no_account':
      return new PackError('not_found', l(`没有账户 ${accountId}`, `no account ${accountId}`), 'body.accountId');
    case 'not_active':
      return new PackError('conflict', l(`账户 ${accountId} 状态为 ${refusal.status}，只有在用账户可以关阀`, `account ${accountId} is ${refusal.status}; only active accounts can have their valve closed`), 'body.accountId');
    case 'no_arrears':
      return new PackError('conflict', l(`账户 ${accountId} 没有逾期欠费`, `account ${accountId} has no arrears (nothing past due is unpaid)`), 'body.accountId');
    case 'no_meters':
      return new PackError('conflict', l(`账户 ${accountId} 没有可远程关阀的水表（远传表且有设备编码）`, `account ${accountId} has no meter that can take valve commands (a remote meter with a device code)`), 'body.accountId');
    case 'open_case':
      return new PackError('conflict', l(`账户 ${accountId} 已有进行中的关阀流程 ${refusal.caseId}`, `account ${accountId} already has an open valve case ${refusal.caseId}`), 'body.accountId');
  }
}

const localTime = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(at);

const caseInput = z.object({ caseId: idVariable });

// ─── notice ───────────────────────────────────────────────────────────────────────────────────────────

/** Sends the customer the notice (arrears and grace period) and starts the grace period. */
export async function sendNotice(tx: PackTx, tenant: PackTenant, caseId: string) {
  const row = await caseById(tx, tenant, caseId, true);
  if (!row) throw new BpmnError('case_not_found', `no valve case ${caseId} in this tenant`);
  if (row.status === 'opened') {
    const account = await accountInfo(tx, tenant, row.account_id);
    const arrears = await accountArrears(tx, tenant, row.account_id, todayOf(tenant));
    const until = new Date(Date.now() + (durationMs(row.grace_duration) ?? 0));
    const words = durationWords(row.grace_duration);
    const yuan = formatYuan(arrears.arrearsFen);
    const no = account?.accountNo ?? row.account_id;
    const name = account?.customerName ?? '';
    const by = localTime(until, tenant.timeZone);
    await notify(tx, tenant, {
      accountId: row.account_id,
      kind: 'valve_notice',
      dedupeKey: `valve-notice:${row.id}`,
      title: l('欠费停水（关阀）预告', 'Notice: the water valve will be closed for arrears'),
      body: l(
        `您的账户 ${no}（${name}）欠费 ${yuan} 元（最早一笔于 ${arrears.oldestDueDate ?? '-'} 到期）。请在${words['zh-CN']}内（${by} 前）缴清欠费，逾期未缴将关闭水表阀门、暂停供水。`,
        `Your account ${no} (${name}) owes ${yuan} yuan (the oldest charge was due on ${arrears.oldestDueDate ?? '-'}). Please pay within ${words.en} (by ${by}); otherwise the meter's valve will be closed and the water supply suspended.`,
      ),
    });
    await setStatus(tx, row.id, 'notified', ', notified_at = now(), grace_until = $3, arrears_fen = $4::bigint', [until, arrears.arrearsFen]);
    return { arrearsFen: arrears.arrearsFen.toString(), arrearsYuan: yuan, graceUntil: until.toISOString() };
  }
  return { arrearsFen: BigInt(row.arrears_fen).toString(), arrearsYuan: formatYuan(BigInt(row.arrears_fen)), graceUntil: row.grace_until === null ? null : new Date(row.grace_until).toISOString() };
}

// ─── re-check after the grace period ───────────────────────────────────────────────────────────────────

/** After the grace period: still in arrears → awaiting approval (with what the approver needs to see); paid → cancelled. */
export async function recheckCase(tx: PackTx, tenant: PackTenant, caseId: string) {
  const row = await caseById(tx, tenant, caseId, true);
  if (!row) throw new BpmnError('case_not_found', `no valve case ${caseId} in this tenant`);
  const today = todayOf(tenant);
  const arrears = await accountArrears(tx, tenant, row.account_id, today);
  const account = await accountInfo(tx, tenant, row.account_id);
  const meters = await valveMeters(tx, tenant, account?.householdId ?? null);
  const view = {
    arrearsFen: arrears.arrearsFen.toString(),
    arrearsYuan: formatYuan(arrears.arrearsFen),
    oldestDueDate: arrears.oldestDueDate,
    daysOverdue: arrears.oldestDueDate === null ? 0 : daysBetween(arrears.oldestDueDate, today),
    meterNos: meters.map((m) => m.meterNo).join(', '),
  };
  if (row.status === 'notified') {
    if (arrears.arrearsFen <= 0n) {
      await setStatus(tx, row.id, 'cancelled', ', arrears_fen = 0');
      return { inArrears: false, ...view };
    }
    await setStatus(tx, row.id, 'awaiting_approval', ', arrears_fen = $3::bigint', [arrears.arrearsFen]);
    return { inArrears: true, ...view };
  }
  return { inArrears: row.status !== 'cancelled', ...view };
}

// ─── the approver's decision ──────────────────────────────────────────────────────────────────────────

/** Records the approval: approve → closing (or cancelled when paid meanwhile), reject → rejected. Answers the way on. */
export async function decideCase(tx: PackTx, tenant: PackTenant, input: { caseId: string; decision: 'approve' | 'reject'; note?: string | null | undefined }, instanceId?: string): Promise<{ outcome: 'close' | 'rejected' | 'cancelled' }> {
  const row = await caseById(tx, tenant, input.caseId, true);
  if (!row) throw new BpmnError('case_not_found', `no valve case ${input.caseId} in this tenant`);
  if (row.status !== 'awaiting_approval') {
    return { outcome: row.status === 'rejected' ? 'rejected' : row.status === 'cancelled' ? 'cancelled' : 'close' };
  }
  const decidedBy = instanceId ? await completedBy(tx, instanceId, 'approval') : null;
  const note = input.note?.trim() ? input.note.trim().slice(0, 500) : null;
  const decided = ', decided_by = $3::bigint, decided_at = now(), decision_note = $4';
  if (input.decision === 'reject') {
    await setStatus(tx, row.id, 'rejected', decided, [decidedBy, note]);
    return { outcome: 'rejected' };
  }
  const arrears = await accountArrears(tx, tenant, row.account_id, todayOf(tenant));
  if (arrears.arrearsFen <= 0n) {
    await setStatus(tx, row.id, 'cancelled', `${decided}, arrears_fen = 0`, [decidedBy, note]);
    return { outcome: 'cancelled' };
  }
  await setStatus(tx, row.id, 'closing', `${decided}, arrears_fen = $5::bigint`, [decidedBy, note, arrears.arrearsFen]);
  return { outcome: 'close' };
}

// ─── valve commands ───────────────────────────────────────────────────────────────────────────────────

export type ValveAction = 'close' | 'open';
const SERVICE: Record<ValveAction, string> = { close: 'valve_close', open: 'valve_open' };

const isPackError = (e: unknown): e is PackError => e instanceof PackError || (e instanceof Error && e.name === 'PackError' && 'code' in e);

/** Commits `failure` on the case (status failed) — the caller throws the BPMN error after the commit. */
const failCase = (tx: PackTx, id: string, failure: string) => setStatus(tx, id, 'failed', ', failure = $3', [failure.slice(0, 2000)]);

/**
 * Queues the action's command for each meter (close: the household's valve meters; open: the meters whose close
 * was acknowledged) and records a valve_commands row per meter. Answers the failure when none could be queued.
 */
export async function sendValveCommands(tx: PackTx, services: PackServices, caseId: string, action: ValveAction, expiresInSeconds: number): Promise<{ commands: number; refused: number; failure: string | null }> {
  const tenant = services.tenant;
  const row = await caseById(tx, tenant, caseId, true);
  if (!row) throw new BpmnError('case_not_found', `no valve case ${caseId} in this tenant`);
  const [sent] = await tx.query<{ n: number; refused: number }>(
    `select count(*)::int as n, (count(*) filter (where command_id is null))::int as refused from pack_billing.valve_commands where tenant_id = $1 and case_id = $2::bigint and action = $3`,
    [tenant.id, row.id, action],
  );
  if (sent!.n > 0 || row.status === 'failed') return { commands: sent!.n, refused: sent!.refused, failure: row.status === 'failed' ? row.failure : null };
  const expected: CaseStatus = action === 'close' ? 'closing' : 'closed';
  if (row.status !== expected) throw new BpmnError('case_state', `valve case ${row.id} is ${row.status}, not ${expected}: no ${SERVICE[action]} is sent`);

  let meters: ValveMeter[];
  if (action === 'close') {
    const account = await accountInfo(tx, tenant, row.account_id);
    meters = await valveMeters(tx, tenant, account?.householdId ?? null);
  } else {
    meters = (
      await tx.query<{ meter_id: string; meter_no: string; device: string }>(
        `select meter_id::text, meter_no, device from pack_billing.valve_commands where tenant_id = $1 and case_id = $2::bigint and action = 'close' and status = 'acknowledged' order by meter_id`,
        [tenant.id, row.id],
      )
    ).map((m) => ({ id: m.meter_id, meterNo: m.meter_no, device: m.device }));
  }
  if (meters.length === 0) {
    const failure =
      action === 'close'
        ? `${SERVICE.close}: account ${row.account_id} has no remote meter with a device code any more; no valve was closed`
        : `${SERVICE.open}: no valve of this case was closed, nothing to reopen`;
    await failCase(tx, row.id, failure);
    return { commands: 0, refused: 0, failure };
  }

  const cols = { meters: [] as string[], nos: [] as string[], devices: [] as string[], commands: [] as (string | null)[], statuses: [] as string[], reasons: [] as (string | null)[] };
  for (const meter of meters) {
    let command: string | null = null;
    let status = 'failed';
    let reason: string | null = null;
    if (!services.devices) {
      reason = 'this runtime has no IoT downlink (services.devices): the command cannot be sent';
    } else {
      try {
        const queued = await services.devices.command(tx, meter.device, SERVICE[action], { expiresInSeconds });
        command = queued.id;
        status = queued.status;
        reason = queued.failureReason;
      } catch (error) {
        if (!isPackError(error)) throw error;
        reason = `the platform refused ${SERVICE[action]} for device ${meter.device}: ${error.messages.en}`;
      }
    }
    cols.meters.push(meter.id);
    cols.nos.push(meter.meterNo);
    cols.devices.push(meter.device);
    cols.commands.push(command);
    cols.statuses.push(status);
    cols.reasons.push(reason);
  }
  await tx.query(
    `insert into pack_billing.valve_commands (tenant_id, tenant_path, case_id, meter_id, meter_no, device, action, command_id, status, failure_reason)
     select $1, $2::ltree, $3::bigint, u.meter_id, u.meter_no, u.device, $4, u.command_id, u.status, u.reason
       from unnest($5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[]) as u(meter_id, meter_no, device, command_id, status, reason)`,
    [tenant.id, tenant.path, row.id, action, cols.meters, cols.nos, cols.devices, cols.commands, cols.statuses, cols.reasons],
  );
  const refused = cols.commands.filter((c) => c === null).length;
  if (refused === meters.length) {
    const failure = `${SERVICE[action]} could not be sent to any meter of account ${row.account_id}: ${cols.nos.map((no, i) => `${no}: ${cols.reasons[i]}`).join('; ')}`;
    await failCase(tx, row.id, failure);
    return { commands: meters.length, refused, failure };
  }
  if (action === 'open') await setStatus(tx, row.id, 'reopening');
  return { commands: meters.length, refused, failure: null };
}

/**
 * Looks at the delivery of the action's commands (the platform's status, recorded on each valve command):
 * pending while any is queued or sent; done when every one is settled — the case closed (at least one valve
 * closed) or reopened (every valve reopened); a failure otherwise (committed on the case).
 */
export async function followDelivery(tx: PackTx, services: PackServices, caseId: string, action: ValveAction): Promise<{ delivery: 'pending' | 'done'; failure: string | null }> {
  const tenant = services.tenant;
  const row = await caseById(tx, tenant, caseId, true);
  if (!row) throw new BpmnError('case_not_found', `no valve case ${caseId} in this tenant`);
  if (row.status === 'failed') return { delivery: 'done', failure: row.failure ?? 'failed' };
  const open = await tx.query<{ id: string; command_id: string; status: string }>(
    `select id::text, command_id::text, status from pack_billing.valve_commands
      where tenant_id = $1 and case_id = $2::bigint and action = $3 and status in ('queued', 'sent') and command_id is not null order by id`,
    [tenant.id, row.id, action],
  );
  for (const command of open) {
    const now = services.devices ? await services.devices.commandStatus(tx, command.command_id) : null;
    const status = now?.status ?? 'failed';
    const reason = now ? now.failureReason : `command ${command.command_id} is no longer known to the platform`;
    if (status !== command.status) {
      await tx.query(`update pack_billing.valve_commands set status = $2, failure_reason = $3, updated_at = now() where id = $1::bigint`, [command.id, status, reason]);
    }
  }
  const all = await tx.query<{ meter_no: string; device: string; status: string; failure_reason: string | null }>(
    `select meter_no, device, status, failure_reason from pack_billing.valve_commands where tenant_id = $1 and case_id = $2::bigint and action = $3 order by meter_id`,
    [tenant.id, row.id, action],
  );
  if (all.some((c) => c.status === 'queued' || c.status === 'sent')) return { delivery: 'pending', failure: null };
  const failed = all.filter((c) => c.status !== 'acknowledged');
  const reasons = failed.map((c) => `${c.meter_no || c.device}: ${c.status}${c.failure_reason ? ` (${c.failure_reason})` : ''}`).join('; ');
  if (action === 'close') {
    if (row.status !== 'closing') return { delivery: 'done', failure: null };
    if (failed.length === all.length) {
      const failure = `valve_close was not carried out for account ${row.account_id}: ${reasons}. No valve is closed; look at the meters and the IoT platform before opening a new case.`;
      await failCase(tx, row.id, failure);
      return { delivery: 'done', failure };
    }
    await setStatus(tx, row.id, 'closed', `, closed_at = now(), failure = $3`, [failed.length > 0 ? `some valves were not closed: ${reasons}` : null]);
    return { delivery: 'done', failure: null };
  }
  if (row.status !== 'reopening') return { delivery: 'done', failure: null };
  if (failed.length > 0) {
    const failure = `valve_open was not carried out for account ${row.account_id}, whose arrears are paid: ${reasons}. These valves are still closed: open them by hand at once.`;
    await failCase(tx, row.id, failure);
    return { delivery: 'done', failure };
  }
  await setStatus(tx, row.id, 'reopened', ', reopened_at = now()');
  return { delivery: 'done', failure: null };
}

// ─── arrears cleared ──────────────────────────────────────────────────────────────────────────────────

/** Is the closed case's account out of arrears now? Marks when it was seen cleared. */
export async function casePaid(tx: PackTx, tenant: PackTenant, row: Pick<CaseRow, 'id' | 'account_id' | 'status'>): Promise<boolean> {
  if (row.status !== 'closed') return false;
  const arrears = await accountArrears(tx, tenant, row.account_id, todayOf(tenant));
  if (arrears.arrearsFen > 0n) return false;
  await tx.query(`update pack_billing.valve_cases set cleared_at = coalesce(cleared_at, now()), updated_at = now() where id = $1::bigint`, [row.id]);
  return true;
}

// ─── workers ─────────────────────────────────────────────────────────────────────────────────────────

const failAfterCommit = (failure: string | null) => {
  if (failure !== null) throw new BpmnError(VALVE_FAILED, failure, { valveFailure: failure });
};

const actionOf = (headers: Readonly<Record<string, string>>): ValveAction => {
  const action = headers.action;
  if (action !== 'close' && action !== 'open') throw new Error(`the service task needs the header action=close|open, got ${String(action)}`);
  return action;
};

export const valveWorkers = [
  defineWorker({
    type: VALVE_JOBS.notice,
    title: l('发送关阀预告', 'Send the valve-closing notice'),
    description: l('通知用户欠费金额与宽限期，宽限期开始', 'Tells the customer the arrears and the grace period; the grace period starts'),
    input: caseInput,
    output: z.object({ arrearsFen: z.string(), arrearsYuan: z.string(), graceUntil: z.string().nullable() }),
    handler: async ({ caseId }, job) => {
      const services = servicesOf(job);
      return services.transaction((tx) => sendNotice(tx, services.tenant, caseId));
    },
  }),
  defineWorker({
    type: VALVE_JOBS.recheck,
    title: l('宽限期满复核欠费', 'Re-check the arrears after the grace period'),
    description: l('仍欠费则提交审批，已缴清则撤销', 'Still in arrears: to approval; paid: the case is cancelled'),
    input: caseInput,
    output: z.object({ inArrears: z.boolean(), arrearsFen: z.string(), arrearsYuan: z.string(), oldestDueDate: z.string().nullable(), daysOverdue: z.number().int(), meterNos: z.string() }),
    handler: async ({ caseId }, job) => {
      const services = servicesOf(job);
      return services.transaction((tx) => recheckCase(tx, services.tenant, caseId));
    },
  }),
  defineWorker({
    type: VALVE_JOBS.decision,
    title: l('记录关阀审批结论', 'Record the valve-closing decision'),
    description: l('同意则关阀（期间已缴清则撤销），不同意则结束', 'Approved: close (cancelled if paid meanwhile); rejected: the case ends'),
    input: z.object({ caseId: idVariable, decision: z.enum(['approve', 'reject']), note: z.string().max(2000).nullish() }),
    output: z.object({ outcome: z.enum(['close', 'rejected', 'cancelled']) }),
    handler: async (input, job) => {
      const services = servicesOf(job);
      return services.transaction((tx) => decideCase(tx, services.tenant, input, job.instanceId));
    },
  }),
  defineWorker({
    type: VALVE_JOBS.command,
    title: l('下发阀门指令', 'Send valve commands'),
    description: l('向账户的远传表下发关阀/开阀指令（经物联网平台）', 'Queues valve_close / valve_open for the account’s remote meters through the IoT downlink'),
    input: z.object({ caseId: idVariable, commandExpiresInSeconds: z.number().int().min(1).max(30 * 86_400).default(2 * 86_400) }),
    output: z.object({ commands: z.number().int(), refused: z.number().int() }),
    handler: async ({ caseId, commandExpiresInSeconds }, job) => {
      const services = servicesOf(job);
      const action = actionOf(job.headers);
      const done = await services.transaction((tx) => sendValveCommands(tx, services, caseId, action, commandExpiresInSeconds));
      failAfterCommit(done.failure);
      return { commands: done.commands, refused: done.refused };
    },
  }),
  defineWorker({
    type: VALVE_JOBS.delivery,
    title: l('跟踪阀门指令送达', 'Follow the valve commands’ delivery'),
    description: l('查询指令状态：送达确认、失败或过期', 'Looks at the commands: acknowledged, failed or expired'),
    input: caseInput,
    output: z.object({ delivery: z.enum(['pending', 'done']) }),
    handler: async ({ caseId }, job) => {
      const services = servicesOf(job);
      const action = actionOf(job.headers);
      const done = await services.transaction((tx) => followDelivery(tx, services, caseId, action));
      failAfterCommit(done.failure);
      return { delivery: done.delivery };
    },
  }),
  defineWorker({
    type: VALVE_JOBS.cleared,
    title: l('复核是否已缴清欠费', 'Check whether the arrears are paid'),
    description: l('关阀后定期复核；缴清则开阀', 'Looked at regularly after closing; paid: the valve reopens'),
    input: caseInput,
    output: z.object({ cleared: z.boolean() }),
    handler: async ({ caseId }, job) => {
      const services = servicesOf(job);
      return services.transaction(async (tx) => {
        const row = await caseById(tx, services.tenant, caseId, true);
        if (!row) throw new BpmnError('case_not_found', `no valve case ${caseId} in this tenant`);
        return { cleared: await casePaid(tx, services.tenant, row) };
      });
    },
  }),
];
