import { asSystem, auditLog, roles, tenants } from '@shuiyun/db';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantAdminPermissions, viewerPermissions } from '../permissions/catalogue.js';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

describe.each(drivers)('tenant administration on %s', (driver) => {
  let t: TestRuntime;
  let platformToken: string;
  let countyAToken: string;
  const ids: Record<string, { id: number; path: string }> = {};

  const tenantRow = async (id: number) => (await asSystem(t.database.db, (tx) => tx.select().from(tenants).where(eq(tenants.id, id))))[0];
  const tenantByCode = async (code: string) => (await asSystem(t.database.db, (tx) => tx.select().from(tenants).where(eq(tenants.code, code))))[0];
  const rolesOf = (tenantId: number) =>
    asSystem(t.database.db, (tx) => tx.select().from(roles).where(eq(roles.tenantId, tenantId)).orderBy(roles.code));

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    for (const code of ['shuiyun', 'demo-group', 'demo-county-a', 'demo-county-b', 'demo-site-a1']) {
      const row = await tenantByCode(code);
      ids[code] = { id: row!.id, path: row!.path };
    }
    platformToken = await t.login('admin@shuiyun');
    countyAToken = await t.login('admin@demo-county-a');
  });
  afterAll(() => t?.close());

  describe('creating tenants as the platform administrator', () => {
    let company: { id: number; path: string };

    it('creates a company under the group: path below the group’s, default settings, and its two built-in roles', async () => {
      const res = await t.request('POST', '/api/tenants', {
        token: platformToken,
        body: { parentId: ids['demo-group']!.id, code: 'demo-county-c', name: '南湖县自来水有限公司', kind: 'company', settings: { brandingName: '南湖水务' } },
      });
      expect(res.status).toBe(201);
      company = { id: res.body.id, path: res.body.path };
      expect(res.body).toMatchObject({
        parentId: ids['demo-group']!.id,
        path: `${ids['demo-group']!.path}.${res.body.id}`,
        code: 'demo-county-c',
        kind: 'company',
        settings: { timeZone: 'Asia/Shanghai', locale: 'zh-CN', brandingName: '南湖水务' },
      });
      expect(await tenantRow(company.id)).toMatchObject({ path: company.path, kind: 'company', parentId: ids['demo-group']!.id });

      const builtIn = await rolesOf(company.id);
      expect(builtIn.map((r) => [r.code, r.builtin, r.dataScope, r.tenantPath])).toEqual([
        ['admin', true, 'tenant', company.path],
        ['viewer', true, 'tenant', company.path],
      ]);
      expect([...builtIn[0]!.permissions].sort()).toEqual([...tenantAdminPermissions].sort());
      expect([...builtIn[1]!.permissions].sort()).toEqual([...viewerPermissions].sort());

      const [audit] = await asSystem(t.database.db, (tx) =>
        tx.select().from(auditLog).where(and(eq(auditLog.entity, 'tenants'), eq(auditLog.entityId, String(company.id)), eq(auditLog.action, 'insert'))),
      );
      expect(audit).toMatchObject({ actorName: 'admin@shuiyun', tenantId: company.id, tenantPath: company.path });
    });

    it('creates a site under that company, inheriting the company’s settings, and lists it as the company’s child', async () => {
      const res = await t.request('POST', '/api/tenants', {
        token: platformToken,
        body: { parentId: company.id, code: 'demo-site-c1', name: '南湖县城南营业所', kind: 'site' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ parentId: company.id, path: `${company.path}.${res.body.id}`, kind: 'site', settings: { brandingName: '南湖水务' } });
      expect((await rolesOf(res.body.id)).map((r) => r.code)).toEqual(['admin', 'viewer']);
      const children = await t.request('GET', `/api/tenants?parentId=${company.id}`, { token: platformToken });
      expect(children.status).toBe(200);
      expect(children.body.items.map((x: { code: string }) => x.code)).toEqual(['demo-site-c1']);
    });

    it('gives the new company a working administrator role: its holder signs in and sees exactly the company’s subtree', async () => {
      const [adminRole] = (await rolesOf(company.id)).filter((r) => r.code === 'admin');
      const created = await t.request('POST', '/api/users', {
        token: platformToken,
        body: { tenantId: company.id, username: 'admin@demo-county-c', displayName: '南湖管理员', password: TEST_PASSWORD, roleIds: [adminRole!.id] },
      });
      expect(created.status).toBe(201);
      const token = await t.login('admin@demo-county-c');
      const visible = await t.request('GET', '/api/tenants', { token });
      expect(visible.status).toBe(200);
      expect(visible.body.items.map((x: { code: string }) => x.code).sort()).toEqual(['demo-county-c', 'demo-site-c1']);
      // …and, like every company administrator, it cannot create tenants.
      const attempt = await t.request('POST', '/api/tenants', { token, body: { parentId: company.id, code: 'demo-site-c2', name: 'x', kind: 'site' } });
      expect(attempt.status).toBe(403);
      expect(await tenantByCode('demo-site-c2')).toBeUndefined();
    });

    it('refuses a wrong kind ladder with 400 naming body.kind, and writes nothing', async () => {
      const ladder: [string, number, string][] = [
        ['site under a group', ids['demo-group']!.id, 'site'],
        ['company under a company', ids['demo-county-a']!.id, 'company'],
        ['group under a company', ids['demo-county-a']!.id, 'group'],
        ['group under a group', ids['demo-group']!.id, 'group'],
        ['company under a site', ids['demo-site-a1']!.id, 'company'],
        ['site under a site', ids['demo-site-a1']!.id, 'site'],
      ];
      for (const [label, parentId, kind] of ladder) {
        const res = await t.request('POST', '/api/tenants', { token: platformToken, body: { parentId, code: 'wrong-ladder', name: label, kind } });
        expect(res.status, label).toBe(400);
        expect(res.body.error.code, label).toBe('validation_failed');
        expect(res.body.error.details, label).toEqual([expect.objectContaining({ path: 'body.kind' })]);
      }
      expect(await tenantByCode('wrong-ladder')).toBeUndefined();
    });

    it('refuses a duplicate code (409), a malformed code or a platform kind (400), and an unknown parent (403)', async () => {
      const dup = await t.request('POST', '/api/tenants', {
        token: platformToken,
        body: { parentId: ids['demo-group']!.id, code: 'demo-county-b', name: 'again', kind: 'company' },
      });
      expect(dup.status).toBe(409);
      expect(dup.body.error.code).toBe('duplicate');
      const badCode = await t.request('POST', '/api/tenants', {
        token: platformToken,
        body: { parentId: ids['demo-group']!.id, code: 'Bad Code!', name: 'x', kind: 'company' },
      });
      expect(badCode.status).toBe(400);
      const platformKind = await t.request('POST', '/api/tenants', {
        token: platformToken,
        body: { parentId: ids.shuiyun!.id, code: 'second-platform', name: 'x', kind: 'platform' },
      });
      expect(platformKind.status).toBe(400);
      const orphan = await t.request('POST', '/api/tenants', { token: platformToken, body: { parentId: 987654, code: 'orphan', name: 'x', kind: 'company' } });
      expect(orphan.status).toBe(403);
      expect(orphan.body.error.code).toBe('forbidden_tenant');
      for (const code of ['second-platform', 'orphan']) expect(await tenantByCode(code)).toBeUndefined();
      expect((await asSystem(t.database.db, (tx) => tx.select().from(tenants).where(eq(tenants.code, 'demo-county-b')))).length).toBe(1);
    });
  });

  describe('tenant settings', () => {
    it('changes time zone, locale and branding name through PATCH, merging with what is stored', async () => {
      const id = ids['demo-county-b']!.id;
      const res = await t.request('PATCH', `/api/tenants/${id}`, {
        token: platformToken,
        body: { name: '西山县供水有限公司', settings: { timeZone: 'Asia/Urumqi', locale: 'en', brandingName: '西山水务' } },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: '西山县供水有限公司', settings: { timeZone: 'Asia/Urumqi', locale: 'en', brandingName: '西山水务' } });
      const partial = await t.request('PATCH', `/api/tenants/${id}`, { token: platformToken, body: { settings: { locale: 'zh-CN' } } });
      expect(partial.status).toBe(200);
      expect(partial.body.settings).toEqual({ timeZone: 'Asia/Urumqi', locale: 'zh-CN', brandingName: '西山水务' });
      const cleared = await t.request('PATCH', `/api/tenants/${id}`, { token: platformToken, body: { settings: { brandingName: null } } });
      expect(cleared.body.settings).toEqual({ timeZone: 'Asia/Urumqi', locale: 'zh-CN', brandingName: null });
      expect(await tenantRow(id)).toMatchObject({ name: '西山县供水有限公司', settings: { timeZone: 'Asia/Urumqi', locale: 'zh-CN', brandingName: null } });
      const audited = await asSystem(t.database.db, (tx) =>
        tx.select().from(auditLog).where(and(eq(auditLog.entity, 'tenants'), eq(auditLog.entityId, String(id)), eq(auditLog.action, 'update'))),
      );
      expect(audited).toHaveLength(3);
      expect(audited[0]!.before).toMatchObject({ settings: { timeZone: 'Asia/Shanghai' } });
      expect(audited[0]!.after).toMatchObject({ settings: { timeZone: 'Asia/Urumqi' } });
    });

    it('lets a company administrator change its own tenant’s settings', async () => {
      const res = await t.request('PATCH', `/api/tenants/${ids['demo-county-a']!.id}`, {
        token: countyAToken,
        body: { settings: { brandingName: '东湖水务' } },
      });
      expect(res.status).toBe(200);
      expect((await tenantRow(ids['demo-county-a']!.id))!.settings.brandingName).toBe('东湖水务');
    });

    it('refuses a time zone that is not IANA, an unknown locale, a blank branding name or an unknown field with 400, changing nothing', async () => {
      const id = ids['demo-county-a']!.id;
      const before = await tenantRow(id);
      const cases: [unknown, string, string][] = [
        [{ settings: { timeZone: 'Mars/Olympus' } }, 'validation_failed', 'body.settings.timeZone'],
        [{ settings: { timeZone: 'GMT+8' } }, 'validation_failed', 'body.settings.timeZone'],
        [{ settings: { timeZone: '' } }, 'validation_failed', 'body.settings.timeZone'],
        [{ settings: { locale: 'fr' } }, 'validation_failed', 'body.settings.locale'],
        [{ settings: { brandingName: '   ' } }, 'validation_failed', 'body.settings.brandingName'],
        [{ settings: { currency: 'CNY' } }, 'unknown_field', 'body.settings'],
        [{ kind: 'group' }, 'unknown_field', 'body'],
      ];
      for (const [body, code, path] of cases) {
        const res = await t.request('PATCH', `/api/tenants/${id}`, { token: platformToken, body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.code, JSON.stringify(body)).toBe(code);
        expect(res.body.error.details?.[0]?.path, JSON.stringify(body)).toBe(path);
      }
      expect(await tenantRow(id)).toEqual(before);
    });

    it('accepts the IANA zones a utility outside Shanghai would pick', async () => {
      const id = ids['demo-site-a1']!.id;
      for (const timeZone of ['UTC', 'Asia/Hong_Kong', 'America/New_York', 'Etc/GMT-8']) {
        const res = await t.request('PATCH', `/api/tenants/${id}`, { token: platformToken, body: { settings: { timeZone } } });
        expect(res.status, timeZone).toBe(200);
        expect((await tenantRow(id))!.settings.timeZone).toBe(timeZone);
      }
    });
  });

  describe('deleting tenants', () => {
    const create = async (parentId: number, code: string, kind: 'company' | 'site') => {
      const res = await t.request('POST', '/api/tenants', { token: platformToken, body: { parentId, code, name: code, kind } });
      expect(res.status).toBe(201);
      return res.body as { id: number; path: string };
    };

    it('deletes an empty tenant together with its built-in roles', async () => {
      const empty = await create(ids['demo-county-b']!.id, 'empty-site', 'site');
      expect(await rolesOf(empty.id)).toHaveLength(2);
      const res = await t.request('DELETE', `/api/tenants/${empty.id}`, { token: platformToken });
      expect(res.status).toBe(204);
      expect(await tenantRow(empty.id)).toBeUndefined();
      expect(await rolesOf(empty.id)).toEqual([]);
      expect((await t.request('GET', `/api/tenants/${empty.id}`, { token: platformToken })).status).toBe(404);
      const [audit] = await asSystem(t.database.db, (tx) =>
        tx.select().from(auditLog).where(and(eq(auditLog.entity, 'tenants'), eq(auditLog.entityId, String(empty.id)), eq(auditLog.action, 'delete'))),
      );
      expect(audit).toMatchObject({ actorName: 'admin@shuiyun', before: { code: 'empty-site' }, after: null });
    });

    it('refuses to delete a tenant that has users with 409 still_referenced, deleting nothing', async () => {
      const id = ids['demo-county-b']!.id;
      const rolesBefore = await rolesOf(id);
      const res = await t.request('DELETE', `/api/tenants/${id}`, { token: platformToken });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('still_referenced');
      expect(await tenantRow(id)).toBeDefined();
      expect(await rolesOf(id)).toEqual(rolesBefore);
    });

    it('refuses to delete a tenant that still has a child tenant or records, keeping its roles (no partial delete)', async () => {
      const parent = await create(ids['demo-group']!.id, 'parent-co', 'company');
      const child = await create(parent.id, 'child-site', 'site');
      const withChild = await t.request('DELETE', `/api/tenants/${parent.id}`, { token: platformToken });
      expect(withChild.status).toBe(409);
      expect(withChild.body.error.code).toBe('still_referenced');
      expect(await rolesOf(parent.id)).toHaveLength(2);

      const community = await t.request('POST', '/api/communities', { token: platformToken, body: { tenantId: child.id, code: 'K1', name: '仍有小区' } });
      expect(community.status).toBe(201);
      const withRecords = await t.request('DELETE', `/api/tenants/${child.id}`, { token: platformToken });
      expect(withRecords.status).toBe(409);
      expect(withRecords.body.error.code).toBe('still_referenced');
      expect(await tenantRow(child.id)).toBeDefined();
      expect(await rolesOf(child.id)).toHaveLength(2);
    });

    it('refuses to let a tenant delete itself (409)', async () => {
      const res = await t.request('DELETE', `/api/tenants/${ids.shuiyun!.id}`, { token: platformToken });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('conflict');
      expect(await tenantRow(ids.shuiyun!.id)).toBeDefined();
    });

    it('refuses tenant creation and deletion to a company administrator (403: tenant:create and tenant:delete are not theirs)', async () => {
      const created = await t.request('POST', '/api/tenants', {
        token: countyAToken,
        body: { parentId: ids['demo-county-a']!.id, code: 'demo-site-a2', name: '东湖县城西营业所', kind: 'site' },
      });
      expect(created.status).toBe(403);
      expect(created.body.error.code).toBe('forbidden');
      expect(await tenantByCode('demo-site-a2')).toBeUndefined();

      const empty = await create(ids['demo-county-a']!.id, 'empty-site-a', 'site');
      const deleted = await t.request('DELETE', `/api/tenants/${empty.id}`, { token: countyAToken });
      expect(deleted.status).toBe(403);
      expect(await tenantRow(empty.id)).toBeDefined();

      const me = await t.request('GET', '/api/auth/me', { token: countyAToken });
      expect(me.body.permissions).not.toContain('tenant:create');
      expect(me.body.permissions).not.toContain('tenant:delete');
    });
  });
});
