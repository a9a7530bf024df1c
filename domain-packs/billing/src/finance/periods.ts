/**
 * 会计期: which accounting period money posts into. A period is the tenant's local calendar month; money
 * posted at an instant goes to that month's period while it is open, else to the earliest open later one
 * (a closed period takes nothing more: corrections post in the open one). The month's row is created on
 * first use. The schema's trigger (`finance/schema.ts`) refuses postings into a closed period whoever writes.
 */
import type { PackTenant, PackTx } from '@shuiyun/sdk';
import { localDate, nextPeriod, periodOf } from '../domain/index.js';

/** The local month (`YYYY-MM`) of an instant in a time zone. */
export function localMonth(at: Date, timeZone: string): string {
  return periodOf(localDate(at, timeZone));
}

/**
 * The open accounting period money posted at `at` belongs to: the local month of `at` (its row created if
 * missing), or, when that month is closed, the earliest open later month (created when there is none).
 * One statement in the common case.
 */
export async function financePeriodFor(tx: PackTx, tenant: PackTenant, at: Date): Promise<string> {
  let period = localMonth(at, tenant.timeZone);
  for (let i = 0; i < 1200; i++) {
    const [row] = await tx.query<{ period: string | null }>(
      `with ins as (
         insert into pack_billing.finance_periods (tenant_id, tenant_path, period) values ($1, $2::ltree, $3)
         on conflict (tenant_id, period) do nothing returning period
       )
       select coalesce(
         (select period from ins),
         (select period from pack_billing.finance_periods where tenant_id = $1 and period >= $3 and status = 'open' order by period limit 1)
       ) as period`,
      [tenant.id, tenant.path, period],
    );
    if (row?.period) return row.period;
    // This month and every later one that exists are closed: the month after the last closed one opens.
    const [last] = await tx.query<{ period: string }>(
      `select max(period) as period from pack_billing.finance_periods where tenant_id = $1 and period >= $2`,
      [tenant.id, period],
    );
    period = nextPeriod(last?.period ?? period);
  }
  throw new Error('no open finance period found within 100 years');
}
