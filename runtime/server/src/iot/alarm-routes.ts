import { alarms, devices, tenants, type Tx } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, desc, eq, gte, lt, ne, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { idFilterConditions } from '../http/scoped-queries.js';
import type { AlarmBook, AlarmRow } from './alarm-book.js';

const tags = ['Alarms 告警'];
const noteBody = z.strictObject({ note: z.string().trim().max(500).optional() });

async function loadAlarm(tx: Tx, id: number): Promise<AlarmRow> {
  const [row] = await tx.select().from(alarms).where(eq(alarms.id, id)).for('update');
  if (!row) throw new AppError('not_found');
  return row;
}

/** The alarm list and the two things people do with an alarm: acknowledge it, close it by hand. */
export function alarmRoutes(book: AlarmBook | undefined) {
  return [
    route({
      method: 'get',
      path: '/api/alarms',
      permission: 'alarm:read',
      summary: 'Alarms in the caller’s tenant subtree and data scope, newest first',
      tags,
      query: pageQuery.extend({
        status: z.enum(['active', 'acknowledged', 'cleared', 'open']).optional(),
        kind: z.string().regex(/^[a-z_]{1,40}$/).optional(),
        severity: z.enum(['info', 'warning', 'critical']).optional(),
        tenantId: z.coerce.number().int().positive().optional(),
        deviceId: z.coerce.number().int().positive().optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
      }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, {
            tenantId: { column: alarms.tenantId, table: tenants },
            deviceId: { column: alarms.deviceId, table: devices },
          });
          // `open` = not yet cleared: what an operator's work queue shows.
          if (query.status === 'open') where.push(ne(alarms.status, 'cleared'));
          else if (query.status) where.push(eq(alarms.status, query.status));
          if (query.kind) where.push(eq(alarms.kind, query.kind));
          if (query.severity) where.push(eq(alarms.severity, query.severity));
          if (query.from) where.push(gte(alarms.raisedAt, new Date(query.from)));
          if (query.to) where.push(lt(alarms.raisedAt, new Date(query.to)));
          return listPage(tx, alarms, and(...where), [desc(alarms.raisedAt), desc(alarms.id)], query);
        }),
    }),
    route({
      method: 'get',
      path: '/api/alarms/:id',
      permission: 'alarm:read',
      summary: 'Read one alarm',
      tags,
      params: idParams,
      handler: ({ params }, ctx) => ctx.tx((tx) => loadAlarm(tx, params.id)),
    }),
    route({
      method: 'post',
      path: '/api/alarms/:id/acknowledge',
      permission: 'alarm:acknowledge',
      summary: 'Acknowledge an active alarm (someone is on it); the condition may still be going on',
      tags,
      params: idParams,
      body: noteBody,
      handler: async ({ params, body }, ctx) => {
        const row = await ctx.tx(async (tx) => {
          const current = await loadAlarm(tx, params.id);
          if (current.status !== 'active') {
            throw new AppError('conflict', { details: [{ path: 'params.id', message: `the alarm is ${current.status}, only an active alarm can be acknowledged` }] });
          }
          const [updated] = await tx
            .update(alarms)
            .set({ status: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: ctx.principal().userId, note: body.note ?? current.note, updatedAt: new Date() })
            .where(eq(alarms.id, current.id))
            .returning();
          return updated!;
        });
        book?.announce({ type: 'acknowledged', alarm: row });
        return row;
      },
    }),
    route({
      method: 'post',
      path: '/api/alarms/:id/clear',
      permission: 'alarm:clear',
      summary: 'Close an alarm by hand (a false alarm, or handled outside the platform)',
      tags,
      params: idParams,
      body: noteBody,
      handler: async ({ params, body }, ctx) => {
        const row = await ctx.tx(async (tx) => {
          const current = await loadAlarm(tx, params.id);
          if (current.status === 'cleared') {
            throw new AppError('conflict', { details: [{ path: 'params.id', message: 'the alarm is already cleared' }] });
          }
          const [updated] = await tx
            .update(alarms)
            .set({ status: 'cleared', clearedAt: new Date(), clearedBy: ctx.principal().userId, note: body.note ?? current.note, updatedAt: new Date() })
            .where(eq(alarms.id, current.id))
            .returning();
          return updated!;
        });
        book?.announce({ type: 'cleared', alarm: row });
        return row;
      },
    }),
  ];
}
