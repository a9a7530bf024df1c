/**
 * 违约金计提: late fees accrued on overdue bill charges, up to a local day `asOf` (inclusive).
 *
 * Each overdue bill charge with an outstanding principal has one accrual row (`late_fee_accruals`) holding
 * the day it was accrued to and the fee total, and one late-fee charge that grows to that total. A run to
 * `asOf` adds, for every day after the last accrual up to `asOf`, the fee on the principal outstanding now:
 *     increment = lateFeeDue(rule, P, due, asOf) − lateFeeDue(rule, P, due, accruedTo)
 * (the domain's formula on the whole span, so with an unchanged principal the total is exactly
 * lateFeeDue(rule, P, due, asOf) however often it runs; after a partial payment the later days accrue on the
 * smaller principal; the total never exceeds the cap of the bill charge's amount and never shrinks). A second
 * run to the same day adds nothing; an earlier day is skipped.
 *
 * Money follows the finance rules: the late-fee charge's amount grows only while its finance period is open;
 * once that period is closed, the increment is posted as a new late-fee charge in the open period (and the
 * accrual follows the new charge). A late-fee charge is due when its bill charge was, so it belongs to the
 * same arrears and is paid right after it (oldest first).
 *
 * Set-based in batches of accounts: each batch locks its accounts (the pack's lock order: accounts, then
 * charges), reads their candidate charges in one statement, computes the fees with the domain's `lateFeeDue`,
 * and writes with three statements. A worker commits each batch on its own (a retried run resumes: what was
 * accrued to `asOf` is not looked at again); a route runs every batch in its request's transaction.
 */
import type { PackServices } from '@shuiyun/sdk';
import { addDays, divRound, lateFeeDue, type LateFeeRule } from '../domain/index.js';
import { financePeriodFor } from '../finance/periods.js';
import { loadArrearsSettings } from './settings.js';

export interface AccrueOptions {
  /** Accounts per batch (transaction). */
  batchSize?: number;
  signal?: AbortSignal;
}

export interface AccrueResult {
  asOf: string;
  /** Bill charges accrued to `asOf` in this run. */
  charges: number;
  /** Of them, those whose fee grew. */
  increased: number;
  /** Fen added to late fees in total. */
  addedFen: bigint;
  /** Late-fee charges created (first accruals, and increments after a closed finance period). */
  newFeeCharges: number;
}

interface Candidate {
  id: string;
  account_id: string;
  bill_id: string | null;
  amount_fen: string;
  outstanding: string;
  due_date: string;
  accrued_to: string | null;
  accrued: string | null;
  fee_charge_id: string | null;
  fee_closed: boolean;
}

/** One charge's accrual: the new total and the increment (≥ 0) to `asOf`. */
export function accrualStep(rule: LateFeeRule, c: { amountFen: bigint; outstandingFen: bigint; dueDate: string; accruedTo: string | null; accruedFen: bigint }, asOf: string): { totalFen: bigint; incrementFen: bigint } {
  const principal = c.outstandingFen > 0n ? c.outstandingFen : 0n;
  const before = c.accruedTo === null ? 0n : lateFeeDue(rule, principal, c.dueDate, c.accruedTo);
  let increment = lateFeeDue(rule, principal, c.dueDate, asOf) - before;
  if (increment < 0n) increment = 0n;
  const cap = divRound(c.amountFen * BigInt(rule.capBp), 10_000n, 'down');
  let total = c.accruedFen + increment;
  if (total > cap) total = cap > c.accruedFen ? cap : c.accruedFen;
  return { totalFen: total, incrementFen: total - c.accruedFen };
}

/** Accrues late fees of the tenant's overdue bill charges up to `asOf` (the tenant's local day). */
export async function accrueLateFees(services: PackServices, asOf: string, options: AccrueOptions = {}): Promise<AccrueResult> {
  const tenant = services.tenant;
  const result: AccrueResult = { asOf, charges: 0, increased: 0, addedFen: 0n, newFeeCharges: 0 };
  const { lateFee: rule } = await services.transaction((tx) => loadArrearsSettings(tx, tenant));
  if (rule.dailyRatePpm === 0) return result;
  // A charge due on `lastDue` or before owes at least one day's fee on `asOf`.
  const lastDue = addDays(asOf, -rule.graceDays - 1);
  const batchSize = options.batchSize ?? 200;
  let cursor = '0';

  for (;;) {
    if (options.signal?.aborted) throw new Error(`late-fee accrual to ${asOf} stopped: ${String(options.signal.reason ?? 'aborted')}`);
    const done = await services.transaction(async (tx) => {
      const accounts = await tx.query<{ account_id: string }>(
        `select c.account_id::text as account_id
           from pack_billing.charges c
          where c.tenant_id = $1 and c.kind = 'bill' and c.paid_fen + c.waived_fen < c.amount_fen
            and c.due_date <= $2::date and c.account_id > $3::bigint
            and not exists (select 1 from pack_billing.late_fee_accruals a where a.tenant_id = c.tenant_id and a.bill_charge_id = c.id and a.accrued_to >= $4::date)
          group by c.account_id order by c.account_id limit $5::int`,
        [tenant.id, lastDue, cursor, asOf, batchSize],
      );
      if (accounts.length === 0) return true;
      const ids = accounts.map((a) => a.account_id);
      cursor = ids[ids.length - 1]!;
      await tx.query(`select id from pack_billing.accounts where tenant_id = $1 and id = any($2::bigint[]) order by id for update`, [tenant.id, ids]);

      const candidates = await tx.query<Candidate>(
        `select c.id::text, c.account_id::text, c.bill_id::text, c.amount_fen::text, (c.amount_fen - c.paid_fen - c.waived_fen)::text as outstanding,
                to_char(c.due_date, 'YYYY-MM-DD') as due_date, to_char(a.accrued_to, 'YYYY-MM-DD') as accrued_to, a.amount_fen::text as accrued,
                a.fee_charge_id::text, coalesce(fp.status = 'closed', false) as fee_closed
           from pack_billing.charges c
           left join pack_billing.late_fee_accruals a on a.tenant_id = c.tenant_id and a.bill_charge_id = c.id
           left join pack_billing.charges f on f.tenant_id = c.tenant_id and f.id = a.fee_charge_id
           left join pack_billing.finance_periods fp on fp.tenant_id = f.tenant_id and fp.period = f.finance_period
          where c.tenant_id = $1 and c.account_id = any($2::bigint[]) and c.kind = 'bill' and c.paid_fen + c.waived_fen < c.amount_fen
            and c.due_date <= $3::date and (a.id is null or a.accrued_to < $4::date)
          order by c.id`,
        [tenant.id, ids, lastDue, asOf],
      );

      const grow = { ids: [] as string[], amounts: [] as string[] };
      const fresh = { charges: [] as string[], accounts: [] as string[], bills: [] as (string | null)[], due: [] as string[], amounts: [] as string[] };
      const accruals = { charges: [] as string[], accounts: [] as string[], totals: [] as string[], fees: [] as (string | null)[] };
      for (const c of candidates) {
        const accruedFen = BigInt(c.accrued ?? '0');
        const { totalFen, incrementFen } = accrualStep(rule, { amountFen: BigInt(c.amount_fen), outstandingFen: BigInt(c.outstanding), dueDate: c.due_date, accruedTo: c.accrued_to, accruedFen }, asOf);
        result.charges += 1;
        if (incrementFen > 0n) {
          result.increased += 1;
          result.addedFen += incrementFen;
          if (c.fee_charge_id !== null && !c.fee_closed) {
            grow.ids.push(c.fee_charge_id);
            grow.amounts.push(incrementFen.toString());
          } else {
            fresh.charges.push(c.id);
            fresh.accounts.push(c.account_id);
            fresh.bills.push(c.bill_id);
            fresh.due.push(c.due_date);
            fresh.amounts.push(incrementFen.toString());
          }
        }
        accruals.charges.push(c.id);
        accruals.accounts.push(c.account_id);
        accruals.totals.push(totalFen.toString());
        accruals.fees.push(c.fee_charge_id);
      }

      if (grow.ids.length > 0) {
        await tx.query(
          `update pack_billing.charges c set amount_fen = c.amount_fen + u.amount
             from unnest($2::bigint[], $3::bigint[]) as u(id, amount)
            where c.tenant_id = $1 and c.id = u.id and c.kind = 'late_fee'`,
          [tenant.id, grow.ids, grow.amounts],
        );
      }
      if (fresh.charges.length > 0) {
        const period = await financePeriodFor(tx, tenant, new Date());
        // The new charges' ids are drawn first, so each is known to belong to its bill charge.
        const created = await tx.query<{ bill_charge_id: string; fee_id: string }>(
          `with x as (
             select u.bill_charge_id, u.account_id, u.bill_id, u.due_date, u.amount,
                    nextval(pg_get_serial_sequence('pack_billing.charges', 'id')) as fee_id
               from unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::date[], $7::bigint[]) as u(bill_charge_id, account_id, bill_id, due_date, amount)
           ),
           ins as (
             insert into pack_billing.charges (id, tenant_id, tenant_path, account_id, kind, bill_id, amount_fen, due_date, finance_period)
             select fee_id, $1, $2::ltree, account_id, 'late_fee', bill_id, amount, due_date, $8 from x
             returning id
           )
           select x.bill_charge_id::text, x.fee_id::text from x`,
          [tenant.id, tenant.path, fresh.charges, fresh.accounts, fresh.bills, fresh.due, fresh.amounts, period],
        );
        result.newFeeCharges += created.length;
        const feeOf = new Map(created.map((r) => [r.bill_charge_id, r.fee_id]));
        accruals.charges.forEach((id, i) => {
          const fee = feeOf.get(id);
          if (fee !== undefined) accruals.fees[i] = fee;
        });
      }
      if (accruals.charges.length > 0) {
        await tx.query(
          `insert into pack_billing.late_fee_accruals (tenant_id, tenant_path, bill_charge_id, account_id, fee_charge_id, accrued_to, amount_fen)
           select $1, $2::ltree, u.charge_id, u.account_id, u.fee_id, $7::date, u.total
             from unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) as u(charge_id, account_id, fee_id, total)
           on conflict (tenant_id, bill_charge_id) do update
             set accrued_to = excluded.accrued_to, amount_fen = excluded.amount_fen,
                 fee_charge_id = coalesce(excluded.fee_charge_id, late_fee_accruals.fee_charge_id), updated_at = now()
           where late_fee_accruals.accrued_to < excluded.accrued_to`,
          [tenant.id, tenant.path, accruals.charges, accruals.accounts, accruals.fees, accruals.totals, asOf],
        );
      }
      return accounts.length < batchSize;
    });
    if (done) break;
  }
  return result;
}
