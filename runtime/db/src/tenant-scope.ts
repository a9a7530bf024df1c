import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from './connect.js';
import type { DataScope } from './schema.js';

/** The database role every request works as; it cannot bypass row-level security. */
export const APP_ROLE = 'shuiyun_app';

/** What a request may see: a tenant subtree, narrowed by the caller's data scope. */
export interface TenantScope {
  /** ltree path of the caller's tenant; rows under it are visible. */
  tenantPath: string;
  userId?: number | null;
  userName?: string | null;
  dataScope?: DataScope;
  /** ltree path of the caller's org unit, for the `org` data scope. */
  orgPath?: string | null;
  requestId?: string | null;
}

/**
 * Runs `work` in one transaction as the application role with the tenant set locally, so
 * PostgreSQL's row-level security decides what the statements inside can read and write.
 */
export function inTenant<T>(db: Db, scope: TenantScope, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // set_config('role', …, true) is SET LOCAL ROLE in a form that takes parameters, in one round trip.
    await tx.execute(sql`select set_config('role', ${APP_ROLE}, true),
      set_config('app.tenant', ${scope.tenantPath}, true),
      set_config('app.user', ${scope.userId == null ? '' : String(scope.userId)}, true),
      set_config('app.user_name', ${scope.userName ?? ''}, true),
      set_config('app.scope', ${scope.dataScope ?? 'tenant'}, true),
      set_config('app.org', ${scope.orgPath ?? ''}, true),
      set_config('app.request_id', ${scope.requestId ?? ''}, true)`);
    return work(tx);
  });
}

/**
 * Runs `work` as the connecting (owner) role, outside row-level security. Only for what precedes a
 * tenant: sign-in, token refresh, loading the permission model, migrations and first-run seeding.
 */
export function asSystem<T>(db: Db, work: (tx: Tx) => Promise<T>, audit?: { userId?: number | null; userName?: string | null }): Promise<T> {
  return db.transaction(async (tx) => {
    if (audit) {
      await tx.execute(sql`select set_config('app.user', ${audit.userId == null ? '' : String(audit.userId)}, true),
        set_config('app.user_name', ${audit.userName ?? ''}, true)`);
    }
    return work(tx);
  });
}

/** Rows of a raw statement; both drivers (pg and PGlite) answer with `{ rows }`. */
export async function queryRows<T>(tx: Tx | Db, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}
