import { asSystem, sessions, userRoles, users } from '@shuiyun/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

const NEW_PASSWORD = 'Reset-passw0rd-2026';

describe.each(drivers)('user administration on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let adminAId: number;
  let countyA: number;
  let siteA1: number;
  let countyB: number;
  let viewerRoleA: number;
  const orgUnitsA: Record<string, number> = {};
  let counterOfSiteA1: number;
  let orgUnitOfB: number;

  const en = { 'accept-language': 'en' };

  async function createUser(body: Record<string, unknown>, token = adminA) {
    const res = await t.request('POST', '/api/users', { token, body: { displayName: String(body.username), password: TEST_PASSWORD, ...body } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number; username: string; orgUnitId: number | null; tenantId: number; status: string };
  }

  const login = (username: string, password = TEST_PASSWORD) =>
    t.request('POST', '/api/auth/login', { body: { username, password } });

  const userRow = async (id: number) => (await asSystem(t.database.db, (tx) => tx.select().from(users).where(eq(users.id, id))))[0];
  const sessionsOf = (id: number) => asSystem(t.database.db, (tx) => tx.select().from(sessions).where(eq(sessions.userId, id)));

  beforeAll(async () => {
    t = await startTestRuntime(driver, { SHUIYUN_LOCKOUT_THRESHOLD: '3' });
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const meA = (await t.request('GET', '/api/auth/me', { token: adminA })).body;
    adminAId = meA.user.id;
    countyA = meA.tenant.id;
    countyB = (await t.request('GET', '/api/auth/me', { token: adminB })).body.tenant.id;
    siteA1 = (await t.request('GET', '/api/tenants?q=demo-site-a1', { token: adminA })).body.items[0].id;
    const roles = await t.request('GET', `/api/roles?tenantId=${countyA}`, { token: adminA });
    viewerRoleA = roles.body.items.find((r: { code: string }) => r.code === 'viewer').id;
    for (const u of (await t.request('GET', `/api/org-units?tenantId=${countyA}`, { token: adminA })).body.items) orgUnitsA[u.code] = u.id;
    counterOfSiteA1 = (await t.request('GET', `/api/org-units?tenantId=${siteA1}`, { token: adminA })).body.items[0].id;
    orgUnitOfB = (await t.request('GET', '/api/org-units', { token: adminB })).body.items[0].id;
  });
  afterAll(() => t?.close());

  it('creates a user with a strong password: stored as an argon2id hash, never shown, and it signs in', async () => {
    const res = await t.request('POST', '/api/users', {
      token: adminA,
      body: { username: 'new.clerk', displayName: '新员工', email: 'clerk@example.com', phone: '+86-571-1234567', locale: 'en', password: TEST_PASSWORD, roleIds: [viewerRoleA] },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      username: 'new.clerk',
      displayName: '新员工',
      tenantId: countyA,
      orgUnitId: null,
      status: 'active',
      locked: false,
      hasPassword: true,
      roleIds: [viewerRoleA],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/argon2|passwordHash|Test-passw0rd/);
    const row = await userRow(res.body.id);
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row!.createdBy).toBe(adminAId);
    expect((await login('new.clerk')).status).toBe(200);
    expect((await t.request('GET', `/api/users/${res.body.id}`, { token: adminA })).body.roleIds).toEqual([viewerRoleA]);
  });

  it('refuses weak passwords with 400 weak_password (zh-CN and en) and writes nothing', async () => {
    for (const password of ['short1', 'onlyletters-no-digits', '12345678901234', 'weak.user.2026x']) {
      const res = await t.request('POST', '/api/users', { token: adminA, body: { username: 'weak.user', displayName: 'x', password } });
      expect(res.status, password).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'weak_password', message: '密码强度不足：至少 10 位，且包含字母和数字' });
    }
    const english = await t.request('POST', '/api/users', { token: adminA, body: { username: 'weak.user', displayName: 'x', password: 'abc' }, headers: en });
    expect(english.body.error.message).toBe('The password is too weak: at least 10 characters with letters and digits');
    expect(await asSystem(t.database.db, (tx) => tx.select().from(users).where(eq(users.username, 'weak.user')))).toEqual([]);
  });

  it('a user created without a password exists but cannot sign in', async () => {
    const created = await createUser({ username: 'sso.only', password: undefined });
    expect((await t.request('GET', `/api/users/${created.id}`, { token: adminA })).body.hasPassword).toBe(false);
    const res = await login('sso.only', 'anything-at-all-1');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_credentials');
  });

  it('places a user only in an org unit of its own tenant', async () => {
    const inOps = await createUser({ username: 'ops.member', orgUnitId: orgUnitsA.ops });
    expect(inOps.orgUnitId).toBe(orgUnitsA.ops);
    expect((await userRow(inOps.id))!.orgPath).toMatch(new RegExp(`(^|\\.)${orgUnitsA.ops}$`));

    // A site's org unit is visible to the county admin but belongs to another tenant; county-b's is not visible at all.
    for (const orgUnitId of [counterOfSiteA1, orgUnitOfB, 999_999]) {
      const res = await t.request('POST', '/api/users', { token: adminA, body: { username: `org.mismatch.${orgUnitId}`, displayName: 'x', orgUnitId } });
      expect(res.status, String(orgUnitId)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_reference', message: '引用的记录不存在' });
      expect(res.body.error.details[0].path).toBe('body.orgUnitId');
    }
    const inSite = await createUser({ username: 'site.member', tenantId: siteA1, orgUnitId: counterOfSiteA1 });
    expect(inSite).toMatchObject({ tenantId: siteA1, orgUnitId: counterOfSiteA1 });

    const move = await t.request('PATCH', `/api/users/${inOps.id}`, { token: adminA, body: { orgUnitId: counterOfSiteA1 } });
    expect(move.status).toBe(400);
    expect(move.body.error.code).toBe('invalid_reference');
    expect((await userRow(inOps.id))!.orgUnitId).toBe(orgUnitsA.ops);
    const moved = await t.request('PATCH', `/api/users/${inOps.id}`, { token: adminA, body: { orgUnitId: orgUnitsA.service } });
    expect(moved.body.orgUnitId).toBe(orgUnitsA.service);
    expect((await t.request('PATCH', `/api/users/${inOps.id}`, { token: adminA, body: { orgUnitId: null } })).body.orgUnitId).toBeNull();

    const foreignTenant = await t.request('POST', '/api/users', { token: adminA, body: { username: 'in.county.b', displayName: 'x', tenantId: countyB } });
    expect(foreignTenant.status).toBe(403);
    expect(foreignTenant.body.error.code).toBe('forbidden_tenant');
  });

  it('disabling a user ends its sessions at once: the access token and refresh fail, sign-in answers 403 account_disabled', async () => {
    const user = await createUser({ username: 'to.disable', roleIds: [viewerRoleA] });
    const session = (await login('to.disable')).body;
    expect((await t.request('GET', '/api/communities', { token: session.accessToken })).status).toBe(200);
    const disabled = await t.request('PATCH', `/api/users/${user.id}`, { token: adminA, body: { status: 'disabled' } });
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    const stale = await t.request('GET', '/api/communities', { token: session.accessToken });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('unauthenticated');

    const refresh = await t.request('POST', '/api/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(refresh.status).toBe(401);
    expect(refresh.body.error.code).toBe('invalid_refresh_token');
    const zh = await login('to.disable');
    expect(zh.status).toBe(403);
    expect(zh.body.error).toMatchObject({ code: 'account_disabled', message: '账户已停用' });
    const english = await t.request('POST', '/api/auth/login', { body: { username: 'to.disable', password: TEST_PASSWORD }, headers: en });
    expect(english.body.error.message).toBe('The account is disabled');
    expect((await sessionsOf(user.id)).every((s) => s.revokedAt !== null)).toBe(true);
    // A wrong password still says only "wrong credentials": a disabled account is not revealed to a guesser.
    expect((await login('to.disable', 'Wrong-passw0rd-1')).body.error.code).toBe('invalid_credentials');

    const listed = await t.request('GET', '/api/users?status=disabled&q=to.disable', { token: adminA });
    expect(listed.body.items.map((u: { username: string }) => u.username)).toEqual(['to.disable']);
    expect((await t.request('PATCH', `/api/users/${user.id}`, { token: adminA, body: { status: 'active' } })).status).toBe(200);
    expect((await login('to.disable')).status).toBe(200);
  });

  it('an administrator’s password reset ends every session of the user; the old password stops, the new one works', async () => {
    const user = await createUser({ username: 'to.reset', roleIds: [viewerRoleA] });
    const first = (await login('to.reset')).body;
    const second = (await login('to.reset')).body;

    const weak = await t.request('POST', `/api/users/${user.id}/password`, { token: adminA, body: { password: 'weak' } });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('weak_password');
    expect((await sessionsOf(user.id)).filter((s) => s.revokedAt === null)).toHaveLength(2);

    const reset = await t.request('POST', `/api/users/${user.id}/password`, { token: adminA, body: { password: NEW_PASSWORD } });
    expect(reset.status).toBe(204);
    for (const s of [first, second]) {
      expect((await t.request('GET', '/api/auth/me', { token: s.accessToken })).status).toBe(401);
      const res = await t.request('POST', '/api/auth/refresh', { body: { refreshToken: s.refreshToken } });
      expect(res.status).toBe(401);
    }
    expect((await sessionsOf(user.id)).every((s) => s.revokedAt !== null)).toBe(true);
    expect((await login('to.reset')).status).toBe(401);
    expect((await login('to.reset', NEW_PASSWORD)).status).toBe(200);
  });

  it('unlocks a user locked out by failed sign-ins', async () => {
    const user = await createUser({ username: 'to.unlock' });
    for (let i = 0; i < 2; i++) expect((await login('to.unlock', 'Wrong-passw0rd-1')).status).toBe(401);
    expect((await login('to.unlock', 'Wrong-passw0rd-1')).status).toBe(423);
    const locked = await login('to.unlock');
    expect(locked.status).toBe(423);
    expect(locked.body.error).toMatchObject({ code: 'account_locked', message: '登录失败次数过多，账户已锁定，请稍后再试' });
    expect((await t.request('GET', `/api/users/${user.id}`, { token: adminA })).body.locked).toBe(true);

    const unlocked = await t.request('POST', `/api/users/${user.id}/unlock`, { token: adminA });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.locked).toBe(false);
    expect((await userRow(user.id))).toMatchObject({ failedLogins: 0, lockedUntil: null });
    expect((await login('to.unlock')).status).toBe(200);
  });

  it('nobody deletes or disables themselves (409); changing one’s own profile is fine', async () => {
    const disable = await t.request('PATCH', `/api/users/${adminAId}`, { token: adminA, body: { status: 'disabled' } });
    expect(disable.status).toBe(409);
    expect(disable.body.error).toMatchObject({ code: 'conflict', message: '操作与当前数据冲突' });
    const del = await t.request('DELETE', `/api/users/${adminAId}`, { token: adminA, headers: en });
    expect(del.status).toBe(409);
    expect(del.body.error.message).toBe('The change conflicts with the current data');
    expect(await userRow(adminAId)).toMatchObject({ status: 'active', username: 'admin@demo-county-a' });
    const rename = await t.request('PATCH', `/api/users/${adminAId}`, { token: adminA, body: { displayName: '东湖管理员' } });
    expect(rename.status).toBe(200);
    expect((await t.request('GET', '/api/auth/me', { token: adminA })).status).toBe(200);
  });

  it('deletes another user with its roles and sessions; it can no longer sign in', async () => {
    const user = await createUser({ username: 'to.delete', roleIds: [viewerRoleA] });
    const session = (await login('to.delete')).body;
    expect((await t.request('DELETE', `/api/users/${user.id}`, { token: adminA })).status).toBe(204);
    expect((await t.request('GET', '/api/auth/me', { token: session.accessToken })).status).toBe(401);
    expect((await t.request('GET', `/api/users/${user.id}`, { token: adminA })).status).toBe(404);
    expect((await t.request('DELETE', `/api/users/${user.id}`, { token: adminA })).status).toBe(404);
    expect(await userRow(user.id)).toBeUndefined();
    expect(await sessionsOf(user.id)).toEqual([]);
    expect(await asSystem(t.database.db, (tx) => tx.select().from(userRoles).where(eq(userRoles.userId, user.id)))).toEqual([]);
    expect((await login('to.delete')).status).toBe(401);
    expect((await t.request('POST', '/api/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(401);
  });

  it('lists with search, status, org unit and tenant filters', async () => {
    const alpha = await createUser({ username: 'search.alpha', displayName: '张三' });
    const beta = await createUser({ username: 'search.beta', displayName: '李四', orgUnitId: orgUnitsA.metering });
    const gamma = await createUser({ username: 'search.gamma', displayName: '王五' });
    await t.request('PATCH', `/api/users/${gamma.id}`, { token: adminA, body: { status: 'disabled' } });
    const names = async (query: string) => {
      const res = await t.request('GET', `/api/users?${query}`, { token: adminA });
      expect(res.status, query).toBe(200);
      return res.body.items.map((u: { username: string }) => u.username);
    };
    expect(await names('q=search.')).toEqual(['search.alpha', 'search.beta', 'search.gamma']);
    expect(await names('q=SEARCH.ALPHA')).toEqual(['search.alpha']);
    expect(await names(`q=${encodeURIComponent('李')}`)).toEqual(['search.beta']);
    expect(await names('q=search.&status=disabled')).toEqual(['search.gamma']);
    expect(await names('q=search.&status=active')).toEqual(['search.alpha', 'search.beta']);
    expect(await names(`orgUnitId=${orgUnitsA.metering}`)).toEqual(['search.beta']);
    expect(await names(`tenantId=${siteA1}&q=admin`)).toEqual(['admin@demo-site-a1']);
    expect(await names('q=no-such-user')).toEqual([]);
    expect(alpha.id).not.toBe(beta.id);

    // county-b's users and org units are not there for county-a's admin.
    const all = await t.request('GET', '/api/users?pageSize=200', { token: adminA });
    expect(all.body.items.every((u: { tenantId: number }) => u.tenantId === countyA || u.tenantId === siteA1)).toBe(true);
    expect((await t.request('GET', `/api/users?tenantId=${countyB}`, { token: adminA })).status).toBe(404);
    expect((await t.request('GET', `/api/users?orgUnitId=${orgUnitOfB}`, { token: adminA })).status).toBe(404);
    const bAdmin = (await t.request('GET', '/api/auth/me', { token: adminB })).body.user.id;
    expect((await t.request('GET', `/api/users/${bAdmin}`, { token: adminA })).status).toBe(404);
    expect((await t.request('PATCH', `/api/users/${bAdmin}`, { token: adminA, body: { status: 'disabled' } })).status).toBe(404);
    expect((await t.request('POST', `/api/users/${bAdmin}/password`, { token: adminA, body: { password: NEW_PASSWORD } })).status).toBe(404);
    expect((await t.request('DELETE', `/api/users/${bAdmin}`, { token: adminA })).status).toBe(404);
    expect((await login('admin@demo-county-b')).status).toBe(200);
  });

  it('pages with stable totals and no overlap', async () => {
    for (let i = 1; i <= 5; i++) await createUser({ username: `pager.${i}`, password: undefined });
    const page = async (n: number) => (await t.request('GET', `/api/users?q=pager.&pageSize=2&page=${n}`, { token: adminA })).body;
    const pages = [await page(1), await page(2), await page(3), await page(4)];
    expect(pages.map((p) => p.total)).toEqual([5, 5, 5, 5]);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1, 0]);
    expect(pages[1]).toMatchObject({ page: 2, pageSize: 2 });
    expect(pages.flatMap((p) => p.items.map((u: { username: string }) => u.username))).toEqual(['pager.1', 'pager.2', 'pager.3', 'pager.4', 'pager.5']);
    const total = await t.request('GET', '/api/users?pageSize=1', { token: adminA });
    const [counted] = await asSystem(t.database.db, async (tx) => [
      (await tx.select().from(users)).filter((u) => u.tenantId === countyA || u.tenantId === siteA1).length,
    ]);
    expect(total.body.total).toBe(counted);
  });

  it('giving roles at creation needs role:assign; an own-scoped user manager sees only itself and whom it created', async () => {
    const manager = await t.request('POST', '/api/roles', {
      token: adminA,
      body: { code: 'user-manager', name: '用户管理（本人）', permissions: ['user:read', 'user:create'], dataScope: 'own' },
    });
    expect(manager.status).toBe(201);
    await createUser({ username: 'manager.a', roleIds: [manager.body.id] });
    const token = await t.login('manager.a');
    const withRoles = await t.request('POST', '/api/users', { token, body: { username: 'managed.1', displayName: 'x', roleIds: [viewerRoleA] } });
    expect(withRoles.status).toBe(403);
    expect(withRoles.body.error.details[0].path).toBe('body.roleIds');
    expect(await asSystem(t.database.db, (tx) => tx.select().from(users).where(eq(users.username, 'managed.1')))).toEqual([]);
    expect((await t.request('POST', '/api/users', { token, body: { username: 'managed.1', displayName: 'x' } })).status).toBe(201);

    const seen = await t.request('GET', '/api/users?pageSize=200', { token });
    expect(seen.body.items.map((u: { username: string }) => u.username).sort()).toEqual(['managed.1', 'manager.a']);
    expect(seen.body.total).toBe(2);
    expect((await t.request('GET', `/api/users/${adminAId}`, { token })).status).toBe(404);
  });
});
