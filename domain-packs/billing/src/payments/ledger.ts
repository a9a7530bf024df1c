/**
 * 账户台账: an account's money in one place. Charges (receivables) are paid by allocations of payment
 * money, oldest due date first; payment money not allocated is the account's prepaid credit (预存), less
 * what was refunded. Every writer of an account's money locks the account row first
 * (`select … from pack_billing.accounts where id = $1 for update`), then touches charges: that is the
 * pack's lock order, and the reason this module takes no charge locks of its own.
 *
 * The identity every state keeps (checked by the property test):
 *   outstanding − credit = charges − waived − net payments + refunds,
 * with credit = net payments − refunds − Σ allocations, and Σ allocations per charge = its paid_fen.
 */
import type { PackTenant, PackTx } from '@shuiyun/sdk';
import { allocateOldestFirst, type OpenCharge } from '../domain/index.js';

export interface AccountBalance {
  chargesFen: bigint;
  paidFen: bigint;
  waivedFen: bigint;
  /** charges − paid − waived: what the account still owes. */
  outstandingFen: bigint;
  /** Prepaid money not set against a charge: net payments − refunds − Σ allocations. */
  creditFen: bigint;
  /** Booked payments (a reversed one counts no more). */
  paymentsFen: bigint;
  /** Refunds paid out (approved ones). */
  refundsFen: bigint;
}

/** The account's balance, in one statement. */
export async function accountBalance(tx: PackTx, accountId: string): Promise<AccountBalance> {
  // The tenant's id from the account row, so each sum seeks the tenant-led indexes.
  const [row] = await tx.query<Record<'charges' | 'paid' | 'waived' | 'payments' | 'refunds' | 'allocated', string>>(
    `with acc as (select tenant_id from pack_billing.accounts where id = $1::bigint)
     select
       coalesce(c.charges, 0)::text as charges, coalesce(c.paid, 0)::text as paid, coalesce(c.waived, 0)::text as waived,
       coalesce(p.payments, 0)::text as payments, coalesce(p.allocated, 0)::text as allocated,
       coalesce(r.refunds, 0)::text as refunds
     from
       (select sum(amount_fen) as charges, sum(paid_fen) as paid, sum(waived_fen) as waived
          from pack_billing.charges where tenant_id = (select tenant_id from acc) and account_id = $1::bigint) c,
       (select sum(q.amount_fen) filter (where q.status = 'booked') as payments,
               (select sum(a.amount_fen) from pack_billing.allocations a
                 where a.tenant_id = (select tenant_id from acc) and a.payment_id = any(array_agg(q.id))) as allocated
          from pack_billing.payments q where q.tenant_id = (select tenant_id from acc) and q.account_id = $1::bigint) p,
       (select sum(amount_fen) as refunds from pack_billing.refunds
         where tenant_id = (select tenant_id from acc) and account_id = $1::bigint and status = 'approved') r`,
    [accountId],
  );
  const charges = BigInt(row!.charges);
  const paid = BigInt(row!.paid);
  const waived = BigInt(row!.waived);
  const payments = BigInt(row!.payments);
  const refunds = BigInt(row!.refunds);
  const allocated = BigInt(row!.allocated);
  return {
    chargesFen: charges,
    paidFen: paid,
    waivedFen: waived,
    outstandingFen: charges - paid - waived,
    creditFen: payments - refunds - allocated,
    paymentsFen: payments,
    refundsFen: refunds,
  };
}

/** Money a payment brings to allocation: its id and how much of it may be set against charges. */
export interface AllocationSource {
  paymentId: string;
  amountFen: bigint;
}

export interface AllocationRow {
  paymentId: string;
  chargeId: string;
  amountFen: bigint;
}

/**
 * Sets up to Σ sources against the account's open charges, oldest due date first (then lowest id),
 * drawing on the sources in their order: updates `charges.paid_fen` and writes the allocation rows, two
 * statements. The caller holds the account's lock. Answers the allocation rows written.
 */
export async function allocateToCharges(tx: PackTx, tenant: PackTenant, accountId: string, sources: AllocationSource[], financePeriod: string): Promise<AllocationRow[]> {
  const total = sources.reduce((s, x) => s + x.amountFen, 0n);
  if (total <= 0n) return [];
  const open = await tx.query<{ id: string; due_date: string; outstanding: string }>(
    `select id::text, to_char(due_date, 'YYYY-MM-DD') as due_date, (amount_fen - paid_fen - waived_fen)::text as outstanding
       from pack_billing.charges
      where tenant_id = $1 and account_id = $2::bigint and paid_fen + waived_fen < amount_fen
      order by due_date, id`,
    [tenant.id, accountId],
  );
  if (open.length === 0) return [];
  const charges: OpenCharge[] = open.map((c) => ({ id: c.id, dueDate: c.due_date, outstandingFen: BigInt(c.outstanding) }));
  const { allocations } = allocateOldestFirst(charges, total);
  const rows = splitOverSources(allocations, sources);
  if (rows.length === 0) return [];
  await tx.query(
    `with upd as (
       update pack_billing.charges c set paid_fen = c.paid_fen + u.amount
         from (select charge_id, sum(amount) as amount from unnest($4::bigint[], $5::bigint[]) as x(charge_id, amount) group by charge_id) u
        where c.id = u.charge_id and c.account_id = $6::bigint
        returning c.id
     )
     insert into pack_billing.allocations (tenant_id, tenant_path, payment_id, charge_id, amount_fen, finance_period)
     select $1, $2::ltree, x.payment_id, x.charge_id, x.amount, $7
       from unnest($3::bigint[], $4::bigint[], $5::bigint[]) as x(payment_id, charge_id, amount)`,
    [
      tenant.id,
      tenant.path,
      rows.map((r) => r.paymentId),
      rows.map((r) => r.chargeId),
      rows.map((r) => r.amountFen.toString()),
      accountId,
      financePeriod,
    ],
  );
  return rows;
}

/** Splits charge allocations over the sources in order (two cursors): each row one payment's money on one charge. */
export function splitOverSources(allocations: { chargeId: string; amountFen: bigint }[], sources: AllocationSource[]): AllocationRow[] {
  const rows: AllocationRow[] = [];
  let s = 0;
  let left = sources[0]?.amountFen ?? 0n;
  for (const a of allocations) {
    let need = a.amountFen;
    while (need > 0n && s < sources.length) {
      if (left <= 0n) {
        s += 1;
        left = sources[s]?.amountFen ?? 0n;
        continue;
      }
      const take = need < left ? need : left;
      rows.push({ paymentId: sources[s]!.paymentId, chargeId: a.chargeId, amountFen: take });
      need -= take;
      left -= take;
    }
  }
  return rows;
}

/**
 * The account's prepaid credit as allocation sources: each booked payment's unallocated money, oldest
 * first, after the refunds paid out (they consume the oldest unallocated money first). Σ = creditFen.
 */
export async function creditSources(tx: PackTx, accountId: string): Promise<AllocationSource[]> {
  const rows = await tx.query<{ id: string; unallocated: string; refunds: string }>(
    `with acc as (select tenant_id from pack_billing.accounts where id = $1::bigint),
     booked as (select id, amount_fen, paid_at from pack_billing.payments where tenant_id = (select tenant_id from acc) and account_id = $1::bigint and status = 'booked'),
     allocated as (select payment_id, sum(amount_fen) as allocated from pack_billing.allocations
                    where tenant_id = (select tenant_id from acc) and payment_id in (select id from booked) group by payment_id)
     select p.id::text, (p.amount_fen - coalesce(a.allocated, 0))::text as unallocated,
            (select coalesce(sum(amount_fen), 0) from pack_billing.refunds
              where tenant_id = (select tenant_id from acc) and account_id = $1::bigint and status = 'approved')::text as refunds
       from booked p left join allocated a on a.payment_id = p.id
      where p.amount_fen > coalesce(a.allocated, 0)
      order by p.paid_at, p.id`,
    [accountId],
  );
  let refunded = rows[0] ? BigInt(rows[0].refunds) : 0n;
  const sources: AllocationSource[] = [];
  for (const r of rows) {
    let free = BigInt(r.unallocated);
    const skip = refunded < free ? refunded : free;
    free -= skip;
    refunded -= skip;
    if (free > 0n) sources.push({ paymentId: r.id, amountFen: free });
  }
  return sources;
}

/**
 * Sets the account's prepaid credit against its open charges, oldest first; answers the fen applied.
 * Call it with the account row locked (`select … from pack_billing.accounts where id = $1 for update`):
 * the billing run at issue, and this part after a reversal.
 */
export async function applyCredit(tx: PackTx, tenant: PackTenant, accountId: string, financePeriod: string): Promise<bigint> {
  const sources = await creditSources(tx, accountId);
  if (sources.length === 0) return 0n;
  const rows = await allocateToCharges(tx, tenant, accountId, sources, financePeriod);
  return rows.reduce((s, r) => s + r.amountFen, 0n);
}

/** Locks the account row (the pack's lock order: account, then charges); answers its status, or null when RLS shows none. */
export async function lockAccount(tx: PackTx, accountId: string): Promise<{ id: string; status: string; account_no: string; tenant_id: string } | null> {
  const [row] = await tx.query<{ id: string; status: string; account_no: string; tenant_id: string }>(
    `select id::text, status, account_no, tenant_id::text from pack_billing.accounts where id = $1::bigint for update`,
    [accountId],
  );
  return row ?? null;
}
