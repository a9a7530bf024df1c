import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { upgradeWithRoles } from './testing/migrations.js';
import { drivers } from './testing/postgres.js';

describe.each(drivers)('upgrading to report schedules on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('gives built-in administrators every schedule permission and viewers reading them; the tables arrive under the tenant rules', async () => {
    const { database, roles } = await upgradeWithRoles(
      driver,
      {
        before: '0022_report_schedules',
        through: '0023_report_schedules_security',
        roles: [
          { code: 'admin', permissions: ['report:read'], builtin: true },
          { code: 'viewer', permissions: ['report:read'], builtin: true },
          { code: 'meter-reader', permissions: ['report:read'], builtin: false },
        ],
      },
      cleanup,
    );
    // Sorted here: the database's collation may order '-' and ':' either way.
    expect(roles.map((r) => ({ ...r, permissions: [...r.permissions].sort() }))).toEqual([
      { tenant_id: 1, code: 'admin', permissions: ['*:*'] },
      {
        tenant_id: 2,
        code: 'admin',
        permissions: ['report-schedule:create', 'report-schedule:delete', 'report-schedule:read', 'report-schedule:run', 'report-schedule:update', 'report:read'],
      },
      { tenant_id: 2, code: 'meter-reader', permissions: ['report:read'] },
      { tenant_id: 2, code: 'viewer', permissions: ['report-schedule:read', 'report:read'] },
    ]);

    const [security] = await database.rows<Record<string, boolean>>(sql`select
      (select relrowsecurity and relforcerowsecurity from pg_class where relname = 'report_schedules') as schedules,
      (select relrowsecurity and relforcerowsecurity from pg_class where relname = 'report_deliveries') as deliveries,
      (select relrowsecurity and relforcerowsecurity from pg_class where relname = 'notifications') as notifications,
      has_table_privilege('shuiyun_app', 'notifications', 'INSERT') as "insert",
      exists (select 1 from pg_trigger where tgname = 'audit_row' and tgrelid = 'report_schedules'::regclass) as audited,
      'next_run_at' = any (shuiyun_audit_hidden_columns()) as bookkeeping_hidden`);
    expect(security).toEqual({ schedules: true, deliveries: true, notifications: true, insert: true, audited: true, bookkeeping_hidden: true });
  });
});
