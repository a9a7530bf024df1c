import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsSlice, rawDatabase } from './testing/migrations.js';
import { drivers } from './testing/postgres.js';

describe.each(drivers)('upgrading to the device registry on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('gives the built-in roles of existing tenants the registry permissions (administrators all, viewers the reads), and leaves other roles alone', async () => {
    const before = migrationsSlice({ before: '0004_device_registry' });
    cleanup.push(before.remove);
    // Up to the registry's own migrations: later ones grant further permissions of their own.
    const registry = migrationsSlice({ through: '0005_device_registry_security' });
    cleanup.push(registry.remove);
    const database = await rawDatabase(driver);
    cleanup.push(() => database.close());
    await database.migrate(before.folder);

    await database.rows(sql`insert into tenants (id, path, code, name, kind, settings) values
      (1, '1', 'platform', 'p', 'platform', '{}'), (2, '1.2', 'county', 'c', 'company', '{}')`);
    await database.rows(sql`insert into roles (tenant_id, tenant_path, code, name, permissions, builtin) values
      (1, '1', 'admin', 'a', '{*:*}', true),
      (2, '1.2', 'admin', 'a', '{community:read,community:create}', true),
      (2, '1.2', 'viewer', 'v', '{community:read}', true),
      (2, '1.2', 'meter-reader', 'm', '{community:read}', false)`);

    await database.migrate(registry.folder);
    const roles = await database.rows<{ tenant_id: number; code: string; permissions: string[] }>(
      sql`select tenant_id::int, code, permissions from roles order by tenant_id, code`,
    );
    expect(roles).toEqual([
      { tenant_id: 1, code: 'admin', permissions: ['*:*'] },
      {
        tenant_id: 2,
        code: 'admin',
        permissions: [
          'community:create',
          'community:read',
          'device:create',
          'device:delete',
          'device:export',
          'device:import',
          'device:read',
          'device:rotate-secret',
          'device:transition',
          'device:update',
          'product:create',
          'product:delete',
          'product:read',
          'product:update',
        ],
      },
      { tenant_id: 2, code: 'meter-reader', permissions: ['community:read'] },
      { tenant_id: 2, code: 'viewer', permissions: ['community:read', 'device:read', 'product:read'] },
    ]);
  });
});
