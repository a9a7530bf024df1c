import { roles, tenants, userRoles } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { idFilterConditions, resolveTenant } from '../http/scoped-queries.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { isKnownPermission, permissionCatalogue } from './catalogue.js';
import { assertGrantable } from './grants.js';
import type { PermissionModel } from './permission-model.js';

const permissionList = z
  .array(z.string().refine(isKnownPermission, { message: 'unknown permission; see GET /api/permissions' }))
  .max(200)
  .transform((list) => [...new Set(list)].sort());
const dataScope = z.enum(['tenant', 'org', 'own']);
const roleView = z.object({
  id: z.number(),
  tenantId: z.number(),
  code: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  permissions: z.array(z.string()),
  dataScope,
  builtin: z.boolean(),
});
const tags = ['Roles 角色权限'];

const resourceLabels: Record<string, { 'zh-CN': string; en: string }> = {
  tenant: { 'zh-CN': '租户', en: 'Tenants' },
  'org-unit': { 'zh-CN': '组织机构', en: 'Org units' },
  community: { 'zh-CN': '小区', en: 'Communities' },
  building: { 'zh-CN': '楼栋', en: 'Buildings' },
  user: { 'zh-CN': '用户', en: 'Users' },
  role: { 'zh-CN': '角色', en: 'Roles' },
  'identity-provider': { 'zh-CN': '单点登录', en: 'Single sign-on' },
  audit: { 'zh-CN': '审计日志', en: 'Audit log' },
  product: { 'zh-CN': '产品型号', en: 'Device products' },
  device: { 'zh-CN': '设备台账', en: 'Devices' },
  'push-endpoint': { 'zh-CN': 'NB-IoT 推送地址', en: 'NB-IoT push endpoints' },
  alarm: { 'zh-CN': '告警', en: 'Alarms' },
  'alarm-rule': { 'zh-CN': '告警规则', en: 'Alarm rules' },
};

export function roleRoutes(permissions: PermissionModel) {
  return [
    route({
      method: 'get',
      path: '/api/permissions',
      permission: 'authenticated',
      summary: 'The permission catalogue, and which of it the caller holds',
      tags,
      handler: (_input, ctx) => {
        const p = ctx.principal();
        return {
          resources: Object.entries(permissionCatalogue).map(([resource, actions]) => ({
            resource,
            label: resourceLabels[resource]?.[ctx.locale] ?? resource,
            actions,
          })),
          dataScopes: ['tenant', 'org', 'own'],
          held: permissions.permissionsOf(p.userId, p.tenantId),
        };
      },
    }),
    route({
      method: 'get',
      path: '/api/roles',
      permission: 'role:read',
      summary: 'List roles in the caller’s tenant subtree',
      tags,
      query: pageQuery.extend({ q: z.string().trim().max(100).optional(), tenantId: z.coerce.number().int().positive().optional() }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, { tenantId: { column: roles.tenantId, table: tenants } });
          if (query.q) where.push(or(ilike(roles.code, `%${query.q}%`), ilike(roles.name, `%${query.q}%`)));
          return listPage(tx, roles, and(...where), [roles.tenantPath, roles.code], query);
        }),
    }),
    route({
      method: 'get',
      path: '/api/roles/:id',
      permission: 'role:read',
      summary: 'Read one role',
      tags,
      params: idParams,
      response: roleView,
      handler: async ({ params }, ctx) => {
        const [row] = await ctx.tx((tx) => tx.select().from(roles).where(eq(roles.id, params.id)));
        if (!row) throw new AppError('not_found');
        return row;
      },
    }),
    route({
      method: 'post',
      path: '/api/roles',
      permission: 'role:create',
      summary: 'Create a role with permissions and a data scope',
      tags,
      status: 201,
      body: z.strictObject({
        tenantId: z.number().int().positive().optional(),
        code: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
        name: z.string().trim().min(1).max(100),
        description: z.string().trim().max(500).optional(),
        permissions: permissionList,
        dataScope: dataScope.default('tenant'),
      }),
      response: roleView,
      handler: async ({ body }, ctx) => {
        assertGrantable(permissions, ctx.principal(), body.permissions, 'body.permissions');
        const row = await ctx.tx(async (tx) => {
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          const [created] = await tx
            .insert(roles)
            .values({ ...body, tenantId: tenant.id, tenantPath: tenant.path, createdBy: ctx.principal().userId })
            .returning();
          return created;
        });
        await permissions.changed();
        return row;
      },
    }),
    route({
      method: 'patch',
      path: '/api/roles/:id',
      permission: 'role:update',
      summary: 'Change a role’s name, permissions or data scope (built-in roles keep their permissions)',
      tags,
      params: idParams,
      body: z.strictObject({
        name: z.string().trim().min(1).max(100).optional(),
        description: z.string().trim().max(500).nullable().optional(),
        permissions: permissionList.optional(),
        dataScope: dataScope.optional(),
      }),
      response: roleView,
      handler: async ({ params, body }, ctx) => {
        if (body.permissions) assertGrantable(permissions, ctx.principal(), body.permissions, 'body.permissions');
        const row = await ctx.tx(async (tx) => {
          const [current] = await tx.select().from(roles).where(eq(roles.id, params.id)).for('update');
          if (!current) throw new AppError('not_found');
          if (current.builtin && (body.permissions || body.dataScope)) {
            throw new AppError('conflict', { details: [{ path: 'body.permissions', message: 'built-in roles keep their permissions' }] });
          }
          const [updated] = await tx.update(roles).set({ ...body, updatedAt: new Date() }).where(eq(roles.id, params.id)).returning();
          return updated;
        });
        await permissions.changed();
        return row;
      },
    }),
    route({
      method: 'delete',
      path: '/api/roles/:id',
      permission: 'role:delete',
      summary: 'Delete a role nobody holds',
      tags,
      params: idParams,
      handler: async ({ params }, ctx) => {
        await ctx.tx(async (tx) => {
          const [current] = await tx.select().from(roles).where(eq(roles.id, params.id)).for('update');
          if (!current) throw new AppError('not_found');
          if (current.builtin) throw new AppError('conflict', { details: [{ path: 'params.id', message: 'built-in roles cannot be deleted' }] });
          const [held] = await tx.select({ n: sql<number>`count(*)::int` }).from(userRoles).where(eq(userRoles.roleId, current.id));
          if ((held?.n ?? 0) > 0) throw new AppError('still_referenced');
          await tx.delete(roles).where(eq(roles.id, current.id));
        });
        await permissions.changed();
        return undefined;
      },
    }),
  ];
}
