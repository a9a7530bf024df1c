import { type AnalyticsStore, milliToDecimal } from '@shuiyun/analytics';
import { buildings, communities, devices, products, tenants, type Tx } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { route } from '../http/route.js';
import { idFilterConditions, type TenantTable } from '../http/scoped-queries.js';
import { defaultSettings } from '../tenancy/tenant-service.js';
import {
  type Granularity,
  type Period,
  canonicalTimeZone,
  percent,
  periodLabel,
  periodParam,
  periodsBetween,
  shiftPeriod,
  timeZoneParam,
} from './statistics-periods.js';
import { type DevicePeriodRow, VOLUME_METRIC, devicePeriods, devicesWithReadings, groupPeriods, readingKey } from './statistics-queries.js';

const tags = ['Device statistics 设备统计'];

export const groupings = ['product', 'community', 'building'] as const;
export type Grouping = (typeof groupings)[number];

/** Longest consumption range per request: a year of days, ten years of months. */
export const MAX_PERIODS: Record<Granularity, number> = { day: 366, month: 120 };

/** Devices per registry round trip when tallying a reading rate. */
const DEVICE_PAGE = 5_000;

const positiveId = z.coerce.number().int().positive();

/** Narrow the statistics to a tenant, product, community or building; each must be visible (else 404). */
const registryFilters = z.object({
  tenantId: positiveId.optional(),
  productId: positiveId.optional(),
  communityId: positiveId.optional(),
  buildingId: positiveId.optional(),
});

const groupColumn: Record<Grouping, PgColumn> = {
  product: devices.productId,
  community: devices.communityId,
  building: devices.buildingId,
};

type LabelTable = TenantTable & { code: PgColumn; name: PgColumn };
const groupTable: Record<Grouping, LabelTable> = { product: products, community: communities, building: buildings };

async function filterConditions(tx: Tx, query: z.output<typeof registryFilters>): Promise<SQL | undefined> {
  return and(
    ...(await idFilterConditions(tx, query, {
      tenantId: { column: devices.tenantId, table: tenants },
      productId: { column: devices.productId, table: products },
      communityId: { column: devices.communityId, table: communities },
      buildingId: { column: devices.buildingId, table: buildings },
    })),
  );
}

/** The time zone periods are counted in: the one asked for, else the caller's tenant's (settings.timeZone). */
async function statisticsTimeZone(tx: Tx, ctx: RequestContext, asked: string | undefined): Promise<string> {
  if (asked) return asked;
  const [tenant] = await tx.select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, ctx.principal().tenantId));
  return canonicalTimeZone(tenant?.settings.timeZone ?? '') ?? defaultSettings.timeZone;
}

interface GroupLabel {
  id: number;
  tenantId: number;
  code: string;
  name: string;
}

/** Codes and names of the groups, as far as the caller may see them. */
async function groupLabels(tx: Tx, grouping: Grouping, ids: number[]): Promise<Map<number, GroupLabel>> {
  const table = groupTable[grouping];
  const labels = new Map<number, GroupLabel>();
  for (let start = 0; start < ids.length; start += 1_000) {
    const rows = (await tx
      .select({ id: table.id, tenantId: table.tenantId, code: table.code, name: table.name })
      .from(table)
      .where(inArray(table.id, ids.slice(start, start + 1_000)))) as GroupLabel[];
    for (const row of rows) labels.set(row.id, row);
  }
  return labels;
}

/** Groups in code order; devices without a community or building (`id: null`) come last. */
function labelledGroups<T extends object>(tallies: Map<number | null, T>, labels: Map<number, GroupLabel>) {
  return [...tallies.entries()]
    .map(([id, tally]) => {
      const label = id === null ? undefined : labels.get(id);
      return { id, tenantId: label?.tenantId ?? null, code: label?.code ?? null, name: label?.name ?? null, ...tally };
    })
    .sort((a, b) => {
      if (a.id === null || b.id === null) return a.id === null ? (b.id === null ? 0 : 1) : -1;
      return (a.code ?? '').localeCompare(b.code ?? '') || a.tenantId! - b.tenantId! || a.id - b.id;
    });
}

const rateView = { ratePercent: z.string().nullable().describe('exact percentage, two decimals, rounded half up; null when the denominator is 0') };
const groupView = {
  id: z.number().nullable().describe('null: devices without a community or building'),
  tenantId: z.number().nullable(),
  code: z.string().nullable(),
  name: z.string().nullable(),
};
const readingTally = { due: z.number(), read: z.number(), unread: z.number(), ...rateView };
const onlineTally = { inService: z.number(), online: z.number(), offline: z.number(), ...rateView };

const readingRateView = z.object({
  metric: z.literal(VOLUME_METRIC),
  granularity: z.enum(['day', 'month']),
  period: z.string(),
  timeZone: z.string(),
  groupBy: z.enum(groupings),
  totals: z.object(readingTally),
  groups: z.array(z.object({ ...groupView, ...readingTally })),
});

const onlineRateView = z.object({
  asOf: z.string(),
  groupBy: z.enum(groupings),
  totals: z.object(onlineTally),
  groups: z.array(z.object({ ...groupView, ...onlineTally })),
});

const subjects = ['deviceId', 'communityId', 'buildingId', 'productId'] as const;

const consumptionQuery = z
  .object({
    deviceId: positiveId.optional(),
    communityId: positiveId.optional(),
    buildingId: positiveId.optional(),
    productId: positiveId.optional(),
    from: periodParam,
    to: periodParam,
    timeZone: timeZoneParam.optional(),
  })
  .superRefine((q, ctx) => {
    const named = subjects.filter((s) => q[s] !== undefined);
    if (named.length !== 1) {
      ctx.addIssue({ code: 'custom', path: named[1] ? [named[1]] : [], message: `exactly one of ${subjects.join(', ')}` });
    }
    if (q.from.granularity !== q.to.granularity) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'from and to are both days (YYYY-MM-DD) or both months (YYYY-MM)' });
    } else if (q.to.firstDay < q.from.firstDay) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'to is before from' });
    } else if (shiftPeriod(q.from, MAX_PERIODS[q.from.granularity] - 1).firstDay < q.to.firstDay) {
      const max = MAX_PERIODS[q.from.granularity];
      ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${max} ${q.from.granularity === 'day' ? 'days' : 'months'} per request` });
    }
  });

const decimalOrNull = (milli: bigint | null) => (milli === null ? null : milliToDecimal(milli));

const periodStatuses = ['measured', 'no_reading', 'no_baseline', 'register_backwards'] as const;

const devicePeriodView = z.object({
  period: z.string(),
  status: z.enum(periodStatuses).describe(
    'measured: consumption is the delta; no_reading: no reading in the period, its use is in the next measured period (coveredBy); ' +
      'no_baseline: no earlier reading to start from; register_backwards: the register went down (meter swap, reverse flow), no consumption is counted',
  ),
  consumption: z.string().nullable().describe('exact, in L; only for measured periods'),
  delta: z.string().nullable().describe('last reading of the period minus the last reading before it'),
  spans: z.number().nullable().describe('how many periods the delta covers: more than 1 when the periods before had no reading'),
  spanStart: z.string().nullable().describe('the first period the delta covers'),
  coveredBy: z.string().nullable().describe('for a period without readings: the period whose delta includes its use'),
  readings: z.number(),
  lastReading: z.string().nullable(),
  minStep: z.string().nullable().describe('the largest drop between consecutive readings, when the register went down'),
});

const consumptionCommon = {
  metric: z.literal(VOLUME_METRIC),
  unit: z.literal('L'),
  granularity: z.enum(['day', 'month']),
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
};

const deviceConsumptionView = z.object({
  subject: z.object({ kind: z.literal('device'), id: z.number(), tenantId: z.number(), meterNumber: z.string(), deviceKey: z.string() }),
  ...consumptionCommon,
  total: z.object({
    consumption: z.string().describe('sum of the measured periods, in L'),
    measuredPeriods: z.number(),
    unreadPeriods: z.number(),
    noBaselinePeriods: z.number(),
    backwardsPeriods: z.number(),
  }),
  periods: z.array(devicePeriodView),
});

const groupConsumptionView = z.object({
  subject: z.object({
    kind: z.enum(['community', 'building', 'product']),
    id: z.number(),
    tenantId: z.number(),
    code: z.string(),
    name: z.string(),
    devices: z.number().describe('the group’s devices the caller may see'),
  }),
  ...consumptionCommon,
  total: z.object({
    consumption: z.string().describe('sum of the measured device-periods, in L'),
    measuredDevicePeriods: z.number(),
    noBaselineDevicePeriods: z.number(),
    backwardsDevicePeriods: z.number(),
  }),
  periods: z.array(
    z.object({
      period: z.string(),
      consumption: z.string().nullable().describe('sum over the devices measured in the period; null when none was'),
      devicesRead: z.number(),
      devicesUnread: z.number(),
      devicesMeasured: z.number(),
      devicesSpanning: z.number().describe('measured devices whose delta also covers earlier periods without readings'),
      devicesNoBaseline: z.number(),
      devicesBackwards: z.number(),
    }),
  ),
  flags: z.array(
    z.object({
      period: z.string(),
      deviceId: z.number().nullable(),
      meterNumber: z.string().nullable(),
      deviceKey: z.string(),
      status: z.literal('register_backwards'),
      delta: z.string().nullable(),
      minStep: z.string().nullable(),
    }),
  ),
});

/** One device's periods, each with its status; silent periods point at the period whose delta covers them. */
function presentDevicePeriods(periods: Period[], rows: DevicePeriodRow[]) {
  const byPeriod = new Map(rows.map((r) => [r.period, r]));
  const items = periods.map((p) => {
    const row = byPeriod.get(p.firstDay);
    if (!row) {
      return {
        period: p.label,
        status: 'no_reading' as const,
        consumption: null,
        delta: null,
        spans: null,
        spanStart: null,
        coveredBy: null as string | null,
        readings: 0,
        lastReading: null,
        minStep: null,
      };
    }
    return {
      period: p.label,
      status: row.status,
      consumption: row.status === 'measured' ? decimalOrNull(row.deltaMilli) : null,
      delta: decimalOrNull(row.deltaMilli),
      spans: row.spans,
      spanStart: row.spans === null ? null : shiftPeriod(p, 1 - row.spans).label,
      coveredBy: null as string | null,
      readings: row.readings,
      lastReading: milliToDecimal(row.lastMilli),
      minStep: decimalOrNull(row.minStepMilli),
    };
  });
  // A silent period's use is in the next period that has a reading, when that period's delta reaches back to it.
  let next: (typeof items)[number] | undefined;
  for (let i = items.length - 1; i >= 0; i -= 1) {
    const item = items[i]!;
    if (item.status !== 'no_reading') next = item;
    else if (next && next.status === 'measured' && next.spanStart !== null && next.spanStart <= item.period) item.coveredBy = next.period;
  }
  return items;
}

/**
 * Device statistics: reading rate (抄表率), consumption (用水量) and online rate (在线率). Every figure is
 * exact: counts as integers, rates as two-decimal strings, volumes as decimal strings from integer
 * thousandths (milliToDecimal), never floats.
 *
 * Readings live in ClickHouse and the device registry in PostgreSQL, two stores with no join between
 * them: so ClickHouse answers with one row per device (or per period), never the readings, and the
 * runtime joins those rows with the registry's devices, read in the caller's transaction so that row-level
 * security and the caller's data scope decide which meters count. The analytics store adds the tenant
 * predicate to every query itself.
 */
export function statisticsRoutes(analytics: AnalyticsStore | undefined) {
  return [
    route({
      method: 'get',
      path: '/api/device-statistics/reading-rate',
      permission: 'device:read',
      summary:
        'Reading rate (抄表率) for a day (period=YYYY-MM-DD) or a month (period=YYYY-MM) in the tenant’s time zone: in-service meters ' +
        'with at least one cumulative-volume reading in the period ÷ in-service meters, by product, community or building, with totals',
      tags,
      query: registryFilters.extend({
        period: periodParam,
        groupBy: z.enum(groupings).default('product'),
        timeZone: timeZoneParam.optional(),
      }),
      response: readingRateView,
      handler: async ({ query }, ctx) => {
        if (!analytics) throw new AppError('not_ready');
        const { where, timeZone } = await ctx.tx(async (tx) => ({
          where: await filterConditions(tx, query),
          timeZone: await statisticsTimeZone(tx, ctx, query.timeZone),
        }));
        const read = await devicesWithReadings(analytics, { tenantPath: ctx.principal().tenantPath }, { period: query.period, timeZone, tenantId: query.tenantId });
        // The join: the registry's in-service meters (as the caller may see them), each looked up in the set
        // of meters ClickHouse found readings for.
        const { tallies, labels } = await ctx.tx(async (tx) => {
          const tallies = new Map<number | null, { due: number; read: number }>();
          const column = groupColumn[query.groupBy];
          let after = 0;
          for (;;) {
            const page = await tx
              .select({ id: devices.id, tenantId: devices.tenantId, deviceKey: devices.deviceKey, group: sql<number | null>`${column}`.mapWith(Number) })
              .from(devices)
              .where(and(eq(devices.state, 'in_service'), where, gt(devices.id, after)))
              .orderBy(asc(devices.id))
              .limit(DEVICE_PAGE);
            for (const device of page) {
              const tally = tallies.get(device.group) ?? { due: 0, read: 0 };
              tally.due += 1;
              if (read.has(readingKey(device.tenantId, device.deviceKey))) tally.read += 1;
              tallies.set(device.group, tally);
            }
            if (page.length < DEVICE_PAGE) break;
            after = page.at(-1)!.id;
          }
          const ids = [...tallies.keys()].filter((id): id is number => id !== null);
          return { tallies, labels: await groupLabels(tx, query.groupBy, ids) };
        });
        const withRate = ({ due, read }: { due: number; read: number }) => ({ due, read, unread: due - read, ratePercent: percent(read, due) });
        const totals = [...tallies.values()].reduce((sum, t) => ({ due: sum.due + t.due, read: sum.read + t.read }), { due: 0, read: 0 });
        return {
          metric: VOLUME_METRIC,
          granularity: query.period.granularity,
          period: query.period.label,
          timeZone,
          groupBy: query.groupBy,
          totals: withRate(totals),
          groups: labelledGroups(new Map([...tallies].map(([id, t]) => [id, withRate(t)])), labels),
        };
      },
    }),
    route({
      method: 'get',
      path: '/api/device-statistics/online-rate',
      permission: 'device:read',
      summary: 'Online rate (在线率): in-service devices online now ÷ in-service devices, by product, community or building, with totals',
      tags,
      query: registryFilters.extend({ groupBy: z.enum(groupings).default('product') }),
      response: onlineRateView,
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const column = groupColumn[query.groupBy];
          const rows = await tx
            .select({
              group: sql<number | null>`${column}`.mapWith(Number),
              inService: sql<number>`count(*)::int`,
              online: sql<number>`(count(*) filter (where ${devices.online}))::int`,
            })
            .from(devices)
            .where(and(eq(devices.state, 'in_service'), await filterConditions(tx, query)))
            .groupBy(column);
          const withRate = ({ inService, online }: { inService: number; online: number }) => ({
            inService,
            online,
            offline: inService - online,
            ratePercent: percent(online, inService),
          });
          const labels = await groupLabels(
            tx,
            query.groupBy,
            rows.flatMap((r) => (r.group === null ? [] : [r.group])),
          );
          const totals = rows.reduce((sum, r) => ({ inService: sum.inService + r.inService, online: sum.online + r.online }), { inService: 0, online: 0 });
          return {
            asOf: new Date().toISOString(),
            groupBy: query.groupBy,
            totals: withRate(totals),
            groups: labelledGroups(new Map(rows.map((r) => [r.group, withRate(r)])), labels),
          };
        }),
    }),
    route({
      method: 'get',
      path: '/api/device-statistics/consumption',
      permission: 'device:read',
      summary:
        'Consumption (用水量) per day (from/to = YYYY-MM-DD) or month (YYYY-MM) in the tenant’s time zone, for one device (deviceId) or summed ' +
        'over a community, building or product: a period’s consumption is its last cumulative reading minus the last reading before it. ' +
        'Periods without readings are covered by the next period’s delta (spans); a register that went backwards is flagged, never summed.',
      tags,
      query: consumptionQuery,
      response: z.union([deviceConsumptionView, groupConsumptionView]),
      handler: async ({ query }, ctx) => {
        if (!analytics) throw new AppError('not_ready');
        const scope = { tenantPath: ctx.principal().tenantPath };
        const { from, to } = query;
        const periods = periodsBetween(from, to);
        const common = { metric: VOLUME_METRIC, unit: 'L', granularity: from.granularity, from: from.label, to: to.label };

        if (query.deviceId !== undefined) {
          const deviceId = query.deviceId;
          const { device, timeZone } = await ctx.tx(async (tx) => {
            const [device] = await tx
              .select({ id: devices.id, tenantId: devices.tenantId, deviceKey: devices.deviceKey, meterNumber: devices.meterNumber })
              .from(devices)
              .where(eq(devices.id, deviceId));
            if (!device) throw new AppError('not_found', { details: [{ path: 'query.deviceId', message: `not visible: ${deviceId}` }] });
            return { device, timeZone: await statisticsTimeZone(tx, ctx, query.timeZone) };
          });
          const rows = await devicePeriods(analytics, scope, device, { from, to, timeZone });
          const items = presentDevicePeriods(periods, rows);
          const measured = rows.filter((r) => r.status === 'measured');
          return {
            subject: { kind: 'device', id: device.id, tenantId: device.tenantId, meterNumber: device.meterNumber, deviceKey: device.deviceKey },
            ...common,
            timeZone,
            total: {
              consumption: milliToDecimal(measured.reduce((sum, r) => sum + r.deltaMilli!, 0n)),
              measuredPeriods: measured.length,
              unreadPeriods: items.filter((i) => i.status === 'no_reading').length,
              noBaselinePeriods: rows.filter((r) => r.status === 'no_baseline').length,
              backwardsPeriods: rows.filter((r) => r.status === 'register_backwards').length,
            },
            periods: items,
          };
        }

        const kind = query.communityId !== undefined ? 'community' : query.buildingId !== undefined ? 'building' : 'product';
        const groupId = (query.communityId ?? query.buildingId ?? query.productId)!;
        const { group, members, timeZone } = await ctx.tx(async (tx) => {
          const [group] = [...(await groupLabels(tx, kind, [groupId])).values()];
          if (!group) throw new AppError('not_found', { details: [{ path: `query.${kind}Id`, message: `not visible: ${groupId}` }] });
          // The group's meters as the caller may see them; a group belongs to one tenant, and so do its meters.
          const members = await tx
            .select({ id: devices.id, deviceKey: devices.deviceKey, meterNumber: devices.meterNumber })
            .from(devices)
            .where(and(eq(groupColumn[kind], groupId), eq(devices.tenantId, group.tenantId)))
            .orderBy(asc(devices.id));
          return { group, members, timeZone: await statisticsTimeZone(tx, ctx, query.timeZone) };
        });
        const rows =
          members.length === 0
            ? []
            : await groupPeriods(analytics, scope, { tenantId: group.tenantId, deviceKeys: members.map((m) => m.deviceKey) }, { from, to, timeZone });
        const byKey = new Map(members.map((m) => [m.deviceKey, m]));
        const byPeriod = new Map(rows.map((r) => [r.period, r]));
        const items = periods.map((p) => {
          const row = byPeriod.get(p.firstDay);
          return {
            period: p.label,
            consumption: row && row.devicesMeasured > 0 ? milliToDecimal(row.consumptionMilli) : null,
            devicesRead: row?.devicesRead ?? 0,
            devicesUnread: members.length - (row?.devicesRead ?? 0),
            devicesMeasured: row?.devicesMeasured ?? 0,
            devicesSpanning: row?.devicesSpanning ?? 0,
            devicesNoBaseline: row?.devicesNoBaseline ?? 0,
            devicesBackwards: row?.devicesBackwards ?? 0,
          };
        });
        const flags = rows.flatMap((r) =>
          r.backwards.map((f) => {
            const device = byKey.get(f.deviceKey);
            return {
              period: periodLabel(from.granularity, r.period),
              deviceId: device?.id ?? null,
              meterNumber: device?.meterNumber ?? null,
              deviceKey: f.deviceKey,
              status: 'register_backwards' as const,
              delta: decimalOrNull(f.deltaMilli),
              minStep: decimalOrNull(f.minStepMilli),
            };
          }),
        );
        return {
          subject: { kind, id: group.id, tenantId: group.tenantId, code: group.code, name: group.name, devices: members.length },
          ...common,
          timeZone,
          total: {
            consumption: milliToDecimal(rows.reduce((sum, r) => sum + r.consumptionMilli, 0n)),
            measuredDevicePeriods: rows.reduce((n, r) => n + r.devicesMeasured, 0),
            noBaselineDevicePeriods: rows.reduce((n, r) => n + r.devicesNoBaseline, 0),
            backwardsDevicePeriods: rows.reduce((n, r) => n + r.devicesBackwards, 0),
          },
          periods: items,
          flags,
        };
      },
    }),
  ];
}
