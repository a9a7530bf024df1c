import { asSystem, roles, userRoles } from '@shuiyun/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';
import { allPermissions, tenantAdminPermissions } from './catalogue.js';

describe.each(drivers)('roles and data scopes on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let countyA: number;
  let siteA1: number;
  let orgUnits: Record<string, number>;

  async function createUser(username: string, extra: Record<string, unknown> = {}) {
    const res = await t.request('POST', '/api/users', {
      token: adminA,
      body: { username, displayName: username, password: TEST_PASSWORD, ...extra },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as number;
  }

  async function createRole(body: Record<string, unknown>, token = adminA) {
    const res = await t.request('POST', '/api/roles', { token, body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number; permissions: string[]; dataScope: string };
  }

  async function assign(userId: number, roleIds: number[]) {
    const res = await t.request('PUT', `/api/users/${userId}/roles`, { token: adminA, body: { roleIds } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  async function builtin(tenantId: number, code: 'admin' | 'viewer', token = adminA) {
    const res = await t.request('GET', `/api/roles?tenantId=${tenantId}&q=${code}`, { token });
    return res.body.items.find((r: { code: string }) => r.code === code) as { id: number; permissions: string[] };
  }

  const codes = (page: { items: { code: string }[] }) => page.items.map((c) => c.code).sort();

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    countyA = (await t.request('GET', '/api/auth/me', { token: adminA })).body.tenant.id;
    siteA1 = (await t.request('GET', '/api/tenants?q=demo-site-a1', { token: adminA })).body.items[0].id;
    const units = await t.request('GET', `/api/org-units?tenantId=${countyA}`, { token: adminA });
    orgUnits = Object.fromEntries(units.body.items.map((u: { code: string; id: number }) => [u.code, u.id]));
  });
  afterAll(() => t?.close());

  it('creates a role with permissions and a data scope; the list and the read show it', async () => {
    const role = await createRole({
      code: 'meter-reader',
      name: '抄表员',
      description: 'Reads communities and buildings',
      permissions: ['community:read', 'building:read', 'community:read'],
      dataScope: 'org',
    });
    expect(role).toMatchObject({ tenantId: countyA, code: 'meter-reader', permissions: ['building:read', 'community:read'], dataScope: 'org', builtin: false });
    const read = await t.request('GET', `/api/roles/${role.id}`, { token: adminA });
    expect(read.body).toMatchObject({ id: role.id, name: '抄表员', permissions: ['building:read', 'community:read'], dataScope: 'org' });
    const list = await t.request('GET', `/api/roles?tenantId=${countyA}`, { token: adminA });
    expect(codes(list.body)).toEqual(['admin', 'meter-reader', 'viewer']);
    const [row] = await asSystem(t.database.db, (tx) => tx.select().from(roles).where(eq(roles.id, role.id)));
    expect(row).toMatchObject({ tenantId: countyA, permissions: ['building:read', 'community:read'], dataScope: 'org', builtin: false });
  });

  it('a role given through PUT /api/users/:id/roles lets the user do exactly what it allows, no more', async () => {
    const role = await createRole({ code: 'community-clerk', name: '小区管理员', permissions: ['community:read', 'community:create', 'building:read'] });
    const userId = await createUser('clerk.a');
    const before = await t.login('clerk.a');
    expect((await t.request('GET', '/api/communities', { token: before })).status).toBe(403);

    const assigned = await assign(userId, [role.id]);
    expect(assigned.roleIds).toEqual([role.id]);
    const token = await t.login('clerk.a');
    const me = await t.request('GET', '/api/auth/me', { token });
    expect(me.body.permissions).toEqual(['building:read', 'community:read', 'community:create'].sort());
    expect(me.body.dataScope).toBe('tenant');

    for (const r of t.runtime.routes.filter((x) => x.permission !== 'public' && x.permission !== 'authenticated')) {
      const res = await t.request(r.method.toUpperCase(), r.path.replace(/:[a-z]+/gi, '1'), { token });
      const label = `${r.method} ${r.path}`;
      if (role.permissions.includes(r.permission)) expect(res.status, label).not.toBe(403);
      else expect(res.status, label).toBe(403);
    }
    const created = await t.request('POST', '/api/communities', { token, body: { code: 'CLERK1', name: '书记小区' } });
    expect(created.status).toBe(201);
    expect((await t.request('PATCH', `/api/communities/${created.body.id}`, { token, body: { name: 'x' } })).status).toBe(403);
    expect((await t.request('DELETE', `/api/communities/${created.body.id}`, { token })).status).toBe(403);
    expect((await t.request('GET', `/api/communities/${created.body.id}`, { token: adminA })).body.name).toBe('书记小区');
  });

  it('data scope org restricts communities and buildings to the user’s org-unit subtree, plus what it created', async () => {
    const role = await createRole({ code: 'ops-reader', name: '运营部只读', permissions: ['community:read', 'community:create', 'building:read'], dataScope: 'org' });
    const userId = await createUser('ops.reader.a', { orgUnitId: orgUnits.ops });
    await assign(userId, [role.id]);
    const token = await t.login('ops.reader.a');
    expect((await t.request('GET', '/api/auth/me', { token })).body.dataScope).toBe('org');

    // ops → metering serves C001; service (a sibling of ops) serves C002.
    const all = await t.request('GET', `/api/communities?tenantId=${countyA}`, { token: adminA });
    const c002 = all.body.items.find((c: { code: string }) => c.code === 'C002');
    const seen = await t.request('GET', '/api/communities?pageSize=200', { token });
    expect(codes(seen.body)).toEqual(['C001']);
    expect(seen.body.total).toBe(1);
    expect((await t.request('GET', `/api/communities/${c002.id}`, { token })).status).toBe(404);
    const buildings = await t.request('GET', '/api/buildings?pageSize=200', { token });
    expect(buildings.body.total).toBe(6);
    expect(buildings.body.items.every((b: { code: string }) => b.code.startsWith('C001-'))).toBe(true);

    const own = await t.request('POST', '/api/communities', { token, body: { code: 'OPS-NEW', name: '无机构小区' } });
    expect(own.status).toBe(201);
    expect(codes((await t.request('GET', '/api/communities', { token })).body)).toEqual(['C001', 'OPS-NEW']);

    // Widening the role's scope applies to the next request, without signing in again.
    expect((await t.request('PATCH', `/api/roles/${role.id}`, { token: adminA, body: { dataScope: 'tenant' } })).status).toBe(200);
    const wide = await t.request('GET', '/api/communities?pageSize=200', { token });
    expect(codes(wide.body)).toEqual(expect.arrayContaining(['C001', 'C002', 'C101', 'OPS-NEW']));
  });

  it('data scope own restricts communities to the records the user created', async () => {
    const role = await createRole({ code: 'own-clerk', name: '本人数据', permissions: ['community:read', 'community:create'], dataScope: 'own' });
    const userId = await createUser('own.clerk.a', { orgUnitId: orgUnits.metering });
    await assign(userId, [role.id]);
    const token = await t.login('own.clerk.a');
    const empty = await t.request('GET', '/api/communities', { token });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ items: [], total: 0 });
    const mine = await t.request('POST', '/api/communities', { token, body: { code: 'MINE1', name: '我的小区', orgUnitId: orgUnits.metering } });
    expect(mine.status).toBe(201);
    const seen = await t.request('GET', '/api/communities', { token });
    expect(codes(seen.body)).toEqual(['MINE1']);
    const c001 = (await t.request('GET', `/api/communities?q=C001&tenantId=${countyA}`, { token: adminA })).body.items[0];
    expect((await t.request('GET', `/api/communities/${c001.id}`, { token })).status).toBe(404);
  });

  it('the widest scope among a user’s roles wins', async () => {
    const own = await createRole({ code: 'scope-own', name: 'own', permissions: ['community:read'], dataScope: 'own' });
    const org = await createRole({ code: 'scope-org', name: 'org', permissions: ['community:read'], dataScope: 'org' });
    const userId = await createUser('two.scopes.a', { orgUnitId: orgUnits.service });
    await assign(userId, [own.id, org.id]);
    const token = await t.login('two.scopes.a');
    expect((await t.request('GET', '/api/auth/me', { token })).body.dataScope).toBe('org');
    expect(codes((await t.request('GET', '/api/communities', { token })).body)).toEqual(['C002']);
  });

  it('nobody grants what they do not hold: creating or widening a role beyond one’s own permissions is 403', async () => {
    // The county admin holds everything except tenant:create and tenant:delete.
    const me = await t.request('GET', '/api/auth/me', { token: adminA });
    expect(me.body.permissions).toEqual([...tenantAdminPermissions].sort());
    const escalate = await t.request('POST', '/api/roles', {
      token: adminA,
      body: { code: 'tenant-maker', name: 'x', permissions: ['community:read', 'tenant:create'] },
    });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error.code).toBe('forbidden');
    expect(escalate.body.error.details).toEqual([{ path: 'body.permissions', message: 'cannot grant tenant:create' }]);
    const wildcard = await t.request('POST', '/api/roles', { token: adminA, body: { code: 'everything', name: 'x', permissions: ['*:*'] } });
    expect(wildcard.status).toBe(403);

    // A user who may create roles, but holds nothing else, can only hand out role:create/role:read.
    const roleMaker = await createRole({ code: 'role-maker', name: '角色管理', permissions: ['role:create', 'role:read'] });
    const makerId = await createUser('role.maker.a');
    await assign(makerId, [roleMaker.id]);
    const token = await t.login('role.maker.a');
    for (const permissions of [['tenant:create'], ['community:read'], ['role:*'], ['role:read', 'role:assign']]) {
      const res = await t.request('POST', '/api/roles', { token, body: { code: 'attempt', name: 'x', permissions } });
      expect(res.status, permissions.join()).toBe(403);
    }
    expect((await t.request('POST', '/api/roles', { token, body: { code: 'attempt', name: 'x', permissions: ['role:read'] } })).status).toBe(201);
    const rows = await asSystem(t.database.db, (tx) => tx.select({ permissions: roles.permissions }).from(roles).where(eq(roles.code, 'attempt')));
    expect(rows).toEqual([{ permissions: ['role:read'] }]);
    expect(await asSystem(t.database.db, (tx) => tx.select().from(roles).where(eq(roles.code, 'tenant-maker')))).toEqual([]);

    const widen = await t.request('PATCH', `/api/roles/${roleMaker.id}`, { token: adminA, body: { permissions: ['role:create', 'tenant:delete'] } });
    expect(widen.status).toBe(403);
    expect((await t.request('GET', `/api/roles/${roleMaker.id}`, { token: adminA })).body.permissions).toEqual(['role:create', 'role:read']);
  });

  it('built-in roles keep their permissions and data scope and cannot be deleted (409); their name may change', async () => {
    const admin = await builtin(countyA, 'admin');
    const viewer = await builtin(countyA, 'viewer');
    const narrow = await t.request('PATCH', `/api/roles/${admin.id}`, { token: adminA, body: { permissions: ['community:read'] } });
    expect(narrow.status).toBe(409);
    expect(narrow.body.error).toMatchObject({ code: 'conflict', message: '操作与当前数据冲突' });
    const scope = await t.request('PATCH', `/api/roles/${viewer.id}`, { token: adminA, body: { dataScope: 'own' } });
    expect(scope.status).toBe(409);
    for (const id of [admin.id, viewer.id]) {
      const del = await t.request('DELETE', `/api/roles/${id}`, { token: adminA, headers: { 'accept-language': 'en' } });
      expect(del.status).toBe(409);
      expect(del.body.error.message).toBe('The change conflicts with the current data');
    }
    const [row] = await asSystem(t.database.db, (tx) => tx.select().from(roles).where(eq(roles.id, admin.id)));
    expect(row).toMatchObject({ permissions: admin.permissions, dataScope: 'tenant', builtin: true });
    const renamed = await t.request('PATCH', `/api/roles/${viewer.id}`, { token: adminA, body: { name: '只读（县公司）' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: '只读（县公司）', permissions: viewer.permissions, dataScope: 'tenant' });
  });

  it('a role someone holds cannot be deleted (409 still_referenced); once released it can (204)', async () => {
    const role = await createRole({ code: 'held-role', name: '在用角色', permissions: ['building:read'] });
    const userId = await createUser('holder.a');
    await assign(userId, [role.id]);
    const held = await t.request('DELETE', `/api/roles/${role.id}`, { token: adminA });
    expect(held.status).toBe(409);
    expect(held.body.error).toMatchObject({ code: 'still_referenced', message: '记录仍被其他数据引用，不能删除' });
    expect((await t.request('GET', `/api/roles/${role.id}`, { token: adminA })).status).toBe(200);

    expect((await assign(userId, [])).roleIds).toEqual([]);
    expect((await t.request('DELETE', `/api/roles/${role.id}`, { token: adminA })).status).toBe(204);
    expect((await t.request('GET', `/api/roles/${role.id}`, { token: adminA })).status).toBe(404);
    expect(await asSystem(t.database.db, (tx) => tx.select().from(userRoles).where(eq(userRoles.roleId, role.id)))).toEqual([]);
  });

  it('unknown permission strings and data scopes are 400 validation_failed naming the entry', async () => {
    for (const bad of ['meter:read', 'community:fly', 'community', '*:read', ':', 'COMMUNITY:READ']) {
      const res = await t.request('POST', '/api/roles', { token: adminA, body: { code: 'bad-perm', name: 'x', permissions: ['building:read', bad] } });
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.permissions.1']);
    }
    const scope = await t.request('POST', '/api/roles', { token: adminA, body: { code: 'bad-scope', name: 'x', permissions: [], dataScope: 'galaxy' } });
    expect(scope.status).toBe(400);
    expect(scope.body.error.details[0].path).toBe('body.dataScope');
    const roleId = (await builtin(countyA, 'viewer')).id;
    const patch = await t.request('PATCH', `/api/roles/${roleId}`, { token: adminA, body: { permissions: ['nope:nope'] } });
    expect(patch.status).toBe(400);
    expect(await asSystem(t.database.db, (tx) => tx.select().from(roles).where(eq(roles.code, 'bad-perm')))).toEqual([]);
  });

  it('a role code is unique within a tenant (409) but may repeat in another tenant', async () => {
    await createRole({ code: 'inspector', name: '巡检员', permissions: ['building:read'] });
    const again = await t.request('POST', '/api/roles', { token: adminA, body: { code: 'inspector', name: '巡检员2', permissions: [] } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('duplicate');
    const inSite = await createRole({ tenantId: siteA1, code: 'inspector', name: '营业所巡检员', permissions: ['building:read'] });
    expect(inSite).toMatchObject({ tenantId: siteA1 });
    const inB = await createRole({ code: 'inspector', name: '西山巡检员', permissions: ['building:read'] }, adminB);
    expect(inB.id).not.toBe(inSite.id);
  });

  it('roles are assigned only within the user’s own tenant and only inside the caller’s subtree', async () => {
    const siteRole = await createRole({ tenantId: siteA1, code: 'site-reader', name: '营业所只读', permissions: ['community:read'] });
    const userId = await createUser('cross.assign.a');
    const wrongTenant = await t.request('PUT', `/api/users/${userId}/roles`, { token: adminA, body: { roleIds: [siteRole.id] } });
    expect(wrongTenant.status).toBe(400);
    expect(wrongTenant.body.error).toMatchObject({ code: 'invalid_reference' });
    expect(wrongTenant.body.error.details[0].path).toBe('body.roleIds');

    const adminOfB = await builtin((await t.request('GET', '/api/auth/me', { token: adminB })).body.tenant.id, 'admin', adminB);
    const foreign = await t.request('PUT', `/api/users/${userId}/roles`, { token: adminA, body: { roleIds: [adminOfB.id] } });
    expect(foreign.status).toBe(400);
    expect((await t.request('GET', `/api/users/${userId}`, { token: adminA })).body.roleIds).toEqual([]);

    // county-b's roles are invisible to county-a's admin: reading, changing or deleting one is a 404.
    expect((await t.request('GET', `/api/roles/${adminOfB.id}`, { token: adminA })).status).toBe(404);
    expect((await t.request('PATCH', `/api/roles/${adminOfB.id}`, { token: adminA, body: { name: 'pwned' } })).status).toBe(404);
    expect((await t.request('DELETE', `/api/roles/${adminOfB.id}`, { token: adminA })).status).toBe(404);
    const bUser = (await t.request('GET', '/api/auth/me', { token: adminB })).body.user.id;
    expect((await t.request('PUT', `/api/users/${bUser}/roles`, { token: adminA, body: { roleIds: [] } })).status).toBe(404);
    expect((await t.request('GET', '/api/auth/me', { token: adminB })).body.permissions).toEqual([...tenantAdminPermissions].sort());
  });

  it('GET /api/permissions lists the whole catalogue with labels in the caller’s language', async () => {
    const zh = await t.request('GET', '/api/permissions', { token: adminA });
    const flattened = zh.body.resources.flatMap((r: { resource: string; actions: string[] }) => r.actions.map((a) => `${r.resource}:${a}`));
    expect(flattened.sort()).toEqual([...allPermissions].sort());
    expect(zh.body.resources.find((r: { resource: string }) => r.resource === 'community').label).toBe('小区');
    expect(zh.body.dataScopes).toEqual(['tenant', 'org', 'own']);
    const en = await t.request('GET', '/api/permissions', { token: adminA, headers: { 'accept-language': 'en-US' } });
    expect(en.body.resources.find((r: { resource: string }) => r.resource === 'community').label).toBe('Communities');
  });
});
