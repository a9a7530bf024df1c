import { asSystem, auditLog, communities, users } from '@shuiyun/db';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

const BODY_LIMIT = '2kb';

it('the runtime accepts request bodies up to 256kb unless SHUIYUN_BODY_LIMIT says otherwise', () => {
  expect(loadConfig({}).SHUIYUN_BODY_LIMIT).toBe('256kb');
  expect(loadConfig({ SHUIYUN_BODY_LIMIT: BODY_LIMIT }).SHUIYUN_BODY_LIMIT).toBe(BODY_LIMIT);
});

describe.each(drivers)('bad input on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let countyA: number;
  let countyB: number;

  const en = { 'accept-language': 'en' };

  async function countRows(table: typeof users | typeof communities, where: SQL) {
    const [row] = await asSystem(t.database.db, (tx) => tx.select({ n: sql<number>`count(*)::int` }).from(table).where(where));
    return row!.n;
  }

  beforeAll(async () => {
    t = await startTestRuntime(driver, { SHUIYUN_BODY_LIMIT: BODY_LIMIT });
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    countyA = (await t.request('GET', '/api/auth/me', { token: adminA })).body.tenant.id;
    countyB = (await t.request('GET', '/api/auth/me', { token: adminB })).body.tenant.id;
  });
  afterAll(() => t?.close());

  it('malformed JSON is 400 malformed_json, in Chinese by default and in English on request', async () => {
    const zh = await t.request('POST', '/api/communities', { token: adminA, body: '{"code": "M1", "name": ' });
    expect(zh.status).toBe(400);
    expect(zh.body.error).toMatchObject({ code: 'malformed_json', message: '请求体不是合法的 JSON' });
    expect(zh.body.error.requestId).toMatch(/\S{8,}/);
    const english = await t.request('POST', '/api/communities', { token: adminA, body: "{'code': 'M1'}", headers: en });
    expect(english.status).toBe(400);
    expect(english.body.error).toMatchObject({ code: 'malformed_json', message: 'The request body is not valid JSON' });
    // strict JSON: a bare string or null at the top is not a request body either
    const bare = await t.request('POST', '/api/communities', { token: adminA, body: '"M1"' });
    expect(bare.body.error.code).toBe('malformed_json');
    expect(await countRows(communities, eq(communities.code, 'M1'))).toBe(0);
  });

  it('malformed JSON on the public sign-in route is also 400 malformed_json', async () => {
    const res = await t.request('POST', '/api/auth/login', { body: '{"username":' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
  });

  it('wrong types are 400 validation_failed with details naming each field path', async () => {
    const res = await t.request('POST', '/api/communities', { token: adminA, body: { code: 123, name: ['x'], orgUnitId: 'one' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', message: '请求参数不合法' });
    const paths = res.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['body.code', 'body.name', 'body.orgUnitId']);

    const nested = await t.request('PATCH', `/api/tenants/${countyA}`, {
      token: adminA,
      body: { name: 'renamed', settings: { timeZone: 'Mars/Olympus' } },
      headers: en,
    });
    expect(nested.status).toBe(400);
    expect(nested.body.error).toMatchObject({ code: 'validation_failed', message: 'The request is not valid' });
    expect(nested.body.error.details).toEqual([expect.objectContaining({ path: 'body.settings.timeZone' })]);
    expect((await t.request('GET', `/api/tenants/${countyA}`, { token: adminA })).body.name).not.toBe('renamed');

    const array = await t.request('POST', '/api/communities', { token: adminA, body: [] });
    expect(array.status).toBe(400);
    expect(array.body.error.details[0].path).toBe('body');
  });

  it('a missing body on a body route is 400 validation_failed naming the body', async () => {
    const res = await t.request('POST', '/api/communities', { token: adminA });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details[0].path).toBe('body');
  });

  it('bad query values are 400 validation_failed naming the query parameter', async () => {
    for (const [query, path] of [
      ['page=0', 'query.page'],
      ['pageSize=1000', 'query.pageSize'],
      ['page=two', 'query.page'],
      ['status=asleep', 'query.status'],
      ['tenantId=-3', 'query.tenantId'],
    ] as const) {
      const res = await t.request('GET', `/api/users?${query}`, { token: adminA });
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const audit = await t.request('GET', '/api/audit?from=yesterday', { token: adminA });
    expect(audit.status).toBe(400);
    expect(audit.body.error.details[0].path).toBe('query.from');
  });

  it('unknown fields are 400 unknown_field naming the field, and nothing is written', async () => {
    const res = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'U1', name: 'x', colour: 'blue' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'unknown_field', message: '请求包含未知字段' });
    expect(res.body.error.details[0]).toMatchObject({ path: 'body', code: 'unrecognized_keys' });
    expect(res.body.error.details[0].message).toContain('colour');
    const english = await t.request('POST', '/api/users', {
      token: adminA,
      body: { username: 'u.unknown', displayName: 'x', isAdmin: true },
      headers: en,
    });
    expect(english.body.error).toMatchObject({ code: 'unknown_field', message: 'The request contains unknown fields' });
    expect(await countRows(communities, eq(communities.code, 'U1'))).toBe(0);
    expect(await countRows(users, eq(users.username, 'u.unknown'))).toBe(0);
  });

  it('a body over SHUIYUN_BODY_LIMIT is 413 payload_too_large before anything runs; one just under passes', async () => {
    const big = { code: 'BIG1', name: 'x', address: 'x'.repeat(4096) };
    const res = await t.request('POST', '/api/communities', { token: adminA, body: big });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', message: '请求体过大' });
    const english = await t.request('POST', '/api/auth/login', { body: { username: 'x'.repeat(3000), password: 'y' }, headers: en });
    expect(english.status).toBe(413);
    expect(english.body.error.message).toBe('The request body is too large');
    expect(await countRows(communities, eq(communities.code, 'BIG1'))).toBe(0);

    const fits = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'BIG2', name: 'x', address: 'x'.repeat(200) } });
    expect(fits.status).toBe(201);
  });

  it('a body that is not JSON on a body route is 415 unsupported_media_type and writes nothing', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await t.request('POST', '/api/communities', {
        token: adminA,
        body: contentType === 'application/xml' ? '<c code="T1"/>' : 'code=T1&name=x',
        headers: { 'content-type': contentType },
      });
      expect(res.status, contentType).toBe(415);
      expect(res.body.error).toMatchObject({ code: 'unsupported_media_type', message: '请求体必须是 application/json' });
    }
    const charset = await t.request('POST', '/api/communities', {
      token: adminA,
      body: '{"code":"T1","name":"x"}',
      headers: { 'content-type': 'application/json; charset=latin1', ...en },
    });
    expect(charset.status).toBe(415);
    expect(charset.body.error.message).toBe('The request body must be application/json');
    expect(await countRows(communities, eq(communities.code, 'T1'))).toBe(0);
    const withCharset = await t.request('POST', '/api/communities', {
      token: adminA,
      body: '{"code":"T2","name":"x"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(withCharset.status).toBe(201);
  });

  it('a bad path id is 400 validation_failed on params.id and never reaches the database', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999', '1;drop']) {
      const res = await t.request('GET', `/api/users/${id}`, { token: adminA });
      expect(res.status, id).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details[0].path).toBe('params.id');
    }
    const patch = await t.request('PATCH', '/api/communities/abc', { token: adminA, body: { name: 'x' }, headers: en });
    expect(patch.status).toBe(400);
    expect(patch.body.error.message).toBe('The request is not valid');
  });

  it('a text with a NUL character is refused as 400 validation_failed, not a server error', async () => {
    const body = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'NUL1', name: 'a\u0000b' } });
    expect(body.status).toBe(400);
    expect(body.body.error.code).toBe('validation_failed');
    const query = await t.request('GET', '/api/communities?q=%00', { token: adminA });
    expect(query.status).toBe(400);
    expect(query.body.error.code).toBe('validation_failed');
    expect(await countRows(communities, eq(communities.code, 'NUL1'))).toBe(0);
  });

  it('the same community code twice in one tenant is 409 duplicate; in another tenant it is fine', async () => {
    const first = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'DUP1', name: '第一' } });
    expect(first.status).toBe(201);
    const again = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'DUP1', name: '第二' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'duplicate', message: '记录已存在' });
    const english = await t.request('POST', '/api/communities', { token: adminA, body: { code: 'DUP1', name: '第三' }, headers: en });
    expect(english.body.error.message).toBe('A record with the same key already exists');
    const elsewhere = await t.request('POST', '/api/communities', { token: adminB, body: { code: 'DUP1', name: '别处' } });
    expect(elsewhere.status).toBe(201);
    const rows = await asSystem(t.database.db, (tx) =>
      tx.select({ tenantId: communities.tenantId, name: communities.name }).from(communities).where(eq(communities.code, 'DUP1')),
    );
    expect(rows.sort((a, b) => a.tenantId - b.tenantId)).toEqual(
      [
        { tenantId: countyA, name: '第一' },
        { tenantId: countyB, name: '别处' },
      ].sort((a, b) => a.tenantId - b.tenantId),
    );
  });

  it('the same username twice (in any letter case, in any tenant) is 409 duplicate', async () => {
    const body = { username: 'dup.user', displayName: 'Dup', password: TEST_PASSWORD };
    expect((await t.request('POST', '/api/users', { token: adminA, body })).status).toBe(201);
    const same = await t.request('POST', '/api/users', { token: adminA, body });
    expect(same.status).toBe(409);
    expect(same.body.error.code).toBe('duplicate');
    const otherCase = await t.request('POST', '/api/users', { token: adminB, body: { ...body, username: 'Dup.User' }, headers: en });
    expect(otherCase.status).toBe(409);
    expect(otherCase.body.error.message).toBe('A record with the same key already exists');
    expect(await countRows(users, sql`lower(${users.username}) = 'dup.user'`)).toBe(1);
  });

  it('two identical user creations at once: exactly one 201 and one 409, exactly one row', async () => {
    const body = { username: 'twice.at.once', displayName: 'Twice', password: TEST_PASSWORD };
    const results = await Promise.all([
      t.request('POST', '/api/users', { token: adminA, body }),
      t.request('POST', '/api/users', { token: adminA, body }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('duplicate');
    const listed = await t.request('GET', '/api/users?q=twice.at.once', { token: adminA });
    expect(listed.body.total).toBe(1);
    expect(await countRows(users, eq(users.username, 'twice.at.once'))).toBe(1);
    const created = results.find((r) => r.status === 201)!.body;
    const inserts = await asSystem(t.database.db, (tx) =>
      tx.select().from(auditLog).where(and(eq(auditLog.entity, 'users'), eq(auditLog.action, 'insert'), eq(auditLog.entityId, String(created.id)))),
    );
    expect(inserts).toHaveLength(1);
  });

  it('two identical community creations at once: exactly one 201 and one 409, exactly one row', async () => {
    const body = { code: 'RACE1', name: '并发小区' };
    const results = await Promise.all([
      t.request('POST', '/api/communities', { token: adminA, body }),
      t.request('POST', '/api/communities', { token: adminA, body }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await countRows(communities, eq(communities.code, 'RACE1'))).toBe(1);
  });

  it('a user creation with a bad role id fails as a whole: no user row, no role row, no audit entry', async () => {
    const roleOfB = (await t.request('GET', `/api/roles?tenantId=${countyB}`, { token: adminB })).body.items[0].id as number;
    const viewerOfA = (await t.request('GET', `/api/roles?tenantId=${countyA}&q=viewer`, { token: adminA })).body.items[0].id as number;
    for (const [username, roleIds] of [
      ['half.written.1', [999_999]],
      ['half.written.2', [viewerOfA, roleOfB]],
    ] as const) {
      const res = await t.request('POST', '/api/users', {
        token: adminA,
        body: { username, displayName: 'x', password: TEST_PASSWORD, roleIds },
      });
      expect(res.status, username).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_reference', message: '引用的记录不存在' });
      expect(res.body.error.details[0].path).toBe('body.roleIds');
      expect(await countRows(users, eq(users.username, username))).toBe(0);
      expect((await t.request('GET', `/api/users?q=${username}`, { token: adminA })).body.total).toBe(0);
    }
    const audit = await asSystem(t.database.db, (tx) =>
      tx.select().from(auditLog).where(sql`${auditLog.after} ->> 'username' like 'half.written.%'`),
    );
    expect(audit).toEqual([]);
  });

  it('a building under a community of another tenant is refused, and nothing is written', async () => {
    const ofB = (await t.request('GET', '/api/communities', { token: adminB })).body.items[0];
    const res = await t.request('POST', '/api/buildings', { token: adminA, body: { communityId: ofB.id, code: 'XB1', name: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_reference');
    expect(res.body.error.details[0].path).toBe('body.communityId');
    const buildings = await t.request('GET', `/api/buildings?communityId=${ofB.id}&q=XB1`, { token: adminB });
    expect(buildings.body.total).toBe(0);
  });

  it('an unknown /api path or method is 404 route_not_found, signed in or not', async () => {
    for (const [method, path, token] of [
      ['GET', '/api/no-such-thing', undefined],
      ['GET', '/api/no-such-thing', adminA],
      ['POST', '/api/communities/1/archive', adminA],
      ['PUT', '/api/communities/1', adminA],
      ['DELETE', '/api/auth/me', adminA],
    ] as const) {
      const res = await t.request(method, path, { token });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'route_not_found', message: '接口不存在' });
    }
    const english = await t.request('GET', '/api/nope', { headers: en });
    expect(english.body.error.message).toBe('No such endpoint');
  });

  it('an unexpected failure is 500 internal with a request id and without stack, SQL or table names', async () => {
    await t.database.db.execute(sql`alter table identity_providers rename to identity_providers_gone`);
    try {
      const res = await t.request('GET', '/api/identity-providers', { token: adminA, headers: { 'x-request-id': 'req-internal-0001' } });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: { code: 'internal', message: '服务器内部错误', requestId: 'req-internal-0001' } });
      expect(res.headers.get('x-request-id')).toBe('req-internal-0001');
      const english = await t.request('GET', '/api/identity-providers', { token: adminA, headers: en });
      expect(english.status).toBe(500);
      expect(english.body.error.message).toBe('Internal server error');
      const text = JSON.stringify(english.body);
      for (const leak of ['identity_providers', 'select', 'relation', ' at ', '.ts', 'stack']) expect(text).not.toContain(leak);
    } finally {
      await t.database.db.execute(sql`alter table identity_providers_gone rename to identity_providers`);
    }
    expect((await t.request('GET', '/api/identity-providers', { token: adminA })).status).toBe(200);
  });
});
