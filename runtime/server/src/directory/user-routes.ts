import { orgUnits, sessions, tenants, userRoles, users, type Tx } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, eq, ilike, isNull, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { assertStrongPassword, hashPassword } from '../identity/passwords.js';
import { loadAssignableRoles } from '../permissions/grants.js';
import type { PermissionModel } from '../permissions/permission-model.js';
import type { SignInService } from '../identity/sign-in.js';
import { idFilterConditions, requireReference, resolveTenant } from '../http/scoped-queries.js';

type UserRow = typeof users.$inferSelect;

export const userView = z.object({
  id: z.number(),
  tenantId: z.number(),
  orgUnitId: z.number().nullable(),
  username: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  locale: z.string().nullable(),
  status: z.enum(['active', 'disabled']),
  locked: z.boolean(),
  hasPassword: z.boolean(),
  lastLoginAt: z.string().nullable(),
  roleIds: z.array(z.number()).optional(),
});

export function presentUser(row: UserRow, roleIds?: number[]) {
  return {
    id: row.id,
    tenantId: row.tenantId,
    orgUnitId: row.orgUnitId,
    username: row.username,
    displayName: row.displayName,
    email: row.email,
    phone: row.phone,
    locale: row.locale,
    status: row.status,
    locked: !!row.lockedUntil && row.lockedUntil.getTime() > Date.now(),
    hasPassword: row.passwordHash !== null,
    lastLoginAt: row.lastLoginAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(roleIds ? { roleIds } : {}),
  };
}

const username = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'letters, digits and . _ @ -');
const email = z.email().max(200);
const phone = z.string().regex(/^\+?[0-9-]{5,20}$/, 'digits, optional + and -');
const tags = ['Users 用户'];

async function loadUser(tx: Tx, id: number): Promise<UserRow> {
  const [row] = await tx.select().from(users).where(eq(users.id, id)).for('update');
  if (!row) throw new AppError('not_found');
  return row;
}

async function roleIdsOf(tx: Tx, userId: number): Promise<number[]> {
  const rows = await tx.select({ roleId: userRoles.roleId }).from(userRoles).where(eq(userRoles.userId, userId));
  return rows.map((r) => r.roleId).sort((a, b) => a - b);
}

/** Ends a user's open sessions in the database; the caller ends them in memory once the transaction committed. */
async function revokeSessions(tx: Tx, userId: number): Promise<string[]> {
  const ended = await tx
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return ended.map((s) => s.id);
}

/** `signIn` ends the sessions of a disabled, reset or deleted user at once, not when their access tokens expire. */
export function userRoutes(permissions: PermissionModel, signIn: Pick<SignInService, 'endSessions'>) {
  const replaceRoles = async (tx: Tx, ctx: RequestContext, user: UserRow, roleIds: number[]) => {
    await loadAssignableRoles(tx, permissions, ctx.principal(), user.tenantId, roleIds);
    await tx.delete(userRoles).where(eq(userRoles.userId, user.id));
    if (roleIds.length) {
      await tx.insert(userRoles).values(roleIds.map((roleId) => ({ userId: user.id, roleId, tenantId: user.tenantId, tenantPath: user.tenantPath })));
    }
  };

  return [
    route({
      method: 'get',
      path: '/api/users',
      permission: 'user:read',
      summary: 'List users in the caller’s tenant subtree and data scope',
      tags,
      query: pageQuery.extend({
        q: z.string().trim().max(100).optional(),
        tenantId: z.coerce.number().int().positive().optional(),
        orgUnitId: z.coerce.number().int().positive().optional(),
        status: z.enum(['active', 'disabled']).optional(),
      }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, {
            tenantId: { column: users.tenantId, table: tenants },
            orgUnitId: { column: users.orgUnitId, table: orgUnits },
          });
          if (query.status) where.push(eq(users.status, query.status));
          if (query.q) where.push(or(ilike(users.username, `%${query.q}%`), ilike(users.displayName, `%${query.q}%`)));
          const page = await listPage(tx, users, and(...where), [users.tenantPath, users.username], query);
          return { ...page, items: page.items.map((u) => presentUser(u)) };
        }),
    }),
    route({
      method: 'get',
      path: '/api/users/:id',
      permission: 'user:read',
      summary: 'Read one user with its role ids',
      tags,
      params: idParams,
      response: userView,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const user = await loadUser(tx, params.id);
          return presentUser(user, await roleIdsOf(tx, user.id));
        }),
    }),
    route({
      method: 'post',
      path: '/api/users',
      permission: 'user:create',
      summary: 'Create a user (with an initial password and roles)',
      tags,
      status: 201,
      body: z.strictObject({
        tenantId: z.number().int().positive().optional(),
        orgUnitId: z.number().int().positive().optional(),
        username,
        displayName: z.string().trim().min(1).max(100),
        email: email.optional(),
        phone: phone.optional(),
        locale: z.enum(['zh-CN', 'en']).optional(),
        password: z.string().max(256).optional(),
        roleIds: z.array(z.number().int().positive()).max(50).default([]),
      }),
      response: userView,
      handler: async ({ body }, ctx) => {
        if (body.password !== undefined) assertStrongPassword(body.password, body.username);
        if (body.roleIds.length && !permissions.can(ctx.principal().userId, ctx.principal().tenantId, 'role:assign')) {
          throw new AppError('forbidden', { details: [{ path: 'body.roleIds', message: 'role:assign is needed to give roles' }] });
        }
        // Hash outside the transaction: argon2 takes tens of milliseconds and must not hold a connection.
        const passwordHash = body.password === undefined ? null : await hashPassword(body.password);
        const created = await ctx.tx(async (tx) => {
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          const org = body.orgUnitId ? await requireReference(tx, orgUnits, body.orgUnitId, tenant.id, 'orgUnitId') : undefined;
          const [row] = await tx
            .insert(users)
            .values({
              tenantId: tenant.id,
              tenantPath: tenant.path,
              orgUnitId: org?.id ?? null,
              orgPath: org?.path ?? null,
              username: body.username,
              displayName: body.displayName,
              email: body.email ?? null,
              phone: body.phone ?? null,
              locale: body.locale ?? null,
              passwordHash,
              passwordChangedAt: passwordHash ? new Date() : null,
              createdBy: ctx.principal().userId,
            })
            .returning();
          await replaceRoles(tx, ctx, row!, [...new Set(body.roleIds)]);
          return presentUser(row!, await roleIdsOf(tx, row!.id));
        });
        if (body.roleIds.length) await permissions.changed();
        return created;
      },
    }),
    route({
      method: 'patch',
      path: '/api/users/:id',
      permission: 'user:update',
      summary: 'Change a user’s profile, org unit or status',
      tags,
      params: idParams,
      body: z.strictObject({
        displayName: z.string().trim().min(1).max(100).optional(),
        email: email.nullable().optional(),
        phone: phone.nullable().optional(),
        locale: z.enum(['zh-CN', 'en']).nullable().optional(),
        orgUnitId: z.number().int().positive().nullable().optional(),
        status: z.enum(['active', 'disabled']).optional(),
      }),
      response: userView,
      handler: async ({ params, body }, ctx) => {
        const { view, ended } = await ctx.tx(async (tx) => {
          const user = await loadUser(tx, params.id);
          if (body.status === 'disabled' && user.id === ctx.principal().userId) {
            throw new AppError('conflict', { details: [{ path: 'body.status', message: 'you cannot disable yourself' }] });
          }
          const { orgUnitId, ...rest } = body;
          const org =
            orgUnitId === undefined
              ? undefined
              : orgUnitId === null
                ? null
                : await requireReference(tx, orgUnits, orgUnitId, user.tenantId, 'orgUnitId');
          const [row] = await tx
            .update(users)
            .set({ ...rest, ...(org === undefined ? {} : { orgUnitId: org?.id ?? null, orgPath: org?.path ?? null }), updatedAt: new Date() })
            .where(eq(users.id, user.id))
            .returning();
          const ended = body.status === 'disabled' ? await revokeSessions(tx, user.id) : [];
          return { view: presentUser(row!, await roleIdsOf(tx, user.id)), ended };
        });
        signIn.endSessions(ended);
        return view;
      },
    }),
    route({
      method: 'delete',
      path: '/api/users/:id',
      permission: 'user:delete',
      summary: 'Delete a user (its sessions and role assignments go with it)',
      tags,
      params: idParams,
      handler: async ({ params }, ctx) => {
        const ended = await ctx.tx(async (tx) => {
          const user = await loadUser(tx, params.id);
          if (user.id === ctx.principal().userId) {
            throw new AppError('conflict', { details: [{ path: 'params.id', message: 'you cannot delete yourself' }] });
          }
          const open = await revokeSessions(tx, user.id);
          await tx.delete(users).where(eq(users.id, user.id));
          return open;
        });
        signIn.endSessions(ended);
        await permissions.changed();
        return undefined;
      },
    }),
    route({
      method: 'put',
      path: '/api/users/:id/roles',
      permission: 'role:assign',
      summary: 'Replace a user’s roles',
      tags,
      params: idParams,
      body: z.strictObject({ roleIds: z.array(z.number().int().positive()).max(50) }),
      response: userView,
      handler: async ({ params, body }, ctx) => {
        const result = await ctx.tx(async (tx) => {
          const user = await loadUser(tx, params.id);
          await replaceRoles(tx, ctx, user, [...new Set(body.roleIds)]);
          return presentUser(user, await roleIdsOf(tx, user.id));
        });
        await permissions.changed();
        return result;
      },
    }),
    route({
      method: 'post',
      path: '/api/users/:id/password',
      permission: 'user:update',
      summary: 'Set a new password for a user and end its sessions',
      tags,
      params: idParams,
      body: z.strictObject({ password: z.string().max(256) }),
      handler: async ({ params, body }, ctx) => {
        // Check first, hash outside any transaction (argon2 is slow), then write.
        const user = await ctx.tx((tx) => loadUser(tx, params.id));
        assertStrongPassword(body.password, user.username);
        const passwordHash = await hashPassword(body.password);
        const ended = await ctx.tx(async (tx) => {
          const current = await loadUser(tx, user.id);
          await tx.update(users).set({ passwordHash, passwordChangedAt: new Date(), failedLogins: 0, lockedUntil: null }).where(eq(users.id, current.id));
          return revokeSessions(tx, current.id);
        });
        signIn.endSessions(ended);
        return undefined;
      },
    }),
    route({
      method: 'post',
      path: '/api/users/:id/unlock',
      permission: 'user:update',
      summary: 'Lift a lockout after repeated failed sign-ins',
      tags,
      params: idParams,
      response: userView,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const user = await loadUser(tx, params.id);
          const [row] = await tx.update(users).set({ failedLogins: 0, lockedUntil: null }).where(eq(users.id, user.id)).returning();
          return presentUser(row!);
        }),
    }),
  ];
}
