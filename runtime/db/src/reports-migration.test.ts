import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { upgradeWithRoles } from './testing/migrations.js';
import { drivers } from './testing/postgres.js';

describe.each(drivers)('upgrading to reports on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('gives built-in administrators every report and dataset permission, viewers reading and running, other roles nothing; the tables arrive under the tenant rules', async () => {
    const { database, roles } = await upgradeWithRoles(
      driver,
      {
        before: '0020_reports',
        through: '0021_reports_security',
        roles: [
          { code: 'admin', permissions: ['device:read'], builtin: true },
          { code: 'viewer', permissions: ['device:read'], builtin: true },
          { code: 'meter-reader', permissions: ['device:read'], builtin: false },
        ],
      },
      cleanup,
    );
    expect(roles).toEqual([
      { tenant_id: 1, code: 'admin', permissions: ['*:*'] },
      {
        tenant_id: 2,
        code: 'admin',
        permissions: [
          'dataset:create',
          'dataset:delete',
          'dataset:read',
          'dataset:update',
          'device:read',
          'report:create',
          'report:delete',
          'report:read',
          'report:run',
          'report:update',
        ],
      },
      { tenant_id: 2, code: 'meter-reader', permissions: ['device:read'] },
      { tenant_id: 2, code: 'viewer', permissions: ['dataset:read', 'device:read', 'report:read', 'report:run'] },
    ]);

    const dataset = (tenantPath: string, code: string, version: number, sourceKind = 'postgres') =>
      database.rows(sql`insert into report_datasets (tenant_id, tenant_path, code, version, label, source_kind, definition, checksum)
        values (2, ${tenantPath}::ltree, ${code}, ${version}, '{"zh-CN":"x","en":"x"}', ${sourceKind}, '{}', 'c')`);
    // A tenant_id that is not the tenant_path's tenant, an unknown source kind, a version twice.
    await expect(dataset('1', 'alarms', 1)).rejects.toThrow();
    await expect(dataset('1.2', 'alarms', 1, 'mongodb')).rejects.toThrow();
    await dataset('1.2', 'alarms', 1);
    await expect(dataset('1.2', 'alarms', 1)).rejects.toThrow();
    await dataset('1.2', 'alarms', 2);

    const [security] = await database.rows<Record<string, boolean>>(sql`select
      (select relrowsecurity and relforcerowsecurity from pg_class where relname = 'report_datasets') as datasets,
      (select relrowsecurity and relforcerowsecurity from pg_class where relname = 'report_templates') as templates,
      has_table_privilege('shuiyun_app', 'report_templates', 'INSERT') as "insert",
      exists (select 1 from pg_trigger where tgname = 'audit_row' and tgrelid = 'report_templates'::regclass) as audited`);
    expect(security).toEqual({ datasets: true, templates: true, insert: true, audited: true });
  });
});
