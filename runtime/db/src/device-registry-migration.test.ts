import { afterAll, describe, expect, it } from 'vitest';
import { upgradeWithRoles } from './testing/migrations.js';
import { drivers } from './testing/postgres.js';

describe.each(drivers)('upgrading to the device registry on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('gives the built-in roles of existing tenants the registry permissions (administrators all, viewers the reads), and leaves other roles alone', async () => {
    const { roles } = await upgradeWithRoles(
      driver,
      { before: '0004_device_registry', through: '0005_device_registry_security', roles: [
        { code: 'admin', permissions: ['community:read', 'community:create'], builtin: true },
        { code: 'viewer', permissions: ['community:read'], builtin: true },
        { code: 'meter-reader', permissions: ['community:read'], builtin: false },
      ] },
      cleanup,
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
