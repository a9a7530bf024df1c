/**
 * What the arrears part reads in several places: the tenant's local day, an account's arrears (欠费: what it
 * owes on charges already past their due date), an account with its customer, and the meters of the account's
 * household that can take valve commands (metering's remote meters with an IoT device code, still in use).
 * Every statement filters by the tenant's id besides row-level security.
 */
import type { PackTenant, PackTx } from '@shuiyun/sdk';
import { localDate } from '../domain/index.js';

/** The tenant's local calendar day now, 'YYYY-MM-DD'. */
export const todayOf = (tenant: PackTenant): string => localDate(new Date(), tenant.timeZone);

export interface Arrears {
  /** Outstanding fen of the charges due before `asOf` (the arrears). */
  arrearsFen: bigint;
  /** Outstanding fen of every open charge (arrears and charges not yet due). */
  outstandingFen: bigint;
  /** The oldest unpaid overdue charge: its id and due date; null without arrears. */
  oldestChargeId: string | null;
  oldestDueDate: string | null;
}

/** An account's arrears as of the local day `asOf` (charges due before it, not paid or waived). */
export async function accountArrears(tx: PackTx, tenant: PackTenant, accountId: string, asOf: string): Promise<Arrears> {
  const [row] = await tx.query<{ arrears: string; outstanding: string; oldest_id: string | null; oldest_due: string | null }>(
    `select coalesce(sum(amount_fen - paid_fen - waived_fen) filter (where due_date < $3::date), 0)::text as arrears,
            coalesce(sum(amount_fen - paid_fen - waived_fen), 0)::text as outstanding,
            (array_agg(id::text order by due_date, id) filter (where due_date < $3::date))[1] as oldest_id,
            to_char(min(due_date) filter (where due_date < $3::date), 'YYYY-MM-DD') as oldest_due
       from pack_billing.charges
      where tenant_id = $1 and account_id = $2::bigint and paid_fen + waived_fen < amount_fen`,
    [tenant.id, accountId, asOf],
  );
  return {
    arrearsFen: BigInt(row?.arrears ?? '0'),
    outstandingFen: BigInt(row?.outstanding ?? '0'),
    oldestChargeId: row?.oldest_id ?? null,
    oldestDueDate: row?.oldest_due ?? null,
  };
}

export interface AccountInfo {
  id: string;
  accountNo: string | null;
  status: string;
  householdId: string | null;
  customerName: string;
  community: string;
}

/** The account and its customer's name; `lock` takes the account row's lock (the pack's lock order starts there). */
export async function accountInfo(tx: PackTx, tenant: PackTenant, accountId: string, lock = false): Promise<AccountInfo | null> {
  if (lock) {
    const [locked] = await tx.query<{ id: string }>(`select id::text from pack_billing.accounts where tenant_id = $1 and id = $2::bigint for update`, [tenant.id, accountId]);
    if (!locked) return null;
  }
  const [row] = await tx.query<{ id: string; account_no: string | null; status: string; household_id: string | null; name: string; community: string }>(
    `select a.id::text, a.account_no, a.status, a.household_id::text, c.name, a.community
       from pack_billing.accounts a join pack_billing.customers c on c.id = a.customer_id
      where a.tenant_id = $1 and a.id = $2::bigint`,
    [tenant.id, accountId],
  );
  if (!row) return null;
  return { id: row.id, accountNo: row.account_no, status: row.status, householdId: row.household_id, customerName: row.name, community: row.community };
}

export interface ValveMeter {
  id: string;
  meterNo: string;
  device: string;
}

/** SQL condition on a metering meter record `m` that can take valve commands. */
export const VALVE_METER = `m.entity = 'metering_meter' and m.data->>'kind' = 'remote' and coalesce(m.data->>'device', '') <> ''
  and coalesce(m.data->>'status', '') not in ('swapped', 'retired')`;

/** The household's meters that can take valve commands (remote, with a device code, in use), by id. */
export async function valveMeters(tx: PackTx, tenant: PackTenant, householdId: string | null): Promise<ValveMeter[]> {
  if (householdId === null) return [];
  const rows = await tx.query<{ id: string; meter_no: string; device: string }>(
    `select m.id::text, coalesce(m.data->>'meterNo', '') as meter_no, m.data->>'device' as device
       from public.entity_records m
      where m.tenant_id = $1 and ${VALVE_METER} and m.data->>'household' = $2
      order by m.id`,
    [tenant.id, householdId],
  );
  return rows.map((r) => ({ id: r.id, meterNo: r.meter_no, device: r.device }));
}
