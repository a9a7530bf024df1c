/**
 * 票据: gapless receipt numbers and the receipt routes. A receipt's number is taken from its series row
 * under the row's lock, in the same statement that writes the receipt and in the paying transaction: a
 * rolled-back payment rolls its number back, and two cashiers never share one — the numbers of a series
 * have no gap and no duplicate. The printed layout is a report template the tenant designs; the rows here
 * join account, customer and payment so a dataset's SQL reads them directly.
 */
import { defineRoute, type PackServices, type PackTenant, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { conflict, idParams, invalid, iso, l, notFound, page, Params, PERMISSIONS, text } from '../shared.js';
import { DEFAULT_RECEIPT_SERIES } from './seed.js';

export interface ReceiptRow {
  id: string;
  series: string;
  number: string;
  receipt_no: string;
  payment_id: string | null;
  refund_id: string | null;
  account_id: string;
  amount_fen: string;
  status: string;
  void_reason: string | null;
  voided_by: string | null;
  voided_at: Date | string | null;
  issued_by: string | null;
  issued_at: Date | string;
}

export const RECEIPT_COLUMNS = `r.id::text, r.series, r.number::text, r.receipt_no, r.payment_id::text, r.refund_id::text, r.account_id::text,
  r.amount_fen::text, r.status, r.void_reason, r.voided_by::text, r.voided_at, r.issued_by::text, r.issued_at`;

export const presentReceipt = (r: ReceiptRow) => ({
  id: Number(r.id),
  series: r.series,
  number: text(r.number),
  receiptNo: r.receipt_no,
  paymentId: r.payment_id === null ? null : Number(r.payment_id),
  refundId: r.refund_id === null ? null : Number(r.refund_id),
  accountId: Number(r.account_id),
  amountFen: text(r.amount_fen),
  status: r.status,
  voidReason: r.void_reason,
  voidedBy: r.voided_by === null ? null : Number(r.voided_by),
  voidedAt: iso(r.voided_at),
  issuedBy: r.issued_by === null ? null : Number(r.issued_by),
  issuedAt: iso(r.issued_at),
});

/** The SQL text of a number in its series' format: prefix + the number zero-padded to the width (domain's formatReceiptNo). */
const RECEIPT_NO_SQL = `n.prefix || case when length(n.number::text) >= n.width then n.number::text else lpad(n.number::text, n.width, '0') end`;

/**
 * Issues a receipt for a payment (or a refund) in the caller's transaction: one statement takes the
 * series' next number under its row lock and writes the receipt. The default series `R` is created on
 * first use when the seed did not make it; another series must exist and be active. Answers the receipt,
 * or null when the series is missing or inactive.
 */
export async function issueReceipt(
  tx: PackTx,
  tenant: PackTenant,
  input: { series?: string; accountId: string; paymentId?: string | null; refundId?: string | null; amountFen: bigint; issuedBy: number | null },
): Promise<ReceiptRow | null> {
  const series = input.series ?? DEFAULT_RECEIPT_SERIES;
  const take =
    series === DEFAULT_RECEIPT_SERIES
      ? `insert into pack_billing.receipt_series (tenant_id, tenant_path, series, kind, prefix, width, next_no) values ($1, $2::ltree, $3, 'receipt', 'R', 8, 2)
         on conflict (tenant_id, series) do update set next_no = receipt_series.next_no + 1 where receipt_series.active
         returning next_no - 1 as number, prefix, width`
      : `update pack_billing.receipt_series set next_no = next_no + 1 where tenant_id = $1 and series = $3 and active
         returning next_no - 1 as number, prefix, width`;
  const [row] = await tx.query<ReceiptRow>(
    `with n as (${take})
     insert into pack_billing.receipts as r (tenant_id, tenant_path, series, number, receipt_no, payment_id, refund_id, account_id, amount_fen, issued_by)
     select $1, $2::ltree, $3, n.number, ${RECEIPT_NO_SQL}, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::bigint from n
     returning ${RECEIPT_COLUMNS}`,
    [tenant.id, tenant.path, series, input.paymentId ?? null, input.refundId ?? null, input.accountId, input.amountFen.toString(), input.issuedBy],
  );
  return row ?? null;
}

/** Voids a receipt with its reason; answers it, or null when it was voided already (the caller decides). */
export async function voidReceipt(tx: PackTx, receiptId: string, reason: string, by: number | null): Promise<ReceiptRow | null> {
  const [row] = await tx.query<ReceiptRow>(
    `update pack_billing.receipts r set status = 'voided', void_reason = $2, voided_by = $3::bigint, voided_at = now()
      where id = $1::bigint and status = 'issued' returning ${RECEIPT_COLUMNS}`,
    [receiptId, reason, by],
  );
  return row ?? null;
}

const dateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const seriesCode = z.string().regex(/^[A-Z0-9]{1,8}$/, '1–8 capital letters or digits');

const receiptQuery = z.object({
  ...page,
  series: seriesCode.optional(),
  from: dateText.optional(),
  to: dateText.optional(),
  status: z.enum(['issued', 'voided']).optional(),
  accountId: z.coerce.number().int().positive().optional(),
});

const DETAIL_COLUMNS = `${RECEIPT_COLUMNS}, a.account_no, c.name as customer_name, p.channel, p.paid_at, p.cashier_id::text`;
type DetailRow = ReceiptRow & { account_no: string; customer_name: string; channel: string | null; paid_at: Date | string | null; cashier_id: string | null };
const presentDetail = (r: DetailRow) => ({
  ...presentReceipt(r),
  accountNo: r.account_no,
  customerName: r.customer_name,
  channel: r.channel,
  paidAt: iso(r.paid_at),
  cashierId: r.cashier_id === null ? null : Number(r.cashier_id),
});
const DETAIL_FROM = `pack_billing.receipts r
  join pack_billing.accounts a on a.id = r.account_id
  join pack_billing.customers c on c.id = a.customer_id
  left join pack_billing.payments p on p.id = r.payment_id`;

async function receiptById(tx: PackTx, tenantId: number, id: number): Promise<DetailRow | undefined> {
  const [row] = await tx.query<DetailRow>(`select ${DETAIL_COLUMNS} from ${DETAIL_FROM} where r.tenant_id = $1 and r.id = $2`, [tenantId, id]);
  return row;
}

const noReceipt = (id: number) => notFound(l(`没有票据 ${id}`, `No receipt ${id}`), 'id');

export const receiptRoutes = [
  defineRoute({
    method: 'get',
    path: '/receipts',
    permission: PERMISSIONS.paymentsRead,
    summary: 'Receipts, newest first: by series, local issue days from–to, status, account',
    query: receiptQuery,
    handler: async ({ query }, services: PackServices) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`r.tenant_id = ${p.add(services.tenant.id)}`];
        const zone = query.from || query.to ? p.add(services.tenant.timeZone) : '';
        if (query.series) where.push(`r.series = ${p.add(query.series)}`);
        if (query.status) where.push(`r.status = ${p.add(query.status)}`);
        if (query.accountId) where.push(`r.account_id = ${p.add(query.accountId)}`);
        if (query.from) where.push(`r.issued_at >= (${p.add(query.from)}::date::timestamp at time zone ${zone})`);
        if (query.to) where.push(`r.issued_at < ((${p.add(query.to)}::date + 1)::timestamp at time zone ${zone})`);
        const filter = where.join(' and ');
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.receipts r where ${filter}`, p.values);
        const limit = p.add(query.pageSize);
        const offset = p.add((query.page - 1) * query.pageSize);
        const rows = await tx.query<DetailRow>(`select ${DETAIL_COLUMNS} from ${DETAIL_FROM} where ${filter} order by r.issued_at desc, r.id desc limit ${limit} offset ${offset}`, p.values);
        return { items: rows.map(presentDetail), total: count!.n, page: query.page, pageSize: query.pageSize };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/receipts/:id',
    permission: PERMISSIONS.paymentsRead,
    summary: 'One receipt with its account, customer and payment',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const row = await receiptById(tx, services.tenant.id, params.id);
        if (!row) throw noReceipt(params.id);
        return presentDetail(row);
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/receipts/:id/void',
    permission: PERMISSIONS.receiptsVoid,
    summary: 'Void a receipt, with the reason (the payment stands: reverse it to take the money back)',
    params: idParams,
    body: z.object({ reason: z.string().max(500).optional() }),
    handler: async ({ params, body }, services) =>
      services.transaction(async (tx) => {
        const reason = body.reason?.trim();
        if (!reason) throw invalid(l('请填写作废原因', 'Give the reason for voiding'), 'reason');
        const [found] = await tx.query<{ status: string }>(`select status from pack_billing.receipts where tenant_id = $1 and id = $2 for update`, [services.tenant.id, params.id]);
        if (!found) throw noReceipt(params.id);
        const row = await voidReceipt(tx, String(params.id), reason, services.user?.id ?? null);
        if (!row) throw conflict(l(`票据 ${params.id} 已作废`, `Receipt ${params.id} is voided already`), 'id');
        return presentDetail((await receiptById(tx, services.tenant.id, params.id))!);
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/receipt-series',
    permission: PERMISSIONS.financeRead,
    summary: 'Receipt and invoice series with their next number',
    handler: async (_input, services) =>
      services.transaction(async (tx) => {
        const rows = await tx.query<SeriesRow>(`select ${SERIES_COLUMNS} from pack_billing.receipt_series where tenant_id = $1 order by series`, [services.tenant.id]);
        return { items: rows.map(presentSeries) };
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/receipt-series',
    permission: PERMISSIONS.financeClose,
    summary: 'Create a receipt or invoice series',
    status: 201,
    body: z.object({
      series: seriesCode,
      kind: z.enum(['receipt', 'invoice']).default('receipt'),
      prefix: z.string().regex(/^[A-Za-z0-9_-]{0,20}$/, 'at most 20 letters, digits, _ or -').default(''),
      width: z.number().int().min(4).max(16).default(8),
      nextNo: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1),
    }),
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<SeriesRow>(
          `insert into pack_billing.receipt_series (tenant_id, tenant_path, series, kind, prefix, width, next_no)
           values ($1, $2::ltree, $3, $4, $5, $6, $7) on conflict (tenant_id, series) do nothing returning ${SERIES_COLUMNS}`,
          [services.tenant.id, services.tenant.path, body.series, body.kind, body.prefix, body.width, body.nextNo],
        );
        if (!row) throw conflict(l(`号段 ${body.series} 已存在`, `Series ${body.series} exists already`), 'series');
        return presentSeries(row);
      }),
  }),
];

interface SeriesRow {
  id: string;
  series: string;
  kind: string;
  prefix: string;
  width: number;
  next_no: string;
  active: boolean;
}
const SERIES_COLUMNS = `id::text, series, kind, prefix, width, next_no::text, active`;
const presentSeries = (r: SeriesRow) => ({ id: Number(r.id), series: r.series, kind: r.kind, prefix: r.prefix, width: r.width, nextNo: text(r.next_no), active: r.active });
