/**
 * Test fixtures of the billing pack, shared by every part's tests (keep the signatures stable):
 * - `createBillableAccounts` — metering households and meters made through metering's entity routes, and
 *   active billing customers and accounts inserted straight into `pack_billing` (fast: the real opening
 *   process belongs to the accounts part and has its own tests);
 * - `closeMeteringPeriod` — makes metering settle and close a period with given volumes per meter (hand
 *   readings at the period's last local day, then metering's settle and close routes), which emits
 *   `metering.period-closed`: the billing run follows;
 * - `waitForRun` — waits until the billing run of a period is done;
 * - `ensureTariff` — the Beijing residential tariff (5/7/9 元/m³ over 0–180/180–260/>260 m³ a year) for a
 *   code, when the tenant has no version of it yet.
 * Tenants are the kit's `tenant` (default) and `other`. Local times are Asia/Shanghai (the demo tenants').
 */
import type { PackTestKit } from '@shuiyun/sdk/testing';

export type KitTenantName = 'tenant' | 'other';

export interface BillableAccount {
  accountId: string;
  accountNo: string;
  householdId: string;
  meterIds: string[];
}

export interface CreateBillableAccountsOptions {
  count: number;
  /** Tariff code of the accounts; `residential` (Beijing's numbers, created when missing) unless told. */
  tariffCode?: string;
  householdSize?: number;
  nature?: 'residential' | 'non_residential' | 'special' | 'shared';
  tenant?: KitTenantName;
  /** Meters per household (1 unless told). */
  metersPerHousehold?: number;
  /** The meters' installation date (local), 2024-01-01 unless told; their initial reading is 0 L. */
  installedAt?: string;
  /** Community of the households (metering's settlement scope), 阳光小区 unless told. */
  community?: string;
  /** Entity-record requests in flight at once. */
  concurrency?: number;
}

/** The Beijing residential tariff (tap water), effective 2020-01-01: tiers on the calendar year. */
export const BEIJING_RESIDENTIAL = {
  accounting: { period: 'year', startMonth: 1 },
  boundsL: ['180000', '260000'],
  components: [
    { code: 'water', name: { 'zh-CN': '水费', en: 'Water supply' }, prices: ['20700', '40700', '60700'], shareBp: 10000 },
    { code: 'resource', name: { 'zh-CN': '水资源税', en: 'Water resource tax' }, prices: ['15700'], shareBp: 10000 },
    { code: 'sewage', name: { 'zh-CN': '污水处理费', en: 'Sewage treatment' }, prices: ['13600'], shareBp: 10000 },
  ],
  household: { fromPersons: 6, extraL: '30000', perPerson: true, bounds: 'all' },
  rounding: 'half_up',
  priceChange: 'days',
} as const;

let sequence = 0;
/** A prefix unique to this process and call, for account, household and meter numbers. */
const uniquePrefix = () => `${process.pid.toString(36).toUpperCase()}${Date.now().toString(36).toUpperCase().slice(-4)}${(sequence++).toString(36).toUpperCase()}`;

const tokenOf = (kit: PackTestKit, tenant: KitTenantName) => (tenant === 'other' ? kit.otherTenant.token : kit.tenant.token);
const tenantOf = (kit: PackTestKit, tenant: KitTenantName) => (tenant === 'other' ? kit.otherTenant : kit.tenant);

async function ok(kit: PackTestKit, tenant: KitTenantName, method: string, path: string, body?: unknown) {
  const res = await kit.request(method, path, { token: tokenOf(kit, tenant), ...(body === undefined ? {} : { body }) });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Runs `work` over `items`, `concurrency` at a time, answering results in order. */
async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await work(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Inserts version 1 of the tariff `code` (Beijing's residential numbers unless `definition`) when the tenant has none. */
export async function ensureTariff(kit: PackTestKit, options: { code?: string; tenant?: KitTenantName; effectiveFrom?: string; definition?: unknown } = {}): Promise<void> {
  const code = options.code ?? 'residential';
  const tenant = tenantOf(kit, options.tenant ?? 'tenant');
  await kit.services('billing', { tenant: options.tenant ?? 'tenant' }).transaction(async (tx) => {
    const [have] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.tariffs where tenant_id = $1 and code = $2`, [tenant.id, code]);
    if (have!.n > 0) return;
    await tx.query(
      `insert into pack_billing.tariffs (tenant_id, tenant_path, code, version, name, effective_from, definition)
       values ($1, $2::ltree, $3, 1, $4, $5::date, $6::jsonb) on conflict do nothing`,
      [tenant.id, tenant.path, code, `居民生活用水（${code}）`, options.effectiveFrom ?? '2020-01-01', JSON.stringify(options.definition ?? BEIJING_RESIDENTIAL)],
    );
  });
}

/**
 * Creates `count` metering households (one meter each, or `metersPerHousehold`) through metering's entity
 * routes, and for each an active billing customer and account paying for the household.
 */
export async function createBillableAccounts(kit: PackTestKit, options: CreateBillableAccountsOptions): Promise<BillableAccount[]> {
  const which = options.tenant ?? 'tenant';
  const tenant = tenantOf(kit, which);
  const tariffCode = options.tariffCode ?? 'residential';
  if (tariffCode === 'residential') await ensureTariff(kit, { tenant: which });
  const perHousehold = options.metersPerHousehold ?? 1;
  const prefix = uniquePrefix();
  const indexes = Array.from({ length: options.count }, (_, i) => i);
  const concurrency = options.concurrency ?? 6;

  const households = await pool(indexes, concurrency, async (i) => {
    const h = await ok(kit, which, 'POST', '/api/entities/metering_household/records', {
      data: { accountNo: `H${prefix}-${i}`, name: `用户${i}`, community: options.community ?? '阳光小区' },
    });
    const meterIds: string[] = [];
    for (let k = 0; k < perHousehold; k++) {
      const m = await ok(kit, which, 'POST', '/api/entities/metering_meter/records', {
        data: {
          meterNo: `M${prefix}-${i}-${k}`,
          kind: 'mechanical',
          household: h.id,
          initialReadingL: 0,
          installedAt: options.installedAt ?? '2024-01-01',
          status: 'in_service',
        },
      });
      meterIds.push(String(m.id));
    }
    return { householdId: String(h.id), meterIds };
  });

  const accounts = await kit.services('billing', { tenant: which }).transaction(async (tx) => {
    const names = indexes.map((i) => `测试用户${prefix}-${i}`);
    const customers = await tx.query<{ id: string }>(
      `insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone)
       select $1, $2::ltree, 'person', n, '1380000' || lpad((ord % 10000)::text, 4, '0')
         from unnest($3::text[]) with ordinality as x(n, ord)
       order by ord returning id`,
      [tenant.id, tenant.path, names],
    );
    const accountNos = indexes.map((i) => `A${prefix}-${i}`);
    return tx.query<{ id: string; account_no: string; household_id: string }>(
      `insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, household_size, household_id, community, tariff_code, status, opened_at)
       select $1, $2::ltree, no, c, $5, $6::int, h, $7, $8, 'active', now()
         from unnest($3::text[], $4::bigint[], $9::bigint[]) with ordinality as x(no, c, h, ord)
        order by ord
       returning id, account_no, household_id`,
      [
        tenant.id,
        tenant.path,
        accountNos,
        customers.map((c) => c.id),
        options.nature ?? 'residential',
        options.householdSize ?? 3,
        options.community ?? '阳光小区',
        tariffCode,
        households.map((h) => h.householdId),
      ],
    );
  });
  const byNo = new Map(accounts.map((a) => [a.account_no, a]));
  return indexes.map((i) => {
    const a = byNo.get(`A${prefix}-${i}`)!;
    return { accountId: String(a.id), accountNo: a.account_no, householdId: households[i]!.householdId, meterIds: households[i]!.meterIds };
  });
}

/** The last local day of a period 'YYYY-MM', as 'YYYY-MM-DD'. */
function lastDay(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${period}-${String(last).padStart(2, '0')}`;
}

export interface CloseMeteringPeriodOptions {
  period: string;
  /** The volume of each meter in the period (litres). A function is asked for every meter with a reading to give. */
  volumes: Map<string, bigint> | ((meterId: string) => bigint);
  /**
   * Meters to read: every meter of the map; with a function, these, or when absent every meter of the tenant
   * in service (installed, accepted, in service) and installed before the period's end.
   */
  meterIds?: readonly string[];
  tenant?: KitTenantName;
  /** Settle and close this scope ('*' unless told). */
  scope?: string;
  timeoutMs?: number;
}

/**
 * Gives each meter a hand reading at 12:00 (Asia/Shanghai) on the period's last day — its opening (the
 * end of its latest settlement, else its initial reading) plus its volume — then settles the period
 * through metering's route, waits until it is settled and closes it (metering emits
 * `metering.period-closed`). Meters of the scope without a reading are settled by metering as it sees fit
 * (estimated or missing). Answers metering's close answer.
 */
export async function closeMeteringPeriod(kit: PackTestKit, options: CloseMeteringPeriodOptions): Promise<Record<string, unknown>> {
  const which = options.tenant ?? 'tenant';
  const tenant = tenantOf(kit, which);
  const scope = options.scope ?? '*';
  const volumes = options.volumes;
  const volumeOf = (id: string): bigint => (volumes instanceof Map ? (volumes.get(id) ?? 0n) : volumes(id));
  const readAt = new Date(`${lastDay(options.period)}T12:00:00+08:00`);
  let meterIds = options.meterIds ?? (volumes instanceof Map ? [...volumes.keys()] : undefined);
  if (meterIds === undefined) {
    const [y, m] = options.period.split('-').map(Number) as [number, number];
    const end = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
    const rows = await kit.services('metering', { tenant: which }).transaction((tx) =>
      tx.query<{ id: string }>(
        `select id::text from entity_records where tenant_id = $1 and entity = 'metering_meter'
            and data->>'status' in ('installed', 'accepted', 'in_service') and data->>'installedAt' < $2 order by id`,
        [tenant.id, end],
      ),
    );
    meterIds = rows.map((r) => r.id);
  }

  if (meterIds.length > 0) {
    await kit.services('metering', { tenant: which }).transaction(async (tx) => {
      const openings = await tx.query<{ id: string; opening: string }>(
        `select m.id::text as id,
                coalesce((select s.end_l from pack_metering.settlements s where s.tenant_id = m.tenant_id and s.meter_id = m.id and s.period < $3 order by s.period desc limit 1),
                         coalesce((m.data->>'initialReadingL')::bigint, 0))::text as opening
           from entity_records m where m.tenant_id = $1 and m.entity = 'metering_meter' and m.id = any($2::bigint[])`,
        [tenant.id, meterIds, options.period],
      );
      const opening = new Map(openings.map((o) => [o.id, BigInt(o.opening)]));
      const values = meterIds.map((id) => {
        const base = opening.get(String(id));
        if (base === undefined) throw new Error(`closeMeteringPeriod: no meter ${id} in the tenant`);
        const v = volumeOf(String(id));
        if (v < 0n) throw new Error('closeMeteringPeriod: give non-negative volumes');
        return (base + v).toString();
      });
      await tx.query(
        `insert into pack_metering.readings (tenant_id, tenant_path, meter_id, read_at, value_l, source, status)
         select $1, $2::ltree, m, $3::timestamptz, v, 'hand', 'valid' from unnest($4::bigint[], $5::bigint[]) as x(m, v)`,
        [tenant.id, tenant.path, readAt, meterIds.map(String), values],
      );
    });
  }

  const settle = await kit.request('POST', `/api/ext/metering/periods/${options.period}/settle`, { token: tokenOf(kit, which), body: { scope } });
  if (settle.status !== 202) throw new Error(`settle ${options.period} → ${settle.status} ${JSON.stringify(settle.body)}`);
  await kit.until(
    async () => {
      const res = await kit.request('GET', `/api/ext/metering/periods/${options.period}?scope=${encodeURIComponent(scope)}`, { token: tokenOf(kit, which) });
      return res.status === 200 && res.body.status === 'settled' ? res.body : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 120_000, what: `metering period ${options.period} settled` },
  );
  return ok(kit, which, 'POST', `/api/ext/metering/periods/${options.period}/close`, { scope });
}

export interface RunSummary {
  id: number;
  period: string;
  scope: string;
  status: string;
  progress: { done: number; total: number | null };
  bills: number;
  skipped: number;
  amountFen: string;
  error: string | null;
}

/** Waits until the billing run of `period` (scope '*' unless told) is done and answers it; fails at once when it failed. */
export async function waitForRun(kit: PackTestKit, period: string, options: { tenant?: KitTenantName; scope?: string; timeoutMs?: number } = {}): Promise<RunSummary> {
  const which = options.tenant ?? 'tenant';
  const scope = options.scope ?? '*';
  return kit.until(
    async () => {
      const res = await kit.request('GET', `/api/ext/billing/runs?period=${period}&pageSize=200`, { token: tokenOf(kit, which) });
      if (res.status !== 200) throw new Error(`GET /runs → ${res.status} ${JSON.stringify(res.body)}`);
      const run = (res.body.items as RunSummary[]).find((r) => r.period === period && r.scope === scope);
      if (run?.status === 'failed') throw new Error(`the billing run of ${period} failed: ${run.error}`);
      return run?.status === 'done' ? run : undefined;
    },
    { timeoutMs: options.timeoutMs ?? 120_000, what: `the billing run of ${period} done` },
  );
}
