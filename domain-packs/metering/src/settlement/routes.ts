/**
 * The settlement routes, served at `/api/ext/metering<path>`. Every handler works in the request's
 * transaction of the caller's tenant (`services.transaction`), filters by the tenant's id besides
 * row-level security, and answers litres as text and instants as ISO UTC text.
 */
import { defineRoute, PackError, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { postAdjustment, presentAdjustment, type AdjustmentRow } from './adjust.js';
import { scopeTotals } from './settle.js';
import {
  Params,
  PERIOD_COLUMNS,
  PERIOD_PATTERN,
  TENANT_SCOPE,
  checkedPeriod,
  communitiesWithPlans,
  findOrCreatePeriod,
  l,
  litres,
  lockPeriod,
  METER,
  presentPeriod,
  refusals,
  scopeCondition,
  toDate,
  type PeriodRow,
} from './shared.js';

export const PERMISSIONS = {
  read: 'metering.settlement:read',
  run: 'metering.settlement:run',
  close: 'metering.settlement:close',
  adjust: 'metering.settlement:adjust',
} as const;

export const PROCESS_ID = 'metering_settle';
export const PERIOD_CLOSED = 'metering.period-closed';

/** The payload of `metering.period-closed`. */
export const periodClosedPayload = z.object({
  tenantId: z.number().int().positive(),
  period: z.string().regex(PERIOD_PATTERN),
  scope: z.string().min(1),
  startsAt: z.iso.datetime(),
  endsAt: z.iso.datetime(),
  meters: z.number().int().nonnegative(),
  totalVolumeL: z.string().regex(/^-?[0-9]+$/),
});
export type PeriodClosed = z.infer<typeof periodClosedPayload>;

const page = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
};
const periodText = z.string().regex(PERIOD_PATTERN, 'a period YYYY-MM');
const scopeText = z.string().trim().min(1).max(100);
const periodParams = z.object({ period: periodText });
const scopeBody = z.object({ scope: scopeText.optional() }).optional();
/** Litres: an integer, or its digits as text (past 2^53). */
const litresInput = z.union([z.string().regex(/^[0-9]{1,18}$/), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]).transform((v) => BigInt(v));

/** ` and exists (…)` keeping records (alias `s`) whose meter is in the scope; nothing for the tenant-wide scope without community plans. */
function recordsInScope(p: Params, scope: string, ownPlans: readonly string[]): string {
  if (scope === TENANT_SCOPE && ownPlans.length === 0) return '';
  return ` and exists (select 1 from entity_records m where m.tenant_id = s.tenant_id and m.entity = '${METER}' and m.id = s.meter_id and ${scopeCondition(p, 'm', scope, ownPlans)})`;
}

async function requirePeriod(services: PackServices, period: string, scope: string): Promise<PeriodRow> {
  return services.transaction(async (tx) => {
    const [row] = await tx.query<PeriodRow>(`select ${PERIOD_COLUMNS} from pack_metering.periods where tenant_id = $1 and period = $2 and scope = $3`, [services.tenant.id, period, scope]);
    if (!row) throw refusals.noPeriod(period, scope);
    return row;
  });
}

export const settlementRoutes = [
  defineRoute({
    method: 'get',
    path: '/periods',
    permission: PERMISSIONS.read,
    summary: 'Settlement periods, newest first (the tenant-wide scope before communities), with their status and progress (done/total)',
    query: z.object({ ...page, scope: scopeText.optional(), status: z.enum(['open', 'settling', 'settled', 'closed']).optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`tenant_id = ${p.add(services.tenant.id)}`];
        if (query.scope) where.push(`scope = ${p.add(query.scope)}`);
        if (query.status) where.push(`status = ${p.add(query.status)}`);
        const rows = await tx.query<PeriodRow & { full_count: number }>(
          `select ${PERIOD_COLUMNS}, count(*) over ()::int as full_count from pack_metering.periods where ${where.join(' and ')}
            order by period desc, scope <> '*', scope limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        let total = rows[0]?.full_count ?? 0;
        if (rows.length === 0 && query.page > 1) {
          const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_metering.periods where ${where.join(' and ')}`, p.values.slice(0, where.length));
          total = count!.n;
        }
        return { items: rows.map(presentPeriod), total, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/periods/:period',
    permission: PERMISSIONS.read,
    summary: 'One period (scope `?scope=`, the tenant-wide `*` by default): status, progress, records by source and flag, total volume, adjustments',
    params: periodParams,
    query: z.object({ scope: scopeText.default(TENANT_SCOPE) }),
    handler: async ({ params, query }, services) => {
      checkedPeriod(params.period);
      const row = await requirePeriod(services, params.period, query.scope);
      return services.transaction(async (tx) => {
        const tenantId = services.tenant.id;
        const ownPlans = query.scope === TENANT_SCOPE ? await communitiesWithPlans(tx, tenantId) : [];
        const p = new Params();
        const where = `s.tenant_id = ${p.add(tenantId)} and s.period = ${p.add(params.period)}${recordsInScope(p, query.scope, ownPlans)}`;
        const bySource = await tx.query<{ source: string; n: number; volume_l: string }>(
          `select s.source, count(*)::int as n, sum(s.volume_l)::text as volume_l from pack_metering.settlements s where ${where} group by s.source`,
          p.values,
        );
        const byFlag = await tx.query<{ flag: string; n: number }>(
          `select f as flag, count(*)::int as n from pack_metering.settlements s cross join lateral unnest(s.flags) as f where ${where} group by f`,
          p.values,
        );
        const posted = await tx.query<{ n: number; volume_l: string }>(
          `select count(*)::int as n, coalesce(sum(s.volume_l), 0)::text as volume_l from pack_metering.adjustments s where ${where}`,
          p.values,
        );
        const correcting = await tx.query<{ n: number; volume_l: string }>(
          `select count(*)::int as n, coalesce(sum(s.volume_l), 0)::text as volume_l from pack_metering.adjustments s
            where ${where.replace('s.period =', 's.corrects_period =')}`,
          p.values,
        );
        const sources = { remote: 0, hand: 0, estimated: 0, missing: 0 } as Record<string, number>;
        const volumes = { remote: '0', hand: '0', estimated: '0', missing: '0' } as Record<string, string>;
        let records = 0;
        let total = 0n;
        for (const s of bySource) {
          sources[s.source] = s.n;
          volumes[s.source] = litres(s.volume_l);
          records += s.n;
          total += BigInt(s.volume_l);
        }
        const flags = { swap: 0, estimated: 0, missing: 0, rollover: 0, negative: 0 } as Record<string, number>;
        for (const f of byFlag) flags[f.flag] = f.n;
        return {
          ...presentPeriod(row),
          records,
          bySource: sources,
          volumeBySourceL: volumes,
          totalVolumeL: total.toString(),
          flags,
          adjustments: { posted: { count: posted[0]!.n, volumeL: litres(posted[0]!.volume_l) }, correcting: { count: correcting[0]!.n, volumeL: litres(correcting[0]!.volume_l) } },
        };
      });
    },
  }),

  defineRoute({
    method: 'post',
    path: '/periods/:period/settle',
    permission: PERMISSIONS.run,
    summary: 'Settle a period: creates its row from the scope’s settlement plan and starts the metering_settle process (202); answers the running one while it runs',
    params: periodParams,
    body: scopeBody,
    status: 202,
    handler: async ({ params, body }, services) => {
      checkedPeriod(params.period);
      const scope = body?.scope ?? TENANT_SCOPE;
      return services.transaction(async (tx) => {
        const row = await findOrCreatePeriod(tx, services, params.period, scope);
        if (row.status === 'closed') throw refusals.closed(params.period);
        // One run at a time: a period being settled answers the run in progress (one that failed may be restarted).
        if (row.status === 'settling' && row.error === null) return presentPeriod(row);
        if (toDate(row.ends_at).getTime() > Date.now()) throw refusals.notEnded(params.period);
        const instance = await tx.startProcess(PROCESS_ID, { variables: { period: params.period, scope }, businessKey: `${params.period}/${scope}` });
        const [started] = await tx.query<PeriodRow>(
          `update pack_metering.periods set status = 'settling', run_instance = $2, started_at = now(), finished_at = null, error = null
            where id = $1::bigint returning ${PERIOD_COLUMNS}`,
          [row.id, instance],
        );
        return presentPeriod(started!);
      });
    },
  }),

  defineRoute({
    method: 'post',
    path: '/periods/:period/close',
    permission: PERMISSIONS.close,
    summary: 'Close (lock) a settled period and emit metering.period-closed; settled → closed only',
    params: periodParams,
    body: scopeBody,
    handler: async ({ params, body }, services) => {
      checkedPeriod(params.period);
      const scope = body?.scope ?? TENANT_SCOPE;
      return services.transaction((tx) => closePeriod(services, tx, params.period, scope));
    },
  }),

  defineRoute({
    method: 'get',
    path: '/periods/:period/records',
    permission: PERMISSIONS.read,
    summary: 'Settlement records of a period, by meter number; filters meterNo (prefix), source, flag, scope',
    params: periodParams,
    query: z.object({
      ...page,
      meterNo: z.string().trim().min(1).max(32).optional(),
      source: z.enum(['remote', 'hand', 'estimated', 'missing']).optional(),
      flag: z.enum(['swap', 'estimated', 'missing', 'rollover', 'negative']).optional(),
      scope: scopeText.optional(),
    }),
    handler: async ({ params, query }, services) => {
      checkedPeriod(params.period);
      return services.transaction(async (tx) => {
        const tenantId = services.tenant.id;
        const [exists] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_metering.periods where tenant_id = $1 and period = $2`, [tenantId, params.period]);
        if (!exists || exists.n === 0) throw refusals.noPeriod(params.period, query.scope ?? TENANT_SCOPE);
        const p = new Params();
        let where = `s.tenant_id = ${p.add(tenantId)} and s.period = ${p.add(params.period)}`;
        if (query.meterNo) where += ` and s.meter_no like ${p.add(`${query.meterNo.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`;
        if (query.source) where += ` and s.source = ${p.add(query.source)}`;
        if (query.flag) where += ` and ${p.add(query.flag)} = any(s.flags)`;
        if (query.scope) where += recordsInScope(p, query.scope, query.scope === TENANT_SCOPE ? await communitiesWithPlans(tx, tenantId) : []);
        const rows = await tx.query<{
          id: string;
          meter_id: string;
          meter_no: string;
          start_l: string;
          end_l: string;
          volume_l: string;
          source: string;
          start_at: Date | string;
          end_at: Date | string;
          flags: string[];
          segments: unknown;
          full_count: number;
        }>(
          `select s.id, s.meter_id, s.meter_no, s.start_l, s.end_l, s.volume_l, s.source, s.start_at, s.end_at, s.flags, s.segments,
                  count(*) over ()::int as full_count
             from pack_metering.settlements s where ${where}
            order by s.meter_no, s.meter_id limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        let total = rows[0]?.full_count ?? 0;
        if (rows.length === 0 && query.page > 1) {
          const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_metering.settlements s where ${where}`, p.values.slice(0, -2));
          total = count!.n;
        }
        return {
          items: rows.map((r) => ({
            id: Number(r.id),
            period: params.period,
            meterId: Number(r.meter_id),
            meterNo: r.meter_no,
            startL: litres(r.start_l),
            endL: litres(r.end_l),
            volumeL: litres(r.volume_l),
            source: r.source,
            startAt: toDate(r.start_at).toISOString(),
            endAt: toDate(r.end_at).toISOString(),
            flags: r.flags,
            segments: typeof r.segments === 'string' ? (JSON.parse(r.segments) as unknown) : r.segments,
          })),
          total,
          page: query.page,
          pageSize: query.pageSize,
        };
      });
    },
  }),

  defineRoute({
    method: 'get',
    path: '/adjustments',
    permission: PERMISSIONS.read,
    summary: 'Adjustments, newest first; filters period (posted into), correctsPeriod, meterId',
    query: z.object({ ...page, period: periodText.optional(), correctsPeriod: periodText.optional(), meterId: z.coerce.number().int().positive().optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        let where = `a.tenant_id = ${p.add(services.tenant.id)}`;
        if (query.period) where += ` and a.period = ${p.add(query.period)}`;
        if (query.correctsPeriod) where += ` and a.corrects_period = ${p.add(query.correctsPeriod)}`;
        if (query.meterId) where += ` and a.meter_id = ${p.add(query.meterId)}::bigint`;
        const rows = await tx.query<AdjustmentRow & { meter_no: string | null; full_count: number }>(
          `select a.id, a.period, a.corrects_period, a.meter_id, a.volume_l, a.reason, a.reading_id, a.created_by, a.created_at,
                  (select s.meter_no from pack_metering.settlements s where s.tenant_id = a.tenant_id and s.period = a.corrects_period and s.meter_id = a.meter_id) as meter_no,
                  count(*) over ()::int as full_count
             from pack_metering.adjustments a where ${where}
            order by a.id desc limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        let total = rows[0]?.full_count ?? 0;
        if (rows.length === 0 && query.page > 1) {
          const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_metering.adjustments a where ${where}`, p.values.slice(0, -2));
          total = count!.n;
        }
        return { items: rows.map((r) => presentAdjustment(r)), total, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'post',
    path: '/adjustments',
    permission: PERMISSIONS.adjust,
    summary: 'Correct a meter of a closed period by its end reading (readingL) or its volume (volumeL): the delta is posted into the oldest period not closed',
    status: 201,
    body: z
      .object({
        meterId: z.number().int().positive(),
        correctsPeriod: periodText,
        readingL: litresInput.optional(),
        volumeL: litresInput.optional(),
        reason: z.string().trim().min(1).max(500),
      })
      .refine((b) => (b.readingL === undefined) !== (b.volumeL === undefined), { message: 'give readingL or volumeL, one of them', path: ['readingL'] }),
    handler: async ({ body }, services) => {
      checkedPeriod(body.correctsPeriod);
      return postAdjustment(services, body);
    },
  }),
];

/**
 * Closes (locks) a settled period in the caller's transaction and emits `metering.period-closed` with its
 * totals (the route, and the demo utility's past months).
 */
export async function closePeriod(services: PackServices, tx: PackTx, period: string, scope: string) {
  const tenantId = services.tenant.id;
  const row = await lockPeriod(tx, tenantId, period, scope);
  if (!row) throw refusals.noPeriod(period, scope);
  if (row.status === 'closed') throw new PackError('conflict', l(`结算期 ${period} 已关账`, `the period ${period} is already closed`), 'params.period');
  if (row.status !== 'settled') throw refusals.notSettled(period, row.status);
  const ownPlans = scope === TENANT_SCOPE ? await communitiesWithPlans(tx, tenantId) : [];
  const totals = await scopeTotals(tx, tenantId, period, scope, ownPlans);
  const [closed] = await tx.query<PeriodRow>(
    `update pack_metering.periods set status = 'closed', closed_at = now(), closed_by = $2::bigint where id = $1::bigint returning ${PERIOD_COLUMNS}`,
    [row.id, services.user?.id ?? null],
  );
  const payload: PeriodClosed = {
    tenantId,
  period,
    scope,
    startsAt: toDate(row.starts_at).toISOString(),
    endsAt: toDate(row.ends_at).toISOString(),
    meters: totals.meters,
    totalVolumeL: totals.volumeL,
  };
  await tx.emit(PERIOD_CLOSED, payload);
  return { ...presentPeriod(closed!), meters: totals.meters, totalVolumeL: totals.volumeL };
}
