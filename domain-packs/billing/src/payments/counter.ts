/**
 * 柜台收费: the cashier's payment (cash with change, or card), the payment lists, and an account's balance.
 * A payment is one transaction: the account row locked, the payment booked once per request key, set
 * against the open charges oldest first (the rest is prepaid credit), its receipt numbered without gap.
 * The client's `requestKey` makes a double submit (twice in a row or twice at once) answer the first
 * payment: `replayed: true` tells the two apart.
 */
import { defineRoute, PackError, type PackServices } from '@shuiyun/sdk';
import { z } from 'zod';
import { conflict, fenInput, idParams, invalid, l, notFound, page, Params, PERMISSIONS, positiveFen } from '../shared.js';
import { RECEIPT_COLUMNS, type ReceiptRow, presentReceipt } from '../finance/receipts.js';
import { bookPayment, PAYMENT_COLUMNS, type PaymentRow, presentBalance, presentBooked, presentPayment } from './book.js';
import { accountBalance } from './ledger.js';

const idText = z.union([z.string().regex(/^[1-9][0-9]{0,17}$/, 'an id'), z.number().int().positive()]).transform((v) => String(v));

export const counterBody = z.object({
  accountId: idText,
  channel: z.enum(['cash', 'card']),
  amountFen: positiveFen,
  tenderedFen: fenInput.optional(),
  requestKey: z.string().regex(/^[A-Za-z0-9_.:-]{8,100}$/, '8–100 letters, digits, _ . : -'),
  note: z.string().max(200).optional(),
  series: z.string().regex(/^[A-Z0-9]{1,8}$/).optional(),
});

const dayText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

export const refusalOf = (reason: 'no_account' | 'account_closed', accountId: string): PackError =>
  reason === 'no_account'
    ? notFound(l(`没有账户 ${accountId}`, `No account ${accountId}`), 'accountId')
    : conflict(l(`账户 ${accountId} 已销户，不能收费`, `Account ${accountId} is closed and takes no payments`), 'accountId');

/** Is this (or what caused it: the driver wraps the database's error) the closed-period guard's refusal? */
export function isPeriodClosed(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (/finance_period_closed/.test(e.message)) return true;
  }
  return false;
}

/** Maps the closed-period guard's database error to a refusal (a close committed while this posting ran). */
export function periodClosedRefusal(error: unknown): never {
  if (isPeriodClosed(error)) {
    throw conflict(l('会计期已关账，请重试（将记入当前开放会计期）', 'The finance period was closed meanwhile: try again (it posts in the open period)'));
  }
  throw error;
}

export const counterRoutes = [
  defineRoute({
    method: 'post',
    path: '/payments',
    permission: PERMISSIONS.collect,
    summary: 'Take a counter payment (cash or card): allocated oldest first, the rest prepaid credit, receipt numbered; idempotent by requestKey',
    status: 201,
    body: counterBody,
    handler: async ({ body }, services: PackServices) =>
      services.transaction(async (tx) => {
        let tendered: bigint | null = null;
        let change: bigint | null = null;
        if (body.channel === 'cash') {
          tendered = body.tenderedFen ?? body.amountFen;
          if (tendered < body.amountFen) throw invalid(l('实收金额不能少于应收金额', 'The cash tendered must cover the amount'), 'tenderedFen');
          change = tendered - body.amountFen;
        } else if (body.tenderedFen !== undefined && body.tenderedFen !== body.amountFen) {
          throw invalid(l('刷卡收费没有找零：实收金额须等于收费金额', 'A card payment has no change: the tendered amount must equal the amount'), 'tenderedFen');
        }
        const outcome = await bookPayment(tx, services.tenant, {
          accountId: body.accountId,
          channel: body.channel,
          amountFen: body.amountFen,
          externalRef: `counter:${body.requestKey}`,
          tenderedFen: tendered,
          changeFen: change,
          cashierId: services.user?.id ?? null,
          note: body.note ?? null,
          ...(body.series ? { series: body.series } : {}),
          withBalance: true,
        }).catch(periodClosedRefusal);
        if (outcome.kind === 'refused') throw refusalOf(outcome.reason, body.accountId);
        const p = outcome.payment;
        if (outcome.kind === 'replayed' && (p.account_id !== body.accountId || BigInt(p.amount_fen) !== body.amountFen || p.channel !== body.channel)) {
          throw conflict(l('该请求号已用于另一笔收费', 'This request key was used for another payment'), 'requestKey');
        }
        const balance = outcome.balance ?? (await accountBalance(tx, body.accountId));
        return { ...presentBooked(outcome), balance: presentBalance(balance) };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/payments',
    permission: PERMISSIONS.paymentsRead,
    summary: 'Payments, newest first: by account, local day, cashier, channel, status',
    query: z.object({
      ...page,
      accountId: z.coerce.number().int().positive().optional(),
      day: dayText.optional(),
      cashierId: z.coerce.number().int().positive().optional(),
      channel: z.enum(['cash', 'card', 'bank', 'wechat', 'alipay', 'credit_note']).optional(),
      status: z.enum(['booked', 'reversed']).optional(),
    }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`tenant_id = ${p.add(services.tenant.id)}`];
        if (query.accountId) where.push(`account_id = ${p.add(query.accountId)}`);
        if (query.cashierId) where.push(`cashier_id = ${p.add(query.cashierId)}`);
        if (query.channel) where.push(`channel = ${p.add(query.channel)}`);
        if (query.status) where.push(`status = ${p.add(query.status)}`);
        if (query.day) {
          const zone = p.add(services.tenant.timeZone);
          const day = p.add(query.day);
          where.push(`paid_at >= (${day}::date::timestamp at time zone ${zone}) and paid_at < ((${day}::date + 1)::timestamp at time zone ${zone})`);
        }
        const filter = where.join(' and ');
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.payments where ${filter}`, p.values);
        const rows = await tx.query<PaymentRow>(
          `select ${PAYMENT_COLUMNS} from pack_billing.payments where ${filter} order by paid_at desc, id desc limit ${p.add(query.pageSize)} offset ${p.add((query.page - 1) * query.pageSize)}`,
          p.values,
        );
        return { items: rows.map(presentPayment), total: count!.n, page: query.page, pageSize: query.pageSize };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/payments/:id',
    permission: PERMISSIONS.paymentsRead,
    summary: 'One payment with its allocation rows (releases negative), receipts and reversal',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [payment] = await tx.query<PaymentRow>(`select ${PAYMENT_COLUMNS} from pack_billing.payments where tenant_id = $1 and id = $2`, [services.tenant.id, params.id]);
        if (!payment) throw notFound(l(`没有收费记录 ${params.id}`, `No payment ${params.id}`), 'id');
        const allocations = await tx.query<{ id: string; charge_id: string; amount_fen: string; finance_period: string; created_at: Date | string }>(
          `select id::text, charge_id::text, amount_fen::text, finance_period, created_at from pack_billing.allocations where tenant_id = $2 and payment_id = $1 order by id`,
          [params.id, services.tenant.id],
        );
        const receipts = await tx.query<ReceiptRow>(`select ${RECEIPT_COLUMNS} from pack_billing.receipts r where r.tenant_id = $2 and r.payment_id = $1 order by r.id`, [params.id, services.tenant.id]);
        const reversals = await tx.query<{ id: string; status: string; reason: string; finance_period: string | null; created_at: Date | string }>(
          `select id::text, status, reason, finance_period, created_at from pack_billing.reversals where tenant_id = $2 and payment_id = $1 order by id`,
          [params.id, services.tenant.id],
        );
        return {
          ...presentPayment(payment),
          allocations: allocations.map((a) => ({ id: Number(a.id), chargeId: Number(a.charge_id), amountFen: a.amount_fen, financePeriod: a.finance_period, createdAt: new Date(a.created_at).toISOString() })),
          receipts: receipts.map(presentReceipt),
          reversals: reversals.map((r) => ({ id: Number(r.id), status: r.status, reason: r.reason, financePeriod: r.finance_period, createdAt: new Date(r.created_at).toISOString() })),
        };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/accounts/:id/balance',
    permission: PERMISSIONS.paymentsRead,
    summary: "An account's balance: charges, paid, waived, outstanding, prepaid credit, payments and refunds (fen text, and yuan)",
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [account] = await tx.query<{ id: string; account_no: string; status: string }>(
          `select id::text, account_no, status from pack_billing.accounts where tenant_id = $1 and id = $2`,
          [services.tenant.id, params.id],
        );
        if (!account) throw notFound(l(`没有账户 ${params.id}`, `No account ${params.id}`), 'id');
        return { accountId: params.id, accountNo: account.account_no, status: account.status, ...presentBalance(await accountBalance(tx, account.id)) };
      }),
  }),
];
