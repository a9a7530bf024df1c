import type { Pack } from '@shuiyun/sdk';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { openAnalyticsStore, type AnalyticsStore } from '@shuiyun/analytics';
import type { Database } from '@shuiyun/db';
import { pino } from 'pino';
import { createRuntime, type Runtime } from '../app.js';
import { seedDemoUtility } from '../bootstrap/demo-seed.js';
import { loadConfig } from '../config/config.js';
// The db package owns the database helper; tests reach it by path because it is not part of its public face.
import { drivers, freshPostgresDatabase, testDatabase, type Driver } from '../../../db/src/testing/postgres.js';

export { drivers, freshPostgresDatabase, testDatabase, type Driver };

/** The demo admins' password in tests (the real first start generates random ones). */
export const TEST_PASSWORD = 'Test-passw0rd-2026';

export interface TestRuntime {
  driver: Driver;
  runtime: Runtime;
  database: Database;
  /** The runtime's analytics store (its own database in the shared chDB), for tests that write readings in bulk. */
  analytics: AnalyticsStore;
  baseUrl: string;
  /** Signs in and returns the access token. */
  login(username: string, password?: string): Promise<string>;
  /** fetch against the runtime, with a bearer token and JSON body when given. */
  request(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

let sharedAnalytics: Promise<AnalyticsStore> | undefined;
let analyticsDatabases = 0;

/**
 * A migrated analytics database of its own for one test runtime. chDB serves one data directory per
 * process, so every runtime of a test process shares one (temporary) engine, each in its own database.
 */
export async function analyticsForTest(): Promise<AnalyticsStore> {
  sharedAnalytics ??= openAnalyticsStore({ dataDir: 'memory://' });
  const view = (await sharedAnalytics).withDatabase(`test_${process.pid}_${++analyticsDatabases}`);
  await view.migrate();
  return view;
}

/** A runtime on a fresh, migrated, demo-seeded database, listening on an ephemeral port. */
export async function startTestRuntime(driver: Driver, env: Record<string, string> = {}, options: { workflowTickMs?: number; reportScheduleTickMs?: number; packs?: readonly Pack[] } = {}): Promise<TestRuntime> {
  const database = await testDatabase(driver);
  await seedDemoUtility(database.db, { password: TEST_PASSWORD });
  // Tests sign in far more often than a person; the limiter has its own test with a low limit.
  const config = loadConfig({ LOG_LEVEL: 'silent', SHUIYUN_LOGIN_RATE_LIMIT: '10000', ...env });
  const analytics = await analyticsForTest();
  const runtime = await createRuntime({ database, config, analytics, logger: pino({ level: 'silent' }), workflowTickMs: options.workflowTickMs, reportScheduleTickMs: options.reportScheduleTickMs, packs: options.packs });
  const server: Server = await new Promise((resolve) => {
    const s = runtime.app.listen(0, '127.0.0.1', () => resolve(s));
    // fetch (undici) drops an idle connection after 4 s; a server that closes it first (Node's 5 s, sooner
    // on a loaded machine) races a request sent on it at that moment: ECONNRESET. The client closes first.
    s.keepAliveTimeout = 60_000;
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const request: TestRuntime['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const res = await fetch(baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON (e.g. /metrics) */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  return {
    driver,
    runtime,
    database,
    analytics,
    baseUrl,
    request,
    async login(username, password = TEST_PASSWORD) {
      const res = await request('POST', '/api/auth/login', { body: { username, password } });
      if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.accessToken as string;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
      await database.close();
    },
  };
}
