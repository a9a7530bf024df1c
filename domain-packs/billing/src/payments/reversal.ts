/**
 * 冲正: taking back a payment booked in error. A cashier asks (`POST /payments/:id/reverse` with the
 * reason); the `billing_payment_reversal` process puts it before an approver; the worker
 * `billing.apply-reversal` applies the decision once. Approved: the payment is marked reversed, its
 * allocations are released by negative allocation rows (its charges are open again), its receipt is voided
 * with the reason, and the reversal posts in the open finance period; then the account's other credit is
 * set against what reopened. The payment row's money never changes.
 *
 * A payment whose unallocated money was refunded cannot be reversed (its credit is gone: reversing would
 * leave the account owing money it was paid back) — refused at the request and re-checked at apply.
 */
import { BpmnError, defineRoute, defineWorker, type JobContext, type PackServices, type PackTx, servicesOf } from '@shuiyun/sdk';
import { z } from 'zod';
import { formatYuan } from '../domain/index.js';
import { financePeriodFor } from '../finance/periods.js';
import { voidReceipt } from '../finance/receipts.js';
import { conflict, idParams, invalid, iso, l, notFound, page, Params, PERMISSIONS, text, pageOf } from '../shared.js';
import { approvalForm, approvalProcessXml, type Decision, decisions } from './approval.js';
import { PAYMENT_COLUMNS, type PaymentRow } from './book.js';
import { accountBalance, applyCredit, lockAccount } from './ledger.js';

export const REVERSAL_PROCESS = 'billing_payment_reversal';
export const REVERSAL_FORM = 'billing_reversal_form';
export const APPLY_REVERSAL = 'billing.apply-reversal';

export interface ReversalRow {
  id: string;
  payment_id: string;
  reason: string;
  status: 'pending' | 'approved' | 'rejected' | 'failed';
  amount_fen: string;
  finance_period: string | null;
  instance: string | null;
  requested_by: string | null;
  decided_at: Date | string | null;
  decision_note: string | null;
  failure: string | null;
  created_at: Date | string;
}
const REVERSAL_COLUMNS = `id::text, payment_id::text, reason, status, amount_fen::text, finance_period, instance, requested_by::text, decided_at, decision_note, failure, created_at`;
export const presentReversal = (r: ReversalRow) => ({
  id: Number(r.id),
  paymentId: Number(r.payment_id),
  reason: r.reason,
  status: r.status,
  amountFen: text(r.amount_fen),
  financePeriod: r.finance_period,
  instance: r.instance,
  requestedBy: r.requested_by === null ? null : Number(r.requested_by),
  decidedAt: iso(r.decided_at),
  decisionNote: r.decision_note,
  failure: r.failure,
  createdAt: iso(r.created_at),
});

/** The payment's money not set against a charge (its share of the account's credit). */
async function unallocatedOf(tx: PackTx, payment: PaymentRow): Promise<bigint> {
  const [row] = await tx.query<{ allocated: string }>(
    `select coalesce(sum(amount_fen), 0)::text as allocated from pack_billing.allocations
      where tenant_id = (select tenant_id from pack_billing.payments where id = $1::bigint) and payment_id = $1::bigint`,
    [payment.id],
  );
  return BigInt(payment.amount_fen) - BigInt(row!.allocated);
}

/** Refusal when reversing would take back credit that was refunded: the account's credit must still hold the payment's unallocated money. */
async function creditCovers(tx: PackTx, payment: PaymentRow): Promise<boolean> {
  const balance = await accountBalance(tx, payment.account_id);
  return balance.creditFen >= (await unallocatedOf(tx, payment));
}

const refusedRefunded = (id: string) =>
  conflict(l(`收费 ${id} 的预存款已退费，不能冲正`, `The credit of payment ${id} was refunded: it cannot be reversed`), 'id');

export const reversalRoutes = [
  defineRoute({
    method: 'post',
    path: '/payments/:id/reverse',
    permission: PERMISSIONS.collect,
    summary: 'Ask to reverse a payment (冲正), with the reason: an approver decides',
    status: 202,
    params: idParams,
    body: z.object({ reason: z.string().max(500).optional() }),
    handler: async ({ params, body }, services: PackServices) =>
      services.transaction(async (tx) => {
        const reason = body.reason?.trim();
        if (!reason) throw invalid(l('请填写冲正原因', 'Give the reason for the reversal'), 'reason');
        const [found] = await tx.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from pack_billing.payments where tenant_id = $1 and id = $2`, [services.tenant.id, params.id]);
        if (!found) throw notFound(l(`没有收费记录 ${params.id}`, `No payment ${params.id}`), 'id');
        await lockAccount(tx, found.account_id);
        const [payment] = await tx.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from pack_billing.payments where id = $1`, [params.id]);
        if (payment!.status === 'reversed') throw conflict(l(`收费 ${params.id} 已冲正`, `Payment ${params.id} is reversed already`), 'id');
        if (!(await creditCovers(tx, payment!))) throw refusedRefunded(payment!.id);
        const [row] = await tx.query<ReversalRow>(
          `insert into pack_billing.reversals (tenant_id, tenant_path, payment_id, reason, amount_fen, requested_by)
           values ($1, $2::ltree, $3::bigint, $4, $5::bigint, $6::bigint) on conflict do nothing returning ${REVERSAL_COLUMNS}`,
          [services.tenant.id, services.tenant.path, payment!.id, reason, payment!.amount_fen, services.user?.id ?? null],
        );
        if (!row) throw conflict(l(`收费 ${params.id} 已有待审批的冲正申请`, `Payment ${params.id} has a reversal awaiting approval`), 'id');
        const [info] = await tx.query<{ account_no: string; receipt_no: string | null }>(
          `select a.account_no, (select r.receipt_no from pack_billing.receipts r where r.payment_id = $1::bigint order by r.id desc limit 1) as receipt_no
             from pack_billing.accounts a where a.id = $2::bigint`,
          [payment!.id, payment!.account_id],
        );
        const instance = await tx.startProcess(REVERSAL_PROCESS, {
          businessKey: `reversal-${row.id}`,
          variables: {
            reversalId: Number(row.id),
            paymentId: Number(payment!.id),
            accountNo: info!.account_no,
            receiptNo: info!.receipt_no ?? '',
            channel: payment!.channel,
            amountYuan: formatYuan(BigInt(payment!.amount_fen)),
            paidAt: iso(payment!.paid_at),
            reason,
          },
        });
        const [withInstance] = await tx.query<ReversalRow>(`update pack_billing.reversals set instance = $2 where id = $1::bigint returning ${REVERSAL_COLUMNS}`, [row.id, instance]);
        return presentReversal(withInstance!);
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/reversals',
    permission: PERMISSIONS.paymentsRead,
    summary: 'Reversal requests, newest first: by status, payment',
    query: z.object({ ...page, status: z.enum(['pending', 'approved', 'rejected', 'failed']).optional(), paymentId: z.coerce.number().int().positive().optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`tenant_id = ${p.add(services.tenant.id)}`];
        if (query.status) where.push(`status = ${p.add(query.status)}`);
        if (query.paymentId) where.push(`payment_id = ${p.add(query.paymentId)}`);
        return pageOf(tx, { table: 'pack_billing.reversals', columns: REVERSAL_COLUMNS, where, p, query, present: presentReversal });
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/reversals/:id',
    permission: PERMISSIONS.paymentsRead,
    summary: 'One reversal request',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<ReversalRow>(`select ${REVERSAL_COLUMNS} from pack_billing.reversals where tenant_id = $1 and id = $2`, [services.tenant.id, params.id]);
        if (!row) throw notFound(l(`没有冲正申请 ${params.id}`, `No reversal ${params.id}`), 'id');
        return presentReversal(row);
      }),
  }),
];

export const applyReversalInput = z.object({
  reversalId: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,17}$/)]).transform((v) => String(v)),
  decision: z.enum(decisions).optional(),
  comment: z.string().max(2_000).nullish(),
});
export const applyReversalOutput = z.object({ reversalStatus: z.string(), releasedFen: z.string(), reappliedFen: z.string() });
type ApplyResult = z.input<typeof applyReversalOutput>;

/**
 * Applies an approver's decision on a reversal, once: under the account's lock a reversal no longer
 * pending answers what was done, so a redelivered job changes nothing twice.
 */
export async function applyReversal(tx: PackTx, services: PackServices, input: { reversalId: string; decision: Decision; comment?: string | null | undefined }): Promise<ApplyResult> {
  const tenant = services.tenant;
  const [first] = await tx.query<ReversalRow & { account_id: string }>(
    `select r.payment_id::text, p.account_id::text from pack_billing.reversals r join pack_billing.payments p on p.id = r.payment_id where r.tenant_id = $1 and r.id = $2::bigint`,
    [tenant.id, input.reversalId],
  );
  if (!first) throw new BpmnError('reversal_not_found', `no reversal ${input.reversalId} in this tenant`);
  await lockAccount(tx, first.account_id);
  const [reversal] = await tx.query<ReversalRow>(`select ${REVERSAL_COLUMNS} from pack_billing.reversals where id = $1::bigint for update`, [input.reversalId]);
  const done = (status: string, released = 0n, reapplied = 0n): ApplyResult => ({ reversalStatus: status, releasedFen: released.toString(), reappliedFen: reapplied.toString() });
  if (reversal!.status !== 'pending') return done(reversal!.status);
  const note = input.comment?.trim() ? input.comment.trim() : null;
  if (input.decision === 'reject') {
    await tx.query(`update pack_billing.reversals set status = 'rejected', decided_at = now(), decision_note = $2 where id = $1::bigint`, [reversal!.id, note]);
    return done('rejected');
  }
  const [payment] = await tx.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from pack_billing.payments where id = $1::bigint`, [reversal!.payment_id]);
  const fail = async (why: string) => {
    await tx.query(`update pack_billing.reversals set status = 'failed', decided_at = now(), decision_note = $2, failure = $3 where id = $1::bigint`, [reversal!.id, note, why]);
    return done('failed');
  };
  if (payment!.status === 'reversed') return fail('payment reversed already');
  if (!(await creditCovers(tx, payment!))) return fail('the payment’s credit was refunded');
  const period = await financePeriodFor(tx, tenant, new Date());
  const [released] = await tx.query<{ released: string }>(
    `with net as (
       select charge_id, sum(amount_fen) as amount from pack_billing.allocations where tenant_id = $1 and payment_id = $3::bigint group by charge_id having sum(amount_fen) > 0
     ), upd as (
       update pack_billing.charges c set paid_fen = c.paid_fen - net.amount from net where c.id = net.charge_id returning c.id
     ), ins as (
       insert into pack_billing.allocations (tenant_id, tenant_path, payment_id, charge_id, amount_fen, finance_period)
       select $1, $2::ltree, $3::bigint, charge_id, -amount, $4 from net returning amount_fen
     )
     select (coalesce(-sum(amount_fen), 0) + 0 * (select count(*) from upd))::text as released from ins`,
    [tenant.id, tenant.path, payment!.id, period],
  );
  await tx.query(`update pack_billing.payments set status = 'reversed' where id = $1::bigint`, [payment!.id]);
  const receipts = await tx.query<{ id: string }>(`select id::text from pack_billing.receipts where tenant_id = $2 and payment_id = $1::bigint and status = 'issued'`, [payment!.id, tenant.id]);
  for (const r of receipts) await voidReceipt(tx, r.id, `冲正 Reversal: ${reversal!.reason}`, null);
  await tx.query(`update pack_billing.reversals set status = 'approved', finance_period = $2, decided_at = now(), decision_note = $3 where id = $1::bigint`, [reversal!.id, period, note]);
  const reapplied = await applyCredit(tx, tenant, payment!.account_id, period);
  return done('approved', BigInt(released!.released), reapplied);
}

export const applyReversalWorker = defineWorker({
  type: APPLY_REVERSAL,
  title: l('执行冲正审批结论', 'Apply a payment reversal decision'),
  description: l('同意则冲正收费、释放分配、作废票据；驳回则关闭申请（重复投递不重复冲正）', 'Approved: reverses the payment, releases its allocations and voids its receipt; rejected: closes the request (a redelivered job changes nothing twice)'),
  input: applyReversalInput,
  output: applyReversalOutput,
  handler: async (input, job: JobContext) => {
    const services = servicesOf(job);
    const header = job.headers.decision;
    const decision = (decisions as readonly string[]).includes(header ?? '') ? (header as Decision) : (input.decision ?? 'reject');
    return services.transaction((tx) => applyReversal(tx, services, { ...input, decision }));
  },
});

export const reversalProcess = {
  code: REVERSAL_PROCESS,
  name: '收费冲正审批',
  xml: approvalProcessXml({
    processId: REVERSAL_PROCESS,
    name: '收费冲正审批',
    taskName: '审批冲正',
    formId: REVERSAL_FORM,
    jobType: APPLY_REVERSAL,
    approveName: '执行冲正',
    rejectName: '驳回冲正',
  }),
};
export const reversalFormArtifact = {
  code: REVERSAL_FORM,
  name: '收费冲正审批单',
  schema: approvalForm({
    formId: REVERSAL_FORM,
    summary: [
      '### 收费冲正 · Payment reversal',
      '',
      '- 户号 Account: **{{accountNo}}**',
      '- 票据号 Receipt: {{receiptNo}}',
      '- 收费方式 Channel: {{channel}}',
      '- 金额 Amount: **{{amountYuan}}** 元',
      '- 收费时间 Paid at: {{paidAt}}',
      '- 冲正原因 Reason: {{reason}}',
    ],
  }),
};
