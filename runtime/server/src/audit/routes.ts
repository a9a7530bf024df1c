import { auditLog, tenants } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, eq, gte, lt, type SQL } from 'drizzle-orm';
import { desc } from 'drizzle-orm';
import { z } from 'zod';
import { idFilterConditions } from '../http/scoped-queries.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';

const tags = ['Audit 审计'];

export const auditRoutes = [
  route({
    method: 'get',
    path: '/api/audit',
    permission: 'audit:read',
    summary: 'Search the audit trail (newest first)',
    tags,
    query: pageQuery.extend({
      tenantId: z.coerce.number().int().positive().optional(),
      entity: z.string().max(64).optional(),
      entityId: z.string().max(64).optional(),
      actorId: z.coerce.number().int().positive().optional(),
      action: z.string().max(32).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
    }),
    handler: ({ query }, ctx) =>
      ctx.tx(async (tx) => {
        const where: (SQL | undefined)[] = await idFilterConditions(tx, query, { tenantId: { column: auditLog.tenantId, table: tenants } });
        if (query.entity) where.push(eq(auditLog.entity, query.entity));
        if (query.entityId) where.push(eq(auditLog.entityId, query.entityId));
        if (query.actorId) where.push(eq(auditLog.actorId, query.actorId));
        if (query.action) where.push(eq(auditLog.action, query.action));
        if (query.from) where.push(gte(auditLog.at, new Date(query.from)));
        if (query.to) where.push(lt(auditLog.at, new Date(query.to)));
        return listPage(tx, auditLog, and(...where), [desc(auditLog.id)], query);
      }),
  }),
  route({
    method: 'get',
    path: '/api/audit/:id',
    permission: 'audit:read',
    summary: 'Read one audit entry',
    tags,
    params: idParams,
    handler: async ({ params }, ctx) => {
      const [row] = await ctx.tx((tx) => tx.select().from(auditLog).where(eq(auditLog.id, params.id)));
      if (!row) throw new AppError('not_found');
      return row;
    },
  }),
];
