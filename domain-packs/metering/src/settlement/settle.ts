/**
 * Monthly settlement (月度结算) of a period's meters: the end reading and volume of every meter in the
 * period's scope, computed by the domain's `settleMeter` and written as one record per meter and period.
 *
 * Idempotency, by choice: a settlement record, once written, is not recomputed. A run lists the scope's due
 * meters once, leaves out those that have a record of the period, and inserts with
 * `on conflict (tenant_id, period, meter_id) do nothing`, so
 * - a run that crashed or timed out resumes where it stopped (the meters already settled are skipped);
 * - settling a settled (not closed) period again settles only meters that have no record yet (meters
 *   added to the archive since, or skipped for bad data) and leaves the set as it was: the same records,
 *   the same sums;
 * - two runs at once cannot write a meter twice (the unique key decides; the routes also start one run only).
 * A reading that arrives after its meter was settled changes nothing here: it is corrected after close,
 * by an adjustment (`POST /adjustments`).
 *
 * Inputs of one meter, read in batches of `batchSize` meters (one transaction per batch, which also adds
 * the batch to `periods.done`):
 * - opening: the end of the meter's latest settlement of an earlier period (or of the first meter of its
 *   swap chain), replaced by the reading of the latest adjustment that corrected that period's end
 *   reading; with no settlement, the reading of the swap that installed the meter, else the archive's
 *   `initialReadingL` at local 00:00 of `installedAt`;
 * - readings: the valid rows of `pack_metering.readings` from the opening to the period end, and the
 *   latest remote reading of the meter's device in [period start, period end) from the analytics store
 *   (`milli` ÷ 1000, whole litres, exact) — unless the pack's table holds that instant as a remote reading
 *   that is not valid (in review, rejected, replaced): then the meter is settled without it;
 * - swaps: those of `pack_metering.swaps` inside the period that lead to the meter (old → … → this one);
 *   the record belongs to the meter in place at the end, and its segments name each meter of the chain;
 * - averageDailyL: Σ volume × 86 400 000 ÷ Σ (end − start) in ms, floored, over the chain's first meter's
 *   last three settlements (missing or negative ones left out); none → null;
 * - capacityL: 10^registerDigits m³ = 10^registerDigits × 1000 L, or null;
 * - endToleranceMs: the plan's toleranceDays × 24 h.
 */
import type { PackServices, PackTx } from '@shuiyun/sdk';
import { settleMeter, startOfLocalDay, type MeterReading, type MeterSwap, type ReadingSource, type SettleResult } from '../domain/index.js';
import {
  DAY_MS,
  Params,
  PERIOD_COLUMNS,
  TENANT_SCOPE,
  communitiesWithPlans,
  dueCondition,
  findOrCreatePeriod,
  localDate,
  planOfPeriod,
  refusals,
  scopeCondition,
  toDate,
  METER,
  type PeriodRow,
} from './shared.js';

export interface SettlePeriodInput {
  period: string;
  scope: string;
}

export interface SettlePeriodOptions {
  /** Meters per batch (one transaction and one multi-row insert each); 5 000 by default. */
  batchSize?: number;
  /** Batches in flight at once, each in its own transaction (its own connection); 2 by default. */
  concurrency?: number;
  /** Stops between batches when aborted (the job's deadline); the next run resumes. */
  signal?: AbortSignal;
}

export interface SettlePeriodResult {
  /** Settlement records of the period's scope. */
  meters: number;
  /** Σ of their volumes, litres as text. */
  volumeL: string;
  /** Records written by this run. */
  written: number;
  /** Meters that could not be settled (bad data), with why. */
  skipped: { meterId: string; meterNo: string; reason: string }[];
}

export type SettleProgress = (done: number, total: number) => void;

interface MeterRecord {
  id: string;
  meter_no: string;
  device: string | null;
  digits: string | null;
  initial_l: string | null;
  installed_at: string | null;
}

interface SwapRow {
  old_meter_id: string;
  new_meter_id: string;
  swapped_at: Date | string;
  old_final_l: string;
  new_initial_l: string;
}

interface HistoryRow {
  meter_id: string;
  period: string;
  start_l: string;
  end_l: string;
  volume_l: string;
  source: string;
  start_at: Date | string;
  end_at: Date | string;
  flags: string[] | string;
}

interface RemoteEnd {
  milli: string;
  at: string;
}

const REMOTE_SQL = `SELECT device, argMax(milli, at) AS end_milli, max(at) AS end_at FROM {{readings}}
  WHERE metric = 'cumulative_volume' AND at >= {from:DateTime64(3, 'UTC')} AND at < {to:DateTime64(3, 'UTC')}
  GROUP BY device`;

/** ClickHouse's `YYYY-MM-DD hh:mm:ss.sss` (UTC) as an instant. */
const chInstant = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);
/** Postgres text[] as either driver answers it. */
const textArray = (value: string[] | string): string[] => (Array.isArray(value) ? value : value.replace(/^\{|\}$/g, '').split(',').filter((x) => x !== ''));

/**
 * Settles a period of the tenant: creates the period row if needed (from the scope's plan), marks it
 * settling, settles every due meter of the scope that has no record yet, in batches, and marks it
 * settled. Refuses a closed period. Answers the scope's record count and volume.
 */
export async function settlePeriod(services: PackServices, input: SettlePeriodInput, onProgress?: SettleProgress, options: SettlePeriodOptions = {}): Promise<SettlePeriodResult> {
  const batchSize = options.batchSize ?? 5_000;
  const tenantId = services.tenant.id;
  const timeZone = services.tenant.timeZone;
  const scope = input.scope || TENANT_SCOPE;

  // 1. The period row (settling), its plan, the scope's due meters and those already settled. Meter ids are
  // listed once and subtracted here, and batches fetch meters by id: no per-batch scan of the archive,
  // whatever plan row-level security's predicates lead the planner to.
  const start = await services.transaction(async (tx) => {
    const row = await findOrCreatePeriod(tx, services, input.period, scope);
    if (row.status === 'closed') throw refusals.closed(input.period);
    const plan = await planOfPeriod(tx, tenantId, row);
    const ownPlans = scope === TENANT_SCOPE ? await communitiesWithPlans(tx, tenantId) : [];
    const endDate = localDate(toDate(row.ends_at), timeZone);
    const p = new Params();
    const due = await tx.query<{ id: string }>(`select m.id from entity_records m where ${dueCondition(p, 'm', tenantId, row, endDate, scope, ownPlans)} order by m.id`, p.values);
    const settled = await tx.query<{ meter_id: string }>(`select meter_id from pack_metering.settlements where tenant_id = $1 and period = $2`, [tenantId, input.period]);
    const have = new Set(settled.map((r) => r.meter_id));
    const pending = due.map((r) => r.id).filter((id) => !have.has(id));
    const total = due.length;
    const done = total - pending.length;
    const [updated] = await tx.query<PeriodRow>(
      `update pack_metering.periods set status = 'settling', started_at = coalesce(case when status = 'settling' then started_at end, now()),
         finished_at = null, error = null, total = $2::int, done = $3::int
        where id = $1::bigint returning ${PERIOD_COLUMNS}`,
      [row.id, total, done],
    );
    return { row: updated!, plan, ownPlans, pending, total, done };
  });
  const { row, plan, ownPlans, pending, total } = start;
  let done = start.done;
  const startsAt = toDate(row.starts_at);
  const endsAt = toDate(row.ends_at);
  onProgress?.(done, total);
  services.progress?.(done, total);

  // 2. The latest remote reading of every device in the period, from the analytics store.
  const remote = new Map<string, RemoteEnd>();
  if (pending.length > 0) {
    for await (const batch of services.analytics.stream<{ device: string; end_milli: string | number; end_at: string }>(REMOTE_SQL, { from: startsAt, to: endsAt }, 50_000)) {
      for (const r of batch) remote.set(r.device, { milli: String(r.end_milli), at: r.end_at });
    }
  }

  // 3. Batches of the meters without a record, in id order, each in its own transaction; `concurrency`
  // batches at once (the database does most of the work, on as many connections).
  const context: BatchContext = { services, period: input.period, startsAt, endsAt, row, remote, toleranceMs: plan.toleranceDays * DAY_MS, timeZone };
  const skipped: SettlePeriodResult['skipped'] = [];
  let next = 0;
  const work = async () => {
    for (;;) {
      const from = next;
      if (from >= pending.length) return;
      next += batchSize;
      if (options.signal?.aborted) throw new Error(`settlement of ${input.period} (${scope}) stopped: ${String(options.signal.reason ?? 'aborted')}`);
      const outcome = await services.transaction((tx) => settleBatch(tx, context, pending.slice(from, from + batchSize)));
      skipped.push(...outcome.skipped);
      done = Math.max(done, outcome.done ?? done);
      onProgress?.(done, total);
      services.progress?.(done, total);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 2, Math.ceil(pending.length / batchSize))) }, work);
  const failed = (await Promise.allSettled(workers)).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;

  // 4. Settled: the scope's totals.
  return services.transaction(async (tx) => {
    const summary = await scopeTotals(tx, tenantId, input.period, scope, ownPlans);
    const error = skipped.length === 0 ? null : `${skipped.length} meter(s) not settled: ${skipped.slice(0, 20).map((s) => `${s.meterNo}: ${s.reason}`).join('; ')}`;
    await tx.query(`update pack_metering.periods set status = 'settled', finished_at = now(), error = $2 where id = $1::bigint and status = 'settling'`, [row.id, error]);
    return { meters: summary.meters, volumeL: summary.volumeL, written: summary.meters - start.done, skipped };
  });
}

/** Records of a period in a scope: their number and Σ volume (litres as text). */
export async function scopeTotals(tx: PackTx, tenantId: number, period: string, scope: string, ownPlans: readonly string[]): Promise<{ meters: number; volumeL: string }> {
  const p = new Params();
  const where = `s.tenant_id = ${p.add(tenantId)} and s.period = ${p.add(period)}`;
  const inScope = scope === TENANT_SCOPE && ownPlans.length === 0 ? '' : ` and exists (select 1 from entity_records m where m.tenant_id = s.tenant_id and m.entity = '${METER}' and m.id = s.meter_id and ${scopeCondition(p, 'm', scope, ownPlans)})`;
  const [row] = await tx.query<{ meters: number; volume_l: string }>(`select count(*)::int as meters, coalesce(sum(s.volume_l), 0)::text as volume_l from pack_metering.settlements s where ${where}${inScope}`, p.values);
  return { meters: row!.meters, volumeL: row!.volume_l };
}

interface BatchContext {
  services: PackServices;
  period: string;
  row: PeriodRow;
  startsAt: Date;
  endsAt: Date;
  remote: Map<string, RemoteEnd>;
  toleranceMs: number;
  timeZone: string;
}

interface Chain {
  final: MeterRecord;
  /** Meter ids from the first meter of the chain to the final one. */
  ids: string[];
  swaps: MeterSwap[];
}

/** One batch: read the meters' inputs, settle them, insert the records, count them in the period row. */
async function settleBatch(tx: PackTx, ctx: BatchContext, ids: readonly string[]): Promise<{ done: number | null; skipped: SettlePeriodResult['skipped'] }> {
  const tenantId = ctx.services.tenant.id;
  const meters = await tx.query<MeterRecord>(
    `select m.id, m.data->>'meterNo' as meter_no, m.data->>'device' as device, m.data->>'registerDigits' as digits,
            m.data->>'initialReadingL' as initial_l, m.data->>'installedAt' as installed_at
       from entity_records m
      where m.tenant_id = $1 and m.entity = '${METER}' and m.id = any($2::bigint[])
      order by m.id`,
    [tenantId, ids],
  );
  if (meters.length === 0) return { done: null, skipped: [] };

  // Swap chains: walk back from each meter through the swaps inside the period that installed it.
  const chains = new Map<string, Chain>(meters.map((m) => [m.id, { final: m, ids: [m.id], swaps: [] }]));
  const byRoot = new Map<string, Chain>(meters.map((m) => [m.id, chains.get(m.id)!]));
  const installedBy = new Map<string, SwapRow>();
  let frontier = meters.map((m) => m.id);
  for (let depth = 0; frontier.length > 0 && depth < 24; depth++) {
    const swaps = await tx.query<SwapRow>(
      `select old_meter_id, new_meter_id, swapped_at, old_final_l, new_initial_l from pack_metering.swaps
        where tenant_id = $1 and new_meter_id = any($2::bigint[]) and swapped_at < $3::timestamptz`,
      [tenantId, frontier, ctx.endsAt],
    );
    const next: string[] = [];
    for (const s of swaps) {
      const chain = byRoot.get(s.new_meter_id);
      if (!chain) continue;
      if (toDate(s.swapped_at).getTime() >= ctx.startsAt.getTime()) {
        chain.swaps.unshift({ at: toDate(s.swapped_at), oldFinalL: BigInt(s.old_final_l), newInitialL: BigInt(s.new_initial_l) });
        chain.ids.unshift(s.old_meter_id);
        byRoot.delete(s.new_meter_id);
        byRoot.set(s.old_meter_id, chain);
        next.push(s.old_meter_id);
      } else installedBy.set(s.new_meter_id, s);
    }
    frontier = next;
  }
  const roots = [...byRoot.keys()];

  // First meters of chains that are not in the batch: their archive data, for an opening at installation.
  const archive = new Map<string, MeterRecord>(meters.map((m) => [m.id, m]));
  const outside = roots.filter((id) => !archive.has(id));
  if (outside.length > 0) {
    const rows = await tx.query<MeterRecord>(
      `select m.id, m.data->>'meterNo' as meter_no, m.data->>'device' as device, m.data->>'registerDigits' as digits,
              m.data->>'initialReadingL' as initial_l, m.data->>'installedAt' as installed_at
         from entity_records m where m.tenant_id = $1 and m.entity = '${METER}' and m.id = any($2::bigint[])`,
      [tenantId, outside],
    );
    for (const r of rows) archive.set(r.id, r);
  }

  // The roots' last three settlements before this period, and corrections of their latest one.
  const history = await tx.query<HistoryRow>(
    `select h.meter_id, h.period, h.start_l, h.end_l, h.volume_l, h.source, h.start_at, h.end_at, h.flags
       from unnest($2::bigint[]) as q(meter_id)
       cross join lateral (
         select s.meter_id, s.period, s.start_l, s.end_l, s.volume_l, s.source, s.start_at, s.end_at, s.flags
           from pack_metering.settlements s
          where s.tenant_id = $1 and s.meter_id = q.meter_id and s.period < $3
          order by s.period desc limit 3) h
      order by h.meter_id, h.period desc`,
    [tenantId, roots, ctx.period],
  );
  const historyOf = new Map<string, HistoryRow[]>();
  for (const h of history) historyOf.set(h.meter_id, [...(historyOf.get(h.meter_id) ?? []), h]);
  const corrections = await tx.query<{ meter_id: string; corrects_period: string; value_l: string; read_at: Date | string }>(
    `select distinct on (a.meter_id, a.corrects_period) a.meter_id, a.corrects_period, r.value_l, r.read_at
       from pack_metering.adjustments a join pack_metering.readings r on r.id = a.reading_id
      where a.tenant_id = $1 and a.meter_id = any($2::bigint[]) and a.corrects_period < $3
      order by a.meter_id, a.corrects_period, a.id desc`,
    [tenantId, roots, ctx.period],
  );
  const correctionOf = new Map(corrections.map((c) => [`${c.meter_id}/${c.corrects_period}`, c]));

  // Openings.
  type Opening = { valueL: bigint; at: Date; source: ReadingSource };
  const openings = new Map<string, Opening>();
  const skipped: SettlePeriodResult['skipped'] = [];
  const skip = (chain: Chain, reason: string) => skipped.push({ meterId: chain.final.id, meterNo: chain.final.meter_no, reason });
  const settleable: Chain[] = [];
  for (const [root, chain] of byRoot) {
    try {
      const previous = historyOf.get(root)?.[0];
      let opening: Opening;
      if (previous) {
        const corrected = correctionOf.get(`${root}/${previous.period}`);
        opening = corrected
          ? { valueL: BigInt(corrected.value_l), at: toDate(corrected.read_at), source: 'correction' }
          : { valueL: BigInt(previous.end_l), at: toDate(previous.end_at), source: openingSource(previous.source) };
      } else if (installedBy.has(root)) {
        const s = installedBy.get(root)!;
        opening = { valueL: BigInt(s.new_initial_l), at: toDate(s.swapped_at), source: 'hand' };
      } else {
        const m = archive.get(root);
        const installed = /^(\d{4})-(\d{2})-(\d{2})$/.exec(m?.installed_at ?? '');
        if (!m || !installed) throw new Error('no opening: no earlier settlement and no installation date');
        opening = { valueL: BigInt(m.initial_l ?? '0'), at: startOfLocalDay(Number(installed[1]), Number(installed[2]), Number(installed[3]), ctx.timeZone), source: 'hand' };
      }
      if (opening.at.getTime() >= ctx.endsAt.getTime()) throw new Error('the opening is not before the period end');
      openings.set(chain.final.id, opening);
      settleable.push(chain);
    } catch (error) {
      skip(chain, error instanceof Error ? error.message : String(error));
    }
  }

  // Readings in Postgres (hand, import, estimate, correction; valid only), from each opening to the end,
  // and the instants of remote readings held there as not valid (in review, rejected, replaced).
  const readingsOf = new Map<string, MeterReading[]>();
  const heldRemote = new Set<string>();
  if (settleable.length > 0) {
    const rows = await tx.query<{ meter_id: string; read_at: Date | string; value_l: string; source: ReadingSource; status: string }>(
      `select r.meter_id, r.read_at, r.value_l, r.source, r.status
         from unnest($2::bigint[], $3::timestamptz[]) as q(meter_id, from_at)
         join pack_metering.readings r on r.tenant_id = $1 and r.meter_id = q.meter_id and r.read_at >= q.from_at and r.read_at < $4::timestamptz
        where r.status = 'valid' or r.source = 'remote'
        order by r.meter_id, r.read_at, r.id`,
      [tenantId, settleable.map((c) => c.final.id), settleable.map((c) => openings.get(c.final.id)!.at.toISOString()), ctx.endsAt],
    );
    for (const r of rows) {
      if (r.status !== 'valid') {
        heldRemote.add(`${r.meter_id}/${toDate(r.read_at).getTime()}`);
        continue;
      }
      const list = readingsOf.get(r.meter_id) ?? [];
      list.push({ at: toDate(r.read_at), valueL: BigInt(r.value_l), source: r.source });
      readingsOf.set(r.meter_id, list);
    }
  }

  // Settle, then one multi-row insert for the batch.
  const cols = { meterId: [] as string[], meterNo: [] as string[], startL: [] as string[], endL: [] as string[], volumeL: [] as string[], source: [] as string[], startAt: [] as string[], endAt: [] as string[], flags: [] as string[], segments: [] as string[] };
  for (const chain of settleable) {
    const m = chain.final;
    try {
      const opening = openings.get(m.id)!;
      const readings = readingsOf.get(m.id) ?? [];
      const device = m.device ? ctx.remote.get(m.device) : undefined;
      const deviceAt = device ? chInstant(device.at) : null;
      if (device && deviceAt && !heldRemote.has(`${m.id}/${deviceAt.getTime()}`)) readings.push({ at: deviceAt, valueL: BigInt(device.milli) / 1000n, source: 'remote' });
      const result = settleMeter({
        periodStart: ctx.startsAt,
        periodEnd: ctx.endsAt,
        opening,
        readings,
        swaps: chain.swaps,
        capacityL: capacityOf(m.digits),
        averageDailyL: averageDaily(historyOf.get(chain.ids[0]!) ?? []),
        endToleranceMs: ctx.toleranceMs,
        timeZone: ctx.timeZone,
      });
      cols.meterId.push(m.id);
      cols.meterNo.push(m.meter_no);
      cols.startL.push(result.startL.toString());
      cols.endL.push(result.endL.toString());
      cols.volumeL.push(result.volumeL.toString());
      cols.source.push(result.source);
      cols.startAt.push(opening.at.toISOString());
      cols.endAt.push(result.endAt.toISOString());
      cols.flags.push(result.flags.join(','));
      cols.segments.push(segmentsJson(result, chain.ids));
    } catch (error) {
      skip(chain, error instanceof Error ? error.message : String(error));
    }
  }
  if (cols.meterId.length === 0) return { done: null, skipped };
  const [progress] = await tx.query<{ done: number }>(
    `with written as (
       insert into pack_metering.settlements (tenant_id, tenant_path, period, meter_id, meter_no, start_l, end_l, volume_l, source, start_at, end_at, flags, segments)
       select $1::bigint, $2::ltree, $3::text, u.meter_id, u.meter_no, u.start_l, u.end_l, u.volume_l, u.source, u.start_at, u.end_at,
              coalesce(string_to_array(nullif(u.flags, ''), ','), '{}'::text[]), u.segments::jsonb
         from unnest($4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[])
              as u(meter_id, meter_no, start_l, end_l, volume_l, source, start_at, end_at, flags, segments)
       on conflict (tenant_id, period, meter_id) do nothing
       returning 1)
     update pack_metering.periods set done = done + (select count(*)::int from written) where id = $14::bigint returning done`,
    [
      tenantId,
      ctx.services.tenant.path,
      ctx.period,
      cols.meterId,
      cols.meterNo,
      cols.startL,
      cols.endL,
      cols.volumeL,
      cols.source,
      cols.startAt,
      cols.endAt,
      cols.flags,
      cols.segments,
      ctx.row.id,
    ],
  );
  return { done: progress?.done ?? null, skipped };
}

function openingSource(source: string): ReadingSource {
  if (source === 'remote') return 'remote';
  if (source === 'hand') return 'hand';
  return 'estimate';
}

/** 10^digits m³ in litres, or null when the register is unknown. */
export function capacityOf(digits: string | null | undefined): bigint | null {
  if (digits === null || digits === undefined || !/^\d+$/.test(digits)) return null;
  return 10n ** BigInt(digits) * 1000n;
}

/** Σ volume × 24 h ÷ Σ duration over measured, non-negative settlements, floored; null without any. */
export function averageDaily(history: readonly Pick<HistoryRow, 'volume_l' | 'source' | 'flags' | 'start_at' | 'end_at'>[]): bigint | null {
  let volume = 0n;
  let ms = 0n;
  for (const h of history) {
    if (h.source === 'missing' || textArray(h.flags).includes('negative')) continue;
    const span = toDate(h.end_at).getTime() - toDate(h.start_at).getTime();
    if (span <= 0) continue;
    volume += BigInt(h.volume_l);
    ms += BigInt(span);
  }
  if (ms === 0n || volume < 0n) return null;
  return (volume * BigInt(DAY_MS)) / ms;
}

function segmentsJson(result: SettleResult, ids: readonly string[]): string {
  return JSON.stringify(
    result.segments.map((s) => ({
      meterId: Number(ids[s.meterIndex] ?? ids[ids.length - 1]),
      meter: s.meter,
      meterIndex: s.meterIndex,
      fromL: s.fromL.toString(),
      toL: s.toL.toString(),
      volumeL: s.volumeL.toString(),
      rolledOver: s.rolledOver,
    })),
  );
}

/** The swaps inside [startsAt, endsAt) that lead to `meterId`, oldest first (for a correction's recomputation). */
export async function chainSwaps(tx: PackTx, tenantId: number, meterId: string, startsAt: Date, endsAt: Date): Promise<MeterSwap[]> {
  const swaps: MeterSwap[] = [];
  let current = meterId;
  for (let depth = 0; depth < 24; depth++) {
    const [s] = await tx.query<SwapRow>(
      `select old_meter_id, new_meter_id, swapped_at, old_final_l, new_initial_l from pack_metering.swaps
        where tenant_id = $1 and new_meter_id = $2::bigint and swapped_at >= $3::timestamptz and swapped_at < $4::timestamptz`,
      [tenantId, current, startsAt, endsAt],
    );
    if (!s) break;
    swaps.unshift({ at: toDate(s.swapped_at), oldFinalL: BigInt(s.old_final_l), newInitialL: BigInt(s.new_initial_l) });
    current = s.old_meter_id;
  }
  return swaps;
}
