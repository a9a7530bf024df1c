import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { upgradeWithRoles } from './testing/migrations.js';
import { drivers } from './testing/postgres.js';

describe.each(drivers)('upgrading to background report exports on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('adds report_exports under the tenant rules (forced RLS, subtree policy, composite tenant key, grants), unaudited, and leaves the roles alone', async () => {
    const { database, roles } = await upgradeWithRoles(
      driver,
      { before: '0024_report_exports', through: '0025_report_exports_security', roles: [{ code: 'viewer', permissions: ['report:read', 'report:run'], builtin: true }] },
      cleanup,
    );
    // The jobs use report:run and report:update, which every installation already has: no role changes.
    expect(roles.map((r) => ({ ...r, permissions: [...r.permissions].sort() }))).toEqual([
      { tenant_id: 1, code: 'admin', permissions: ['*:*'] },
      { tenant_id: 2, code: 'viewer', permissions: ['report:read', 'report:run'] },
    ]);
    const [security] = await database.rows<Record<string, unknown>>(sql`select
      (select relrowsecurity and relforcerowsecurity from pg_class where relname = 'report_exports') as forced,
      (select count(*)::int from pg_policies where tablename = 'report_exports' and policyname = 'tenant_subtree') as policies,
      exists (select 1 from pg_constraint where conname = 'report_exports_tenant_path_fkey') as tenant_key,
      has_table_privilege('shuiyun_app', 'report_exports', 'INSERT') and has_table_privilege('shuiyun_app', 'report_exports', 'UPDATE') as writable,
      has_sequence_privilege('shuiyun_app', 'report_exports_id_seq', 'USAGE') as sequence,
      exists (select 1 from pg_trigger where tgname = 'audit_row' and tgrelid = 'report_exports'::regclass) as audited`);
    expect(security).toEqual({ forced: true, policies: 1, tenant_key: true, writable: true, sequence: true, audited: false });

    // A row whose tenant_id and tenant_path disagree is refused by the composite key; a bad status by its check.
    await database.rows(sql`insert into users (tenant_id, tenant_path, username, display_name) values (2, '1.2', 'u@county', 'u')`);
    const insert = (tenantId: number, status: string) =>
      database.rows(sql`insert into report_exports (tenant_id, tenant_path, requested_by, request, format, status)
        values (${tenantId}, '1.2', (select id from users where username = 'u@county'), '{"dataset":"reading-rate"}', 'csv', ${status})`);
    await insert(2, 'queued');
    await expect(insert(1, 'queued')).rejects.toThrow();
    await expect(insert(2, 'paused')).rejects.toThrow();
    const [row] = await database.rows<Record<string, unknown>>(sql`select status, rows_written::int as rows_written, rows_total, file from report_exports`);
    expect(row).toEqual({ status: 'queued', rows_written: 0, rows_total: null, file: null });
  });
});
