import { type AnalyticsStore, milliToDecimal } from '@shuiyun/analytics';
import { devices } from '@shuiyun/db';
import { AppError, idParams } from '@shuiyun/http';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { route } from '../http/route.js';

const tags = ['Devices 设备'];

/** Readings of one device from the analytics store, scoped like every analytics query to the caller's tenant. */
export function readingsRoutes(analytics: AnalyticsStore | undefined) {
  return [
    route({
      method: 'get',
      path: '/api/devices/:id/readings',
      permission: 'device:read',
      summary: 'A device’s readings, newest first (values exact, in the metric’s canonical unit)',
      tags,
      params: idParams,
      query: z.object({
        metric: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/).optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      handler: async ({ params, query }, ctx) => {
        if (!analytics) throw new AppError('not_ready');
        const [device] = await ctx.tx((tx) =>
          tx.select({ key: devices.deviceKey, tenantId: devices.tenantId }).from(devices).where(eq(devices.id, params.id)),
        );
        if (!device) throw new AppError('not_found');
        const conditions = ['tenant_id = {tenant:UInt64}', 'device = {device:String}'];
        if (query.metric) conditions.push('metric = {metric:String}');
        if (query.from) conditions.push("at >= {from:DateTime64(3, 'UTC')}");
        if (query.to) conditions.push("at < {to:DateTime64(3, 'UTC')}");
        const rows = await analytics.query<{ metric: string; at: string; milli: string }>(
          { tenantPath: ctx.principal().tenantPath },
          `SELECT metric, at, milli FROM {{readings}} WHERE ${conditions.join(' AND ')} ORDER BY at DESC, metric LIMIT {limit:UInt32}`,
          {
            tenant: device.tenantId,
            device: device.key,
            limit: query.limit,
            ...(query.metric ? { metric: query.metric } : {}),
            ...(query.from ? { from: new Date(query.from) } : {}),
            ...(query.to ? { to: new Date(query.to) } : {}),
          },
        );
        return {
          items: rows.map((r) => ({ metric: r.metric, at: new Date(`${r.at.replace(' ', 'T')}Z`).toISOString(), value: milliToDecimal(BigInt(r.milli)) })),
        };
      },
    }),
  ];
}
