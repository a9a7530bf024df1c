/**
 * 会计期关账: the accounting periods and their close. Closing records the period's totals — charges,
 * payments, allocations, refunds and reversals posted in it — and makes it immutable: the schema's guard
 * refuses every later posting into it (corrections post in the open period, which `financePeriodFor`
 * picks). Periods close in order: an earlier open period refuses the close, and so does a month that has
 * not begun.
 */
import { defineRoute, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { localMonth } from './periods.js';
import { conflict, iso, l, notFound, page, Params, periodText, PERMISSIONS } from '../shared.js';

export interface PeriodTotals {
  charges: { count: number; amountFen: string };
  payments: { count: number; amountFen: string };
  allocations: { amountFen: string };
  refunds: { count: number; amountFen: string };
  reversals: { count: number; amountFen: string };
  /** payments − reversals − refunds: the money the period kept. */
  netReceivedFen: string;
}

/** What was posted in a period, computed from the postings (one statement). */
export async function periodTotals(tx: PackTx, tenantId: number, period: string): Promise<PeriodTotals> {
  const [r] = await tx.query<Record<string, string | number>>(
    `select
       (select count(*)::int from pack_billing.charges where tenant_id = $1 and finance_period = $2) as charges_n,
       (select coalesce(sum(amount_fen), 0)::text from pack_billing.charges where tenant_id = $1 and finance_period = $2) as charges_fen,
       (select count(*)::int from pack_billing.payments where tenant_id = $1 and finance_period = $2) as payments_n,
       (select coalesce(sum(amount_fen), 0)::text from pack_billing.payments where tenant_id = $1 and finance_period = $2) as payments_fen,
       (select coalesce(sum(amount_fen), 0)::text from pack_billing.allocations where tenant_id = $1 and finance_period = $2) as allocations_fen,
       (select count(*)::int from pack_billing.refunds where tenant_id = $1 and finance_period = $2 and status = 'approved') as refunds_n,
       (select coalesce(sum(amount_fen), 0)::text from pack_billing.refunds where tenant_id = $1 and finance_period = $2 and status = 'approved') as refunds_fen,
       (select count(*)::int from pack_billing.reversals where tenant_id = $1 and finance_period = $2 and status = 'approved') as reversals_n,
       (select coalesce(sum(amount_fen), 0)::text from pack_billing.reversals where tenant_id = $1 and finance_period = $2 and status = 'approved') as reversals_fen`,
    [tenantId, period],
  );
  const fen = (k: string) => String(r![k]);
  return {
    charges: { count: Number(r!.charges_n), amountFen: fen('charges_fen') },
    payments: { count: Number(r!.payments_n), amountFen: fen('payments_fen') },
    allocations: { amountFen: fen('allocations_fen') },
    refunds: { count: Number(r!.refunds_n), amountFen: fen('refunds_fen') },
    reversals: { count: Number(r!.reversals_n), amountFen: fen('reversals_fen') },
    netReceivedFen: (BigInt(fen('payments_fen')) - BigInt(fen('reversals_fen')) - BigInt(fen('refunds_fen'))).toString(),
  };
}

interface PeriodRow {
  period: string;
  status: 'open' | 'closed';
  opened_at: Date | string;
  closed_at: Date | string | null;
  closed_by: string | null;
  totals: PeriodTotals | null;
}
const PERIOD_COLUMNS = `period, status, opened_at, closed_at, closed_by::text, totals`;
const presentPeriod = (r: PeriodRow, live?: PeriodTotals) => ({
  period: r.period,
  status: r.status,
  openedAt: iso(r.opened_at),
  closedAt: iso(r.closed_at),
  closedBy: r.closed_by === null ? null : Number(r.closed_by),
  totals: r.totals ?? live ?? null,
});

const periodParams = z.object({ period: periodText });
const noPeriod = (period: string) => notFound(l(`没有会计期 ${period}`, `No finance period ${period}`), 'period');

/** Closes a period (the caller's transaction): in order, once, with its totals. */
export async function closePeriod(tx: PackTx, services: PackServices, period: string): Promise<PeriodRow> {
  const tenant = services.tenant;
  if (period > localMonth(new Date(), tenant.timeZone)) throw conflict(l(`会计期 ${period} 尚未开始，不能关账`, `Finance period ${period} has not begun: it cannot be closed`), 'period');
  // Exclusive: waits for the postings in flight into the period (they hold it shared, see the schema's guard).
  await tx.query(`select pg_advisory_xact_lock(pack_billing.finance_period_lock_key($1::bigint, $2::text))`, [tenant.id, period]);
  const [row] = await tx.query<PeriodRow>(`select ${PERIOD_COLUMNS} from pack_billing.finance_periods where tenant_id = $1 and period = $2 for update`, [tenant.id, period]);
  if (!row) throw noPeriod(period);
  if (row.status === 'closed') throw conflict(l(`会计期 ${period} 已关账`, `Finance period ${period} is closed already`), 'period');
  const [earlier] = await tx.query<{ period: string }>(`select period from pack_billing.finance_periods where tenant_id = $1 and period < $2 and status = 'open' order by period limit 1`, [tenant.id, period]);
  if (earlier) throw conflict(l(`请先关闭更早的会计期 ${earlier.period}`, `Close the earlier finance period ${earlier.period} first`), 'period');
  const totals = await periodTotals(tx, tenant.id, period);
  const [closed] = await tx.query<PeriodRow>(
    `update pack_billing.finance_periods set status = 'closed', closed_at = now(), closed_by = $3::bigint, totals = $4::jsonb
      where tenant_id = $1 and period = $2 returning ${PERIOD_COLUMNS}`,
    [tenant.id, period, services.user?.id ?? null, JSON.stringify(totals)],
  );
  return closed!;
}

export const periodRoutes = [
  defineRoute({
    method: 'get',
    path: '/finance/periods',
    permission: PERMISSIONS.financeRead,
    summary: 'Finance periods, newest first, with the totals recorded at close',
    query: z.object({ ...page, status: z.enum(['open', 'closed']).optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`tenant_id = ${p.add(services.tenant.id)}`];
        if (query.status) where.push(`status = ${p.add(query.status)}`);
        const filter = where.join(' and ');
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.finance_periods where ${filter}`, p.values);
        const rows = await tx.query<PeriodRow>(
          `select ${PERIOD_COLUMNS} from pack_billing.finance_periods where ${filter} order by period desc limit ${p.add(query.pageSize)} offset ${p.add((query.page - 1) * query.pageSize)}`,
          p.values,
        );
        return { items: rows.map((r) => presentPeriod(r)), total: count!.n, page: query.page, pageSize: query.pageSize };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/finance/periods/:period',
    permission: PERMISSIONS.financeRead,
    summary: 'One finance period: its totals (recorded at close, or as posted so far while open)',
    params: periodParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<PeriodRow>(`select ${PERIOD_COLUMNS} from pack_billing.finance_periods where tenant_id = $1 and period = $2`, [services.tenant.id, params.period]);
        if (!row) throw noPeriod(params.period);
        return presentPeriod(row, row.totals ? undefined : await periodTotals(tx, services.tenant.id, params.period));
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/finance/periods/:period/close',
    permission: PERMISSIONS.financeClose,
    summary: 'Close a finance period: records its totals; nothing posts into it afterwards (earlier periods first)',
    params: periodParams,
    handler: async ({ params }, services) => services.transaction(async (tx) => presentPeriod(await closePeriod(tx, services, params.period))),
  }),
];
