/**
 * 欠费查询: the accounts in arrears and the ageing of the arrears. Arrears are the outstanding money (amount −
 * paid − waived) of charges whose due date is before the day looked at (`asOf`, the tenant's today unless
 * given); a late-fee charge is due when its bill was, so it ages with it. Both are one statement over the
 * open-charges index.
 *
 * Routes (under `/api/ext/billing`):
 *   GET /arrears          billing.arrears:read   accounts in arrears: ?community=&minFen=&minDays=&asOf=&page=&pageSize=
 *   GET /arrears/ageing   billing.arrears:read   buckets 0–30, 31–90, 91–180, 181–365, >365 days overdue: ?community=&asOf=
 */
import { defineRoute, type PackServices } from '@shuiyun/sdk';
import { z } from 'zod';
import { formatYuan, isDate } from '../domain/index.js';
import { invalid, l, page, Params, PERMISSIONS, text } from '../shared.js';
import { todayOf } from './queries.js';

/** A local date 'YYYY-MM-DD' on the wire (a real calendar day). */
export const dateText = z.string().refine((v) => isDate(v), 'a date YYYY-MM-DD');

/** `asOf` given, or the tenant's today; a day after today is refused. */
export function asOfOrToday(services: PackServices, asOf: string | undefined, path: string): string {
  const today = todayOf(services.tenant);
  if (asOf === undefined) return today;
  if (asOf > today) throw invalid(l(`日期 ${asOf} 晚于今天（${today}）`, `${asOf} is after today (${today})`), path);
  return asOf;
}

const fenQuery = z
  .string()
  .regex(/^[0-9]{1,18}$/, 'whole fen, as digits')
  .transform((v) => BigInt(v));

export const BUCKETS = [
  { bucket: '0-30', fromDays: 0, toDays: 30 },
  { bucket: '31-90', fromDays: 31, toDays: 90 },
  { bucket: '91-180', fromDays: 91, toDays: 180 },
  { bucket: '181-365', fromDays: 181, toDays: 365 },
  { bucket: '>365', fromDays: 366, toDays: null },
] as const;

interface ArrearsRow {
  id: string;
  account_no: string | null;
  name: string;
  community: string;
  building: string;
  unit: string;
  room: string;
  arrears: string;
  late_fees: string;
  oldest_due: string;
  days: number;
  charges: number;
  valve_case_id: string | null;
  valve_status: string | null;
  full_count: number;
  full_fen: string;
}

export const viewRoutes = [
  defineRoute({
    method: 'get',
    path: '/arrears',
    permission: PERMISSIONS.arrearsRead,
    summary: 'Accounts in arrears (charges past due, not paid or waived): oldest due date, days overdue, arrears and late fees in fen, open valve case; oldest first',
    query: z.object({
      ...page,
      community: z.string().trim().min(1).max(100).optional(),
      minFen: fenQuery.optional(),
      minDays: z.coerce.number().int().min(0).max(36_500).optional(),
      asOf: dateText.optional(),
    }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const asOf = asOfOrToday(services, query.asOf, 'query.asOf');
        const p = new Params();
        const tenant = p.add(services.tenant.id);
        const day = p.add(asOf);
        const where = [`a.tenant_id = ${tenant}`];
        if (query.community) where.push(`a.community = ${p.add(query.community)}`);
        if (query.minFen !== undefined) where.push(`o.arrears >= ${p.add(query.minFen)}::bigint`);
        if (query.minDays !== undefined) where.push(`(${day}::date - o.oldest_due) >= ${p.add(query.minDays)}::int`);
        const rows = await tx.query<ArrearsRow>(
          `with o as (
             select c.account_id, sum(c.amount_fen - c.paid_fen - c.waived_fen) as arrears,
                    coalesce(sum(c.amount_fen - c.paid_fen - c.waived_fen) filter (where c.kind = 'late_fee'), 0) as late_fees,
                    min(c.due_date) as oldest_due, count(*)::int as charges
               from pack_billing.charges c
              where c.tenant_id = ${tenant} and c.paid_fen + c.waived_fen < c.amount_fen and c.due_date < ${day}::date
              group by c.account_id
           )
           select a.id::text, a.account_no, cu.name, a.community, a.building, a.unit, a.room, o.arrears::text, o.late_fees::text,
                  to_char(o.oldest_due, 'YYYY-MM-DD') as oldest_due, (${day}::date - o.oldest_due)::int as days, o.charges,
                  v.id::text as valve_case_id, v.status as valve_status,
                  count(*) over ()::int as full_count, (sum(o.arrears) over ())::text as full_fen
             from o
             join pack_billing.accounts a on a.id = o.account_id
             join pack_billing.customers cu on cu.id = a.customer_id
             left join pack_billing.valve_cases v on v.tenant_id = a.tenant_id and v.account_id = a.id
                   and v.status not in ('reopened', 'cancelled', 'rejected', 'failed')
            where ${where.join(' and ')}
            order by o.oldest_due, a.id
            limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        let total = rows[0]?.full_count ?? 0;
        let totalFen = rows[0]?.full_fen ?? '0';
        if (rows.length === 0 && query.page > 1) {
          const [count] = await tx.query<{ n: number; fen: string }>(
            `with o as (
               select c.account_id, sum(c.amount_fen - c.paid_fen - c.waived_fen) as arrears, min(c.due_date) as oldest_due
                 from pack_billing.charges c
                where c.tenant_id = ${tenant} and c.paid_fen + c.waived_fen < c.amount_fen and c.due_date < ${day}::date
                group by c.account_id
             )
             select count(*)::int as n, coalesce(sum(o.arrears), 0)::text as fen from o join pack_billing.accounts a on a.id = o.account_id where ${where.join(' and ')}`,
            p.values.slice(0, p.values.length - 2),
          );
          total = count!.n;
          totalFen = count!.fen;
        }
        return {
          asOf,
          items: rows.map((r) => ({
            accountId: Number(r.id),
            accountNo: r.account_no,
            customerName: r.name,
            community: r.community,
            address: [r.community, r.building, r.unit, r.room].filter((s) => s !== '').join(' '),
            oldestDueDate: r.oldest_due,
            daysOverdue: r.days,
            charges: r.charges,
            outstandingFen: text(r.arrears),
            outstandingYuan: formatYuan(BigInt(r.arrears)),
            lateFeeFen: text(r.late_fees),
            valveCase: r.valve_case_id === null ? null : { id: Number(r.valve_case_id), status: r.valve_status },
          })),
          total,
          totalOutstandingFen: text(totalFen),
          page: query.page,
          pageSize: query.pageSize,
        };
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/arrears/ageing',
    permission: PERMISSIONS.arrearsRead,
    summary: 'Ageing of the arrears by days overdue (0–30, 31–90, 91–180, 181–365, >365): outstanding fen, charges and accounts per bucket; charges not yet due apart',
    query: z.object({ community: z.string().trim().min(1).max(100).optional(), asOf: dateText.optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const asOf = asOfOrToday(services, query.asOf, 'query.asOf');
        const p = new Params();
        const tenant = p.add(services.tenant.id);
        const day = p.add(asOf);
        const community = query.community
          ? ` and exists (select 1 from pack_billing.accounts a where a.tenant_id = c.tenant_id and a.id = c.account_id and a.community = ${p.add(query.community)})`
          : '';
        const rows = await tx.query<{ b: number; fen: string; charges: number; accounts: number }>(
          `select case when x.d <= 0 then -1 when x.d <= 30 then 0 when x.d <= 90 then 1 when x.d <= 180 then 2 when x.d <= 365 then 3 else 4 end as b,
                  sum(x.outstanding)::text as fen, count(*)::int as charges, count(distinct x.account_id)::int as accounts
             from (select (${day}::date - c.due_date) as d, c.amount_fen - c.paid_fen - c.waived_fen as outstanding, c.account_id
                     from pack_billing.charges c
                    where c.tenant_id = ${tenant} and c.paid_fen + c.waived_fen < c.amount_fen${community}) x
            group by 1`,
          p.values,
        );
        const [all] = await tx.query<{ accounts: number }>(
          `select count(distinct c.account_id)::int as accounts from pack_billing.charges c
            where c.tenant_id = ${tenant} and c.paid_fen + c.waived_fen < c.amount_fen and c.due_date < ${day}::date${community}`,
          p.values,
        );
        const by = new Map(rows.map((r) => [r.b, r]));
        const buckets = BUCKETS.map((b, i) => ({ ...b, amountFen: text(by.get(i)?.fen ?? '0'), charges: by.get(i)?.charges ?? 0, accounts: by.get(i)?.accounts ?? 0 }));
        const totalFen = buckets.reduce((s, b) => s + BigInt(b.amountFen), 0n);
        const notDue = by.get(-1);
        return {
          asOf,
          buckets,
          total: { amountFen: text(totalFen), charges: buckets.reduce((s, b) => s + b.charges, 0), accounts: all?.accounts ?? 0 },
          notDue: { amountFen: text(notDue?.fen ?? '0'), charges: notDue?.charges ?? 0 },
        };
      }),
  }),
];
