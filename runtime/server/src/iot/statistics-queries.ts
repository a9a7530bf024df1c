import type { AnalyticsScope, AnalyticsStore } from '@shuiyun/analytics';
import { type Granularity, type Period, coarseBounds, periodExpression, shiftPeriod } from './statistics-periods.js';

/** The register every reading rate and consumption figure is taken from. */
export const VOLUME_METRIC = 'cumulative_volume';

/**
 * How far before the first requested period a consumption query looks for the reading it starts from:
 * the last reading of the previous period, or of an earlier one when the meter was silent.
 */
export const BASELINE_LOOKBACK: Record<Granularity, number> = { day: 31, month: 12 };

/**
 * Device keys per ClickHouse query. The keys travel as an Array(String) query parameter, which a
 * ClickHouse server reads from the URL (1 MiB at most by default): a product with 100 000 meters is
 * queried in slices and the per-period figures, all sums and counts, are added up here.
 */
export const DEVICES_PER_QUERY = 2_000;

/** Flagged device-periods a group query returns per period and slice; the counts stay exact. */
export const FLAGS_PER_PERIOD = 100;

/** A device's key in the analytics store: the key is unique within a tenant only. */
export const readingKey = (tenantId: number | string, deviceKey: string) => `${tenantId} ${deviceKey}`;

/**
 * The (tenant, device) pairs with at least one register reading in the period. ClickHouse groups the
 * readings by device, so one row per meter comes back, never the readings themselves; they are read as a
 * stream into a set.
 */
export async function devicesWithReadings(
  analytics: AnalyticsStore,
  scope: AnalyticsScope,
  options: { period: Period; timeZone: string; tenantId?: number | undefined },
): Promise<Set<string>> {
  const { period, timeZone, tenantId } = options;
  const { lo, hi } = coarseBounds(period, period);
  const sql =
    `SELECT tenant_id, device FROM {{readings}} ` +
    `WHERE metric = {metric:String} AND at >= {lo:DateTime64(3, 'UTC')} AND at < {hi:DateTime64(3, 'UTC')} ` +
    `AND ${periodExpression[period.granularity]} = {period:Date}` +
    (tenantId === undefined ? '' : ' AND tenant_id = {tenant:UInt64}') +
    ` GROUP BY tenant_id, device`;
  const read = new Set<string>();
  const rows = analytics.stream<{ tenant_id: string; device: string }>(scope, sql, {
    metric: VOLUME_METRIC,
    lo,
    hi,
    tz: timeZone,
    period: period.firstDay,
    ...(tenantId === undefined ? {} : { tenant: tenantId }),
  });
  for await (const row of rows) read.add(readingKey(row.tenant_id, row.device));
  return read;
}

export type PeriodStatus = 'measured' | 'no_baseline' | 'register_backwards';

/**
 * Per device and period of the meters' own tenant, in the tenant's time zone:
 *
 * - `steps`: every reading minus the reading before it (window over the device's readings in time
 *   order), so a register that went backwards anywhere — at a period boundary or inside a period — shows
 *   as a negative step;
 * - `per_period`: the period's last reading (argMax by time) and its most negative step;
 * - `deltas`: the previous period that has a reading, and its last reading (window over the device's
 *   periods), so a period's consumption is its last reading minus the last reading before it and use
 *   across a boundary is never lost. A silent period has no row; the next period's delta covers it, and
 *   `spans` says over how many periods;
 * - `classified`: `register_backwards` when any step of the period went down (meter swap, reverse flow:
 *   the delta is no consumption), `no_baseline` when no earlier reading lies within the look-back,
 *   `measured` otherwise.
 *
 * Readings come from the look-back before `from` onwards, so the first requested period has its baseline.
 */
function classifiedPeriods(granularity: Granularity): string {
  const period = periodExpression[granularity];
  return `
    in_range AS (
      SELECT device, at, milli, ${period} AS period
      FROM {{readings}}
      WHERE tenant_id = {tenant:UInt64} AND device IN {devices:Array(String)} AND metric = {metric:String}
        AND at >= {lo:DateTime64(3, 'UTC')} AND at < {hi:DateTime64(3, 'UTC')}
    ),
    steps AS (
      SELECT device, at, milli, period,
        milli - lagInFrame(toNullable(milli)) OVER (PARTITION BY device ORDER BY at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS step
      FROM in_range
      WHERE period >= {since:Date} AND period <= {until:Date}
    ),
    per_period AS (
      SELECT device, period, count() AS readings, argMax(milli, at) AS last_milli, min(step) AS min_step
      FROM steps
      GROUP BY device, period
    ),
    deltas AS (
      SELECT device, period, readings, last_milli, min_step,
        lagInFrame(toNullable(last_milli)) OVER by_period AS prev_milli,
        lagInFrame(toNullable(period)) OVER by_period AS prev_period
      FROM per_period
      WINDOW by_period AS (PARTITION BY device ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    classified AS (
      SELECT device, period, readings, last_milli, min_step, prev_period,
        last_milli - prev_milli AS delta,
        dateDiff('${granularity}', prev_period, period) AS spans,
        multiIf(prev_milli IS NULL, 'no_baseline', min_step < 0, 'register_backwards', 'measured') AS status
      FROM deltas
      WHERE period >= {from:Date}
    )`;
}

function consumptionParams(devices: readonly string[], tenantId: number, from: Period, to: Period, timeZone: string) {
  const since = shiftPeriod(from, -BASELINE_LOOKBACK[from.granularity]);
  const { lo, hi } = coarseBounds(since, to);
  return {
    tenant: tenantId,
    devices,
    metric: VOLUME_METRIC,
    tz: timeZone,
    lo,
    hi,
    since: since.firstDay,
    until: to.firstDay,
    from: from.firstDay,
  };
}

export interface DevicePeriodRow {
  /** The period's first day. */
  period: string;
  readings: number;
  lastMilli: bigint;
  /** Last reading minus the last reading before the period; null without a baseline. */
  deltaMilli: bigint | null;
  /** The most negative step between consecutive readings, when one went down. */
  minStepMilli: bigint | null;
  /** The first day of the previous period with a reading. */
  previousPeriod: string | null;
  spans: number | null;
  status: PeriodStatus;
}

const bigintOrNull = (text: string | null) => (text === null ? null : BigInt(text));

/** One device's periods that have readings, from `from` to `to`, computed in ClickHouse. */
export async function devicePeriods(
  analytics: AnalyticsStore,
  scope: AnalyticsScope,
  device: { tenantId: number; deviceKey: string },
  range: { from: Period; to: Period; timeZone: string },
): Promise<DevicePeriodRow[]> {
  const rows = await analytics.query<{
    period: string;
    readings: number;
    last_milli: string;
    delta: string | null;
    min_step: string | null;
    prev_period: string | null;
    spans: number | null;
    status: PeriodStatus;
  }>(
    scope,
    `WITH ${classifiedPeriods(range.from.granularity)}
     SELECT toString(period) AS period, toUInt32(readings) AS readings, toString(last_milli) AS last_milli,
       toString(delta) AS delta, if(min_step < 0, toString(min_step), NULL) AS min_step,
       toString(prev_period) AS prev_period, CAST(spans AS Nullable(UInt32)) AS spans, status
     FROM classified
     ORDER BY period`,
    consumptionParams([device.deviceKey], device.tenantId, range.from, range.to, range.timeZone),
  );
  return rows.map((r) => ({
    period: r.period,
    readings: r.readings,
    lastMilli: BigInt(r.last_milli),
    deltaMilli: bigintOrNull(r.delta),
    minStepMilli: bigintOrNull(r.min_step),
    previousPeriod: r.prev_period,
    spans: r.spans,
    status: r.status,
  }));
}

export interface GroupPeriodRow {
  period: string;
  /** Devices with at least one reading in the period. */
  devicesRead: number;
  devicesMeasured: number;
  /** Measured devices whose delta covers earlier periods without readings. */
  devicesSpanning: number;
  devicesNoBaseline: number;
  devicesBackwards: number;
  /** Sum of the measured devices' consumption; flagged and baseline-less devices are left out. */
  consumptionMilli: bigint;
  /** Up to FLAGS_PER_PERIOD devices whose register went backwards. */
  backwards: { deviceKey: string; deltaMilli: bigint | null; minStepMilli: bigint | null }[];
}

/**
 * A group of one tenant's meters summed per period in ClickHouse: per-device deltas as in
 * `classifiedPeriods`, then one row per period. Large groups go in slices of DEVICES_PER_QUERY keys.
 */
export async function groupPeriods(
  analytics: AnalyticsStore,
  scope: AnalyticsScope,
  group: { tenantId: number; deviceKeys: readonly string[] },
  range: { from: Period; to: Period; timeZone: string },
  devicesPerQuery = DEVICES_PER_QUERY,
): Promise<GroupPeriodRow[]> {
  const byPeriod = new Map<string, GroupPeriodRow>();
  for (let start = 0; start < group.deviceKeys.length; start += devicesPerQuery) {
    const slice = group.deviceKeys.slice(start, start + devicesPerQuery);
    const rows = await analytics.query<{
      period: string;
      devices_read: number;
      measured: number;
      spanning: number;
      no_baseline: number;
      backwards: number;
      consumption: string;
      flagged: [string, string | null, string | null][];
    }>(
      scope,
      `WITH ${classifiedPeriods(range.from.granularity)}
       SELECT toString(period) AS period,
         toUInt32(count()) AS devices_read,
         toUInt32(countIf(status = 'measured')) AS measured,
         toUInt32(countIf(status = 'measured' AND spans > 1)) AS spanning,
         toUInt32(countIf(status = 'no_baseline')) AS no_baseline,
         toUInt32(countIf(status = 'register_backwards')) AS backwards,
         toString(ifNull(sumIf(toInt128(delta), status = 'measured'), 0)) AS consumption,
         groupArrayIf(${FLAGS_PER_PERIOD})((device, toString(delta), toString(min_step)), status = 'register_backwards') AS flagged
       FROM classified
       GROUP BY period
       ORDER BY period`,
      consumptionParams(slice, group.tenantId, range.from, range.to, range.timeZone),
    );
    for (const r of rows) {
      const row = byPeriod.get(r.period) ?? {
        period: r.period,
        devicesRead: 0,
        devicesMeasured: 0,
        devicesSpanning: 0,
        devicesNoBaseline: 0,
        devicesBackwards: 0,
        consumptionMilli: 0n,
        backwards: [],
      };
      row.devicesRead += r.devices_read;
      row.devicesMeasured += r.measured;
      row.devicesSpanning += r.spanning;
      row.devicesNoBaseline += r.no_baseline;
      row.devicesBackwards += r.backwards;
      row.consumptionMilli += BigInt(r.consumption);
      for (const [deviceKey, delta, minStep] of r.flagged) {
        if (row.backwards.length < FLAGS_PER_PERIOD) row.backwards.push({ deviceKey, deltaMilli: bigintOrNull(delta), minStepMilli: bigintOrNull(minStep) });
      }
      byPeriod.set(r.period, row);
    }
  }
  return [...byPeriod.values()].sort((a, b) => (a.period < b.period ? -1 : 1));
}
