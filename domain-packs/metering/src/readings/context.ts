/**
 * What validating a reading needs to know about its meter (抄表校验的上下文): the previous valid reading —
 * from the pack's readings, the meter's swaps, its installation base and, for a remote meter, the
 * analytics store — when the register last moved, the household's average daily use from settled
 * periods, the register capacity and the plan's rules. The verdict itself is the domain's
 * `validateReading`.
 */
import type { PackServices, PackTx } from '@shuiyun/sdk';
import { startOfLocalDay, validateReading, type MeterReading, type Violation } from '../domain/index.js';
import { capacityOf, householdMeterIds, planFor, type Meter, type ValidationPlan } from './archive.js';

const DAY_MS = 86_400_000n;

interface Point {
  at: Date;
  valueL: bigint;
}

export const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));

/** A ClickHouse `DateTime64(3)` as JSONEachRow writes it (`YYYY-MM-DD hh:mm:ss.sss`, UTC). */
const clickhouseTime = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);

/** Litres of a cumulative-volume reading (thousandths of a litre in the store), rounded down. */
const litresOf = (milli: string): bigint => {
  const m = BigInt(milli);
  return m >= 0n ? m / 1000n : -((-m + 999n) / 1000n);
};

/** The latest remote reading of the device strictly before `before`. */
async function lastRemote(services: PackServices, device: string, before: Date): Promise<Point | null> {
  // Aliases differ from the columns: ClickHouse would read \`at\` in WHERE as the alias \`max(at)\`.
  const [row] = await services.analytics.query<{ last_milli: string; last_at: string; n: string }>(
    `SELECT argMax(milli, at) AS last_milli, max(at) AS last_at, count() AS n FROM {{readings}}
     WHERE device = {device:String} AND metric = 'cumulative_volume' AND at < {to:DateTime64(3, 'UTC')}`,
    { device, to: before },
  );
  if (!row || BigInt(row.n) === 0n) return null;
  return { at: clickhouseTime(row.last_at), valueL: litresOf(row.last_milli) };
}

/** The meter's own points before `before`, newest first: valid readings, swap ends, the installation base. */
async function localPoints(tx: PackTx, services: PackServices, meter: Meter, before: Date): Promise<Point[]> {
  const rows = await tx.query<{ at: Date | string; value_l: string }>(
    `select read_at as at, value_l from pack_metering.readings
      where tenant_id = $1 and meter_id = $2::bigint and status = 'valid' and read_at < $3
     union all
     select swapped_at, new_initial_l from pack_metering.swaps where tenant_id = $1 and new_meter_id = $2::bigint and swapped_at < $3
     union all
     select swapped_at, old_final_l from pack_metering.swaps where tenant_id = $1 and old_meter_id = $2::bigint and swapped_at < $3
     order by at desc limit 500`,
    [services.tenant.id, meter.id.toString(), before],
  );
  const points = rows.map((r) => ({ at: toDate(r.at), valueL: BigInt(r.value_l) }));
  const base = installationBase(meter, services.tenant.timeZone);
  if (base && base.at < before && (points.length < 500 || base.at > points[points.length - 1]!.at)) points.push(base);
  return points.sort((a, b) => b.at.getTime() - a.at.getTime());
}

/** The meter's initial register value at local midnight of its installation day, when the archive gives both. */
export function installationBase(meter: Meter, timeZone: string): Point | null {
  if (meter.initialReadingL === null || meter.installedAt === null) return null;
  const at = installedAtInstant(meter, timeZone);
  return at ? { at, valueL: meter.initialReadingL } : null;
}

export function installedAtInstant(meter: Meter, timeZone: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(meter.installedAt ?? '');
  if (!match) return null;
  try {
    return startOfLocalDay(Number(match[1]), Number(match[2]), Number(match[3]), timeZone);
  } catch {
    return null;
  }
}

export interface ReadingContext {
  previous: MeterReading | null;
  averageDailyL: bigint | null;
  capacityL: bigint | null;
  plan: ValidationPlan;
  /** Points the meter had before the reading (newest first), to find when the register last moved. */
  points: Point[];
  remote: string | null;
}

/** The previous valid state of the meter's register before `at`, from every store that knows one. */
export async function previousOf(tx: PackTx, services: PackServices, meter: Meter, at: Date): Promise<{ previous: Point | null; points: Point[]; remote: string | null }> {
  const points = await localPoints(tx, services, meter, at);
  // A meter with a device code (remote, NB-IoT, a concentrator that reports) also has its reads in analytics.
  const device = meter.device;
  const remote = device ? await lastRemote(services, device, at) : null;
  const candidates = remote ? [remote, ...points] : points;
  const previous = candidates.reduce<Point | null>((best, p) => (best === null || p.at > best.at ? p : best), null);
  return { previous, points, remote: device };
}

/**
 * The household's average daily use in litres, from its last 12 settled periods (all its meters summed
 * per period; periods that were missing or negative left out); null without history.
 */
export async function averageDailyOf(tx: PackTx, tenantId: number, meter: Meter): Promise<bigint | null> {
  const ids = await householdMeterIds(tx, tenantId, meter);
  const [row] = await tx.query<{ volume: string | null; ms: string | null }>(
    `select sum(volume)::text as volume, floor(extract(epoch from sum(span)) * 1000)::bigint::text as ms
       from (select period, sum(volume_l) as volume, max(end_at) - min(start_at) as span
               from pack_metering.settlements
              where tenant_id = $1 and meter_id = any($2::bigint[]) and source <> 'missing' and volume_l >= 0
              group by period order by period desc limit 12) p`,
    [tenantId, ids],
  );
  if (!row || row.volume === null || row.ms === null) return null;
  const ms = BigInt(row.ms);
  return ms > 0n ? (BigInt(row.volume) * DAY_MS) / ms : null;
}

export async function contextFor(tx: PackTx, services: PackServices, meter: Meter, at: Date): Promise<ReadingContext> {
  const { previous, points, remote } = await previousOf(tx, services, meter, at);
  return {
    previous: previous ? { ...previous, source: 'hand' } : null,
    averageDailyL: await averageDailyOf(tx, services.tenant.id, meter),
    capacityL: capacityOf(meter),
    plan: await planFor(tx, services.tenant.id, meter),
    points,
    remote,
  };
}

/**
 * When the register last changed before `at`, given that it reads `valueL` now: the first point after
 * the last one with another value (in the pack's rows and, for a remote meter, the analytics store).
 */
async function lastChangeAt(services: PackServices, context: ReadingContext, at: Date): Promise<Date | null> {
  const previous = context.previous;
  if (!previous) return null;
  const value = previous.valueL;
  const lastOther = context.points.find((p) => p.valueL !== value);
  let lastDiff = lastOther?.at ?? null;
  let firstSame = [...context.points].reverse().find((p) => p.valueL === value && (lastDiff === null || p.at > lastDiff))?.at ?? null;
  if (context.remote) {
    const params = { device: context.remote, to: at, litres: value };
    const [diff] = await services.analytics.query<{ last_at: string; n: string }>(
      `SELECT max(at) AS last_at, count() AS n FROM {{readings}}
       WHERE device = {device:String} AND metric = 'cumulative_volume' AND at < {to:DateTime64(3, 'UTC')} AND intDiv(milli, 1000) != {litres:Int64}`,
      params,
    );
    if (diff && BigInt(diff.n) > 0n) {
      const remoteDiff = clickhouseTime(diff.last_at);
      if (lastDiff === null || remoteDiff > lastDiff) {
        lastDiff = remoteDiff;
        firstSame = context.points.filter((p) => p.at > remoteDiff).reduce<Date | null>((min, p) => (min === null || p.at < min ? p.at : min), null);
      }
    }
    const [same] = await services.analytics.query<{ first_at: string; n: string }>(
      `SELECT min(at) AS first_at, count() AS n FROM {{readings}}
       WHERE device = {device:String} AND metric = 'cumulative_volume' AND at < {to:DateTime64(3, 'UTC')} AND at > {since:DateTime64(3, 'UTC')}`,
      { device: context.remote, to: at, since: lastDiff ?? new Date(0) },
    );
    if (same && BigInt(same.n) > 0n) {
      const remoteSame = clickhouseTime(same.first_at);
      if (firstSame === null || remoteSame < firstSame) firstSame = remoteSame;
    }
  }
  return firstSame ?? previous.at;
}

/** The domain's verdict on a reading of `valueL` at `at`, with its context. */
export async function violationsOf(services: PackServices, context: ReadingContext, at: Date, valueL: bigint): Promise<Violation[]> {
  const changedAt = context.previous && context.previous.valueL === valueL && context.plan.zeroDays > 0 ? await lastChangeAt(services, context, at) : null;
  return validateReading(
    {
      previous: context.previous,
      reading: { at, valueL, source: 'hand' },
      averageDailyL: context.averageDailyL,
      capacityL: context.capacityL,
      lastChangeAt: changedAt,
    },
    { maxRatioToAverage: context.plan.maxRatio, zeroDays: context.plan.zeroDays },
  );
}
