import { roles, tenants, userRoles, users } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { listPage } from '../http/paging.js';
import { idFilterConditions } from '../http/scoped-queries.js';
import { route } from '../http/route.js';
import { createTenant } from './tenant-service.js';

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'unknown IANA time zone' },
);

const settingsPatch = z.strictObject({
  timeZone: timeZone.optional(),
  locale: z.enum(['zh-CN', 'en']).optional(),
  brandingName: z.string().trim().min(1).max(100).nullable().optional(),
});

export const tenantCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and hyphens, 2–63 characters');

const tenantView = z.object({
  id: z.number(),
  parentId: z.number().nullable(),
  path: z.string(),
  code: z.string(),
  name: z.string(),
  kind: z.enum(['platform', 'group', 'company', 'site']),
  settings: z.object({ timeZone: z.string(), locale: z.string(), brandingName: z.string().nullable() }),
});

const tags = ['Tenants 租户'];

export const tenantRoutes = [
  route({
    method: 'get',
    path: '/api/tenants',
    permission: 'tenant:read',
    summary: 'List the tenants in the caller’s subtree',
    tags,
    query: pageQuery.extend({
      q: z.string().trim().max(100).optional(),
      parentId: z.coerce.number().int().positive().optional(),
      kind: z.enum(['platform', 'group', 'company', 'site']).optional(),
    }),
    response: z.object({ items: z.array(tenantView), total: z.number() }),
    handler: ({ query }, ctx) =>
      ctx.tx(async (tx) => {
        const where: (SQL | undefined)[] = await idFilterConditions(tx, query, { parentId: { column: tenants.parentId, table: tenants } });
        if (query.q) where.push(or(ilike(tenants.name, `%${query.q}%`), ilike(tenants.code, `%${query.q}%`)));
        if (query.kind) where.push(eq(tenants.kind, query.kind));
        return listPage(tx, tenants, and(...where), [tenants.path], query);
      }),
  }),
  route({
    method: 'get',
    path: '/api/tenants/:id',
    permission: 'tenant:read',
    summary: 'Read one tenant',
    tags,
    params: idParams,
    response: tenantView,
    handler: async ({ params }, ctx) => {
      const [row] = await ctx.tx((tx) => tx.select().from(tenants).where(eq(tenants.id, params.id)));
      if (!row) throw new AppError('not_found');
      return row;
    },
  }),
  route({
    method: 'post',
    path: '/api/tenants',
    permission: 'tenant:create',
    summary: 'Create a group, company or site under a tenant in the caller’s subtree',
    tags,
    status: 201,
    body: z.strictObject({
      parentId: z.number().int().positive(),
      code: tenantCode,
      name: z.string().trim().min(1).max(100),
      kind: z.enum(['group', 'company', 'site']),
      settings: settingsPatch.optional(),
    }),
    response: tenantView,
    handler: ({ body }, ctx) => ctx.tx((tx) => createTenant(tx, body)),
  }),
  route({
    method: 'patch',
    path: '/api/tenants/:id',
    permission: 'tenant:update',
    summary: 'Rename a tenant or change its settings (time zone, locale, branding)',
    tags,
    params: idParams,
    body: z.strictObject({ name: z.string().trim().min(1).max(100).optional(), settings: settingsPatch.optional() }),
    response: tenantView,
    handler: ({ params, body }, ctx) =>
      ctx.tx(async (tx) => {
        const [current] = await tx.select().from(tenants).where(eq(tenants.id, params.id)).for('update');
        if (!current) throw new AppError('not_found');
        const [row] = await tx
          .update(tenants)
          .set({
            ...(body.name ? { name: body.name } : {}),
            settings: { ...current.settings, ...body.settings },
            updatedAt: new Date(),
          })
          .where(eq(tenants.id, params.id))
          .returning();
        return row;
      }),
  }),
  route({
    method: 'delete',
    path: '/api/tenants/:id',
    permission: 'tenant:delete',
    summary: 'Delete an empty tenant (no child tenants, users or records)',
    tags,
    params: idParams,
    handler: ({ params }, ctx) =>
      ctx.tx(async (tx) => {
        if (params.id === ctx.principal().tenantId) {
          throw new AppError('conflict', { details: [{ path: 'params.id', message: 'a tenant cannot delete itself' }] });
        }
        const [row] = await tx.select().from(tenants).where(eq(tenants.id, params.id));
        if (!row) throw new AppError('not_found');
        const [held] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(userRoles)
          .innerJoin(roles, eq(roles.id, userRoles.roleId))
          .where(eq(roles.tenantId, row.id));
        const [members] = await tx.select({ n: sql<number>`count(*)::int` }).from(users).where(eq(users.tenantId, row.id));
        if ((held?.n ?? 0) > 0 || (members?.n ?? 0) > 0) throw new AppError('still_referenced');
        // The built-in roles came with the tenant and go with it; anything else still there blocks the delete.
        await tx.delete(roles).where(eq(roles.tenantId, row.id));
        await tx.delete(tenants).where(eq(tenants.id, row.id));
        return undefined;
      }),
  }),
];
