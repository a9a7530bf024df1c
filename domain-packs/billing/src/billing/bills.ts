/**
 * The bills routes (under `/api/ext/billing`): bills with what was paid and what is outstanding on their
 * charge, and one bill with its lines and the settlement numbers of its meters as they were billed.
 *   GET /bills?accountId=&period=&status=&runId=   billing.bills:read
 *   GET /bills/:id                                 billing.bills:read
 * A bill's status: `paid` (nothing outstanding; a bill of 0 fen too), `partial`, `unpaid`; `overdue` is an
 * unpaid or partial bill past its due date (the tenant's local today).
 */
import { defineRoute } from '@shuiyun/sdk';
import { z } from 'zod';
import { localDate } from '../domain/index.js';
import { idParams, iso, l, notFound, page, Params, PERMISSIONS, periodText, text } from '../shared.js';

interface BillRow {
  id: string;
  account_id: string;
  account_no: string | null;
  period: string;
  run_id: string | null;
  period_start: Date | string;
  period_end: Date | string;
  volume_l: string;
  cumulative_before_l: string;
  amount_fen: string;
  tariff_code: string;
  meters: unknown;
  due_date: string;
  finance_period: string;
  issued_at: Date | string;
  paid_fen: string;
  waived_fen: string;
}

const BILL_SELECT = `select b.id::text, b.account_id::text, a.account_no, b.period, b.run_id::text, b.period_start, b.period_end, b.volume_l::text,
    b.cumulative_before_l::text, b.amount_fen::text, b.tariff_code, b.meters, to_char(b.due_date, 'YYYY-MM-DD') as due_date, b.finance_period, b.issued_at,
    coalesce(c.paid_fen, 0)::text as paid_fen, coalesce(c.waived_fen, 0)::text as waived_fen
  from pack_billing.bills b
  left join pack_billing.accounts a on a.tenant_id = b.tenant_id and a.id = b.account_id
  left join pack_billing.charges c on c.tenant_id = b.tenant_id and c.bill_id = b.id and c.kind = 'bill'`;

const json = (value: unknown): unknown => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value);

function present(r: BillRow, today: string) {
  const amount = BigInt(r.amount_fen);
  const paid = BigInt(r.paid_fen);
  const waived = BigInt(r.waived_fen);
  const outstanding = amount - paid - waived;
  return {
    id: Number(r.id),
    accountId: Number(r.account_id),
    accountNo: r.account_no,
    period: r.period,
    runId: r.run_id === null ? null : Number(r.run_id),
    periodStart: iso(r.period_start),
    periodEnd: iso(r.period_end),
    volumeL: text(r.volume_l),
    cumulativeBeforeL: text(r.cumulative_before_l),
    amountFen: text(amount),
    paidFen: text(paid),
    waivedFen: text(waived),
    outstandingFen: text(outstanding),
    status: outstanding <= 0n ? 'paid' : paid + waived > 0n ? 'partial' : 'unpaid',
    overdue: outstanding > 0n && r.due_date < today,
    tariffCode: r.tariff_code,
    dueDate: r.due_date,
    financePeriod: r.finance_period,
    issuedAt: iso(r.issued_at),
  };
}

export const billRoutes = [
  defineRoute({
    method: 'get',
    path: '/bills',
    permission: PERMISSIONS.billsRead,
    summary: 'Bills, newest first, with paid and outstanding fen; filters accountId, period, status (paid, partial, unpaid, overdue), runId',
    query: z.object({
      ...page,
      accountId: z.coerce.number().int().positive().optional(),
      period: periodText.optional(),
      status: z.enum(['paid', 'partial', 'unpaid', 'overdue']).optional(),
      runId: z.coerce.number().int().positive().optional(),
    }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const today = localDate(new Date(), services.tenant.timeZone);
        const where = [`b.tenant_id = ${p.add(services.tenant.id)}`];
        if (query.accountId) where.push(`b.account_id = ${p.add(query.accountId)}::bigint`);
        if (query.period) where.push(`b.period = ${p.add(query.period)}`);
        if (query.runId) where.push(`b.run_id = ${p.add(query.runId)}::bigint`);
        const outstanding = `(b.amount_fen - coalesce(c.paid_fen, 0) - coalesce(c.waived_fen, 0))`;
        if (query.status === 'paid') where.push(`${outstanding} <= 0`);
        if (query.status === 'partial') where.push(`${outstanding} > 0 and coalesce(c.paid_fen, 0) + coalesce(c.waived_fen, 0) > 0`);
        if (query.status === 'unpaid') where.push(`${outstanding} > 0 and coalesce(c.paid_fen, 0) + coalesce(c.waived_fen, 0) = 0`);
        if (query.status === 'overdue') where.push(`${outstanding} > 0 and b.due_date < ${p.add(today)}::date`);
        const filter = p.values.length;
        const rows = await tx.query<BillRow & { full_count: number }>(
          `${BILL_SELECT.replace('select ', 'select count(*) over ()::int as full_count, ')} where ${where.join(' and ')}
            order by b.period desc, b.id desc limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        let total = rows[0]?.full_count ?? 0;
        if (rows.length === 0 && query.page > 1) {
          const [count] = await tx.query<{ n: number }>(
            `select count(*)::int as n from pack_billing.bills b left join pack_billing.charges c on c.tenant_id = b.tenant_id and c.bill_id = b.id and c.kind = 'bill'
              where ${where.join(' and ')}`,
            p.values.slice(0, filter),
          );
          total = count!.n;
        }
        return { items: rows.map((r) => present(r, today)), total, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/bills/:id',
    permission: PERMISSIONS.billsRead,
    summary: 'One bill: its lines (component × tier × tariff version), its meters with their settlement numbers, paid and outstanding',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const tenantId = services.tenant.id;
        const [row] = await tx.query<BillRow>(`${BILL_SELECT} where b.tenant_id = $1 and b.id = $2::bigint`, [tenantId, params.id]);
        if (!row) throw notFound(l(`没有账单 ${params.id}`, `no bill ${params.id}`), 'params.id');
        const lines = await tx.query<{
          component: string;
          component_name: string;
          component_name_en: string;
          tier: number;
          tariff_version: number;
          volume_l: string;
          charged_l: string;
          price_units: string;
          amount_fen: string;
        }>(
          `select component, component_name, component_name_en, tier, tariff_version, volume_l::text, charged_l::text, price_units::text, amount_fen::text
             from pack_billing.bill_lines where tenant_id = $1 and bill_id = $2::bigint order by id`,
          [tenantId, params.id],
        );
        const today = localDate(new Date(), services.tenant.timeZone);
        return {
          ...present(row, today),
          lines: lines.map((x) => ({
            component: x.component,
            componentName: { 'zh-CN': x.component_name, en: x.component_name_en || x.component_name },
            tier: x.tier,
            tariffVersion: x.tariff_version,
            volumeL: text(x.volume_l),
            chargedL: text(x.charged_l),
            priceUnits: text(x.price_units),
            amountFen: text(x.amount_fen),
          })),
          meters: json(row.meters),
        };
      }),
  }),
];
