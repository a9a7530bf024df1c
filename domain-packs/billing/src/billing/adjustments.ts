/**
 * 调账 (bill adjustments): a debit (the account owes more: a `charges` row of kind adjustment) or a credit
 * (the account is owed: a credit note booked as a `payments` row of channel credit_note, then set against its
 * open charges), with a reason and an approval. `POST /adjustments` records the request and starts
 * `billing_adjustment`: an approver (candidate group `billing-approver`) decides on the form
 * `billing_adjustment_form`, then the `billing.apply-adjustment` worker applies the decision once — the
 * account row, then the adjustment row, locked; an adjustment no longer pending answers what was done, so a
 * redelivered job posts nothing twice (the credit note's `external_ref` is unique besides).
 *   GET  /adjustments?accountId=&status=   billing.bills:read
 *   POST /adjustments                      billing.bills:adjust (201)
 */
import { BpmnError, defineRoute, defineWorker, servicesOf, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { addDays, formatYuan, localDate } from '../domain/index.js';
import { financePeriodFor } from '../finance/periods.js';
import { applyCredit } from '../payments/ledger.js';
import { notify } from '../notify/notify.js';
import { invalid, iso, l, notFound, page, Params, PERMISSIONS, positiveFen, text } from '../shared.js';

export const ADJUSTMENT_PROCESS = 'billing_adjustment';
export const ADJUSTMENT_FORM = 'billing_adjustment_form';
export const APPLY_ADJUSTMENT = 'billing.apply-adjustment';
/** The tenant role of the pack's default role `approver` (presentation). */
export const APPROVER_GROUP = 'billing-approver';

interface AdjustmentRow {
  id: string;
  account_id: string;
  account_no: string | null;
  bill_id: string | null;
  direction: 'debit' | 'credit';
  amount_fen: string;
  reason: string;
  status: 'pending' | 'approved' | 'rejected';
  instance: string | null;
  decided_at: Date | string | null;
  decision_note: string | null;
  charge_id: string | null;
  payment_id: string | null;
  finance_period: string | null;
  applied_at: Date | string | null;
  created_by: string | null;
  created_at: Date | string;
}

const SELECT = `select j.id::text, j.account_id::text, a.account_no, j.bill_id::text, j.direction, j.amount_fen::text, j.reason, j.status, j.instance, j.decided_at,
    j.decision_note, j.charge_id::text, j.payment_id::text, j.finance_period, j.applied_at, j.created_by::text, j.created_at
  from pack_billing.adjustments j left join pack_billing.accounts a on a.tenant_id = j.tenant_id and a.id = j.account_id`;

function present(r: AdjustmentRow) {
  return {
    id: Number(r.id),
    accountId: Number(r.account_id),
    accountNo: r.account_no,
    billId: r.bill_id === null ? null : Number(r.bill_id),
    direction: r.direction,
    amountFen: text(r.amount_fen),
    reason: r.reason,
    status: r.status,
    instance: r.instance,
    decidedAt: iso(r.decided_at),
    decisionNote: r.decision_note,
    chargeId: r.charge_id === null ? null : Number(r.charge_id),
    paymentId: r.payment_id === null ? null : Number(r.payment_id),
    financePeriod: r.finance_period,
    appliedAt: iso(r.applied_at),
    createdBy: r.created_by === null ? null : Number(r.created_by),
    createdAt: iso(r.created_at),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The process and its form

export const adjustmentProcessXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="billing_adjustment_definitions" targetNamespace="http://shuiyun.example/bpmn/billing">
  <bpmn:process id="${ADJUSTMENT_PROCESS}" name="调账审批" isExecutable="true">
    <bpmn:startEvent id="requested" name="申请调账"><bpmn:outgoing>to_approve</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="approve" name="审批调账">
      <bpmn:extensionElements>
        <zeebe:formDefinition formId="${ADJUSTMENT_FORM}" />
        <zeebe:assignmentDefinition candidateGroups="${APPROVER_GROUP}" />
      </bpmn:extensionElements>
      <bpmn:incoming>to_approve</bpmn:incoming>
      <bpmn:outgoing>to_apply</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="apply" name="执行调账">
      <bpmn:extensionElements><zeebe:taskDefinition type="${APPLY_ADJUSTMENT}" retries="3" /></bpmn:extensionElements>
      <bpmn:incoming>to_apply</bpmn:incoming>
      <bpmn:outgoing>to_end</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="done" name="调账完成"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_approve" sourceRef="requested" targetRef="approve" />
    <bpmn:sequenceFlow id="to_apply" sourceRef="approve" targetRef="apply" />
    <bpmn:sequenceFlow id="to_end" sourceRef="apply" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>`;

/** The approver's form (form-js, schemaVersion 16): the request in a text view, the decision, a note. */
export const adjustmentForm = {
  type: 'default',
  id: ADJUSTMENT_FORM,
  schemaVersion: 16,
  components: [
    {
      type: 'text',
      id: 'adjustment_summary',
      text: [
        '### 调账审批 · Bill adjustment',
        '',
        '- 户号 Account: **{{accountNo}}**',
        '- 方向 Direction: **{{directionText}}**',
        '- 金额 Amount: **{{amountYuan}}** 元 yuan',
        '- 账单 Bill: {{billText}}',
        '- 原因 Reason: {{reason}}',
      ].join('\n'),
    },
    {
      type: 'radio',
      id: 'adjustment_decision',
      key: 'decision',
      label: '审批结论',
      values: [
        { label: '同意 Approve', value: 'approve' },
        { label: '驳回 Reject', value: 'reject' },
      ],
      validate: { required: true },
    },
    { type: 'textarea', id: 'adjustment_note', key: 'decisionNote', label: '审批意见', validate: { maxLength: 500 } },
  ],
};

// ---------------------------------------------------------------------------------------------------------
// Applying a decision

const idVariable = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,17}$/)]).transform((v) => String(v));

export const applyAdjustmentInput = z.object({
  adjustmentId: idVariable,
  decision: z.enum(['approve', 'reject']),
  decisionNote: z.string().max(2_000).nullish(),
});

export const applyAdjustmentOutput = z.object({
  adjustmentStatus: z.enum(['approved', 'rejected']),
  chargeId: z.number().int().nullable(),
  paymentId: z.number().int().nullable(),
  creditAppliedFen: z.string(),
});
type ApplyResult = z.input<typeof applyAdjustmentOutput>;

const outcome = (row: AdjustmentRow, appliedFen = 0n): ApplyResult => ({
  adjustmentStatus: row.status === 'rejected' ? 'rejected' : 'approved',
  chargeId: row.charge_id === null ? null : Number(row.charge_id),
  paymentId: row.payment_id === null ? null : Number(row.payment_id),
  creditAppliedFen: appliedFen.toString(),
});

/** Applies the approver's decision to adjustment `id`, once (see the module comment). */
export async function applyAdjustment(
  tx: PackTx,
  services: PackServices,
  input: { adjustmentId: string; decision: 'approve' | 'reject'; decisionNote?: string | null | undefined },
): Promise<ApplyResult> {
  const tenant = services.tenant;
  const [found] = await tx.query<{ account_id: string }>(`select account_id::text from pack_billing.adjustments where tenant_id = $1 and id = $2::bigint`, [tenant.id, input.adjustmentId]);
  if (!found) throw new BpmnError('adjustment_not_found', `no adjustment ${input.adjustmentId} in this tenant`);
  // The account row first, then the adjustment: the pack's lock order for money.
  await tx.query(`select id from pack_billing.accounts where tenant_id = $1 and id = $2::bigint for update`, [tenant.id, found.account_id]);
  const [row] = await tx.query<AdjustmentRow>(`${SELECT} where j.tenant_id = $1 and j.id = $2::bigint for update of j`, [tenant.id, input.adjustmentId]);
  if (!row) throw new BpmnError('adjustment_not_found', `no adjustment ${input.adjustmentId} in this tenant`);
  if (row.status !== 'pending') return outcome(row);
  const note = input.decisionNote?.trim() ? input.decisionNote.trim().slice(0, 500) : null;
  const amount = BigInt(row.amount_fen);
  if (input.decision === 'reject') {
    const [rejected] = await tx.query<AdjustmentRow>(
      `update pack_billing.adjustments j set status = 'rejected', decided_at = now(), decision_note = $2 where j.id = $1::bigint
        returning j.id::text, j.account_id::text, null::text as account_no, j.bill_id::text, j.direction, j.amount_fen::text, j.reason, j.status, j.instance, j.decided_at,
                  j.decision_note, j.charge_id::text, j.payment_id::text, j.finance_period, j.applied_at, j.created_by::text, j.created_at`,
      [row.id, note],
    );
    await notify(tx, tenant, {
      accountId: row.account_id,
      kind: 'adjustment',
      dedupeKey: `adjustment:${row.id}:rejected`,
      title: l('调账申请未通过', 'Adjustment rejected'),
      body: l(`户号 ${row.account_no ?? row.account_id} 的调账申请（${formatYuan(amount)} 元）未获批准。`, `The adjustment of ${formatYuan(amount)} yuan on account ${row.account_no ?? row.account_id} was rejected.`),
      channels: ['inapp'],
    });
    return outcome(rejected!);
  }
  const now = new Date();
  const financePeriod = await financePeriodFor(tx, tenant, now);
  let chargeId: string | null = null;
  let paymentId: string | null = null;
  if (row.direction === 'debit') {
    const [settings] = await tx.query<{ due_days: number }>(`select due_days from pack_billing.settings where tenant_id = $1`, [tenant.id]);
    const dueDate = addDays(localDate(now, tenant.timeZone), settings?.due_days ?? 30);
    const [charge] = await tx.query<{ id: string }>(
      `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, bill_id, amount_fen, due_date, finance_period)
       values ($1, $2::ltree, $3::bigint, 'adjustment', $4::bigint, $5::bigint, $6::date, $7) returning id::text`,
      [tenant.id, tenant.path, row.account_id, row.bill_id, amount, dueDate, financePeriod],
    );
    chargeId = charge!.id;
  } else {
    const [payment] = await tx.query<{ id: string }>(
      `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, external_ref, finance_period, note)
       values ($1, $2::ltree, $3::bigint, 'credit_note', $4::bigint, $5, $6, $7)
       on conflict (tenant_id, channel, external_ref) where external_ref is not null do nothing returning id::text`,
      [tenant.id, tenant.path, row.account_id, amount, `adjustment:${row.id}`, financePeriod, row.reason.slice(0, 500)],
    );
    paymentId =
      payment?.id ??
      (await tx.query<{ id: string }>(`select id::text from pack_billing.payments where tenant_id = $1 and channel = 'credit_note' and external_ref = $2`, [tenant.id, `adjustment:${row.id}`]))[0]!.id;
  }
  // Prepaid money (a credit note, or credit already there) against the open charges, the new debit included.
  const applied = await applyCredit(tx, tenant, row.account_id, financePeriod);
  const [approved] = await tx.query<AdjustmentRow>(
    `update pack_billing.adjustments j set status = 'approved', decided_at = now(), decision_note = $2, charge_id = $3::bigint, payment_id = $4::bigint,
            finance_period = $5, applied_at = now()
      where j.id = $1::bigint
      returning j.id::text, j.account_id::text, null::text as account_no, j.bill_id::text, j.direction, j.amount_fen::text, j.reason, j.status, j.instance, j.decided_at,
                j.decision_note, j.charge_id::text, j.payment_id::text, j.finance_period, j.applied_at, j.created_by::text, j.created_at`,
    [row.id, note, chargeId, paymentId, financePeriod],
  );
  const yuan = formatYuan(amount);
  await notify(tx, tenant, {
    accountId: row.account_id,
    kind: 'adjustment',
    dedupeKey: `adjustment:${row.id}`,
    title: row.direction === 'debit' ? l('账户补收', 'Account debited') : l('账户退减', 'Account credited'),
    body:
      row.direction === 'debit'
        ? l(`户号 ${row.account_no ?? row.account_id} 补收 ${yuan} 元：${row.reason}`, `Account ${row.account_no ?? row.account_id} was debited ${yuan} yuan: ${row.reason}`)
        : l(`户号 ${row.account_no ?? row.account_id} 退减 ${yuan} 元：${row.reason}`, `Account ${row.account_no ?? row.account_id} was credited ${yuan} yuan: ${row.reason}`),
  });
  return outcome(approved!, applied);
}

export const applyAdjustmentWorker = defineWorker({
  type: APPLY_ADJUSTMENT,
  title: l('执行调账', 'Apply a bill adjustment'),
  description: l('按审批结论记入补收应收或退减（贷记单），并冲抵欠费；重复投递不会重复记账', 'Posts an approved debit as a charge or a credit as a credit note set against open charges; a redelivered job posts nothing twice'),
  input: applyAdjustmentInput,
  output: applyAdjustmentOutput,
  handler: async (input, job) => {
    const services = servicesOf(job);
    return services.transaction((tx) => applyAdjustment(tx, services, input));
  },
});

// ---------------------------------------------------------------------------------------------------------
// Routes

const requestBody = z.object({
  accountId: z.number().int().positive(),
  billId: z.number().int().positive().optional(),
  direction: z.enum(['debit', 'credit']),
  amountFen: positiveFen,
  reason: z.string().trim().min(1, 'a reason is required').max(500),
});

export const adjustmentRoutes = [
  defineRoute({
    method: 'get',
    path: '/adjustments',
    permission: PERMISSIONS.billsRead,
    summary: 'Bill adjustments, newest first; filters accountId, billId, status, direction',
    query: z.object({
      ...page,
      accountId: z.coerce.number().int().positive().optional(),
      billId: z.coerce.number().int().positive().optional(),
      status: z.enum(['pending', 'approved', 'rejected']).optional(),
      direction: z.enum(['debit', 'credit']).optional(),
    }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`j.tenant_id = ${p.add(services.tenant.id)}`];
        if (query.accountId) where.push(`j.account_id = ${p.add(query.accountId)}::bigint`);
        if (query.billId) where.push(`j.bill_id = ${p.add(query.billId)}::bigint`);
        if (query.status) where.push(`j.status = ${p.add(query.status)}`);
        if (query.direction) where.push(`j.direction = ${p.add(query.direction)}`);
        const filter = p.values.length;
        const rows = await tx.query<AdjustmentRow & { full_count: number }>(
          `${SELECT.replace('select ', 'select count(*) over ()::int as full_count, ')} where ${where.join(' and ')}
            order by j.id desc limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        let total = rows[0]?.full_count ?? 0;
        if (rows.length === 0 && query.page > 1) {
          const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.adjustments j where ${where.join(' and ')}`, p.values.slice(0, filter));
          total = count!.n;
        }
        return { items: rows.map(present), total, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'post',
    path: '/adjustments',
    permission: PERMISSIONS.adjust,
    summary: 'Request a debit or credit adjustment of an account (optionally of one of its bills): recorded pending, approved in billing_adjustment, then applied',
    status: 201,
    body: requestBody,
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const tenant = services.tenant;
        const [account] = await tx.query<{ id: string; account_no: string; status: string }>(
          `select id::text, account_no, status from pack_billing.accounts where tenant_id = $1 and id = $2::bigint`,
          [tenant.id, body.accountId],
        );
        if (!account) throw notFound(l(`没有账户 ${body.accountId}`, `no account ${body.accountId}`), 'body.accountId');
        let billPeriod: string | null = null;
        if (body.billId !== undefined) {
          const [bill] = await tx.query<{ account_id: string; period: string }>(`select account_id::text, period from pack_billing.bills where tenant_id = $1 and id = $2::bigint`, [tenant.id, body.billId]);
          if (!bill) throw notFound(l(`没有账单 ${body.billId}`, `no bill ${body.billId}`), 'body.billId');
          if (bill.account_id !== account.id) {
            throw invalid(l(`账单 ${body.billId} 不属于账户 ${account.account_no}`, `bill ${body.billId} is not a bill of account ${account.account_no}`), 'body.billId');
          }
          billPeriod = bill.period;
        }
        const [created] = await tx.query<{ id: string }>(
          `insert into pack_billing.adjustments (tenant_id, tenant_path, account_id, bill_id, direction, amount_fen, reason, created_by)
           values ($1, $2::ltree, $3::bigint, $4::bigint, $5, $6::bigint, $7, $8::bigint) returning id::text`,
          [tenant.id, tenant.path, account.id, body.billId ?? null, body.direction, body.amountFen, body.reason, services.user?.id ?? null],
        );
        const id = created!.id;
        const instance = await tx.startProcess(ADJUSTMENT_PROCESS, {
          businessKey: `adjustment/${id}`,
          variables: {
            adjustmentId: id,
            accountId: account.id,
            accountNo: account.account_no,
            direction: body.direction,
            directionText: body.direction === 'debit' ? '补收（增加应收）Debit' : '退减（贷记）Credit',
            amountFen: body.amountFen.toString(),
            amountYuan: formatYuan(body.amountFen),
            billId: body.billId ?? null,
            billText: billPeriod ? `${billPeriod}（#${body.billId}）` : '—',
            reason: body.reason,
          },
        });
        await tx.query(`update pack_billing.adjustments set instance = $2 where id = $1::bigint`, [id, instance]);
        const [row] = await tx.query<AdjustmentRow>(`${SELECT} where j.tenant_id = $1 and j.id = $2::bigint`, [tenant.id, id]);
        return present(row!);
      }),
  }),
];
