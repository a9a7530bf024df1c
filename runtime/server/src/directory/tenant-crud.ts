import type { Tx } from '@shuiyun/db';
import { idFilterConditions, type IdFilter, type Row, type TargetTenant, type TenantTable, resolveTenant } from '../http/scoped-queries.js';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, eq, ilike, or, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { z, type ZodObject, type ZodType } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route, type RuntimeRoute } from '../http/route.js';

export interface CrudSpec<T extends TenantTable, C extends ZodObject, U extends ZodObject> {
  /** Permission resource, e.g. `community` → `community:read` … */
  resource: string;
  path: string;
  tags: string[];
  /** Human name for the OpenAPI summaries. */
  noun: string;
  table: T;
  create: C;
  update: U;
  view: ZodType;
  /** Columns `q` searches with ILIKE. */
  search: PgColumn[];
  idFilters: Record<string, IdFilter>;
  orderBy: PgColumn[];
  /** The tenant a new record goes to, when it follows from a parent record rather than `body.tenantId`. */
  tenantOf?: (tx: Tx, body: z.output<C>, ctx: RequestContext) => Promise<number>;
  /** Completes the insert values: resolves references, copies org paths. */
  prepareCreate: (tx: Tx, body: z.output<C>, tenant: TargetTenant, ctx: RequestContext) => Promise<Record<string, unknown>>;
  prepareUpdate: (tx: Tx, body: z.output<U>, current: T['$inferSelect'], ctx: RequestContext) => Promise<Record<string, unknown>>;
  /** Removes secrets before a row leaves the server. */
  present?: (row: T['$inferSelect']) => unknown;
}

/** List, read, create, update and delete for a tenant-scoped entity, each route with its permission. */
export function tenantCrudRoutes<T extends TenantTable, C extends ZodObject, U extends ZodObject>(spec: CrudSpec<T, C, U>): RuntimeRoute[] {
  const { table, resource, path, tags, noun } = spec;
  const present = (row: unknown) => (spec.present ? spec.present(row as T['$inferSelect']) : row);
  const idFilterQuery = Object.fromEntries(Object.keys(spec.idFilters).map((k) => [k, z.coerce.number().int().positive().optional()]));
  const load = async (tx: Tx, id: number) => {
    const [row] = (await tx
      .select()
      .from(table as PgTable)
      .where(eq(table.id, id))
      .for('update')) as Row[];
    if (!row) throw new AppError('not_found');
    return row as T['$inferSelect'];
  };

  return [
    route({
      method: 'get',
      path,
      permission: `${resource}:read`,
      summary: `List ${noun}s`,
      tags,
      query: pageQuery.extend({ q: z.string().trim().max(100).optional(), ...idFilterQuery }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, spec.idFilters);
          if (query.q) where.push(or(...spec.search.map((c) => ilike(c, `%${query.q}%`))));
          const page = await listPage(tx, table, and(...where), spec.orderBy, query);
          return { ...page, items: page.items.map(present) };
        }),
    }),
    route({
      method: 'get',
      path: `${path}/:id`,
      permission: `${resource}:read`,
      summary: `Read one ${noun}`,
      tags,
      params: idParams,
      response: spec.view,
      handler: async ({ params }, ctx) => present(await ctx.tx((tx) => load(tx, params.id))),
    }),
    route({
      method: 'post',
      path,
      permission: `${resource}:create`,
      summary: `Create a ${noun}`,
      tags,
      status: 201,
      body: spec.create,
      response: spec.view,
      handler: ({ body }, ctx) =>
        ctx.tx(async (tx) => {
          const named = spec.tenantOf ? await spec.tenantOf(tx, body as z.output<C>, ctx) : (body as { tenantId?: number }).tenantId;
          const tenant = await resolveTenant(tx, ctx, named);
          const values = await spec.prepareCreate(tx, body as z.output<C>, tenant, ctx);
          const [row] = await tx
            .insert(table)
            .values({ ...values, tenantId: tenant.id, tenantPath: tenant.path, createdBy: ctx.principal().userId } as never)
            .returning();
          return present(row);
        }),
    }),
    route({
      method: 'patch',
      path: `${path}/:id`,
      permission: `${resource}:update`,
      summary: `Change a ${noun}`,
      tags,
      params: idParams,
      body: spec.update,
      response: spec.view,
      handler: ({ params, body }, ctx) =>
        ctx.tx(async (tx) => {
          const current = await load(tx, params.id);
          const values = await spec.prepareUpdate(tx, body as z.output<U>, current, ctx);
          const rows = (await tx
            .update(table)
            .set({ ...values, updatedAt: new Date() } as never)
            .where(eq(table.id, params.id))
            .returning()) as unknown[];
          return present(rows[0]);
        }),
    }),
    route({
      method: 'delete',
      path: `${path}/:id`,
      permission: `${resource}:delete`,
      summary: `Delete a ${noun}`,
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          await load(tx, params.id);
          await tx.delete(table).where(eq(table.id, params.id));
          return undefined;
        }),
    }),
  ];
}
