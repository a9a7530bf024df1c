import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Tx } from './connect.js';
import * as schema from './schema.js';
import {
  alarmRules,
  alarms,
  auditLog,
  buildings,
  communities,
  deviceCommands,
  designArtifacts,
  designArtifactVersions,
  packInstallations,
  entityRecords,
  workflowDefinitions,
  workflowForms,
  workflowHistory,
  workflowIncidents,
  workflowInstances,
  workflowJobs,
  workflowSubscriptions,
  workflowTaskEvents,
  workflowTimers,
  workflowUserTasks,
  devices,
  deviceStateHistory,
  identityProviders,
  orgUnits,
  platformDevices,
  products,
  pushEndpoints,
  notifications,
  reportDatasets,
  reportDeliveries,
  reportExports,
  reportSchedules,
  reportTemplates,
  roles,
  sessions,
  type TenantKind,
  tenants,
  userIdentities,
  userRoles,
  users,
  packEvents,
  packEventDeliveries,
} from './schema.js';
import { APP_ROLE, asSystem, inTenant, queryRows, type TenantScope } from './tenant-scope.js';
import { drivers, testDatabase } from './testing/postgres.js';

/** Every table whose rows belong to a tenant, read off the schema so a new table is covered without editing this file. */
const tenantScopedTables = (Object.values(schema) as unknown[])
  .filter((value): value is PgTable => value instanceof PgTable)
  .map((table) => getTableConfig(table))
  .filter((config) => config.name === 'tenants' || config.columns.some((c) => c.name === 'tenant_path'))
  .map((config) => config.name)
  .sort();

const pathColumn = (table: string) => (table === 'tenants' ? 'path' : 'tenant_path');

/** The SQLSTATE of a failed statement, looking through the drivers' and drizzle's wrappers; 'none' when it succeeded. */
async function sqlStateOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    let e: unknown = error;
    for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
      e = (e as { cause?: unknown }).cause;
    }
    throw error;
  }
  return 'none';
}

const count = async (tx: Tx, query: SQL) => (await queryRows<{ n: number }>(tx, query))[0]!.n;
const systemCount = (db: Database, query: SQL) => asSystem(db.db, (tx) => count(tx, query));

interface SeededTenant {
  id: number;
  path: string;
  code: string;
  org: { ops: { id: number; path: string }; metering: { id: number; path: string }; service: { id: number; path: string } };
  /** C1 is served by metering (under ops), C2 by service, C3 by no org unit at all. */
  communities: { c1: number; c2: number; c3: number };
  buildings: { b1: number; b2: number; b3: number };
  /** admin has no org unit; opsClerk sits in ops, meteringClerk in metering, serviceClerk in service. */
  users: { admin: number; opsClerk: number; meteringClerk: number; serviceClerk: number };
  adminRole: number;
  product: number;
  device: number;
  reportTemplate: number;
  reportSchedule: number;
}

async function nextId(tx: Tx, sequence: string): Promise<number> {
  const [row] = await queryRows<{ id: string }>(tx, sql`select nextval(${sequence})::text as id`);
  return Number(row!.id);
}

/** platform → group → {company-a → site-a1, company-b}: each with org units, communities, buildings, users, roles, SSO, sessions. */
async function seed(db: Database) {
  return asSystem(db.db, async (tx) => {
    const addTenant = async (code: string, kind: TenantKind, parent: { id: number; path: string } | null) => {
      const id = await nextId(tx, 'tenants_id_seq');
      const path = parent ? `${parent.path}.${id}` : String(id);
      await tx.insert(tenants).values({
        id,
        parentId: parent?.id ?? null,
        path,
        code,
        name: code,
        kind,
        settings: { timeZone: 'Asia/Shanghai', locale: 'zh-CN', brandingName: null },
      });
      return { id, path, code };
    };
    const addOrg = async (tenant: { id: number; path: string }, code: string, parent?: { id: number; path: string }) => {
      const id = await nextId(tx, 'org_units_id_seq');
      const path = parent ? `${parent.path}.${id}` : String(id);
      await tx.insert(orgUnits).values({ id, tenantId: tenant.id, tenantPath: tenant.path, parentId: parent?.id ?? null, path, code, name: code, kind: 'department' });
      return { id, path };
    };
    const directory = async (tenant: { id: number; path: string; code: string }): Promise<SeededTenant> => {
      const t = { tenantId: tenant.id, tenantPath: tenant.path };
      const ops = await addOrg(tenant, 'ops');
      const metering = await addOrg(tenant, 'metering', ops);
      const service = await addOrg(tenant, 'service');
      const [c1, c2, c3] = await tx
        .insert(communities)
        .values([
          { ...t, orgUnitId: metering.id, orgPath: metering.path, code: 'C1', name: `${tenant.code} C1` },
          { ...t, orgUnitId: service.id, orgPath: service.path, code: 'C2', name: `${tenant.code} C2` },
          { ...t, orgUnitId: null, orgPath: null, code: 'C3', name: `${tenant.code} C3` },
        ])
        .returning();
      const [b1, b2, b3] = await tx
        .insert(buildings)
        .values([
          { ...t, communityId: c1!.id, orgPath: c1!.orgPath, code: 'B1', name: 'B1' },
          { ...t, communityId: c2!.id, orgPath: c2!.orgPath, code: 'B2', name: 'B2' },
          { ...t, communityId: c3!.id, orgPath: null, code: 'B3', name: 'B3' },
        ])
        .returning();
      const person = (name: string, org: { id: number; path: string } | null) => ({
        ...t,
        orgUnitId: org?.id ?? null,
        orgPath: org?.path ?? null,
        username: `${name}@${tenant.code}`,
        displayName: name,
        passwordHash: `$argon2id$fake-hash-of-${name}-${tenant.code}`,
      });
      const [admin, opsClerk, meteringClerk, serviceClerk] = await tx
        .insert(users)
        .values([person('admin', null), person('ops', ops), person('metering', metering), person('service', service)])
        .returning();
      const [adminRole] = await tx.insert(roles).values({ ...t, code: 'admin', name: 'admin', permissions: ['*:*'], builtin: true }).returning();
      await tx.insert(userRoles).values({ ...t, userId: admin!.id, roleId: adminRole!.id });
      const [idp] = await tx
        .insert(identityProviders)
        .values({ ...t, code: `idp-${tenant.code}`, name: 'SSO', issuer: 'https://sso.example.test', clientId: 'client', clientSecret: 'idp-client-secret' })
        .returning();
      await tx.insert(userIdentities).values({ ...t, userId: admin!.id, providerId: idp!.id, subject: `sub-${tenant.code}` });
      await tx.insert(sessions).values({
        ...t,
        id: randomUUID(),
        userId: admin!.id,
        refreshDigest: `digest-${tenant.code}`,
        method: 'password',
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      const [product] = await tx
        .insert(products)
        .values({ ...t, code: 'P1', name: 'P1', kind: 'nb-iot-meter', transport: 'http-push', codec: 'json-thing-model', thingModel: { properties: [], events: [], services: [] } })
        .returning();
      const [device] = await tx
        .insert(devices)
        .values({ ...t, productId: product!.id, meterNumber: `M-${tenant.code}`, deviceKey: `K-${tenant.code}`, communityId: c1!.id, buildingId: b1!.id, orgPath: c1!.orgPath })
        .returning();
      await tx.insert(deviceStateHistory).values({ ...t, deviceId: device!.id, toState: 'installed' });
      const [endpoint] = await tx
        .insert(pushEndpoints)
        .values({ ...t, platform: 'onenet', code: `push-code-${tenant.code}`, name: 'OneNET', token: `push-token-${tenant.code}` })
        .returning();
      await tx.insert(platformDevices).values({ ...t, deviceId: device!.id, pushEndpointId: endpoint!.id, platformDeviceId: `dev-${tenant.code}`, seenAt: new Date() });
      await tx.insert(alarmRules).values({ ...t, ruleId: `rule-${tenant.code}`, kind: 'offline' });
      await tx.insert(alarms).values({
        ...t,
        deviceId: device!.id,
        deviceKey: `K-${tenant.code}`,
        kind: 'valve_fault',
        ruleId: 'platform.valve_fault',
        severity: 'critical',
        dedupKey: `valve_fault:K-${tenant.code}:platform.valve_fault`,
        raisedAt: new Date(),
        detail: {},
        orgPath: c1!.orgPath,
      });
      await tx.insert(deviceCommands).values({
        ...t,
        deviceId: device!.id,
        service: 'valve_close',
        serial: 0,
        payloadHex: 'FEFE68',
        orgPath: c1!.orgPath,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      const [definition] = await tx
        .insert(workflowDefinitions)
        .values({ ...t, processId: 'repair', version: 1, resourceName: 'repair.bpmn', xml: '<definitions/>', checksum: `sum-${tenant.code}`, info: {} })
        .returning();
      await tx.insert(workflowForms).values({ ...t, formId: 'dispatch', version: 1, resourceName: 'dispatch.form', schema: {}, checksum: `form-${tenant.code}` });
      const [instance] = await tx.insert(workflowInstances).values({ ...t, definitionId: definition!.id, processId: 'repair', version: 1 }).returning();
      const inst = { ...t, instanceId: instance!.id };
      const [job] = await tx.insert(workflowJobs).values({ ...inst, key: 'job-1', elementId: 'check', processId: 'repair', type: 'meter.check', retries: 3 }).returning();
      const [task] = await tx.insert(workflowUserTasks).values({ ...inst, key: 'task-1', elementId: 'dispatch', processId: 'repair', candidateGroups: ['crew'] }).returning();
      await tx.insert(workflowTaskEvents).values({ ...t, taskId: task!.id, event: 'created' });
      await tx.insert(workflowSubscriptions).values({ ...inst, definitionId: definition!.id, key: 'sub-1', elementId: 'wait', messageName: 'replaced', correlationKey: `M-${tenant.code}` });
      await tx.insert(workflowTimers).values({ ...inst, definitionId: definition!.id, key: 'timer-1', elementId: 'sla', dueAt: new Date(Date.now() + 3_600_000) });
      await tx.insert(workflowIncidents).values({ ...inst, elementId: 'check', kind: 'job', message: 'no answer', jobId: job!.id });
      await tx.insert(workflowHistory).values({ ...inst, elementId: 'start', elementType: 'bpmn:StartEvent', event: 'completed', at: new Date() });
      await tx.insert(reportDatasets).values({ ...t, code: 'alarms', version: 1, label: { 'zh-CN': '告警', en: 'Alarms' }, sourceKind: 'postgres', definition: {}, checksum: `ds-${tenant.code}` });
      const [template] = await tx
        .insert(reportTemplates)
        .values({ ...t, code: 'alarms-by-kind', version: 1, name: '告警', datasetCode: 'alarms', template: {}, checksum: `rt-${tenant.code}` })
        .returning();
      const [schedule] = await tx
        .insert(reportSchedules)
        .values({ ...t, templateId: template!.id, name: '每日告警', cron: '0 8 * * *', timeZone: 'Asia/Shanghai', format: 'xlsx', recipientUserIds: [admin!.id], ownerId: admin!.id })
        .returning();
      await tx.insert(reportDeliveries).values({ ...t, scheduleId: schedule!.id, trigger: 'schedule', format: 'xlsx', status: 'succeeded', rows: 3 });
      await tx.insert(notifications).values({ ...t, userId: admin!.id, kind: 'report-delivery', title: { 'zh-CN': '报表', en: 'Report' }, body: { 'zh-CN': '报表', en: 'Report' } });
      await tx.insert(reportExports).values({ ...t, requestedBy: admin!.id, request: { template: template!.id }, format: 'csv', status: 'succeeded', rowsWritten: 3, rowsTotal: 3 });
      const [artifact] = await tx
        .insert(designArtifacts)
        .values({ ...t, kind: 'entity', code: 'meter', name: '水表', draft: {}, draftChecksum: `draft-${tenant.code}`, publishedVersion: 1, publishedChecksum: `v1-${tenant.code}` })
        .returning();
      await tx.insert(designArtifactVersions).values({ ...t, artifactId: artifact!.id, version: 1, content: {}, checksum: `v1-${tenant.code}` });
      await tx.insert(entityRecords).values({ ...t, entity: 'meter', data: { meterNo: `M-${tenant.code}` } });
      await tx.insert(packInstallations).values({ ...t, packId: 'metering', version: '1.0.0' });
      const [event] = await tx.insert(packEvents).values({ ...t, packId: 'metering', name: 'metering.period-closed', payload: { period: '2026-03' } }).returning();
      await tx.insert(packEventDeliveries).values({ ...t, eventId: event!.id, consumer: 'billing', status: 'done' });
      return {
        ...tenant,
        org: { ops, metering, service },
        communities: { c1: c1!.id, c2: c2!.id, c3: c3!.id },
        buildings: { b1: b1!.id, b2: b2!.id, b3: b3!.id },
        users: { admin: admin!.id, opsClerk: opsClerk!.id, meteringClerk: meteringClerk!.id, serviceClerk: serviceClerk!.id },
        adminRole: adminRole!.id,
        product: product!.id,
        device: device!.id,
        reportTemplate: template!.id,
        reportSchedule: schedule!.id,
      };
    };

    const platform = await addTenant('platform', 'platform', null);
    const group = await directory(await addTenant('group', 'group', platform));
    const companyA = await directory(await addTenant('company-a', 'company', group));
    const companyB = await directory(await addTenant('company-b', 'company', group));
    const siteA1 = await directory(await addTenant('site-a1', 'site', companyA));
    return { platform, group, companyA, companyB, siteA1 };
  });
}

type Seeded = Awaited<ReturnType<typeof seed>>;

describe.each(drivers)('row-level security on %s', (driver) => {
  let database: Database;
  let s: Seeded;
  beforeAll(async () => {
    database = await testDatabase(driver);
    s = await seed(database);
  });
  afterAll(() => database?.close());

  const scope = (tenant: { path: string }, extra: Partial<TenantScope> = {}): TenantScope => ({ tenantPath: tenant.path, ...extra });

  /** Distinct tenant paths of the rows of `table` that the scope can see. */
  const visiblePaths = (tenantScope: TenantScope, table: string) =>
    inTenant(database.db, tenantScope, async (tx) =>
      (
        await queryRows<{ path: string }>(
          tx,
          sql`select distinct ${sql.identifier(pathColumn(table))}::text as path from ${sql.identifier(table)} order by 1`,
        )
      ).map((r) => r.path),
    );

  it('reads the tenant-scoped tables off the schema, and every one of them forces row-level security', async () => {
    expect(tenantScopedTables).toEqual(
      expect.arrayContaining(['tenants', 'org_units', 'communities', 'buildings', 'users', 'roles', 'user_roles', 'identity_providers', 'user_identities', 'sessions', 'audit_log']),
    );
    const rows = await asSystem(database.db, (tx) =>
      queryRows<{ name: string; enabled: boolean; forced: boolean; policies: number }>(
        tx,
        sql`select c.relname as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
                   (select count(*)::int from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname) as policies
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relkind = 'r'`,
      ),
    );
    for (const table of tenantScopedTables) {
      expect(rows.find((r) => r.name === table), table).toMatchObject({ enabled: true, forced: true });
      expect(rows.find((r) => r.name === table)!.policies, `${table} has a tenant policy`).toBeGreaterThan(0);
    }
    // The role the requests run as must not be able to step around the policies.
    const [role] = await asSystem(database.db, (tx) =>
      queryRows<{ rolsuper: boolean; rolbypassrls: boolean }>(tx, sql`select rolsuper, rolbypassrls from pg_roles where rolname = ${APP_ROLE}`),
    );
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
  });

  it('shows a company its own subtree (itself and its site) and none of its sibling company’s rows, in every table', async () => {
    for (const table of tenantScopedTables) {
      const seen = await visiblePaths(scope(s.companyA), table);
      expect(seen, table).toEqual([s.companyA.path, s.siteA1.path].sort());
      const within = await inTenant(database.db, scope(s.companyA), (tx) => count(tx, sql`select count(*)::int as n from ${sql.identifier(table)}`));
      const expected = await systemCount(
        database,
        sql`select count(*)::int as n from ${sql.identifier(table)} where ${sql.identifier(pathColumn(table))} <@ ${s.companyA.path}::ltree`,
      );
      expect(within, table).toBe(expected);
    }
    const fromA = await inTenant(database.db, scope(s.companyA), (tx) =>
      count(tx, sql`select count(*)::int as n from communities where id in (${s.companyB.communities.c1}, ${s.companyB.communities.c2}, ${s.companyB.communities.c3})`),
    );
    expect(fromA).toBe(0);
  });

  it('shows a group the rows of both its companies and their sites', async () => {
    for (const table of tenantScopedTables) {
      const seen = await visiblePaths(scope(s.group), table);
      expect(seen, table).toEqual([s.group.path, s.companyA.path, s.companyB.path, s.siteA1.path].sort());
    }
  });

  it('shows a site nothing of its parent company', async () => {
    for (const table of tenantScopedTables) {
      expect(await visiblePaths(scope(s.siteA1), table), table).toEqual([s.siteA1.path]);
    }
  });

  it('returns zero rows from every tenant-scoped table to the application role when no tenant is set', async () => {
    for (const table of tenantScopedTables) {
      const total = await systemCount(database, sql`select count(*)::int as n from ${sql.identifier(table)}`);
      expect(total, `${table} has rows to hide`).toBeGreaterThan(0);
      const unset = await database.db.transaction(async (tx) => {
        await tx.execute(sql`set local role ${sql.identifier(APP_ROLE)}`);
        return count(tx, sql`select count(*)::int as n from ${sql.identifier(table)}`);
      });
      expect(unset, table).toBe(0);
      const empty = await database.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('role', ${APP_ROLE}, true), set_config('app.tenant', '', true)`);
        return count(tx, sql`select count(*)::int as n from ${sql.identifier(table)}`);
      });
      expect(empty, table).toBe(0);
    }
  });

  it('does not leave the tenant or the role behind on the connection after the transaction', async () => {
    await inTenant(database.db, scope(s.companyA), (tx) => count(tx, sql`select count(*)::int as n from communities`));
    const after = await database.db.transaction(async (tx) => {
      const [row] = await queryRows<{ tenant: string | null; role: string }>(tx, sql`select current_setting('app.tenant', true) as tenant, current_user as role`);
      return row!;
    });
    expect(after.tenant ?? '').toBe('');
    expect(after.role).not.toBe(APP_ROLE);
  });

  it('denies the application role the runtime secrets and the pending SSO logins outright (42501)', async () => {
    for (const table of ['system_secrets', 'oidc_login_states']) {
      const state = await sqlStateOf(inTenant(database.db, scope(s.platform), (tx) => tx.execute(sql`select * from ${sql.identifier(table)}`)));
      expect(state, table).toBe('42501');
    }
  });

  it('rejects a row whose tenant_id names another tenant than its tenant_path (23503) and writes nothing', async () => {
    const scope = { tenantPath: s.companyA.path };
    const mismatched = inTenant(database.db, scope, (tx) =>
      tx.insert(communities).values({ tenantId: s.companyB.id, tenantPath: s.companyA.path, code: 'MISMATCH', name: 'x' }),
    );
    expect(await sqlStateOf(mismatched)).toBe('23503');
    const moved = inTenant(database.db, scope, (tx) =>
      tx.execute(sql`update communities set tenant_id = ${s.companyB.id}, code = 'MOVED' where id = ${s.companyA.communities.c1}`),
    );
    expect(await sqlStateOf(moved)).toBe('23503');
    expect(await systemCount(database, sql`select count(*)::int as n from communities where tenant_id <> (select id from tenants where path = communities.tenant_path)`)).toBe(0);
  });

  it('rejects inserting rows into another tenant’s path with 42501 and writes nothing', async () => {
    const b = { tenantId: s.companyB.id, tenantPath: s.companyB.path };
    const before = await systemCount(database, sql`select count(*)::int as n from (
      select id::text from communities union all select id::text from users union all select id::text from roles
      union all select id::text from org_units union all select id::text from tenants union all select id::text from audit_log) x`);
    const attempts: [string, (tx: Tx) => Promise<unknown>][] = [
      ['communities', (tx) => tx.insert(communities).values({ ...b, code: 'EVIL', name: 'evil' })],
      ['users', (tx) => tx.insert(users).values({ ...b, username: 'evil@company-b', displayName: 'evil' })],
      ['roles', (tx) => tx.insert(roles).values({ ...b, code: 'evil', name: 'evil', permissions: ['*:*'] })],
      ['org_units', (tx) => tx.insert(orgUnits).values({ ...b, path: '999999', code: 'evil', name: 'evil', kind: 'department' })],
      ['buildings', (tx) => tx.insert(buildings).values({ ...b, communityId: s.companyB.communities.c1, code: 'EVIL', name: 'evil' })],
      ['user_roles', (tx) => tx.insert(userRoles).values({ ...b, userId: s.companyB.users.opsClerk, roleId: s.companyB.adminRole })],
      ['sessions', (tx) => tx.insert(sessions).values({ ...b, id: randomUUID(), userId: s.companyB.users.admin, refreshDigest: 'evil', method: 'password', expiresAt: new Date() })],
      ['audit_log', (tx) => tx.insert(auditLog).values({ ...b, action: 'forged', entity: 'users' })],
      [
        'products',
        (tx) => tx.insert(products).values({ ...b, code: 'EVIL', name: 'evil', kind: 'flow-meter', transport: 'mqtt', codec: 'json-thing-model', thingModel: { properties: [], events: [], services: [] } }),
      ],
      ['devices', (tx) => tx.insert(devices).values({ ...b, productId: s.companyB.product, meterNumber: 'EVIL', deviceKey: 'EVIL' })],
      ['device_state_history', (tx) => tx.insert(deviceStateHistory).values({ ...b, deviceId: s.companyB.device, toState: 'retired' })],
      ['push_endpoints', (tx) => tx.insert(pushEndpoints).values({ ...b, platform: 'ctwing', code: 'EVIL-CODE', name: 'evil' })],
      ['platform_devices', (tx) => tx.insert(platformDevices).values({ ...b, deviceId: s.companyB.device, pushEndpointId: 1, platformDeviceId: 'evil', seenAt: new Date() })],
      ['alarm_rules', (tx) => tx.insert(alarmRules).values({ ...b, ruleId: 'evil', kind: 'offline' })],
      ['alarms', (tx) => tx.insert(alarms).values({ ...b, deviceKey: 'evil', kind: 'tamper', ruleId: 'evil', severity: 'info', dedupKey: 'evil', raisedAt: new Date(), detail: {} })],
      [
        'device_commands',
        (tx) => tx.insert(deviceCommands).values({ ...b, deviceId: s.companyB.device, service: 'valve_open', serial: 1, payloadHex: 'EVIL', expiresAt: new Date() }),
      ],
      [
        'workflow_definitions',
        (tx) => tx.insert(workflowDefinitions).values({ ...b, processId: 'evil', version: 1, resourceName: 'evil.bpmn', xml: '<x/>', checksum: 'evil', info: {} }),
      ],
      ['workflow_forms', (tx) => tx.insert(workflowForms).values({ ...b, formId: 'evil', version: 1, resourceName: 'evil.form', schema: {}, checksum: 'evil' })],
      [
        'workflow_instances',
        (tx) => tx.insert(workflowInstances).values({ ...b, definitionId: 1, processId: 'evil', version: 1 }),
      ],
      ['workflow_history', (tx) => tx.insert(workflowHistory).values({ ...b, instanceId: 1, elementId: 'evil', elementType: 'x', event: 'completed', at: new Date() })],
      [
        'report_datasets',
        (tx) => tx.insert(reportDatasets).values({ ...b, code: 'evil', version: 1, label: { 'zh-CN': 'evil', en: 'evil' }, sourceKind: 'postgres-sql', rawSql: true, definition: {}, checksum: 'evil' }),
      ],
      ['report_templates', (tx) => tx.insert(reportTemplates).values({ ...b, code: 'evil', version: 1, name: 'evil', datasetCode: 'alarms', template: {}, checksum: 'evil' })],
      [
        'report_schedules',
        (tx) =>
          tx.insert(reportSchedules).values({ ...b, templateId: s.companyB.reportTemplate, name: 'evil', cron: '* * * * *', timeZone: 'UTC', format: 'csv', recipientEmails: ['evil@example.test'] }),
      ],
      ['report_deliveries', (tx) => tx.insert(reportDeliveries).values({ ...b, scheduleId: s.companyB.reportSchedule, trigger: 'manual', format: 'csv' })],
      ['report_exports', (tx) => tx.insert(reportExports).values({ ...b, requestedBy: s.companyB.users.admin, request: { template: s.companyB.reportTemplate }, format: 'xlsx' })],
      ['design_artifacts', (tx) => tx.insert(designArtifacts).values({ ...b, kind: 'page', code: 'evil', name: 'evil', draft: {}, draftChecksum: 'evil' })],
      ['entity_records', (tx) => tx.insert(entityRecords).values({ ...b, entity: 'meter', data: { evil: true } })],
      ['pack_installations', (tx) => tx.insert(packInstallations).values({ ...b, packId: 'evil', version: '6.6.6' })],
      ['pack_events', (tx) => tx.insert(packEvents).values({ ...b, packId: 'evil', name: 'evil.done', payload: {} })],
      [
        'notifications',
        (tx) => tx.insert(notifications).values({ ...b, userId: s.companyB.users.admin, kind: 'evil', title: { 'zh-CN': 'evil', en: 'evil' }, body: { 'zh-CN': 'evil', en: 'evil' } }),
      ],
      [
        'tenants',
        (tx) =>
          tx.insert(tenants).values({
            parentId: s.companyB.id,
            path: `${s.companyB.path}.999999`,
            code: 'evil-site',
            name: 'evil',
            kind: 'site',
            settings: { timeZone: 'Asia/Shanghai', locale: 'zh-CN', brandingName: null },
          }),
      ],
    ];
    for (const [table, attempt] of attempts) {
      expect(await sqlStateOf(inTenant(database.db, scope(s.companyA, { userId: s.companyA.users.admin }), attempt)), table).toBe('42501');
    }
    const after = await systemCount(database, sql`select count(*)::int as n from (
      select id::text from communities union all select id::text from users union all select id::text from roles
      union all select id::text from org_units union all select id::text from tenants union all select id::text from audit_log) x`);
    expect(after).toBe(before);
    expect(await systemCount(database, sql`select count(*)::int as n from user_roles where user_id = ${s.companyB.users.opsClerk}`)).toBe(0);
  });

  it('rejects moving an own row into another tenant’s path with 42501, and cannot touch the other tenant’s rows at all', async () => {
    const snapshot = () =>
      asSystem(database.db, (tx) =>
        queryRows(tx, sql`select id, tenant_id, tenant_path::text, name, updated_at from communities order by id`),
      );
    const before = await snapshot();
    const moved = inTenant(database.db, scope(s.companyA), (tx) =>
      tx.execute(sql`update communities set tenant_id = ${s.companyB.id}, tenant_path = ${s.companyB.path}::ltree where id = ${s.companyA.communities.c1}`),
    );
    expect(await sqlStateOf(moved)).toBe('42501');
    const movedUser = inTenant(database.db, scope(s.companyA), (tx) =>
      tx.execute(sql`update users set tenant_id = ${s.companyB.id}, tenant_path = ${s.companyB.path}::ltree where id = ${s.companyA.users.opsClerk}`),
    );
    expect(await sqlStateOf(movedUser)).toBe('42501');
    const reparented = inTenant(database.db, scope(s.companyA), (tx) =>
      tx.execute(sql`update tenants set path = ${`${s.companyB.path}.${s.siteA1.id}`}::ltree where id = ${s.siteA1.id}`),
    );
    expect(await sqlStateOf(reparented)).toBe('42501');

    const touched = await inTenant(database.db, scope(s.companyA), async (tx) => {
      const updated = await queryRows(tx, sql`update communities set name = 'hijacked' where tenant_id = ${s.companyB.id} returning id`);
      const deleted = await queryRows(tx, sql`delete from buildings where tenant_id = ${s.companyB.id} returning id`);
      const deletedUsers = await queryRows(tx, sql`delete from users where id = ${s.companyB.users.serviceClerk} returning id`);
      return updated.length + deleted.length + deletedUsers.length;
    });
    expect(touched).toBe(0);
    expect(await snapshot()).toEqual(before);
    expect(await systemCount(database, sql`select count(*)::int as n from buildings where tenant_id = ${s.companyB.id}`)).toBe(3);
    expect(await systemCount(database, sql`select count(*)::int as n from users where id = ${s.companyB.users.serviceClerk}`)).toBe(1);
  });

  it('keeps the audit trail append-only: the application role cannot update, delete or truncate it, and neither can the owner', async () => {
    const snapshot = () => asSystem(database.db, (tx) => queryRows(tx, sql`select * from audit_log order by id`));
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(0);
    const asApp = (statement: SQL) => sqlStateOf(inTenant(database.db, scope(s.platform), (tx) => tx.execute(statement)));
    expect(await asApp(sql`update audit_log set action = 'tampered'`)).toBe('42501');
    expect(await asApp(sql`delete from audit_log`)).toBe('42501');
    expect(await asApp(sql`truncate audit_log`)).toBe('42501');
    const asOwner = (statement: SQL) => sqlStateOf(asSystem(database.db, (tx) => tx.execute(statement)));
    expect(await asOwner(sql`update audit_log set action = 'tampered' where id = ${(before[0] as { id: number }).id}`)).toBe('42501');
    expect(await asOwner(sql`delete from audit_log`)).toBe('42501');
    expect(await asOwner(sql`truncate audit_log`)).toBe('42501');
    expect(await snapshot()).toEqual(before);
  });

  it('audits every write made through inTenant: actor, tenant, request, before and after, never a password hash or client secret', async () => {
    const actor: TenantScope = {
      tenantPath: s.companyA.path,
      userId: s.companyA.users.admin,
      userName: 'admin@company-a',
      requestId: 'req-audit-0001',
    };
    const user = await inTenant(database.db, actor, async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({ tenantId: s.siteA1.id, tenantPath: s.siteA1.path, username: 'audited@site-a1', displayName: 'Before', passwordHash: 'SECRET-HASH-1' })
        .returning();
      return row!;
    });
    await inTenant(database.db, actor, (tx) =>
      tx.execute(sql`update users set display_name = 'After', password_hash = 'SECRET-HASH-2' where id = ${user.id}`),
    );
    // Login bookkeeping alone is no audited change.
    await inTenant(database.db, actor, (tx) => tx.execute(sql`update users set failed_logins = failed_logins + 1 where id = ${user.id}`));
    await inTenant(database.db, actor, (tx) => tx.execute(sql`delete from users where id = ${user.id}`));
    const idp = await inTenant(database.db, actor, async (tx) => {
      const [row] = await tx
        .insert(identityProviders)
        .values({ tenantId: s.companyA.id, tenantPath: s.companyA.path, code: 'audited-idp', name: 'x', issuer: 'https://a.test', clientId: 'c', clientSecret: 'SECRET-CLIENT' })
        .returning();
      return row!;
    });

    type AuditRow = { tenant_id: number; tenant_path: string; actor_id: number; actor_name: string; action: string; entity: string; entity_id: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; request_id: string };
    const trail = await asSystem(database.db, (tx) =>
      queryRows<AuditRow>(
        tx,
        sql`select tenant_id::int, tenant_path::text, actor_id::int, actor_name, action, entity, entity_id, before, after, request_id
            from audit_log where (entity = 'users' and entity_id = ${String(user.id)}) or (entity = 'identity_providers' and entity_id = ${String(idp.id)}) order by id`,
      ),
    );
    expect(trail.map((r) => `${r.entity}:${r.action}`)).toEqual(['users:insert', 'users:update', 'users:delete', 'identity_providers:insert']);
    for (const row of trail) {
      expect(row).toMatchObject({ actor_id: s.companyA.users.admin, actor_name: 'admin@company-a', request_id: 'req-audit-0001' });
      const documents = JSON.stringify([row.before, row.after]);
      expect(documents).not.toContain('SECRET');
      expect(documents).not.toContain('password_hash');
      expect(documents).not.toContain('client_secret');
    }
    const [inserted, updated, deleted] = trail;
    // The row belongs to the site, so its audit entry does too (the site's admins can read it).
    expect(inserted).toMatchObject({ tenant_id: s.siteA1.id, tenant_path: s.siteA1.path, before: null, after: { username: 'audited@site-a1', display_name: 'Before' } });
    expect(updated).toMatchObject({ before: { display_name: 'Before' }, after: { display_name: 'After' } });
    expect(deleted).toMatchObject({ before: { display_name: 'After' }, after: null });
    expect(trail[3]).toMatchObject({ tenant_id: s.companyA.id, after: { code: 'audited-idp' } });
  });

  describe('data scopes narrow communities, buildings and users', () => {
    const a = () => s.companyA;
    const visible = async (tenantScope: TenantScope) =>
      inTenant(database.db, tenantScope, async (tx) => ({
        communities: (await queryRows<{ id: number }>(tx, sql`select id::int from communities where tenant_id = ${a().id} order by id`)).map((r) => r.id),
        buildings: (await queryRows<{ id: number }>(tx, sql`select id::int from buildings where tenant_id = ${a().id} order by id`)).map((r) => r.id),
        users: (await queryRows<{ id: number }>(tx, sql`select id::int from users where tenant_id = ${a().id} order by id`)).map((r) => r.id),
        orgUnits: (await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from org_units where tenant_id = ${a().id}`))[0]!.n,
      }));
    let ownCommunity: number;
    let ownBuilding: number;
    let ownUser: number;

    beforeAll(async () => {
      // Records the ops clerk created itself, filed under an org unit outside its own (service).
      const created = await asSystem(database.db, async (tx) => {
        const t = { tenantId: a().id, tenantPath: a().path, createdBy: a().users.opsClerk };
        const [c] = await tx.insert(communities).values({ ...t, orgUnitId: a().org.service.id, orgPath: a().org.service.path, code: 'OWN', name: 'own' }).returning();
        const [b] = await tx.insert(buildings).values({ ...t, communityId: c!.id, orgPath: a().org.service.path, code: 'OWN', name: 'own' }).returning();
        const [u] = await tx.insert(users).values({ ...t, orgUnitId: a().org.service.id, orgPath: a().org.service.path, username: 'own@company-a', displayName: 'own' }).returning();
        return { c: c!.id, b: b!.id, u: u!.id };
      });
      ownCommunity = created.c;
      ownBuilding = created.b;
      ownUser = created.u;
    });

    it("'tenant' (and no scope at all) shows the whole tenant", async () => {
      const all = await visible({ tenantPath: a().path, userId: a().users.opsClerk });
      expect(all.communities).toEqual([a().communities.c1, a().communities.c2, a().communities.c3, ownCommunity]);
      expect(all.users).toHaveLength(5);
      expect(await visible({ tenantPath: a().path, userId: a().users.opsClerk, dataScope: 'tenant' })).toEqual(all);
    });

    it("'org' shows the caller's org-unit subtree plus what it created, plus the caller itself", async () => {
      const org = await visible({ tenantPath: a().path, userId: a().users.opsClerk, dataScope: 'org', orgPath: a().org.ops.path });
      // C1 is served by metering, which sits under ops; C2 (service) and C3 (no org unit) are out of scope.
      expect(org.communities).toEqual([a().communities.c1, ownCommunity]);
      expect(org.buildings).toEqual([a().buildings.b1, ownBuilding]);
      expect(org.users).toEqual([a().users.opsClerk, a().users.meteringClerk, ownUser]);
      // Org units themselves are not narrowed: the caller needs the tree to navigate.
      expect(org.orgUnits).toBe(3);

      const narrower = await visible({ tenantPath: a().path, userId: a().users.meteringClerk, dataScope: 'org', orgPath: a().org.metering.path });
      expect(narrower.communities).toEqual([a().communities.c1]);
      expect(narrower.users).toEqual([a().users.meteringClerk]);
    });

    it("'org' without an org unit shows only what the caller created (and itself)", async () => {
      const noOrg = await visible({ tenantPath: a().path, userId: a().users.opsClerk, dataScope: 'org', orgPath: null });
      expect(noOrg.communities).toEqual([ownCommunity]);
      expect(noOrg.users).toEqual([a().users.opsClerk, ownUser]);
    });

    it("'own' shows only what the caller created, and the caller itself among users", async () => {
      const own = await visible({ tenantPath: a().path, userId: a().users.opsClerk, dataScope: 'own', orgPath: a().org.ops.path });
      expect(own.communities).toEqual([ownCommunity]);
      expect(own.buildings).toEqual([ownBuilding]);
      expect(own.users).toEqual([a().users.opsClerk, ownUser]);
      const anonymous = await visible({ tenantPath: a().path, userId: null, dataScope: 'own' });
      expect(anonymous).toMatchObject({ communities: [], buildings: [], users: [] });
    });

    it('an unknown scope shows nothing rather than everything', async () => {
      const bogus = await visible({ tenantPath: a().path, userId: a().users.opsClerk, dataScope: 'everything' as never, orgPath: a().org.ops.path });
      expect(bogus.communities).toEqual([]);
      expect(bogus.users).toEqual([a().users.opsClerk]);
    });

    it("'own' cannot write a row it would not see (42501), and cannot change rows outside its scope", async () => {
      const own: TenantScope = { tenantPath: a().path, userId: a().users.opsClerk, dataScope: 'own' };
      const foreign = inTenant(database.db, own, (tx) =>
        tx.insert(communities).values({ tenantId: a().id, tenantPath: a().path, createdBy: a().users.admin, code: 'NOTMINE', name: 'x' }),
      );
      expect(await sqlStateOf(foreign)).toBe('42501');
      const changed = await inTenant(database.db, own, (tx) =>
        queryRows(tx, sql`update communities set name = 'changed' where id = ${a().communities.c1} returning id`),
      );
      expect(changed).toEqual([]);
      const handOver = inTenant(database.db, own, (tx) => tx.execute(sql`update communities set created_by = ${a().users.admin} where id = ${ownCommunity}`));
      expect(await sqlStateOf(handOver)).toBe('42501');
      expect(await systemCount(database, sql`select count(*)::int as n from communities where code = 'NOTMINE' or name = 'changed'`)).toBe(0);
      expect(await systemCount(database, sql`select created_by::int as n from communities where id = ${ownCommunity}`)).toBe(a().users.opsClerk);
    });
  });
});
