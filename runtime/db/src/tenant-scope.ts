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

/** The session settings a tenant transaction starts with, in the order they are set. */
export function tenantSettings(scope: TenantScope): [string, string][] {
  // Paths are ids joined by dots (see tenants.path); anything else is a programming error, refused before SQL.
  for (const path of [scope.tenantPath, scope.orgPath ?? '1']) {
    if (!/^[0-9]+(\.[0-9]+)*$/.test(path)) throw new Error(`not a tenant or org path: ${JSON.stringify(path)}`);
  }
  return [
    // Setting `role` locally is SET LOCAL ROLE in a form that takes values: RLS applies from here on.
    ['role', APP_ROLE],
    ['app.tenant', scope.tenantPath],
    ['app.user', scope.userId == null ? '' : String(scope.userId)],
    ['app.user_name', scope.userName ?? ''],
    ['app.scope', scope.dataScope ?? 'tenant'],
    ['app.org', scope.orgPath ?? ''],
    ['app.request_id', scope.requestId ?? ''],
  ];
}

/**
 * A driver's faster way to open a tenant transaction (PostgreSQL sends BEGIN and the settings in one
 * round trip); registered by openDatabase, looked up by inTenant.
 */
export type TenantTransaction = <T>(settings: [string, string][], work: (tx: Tx) => Promise<T>) => Promise<T>;
const tenantTransactions = new WeakMap<Db, TenantTransaction>();

export function registerTenantTransaction(db: Db, run: TenantTransaction): void {
  tenantTransactions.set(db, run);
}

/**
 * Runs `work` in one transaction as the application role with the tenant set locally, so
 * PostgreSQL's row-level security decides what the statements inside can read and write.
 */
export async function inTenant<T>(db: Db, scope: TenantScope, work: (tx: Tx) => Promise<T>): Promise<T> {
  const settings = tenantSettings(scope);
  const fast = tenantTransactions.get(db);
  if (fast) return fast(settings, work);
  return db.transaction(async (tx) => {
    const calls = settings.map(([name, value]) => sql`set_config(${name}, ${value}, true)`);
    await tx.execute(sql`select ${sql.join(calls, sql`, `)}`);
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
