import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

describe.each(drivers)('rate limits on %s', (driver) => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime(driver, { SHUIYUN_LOGIN_RATE_LIMIT: '4', SHUIYUN_TENANT_RATE_LIMIT: '6' });
  });
  afterAll(() => t?.close());

  it('limits sign-in attempts per client address: the fifth in a minute is 429 rate_limited, even with the right password', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await t.request('POST', '/api/auth/login', { body: { username: 'nobody-here', password: 'wrong-passw0rd' } })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401]);
    const blocked = await t.request('POST', '/api/auth/login', {
      body: { username: 'admin@demo-county-a', password: TEST_PASSWORD },
      headers: { 'accept-language': 'en' },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toMatchObject({ code: 'rate_limited', message: 'Too many requests; try again later' });
    expect(blocked.headers.get('ratelimit-policy')).toContain('4');
    // Single sign-on starts share the sign-in budget.
    const sso = await t.request('GET', '/api/auth/oidc/some-provider/login');
    expect(sso.status).toBe(429);
  });

  it('limits API requests per tenant: one tenant at its limit does not slow another', async () => {
    // Tokens come from the runtime directly: the sign-in budget is spent by the test above.
    const tokenOf = async (username: string) => {
      const res = await t.runtime.signIn.withPassword(username, TEST_PASSWORD, {});
      return res.accessToken;
    };
    const a = await tokenOf('admin@demo-county-a');
    const b = await tokenOf('admin@demo-county-b');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.request('GET', '/api/communities', { token: a })).status);
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses[6]).toBe(429);
    expect((await t.request('GET', '/api/communities', { token: b })).status).toBe(200);
  });
});
