import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { upgradeWithRoles } from './testing/migrations.js';
import { drivers } from './testing/postgres.js';

describe.each(drivers)('upgrading to NB-IoT push endpoints on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('gives existing built-in administrators the push-endpoint permissions, viewers and other roles none', async () => {
    const { database, roles } = await upgradeWithRoles(
      driver,
      { before: '0006_push_endpoints', through: '0007_push_endpoints_security', roles: [
        { code: 'admin', permissions: ['device:read', 'push-endpoint:read'], builtin: true },
        { code: 'viewer', permissions: ['device:read'], builtin: true },
        { code: 'integrator', permissions: ['device:read'], builtin: false },
      ] },
      cleanup,
    );
    expect(roles).toEqual([
      { tenant_id: 1, code: 'admin', permissions: ['*:*'] },
      // Sorted and without doubles, whatever the role held already.
      { tenant_id: 2, code: 'admin', permissions: ['device:read', 'push-endpoint:create', 'push-endpoint:delete', 'push-endpoint:read', 'push-endpoint:update'] },
      { tenant_id: 2, code: 'integrator', permissions: ['device:read'] },
      { tenant_id: 2, code: 'viewer', permissions: ['device:read'] },
    ]);

    // The table arrives under the tenant rules: a foreign tenant_id/tenant_path pair is refused, the audit
    // trail records writes without the token or AES key, and a change of secrets alone still leaves an entry.
    await expect(
      database.rows(sql`insert into push_endpoints (tenant_id, tenant_path, platform, code, name) values (2, '1', 'ctwing', 'mismatch', 'x')`),
    ).rejects.toThrow();
    await expect(
      database.rows(sql`insert into push_endpoints (tenant_id, tenant_path, platform, code, name) values (2, '1.2', 'onenet', 'no-token', 'x')`),
    ).rejects.toThrow();
    const [endpoint] = await database.rows<{ id: string }>(sql`insert into push_endpoints (tenant_id, tenant_path, platform, code, name, token, aes_key)
      values (2, '1.2', 'onenet', 'code-1', 'OneNET', 'SECRET-TOKEN-1', 'SECRET-AES-KEY-1') returning id::text`);
    await database.rows(sql`update push_endpoints set token = 'SECRET-TOKEN-2', secrets_changed_at = now() where id = ${endpoint!.id}`);
    const trail = await database.rows<{ action: string; before: unknown; after: unknown }>(
      sql`select action, before, after from audit_log where entity = 'push_endpoints' and entity_id = ${endpoint!.id} order by id`,
    );
    expect(trail.map((r) => r.action)).toEqual(['insert', 'update']);
    const documents = JSON.stringify(trail);
    expect(documents).toContain('code-1');
    expect(documents).not.toContain('SECRET');
    expect(documents).not.toContain('"token"');
    expect(documents).not.toContain('aes_key');
  });
});
