/**
 * Booking a payment (收费入账), whatever brought it: the counter, a bank file, an online callback. In the
 * caller's transaction and in the pack's lock order — the account row, then its charges, then the receipt
 * series — it books the payment once per external reference (the unique index plus `on conflict do
 * nothing`: a resubmit, or the same one at the same moment, finds the first), sets it against the open
 * charges oldest first (the rest is prepaid credit) and issues the receipt with the series' next number.
 * A handful of statements, none per charge. The payment posts in the finance period open when it is booked
 * (`finance_period`); `paid_at` keeps when the money was paid (a bank's or a gateway's time may be earlier).
 */
import type { PackTenant, PackTx } from '@shuiyun/sdk';
import { issueReceipt, RECEIPT_COLUMNS, type ReceiptRow, presentReceipt } from '../finance/receipts.js';
import { financePeriodFor } from '../finance/periods.js';
import { conflict, iso, l, text } from '../shared.js';
import { formatYuan } from '../domain/index.js';
import { type AccountBalance, accountBalance, allocateToCharges, lockAccount } from './ledger.js';
import { afterPayment } from '../arrears/cleared.js';

export type Channel = 'cash' | 'card' | 'bank' | 'wechat' | 'alipay' | 'credit_note';

export interface PaymentRow {
  id: string;
  account_id: string;
  channel: Channel;
  amount_fen: string;
  tendered_fen: string | null;
  change_fen: string | null;
  external_ref: string | null;
  cashier_id: string | null;
  status: 'booked' | 'reversed';
  finance_period: string;
  paid_at: Date | string;
  note: string | null;
}

export const PAYMENT_COLUMNS = `id::text, account_id::text, channel, amount_fen::text, tendered_fen::text, change_fen::text, external_ref,
  cashier_id::text, status, finance_period, paid_at, note`;

export const presentPayment = (p: PaymentRow) => ({
  id: Number(p.id),
  accountId: Number(p.account_id),
  channel: p.channel,
  amountFen: text(p.amount_fen),
  tenderedFen: p.tendered_fen === null ? null : text(p.tendered_fen),
  changeFen: p.change_fen === null ? null : text(p.change_fen),
  externalRef: p.external_ref,
  cashierId: p.cashier_id === null ? null : Number(p.cashier_id),
  status: p.status,
  financePeriod: p.finance_period,
  paidAt: iso(p.paid_at),
  note: p.note,
});

export const presentBalance = (b: AccountBalance) => ({
  chargesFen: text(b.chargesFen),
  paidFen: text(b.paidFen),
  waivedFen: text(b.waivedFen),
  outstandingFen: text(b.outstandingFen),
  creditFen: text(b.creditFen),
  paymentsFen: text(b.paymentsFen),
  refundsFen: text(b.refundsFen),
  /** 应缴 − 预存: what the account must still pay (negative: money in hand). */
  dueFen: text(b.outstandingFen - b.creditFen),
  yuan: { outstanding: formatYuan(b.outstandingFen), credit: formatYuan(b.creditFen), due: formatYuan(b.outstandingFen - b.creditFen) },
});

export interface BookInput {
  accountId: string;
  channel: Channel;
  amountFen: bigint;
  externalRef: string;
  tenderedFen?: bigint | null;
  changeFen?: bigint | null;
  cashierId: number | null;
  note?: string | null;
  /** When the money was paid (a bank's or gateway's time); now when absent. */
  paidAt?: Date;
  /** Receipt series; the default `R` when absent. */
  series?: string;
  /** Also answer the account's balance after the payment (read before the receipt, so the series row is locked for the shortest time). */
  withBalance?: boolean;
}

export interface AllocationView {
  chargeId: string;
  amountFen: bigint;
}

export type BookOutcome =
  | { kind: 'booked' | 'replayed'; payment: PaymentRow; allocations: AllocationView[]; receipt: ReceiptRow | null; balance?: AccountBalance }
  | { kind: 'refused'; reason: 'no_account' | 'account_closed' };

/** The payment already booked under an external reference (a counter request key whatever the channel), with its allocations and receipt. */
export async function paymentByRef(tx: PackTx, tenantId: number, channel: Channel, ref: string): Promise<BookOutcome | null> {
  const [payment] = await tx.query<PaymentRow>(
    `select ${PAYMENT_COLUMNS} from pack_billing.payments
      where tenant_id = $1 and external_ref = $3 and (channel = $2 or external_ref like 'counter:%')`,
    [tenantId, channel, ref],
  );
  if (!payment) return null;
  return { kind: 'replayed', payment, ...(await paymentDetails(tx, tenantId, payment.id)) };
}

/** A payment's live allocations (net per charge) and its latest receipt, two statements. */
export async function paymentDetails(tx: PackTx, tenantId: number, paymentId: string): Promise<{ allocations: AllocationView[]; receipt: ReceiptRow | null }> {
  const allocations = await tx.query<{ charge_id: string; amount: string }>(
    `select charge_id::text, sum(amount_fen)::text as amount from pack_billing.allocations where tenant_id = $2 and payment_id = $1::bigint
      group by charge_id having sum(amount_fen) <> 0 order by min(id)`,
    [paymentId, tenantId],
  );
  const [receipt] = await tx.query<ReceiptRow>(`select ${RECEIPT_COLUMNS} from pack_billing.receipts r where r.tenant_id = $2 and r.payment_id = $1::bigint order by r.id desc limit 1`, [paymentId, tenantId]);
  return { allocations: allocations.map((a) => ({ chargeId: a.charge_id, amountFen: BigInt(a.amount) })), receipt: receipt ?? null };
}

/**
 * Books a payment once per `(channel, externalRef)`, allocates it oldest first and issues its receipt.
 * Refusals come back as `refused` (nothing written), so a bank file can go on with its next row.
 */
export async function bookPayment(tx: PackTx, tenant: PackTenant, input: BookInput): Promise<BookOutcome> {
  const account = await lockAccount(tx, input.accountId);
  if (!account || account.tenant_id !== String(tenant.id)) return { kind: 'refused', reason: 'no_account' };
  if (account.status === 'closed') return (await paymentByRef(tx, tenant.id, input.channel, input.externalRef)) ?? { kind: 'refused', reason: 'account_closed' };
  const paidAt = input.paidAt ?? new Date();
  const period = await financePeriodFor(tx, tenant, new Date());
  const [payment] = await tx.query<PaymentRow>(
    `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, tendered_fen, change_fen, external_ref, cashier_id, finance_period, paid_at, note)
     values ($1, $2::ltree, $3::bigint, $4, $5::bigint, $6::bigint, $7::bigint, $8, $9::bigint, $10, $11, $12)
     on conflict do nothing
     returning ${PAYMENT_COLUMNS}`,
    [
      tenant.id,
      tenant.path,
      input.accountId,
      input.channel,
      input.amountFen.toString(),
      input.tenderedFen?.toString() ?? null,
      input.changeFen?.toString() ?? null,
      input.externalRef,
      input.cashierId,
      period,
      paidAt,
      input.note ?? null,
    ],
  );
  if (!payment) {
    const first = await paymentByRef(tx, tenant.id, input.channel, input.externalRef);
    if (!first) throw new Error(`payment ${input.channel}/${input.externalRef} conflicted but cannot be found`);
    return first;
  }
  const rows = await allocateToCharges(tx, tenant, input.accountId, [{ paymentId: payment.id, amountFen: input.amountFen }], period);
  const balance = input.withBalance ? await accountBalance(tx, input.accountId) : undefined;
  // A valve closed for arrears reopens once they are paid: the case's process hears it if this commits.
  await afterPayment(tx, tenant, input.accountId);
  // The receipt last: its series row stays locked until the transaction ends, and every payment of the tenant waits for it.
  const receipt = await issueReceipt(tx, tenant, {
    ...(input.series ? { series: input.series } : {}),
    accountId: input.accountId,
    paymentId: payment.id,
    amountFen: input.amountFen,
    issuedBy: input.cashierId,
  });
  if (!receipt) throw conflict(l(`票据号段 ${input.series} 不存在或已停用`, `Receipt series ${input.series} does not exist or is inactive`), 'series');
  return { kind: 'booked', payment, allocations: rows.map((r) => ({ chargeId: r.chargeId, amountFen: r.amountFen })), receipt, ...(balance ? { balance } : {}) };
}

export const presentAllocations = (rows: AllocationView[]) => rows.map((a) => ({ chargeId: Number(a.chargeId), amountFen: text(a.amountFen) }));
export const presentBooked = (o: Extract<BookOutcome, { payment: PaymentRow }>) => ({
  replayed: o.kind === 'replayed',
  payment: presentPayment(o.payment),
  allocations: presentAllocations(o.allocations),
  changeFen: o.payment.change_fen === null ? null : text(o.payment.change_fen),
  receiptNo: o.receipt?.receipt_no ?? null,
  receipt: o.receipt ? presentReceipt(o.receipt) : null,
});
