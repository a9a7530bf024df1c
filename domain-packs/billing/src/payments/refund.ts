/**
 * 退费: paying back an account's prepaid credit. The request (`POST /refunds`) may ask at most the credit
 * not already asked for by other pending refunds; the `billing_refund` process puts it before an approver;
 * the worker `billing.apply-refund` applies the decision once, re-checking the credit under the account's
 * lock (a payment reversed or credit applied to a new bill meanwhile may have taken it): approved and
 * covered, the refund posts in the open finance period and a refund voucher is numbered in the receipt
 * series; not covered, it fails with the reason.
 */
import { BpmnError, defineRoute, defineWorker, type JobContext, type PackServices, type PackTx, servicesOf } from '@shuiyun/sdk';
import { z } from 'zod';
import { formatYuan } from '../domain/index.js';
import { financePeriodFor } from '../finance/periods.js';
import { issueReceipt } from '../finance/receipts.js';
import { conflict, idParams, invalid, iso, l, notFound, page, Params, PERMISSIONS, positiveFen, text, pageOf } from '../shared.js';
import { approvalForm, approvalProcessXml, type Decision, decisions } from './approval.js';
import { refusalOf } from './counter.js';
import { accountBalance, lockAccount } from './ledger.js';

export const REFUND_PROCESS = 'billing_refund';
export const REFUND_FORM = 'billing_refund_form';
export const APPLY_REFUND = 'billing.apply-refund';

export interface RefundRow {
  id: string;
  account_id: string;
  amount_fen: string;
  method: string;
  reason: string;
  status: 'pending' | 'approved' | 'rejected' | 'failed';
  finance_period: string | null;
  instance: string | null;
  requested_by: string | null;
  decided_at: Date | string | null;
  decision_note: string | null;
  failure: string | null;
  created_at: Date | string;
}
const REFUND_COLUMNS = `id::text, account_id::text, amount_fen::text, method, reason, status, finance_period, instance, requested_by::text, decided_at, decision_note, failure, created_at`;
export const presentRefund = (r: RefundRow) => ({
  id: Number(r.id),
  accountId: Number(r.account_id),
  amountFen: text(r.amount_fen),
  method: r.method,
  reason: r.reason,
  status: r.status,
  financePeriod: r.finance_period,
  instance: r.instance,
  requestedBy: r.requested_by === null ? null : Number(r.requested_by),
  decidedAt: iso(r.decided_at),
  decisionNote: r.decision_note,
  failure: r.failure,
  createdAt: iso(r.created_at),
});

const idText = z.union([z.string().regex(/^[1-9][0-9]{0,17}$/, 'an id'), z.number().int().positive()]).transform((v) => String(v));

async function pendingRefunds(tx: PackTx, tenantId: number, accountId: string): Promise<bigint> {
  const [row] = await tx.query<{ s: string }>(`select coalesce(sum(amount_fen), 0)::text as s from pack_billing.refunds where tenant_id = $2 and account_id = $1::bigint and status = 'pending'`, [accountId, tenantId]);
  return BigInt(row!.s);
}

export const refundRoutes = [
  defineRoute({
    method: 'post',
    path: '/refunds',
    permission: PERMISSIONS.collect,
    summary: "Ask to refund an account's prepaid credit (退费): at most the credit not asked for by pending refunds; an approver decides",
    status: 202,
    body: z.object({
      accountId: idText,
      amountFen: positiveFen,
      method: z.enum(['cash', 'bank', 'original']),
      reason: z.string().max(500).optional(),
    }),
    handler: async ({ body }, services: PackServices) =>
      services.transaction(async (tx) => {
        const reason = body.reason?.trim();
        if (!reason) throw invalid(l('请填写退费原因', 'Give the reason for the refund'), 'reason');
        const account = await lockAccount(tx, body.accountId);
        if (!account || account.tenant_id !== String(services.tenant.id)) throw refusalOf('no_account', body.accountId);
        const balance = await accountBalance(tx, body.accountId);
        const available = balance.creditFen - (await pendingRefunds(tx, services.tenant.id, body.accountId));
        if (body.amountFen > available) {
          const yuan = formatYuan(available < 0n ? 0n : available);
          throw conflict(l(`退费金额超过可退预存款（可退 ${yuan} 元）`, `The refund exceeds the refundable credit (${yuan} yuan)`), 'amountFen');
        }
        const [row] = await tx.query<RefundRow>(
          `insert into pack_billing.refunds (tenant_id, tenant_path, account_id, amount_fen, method, reason, requested_by)
           values ($1, $2::ltree, $3::bigint, $4::bigint, $5, $6, $7::bigint) returning ${REFUND_COLUMNS}`,
          [services.tenant.id, services.tenant.path, body.accountId, body.amountFen.toString(), body.method, reason, services.user?.id ?? null],
        );
        const instance = await tx.startProcess(REFUND_PROCESS, {
          businessKey: `refund-${row!.id}`,
          variables: {
            refundId: Number(row!.id),
            accountId: Number(body.accountId),
            accountNo: account.account_no,
            amountYuan: formatYuan(body.amountFen),
            creditYuan: formatYuan(balance.creditFen),
            method: body.method,
            reason,
          },
        });
        const [withInstance] = await tx.query<RefundRow>(`update pack_billing.refunds set instance = $2 where id = $1::bigint returning ${REFUND_COLUMNS}`, [row!.id, instance]);
        return presentRefund(withInstance!);
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/refunds',
    permission: PERMISSIONS.paymentsRead,
    summary: 'Refunds, newest first: by account, status',
    query: z.object({ ...page, accountId: z.coerce.number().int().positive().optional(), status: z.enum(['pending', 'approved', 'rejected', 'failed']).optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`tenant_id = ${p.add(services.tenant.id)}`];
        if (query.accountId) where.push(`account_id = ${p.add(query.accountId)}`);
        if (query.status) where.push(`status = ${p.add(query.status)}`);
        return pageOf(tx, { table: 'pack_billing.refunds', columns: REFUND_COLUMNS, where, p, query, present: presentRefund });
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/refunds/:id',
    permission: PERMISSIONS.paymentsRead,
    summary: 'One refund',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<RefundRow>(`select ${REFUND_COLUMNS} from pack_billing.refunds where tenant_id = $1 and id = $2`, [services.tenant.id, params.id]);
        if (!row) throw notFound(l(`没有退费记录 ${params.id}`, `No refund ${params.id}`), 'id');
        return presentRefund(row);
      }),
  }),
];

export const applyRefundInput = z.object({
  refundId: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,17}$/)]).transform((v) => String(v)),
  decision: z.enum(decisions).optional(),
  comment: z.string().max(2_000).nullish(),
});
export const applyRefundOutput = z.object({ refundStatus: z.string(), receiptNo: z.string().nullable() });
type ApplyResult = z.input<typeof applyRefundOutput>;

/** Applies an approver's decision on a refund, once, re-checking the credit under the account's lock. */
export async function applyRefund(tx: PackTx, services: PackServices, input: { refundId: string; decision: Decision; comment?: string | null | undefined }): Promise<ApplyResult> {
  const tenant = services.tenant;
  const [first] = await tx.query<{ account_id: string }>(`select account_id::text from pack_billing.refunds where tenant_id = $1 and id = $2::bigint`, [tenant.id, input.refundId]);
  if (!first) throw new BpmnError('refund_not_found', `no refund ${input.refundId} in this tenant`);
  await lockAccount(tx, first.account_id);
  const [refund] = await tx.query<RefundRow>(`select ${REFUND_COLUMNS} from pack_billing.refunds where id = $1::bigint for update`, [input.refundId]);
  if (refund!.status !== 'pending') {
    const [voucher] = await tx.query<{ receipt_no: string }>(`select receipt_no from pack_billing.receipts where tenant_id = $2 and refund_id = $1::bigint order by id desc limit 1`, [refund!.id, tenant.id]);
    return { refundStatus: refund!.status, receiptNo: voucher?.receipt_no ?? null };
  }
  const note = input.comment?.trim() ? input.comment.trim() : null;
  if (input.decision === 'reject') {
    await tx.query(`update pack_billing.refunds set status = 'rejected', decided_at = now(), decision_note = $2 where id = $1::bigint`, [refund!.id, note]);
    return { refundStatus: 'rejected', receiptNo: null };
  }
  const amount = BigInt(refund!.amount_fen);
  const balance = await accountBalance(tx, refund!.account_id);
  if (balance.creditFen < amount) {
    await tx.query(`update pack_billing.refunds set status = 'failed', decided_at = now(), decision_note = $2, failure = $3 where id = $1::bigint`, [
      refund!.id,
      note,
      `credit ${formatYuan(balance.creditFen)} < refund ${formatYuan(amount)} at apply time`,
    ]);
    return { refundStatus: 'failed', receiptNo: null };
  }
  const period = await financePeriodFor(tx, tenant, new Date());
  await tx.query(`update pack_billing.refunds set status = 'approved', finance_period = $2, decided_at = now(), decision_note = $3 where id = $1::bigint`, [refund!.id, period, note]);
  const voucher = await issueReceipt(tx, tenant, { accountId: refund!.account_id, refundId: refund!.id, amountFen: amount, issuedBy: null });
  return { refundStatus: 'approved', receiptNo: voucher?.receipt_no ?? null };
}

export const applyRefundWorker = defineWorker({
  type: APPLY_REFUND,
  title: l('执行退费审批结论', 'Apply a refund decision'),
  description: l('同意且预存款足够则退费并开具退费凭证；驳回则关闭申请（重复投递不重复退费）', 'Approved and covered by the credit: pays it back with a voucher; rejected: closes the request (a redelivered job changes nothing twice)'),
  input: applyRefundInput,
  output: applyRefundOutput,
  handler: async (input, job: JobContext) => {
    const services = servicesOf(job);
    const header = job.headers.decision;
    const decision = (decisions as readonly string[]).includes(header ?? '') ? (header as Decision) : (input.decision ?? 'reject');
    return services.transaction((tx) => applyRefund(tx, services, { ...input, decision }));
  },
});

export const refundProcess = {
  code: REFUND_PROCESS,
  name: '退费审批',
  xml: approvalProcessXml({ processId: REFUND_PROCESS, name: '退费审批', taskName: '审批退费', formId: REFUND_FORM, jobType: APPLY_REFUND, approveName: '执行退费', rejectName: '驳回退费' }),
};
export const refundFormArtifact = {
  code: REFUND_FORM,
  name: '退费审批单',
  schema: approvalForm({
    formId: REFUND_FORM,
    summary: [
      '### 退费 · Refund',
      '',
      '- 户号 Account: **{{accountNo}}**',
      '- 退费金额 Amount: **{{amountYuan}}** 元',
      '- 申请时预存余额 Credit when asked: {{creditYuan}} 元',
      '- 退费方式 Method: {{method}}',
      '- 退费原因 Reason: {{reason}}',
    ],
  }),
};
