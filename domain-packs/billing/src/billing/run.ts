/**
 * The billing run's work (`billing.run-period`): a bill for every active account of the scope whose metering
 * household had a meter settled in the period, in batches of accounts in id order (keyset), one transaction
 * per batch. First, once per run, the period's settled volumes (and the metering adjustments posted into it)
 * are staged by household into `run_meters` by three set-based statements — metering's meter records have
 * no index on their household, so looking a household's meters up account by account would scan the
 * archive. Then a batch is a handful of statements whatever its size:
 *   1. lock the run row and read its cursor (a second worker on the same run waits here, then continues
 *      after the first one's batch: batches never overlap);
 *   2. the next accounts after the cursor, locked (the pack's lock order: account rows, then charges);
 *   3. for those accounts at once: their households' staged meters, the volume already billed earlier in the
 *      tariff's accounting year, whether the period is billed already, whether the account may hold prepaid
 *      credit;
 *   4. pricing in TypeScript (the domain's `priceVolume` over the period's local dates);
 *   5. one multi-row insert each for bills (`on conflict (tenant_id, account_id, period) do nothing`: a bill
 *      already there stays as it is), their lines, their charges (amount > 0) and their notices;
 *   6. prepaid credit set against the new charges (`applyCredit`) for the accounts that may hold some;
 *   7. the run's cursor, counters and heartbeat.
 * A crash or a deadline loses at most the batch in flight; the next attempt resumes after the cursor, and
 * the bills' unique key makes any overlap harmless. Volumes are litres (bigint), money fen (bigint).
 *
 * Rules: the volume of an account is Σ its household's meters' settled volumes plus the adjustments posted
 * into the period for them; a negative total (a corrected meter) bills 0 L. An account whose household has
 * no settlement record (nor adjustment) in the period is skipped, counted in `runs.skipped`. An account
 * that cannot be priced (no tariff version in force) is not billed and is listed in `runs.failures`.
 */
import type { PackServices, PackTx } from '@shuiyun/sdk';
import { loadTariffVersions } from '../accounts/tariffs.js';
import { accountingYearOf, addDays, formatM3, formatYuan, localDate, priceVolume, versionInForce, type PricedLine, type TariffVersion } from '../domain/index.js';
import { financePeriodFor } from '../finance/periods.js';
import { applyCredit } from '../payments/ledger.js';
import { loadNotifySettings, notifyMany, type NotifyMessage } from '../notify/notify.js';
import { l, Params, toDate } from '../shared.js';
import { RUN_COLUMNS, RUN_FINISHED, TENANT_SCOPE, type RunFinished, type RunRow } from './runs.js';

export const HOUSEHOLD = 'metering_household';
export const METER = 'metering_meter';
export const PLAN = 'metering_plan';
export const DEFAULT_BATCH = 2_000;
const MAX_FAILURES_LISTED = 100;

export interface RunOptions {
  /** Accounts per batch (one transaction); `BILLING_RUN_BATCH` or 2 000 unless told. */
  batchSize?: number;
  /** Stops between batches when aborted (the job's deadline, the runtime stopping); the next attempt resumes. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RunResult {
  runId: string;
  status: string;
  total: number;
  done: number;
  bills: number;
  skipped: number;
  failed: number;
  amountFen: string;
}

/** Batch size from the environment (`BILLING_RUN_BATCH`), else the default. */
export function batchSizeFromEnv(): number {
  const n = Number(process.env.BILLING_RUN_BATCH);
  return Number.isInteger(n) && n >= 1 && n <= 50_000 ? n : DEFAULT_BATCH;
}

interface MeterLine {
  meterId: string;
  meterNo: string | null;
  volumeL: string;
  startL: string | null;
  endL: string | null;
  source: string | null;
  adjustmentL: string;
}

interface Tariff {
  versions: TariffVersion[];
  /** The first period of the accounting year the run's period is in (cumulative tiers count from it). */
  firstPeriod: string;
}

/** What stays the same for every batch of a run. */
interface RunContext {
  services: PackServices;
  runId: string;
  period: string;
  scope: string;
  /** Local dates of the period, end exclusive. */
  periodStart: string;
  periodEnd: string;
  startsAt: Date;
  endsAt: Date;
  ownPlans: string[];
  tariffs: Map<string, Tariff | { error: string }>;
  dueDays: number;
  batchSize: number;
}

/** ` and …` keeping accounts (alias `a`) whose household is in the scope (metering's rule: see its settlement scopes). */
function scopeCondition(p: Params, scope: string, ownPlans: readonly string[]): string {
  const community = `(select h.data->>'community' from entity_records h where h.tenant_id = a.tenant_id and h.entity = '${HOUSEHOLD}' and h.id = a.household_id)`;
  if (scope !== TENANT_SCOPE) return ` and ${community} = ${p.add(scope)}`;
  if (ownPlans.length === 0) return '';
  return ` and coalesce(${community} <> all(${p.add([...ownPlans])}::text[]), true)`;
}

/** The tariff versions and accounting year of each code, loaded once per run (an error per code that has none in force). */
async function loadTariffs(tx: PackTx, codes: readonly string[], period: string, periodStart: string): Promise<Map<string, Tariff | { error: string }>> {
  const tariffs = new Map<string, Tariff | { error: string }>();
  for (const code of codes) {
    const versions = await loadTariffVersions(tx, code);
    const inForce = versions.length > 0 ? (versionInForce(versions, periodStart) ?? null) : null;
    if (!inForce) {
      tariffs.set(code, { error: versions.length === 0 ? `no tariff '${code}'` : `no version of tariff '${code}' is in force on ${periodStart}` });
      continue;
    }
    tariffs.set(code, { versions, firstPeriod: accountingYearOf(inForce.definition, period).firstPeriod });
  }
  return tariffs;
}

async function loadTariffsOfBatch(tx: PackTx, context: RunContext, codes: Iterable<string>): Promise<void> {
  const missing = [...new Set(codes)].filter((c) => !context.tariffs.has(c));
  if (missing.length === 0) return;
  for (const [code, tariff] of await loadTariffs(tx, missing, context.period, context.periodStart)) context.tariffs.set(code, tariff);
}

/**
 * The period's metered volumes by household, into `run_meters`: every meter settled in the period, the
 * adjustments posted into it added to their meters (or as meters of their own when a meter has no settlement
 * in the period), with the household the meter's archive record names. A closed metering period changes no
 * more, so a run stages once (a run that starts over stages again).
 */
async function stageMeters(tx: PackTx, services: PackServices, row: RunRow): Promise<void> {
  const tenant = services.tenant;
  const params = [tenant.id, tenant.path, row.id, row.period];
  await tx.query(`delete from pack_billing.run_meters where run_id = $1::bigint`, [row.id]);
  // The meter record of each row is read by a correlated look-up on its id (an index condition whatever
  // the planner believes of freshly written tables; a join could be planned as a scan of every meter per row).
  const household = (meter: string) =>
    `(select m.data->>'household' from entity_records m where m.id = ${meter} and m.tenant_id = $1 and m.entity = '${METER}')`;
  await tx.query(
    `insert into pack_billing.run_meters (tenant_id, tenant_path, run_id, household_id, meter_id, meter_no, settled, volume_l, start_l, end_l, source)
     select $1, $2::ltree, $3::bigint, x.household::bigint, x.meter_id, x.meter_no, true, x.volume_l, x.start_l, x.end_l, x.source
       from (select s.meter_id, s.meter_no, s.volume_l, s.start_l, s.end_l, s.source, ${household('s.meter_id')} as household
               from pack_metering.settlements s where s.tenant_id = $1 and s.period = $4) x
      where x.household ~ '^[0-9]{1,18}$'`,
    params,
  );
  const adjusted = `select meter_id, sum(volume_l) as volume_l from pack_metering.adjustments where tenant_id = $1 and period = $4 group by meter_id`;
  await tx.query(
    `update pack_billing.run_meters r set adjustment_l = a.volume_l from (${adjusted}) a
      where r.run_id = $3::bigint and r.meter_id = a.meter_id and $2::text is not null`,
    params,
  );
  await tx.query(
    `insert into pack_billing.run_meters (tenant_id, tenant_path, run_id, household_id, meter_id, meter_no, settled, adjustment_l)
     select $1, $2::ltree, $3::bigint, x.household::bigint, x.meter_id,
            (select m.data->>'meterNo' from entity_records m where m.id = x.meter_id and m.tenant_id = $1), false, x.volume_l
       from (select a.meter_id, a.volume_l, ${household('a.meter_id')} as household from (${adjusted}) a
              where not exists (select 1 from pack_billing.run_meters r where r.run_id = $3::bigint and r.meter_id = a.meter_id)) x
      where x.household ~ '^[0-9]{1,18}$'`,
    params,
  );
}

/** Starts (or resumes) the run `runId`: marks it running and counts its accounts; answers its context, or the row when it is done. */
async function begin(services: PackServices, runId: string, batchSize: number): Promise<{ context: RunContext; row: RunRow } | { done: RunRow }> {
  const tenant = services.tenant;
  return services.transaction(async (tx) => {
    const [row] = await tx.query<RunRow>(`select ${RUN_COLUMNS} from pack_billing.runs where tenant_id = $1 and id = $2::bigint for update`, [tenant.id, runId]);
    if (!row) throw new Error(`no billing run ${runId} in this tenant`);
    if (row.status === 'done') return { done: row };
    const ownPlans =
      row.scope === TENANT_SCOPE
        ? (
            await tx.query<{ community: string }>(
              `select distinct data->>'community' as community from entity_records where tenant_id = $1 and entity = '${PLAN}' and coalesce(data->>'community', '') <> '' order by 1`,
              [tenant.id],
            )
          ).map((r) => r.community)
        : [];
    const p = new Params();
    const where = `a.tenant_id = ${p.add(tenant.id)} and a.status = 'active'${scopeCondition(p, row.scope, ownPlans)}`;
    let total = row.total;
    if (total === null) {
      const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.accounts a where ${where}`, p.values);
      total = count!.n;
    }
    const [settings] = await tx.query<{ due_days: number }>(`select due_days from pack_billing.settings where tenant_id = $1`, [tenant.id]);
    if (row.staged_at === null) await stageMeters(tx, services, row);
    const [updated] = await tx.query<RunRow>(
      `update pack_billing.runs set status = 'running', total = $2::int, error = null, started_at = coalesce(started_at, now()), heartbeat_at = now(),
              staged_at = coalesce(staged_at, now())
        where id = $1::bigint returning ${RUN_COLUMNS}`,
      [row.id, total],
    );
    const startsAt = toDate(row.starts_at);
    const endsAt = toDate(row.ends_at);
    const periodStart = localDate(startsAt, tenant.timeZone);
    const context: RunContext = {
      services,
      runId: row.id,
      period: row.period,
      scope: row.scope,
      periodStart,
      periodEnd: localDate(endsAt, tenant.timeZone),
      startsAt,
      endsAt,
      ownPlans,
      tariffs: new Map(),
      dueDays: settings?.due_days ?? 30,
      batchSize,
    };
    return { context, row: updated! };
  });
}

interface AccountRow {
  id: string;
  account_no: string;
  household_id: string | null;
  household_size: number;
  tariff_code: string;
}

interface DataRow {
  id: string;
  cumulative: string;
  billed: boolean;
  may_have_credit: boolean;
  meters: MeterLine[] | string | null;
}

interface PricedBill {
  account: AccountRow;
  volumeL: bigint;
  cumulativeBeforeL: bigint;
  amountFen: bigint;
  lines: PricedLine[];
  meters: MeterLine[];
  mayHaveCredit: boolean;
}

interface BatchOutcome {
  finished: boolean;
  done: number;
  total: number | null;
}

/** One batch: see the module comment. */
async function runBatch(tx: PackTx, context: RunContext): Promise<BatchOutcome> {
  const { services, period } = context;
  const tenant = services.tenant;
  // 1. The run row, locked: the cursor this batch continues from.
  const [run] = await tx.query<RunRow>(`select ${RUN_COLUMNS} from pack_billing.runs where id = $1::bigint for update`, [context.runId]);
  if (!run) throw new Error(`the billing run ${context.runId} is gone`);
  if (run.status === 'done') return { finished: true, done: run.done, total: run.total };

  // 2. The next accounts of the scope, locked.
  const p = new Params();
  const accounts = await tx.query<AccountRow>(
    `select a.id::text, a.account_no, a.household_id::text, a.household_size, a.tariff_code
       from pack_billing.accounts a
      where a.tenant_id = ${p.add(tenant.id)} and a.status = 'active' and a.id > ${p.add(run.cursor_account_id)}::bigint${scopeCondition(p, context.scope, context.ownPlans)}
      order by a.id limit ${p.add(context.batchSize)}::int
      for update of a`,
    p.values,
  );
  if (accounts.length === 0) return { finished: true, done: run.done, total: run.total };
  await loadTariffsOfBatch(tx, context, accounts.map((a) => a.tariff_code));

  // 3. Volumes, cumulative volume, billed already, possible prepaid credit — for the batch at once.
  const firstPeriods = accounts.map((a) => {
    const t = context.tariffs.get(a.tariff_code);
    return t && 'firstPeriod' in t ? t.firstPeriod : period;
  });
  const data = await tx.query<DataRow>(
    `with acc as (select * from unnest($2::bigint[], $3::bigint[], $4::text[]) as x(id, household, first_period))
     select acc.id::text as id,
            (select coalesce(sum(b.volume_l), 0) from pack_billing.bills b
              where b.tenant_id = $1 and b.account_id = acc.id and b.period >= acc.first_period and b.period < $5)::text as cumulative,
            exists (select 1 from pack_billing.bills b where b.tenant_id = $1 and b.account_id = acc.id and b.period = $5) as billed,
            exists (select 1 from pack_billing.payments q
                     where q.tenant_id = $1 and q.account_id = acc.id and q.status = 'booked'
                       and q.amount_fen > coalesce((select sum(al.amount_fen) from pack_billing.allocations al where al.tenant_id = $1 and al.payment_id = q.id), 0)) as may_have_credit,
            (select json_agg(json_build_object('meterId', rm.meter_id::text, 'meterNo', rm.meter_no, 'volumeL', rm.volume_l::text, 'startL', rm.start_l::text,
                                               'endL', rm.end_l::text, 'source', rm.source, 'adjustmentL', rm.adjustment_l::text) order by rm.meter_id)
               from pack_billing.run_meters rm where rm.run_id = $6::bigint and rm.household_id = acc.household) as meters
       from acc`,
    [tenant.id, accounts.map((a) => a.id), accounts.map((a) => a.household_id), firstPeriods, period, context.runId],
  );
  const byId = new Map(data.map((d) => [d.id, d]));

  // 4. Pricing.
  const priced: PricedBill[] = [];
  let skipped = 0;
  const failures: { accountId: number; accountNo: string; reason: string }[] = [];
  for (const account of accounts) {
    const d = byId.get(account.id)!;
    if (d.billed) continue;
    const meters = (typeof d.meters === 'string' ? (JSON.parse(d.meters) as MeterLine[]) : d.meters) ?? [];
    if (meters.length === 0) {
      skipped++;
      continue;
    }
    const tariff = context.tariffs.get(account.tariff_code);
    if (!tariff || 'error' in tariff) {
      failures.push({ accountId: Number(account.id), accountNo: account.account_no, reason: tariff?.error ?? `no tariff '${account.tariff_code}'` });
      continue;
    }
    let total = 0n;
    for (const m of meters) total += BigInt(m.volumeL) + BigInt(m.adjustmentL);
    const volumeL = total > 0n ? total : 0n;
    const cumulativeBeforeL = BigInt(d.cumulative);
    try {
      const price = priceVolume({ versions: tariff.versions, periodStart: context.periodStart, periodEnd: context.periodEnd, volumeL, cumulativeBeforeL, householdSize: account.household_size });
      priced.push({ account, volumeL, cumulativeBeforeL, amountFen: price.amountFen, lines: price.lines, meters, mayHaveCredit: d.may_have_credit });
    } catch (error) {
      failures.push({ accountId: Number(account.id), accountNo: account.account_no, reason: (error instanceof Error ? error.message : String(error)).slice(0, 300) });
    }
  }

  // 5. Bills, lines, charges, notices.
  let bills = 0;
  let amount = 0n;
  if (priced.length > 0) {
    const now = new Date();
    const issueDate = localDate(now, tenant.timeZone);
    const dueDate = addDays(issueDate, context.dueDays);
    const financePeriod = await financePeriodFor(tx, tenant, now);
    const inserted = await tx.query<{ id: string; account_id: string }>(
      `insert into pack_billing.bills (tenant_id, tenant_path, account_id, period, run_id, period_start, period_end, volume_l, cumulative_before_l, amount_fen,
                                       tariff_code, meters, due_date, finance_period, issued_at)
       select $1, $2::ltree, x.account_id, $3, $4::bigint, $5::timestamptz, $6::timestamptz, x.volume_l, x.cumulative_l, x.amount_fen, x.tariff_code, x.meters::jsonb,
              $7::date, $8, $9::timestamptz
         from unnest($10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[]) as x(account_id, volume_l, cumulative_l, amount_fen, tariff_code, meters)
       on conflict (tenant_id, account_id, period) do nothing
       returning id::text, account_id::text`,
      [
        tenant.id,
        tenant.path,
        period,
        context.runId,
        context.startsAt,
        context.endsAt,
        dueDate,
        financePeriod,
        now,
        priced.map((b) => b.account.id),
        priced.map((b) => b.volumeL),
        priced.map((b) => b.cumulativeBeforeL),
        priced.map((b) => b.amountFen),
        priced.map((b) => b.account.tariff_code),
        priced.map((b) => JSON.stringify(b.meters)),
      ],
    );
    const billOf = new Map(inserted.map((r) => [r.account_id, r.id]));
    const issued = priced.filter((b) => billOf.has(b.account.id));
    bills = issued.length;
    for (const b of issued) amount += b.amountFen;

    const lines = issued.flatMap((b) => b.lines.map((line) => ({ billId: billOf.get(b.account.id)!, line })));
    if (lines.length > 0) {
      await tx.query(
        `insert into pack_billing.bill_lines (tenant_id, tenant_path, bill_id, component, component_name, component_name_en, tier, tariff_version, volume_l, charged_l, price_units, amount_fen)
         select $1, $2::ltree, x.bill_id, x.component, x.name, x.name_en, x.tier, x.version, x.volume_l, x.charged_l, x.price_units, x.amount_fen
           from unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
                as x(bill_id, component, name, name_en, tier, version, volume_l, charged_l, price_units, amount_fen)`,
        [
          tenant.id,
          tenant.path,
          lines.map((x) => x.billId),
          lines.map((x) => x.line.component),
          lines.map((x) => x.line.componentName['zh-CN']),
          lines.map((x) => x.line.componentName.en),
          lines.map((x) => x.line.tier),
          lines.map((x) => x.line.version),
          lines.map((x) => x.line.volumeL),
          lines.map((x) => x.line.chargedL),
          lines.map((x) => x.line.priceUnits),
          lines.map((x) => x.line.amountFen),
        ],
      );
    }

    const owing = issued.filter((b) => b.amountFen > 0n);
    if (owing.length > 0) {
      await tx.query(
        `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, bill_id, amount_fen, due_date, finance_period)
         select $1, $2::ltree, x.account_id, 'bill', x.bill_id, x.amount_fen, $3::date, $4
           from unnest($5::bigint[], $6::bigint[], $7::bigint[]) as x(account_id, bill_id, amount_fen)`,
        [tenant.id, tenant.path, dueDate, financePeriod, owing.map((b) => b.account.id), owing.map((b) => billOf.get(b.account.id)!), owing.map((b) => b.amountFen)],
      );
      // 6. Prepaid credit against the new charges: the accounts are locked (step 2).
      for (const b of owing) if (b.mayHaveCredit) await applyCredit(tx, tenant, b.account.id, financePeriod);
    }

    const settings = await loadNotifySettings(tx, tenant);
    const messages: NotifyMessage[] = issued.map((b) => {
      const billId = billOf.get(b.account.id)!;
      const m3 = formatM3(b.volumeL);
      const yuan = formatYuan(b.amountFen);
      return {
        accountId: b.account.id,
        kind: 'bill',
        dedupeKey: `bill:${billId}`,
        title: l(`${period} 水费账单`, `Water bill ${period}`),
        body: l(
          `户号 ${b.account.account_no}：本期用水 ${m3} 立方米，应缴 ${yuan} 元，请于 ${dueDate} 前缴纳。`,
          `Account ${b.account.account_no}: ${m3} m³ this period, ${yuan} yuan due by ${dueDate}.`,
        ),
      };
    });
    await notifyMany(tx, tenant, messages, settings);
  }

  // 7. The cursor, counters and heartbeat.
  const last = accounts[accounts.length - 1]!.id;
  const [updated] = await tx.query<{ done: number; total: number | null }>(
    `update pack_billing.runs set cursor_account_id = $2::bigint, done = done + $3::int, bills = bills + $4::int, skipped = skipped + $5::int,
            amount_fen = amount_fen + $6::bigint, failed = failed + $7::int,
            failures = case when jsonb_array_length(failures) >= ${MAX_FAILURES_LISTED} then failures
                            else failures || (select coalesce(jsonb_agg(f), '[]'::jsonb) from (select f from jsonb_array_elements($8::jsonb) as f limit ${MAX_FAILURES_LISTED}) x) end,
            heartbeat_at = now()
      where id = $1::bigint returning done, total`,
    [context.runId, last, accounts.length, bills, skipped, amount, failures.length, JSON.stringify(failures)],
  );
  return { finished: accounts.length < context.batchSize, done: updated!.done, total: updated!.total };
}

/** Marks the run done (once) and emits `billing.run-finished` in the same transaction. */
async function finish(services: PackServices, runId: string): Promise<RunRow> {
  return services.transaction(async (tx) => {
    const [row] = await tx.query<RunRow>(`select ${RUN_COLUMNS} from pack_billing.runs where id = $1::bigint for update`, [runId]);
    if (!row) throw new Error(`the billing run ${runId} is gone`);
    if (row.status === 'done') return row;
    const error = row.failed > 0 ? `${row.failed} account(s) not billed: see failures` : null;
    await tx.query(`delete from pack_billing.run_meters where run_id = $1::bigint`, [runId]);
    const [done] = await tx.query<RunRow>(
      `update pack_billing.runs set status = 'done', finished_at = now(), heartbeat_at = now(), staged_at = null, error = $2, total = greatest(coalesce(total, 0), done)
        where id = $1::bigint returning ${RUN_COLUMNS}`,
      [runId, error],
    );
    const payload: RunFinished = {
      tenantId: services.tenant.id,
      runId: Number(done!.id),
      period: done!.period,
      scope: done!.scope,
      bills: done!.bills,
      skipped: done!.skipped,
      failed: done!.failed,
      amountFen: String(done!.amount_fen),
    };
    await tx.emit(RUN_FINISHED, payload);
    return done!;
  });
}

const summary = (row: RunRow): RunResult => ({
  runId: row.id,
  status: row.status,
  total: row.total ?? 0,
  done: row.done,
  bills: row.bills,
  skipped: row.skipped,
  failed: row.failed,
  amountFen: String(row.amount_fen),
});

/** Runs (or resumes) the billing run `runId` to its end; answers its totals. */
export async function runBilling(services: PackServices, runId: string, options: RunOptions = {}): Promise<RunResult> {
  const started = await begin(services, runId, options.batchSize ?? batchSizeFromEnv());
  if ('done' in started) return summary(started.done);
  const { context, row } = started;
  const report = (done: number, total: number | null) => {
    options.onProgress?.(done, total ?? done);
    services.progress?.(done, total);
  };
  report(row.done, row.total);
  for (;;) {
    if (options.signal?.aborted) throw new Error(`the billing run of ${context.period} (${context.scope}) stopped: ${String(options.signal.reason ?? 'aborted')}`);
    const outcome = await services.transaction((tx) => runBatch(tx, context));
    report(outcome.done, outcome.total);
    if (outcome.finished) break;
    // Let the event loop in between batches: on an embedded database every statement may complete without
    // yielding, and requests (progress polls, cashiers) would otherwise wait for the whole run.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return summary(await finish(services, runId));
}
