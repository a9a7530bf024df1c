/**
 * The billing-run routes (under `/api/ext/billing`):
 *   GET  /runs        billing.bills:read   runs, newest period first, with progress { done, total }
 *   GET  /runs/:id    billing.bills:read
 *   POST /runs        billing.bills:run    start or resume the run of a closed metering period (202)
 */
import { defineRoute } from '@shuiyun/sdk';
import { z } from 'zod';
import { conflict, idParams, l, notFound, page, Params, PERMISSIONS, periodText } from '../shared.js';
import { presentRun, RUN_COLUMNS, startRun, TENANT_SCOPE, type RunRow } from './runs.js';

const scopeText = z.string().trim().min(1).max(100);

export const runRoutes = [
  defineRoute({
    method: 'get',
    path: '/runs',
    permission: PERMISSIONS.billsRead,
    summary: 'Billing runs, newest period first, with their status and progress (done/total); filters period, scope, status',
    query: z.object({ ...page, period: periodText.optional(), scope: scopeText.optional(), status: z.enum(['pending', 'running', 'done', 'failed']).optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`tenant_id = ${p.add(services.tenant.id)}`];
        if (query.period) where.push(`period = ${p.add(query.period)}`);
        if (query.scope) where.push(`scope = ${p.add(query.scope)}`);
        if (query.status) where.push(`status = ${p.add(query.status)}`);
        const filter = p.values.length;
        const rows = await tx.query<RunRow & { full_count: number }>(
          `select ${RUN_COLUMNS}, count(*) over ()::int as full_count from pack_billing.runs where ${where.join(' and ')}
            order by period desc, scope <> '*', scope, id desc limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        let total = rows[0]?.full_count ?? 0;
        if (rows.length === 0 && query.page > 1) {
          const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.runs where ${where.join(' and ')}`, p.values.slice(0, filter));
          total = count!.n;
        }
        return { items: rows.map(presentRun), total, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/runs/:id',
    permission: PERMISSIONS.billsRead,
    summary: 'One billing run: status, progress, bills, skipped and unpriced accounts, amount',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<RunRow>(`select ${RUN_COLUMNS} from pack_billing.runs where tenant_id = $1 and id = $2::bigint`, [services.tenant.id, params.id]);
        if (!row) throw notFound(l(`没有计费批次 ${params.id}`, `no billing run ${params.id}`), 'params.id');
        return presentRun(row);
      }),
  }),

  defineRoute({
    method: 'post',
    path: '/runs',
    permission: PERMISSIONS.billsRun,
    summary: 'Start or resume the billing run of a closed metering period (202): a running or done run is answered as it is, a failed one restarts where it stopped',
    status: 202,
    body: z.object({ period: periodText, scope: scopeText.optional() }),
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const scope = body.scope ?? TENANT_SCOPE;
        const [period] = await tx.query<{ status: string; starts_at: Date | string; ends_at: Date | string }>(
          `select status, starts_at, ends_at from pack_metering.periods where tenant_id = $1 and period = $2 and scope = $3`,
          [services.tenant.id, body.period, scope],
        );
        if (!period) throw notFound(l(`没有结算期 ${body.period}（范围 ${scope}）`, `no metering period ${body.period} (scope ${scope})`), 'body.period');
        if (period.status !== 'closed') {
          throw conflict(
            l(`结算期 ${body.period} 尚未关账（状态 ${period.status}），不能计费`, `the metering period ${body.period} is not closed (status ${period.status}): it cannot be billed yet`),
            'body.period',
          );
        }
        const { row } = await startRun(tx, services, { period: body.period, scope, startsAt: period.starts_at, endsAt: period.ends_at, requestedBy: services.user?.id ?? null });
        return presentRun(row);
      }),
  }),
];
