import { asSystem, auditLog } from '@shuiyun/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

interface AuditEntry {
  id: number;
  at: string;
  tenantId: number;
  tenantPath: string;
  actorId: number | null;
  actorName: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
}

/** An ISO timestamp in China Standard Time (+08:00), as a utility's staff would type it. */
function inShanghai(date: Date): string {
  const shifted = new Date(date.getTime() + 8 * 3600_000).toISOString().replace('Z', '');
  return `${shifted}+08:00`;
}

describe.each(drivers)('the audit trail on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let me: { userId: number; tenantId: number; tenantPath: string };
  let countyB: number;

  const audit = async (query: string, token = adminA) => {
    const res = await t.request('GET', `/api/audit?${query}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { items: AuditEntry[]; total: number; page: number; pageSize: number };
  };

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const whoA = (await t.request('GET', '/api/auth/me', { token: adminA })).body;
    me = { userId: whoA.user.id, tenantId: whoA.tenant.id, tenantPath: whoA.tenant.path };
    countyB = (await t.request('GET', '/api/auth/me', { token: adminB })).body.tenant.id;
  });
  afterAll(() => t?.close());

  it('create, update and delete of a community leave three entries with actor, tenant, request id and before/after', async () => {
    const created = await t.request('POST', '/api/communities', {
      token: adminA,
      body: { code: 'AUD1', name: '审计小区', address: '一号路' },
      headers: { 'x-request-id': 'audit-create-0001' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expect((await t.request('PATCH', `/api/communities/${id}`, { token: adminA, body: { name: '审计小区（改）' }, headers: { 'x-request-id': 'audit-update-0001' } })).status).toBe(200);
    expect((await t.request('DELETE', `/api/communities/${id}`, { token: adminA, headers: { 'x-request-id': 'audit-delete-0001' } })).status).toBe(204);

    const trail = await audit(`entity=communities&entityId=${id}`);
    expect(trail.total).toBe(3);
    const [deleted, updated, inserted] = trail.items;
    for (const entry of trail.items) {
      expect(entry).toMatchObject({
        actorId: me.userId,
        actorName: 'admin@demo-county-a',
        tenantId: me.tenantId,
        tenantPath: me.tenantPath,
        entity: 'communities',
        entityId: String(id),
      });
    }
    expect(inserted).toMatchObject({ action: 'insert', before: null, requestId: 'audit-create-0001' });
    expect(inserted!.after).toMatchObject({ id, code: 'AUD1', name: '审计小区', address: '一号路', tenant_id: me.tenantId, created_by: me.userId });
    expect(updated).toMatchObject({ action: 'update', requestId: 'audit-update-0001' });
    expect(updated!.before).toMatchObject({ name: '审计小区' });
    expect(updated!.after).toMatchObject({ name: '审计小区（改）', code: 'AUD1' });
    expect(deleted).toMatchObject({ action: 'delete', after: null, requestId: 'audit-delete-0001' });
    expect(deleted!.before).toMatchObject({ id, name: '审计小区（改）' });

    const one = await t.request('GET', `/api/audit/${updated!.id}`, { token: adminA });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(updated);
  });

  it('a write that changes nothing leaves no entry; a refused write leaves none either', async () => {
    const created = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'AUD2', name: '同名' } });
    const id = created.body.id as number;
    expect((await t.request('PATCH', `/api/communities/${id}`, { token: adminA, body: { name: '同名' } })).status).toBe(200);
    expect((await t.request('PATCH', `/api/communities/${id}`, { token: adminA, body: { code: 'bad code!' } })).status).toBe(400);
    const trail = await audit(`entity=communities&entityId=${id}`);
    expect(trail.items.map((e) => e.action)).toEqual(['insert']);
  });

  it('every kind of write is audited under its table name', async () => {
    const ou = await t.request('POST', '/api/org-units', { token: adminA, body: { code: 'aud-ou', name: '审计科' } });
    const community = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'AUD3', name: '楼栋小区', orgUnitId: ou.body.id } });
    const building = await t.request('POST', '/api/buildings', { token: adminA, body: { communityId: community.body.id, code: 'AUD3-B1', name: '1号楼' } });
    const role = await t.request('POST', '/api/roles', { token: adminA, body: { code: 'aud-role', name: '审计角色', permissions: ['building:read'] } });
    const user = await t.request('POST', '/api/users', {
      token: adminA,
      body: { username: 'audited.user', displayName: '被审计', password: TEST_PASSWORD, roleIds: [role.body.id] },
    });
    const idp = await t.request('POST', '/api/identity-providers', {
      token: adminA,
      body: { code: 'aud-idp', name: 'SSO', issuer: 'https://sso.example.com', clientId: 'shuiyun', clientSecret: 'idp-client-secret-value' },
    });
    const tenant = await t.request('PATCH', `/api/tenants/${me.tenantId}`, { token: adminA, body: { settings: { brandingName: '东湖水务' } } });
    for (const res of [ou, community, building, role, user, idp, tenant]) expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);

    const expected: [string, string, string][] = [
      ['org_units', String(ou.body.id), 'insert'],
      ['communities', String(community.body.id), 'insert'],
      ['buildings', String(building.body.id), 'insert'],
      ['roles', String(role.body.id), 'insert'],
      ['users', String(user.body.id), 'insert'],
      ['user_roles', `${user.body.id}:${role.body.id}`, 'insert'],
      ['identity_providers', String(idp.body.id), 'insert'],
      ['tenants', String(me.tenantId), 'update'],
    ];
    for (const [entity, entityId, action] of expected) {
      const trail = await audit(`entity=${entity}&entityId=${encodeURIComponent(entityId)}&action=${action}`);
      expect(trail.total, `${entity} ${entityId}`).toBe(1);
      expect(trail.items[0]).toMatchObject({ actorId: me.userId, tenantId: me.tenantId });
    }
    const tenantChange = (await audit(`entity=tenants&entityId=${me.tenantId}&action=update`)).items[0]!;
    expect((tenantChange.before!.settings as { brandingName: unknown }).brandingName).toBeNull();
    expect((tenantChange.after!.settings as { brandingName: unknown }).brandingName).toBe('东湖水务');
    const idpEntry = (await audit(`entity=identity_providers&entityId=${idp.body.id}`)).items[0]!;
    expect(JSON.stringify(idpEntry)).not.toContain('idp-client-secret-value');
    expect(idpEntry.after).not.toHaveProperty('client_secret');
  });

  it('password hashes and passwords never appear in audit documents', async () => {
    const secret = 'Audit-secret-passw0rd';
    const created = await t.request('POST', '/api/users', { token: adminA, body: { username: 'hash.check', displayName: 'x', password: secret } });
    expect(created.status).toBe(201);
    const reset = 'Another-secret-passw0rd1';
    expect((await t.request('POST', `/api/users/${created.body.id}/password`, { token: adminA, body: { password: reset } })).status).toBe(204);
    const own = await t.login('hash.check', reset);
    expect((await t.request('POST', '/api/auth/password', { token: own, body: { currentPassword: reset, newPassword: `${secret}2` } })).status).toBe(204);
    await t.request('POST', '/api/auth/login', { body: { username: 'hash.check', password: 'wrong-passw0rd' } });

    const userTrail = await audit(`entity=users&entityId=${created.body.id}&pageSize=200`);
    expect(userTrail.items.map((e) => e.action)).toEqual(expect.arrayContaining(['insert', 'update', 'password_change', 'sign_in', 'sign_in_failed']));
    const everything = await asSystem(t.database.db, (tx) => tx.select().from(auditLog));
    expect(everything.length).toBeGreaterThan(10);
    const text = JSON.stringify(everything);
    for (const leak of ['$argon2', 'password_hash', 'passwordHash', secret, reset]) expect(text).not.toContain(leak);
  });

  it('filters by entity, entity id, actor, action and time, each narrowing the trail', async () => {
    const from = new Date();
    const siteAdmin = await t.login('admin@demo-site-a1');
    const siteAdminId = (await t.request('GET', '/api/auth/me', { token: siteAdmin })).body.user.id as number;
    const bySite = await t.request('POST', '/api/communities', { token: siteAdmin, body: { code: 'AUD-SITE', name: '营业所小区' } });
    const byCounty = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'AUD-CTY', name: '县公司小区' } });
    await t.request('PATCH', `/api/communities/${byCounty.body.id}`, { token: adminA, body: { address: '新地址' } });
    const to = new Date(Date.now() + 1);

    const byActor = await audit(`actorId=${siteAdminId}&pageSize=200`);
    expect(byActor.total).toBeGreaterThan(0);
    expect(byActor.items.every((e) => e.actorId === siteAdminId)).toBe(true);
    expect(byActor.items.map((e) => e.entityId)).toContain(String(bySite.body.id));
    expect(byActor.items.map((e) => e.entityId)).not.toContain(String(byCounty.body.id));

    const updates = await audit('action=update&entity=communities&pageSize=200');
    expect(updates.items.every((e) => e.action === 'update' && e.entity === 'communities')).toBe(true);
    expect(updates.items.map((e) => e.entityId)).toContain(String(byCounty.body.id));

    const window = await audit(`entity=communities&from=${encodeURIComponent(inShanghai(from))}&to=${encodeURIComponent(to.toISOString())}&pageSize=200`);
    expect(window.items.map((e) => `${e.action} ${e.entityId}`).sort()).toEqual(
      [`insert ${bySite.body.id}`, `insert ${byCounty.body.id}`, `update ${byCounty.body.id}`].sort(),
    );
    for (const e of window.items) {
      expect(new Date(e.at).getTime()).toBeGreaterThanOrEqual(from.getTime() - 1);
      expect(new Date(e.at).getTime()).toBeLessThan(to.getTime());
    }
    const before = await audit(`entity=communities&entityId=${byCounty.body.id}&to=${encodeURIComponent(from.toISOString())}`);
    expect(before.total).toBe(0);
    const after = await audit(`entity=communities&entityId=${byCounty.body.id}&from=${encodeURIComponent(to.toISOString())}`);
    expect(after.total).toBe(0);
    const site = await audit(`tenantId=${bySite.body.tenantId}&entity=communities&pageSize=200`);
    expect(site.items.every((e) => e.tenantId === bySite.body.tenantId)).toBe(true);
    expect(site.items.map((e) => e.entityId)).toContain(String(bySite.body.id));
  });

  it('pages through the trail newest first with a stable total', async () => {
    const created = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'AUD-PAGE', name: '第0版' } });
    const id = created.body.id as number;
    for (let i = 1; i <= 4; i++) {
      expect((await t.request('PATCH', `/api/communities/${id}`, { token: adminA, body: { name: `第${i}版` } })).status).toBe(200);
    }
    const q = `entity=communities&entityId=${id}&pageSize=2`;
    const pages = [await audit(`${q}&page=1`), await audit(`${q}&page=2`), await audit(`${q}&page=3`), await audit(`${q}&page=4`)];
    expect(pages.map((p) => p.total)).toEqual([5, 5, 5, 5]);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1, 0]);
    expect(pages[0]).toMatchObject({ page: 1, pageSize: 2 });
    const all = pages.flatMap((p) => p.items);
    expect(all.map((e) => e.after?.name ?? null)).toEqual(['第4版', '第3版', '第2版', '第1版', '第0版']);
    const ids = all.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(5);
  });

  it('county-a’s admin sees nothing of county-b’s trail; their common group sees both', async () => {
    const ofB = await t.request('POST', '/api/communities', { token: adminB, body: { code: 'AUD-B', name: '西山审计' } });
    const entryB = (await audit(`entity=communities&entityId=${ofB.body.id}`, adminB)).items[0]!;
    expect(entryB).toMatchObject({ tenantId: countyB, action: 'insert' });

    expect((await audit(`entity=communities&entityId=${ofB.body.id}`)).total).toBe(0);
    const direct = await t.request('GET', `/api/audit/${entryB.id}`, { token: adminA });
    expect(direct.status).toBe(404);
    expect(direct.body.error.code).toBe('not_found');
    expect((await t.request('GET', `/api/audit?tenantId=${countyB}`, { token: adminA })).status).toBe(404);
    const everythingA = await audit('pageSize=200');
    expect(everythingA.items.every((e) => e.tenantPath === me.tenantPath || e.tenantPath.startsWith(`${me.tenantPath}.`))).toBe(true);

    const group = await t.login('admin@demo-group');
    expect((await audit(`entity=communities&entityId=${ofB.body.id}`, group)).total).toBe(1);
  });

  it('has no route that writes the audit trail, and every attempt leaves the entry as it was', async () => {
    const auditRoutes = t.runtime.routes.filter((r) => r.path === '/api/audit' || r.path.startsWith('/api/audit/'));
    expect(auditRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['get /api/audit', 'get /api/audit/:id']);
    expect(auditRoutes.every((r) => r.permission === 'audit:read')).toBe(true);

    const platform = await t.login('admin@shuiyun');
    const entry = (await audit('pageSize=1', platform)).items[0]!;
    const before = await asSystem(t.database.db, (tx) => tx.select({ n: sql<number>`count(*)::int` }).from(auditLog));
    for (const [method, path] of [
      ['PUT', `/api/audit/${entry.id}`],
      ['PATCH', `/api/audit/${entry.id}`],
      ['DELETE', `/api/audit/${entry.id}`],
      ['POST', '/api/audit'],
      ['DELETE', '/api/audit'],
    ] as const) {
      const res = await t.request(method, path, { token: platform, body: method === 'DELETE' ? undefined : { action: 'forged' } });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('route_not_found');
    }
    expect((await t.request('GET', `/api/audit/${entry.id}`, { token: platform })).body).toEqual(entry);
    const after = await asSystem(t.database.db, (tx) => tx.select({ n: sql<number>`count(*)::int` }).from(auditLog));
    expect(after).toEqual(before);
  });
});
