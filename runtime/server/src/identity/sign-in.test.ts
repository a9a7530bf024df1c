import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

describe.each(drivers)('signing in on %s', (driver) => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime(driver, { SHUIYUN_LOCKOUT_THRESHOLD: '3' });
  });
  afterAll(() => t?.close());

  it('returns an access token and a refresh token for the seeded admin, and the token opens /api/auth/me', async () => {
    const res = await t.request('POST', '/api/auth/login', { body: { username: 'admin@demo-county-a', password: TEST_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.tokenType).toBe('Bearer');
    const me = await t.request('GET', '/api/auth/me', { token: res.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('admin@demo-county-a');
    expect(me.body.permissions).toContain('user:create');
  });

  it('answers a wrong password with 401 invalid_credentials in the requested language', async () => {
    const res = await t.request('POST', '/api/auth/login', {
      body: { username: 'admin@demo-county-b', password: 'wrong-password-1' },
      headers: { 'accept-language': 'en-US,en;q=0.9' },
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'invalid_credentials', message: 'Wrong username or password' });
  });

  it('locks the account after repeated failures, even for the right password, and audits the lock', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await t.request('POST', '/api/auth/login', { body: { username: 'admin@demo-site-b1', password: 'nope-nope-1' } });
      expect(res.status).toBe(401);
    }
    const third = await t.request('POST', '/api/auth/login', { body: { username: 'admin@demo-site-b1', password: 'nope-nope-1' } });
    expect(third.status).toBe(423);
    const right = await t.request('POST', '/api/auth/login', { body: { username: 'admin@demo-site-b1', password: TEST_PASSWORD } });
    expect(right.status).toBe(423);
    expect(right.body.error.code).toBe('account_locked');
    const token = await t.login('admin@demo-county-b');
    const audit = await t.request('GET', '/api/audit?action=lock', { token });
    expect(audit.body.items.map((a: { actorName: string }) => a.actorName)).toContain('admin@demo-site-b1');
  });

  it('rotates refresh tokens and revokes the session when a used refresh token comes back', async () => {
    const first = await t.request('POST', '/api/auth/login', { body: { username: 'admin@demo-group', password: TEST_PASSWORD } });
    const second = await t.request('POST', '/api/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
    const replay = await t.request('POST', '/api/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
    expect(replay.status).toBe(401);
    const afterTheft = await t.request('POST', '/api/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
    expect(afterTheft.status).toBe(401);
  });

  it('logout ends the session: the access token and the refresh token stop working', async () => {
    const login = await t.request('POST', '/api/auth/login', { body: { username: 'admin@demo-county-a', password: TEST_PASSWORD } });
    expect((await t.request('POST', '/api/auth/logout', { token: login.body.accessToken })).status).toBe(204);
    expect((await t.request('GET', '/api/auth/me', { token: login.body.accessToken })).status).toBe(401);
    expect((await t.request('POST', '/api/auth/refresh', { body: { refreshToken: login.body.refreshToken } })).status).toBe(401);
  });

  it('changes a password: the old one stops working, the new one signs in, a weak one is refused', async () => {
    const token = await t.login('admin@demo-site-a1');
    const weak = await t.request('POST', '/api/auth/password', { token, body: { currentPassword: TEST_PASSWORD, newPassword: 'short' } });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('weak_password');
    const wrong = await t.request('POST', '/api/auth/password', { token, body: { currentPassword: 'not-it-123', newPassword: 'Another-passw0rd' } });
    expect(wrong.body.error.code).toBe('wrong_password');
    const ok = await t.request('POST', '/api/auth/password', { token, body: { currentPassword: TEST_PASSWORD, newPassword: 'Another-passw0rd' } });
    expect(ok.status).toBe(204);
    expect((await t.request('POST', '/api/auth/login', { body: { username: 'admin@demo-site-a1', password: TEST_PASSWORD } })).status).toBe(401);
    expect(await t.login('admin@demo-site-a1', 'Another-passw0rd')).toBeTypeOf('string');
  });
});
