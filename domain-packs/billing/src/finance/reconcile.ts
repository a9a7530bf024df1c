/**
 * 对账 and the daily cash report (日报). A reconciliation compares what the books hold for one local day,
 * channel and cashier (0: every cashier) with what was handed in (`declaredFen`, the cash of a shift) or
 * what the channel settled (`statement`: the bank's or the gateway's list of references and amounts). It
 * lists every discrepancy — declared ≠ booked; a statement reference the books lack (or booked on another
 * day); a booked reference the statement lacks; the same reference with different amounts — and is
 * `balanced` or `discrepant`; finance confirms it. Payments count on the day they were paid, whatever
 * happened to them later (a later reversal is its own posting), as the channel's statement counts them.
 */
import { defineRoute, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { conflict, fenInput, idParams, invalid, iso, l, notFound, page, Params, PERMISSIONS, text } from '../shared.js';

const dayText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').refine((d) => !Number.isNaN(new Date(`${d}T00:00:00Z`).getTime()) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'a real date');
const channels = ['cash', 'card', 'bank', 'wechat', 'alipay'] as const;

export type Discrepancy =
  | { kind: 'declared_mismatch'; declaredFen: string; bookedFen: string; differenceFen: string }
  | { kind: 'missing_in_books'; ref: string; amountFen: string }
  | { kind: 'booked_other_day'; ref: string; amountFen: string; paymentId: number; paidAt: string }
  | { kind: 'missing_in_statement'; ref: string; amountFen: string; paymentId: number }
  | { kind: 'amount_differs'; ref: string; statementFen: string; bookedFen: string; paymentId: number };

interface Booked {
  id: string;
  external_ref: string | null;
  amount_fen: string;
}

/** `paid_at` within the tenant's local day (parameters: the day and the zone). */
const dayFilter = (p: Params, column: string, day: string, zone: string) => {
  const d = p.add(day);
  const z = p.add(zone);
  return `${column} >= (${d}::date::timestamp at time zone ${z}) and ${column} < ((${d}::date + 1)::timestamp at time zone ${z})`;
};

export interface ReconcileInput {
  day: string;
  channel: (typeof channels)[number];
  cashierId?: number | undefined;
  declaredFen?: bigint | undefined;
  statement?: { ref: string; amountFen: bigint }[] | undefined;
}

/** Compares the books with what was declared or settled; answers the totals and the discrepancies. */
export async function compare(tx: PackTx, services: PackServices, input: ReconcileInput) {
  const p = new Params();
  const where = [`tenant_id = ${p.add(services.tenant.id)}`, `channel = ${p.add(input.channel)}`, dayFilter(p, 'paid_at', input.day, services.tenant.timeZone)];
  if (input.cashierId) where.push(`cashier_id = ${p.add(input.cashierId)}`);
  const booked = await tx.query<Booked>(`select id::text, external_ref, amount_fen::text from pack_billing.payments where ${where.join(' and ')} order by id`, p.values);
  const bookedFen = booked.reduce((s, b) => s + BigInt(b.amount_fen), 0n);
  const discrepancies: Discrepancy[] = [];
  let differenceFen: bigint | null = null;
  if (input.declaredFen !== undefined) {
    differenceFen = input.declaredFen - bookedFen;
    if (differenceFen !== 0n) discrepancies.push({ kind: 'declared_mismatch', declaredFen: text(input.declaredFen), bookedFen: text(bookedFen), differenceFen: text(differenceFen) });
  }
  if (input.statement) {
    const byRef = new Map(booked.filter((b) => b.external_ref !== null).map((b) => [b.external_ref!, b]));
    const statementRefs = new Set(input.statement.map((s) => s.ref));
    const missing = input.statement.filter((s) => !byRef.has(s.ref));
    const elsewhere = missing.length
      ? await tx.query<Booked & { paid_at: Date | string }>(
          `select id::text, external_ref, amount_fen::text, paid_at from pack_billing.payments where tenant_id = $1 and channel = $2 and external_ref = any($3::text[])`,
          [services.tenant.id, input.channel, missing.map((m) => m.ref)],
        )
      : [];
    const other = new Map(elsewhere.map((e) => [e.external_ref!, e]));
    for (const s of input.statement) {
      const b = byRef.get(s.ref);
      if (!b) {
        const e = other.get(s.ref);
        discrepancies.push(e ? { kind: 'booked_other_day', ref: s.ref, amountFen: text(s.amountFen), paymentId: Number(e.id), paidAt: iso(e.paid_at)! } : { kind: 'missing_in_books', ref: s.ref, amountFen: text(s.amountFen) });
      } else if (BigInt(b.amount_fen) !== s.amountFen) {
        discrepancies.push({ kind: 'amount_differs', ref: s.ref, statementFen: text(s.amountFen), bookedFen: text(b.amount_fen), paymentId: Number(b.id) });
      }
    }
    for (const b of booked) {
      if (b.external_ref !== null && !statementRefs.has(b.external_ref)) discrepancies.push({ kind: 'missing_in_statement', ref: b.external_ref, amountFen: text(b.amount_fen), paymentId: Number(b.id) });
    }
    if (differenceFen === null) differenceFen = input.statement.reduce((s, x) => s + x.amountFen, 0n) - bookedFen;
  }
  return { bookedFen, bookedCount: booked.length, differenceFen, discrepancies };
}

interface ReconciliationRow {
  id: string;
  day: string;
  channel: string;
  cashier_id: string;
  booked_fen: string;
  booked_count: number;
  declared_fen: string | null;
  difference_fen: string | null;
  discrepancies: Discrepancy[];
  status: string;
  confirmed_by: string | null;
  confirmed_at: Date | string | null;
  created_at: Date | string;
}
const REC_COLUMNS = `id::text, to_char(day, 'YYYY-MM-DD') as day, channel, cashier_id::text, booked_fen::text, booked_count, declared_fen::text, difference_fen::text, discrepancies, status, confirmed_by::text, confirmed_at, created_at`;
const presentRec = (r: ReconciliationRow) => ({
  id: Number(r.id),
  day: r.day,
  channel: r.channel,
  cashierId: Number(r.cashier_id),
  bookedFen: text(r.booked_fen),
  bookedCount: r.booked_count,
  declaredFen: r.declared_fen === null ? null : text(r.declared_fen),
  differenceFen: r.difference_fen === null ? null : text(r.difference_fen),
  discrepancies: r.discrepancies,
  status: r.status,
  confirmedBy: r.confirmed_by === null ? null : Number(r.confirmed_by),
  confirmedAt: iso(r.confirmed_at),
  createdAt: iso(r.created_at),
});

const statementItem = z.object({ ref: z.string().min(1).max(64), amountFen: fenInput });

export const reconcileRoutes = [
  defineRoute({
    method: 'post',
    path: '/finance/reconciliations',
    permission: PERMISSIONS.collect,
    summary: "Reconcile a local day's channel (and cashier) against the cash handed in or the channel's statement; redo until confirmed",
    status: 201,
    body: z.object({
      day: dayText,
      channel: z.enum(channels),
      cashierId: z.number().int().positive().optional(),
      declaredFen: fenInput.optional(),
      statement: z.array(statementItem).max(100_000).optional(),
    }),
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        if (body.declaredFen === undefined && body.statement === undefined) {
          throw invalid(l('请提供上缴金额或渠道对账单', 'Give the amount handed in or the channel statement'), 'declaredFen');
        }
        if (body.declaredFen !== undefined && body.declaredFen < 0n) throw invalid(l('上缴金额不能为负数', 'The amount handed in must not be negative'), 'declaredFen');
        if (body.statement) {
          const seen = new Set<string>();
          for (const [i, s] of body.statement.entries()) {
            if (seen.has(s.ref)) throw invalid(l(`对账单第 ${i + 1} 行流水号 ${s.ref} 重复`, `Statement line ${i + 1} repeats the reference ${s.ref}`), `statement.${i}.ref`);
            seen.add(s.ref);
          }
        }
        const result = await compare(tx, services, body);
        const [row] = await tx.query<ReconciliationRow>(
          `insert into pack_billing.reconciliations (tenant_id, tenant_path, day, channel, cashier_id, booked_fen, booked_count, declared_fen, difference_fen, discrepancies, status)
           values ($1, $2::ltree, $3::date, $4, $5, $6::bigint, $7, $8::bigint, $9::bigint, $10::jsonb, $11)
           on conflict (tenant_id, day, channel, cashier_id) do update set booked_fen = excluded.booked_fen, booked_count = excluded.booked_count,
             declared_fen = excluded.declared_fen, difference_fen = excluded.difference_fen, discrepancies = excluded.discrepancies, status = excluded.status, created_at = now()
             where reconciliations.status <> 'confirmed'
           returning ${REC_COLUMNS}`,
          [
            services.tenant.id,
            services.tenant.path,
            body.day,
            body.channel,
            body.cashierId ?? 0,
            result.bookedFen.toString(),
            result.bookedCount,
            body.declaredFen?.toString() ?? null,
            result.differenceFen?.toString() ?? null,
            JSON.stringify(result.discrepancies),
            result.discrepancies.length === 0 ? 'balanced' : 'discrepant',
          ],
        );
        if (!row) throw conflict(l(`${body.day} ${body.channel} 的对账已确认，不能重做`, `The reconciliation of ${body.day} ${body.channel} is confirmed: it cannot be redone`), 'day');
        return presentRec(row);
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/finance/reconciliations/:id/confirm',
    permission: PERMISSIONS.financeClose,
    summary: 'Confirm a reconciliation (discrepancies acknowledged)',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [found] = await tx.query<{ status: string }>(`select status from pack_billing.reconciliations where tenant_id = $1 and id = $2 for update`, [services.tenant.id, params.id]);
        if (!found) throw notFound(l(`没有对账记录 ${params.id}`, `No reconciliation ${params.id}`), 'id');
        if (found.status === 'confirmed') throw conflict(l(`对账 ${params.id} 已确认`, `Reconciliation ${params.id} is confirmed already`), 'id');
        const [row] = await tx.query<ReconciliationRow>(
          `update pack_billing.reconciliations set status = 'confirmed', confirmed_by = $2::bigint, confirmed_at = now() where id = $1 returning ${REC_COLUMNS}`,
          [params.id, services.user?.id ?? null],
        );
        return presentRec(row!);
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/finance/reconciliations',
    permission: PERMISSIONS.financeRead,
    summary: 'Reconciliations, newest day first: by day, channel, status',
    query: z.object({ ...page, day: dayText.optional(), channel: z.enum(channels).optional(), status: z.enum(['open', 'balanced', 'discrepant', 'confirmed']).optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`tenant_id = ${p.add(services.tenant.id)}`];
        if (query.day) where.push(`day = ${p.add(query.day)}::date`);
        if (query.channel) where.push(`channel = ${p.add(query.channel)}`);
        if (query.status) where.push(`status = ${p.add(query.status)}`);
        const filter = where.join(' and ');
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.reconciliations where ${filter}`, p.values);
        const rows = await tx.query<ReconciliationRow>(
          `select ${REC_COLUMNS} from pack_billing.reconciliations where ${filter} order by day desc, channel, cashier_id limit ${p.add(query.pageSize)} offset ${p.add((query.page - 1) * query.pageSize)}`,
          p.values,
        );
        return { items: rows.map(presentRec), total: count!.n, page: query.page, pageSize: query.pageSize };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/finance/daily',
    permission: PERMISSIONS.financeRead,
    summary: 'The daily cash report: payments per cashier and channel for a local day, reversals and refunds decided that day, totals',
    query: z.object({ day: dayText }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const zone = services.tenant.timeZone;
        const p = new Params();
        const tenant = p.add(services.tenant.id);
        const rows = await tx.query<{ cashier_id: string; channel: string; n: number; amount: string; reversed_n: number; reversed: string; tendered: string; change: string }>(
          `select coalesce(cashier_id, 0)::text as cashier_id, channel, count(*)::int as n, sum(amount_fen)::text as amount,
                  (count(*) filter (where status = 'reversed'))::int as reversed_n, coalesce(sum(amount_fen) filter (where status = 'reversed'), 0)::text as reversed,
                  coalesce(sum(tendered_fen), 0)::text as tendered, coalesce(sum(change_fen), 0)::text as change
             from pack_billing.payments where tenant_id = ${tenant} and ${dayFilter(p, 'paid_at', query.day, zone)}
            group by 1, 2 order by 1, 2`,
          p.values,
        );
        const q = new Params();
        const t2 = q.add(services.tenant.id);
        const decided = dayFilter(q, 'decided_at', query.day, zone);
        const [other] = await tx.query<{ refunds_n: number; refunds: string; reversals_n: number; reversals: string }>(
          `select (select count(*)::int from pack_billing.refunds where tenant_id = ${t2} and status = 'approved' and ${decided}) as refunds_n,
                  (select coalesce(sum(amount_fen), 0)::text from pack_billing.refunds where tenant_id = ${t2} and status = 'approved' and ${decided}) as refunds,
                  (select count(*)::int from pack_billing.reversals where tenant_id = ${t2} and status = 'approved' and ${decided}) as reversals_n,
                  (select coalesce(sum(amount_fen), 0)::text from pack_billing.reversals where tenant_id = ${t2} and status = 'approved' and ${decided}) as reversals`,
          q.values,
        );
        const total = rows.reduce((s, r) => s + BigInt(r.amount), 0n);
        const byChannel = new Map<string, { count: number; amount: bigint }>();
        for (const r of rows) {
          const c = byChannel.get(r.channel) ?? { count: 0, amount: 0n };
          c.count += r.n;
          c.amount += BigInt(r.amount);
          byChannel.set(r.channel, c);
        }
        return {
          day: query.day,
          timeZone: zone,
          rows: rows.map((r) => ({
            cashierId: Number(r.cashier_id),
            channel: r.channel,
            count: r.n,
            amountFen: text(r.amount),
            reversedCount: r.reversed_n,
            reversedFen: text(r.reversed),
            tenderedFen: text(r.tendered),
            changeFen: text(r.change),
          })),
          byChannel: [...byChannel.entries()].map(([channel, c]) => ({ channel, count: c.count, amountFen: text(c.amount) })),
          totals: {
            count: rows.reduce((s, r) => s + r.n, 0),
            amountFen: text(total),
            reversalsDecided: { count: other!.reversals_n, amountFen: text(other!.reversals) },
            refundsDecided: { count: other!.refunds_n, amountFen: text(other!.refunds) },
            netFen: text(total - BigInt(other!.reversals) - BigInt(other!.refunds)),
          },
        };
      }),
  }),
];
