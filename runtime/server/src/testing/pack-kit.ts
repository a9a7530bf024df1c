/**
 * The runtime behind `@shuiyun/sdk/testing`: a real runtime in-process (PGlite or PostgreSQL, chDB, the
 * embedded BPMN engine), two tenants of the demo group with the packs installed, and helpers that go
 * through the HTTP API as a pack's users would. Packs reach it through the SDK only.
 */
import { basename, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asSystem } from '@shuiyun/db';
import type { Pack, PackServices } from '@shuiyun/sdk';
import type { KitApp, KitResponse, KitTask, KitTenant, PackTestKit, PackTestKitOptions } from '@shuiyun/sdk/testing';
import type { Browser } from 'playwright-core';
import { packServices, tenantOf } from '../packs/services.js';
import { ensureWebAppsBuilt, launchChromium, screenshots } from './browser.js';
import { startTestRuntime, TEST_PASSWORD } from './harness.js';
import { until as poll } from './until.js';

export type { PackTestKit, PackTestKitOptions };

const which = (options?: { tenant?: 'tenant' | 'other' }) => options?.tenant ?? 'tenant';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Where a test's screenshots go: `<package folder>-<test file>` of the running vitest test
 * (`domain-packs/metering/src/pages.test.ts` → `metering-pages`), else `pack-kit`.
 */
async function screenshotSuite(): Promise<string> {
  try {
    const { expect } = await import('vitest');
    const file = expect.getState().testPath;
    if (file) {
      const parts = relative(root, dirname(file)).split(sep);
      const src = parts.lastIndexOf('src');
      const pkg = src > 0 ? parts[src - 1] : parts.at(-1);
      const name = basename(file).replace(/\.(test|spec)\.[cm]?[jt]sx?$/, '');
      return [pkg, name].filter(Boolean).join('-').replace(/[^\w.-]+/g, '_');
    }
  } catch {
    // Not under vitest.
  }
  return 'pack-kit';
}

export async function startPackTestKit(options: PackTestKitOptions): Promise<PackTestKit> {
  const t = await startTestRuntime(options.driver ?? 'pglite', options.env ?? {}, { workflowTickMs: 50, packs: options.packs });
  const { runtime } = t;
  try {
    const tenantOfUser = async (username: string): Promise<KitTenant> => {
      const token = await t.login(username);
      const me = await t.request('GET', '/api/auth/me', { token });
      return { id: me.body.tenant.id, path: me.body.tenant.path, code: me.body.tenant.code ?? username.slice(username.indexOf('@') + 1), token, username };
    };
    const tenants = { tenant: await tenantOfUser('admin@demo-county-a'), other: await tenantOfUser('admin@demo-county-b') };

    const request: PackTestKit['request'] = async (method, path, o = {}) => {
      const token = o.token === undefined ? tenants.tenant.token : o.token;
      const headers = { ...(o.locale ? { 'accept-language': o.locale } : {}), ...o.headers };
      return t.request(method, path, { ...(token ? { token } : {}), ...(o.body !== undefined ? { body: o.body } : {}), headers });
    };
    const ok = async (method: string, path: string, o: Parameters<PackTestKit['request']>[2] = {}): Promise<KitResponse> => {
      const res = await request(method, path, o);
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res;
    };
    /** Tokens are short-lived in a long test: a fresh one for the administrator of `tenant`. */
    const adminToken = (tenant: 'tenant' | 'other') => tenants[tenant].token;

    /** Browsers of `openApp` still open, closed with the kit; one numbered screenshot folder per kit. */
    const browsers = new Set<Browser>();
    let shoot: ReturnType<typeof screenshots> | undefined;
    /** What the web kit keeps in localStorage `shuiyun.session`: the administrator's own sign-in (with a refresh token), or `token` as is. */
    const sessionFor = async (token: string | undefined) => {
      if (!token) {
        const res = await ok('POST', '/api/auth/login', { token: null, body: { username: tenants.tenant.username, password: TEST_PASSWORD } });
        return { accessToken: res.body.accessToken as string, refreshToken: res.body.refreshToken as string, user: res.body.user as unknown };
      }
      const me = await ok('GET', '/api/auth/me', { token });
      return { accessToken: token, refreshToken: '', user: me.body.user as unknown };
    };

    const kit: PackTestKit = {
      baseUrl: t.baseUrl,
      tenant: tenants.tenant,
      otherTenant: tenants.other,
      request,
      login: (username, password = TEST_PASSWORD) => t.login(username, password),
      async createUser({ username, roles, tenant = 'tenant' }) {
        const token = adminToken(tenant);
        const roleIds: number[] = [];
        for (const code of roles) {
          const found = await ok('GET', `/api/roles?q=${encodeURIComponent(code)}&pageSize=100`, { token });
          const role = (found.body.items as { id: number; code: string; tenantId: number }[]).find((r) => r.code === code && r.tenantId === tenants[tenant].id);
          if (!role) throw new Error(`no role ${code} in the ${tenant} tenant`);
          roleIds.push(role.id);
        }
        await ok('POST', '/api/users', { token, body: { username, displayName: username, password: TEST_PASSWORD, roleIds } });
        return t.login(username);
      },
      install: (packId, o) => ok('POST', `/api/packs/${packId}/install`, { token: adminToken(which(o)), body: {} }),
      deploy: (pack: Pack) => runtime.deployPack(pack),
      async upgrade(pack: Pack, o) {
        await runtime.deployPack(pack);
        return ok('POST', `/api/packs/${pack.id}/upgrade`, { token: adminToken(which(o)), body: {} });
      },
      services(packId, o): PackServices {
        const pack = runtime.packs.get(packId);
        if (!pack) throw new Error(`the runtime carries no pack ${packId}`);
        const tenant = tenants[which(o)];
        return packServices({ db: runtime.database.db, analytics: t.analytics, workflow: runtime.workflow, permissions: runtime.permissions }, pack, {
          tenant: { id: tenant.id, path: tenant.path, timeZone: 'Asia/Shanghai' },
          user: null,
          locale: 'zh-CN',
        });
      },
      async publishReadings(readings, o) {
        const tenant = tenants[which(o)];
        const zone = await asSystem(runtime.database.db, (tx) => tenantOf(tx, tenant.id));
        for (let i = 0; i < readings.length; i += 50_000) {
          await t.analytics.insertReadings(readings.slice(i, i + 50_000).map((reading) => ({ tenantId: zone.id, tenantPath: zone.path, reading })));
        }
      },
      async startProcess(processId, variables = {}, o = {}) {
        const res = await ok('POST', '/api/workflow/instances', { body: { processId, variables, ...(o.businessKey ? { businessKey: o.businessKey } : {}) } });
        return res.body.id as number;
      },
      async waitForTask(match, o = {}) {
        const token = o.token ?? tenants.tenant.token;
        const query = new URLSearchParams({ scope: 'all', pageSize: '100', ...(match.processId ? { processId: match.processId } : {}), ...(match.instanceId ? { instanceId: String(match.instanceId) } : {}) });
        return poll(
          `a task ${JSON.stringify(match)}`,
          async () => {
            const res = await ok('GET', `/api/tasks?${query}`, { token });
            const task = (res.body.items as KitTask[]).find((x) => !match.elementId || x.elementId === match.elementId);
            return task ? { id: task.id, elementId: task.elementId, processId: task.processId, instanceId: task.instanceId, variables: task.variables ?? {} } : undefined;
          },
          o.timeoutMs ?? 10_000,
        );
      },
      async completeTask(taskId, variables, o = {}) {
        await ok('POST', `/api/tasks/${taskId}/complete`, { token: o.token ?? tenants.tenant.token, body: { variables } });
      },
      async waitForInstance(instanceId, o = {}) {
        const state = o.state ?? 'completed';
        return poll(
          `instance ${instanceId} ${state}`,
          async () => {
            const res = await ok('GET', `/api/workflow/instances/${instanceId}`);
            if (res.body.openIncidents > 0 && state !== 'incident') throw new Error(`instance ${instanceId} has an incident: ${JSON.stringify(res.body)}`);
            return res.body.state === state ? ((res.body.variables ?? {}) as Record<string, unknown>) : undefined;
          },
          o.timeoutMs ?? 10_000,
        );
      },
      async runReport(code, parameters = {}) {
        const res = await ok('POST', '/api/reports/run', { body: { template: code, parameters, pageSize: 10_000 } });
        return res.body.rows as Record<string, unknown>[];
      },
      until: (check, o = {}) => poll(o.what ?? 'the condition', async () => (await check()) || undefined, o.timeoutMs ?? 10_000) as never,
      async openApp(o = {}): Promise<KitApp> {
        await ensureWebAppsBuilt();
        const locale = o.locale ?? 'zh-CN';
        const session = await sessionFor(o.token);
        shoot ??= screenshots(await screenshotSuite());
        const take = shoot;
        const browser = await launchChromium();
        browsers.add(browser);
        const close = async () => {
          if (!browsers.delete(browser)) return;
          await browser.close();
        };
        try {
          // Signed in before the first request: the session the web kit reads, put in localStorage by the browser itself.
          const context = await browser.newContext({
            viewport: { width: o.width ?? 1440, height: o.height ?? 900 },
            locale,
            // The demo tenants' zone: times show as their users see them, whatever the machine's zone.
            timezoneId: 'Asia/Shanghai',
            storageState: {
              cookies: [],
              origins: [{ origin: t.baseUrl, localStorage: [{ name: 'shuiyun.session', value: JSON.stringify(session) }, { name: 'shuiyun.lang', value: locale }] }],
            },
          });
          const page = await context.newPage();
          page.setDefaultTimeout(30_000);
          page.on('pageerror', (error) => console.warn(`[openApp] page error: ${error.message}`));
          await page.goto(`${t.baseUrl}/app/`);
          const shown = await page.waitForSelector('[data-testid=user-menu], form input[name=password]', { timeout: 60_000 });
          if ((await shown.getAttribute('name')) === 'password') throw new Error('openApp: the app shell asks to sign in: the session was refused');
          return { page, close, screenshot: (name) => take(page, name) };
        } catch (error) {
          await close();
          throw error;
        }
      },
      async close() {
        for (const browser of [...browsers]) {
          browsers.delete(browser);
          await browser.close().catch(() => undefined);
        }
        await t.close();
      },
    };
    if (options.install ?? true) {
      for (const pack of options.packs) {
        await kit.install(pack.id);
        await kit.install(pack.id, { tenant: 'other' });
      }
    }
    return kit;
  } catch (error) {
    await t.close();
    throw error;
  }
}
