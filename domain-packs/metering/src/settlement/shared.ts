/**
 * What the settlement routes, the settlement worker and the adjustments share: the period row and how it
 * is created from the tenant's settlement plan, which meters a period's scope holds, and the bilingual
 * refusals. Litres are `bigint` (text on the wire), instants UTC (`timestamptz`, ISO text on the wire).
 */
import { PackError, type PackServices, type PackTx, type SqlParam } from '@shuiyun/sdk';
import { parsePeriod, periodBounds } from '../domain/index.js';
import { HOUSEHOLD, METER, PLAN } from '../archive/entities.js';

export { HOUSEHOLD, METER, PLAN };

export const DAY_MS = 86_400_000;
/** A period's name: the month of its last local day (see the domain's period module). */
export const PERIOD_PATTERN = /^[1-9][0-9]{3}-(0[1-9]|1[0-2])$/;
/** The scope of a tenant-wide period: every meter but those of a community with a plan of its own. */
export const TENANT_SCOPE = '*';
/** Meter statuses a period settles (a meter swapped out during the period is settled within its replacement's chain). */
export const SETTLED_STATUSES = ['installed', 'accepted', 'in_service', 'swapped'] as const;
/** End-reading tolerance when the plan does not say (the pack's seeded plan says 3 days too). */
export const DEFAULT_TOLERANCE_DAYS = 3;

export const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** `$1`, `$2` … for a statement built in pieces: `p.add(value)` answers the placeholder of the value. */
export class Params {
  readonly values: SqlParam[] = [];
  add(value: SqlParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A `pack_metering.periods` row as both drivers answer it. */
export interface PeriodRow {
  id: string;
  period: string;
  scope: string;
  plan_id: string | null;
  starts_at: Date | string;
  ends_at: Date | string;
  settlement_day: number;
  status: 'open' | 'settling' | 'settled' | 'closed';
  total: number | null;
  done: number;
  run_instance: string | null;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  closed_at: Date | string | null;
  closed_by: string | null;
  error: string | null;
}

export const PERIOD_COLUMNS = `id, period, scope, plan_id, starts_at, ends_at, settlement_day, status, total, done, run_instance,
  started_at, finished_at, closed_at, closed_by, error`;

export const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
export const iso = (value: Date | string | null): string | null => (value === null ? null : toDate(value).toISOString());

/** A period row as the API answers it. */
export function presentPeriod(row: PeriodRow) {
  return {
    id: Number(row.id),
    period: row.period,
    scope: row.scope,
    planId: row.plan_id === null ? null : Number(row.plan_id),
    startsAt: iso(row.starts_at),
    endsAt: iso(row.ends_at),
    settlementDay: row.settlement_day,
    status: row.status,
    progress: { done: row.done, total: row.total },
    runInstance: row.run_instance,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    closedAt: iso(row.closed_at),
    closedBy: row.closed_by === null ? null : Number(row.closed_by),
    error: row.error,
  };
}

export const refusals = {
  badPeriod: (period: string) => new PackError('validation_failed', l(`结算期应为 YYYY-MM：${period}`, `a period is YYYY-MM: ${period}`), 'params.period'),
  noPeriod: (period: string, scope: string) =>
    new PackError('not_found', l(`没有结算期 ${period}（范围 ${scope}）`, `no settlement period ${period} (scope ${scope})`), 'params.period'),
  noPlan: (scope: string) =>
    new PackError(
      'not_found',
      scope === TENANT_SCOPE ? l('没有全司结算计划（小区为空的结算计划）', 'no tenant-wide settlement plan (a plan with no community)') : l(`小区 ${scope} 没有结算计划`, `no settlement plan for the community ${scope}`),
      'body.scope',
    ),
  closed: (period: string) => new PackError('conflict', l(`结算期 ${period} 已关账锁定，请用调整单更正`, `the period ${period} is closed (locked): post an adjustment instead`), 'params.period'),
  notEnded: (period: string) => new PackError('conflict', l(`结算期 ${period} 尚未结束`, `the period ${period} has not ended yet`), 'params.period'),
  notSettled: (period: string, status: string) =>
    new PackError('conflict', l(`结算期 ${period} 尚未结算完成（状态 ${status}），不能关账`, `the period ${period} is not settled (status ${status}): it cannot be closed`), 'params.period'),
};

/** Parses a period name, refusing with 400 what the domain does not accept. */
export function checkedPeriod(period: string): string {
  try {
    parsePeriod(period);
    return period;
  } catch {
    throw refusals.badPeriod(period);
  }
}

export interface Plan {
  id: string;
  dayOfMonth: number;
  toleranceDays: number;
  community: string | null;
}

interface PlanRow {
  id: string;
  day: string | null;
  tolerance: string | null;
  community: string | null;
}

const planOf = (row: PlanRow): Plan => ({
  id: row.id,
  dayOfMonth: Number(row.day ?? 1),
  toleranceDays: row.tolerance === null ? DEFAULT_TOLERANCE_DAYS : Number(row.tolerance),
  community: row.community,
});

const PLAN_SELECT = `select id, data->>'dayOfMonth' as day, data->>'toleranceDays' as tolerance, nullif(data->>'community', '') as community
  from entity_records where tenant_id = $1 and entity = '${PLAN}'`;

/** The settlement plan of a scope: the tenant-wide one (no community) for '*', the community's own otherwise. */
export async function planForScope(tx: PackTx, tenantId: number, scope: string): Promise<Plan | undefined> {
  const rows =
    scope === TENANT_SCOPE
      ? await tx.query<PlanRow>(`${PLAN_SELECT} and coalesce(data->>'community', '') = '' order by id limit 1`, [tenantId])
      : await tx.query<PlanRow>(`${PLAN_SELECT} and data->>'community' = $2 order by id limit 1`, [tenantId, scope]);
  return rows[0] ? planOf(rows[0]) : undefined;
}

/** The plan a period row was made from (its tolerance is read at settlement time); defaults when it is gone. */
export async function planOfPeriod(tx: PackTx, tenantId: number, row: PeriodRow): Promise<Plan> {
  if (row.plan_id !== null) {
    const [found] = await tx.query<PlanRow>(`${PLAN_SELECT} and id = $2`, [tenantId, row.plan_id]);
    if (found) return planOf(found);
  }
  return { id: row.plan_id ?? '0', dayOfMonth: row.settlement_day, toleranceDays: DEFAULT_TOLERANCE_DAYS, community: row.scope === TENANT_SCOPE ? null : row.scope };
}

/** Communities with a settlement plan of their own: their meters are not in the tenant-wide scope. */
export async function communitiesWithPlans(tx: PackTx, tenantId: number): Promise<string[]> {
  const rows = await tx.query<{ community: string }>(
    `select distinct data->>'community' as community from entity_records
      where tenant_id = $1 and entity = '${PLAN}' and coalesce(data->>'community', '') <> '' order by 1`,
    [tenantId],
  );
  return rows.map((r) => r.community);
}

/**
 * SQL condition on a meter record (alias `m`) for the scope: a community scope holds the meters whose
 * household is in the community; the tenant-wide scope every other meter (those without a household too).
 */
export function scopeCondition(p: Params, alias: string, scope: string, ownPlans: readonly string[]): string {
  const community = `(select h.data->>'community' from entity_records h
      where h.tenant_id = ${alias}.tenant_id and h.entity = '${HOUSEHOLD}' and h.id = (${alias}.data->>'household')::bigint)`;
  if (scope !== TENANT_SCOPE) return `${community} = ${p.add(scope)}`;
  if (ownPlans.length === 0) return 'true';
  return `coalesce(${community} <> all(${p.add(ownPlans)}::text[]), true)`;
}

/**
 * SQL condition for the meters a period settles (alias `m`): meter records of the tenant in a settled
 * status, installed before the period's last local day ended, not swapped out before the period's end
 * (a meter swapped out during the period is part of its replacement's chain), in the scope.
 */
export function dueCondition(p: Params, alias: string, tenantId: number, row: PeriodRow, endDate: string, scope: string, ownPlans: readonly string[]): string {
  return `${alias}.tenant_id = ${p.add(tenantId)} and ${alias}.entity = '${METER}'
    and ${alias}.data->>'status' = any(${p.add([...SETTLED_STATUSES])}::text[])
    and ${alias}.data->>'installedAt' < ${p.add(endDate)}
    and not exists (select 1 from pack_metering.swaps w
      where w.tenant_id = ${alias}.tenant_id and w.old_meter_id = ${alias}.id and w.swapped_at < ${p.add(toDate(row.ends_at))}::timestamptz)
    and ${scopeCondition(p, alias, scope, ownPlans)}`;
}

/** The local date (YYYY-MM-DD) of an instant in a time zone: a period's end is local midnight of that day. */
export function localDate(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant).map((x) => [x.type, x.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** Locks and answers the period row of (period, scope), or undefined. */
export async function lockPeriod(tx: PackTx, tenantId: number, period: string, scope: string): Promise<PeriodRow | undefined> {
  const [row] = await tx.query<PeriodRow>(`select ${PERIOD_COLUMNS} from pack_metering.periods where tenant_id = $1 and period = $2 and scope = $3 for update`, [tenantId, period, scope]);
  return row;
}

/**
 * Finds the period row of (period, scope), or creates it (status open) with its bounds computed by the
 * domain's period module from the scope's settlement plan in the tenant's time zone; answers it locked.
 * Two callers at once: the second's insert waits for the first's and does nothing, then both lock one row.
 */
export async function findOrCreatePeriod(tx: PackTx, services: PackServices, period: string, scope: string, fallback?: { settlementDay: number; planId: string | null }): Promise<PeriodRow> {
  const tenantId = services.tenant.id;
  const existing = await lockPeriod(tx, tenantId, period, scope);
  if (existing) return existing;
  const plan = await planForScope(tx, tenantId, scope);
  if (!plan && !fallback) throw refusals.noPlan(scope);
  const day = plan?.dayOfMonth ?? fallback!.settlementDay;
  const { startsAt, endsAt } = periodBounds(period, day, services.tenant.timeZone);
  await tx.query(
    `insert into pack_metering.periods (tenant_id, tenant_path, period, scope, plan_id, starts_at, ends_at, settlement_day)
     values ($1, $2::ltree, $3, $4, $5::bigint, $6::timestamptz, $7::timestamptz, $8::int)
     on conflict (tenant_id, period, scope) do nothing`,
    [tenantId, services.tenant.path, period, scope, plan?.id ?? fallback?.planId ?? null, startsAt, endsAt, day],
  );
  const row = await lockPeriod(tx, tenantId, period, scope);
  if (!row) throw new Error(`period ${period} (${scope}) was not created`);
  return row;
}

/** The scope a meter is settled in: its household's community when that community has a plan of its own. */
export async function scopeOfMeter(tx: PackTx, tenantId: number, meterId: string): Promise<string> {
  const [row] = await tx.query<{ community: string | null }>(
    `select h.data->>'community' as community from entity_records m
       join entity_records h on h.tenant_id = m.tenant_id and h.entity = '${HOUSEHOLD}' and h.id = (m.data->>'household')::bigint
      where m.tenant_id = $1 and m.entity = '${METER}' and m.id = $2::bigint`,
    [tenantId, meterId],
  );
  if (!row?.community) return TENANT_SCOPE;
  const own = await communitiesWithPlans(tx, tenantId);
  return own.includes(row.community) ? row.community : TENANT_SCOPE;
}

/** Litres as the API writes them. */
export const litres = (value: bigint | string | null | undefined): string => (value === null || value === undefined ? '0' : BigInt(value).toString());
