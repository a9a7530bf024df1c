import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './connect.js';
import { asSystem, inTenant, queryRows } from './tenant-scope.js';
import { tenants } from './schema.js';
import { drivers, testDatabase } from './testing/postgres.js';

const settings = { timeZone: 'Asia/Shanghai', locale: 'zh-CN' as const, brandingName: null };

describe.each(drivers)('tenant transactions on %s', (driver) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(driver);
    await asSystem(database.db, (tx) =>
      tx.insert(tenants).values([
        { id: 1, path: '1', code: 'root', name: 'root', kind: 'platform', settings },
        { id: 2, parentId: 1, path: '1.2', code: 'a', name: 'a', kind: 'company', settings },
      ]),
    );
  });
  afterAll(() => database?.close());

  const count = () => inTenant(database.db, { tenantPath: '1' }, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from tenants`));

  it('rolls back everything the work wrote when it throws, and the next transaction starts clean', async () => {
    const failing = inTenant(database.db, { tenantPath: '1' }, async (tx) => {
      await tx.insert(tenants).values({ id: 3, parentId: 1, path: '1.3', code: 'b', name: 'b', kind: 'company', settings });
      throw new Error('crash mid-write');
    });
    await expect(failing).rejects.toThrow('crash mid-write');
    expect(await count()).toEqual([{ n: 2 }]);
  });

  it('refuses a malformed tenant path before touching the database', async () => {
    let ran = false;
    const bad = inTenant(database.db, { tenantPath: "1' or true --" }, async () => {
      ran = true;
    });
    await expect(bad).rejects.toThrow('not a tenant or org path');
    expect(ran).toBe(false);
  });

  it('a statement that fails inside the work aborts only that transaction; the pool stays healthy', async () => {
    const failing = inTenant(database.db, { tenantPath: '1' }, (tx) => queryRows(tx, sql`select 1 / 0`));
    await expect(failing).rejects.toThrow();
    // More transactions than the pool has connections: none of them inherits an aborted session.
    const results = await Promise.all(Array.from({ length: 12 }, () => count()));
    expect(results.every((r) => r[0]?.n === 2)).toBe(true);
  });

  it('settings do not leak past the transaction: a plain query afterwards is not the app role', async () => {
    await count();
    const [who] = await asSystem(database.db, (tx) =>
      queryRows<{ role: string; tenant: string | null }>(tx, sql`select current_user as role, nullif(current_setting('app.tenant', true), '') as tenant`),
    );
    expect(who?.role).not.toBe('shuiyun_app');
    expect(who?.tenant).toBeNull();
  });
});
