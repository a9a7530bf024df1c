/**
 * 违约金减免: a request to waive part of a late-fee charge, approved or rejected by an approver in the
 * `billing_late_fee_waiver` process (user task with a form), then applied by its worker: under the account's
 * lock the charge must still have the amount outstanding, and `charges.waived_fen` grows by it (a waiver is
 * settlement state, not a money column: the charge's finance period may be closed). A request may not ask
 * for more than the charge's outstanding fee less the other requests still pending, so a double submit of the
 * whole fee is refused.
 *
 * Routes (under `/api/ext/billing`):
 *   POST /arrears/waivers        billing.arrears:manage  (201)
 *   GET  /arrears/waivers        billing.arrears:read
 *   GET  /arrears/waivers/:id    billing.arrears:read
 */
import { BpmnError, defineRoute, defineWorker, servicesOf, type PackTenant, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { formatYuan } from '../domain/index.js';
import { conflict, idParams, invalid, iso, l, notFound, page, Params, PERMISSIONS, positiveFen, text } from '../shared.js';
import { accountInfo } from './queries.js';
import { completedBy, definitions, flow, formHeader, idVariable, serviceTask, userTask } from './workflow.js';

export const WAIVER_PROCESS = 'billing_late_fee_waiver';
export const WAIVER_FORM = 'billing_late_fee_waiver_form';
export const APPLY_WAIVER = 'billing.apply-waiver';

export const waiverProcessXml = definitions(
  WAIVER_PROCESS,
  `<bpmn:process id="${WAIVER_PROCESS}" name="违约金减免审批" isExecutable="true">
    <bpmn:startEvent id="requested" name="申请减免" />
    ${userTask('approval', '审批违约金减免', WAIVER_FORM)}
    ${serviceTask('apply', '执行审批结论', APPLY_WAIVER)}
    <bpmn:endEvent id="done" name="完成" />
    ${flow('to_approval', 'requested', 'approval')}
    ${flow('to_apply', 'approval', 'apply')}
    ${flow('to_done', 'apply', 'done')}
  </bpmn:process>`,
);

export const waiverForm = {
  ...formHeader(WAIVER_FORM),
  components: [
    {
      type: 'text',
      id: 'waiver_summary',
      text: [
        '### 违约金减免 · Late-fee waiver',
        '',
        '- 账户 Account: **{{accountNo}}** {{customerName}}',
        '- 违约金 Late fee: {{feeYuan}} 元，未缴 outstanding {{outstandingYuan}} 元',
        '- 申请减免 Waive: **{{amountYuan}}** 元',
        '- 理由 Reason: {{reason}}',
      ].join('\n'),
    },
    {
      type: 'radio',
      id: 'waiver_decision',
      key: 'decision',
      label: '审批结论',
      values: [
        { label: '同意减免', value: 'approve' },
        { label: '不同意', value: 'reject' },
      ],
      validate: { required: true },
    },
    { type: 'textarea', id: 'waiver_note', key: 'note', label: '审批意见', validate: { maxLength: 500 } },
  ],
};

interface WaiverRow {
  id: string;
  charge_id: string;
  account_id: string;
  account_no: string | null;
  amount_fen: string;
  reason: string;
  status: 'pending' | 'approved' | 'rejected' | 'failed';
  instance: string | null;
  requested_by: string | null;
  decided_by: string | null;
  decided_at: Date | string | null;
  decision_note: string | null;
  failure: string | null;
  created_at: Date | string;
}

const WAIVER_SELECT = `select w.id::text, w.charge_id::text, w.account_id::text, a.account_no, w.amount_fen::text, w.reason, w.status, w.instance,
    w.requested_by::text, w.decided_by::text, w.decided_at, w.decision_note, w.failure, w.created_at
  from pack_billing.waivers w left join pack_billing.accounts a on a.id = w.account_id`;

const present = (w: WaiverRow) => ({
  id: Number(w.id),
  chargeId: Number(w.charge_id),
  accountId: Number(w.account_id),
  accountNo: w.account_no,
  amountFen: text(w.amount_fen),
  amountYuan: formatYuan(BigInt(w.amount_fen)),
  reason: w.reason,
  status: w.status,
  instance: w.instance,
  requestedBy: w.requested_by === null ? null : Number(w.requested_by),
  decidedBy: w.decided_by === null ? null : Number(w.decided_by),
  decidedAt: iso(w.decided_at),
  decisionNote: w.decision_note,
  failure: w.failure,
  createdAt: iso(w.created_at),
});

async function waiverById(tx: PackTx, tenant: PackTenant, id: string): Promise<WaiverRow | null> {
  const [row] = await tx.query<WaiverRow>(`${WAIVER_SELECT} where w.tenant_id = $1 and w.id = $2::bigint`, [tenant.id, id]);
  return row ?? null;
}

interface ChargeRow {
  id: string;
  account_id: string;
  kind: string;
  amount_fen: string;
  paid_fen: string;
  waived_fen: string;
}

const lockCharge = async (tx: PackTx, tenant: PackTenant, id: string): Promise<ChargeRow | null> => {
  const [row] = await tx.query<ChargeRow>(
    `select id::text, account_id::text, kind, amount_fen::text, paid_fen::text, waived_fen::text from pack_billing.charges where tenant_id = $1 and id = $2::bigint for update`,
    [tenant.id, id],
  );
  return row ?? null;
};

const idBody = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,17}$/, 'an id')]).transform((v) => String(v));

export const waiverRoutes = [
  defineRoute({
    method: 'post',
    path: '/arrears/waivers',
    permission: PERMISSIONS.arrearsManage,
    summary: 'Request a waiver of part of a late-fee charge (≤ its outstanding fee less pending requests); starts the approval process',
    status: 201,
    body: z.strictObject({ chargeId: idBody, amountFen: positiveFen, reason: z.string().trim().min(1, 'a reason').max(500) }),
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const tenant = services.tenant;
        const [found] = await tx.query<{ account_id: string }>(`select account_id::text from pack_billing.charges where tenant_id = $1 and id = $2::bigint`, [tenant.id, body.chargeId]);
        if (!found) throw notFound(l(`没有费用 ${body.chargeId}`, `no charge ${body.chargeId}`), 'body.chargeId');
        // The pack's lock order: the account, then its charges.
        const account = await accountInfo(tx, tenant, found.account_id, true);
        const charge = await lockCharge(tx, tenant, body.chargeId);
        if (!account || !charge) throw notFound(l(`没有费用 ${body.chargeId}`, `no charge ${body.chargeId}`), 'body.chargeId');
        if (charge.kind !== 'late_fee') {
          throw invalid(l(`费用 ${body.chargeId} 不是违约金，只能减免违约金`, `charge ${body.chargeId} is not a late fee; only late fees can be waived`), 'body.chargeId');
        }
        const outstanding = BigInt(charge.amount_fen) - BigInt(charge.paid_fen) - BigInt(charge.waived_fen);
        if (body.amountFen > outstanding) {
          throw invalid(
            l(`减免金额 ${formatYuan(body.amountFen)} 元超过该违约金未缴金额 ${formatYuan(outstanding)} 元`, `the waiver of ${formatYuan(body.amountFen)} exceeds the late fee's outstanding ${formatYuan(outstanding)}`),
            'body.amountFen',
          );
        }
        const [pending] = await tx.query<{ fen: string }>(
          `select coalesce(sum(amount_fen), 0)::text as fen from pack_billing.waivers where tenant_id = $1 and charge_id = $2::bigint and status = 'pending'`,
          [tenant.id, body.chargeId],
        );
        const pendingFen = BigInt(pending!.fen);
        if (body.amountFen > outstanding - pendingFen) {
          throw conflict(
            l(
              `该违约金已有待审批的减免 ${formatYuan(pendingFen)} 元，最多还可申请 ${formatYuan(outstanding - pendingFen)} 元`,
              `${formatYuan(pendingFen)} of this late fee is already awaiting a waiver decision; at most ${formatYuan(outstanding - pendingFen)} more can be requested`,
            ),
            'body.amountFen',
          );
        }
        const [row] = await tx.query<{ id: string }>(
          `insert into pack_billing.waivers (tenant_id, tenant_path, charge_id, account_id, amount_fen, reason, requested_by)
           values ($1, $2::ltree, $3::bigint, $4::bigint, $5::bigint, $6, $7) returning id::text`,
          [tenant.id, tenant.path, charge.id, charge.account_id, body.amountFen, body.reason, services.user?.id ?? null],
        );
        const instance = await tx.startProcess(WAIVER_PROCESS, {
          businessKey: `waiver:${row!.id}`,
          variables: {
            waiverId: Number(row!.id),
            chargeId: Number(charge.id),
            accountId: Number(charge.account_id),
            accountNo: account.accountNo ?? '',
            customerName: account.customerName,
            amountFen: body.amountFen.toString(),
            amountYuan: formatYuan(body.amountFen),
            feeYuan: formatYuan(BigInt(charge.amount_fen)),
            outstandingYuan: formatYuan(outstanding),
            reason: body.reason,
          },
        });
        await tx.query(`update pack_billing.waivers set instance = $2 where id = $1::bigint`, [row!.id, instance]);
        return present((await waiverById(tx, tenant, row!.id))!);
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/arrears/waivers',
    permission: PERMISSIONS.arrearsRead,
    summary: 'Late-fee waivers, newest first; filters: status, accountId, chargeId',
    query: z.object({
      ...page,
      status: z.enum(['pending', 'approved', 'rejected', 'failed']).optional(),
      accountId: z.coerce.number().int().positive().optional(),
      chargeId: z.coerce.number().int().positive().optional(),
    }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`w.tenant_id = ${p.add(services.tenant.id)}`];
        if (query.status) where.push(`w.status = ${p.add(query.status)}`);
        if (query.accountId) where.push(`w.account_id = ${p.add(query.accountId)}::bigint`);
        if (query.chargeId) where.push(`w.charge_id = ${p.add(query.chargeId)}::bigint`);
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.waivers w where ${where.join(' and ')}`, p.values);
        const rows = await tx.query<WaiverRow>(
          `${WAIVER_SELECT} where ${where.join(' and ')} order by w.id desc limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        return { items: rows.map(present), total: count!.n, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/arrears/waivers/:id',
    permission: PERMISSIONS.arrearsRead,
    summary: 'One late-fee waiver',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const row = await waiverById(tx, services.tenant, String(params.id));
        if (!row) throw notFound(l(`没有减免申请 ${params.id}`, `no waiver ${params.id}`), 'params.id');
        return present(row);
      }),
  }),
];

/** Applies an approver's decision once: a decided waiver answers its status again (a redelivered job changes nothing). */
export async function applyWaiver(tx: PackTx, tenant: PackTenant, input: { waiverId: string; decision: 'approve' | 'reject'; note?: string | null | undefined }, instanceId?: string) {
  const [head] = await tx.query<{ account_id: string }>(`select account_id::text from pack_billing.waivers where tenant_id = $1 and id = $2::bigint`, [tenant.id, input.waiverId]);
  if (!head) throw new BpmnError('waiver_not_found', `no waiver ${input.waiverId} in this tenant`);
  await accountInfo(tx, tenant, head.account_id, true);
  const [waiver] = await tx.query<{ id: string; charge_id: string; amount_fen: string; status: string; instance: string | null }>(
    `select id::text, charge_id::text, amount_fen::text, status, instance from pack_billing.waivers where tenant_id = $1 and id = $2::bigint for update`,
    [tenant.id, input.waiverId],
  );
  if (!waiver || waiver.status !== 'pending') return { status: waiver?.status ?? 'pending', failure: null as string | null };
  const decidedBy = instanceId ? await completedBy(tx, instanceId, 'approval') : null;
  const note = input.note?.trim() ? input.note.trim().slice(0, 500) : null;
  if (input.decision === 'reject') {
    await tx.query(`update pack_billing.waivers set status = 'rejected', decided_by = $2::bigint, decided_at = now(), decision_note = $3 where id = $1::bigint`, [waiver.id, decidedBy, note]);
    return { status: 'rejected', failure: null };
  }
  const charge = await lockCharge(tx, tenant, waiver.charge_id);
  const amount = BigInt(waiver.amount_fen);
  const outstanding = charge ? BigInt(charge.amount_fen) - BigInt(charge.paid_fen) - BigInt(charge.waived_fen) : 0n;
  if (!charge || amount > outstanding) {
    const failure = `approved, but the late fee has only ${formatYuan(outstanding)} outstanding now (paid or waived meanwhile): ${formatYuan(amount)} cannot be waived`;
    await tx.query(`update pack_billing.waivers set status = 'failed', decided_by = $2::bigint, decided_at = now(), decision_note = $3, failure = $4 where id = $1::bigint`, [waiver.id, decidedBy, note, failure]);
    return { status: 'failed', failure };
  }
  await tx.query(`update pack_billing.charges set waived_fen = waived_fen + $2::bigint where id = $1::bigint`, [charge.id, amount]);
  await tx.query(`update pack_billing.waivers set status = 'approved', decided_by = $2::bigint, decided_at = now(), decision_note = $3 where id = $1::bigint`, [waiver.id, decidedBy, note]);
  return { status: 'approved', failure: null };
}

export const applyWaiverWorker = defineWorker({
  type: APPLY_WAIVER,
  title: l('执行违约金减免', 'Apply a late-fee waiver'),
  description: l('按审批结论减免违约金（在账户锁内复核未缴金额）', 'Waives the late fee as decided, re-checking the outstanding fee under the account lock'),
  input: z.object({ waiverId: idVariable, decision: z.enum(['approve', 'reject']), note: z.string().max(2000).nullish() }),
  output: z.object({ waiverStatus: z.string(), waiverFailure: z.string().nullable() }),
  handler: async (input, job) => {
    const services = servicesOf(job);
    const done = await services.transaction((tx) => applyWaiver(tx, services.tenant, input, job.instanceId));
    return { waiverStatus: done.status, waiverFailure: done.failure };
  },
});

export const waiverPart = {
  routes: waiverRoutes,
  workers: [applyWaiverWorker],
  processes: [{ code: WAIVER_PROCESS, name: '违约金减免审批', xml: waiverProcessXml }],
  forms: [{ code: WAIVER_FORM, name: '违约金减免审批单', schema: waiverForm }],
};
