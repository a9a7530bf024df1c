import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asSystem, oidcLoginStates } from '@shuiyun/db';
import { sql } from 'drizzle-orm';
import Provider from 'oidc-provider';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../app.js';
import { loadConfig } from '../config/config.js';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';

/** What the test identity provider knows about a person; the key of the map is the login and the subject. */
interface IdpAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

const accounts: Record<string, IdpAccount> = {
  alice: { email: 'alice@river.example', email_verified: true, name: '李爱丽', preferred_username: 'alice.river' },
  // Asks for a username the demo seed already gave to an admin.
  bob: { email: 'bob@river.example', email_verified: false, name: 'Bob', preferred_username: 'admin@demo-county-b' },
  dave: { email: 'dave@river.example', email_verified: true, name: 'Dave', preferred_username: 'dave.river' },
  erin: { email: 'erin@river.example', email_verified: true, name: 'Erin', preferred_username: 'erin.river' },
  grace: { email: 'grace@river.example', email_verified: true, name: 'Grace', preferred_username: 'grace.river' },
  frank: { email: 'frank@river.example', email_verified: true, name: 'Frank', preferred_username: 'frank.river' },
  stranger: { email: 'stranger@lake.example', email_verified: true, name: 'Stranger' },
  // Claims Carol's address without the IdP having verified it.
  mallory: { email: 'carol@lake.example', email_verified: false, name: 'Mallory', preferred_username: 'mallory' },
  carol: { email: 'Carol@Lake.example', email_verified: true, name: 'Carol', preferred_username: 'carol.lake' },
};

const CLIENT_ID = 'shuiyun-runtime';
const CLIENT_SECRET = 'idp-client-secret-for-tests-0123456789';

/** A real OpenID provider (oidc-provider, with its development login and consent pages) on an ephemeral port. */
async function startIdentityProvider(redirectUris: string[]): Promise<{ issuer: string; close: () => Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: redirectUris, response_types: ['code'], grant_types: ['authorization_code'] }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
    features: { devInteractions: { enabled: true } },
    jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    findAccount: (_ctx, id) => {
      const account = accounts[id];
      return account ? { accountId: id, claims: () => ({ sub: id, ...account }) } : undefined;
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface StoredCookie {
  host: string;
  path: string;
  value: string;
}

/** Just enough of a browser: a cookie jar (host and path scoped) and redirects followed by hand. */
class Browser {
  private readonly cookies = new Map<string, StoredCookie>();

  async fetch(url: URL | string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = [...this.cookies.entries()]
      .filter(([, c]) => c.host === target.host && target.pathname.startsWith(c.path))
      .map(([key, c]) => `${key.split('|')[2]}=${c.value}`)
      .join('; ');
    const headers: Record<string, string> = {};
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(target, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=').slice(1).join('=')]));
      const path = attr.get('path') || '/';
      const key = `${target.host}|${path}|${name}`;
      const expires = attr.get('expires');
      const gone = attr.get('max-age') === '0' || (expires !== undefined && new Date(expires).getTime() < Date.now());
      if (gone || !value) this.cookies.delete(key);
      else this.cookies.set(key, { host: target.host, path, value });
    }
    return res;
  }
}

const decodeHtml = (s: string) => s.replace(/&amp;/g, '&').replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=');

/**
 * Drives the browser part of a login: the runtime's /login, the provider's authorisation endpoint and its
 * login and consent forms (or its Cancel link), until the provider sends the browser back to the runtime.
 * Answers that callback URL without opening it, so a test can deliver, replay or tamper with it.
 */
async function throughIdentityProvider(
  t: TestRuntime,
  providerCode: string,
  login: string,
  options: { returnTo?: string; cancel?: boolean } = {},
): Promise<string> {
  const browser = new Browser();
  const query = options.returnTo ? `?returnTo=${encodeURIComponent(options.returnTo)}` : '';
  const start = await browser.fetch(`${t.baseUrl}/api/auth/oidc/${providerCode}/login${query}`);
  expect(start.status).toBe(302);
  let url = new URL(start.headers.get('location')!);
  for (let step = 0; step < 20; step++) {
    if (url.origin === t.baseUrl) return url.href;
    const res = await browser.fetch(url);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`identity provider answered ${res.status} at ${url.href}: ${html.slice(0, 500)}`);
    const action = decodeHtml(/<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '');
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form at ${url.href}`);
    if (options.cancel) {
      const abort = decodeHtml(/href="([^"]*\/abort)"/.exec(html)?.[1] ?? '');
      url = new URL(abort, url);
      continue;
    }
    const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any password' } : { prompt };
    const submitted = await browser.fetch(new URL(action, url), { method: 'POST', form });
    expect(submitted.status).toBeGreaterThanOrEqual(300);
    url = new URL(submitted.headers.get('location')!, url);
  }
  throw new Error('the login did not come back to the runtime');
}

/** Opens a callback URL the way the browser would: no redirect following, the answer as it is. */
async function deliver(callbackUrl: string): Promise<{ status: number; location: string | null; body: any }> {
  const res = await fetch(callbackUrl, { redirect: 'manual' });
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, location: res.headers.get('location'), body: json ? JSON.parse(text) : text };
}

describe.each(drivers)('OpenID Connect single sign-on on %s', (driver) => {
  let t: TestRuntime;
  let idp: { issuer: string; close: () => Promise<void> };
  let admin: string;
  let tenantId: number;
  let readerRoleId: number;
  const providerIds: Record<string, number> = {};

  const usersNamed = async (q: string) => {
    const res = await t.request('GET', `/api/users?q=${encodeURIComponent(q)}&pageSize=200`, { token: admin });
    expect(res.status).toBe(200);
    return res.body.items as { id: number; username: string; displayName: string; email: string | null; hasPassword: boolean }[];
  };
  const userCount = async () => (await t.request('GET', '/api/users?pageSize=1', { token: admin })).body.total as number;

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    const codes = ['river-sso', 'lake-sso', 'creek-sso'];
    idp = await startIdentityProvider(codes.map((code) => `${t.baseUrl}/api/auth/oidc/${code}/callback`));
    admin = await t.login('admin@demo-county-a');
    tenantId = (await t.request('GET', '/api/auth/me', { token: admin })).body.tenant.id;
    const role = await t.request('POST', '/api/roles', {
      token: admin,
      body: { code: 'sso-reader', name: '抄表员', permissions: ['community:read', 'building:read'] },
    });
    expect(role.status).toBe(201);
    readerRoleId = role.body.id;
    const common = { issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
    for (const body of [
      { code: 'river-sso', name: '河务统一认证', autoProvision: true, defaultRoleId: readerRoleId, ...common },
      { code: 'lake-sso', name: '湖区统一认证', ...common },
      { code: 'creek-sso', name: '溪流统一认证 (停用)', enabled: false, ...common },
    ]) {
      const created = await t.request('POST', '/api/identity-providers', { token: admin, body });
      expect(created.status).toBe(201);
      providerIds[body.code] = created.body.id;
    }
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  it('declares the three routes as public in the OpenAPI document', async () => {
    const docs = await t.request('GET', '/api/docs');
    expect(docs.status).toBe(200);
    for (const path of ['/api/auth/oidc/providers', '/api/auth/oidc/{code}/login', '/api/auth/oidc/{code}/callback']) {
      expect(docs.body.paths[path]?.get?.['x-permission'], path).toBe('public');
    }
  });

  it('lists the enabled providers for a sign-in page, with nothing but code and name', async () => {
    const res = await t.request('GET', '/api/auth/oidc/providers');
    expect(res.status).toBe(200);
    const byCode = [...(res.body as { code: string }[])].sort((a, b) => a.code.localeCompare(b.code));
    expect(byCode).toEqual([
      { code: 'lake-sso', name: '湖区统一认证' },
      { code: 'river-sso', name: '河务统一认证' },
    ]);
  });

  it('auto-provisions a user on the first login, returns to the app with tokens, and reuses that user on the next login', async () => {
    const before = await userCount();
    const callback = await throughIdentityProvider(t, 'river-sso', 'alice', { returnTo: '/app/meters?tab=new' });
    const first = await deliver(callback);
    expect(first.status).toBe(302);
    expect(first.location).toMatch(/^\/app\/meters\?tab=new#/);
    expect(first.body).toBe('');
    const fragment = new URLSearchParams(first.location!.split('#')[1]);
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(Number(fragment.get('expires_in'))).toBeGreaterThan(0);

    const me = await t.request('GET', '/api/auth/me', { token: fragment.get('access_token')! });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ username: 'alice.river', displayName: '李爱丽', email: 'alice@river.example', hasPassword: false });
    expect(me.body.tenant.id).toBe(tenantId);
    // The provider's default role took effect at once: its permissions, and nothing of an admin's.
    expect(me.body.permissions).toEqual(expect.arrayContaining(['community:read', 'building:read']));
    expect(me.body.permissions).not.toContain('user:create');
    const refreshed = await t.request('POST', '/api/auth/refresh', { body: { refreshToken: fragment.get('refresh_token') } });
    expect(refreshed.status).toBe(200);

    // A callback is good once: replaying it (its state is spent) signs nobody in.
    const replay = await deliver(callback);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('sso_failed');

    // Second login, without returnTo: JSON tokens for the same user, and still exactly one such user.
    const second = await deliver(await throughIdentityProvider(t, 'river-sso', 'alice'));
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ tokenType: 'Bearer', user: { id: me.body.user.id, username: 'alice.river', tenantId } });
    expect(await usersNamed('alice.river')).toHaveLength(1);
    expect(await userCount()).toBe(before + 1);
  });

  it('gives a provisioned user a unique username when the one the IdP suggests is taken, and keeps an unverified email off the record', async () => {
    const res = await deliver(await throughIdentityProvider(t, 'river-sso', 'bob'));
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe('admin@demo-county-b-2');
    const [bob] = await usersNamed('admin@demo-county-b-2');
    expect(bob).toMatchObject({ displayName: 'Bob', email: null });
    // The seeded admin who owned the name (in another tenant) is untouched and still signs in.
    expect(await t.login('admin@demo-county-b')).toBeTypeOf('string');
  });

  it('two first logins of one person at the same moment make one user; one callback delivered twice at once signs in once', async () => {
    const before = await userCount();
    const [a, b] = await Promise.all([throughIdentityProvider(t, 'river-sso', 'frank'), throughIdentityProvider(t, 'river-sso', 'frank')]);
    const both = await Promise.all([deliver(a!), deliver(b!)]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both[0]!.body.user.id).toBe(both[1]!.body.user.id);
    expect((await usersNamed('frank.river')).map((u) => u.username)).toEqual(['frank.river']);
    expect(await userCount()).toBe(before + 1);

    const callback = await throughIdentityProvider(t, 'river-sso', 'frank');
    const twice = await Promise.all([deliver(callback), deliver(callback)]);
    expect(twice.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('refuses an unknown subject with 403 sso_not_linked when the provider does not provision, and creates nobody', async () => {
    const before = await userCount();
    const res = await deliver(await throughIdentityProvider(t, 'lake-sso', 'stranger'));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('sso_not_linked');
    expect(await userCount()).toBe(before);
  });

  it('links by email only when the IdP verified it, and a disabled user is refused with 403 account_disabled', async () => {
    const created = await t.request('POST', '/api/users', {
      token: admin,
      body: { username: 'carol', displayName: '卡罗尔', email: 'carol@lake.example' },
    });
    expect(created.status).toBe(201);

    const unverified = await deliver(await throughIdentityProvider(t, 'lake-sso', 'mallory'));
    expect(unverified.status).toBe(403);
    expect(unverified.body.error.code).toBe('sso_not_linked');

    const verified = await deliver(await throughIdentityProvider(t, 'lake-sso', 'carol'));
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ id: created.body.id, username: 'carol' });
    const me = await t.request('GET', '/api/auth/me', { token: verified.body.accessToken });
    expect(me.body.user.username).toBe('carol');

    expect((await t.request('PATCH', `/api/users/${created.body.id}`, { token: admin, body: { status: 'disabled' } })).status).toBe(200);
    const disabled = await deliver(await throughIdentityProvider(t, 'lake-sso', 'carol'));
    expect(disabled.status).toBe(403);
    expect(disabled.body.error.code).toBe('account_disabled');
  });

  it('refuses a tampered or unknown state with 401 and creates nobody; the untouched callback still works', async () => {
    const before = await userCount();
    const callback = new URL(await throughIdentityProvider(t, 'river-sso', 'dave'));
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')}x`);
    const res = await deliver(tampered.href);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('sso_failed');
    const missing = new URL(callback);
    missing.searchParams.delete('state');
    expect((await deliver(missing.href)).status).toBe(400);
    expect(await usersNamed('dave.river')).toHaveLength(0);
    expect(await userCount()).toBe(before);

    // The genuine callback was not spent by the forgery.
    const genuine = await deliver(callback.href);
    expect(genuine.status).toBe(200);
    expect(genuine.body.user.username).toBe('dave.river');
  });

  it('answers 401 sso_failed when the user cancels at the IdP (error=access_denied), and creates nobody', async () => {
    const before = await userCount();
    const callback = await throughIdentityProvider(t, 'river-sso', 'erin', { cancel: true });
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const res = await deliver(callback);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'sso_failed', details: [expect.objectContaining({ code: 'access_denied' })] });
    expect(await usersNamed('erin.river')).toHaveLength(0);
    expect(await userCount()).toBe(before);
  });

  it('refuses a login that took longer than 10 minutes with 401 sso_failed, and creates nobody', async () => {
    const callback = await throughIdentityProvider(t, 'river-sso', 'grace');
    // The clock cannot be moved under the runtime, so the pending login is made old instead.
    await asSystem(t.database.db, (tx) => tx.update(oidcLoginStates).set({ createdAt: sql`now() - interval '11 minutes'` }));
    const res = await deliver(callback);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('sso_failed');
    expect(await usersNamed('grace.river')).toHaveLength(0);
  });

  it('answers 502 sso_failed when the identity provider cannot be reached', async () => {
    const created = await t.request('POST', '/api/identity-providers', {
      token: admin,
      body: { code: 'dead-sso', name: '不可达', issuer: 'http://127.0.0.1:1', clientId: CLIENT_ID },
    });
    expect(created.status).toBe(201);
    try {
      const res = await t.request('GET', '/api/auth/oidc/dead-sso/login');
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('sso_failed');
    } finally {
      expect((await t.request('DELETE', `/api/identity-providers/${created.body.id}`, { token: admin })).status).toBe(204);
    }
  });

  it('answers 404 for a disabled or unknown provider', async () => {
    const disabled = await t.request('GET', '/api/auth/oidc/creek-sso/login');
    expect(disabled.status).toBe(404);
    expect(disabled.body.error.code).toBe('not_found');
    expect((await t.request('GET', '/api/auth/oidc/no-such-sso/login')).status).toBe(404);
    expect((await t.request('GET', '/api/auth/oidc/creek-sso/callback?code=x&state=y')).status).toBe(404);
  });

  it('refuses a returnTo that leaves the site with 400 validation_failed', async () => {
    for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'app', '/a#b']) {
      const res = await t.request('GET', `/api/auth/oidc/river-sso/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect(res.status, returnTo).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('sends PKCE and builds the redirect URI from SHUIYUN_PUBLIC_URL, else from the (proxied) request', async () => {
    const proxied = await fetch(`${t.baseUrl}/api/auth/oidc/river-sso/login`, {
      redirect: 'manual',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'water.example' },
    });
    expect(proxied.status).toBe(302);
    const authorize = new URL(proxied.headers.get('location')!);
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://water.example/api/auth/oidc/river-sso/callback');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('client_id')).toBe(CLIENT_ID);

    // A second runtime over the same database, configured with a public URL.
    const configured = await createRuntime({
      database: t.database,
      config: loadConfig({ LOG_LEVEL: 'silent', SHUIYUN_PUBLIC_URL: 'https://shuiyun.example/' }),
      logger: pino({ level: 'silent' }),
    });
    const server: Server = await new Promise((resolve) => {
      const s = configured.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/auth/oidc/river-sso/login`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get('location')!).searchParams.get('redirect_uri')).toBe('https://shuiyun.example/api/auth/oidc/river-sso/callback');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
