import { type TenantScope, tenants, type Tx } from '@shuiyun/db';
import { DEFAULT_TIME_ZONE, canonicalTimeZone } from '@shuiyun/reports';
import { eq } from 'drizzle-orm';
import type { RequestContext } from '../http/context.js';
import { resolveTenant } from '../http/scoped-queries.js';
import type { Author } from './store.js';

/**
 * The caller's scope as the engine runs it: the analytics port filters by the tenant path, PostgreSQL's
 * row-level security by all of it (the data scope narrows registry lookups and Postgres datasets to the
 * caller's org unit or own records, as everywhere else).
 */
export function callerScope(ctx: RequestContext): TenantScope {
  const p = ctx.principal();
  return {
    tenantPath: p.tenantPath,
    userId: p.userId,
    userName: p.username,
    dataScope: ctx.caller?.dataScope ?? 'own',
    orgPath: p.orgPath,
    requestId: ctx.requestId,
  };
}

/** A tenant's time zone (tenants.settings.timeZone), Asia/Shanghai when unset or not a zone. */
export async function tenantTimeZone(tx: Tx, tenantId: number): Promise<string> {
  const [tenant] = await tx.select({ settings: tenants.settings }).from(tenants).where(eq(tenants.id, tenantId));
  return canonicalTimeZone(tenant?.settings.timeZone ?? '') ?? DEFAULT_TIME_ZONE;
}

/** Who saves into which tenant: the one named (it must be visible: else 403 forbidden_tenant), else the caller's. */
export async function authorIn(tx: Tx, ctx: RequestContext, tenantId: number | undefined): Promise<Author> {
  const tenant = await resolveTenant(tx, ctx, tenantId);
  return { tenantId: tenant.id, tenantPath: tenant.path, userId: ctx.principal().userId };
}
