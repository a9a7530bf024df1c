import { tenants, type Tx } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { eq, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { RequestContext } from './context.js';

/** A table whose rows belong to a tenant: row-level security filters it on `tenant_path`. */
export type TenantTable = PgTable & { id: PgColumn; tenantId: PgColumn; tenantPath: PgColumn };
export type Row = Record<string, unknown> & { id: number; tenantId: number; tenantPath: string };

export interface TargetTenant {
  id: number;
  path: string;
}

/** The tenant a new record goes to: the one named in the body, else the caller's; it must be visible. */
export async function resolveTenant(tx: Tx, ctx: RequestContext, tenantId: number | undefined): Promise<TargetTenant> {
  const id = tenantId ?? ctx.principal().tenantId;
  const [tenant] = await tx.select({ id: tenants.id, path: tenants.path }).from(tenants).where(eq(tenants.id, id));
  if (!tenant) throw new AppError('forbidden_tenant', { details: [{ path: 'tenantId', message: 'tenant not visible' }] });
  return tenant;
}

/**
 * Loads a referenced record (an org unit, a community…) that must be visible to the caller and belong
 * to `tenantId`; anything else is a 400 naming the field, never a silent cross-tenant link.
 */
export async function requireReference<T extends TenantTable>(
  tx: Tx,
  table: T,
  id: number,
  tenantId: number,
  field: string,
): Promise<T['$inferSelect']> {
  const [row] = (await tx
    .select()
    .from(table as PgTable)
    .where(eq(table.id, id))) as Row[];
  if (!row || row.tenantId !== tenantId) {
    throw new AppError('invalid_reference', { details: [{ path: `body.${field}`, message: `no such record in this tenant: ${id}` }] });
  }
  return row as T['$inferSelect'];
}

/** A list filter that names a record by id; a record the caller cannot see is a 404, not an empty page. */
export interface IdFilter {
  column: PgColumn;
  table: TenantTable | typeof tenants;
}

/**
 * Conditions for list filters that name records by id (`?tenantId=`, `?orgUnitId=` …). Each named
 * record must be visible to the caller: one that is not is a 404, never a quietly empty page.
 */
export async function idFilterConditions(tx: Tx, query: object, filters: Record<string, IdFilter>): Promise<SQL[]> {
  const conditions: SQL[] = [];
  for (const [name, filter] of Object.entries(filters)) {
    const value = (query as Record<string, unknown>)[name];
    if (typeof value !== 'number') continue;
    const [visible] = await tx
      .select({ id: filter.table.id })
      .from(filter.table as PgTable)
      .where(eq(filter.table.id, value));
    if (!visible) throw new AppError('not_found', { details: [{ path: `query.${name}`, message: `not visible: ${value}` }] });
    conditions.push(eq(filter.column, value));
  }
  return conditions;
}

