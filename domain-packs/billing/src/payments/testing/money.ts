/**
 * Test support for the payments and finance tests (only tests load it): accounts and charges inserted
 * straight into `pack_billing` — fast, with no metering household behind them — and small readers of the
 * ledger. Works on the test kit's `services` (typed structurally, so this file needs nothing of the kit).
 */
import type { PackServices } from '@shuiyun/sdk';
import { financePeriodFor } from '../../finance/periods.js';

export type Which = 'tenant' | 'other';
export interface KitLike {
  services(packId: string, options?: { tenant?: Which }): PackServices;
}

let sequence = 0;
const prefix = () => `T${process.pid.toString(36).toUpperCase()}${Date.now().toString(36).toUpperCase().slice(-5)}${(sequence++).toString(36).toUpperCase()}`;

export interface TestAccount {
  id: string;
  accountNo: string;
}

/** `count` active accounts (each with its customer) in the tenant. */
export async function makeAccounts(kit: KitLike, count: number, options: { tenant?: Which; status?: 'active' | 'closed' } = {}): Promise<TestAccount[]> {
  const services = kit.services('billing', { tenant: options.tenant ?? 'tenant' });
  const p = prefix();
  const numbers = Array.from({ length: count }, (_, i) => `${p}-${i}`);
  return services.transaction(async (tx) => {
    const customers = await tx.query<{ id: string }>(
      `insert into pack_billing.customers (tenant_id, tenant_path, kind, name)
       select $1, $2::ltree, 'person', '测试' || n from unnest($3::text[]) with ordinality as x(n, o) order by o returning id::text`,
      [services.tenant.id, services.tenant.path, numbers],
    );
    const rows = await tx.query<{ id: string; account_no: string }>(
      `insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, tariff_code, status, opened_at)
       select $1, $2::ltree, n, c, 'residential', 'residential', $5, now() from unnest($3::text[], $4::bigint[]) with ordinality as x(n, c, o) order by o
       returning id::text, account_no`,
      [services.tenant.id, services.tenant.path, numbers, customers.map((c) => c.id), options.status ?? 'active'],
    );
    return rows.map((r) => ({ id: r.id, accountNo: r.account_no }));
  });
}

/** A charge of the account (an adjustment unless told), in the open finance period unless `financePeriod` is given. */
export async function addCharge(kit: KitLike, accountId: string, amountFen: bigint, dueDate: string, options: { tenant?: Which; kind?: 'bill' | 'late_fee' | 'adjustment'; financePeriod?: string } = {}): Promise<string> {
  const services = kit.services('billing', { tenant: options.tenant ?? 'tenant' });
  return services.transaction(async (tx) => {
    const period = options.financePeriod ?? (await financePeriodFor(tx, services.tenant, new Date()));
    const [row] = await tx.query<{ id: string }>(
      `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, amount_fen, due_date, finance_period)
       values ($1, $2::ltree, $3::bigint, $4, $5::bigint, $6::date, $7) returning id::text`,
      [services.tenant.id, services.tenant.path, accountId, options.kind ?? 'adjustment', amountFen.toString(), dueDate, period],
    );
    return row!.id;
  });
}

export interface ChargeState {
  id: string;
  amountFen: bigint;
  paidFen: bigint;
  waivedFen: bigint;
  allocatedFen: bigint;
}

/** The account's charges with Σ allocations per charge beside paid_fen. */
export async function chargeStates(kit: KitLike, accountId: string, tenant: Which = 'tenant'): Promise<ChargeState[]> {
  const rows = await kit.services('billing', { tenant }).transaction((tx) =>
    tx.query<{ id: string; amount_fen: string; paid_fen: string; waived_fen: string; allocated: string }>(
      `select c.id::text, c.amount_fen::text, c.paid_fen::text, c.waived_fen::text,
              coalesce((select sum(a.amount_fen) from pack_billing.allocations a where a.charge_id = c.id), 0)::text as allocated
         from pack_billing.charges c where c.account_id = $1::bigint order by c.due_date, c.id`,
      [accountId],
    ),
  );
  return rows.map((r) => ({ id: r.id, amountFen: BigInt(r.amount_fen), paidFen: BigInt(r.paid_fen), waivedFen: BigInt(r.waived_fen), allocatedFen: BigInt(r.allocated) }));
}

/** The local month of now in Asia/Shanghai (the demo tenants' zone). */
export function currentPeriod(): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).formatToParts(new Date());
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}

/** The local day of now in Asia/Shanghai. */
export function today(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

/** A unique request key. */
export const requestKey = () => `rk-${prefix()}-${Math.random().toString(36).slice(2, 10)}`;
