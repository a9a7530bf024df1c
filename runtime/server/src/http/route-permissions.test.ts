import { randomBytes } from 'node:crypto';
import { asSystem, communities, systemSecrets } from '@shuiyun/db';
import { mountRoutes } from '@shuiyun/http';
import { eq, sql } from 'drizzle-orm';
import express from 'express';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPermissions, viewerPermissions } from '../permissions/catalogue.js';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';
import type { RequestContext } from './context.js';
import { route, type RuntimeRoute } from './route.js';

/**
 * The routes anyone may call without signing in. Adding one is a deliberate act: it must be
 * listed here, next to the reason it is public.
 */
const PUBLIC_ROUTES = [
  'GET /healthz', // liveness probe
  'GET /readyz', // readiness probe
  'GET /metrics', // Prometheus scrape
  'POST /api/auth/login', // signing in
  'POST /api/auth/refresh', // exchanging a refresh token (the token is the credential)
  'GET /api/auth/oidc/providers', // the single-sign-on buttons of the sign-in page
  'GET /api/auth/oidc/:code/login', // starting single sign-on (redirect to the provider)
  'GET /api/auth/oidc/:code/callback', // finishing single sign-on (the provider's code is the credential)
  'GET /api/docs', // the OpenAPI document
  // NB-IoT platforms pushing device traffic: the endpoint's unguessable URL code is the credential, with
  // the OneNET signature over every push, or for CTWing (which signs nothing) the endpoint's token header.
  'POST /api/push/ctwing/:code',
  'GET /api/push/onenet/:code', // OneNET's URL verification (answers msg only under a valid signature)
  'POST /api/push/onenet/:code',
].sort();

interface ServedRoute {
  method: string;
  path: string;
}

/**
 * Every route Express actually serves, found by walking the router stack (Express 5: `app.router`),
 * into nested routers, so a route registered on Express directly is seen as well.
 */
function expressRoutes(stack: readonly any[], prefix = ''): ServedRoute[] {
  const found: ServedRoute[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths: unknown[] = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const [method, on] of Object.entries(layer.route.methods as Record<string, boolean>)) {
        if (on) for (const path of paths) found.push({ method: method.toUpperCase(), path: prefix + String(path) });
      }
    } else if (Array.isArray(layer.handle?.stack)) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      found.push(...expressRoutes(layer.handle.stack, prefix + mount));
    }
  }
  return found;
}

const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

/**
 * The browser apps' files and client-side routes (`serveWebApps`): static assets and index.html, no data
 * and no token, so they are not API routes of the registry.
 */
const WEB_ROUTES = ['GET /', 'GET /designer/{*rest}', 'GET /app/{*rest}'];

/** Routes served by Express that the registry does not know, and registry routes Express does not serve. */
function compare(app: express.Express, registry: readonly RuntimeRoute[], web: readonly string[] = []) {
  const served = expressRoutes((app as any).router.stack)
    .map(key)
    .filter((r) => !web.includes(r));
  const declared = registry.map(key);
  return {
    served,
    undeclared: served.filter((r) => !declared.includes(r)),
    unserved: declared.filter((r) => !served.includes(r)),
  };
}

function isValidPermission(permission: string): boolean {
  return permission === 'public' || permission === 'authenticated' || allPermissions.includes(permission);
}

/** A concrete URL for a route pattern: every `:param` becomes 1. */
const concrete = (path: string) => path.replace(/:[A-Za-z0-9_]+/g, '1');

describe('the route checks themselves', () => {
  const registered = [
    route({ method: 'get', path: '/api/things', permission: 'community:read', summary: 'x', tags: [], handler: () => [] }),
  ];
  const mount = () =>
    mountRoutes<RequestContext>(registered, { guard: () => [], context: () => ({}) as RequestContext });

  it('find a route registered on Express directly, at the top level or in a mounted router', () => {
    const app = express();
    app.use(mount());
    expect(compare(app, registered)).toMatchObject({ undeclared: [], unserved: [] });

    app.post('/api/sneaky', (_req, res) => void res.end());
    const nested = express.Router();
    nested.delete('/:id', (_req, res) => void res.end());
    app.use('/api/hidden', nested);
    expect(compare(app, registered).undeclared).toEqual(['POST /api/sneaky', 'DELETE /api/hidden/:id']);
  });

  it('reject permissions outside the catalogue', () => {
    expect(isValidPermission('community:read')).toBe(true);
    expect(isValidPermission('authenticated')).toBe(true);
    expect(isValidPermission('community:*')).toBe(false);
    expect(isValidPermission('meter:read')).toBe(false);
    expect(isValidPermission('')).toBe(false);
  });
});

describe.each(drivers)('route permissions on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let countyA: number;
  let viewer: { id: number; token: string };
  let roleless: { id: number; token: string };

  async function createUser(username: string, roleIds: number[]) {
    const res = await t.request('POST', '/api/users', {
      token: adminA,
      body: { username, displayName: username, password: TEST_PASSWORD, roleIds },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.id as number, token: await t.login(username) };
  }

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    const me = await t.request('GET', '/api/auth/me', { token: adminA });
    countyA = me.body.tenant.id;
    const roles = await t.request('GET', `/api/roles?tenantId=${countyA}`, { token: adminA });
    const viewerRole = roles.body.items.find((r: { code: string }) => r.code === 'viewer');
    viewer = await createUser('viewer.a', [viewerRole.id]);
    roleless = await createUser('nobody.a', []);
  });
  afterAll(() => t?.close());

  it('every registered route declares public, authenticated or a catalogued resource:action, once per method and path', () => {
    expect(t.runtime.routes.length).toBeGreaterThan(40);
    const invalid = t.runtime.routes.filter((r) => typeof r.permission !== 'string' || !isValidPermission(r.permission)).map(key);
    expect(invalid).toEqual([]);
    const keys = t.runtime.routes.map(key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('every route Express serves is a registered route, and every registered route is served', () => {
    const web = expressRoutes((t.runtime.app as any).router.stack)
      .map(key)
      .filter((r) => !r.startsWith('GET /api') && t.runtime.routes.every((route) => key(route) !== r));
    expect(web.sort()).toEqual([...WEB_ROUTES].sort());
    const { served, undeclared, unserved } = compare(t.runtime.app, t.runtime.routes, WEB_ROUTES);
    expect(served.length).toBe(t.runtime.routes.length);
    expect(undeclared).toEqual([]);
    expect(unserved).toEqual([]);
  });

  it('public routes are exactly the allow-list', () => {
    const pub = t.runtime.routes.filter((r) => r.permission === 'public').map(key).sort();
    expect(pub).toEqual(PUBLIC_ROUTES);
  });

  it('/api/docs lists every registered route with its x-permission, and marks all but public ones as needing a token', async () => {
    const res = await t.request('GET', '/api/docs');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented: string[] = [];
    for (const [path, operations] of Object.entries(res.body.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(operations)) {
        const expressPath = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
        const registered = t.runtime.routes.find((r) => r.method === method && r.path === expressPath);
        expect(registered, `${method} ${path} is documented but not registered`).toBeDefined();
        expect(op['x-permission']).toBe(registered!.permission);
        if (registered!.permission === 'public') expect(op.security).toBeUndefined();
        else expect(op.security).toEqual([{ bearer: [] }]);
        documented.push(key({ method, path: expressPath }));
      }
    }
    expect(documented.sort()).toEqual(t.runtime.routes.map(key).sort());
  });

  it('every non-public route answers 401 unauthenticated without a token, in Chinese by default', async () => {
    const guarded = t.runtime.routes.filter((r) => r.permission !== 'public');
    for (const r of guarded) {
      const res = await t.request(r.method.toUpperCase(), concrete(r.path));
      expect(res.status, key(r)).toBe(401);
      expect(res.body.error, key(r)).toMatchObject({ code: 'unauthenticated', message: '请先登录' });
    }
  });

  it('public routes answer without a token', async () => {
    for (const path of ['/healthz', '/readyz', '/api/docs']) expect((await t.request('GET', path)).status, path).toBe(200);
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toContain('shuiyun_http_request_duration_seconds');
  });

  it('a garbage token, a token signed with another key, an unsigned token and a non-Bearer scheme all get 401', async () => {
    const foreignKey = randomBytes(32);
    const forged = await new SignJWT({ name: 'admin@demo-county-a', ten: countyA, tp: 'x', sid: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setIssuer('shuiyun')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(foreignKey);
    const [header, payload] = adminA.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ sub: '1', ten: 1, tp: '1', iss: 'shuiyun', sid: 'x', exp: 9999999999 })).toString('base64url')}.${adminA.split('.')[2]}`;
    for (const token of ['garbage', 'a.b.c', forged, unsigned, tampered]) {
      const res = await t.request('GET', '/api/communities', { token, headers: { 'accept-language': 'en' } });
      expect(res.status, token).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'unauthenticated', message: 'Sign in first' });
    }
    const basic = await t.request('GET', '/api/communities', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(basic.status).toBe(401);
  });

  it('a correctly signed but expired token gets 401 token_expired', async () => {
    const [secret] = await asSystem(t.database.db, (tx) => tx.select().from(systemSecrets).where(eq(systemSecrets.name, 'access-token-key')));
    const expired = await new SignJWT({ name: 'admin@demo-county-a', ten: countyA, tp: 'x', org: null, sid: 'expired-session' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(viewer.id))
      .setIssuer('shuiyun')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(Buffer.from(secret!.value, 'base64'));
    const res = await t.request('GET', '/api/communities', { token: expired });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it('a viewer of demo-county-a can read but gets 403 forbidden on every write, role assignment and the audit trail', async () => {
    const ok = await t.request('GET', '/api/communities', { token: viewer.token });
    expect(ok.status).toBe(200);
    expect(ok.body.total).toBeGreaterThan(0);
    const someCommunity = ok.body.items[0];

    const writes: [string, string, unknown][] = [
      ['POST', '/api/tenants', { parentId: countyA, code: 'viewer-site', name: 'x', kind: 'site' }],
      ['PATCH', `/api/tenants/${countyA}`, { name: 'renamed' }],
      ['DELETE', `/api/tenants/${countyA}`, undefined],
      ['POST', '/api/org-units', { code: 'viewer-ou', name: 'x' }],
      ['POST', '/api/communities', { code: 'VIEWER1', name: 'x' }],
      ['PATCH', `/api/communities/${someCommunity.id}`, { name: 'renamed' }],
      ['DELETE', `/api/communities/${someCommunity.id}`, undefined],
      ['POST', '/api/buildings', { communityId: someCommunity.id, code: 'VB1', name: 'x' }],
      ['POST', '/api/users', { username: 'made.by.viewer', displayName: 'x' }],
      ['PATCH', `/api/users/${roleless.id}`, { displayName: 'renamed' }],
      ['DELETE', `/api/users/${roleless.id}`, undefined],
      ['POST', `/api/users/${roleless.id}/password`, { password: 'Another-passw0rd' }],
      ['PUT', `/api/users/${viewer.id}/roles`, { roleIds: [] }],
      ['POST', '/api/roles', { code: 'viewer-made', name: 'x', permissions: ['community:read'] }],
      ['POST', '/api/identity-providers', { code: 'idp', name: 'x', issuer: 'https://idp.example.com', clientId: 'c' }],
      ['GET', '/api/audit', undefined],
      ['GET', '/api/audit/1', undefined],
    ];
    for (const [method, path, body] of writes) {
      const res = await t.request(method, path, { token: viewer.token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'forbidden', message: '没有执行此操作的权限' });
    }
    const after = await t.request('GET', `/api/communities/${someCommunity.id}`, { token: adminA });
    expect(after.body.name).toBe(someCommunity.name);
    const [made] = await asSystem(t.database.db, (tx) =>
      tx.select({ n: sql<number>`count(*)::int` }).from(communities).where(eq(communities.code, 'VIEWER1')),
    );
    expect(made!.n).toBe(0);
    const me = await t.request('GET', '/api/auth/me', { token: viewer.token });
    expect(me.body.permissions).toEqual([...viewerPermissions].sort());
  });

  it('for every route: the viewer is refused exactly those whose permission the viewer role lacks', async () => {
    for (const r of t.runtime.routes.filter((x) => x.permission !== 'public' && x.permission !== 'authenticated')) {
      const res = await t.request(r.method.toUpperCase(), concrete(r.path), { token: viewer.token });
      if (viewerPermissions.includes(r.permission)) expect(res.status, key(r)).not.toBe(403);
      else {
        expect(res.status, key(r)).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
    }
  });

  it('a user with no role gets 403 on every permission-checked route, reads included, but may see itself', async () => {
    for (const r of t.runtime.routes.filter((x) => x.permission !== 'public' && x.permission !== 'authenticated')) {
      const res = await t.request(r.method.toUpperCase(), concrete(r.path), {
        token: roleless.token,
        headers: { 'accept-language': 'en-GB,en;q=0.9' },
      });
      expect(res.status, key(r)).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'forbidden', message: 'You do not have permission for this action' });
    }
    const me = await t.request('GET', '/api/auth/me', { token: roleless.token });
    expect(me.status).toBe(200);
    expect(me.body.permissions).toEqual([]);
    const catalogue = await t.request('GET', '/api/permissions', { token: roleless.token });
    expect(catalogue.body.held).toEqual([]);
  });
});
