import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { openDatabase, type Database } from '@shuiyun/db';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../app.js';
import { loadConfig } from '../config/config.js';
import { startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

/** Polls until `check` holds; the news travels asynchronously between nodes. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

// PGlite is one process by construction; two runtime nodes share only a PostgreSQL database.
describe('two runtime nodes on one PostgreSQL database', () => {
  let a: TestRuntime;
  let secondDb: Database;
  let server: Server;
  let bUrl: string;

  beforeAll(async () => {
    a = await startTestRuntime('postgres');
    const url = (a.database as Database & { url?: string }).url;
    if (!url) throw new Error('the postgres test database has no url');
    secondDb = await openDatabase({ url, poolSize: 3 });
    const b = await createRuntime({ database: secondDb, config: loadConfig({ LOG_LEVEL: 'silent' }), logger: pino({ level: 'silent' }) });
    server = await new Promise((resolve) => {
      const s = b.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    bUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await secondDb?.close();
    await a?.close();
  });

  const onB = (path: string, token: string) => fetch(bUrl + path, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

  it('a role taken away on node A stops the user on node B without a restart', async () => {
    const admin = await a.login('admin@demo-county-a');
    const roles = await a.request('GET', '/api/roles?q=viewer', { token: admin });
    const viewer = roles.body.items.find((r: { code: string; tenantId: number }) => r.code === 'viewer');
    const created = await a.request('POST', '/api/users', {
      token: admin,
      body: { username: 'cluster-reader', displayName: '抄表员', password: TEST_PASSWORD, roleIds: [viewer.id] },
    });
    expect(created.status).toBe(201);
    const reader = await a.login('cluster-reader');
    expect(await eventually(async () => (await onB('/api/communities', reader)) === 200)).toBe(true);

    const revoked = await a.request('PUT', `/api/users/${created.body.id}/roles`, { token: admin, body: { roleIds: [] } });
    expect(revoked.status).toBe(200);
    expect(await eventually(async () => (await onB('/api/communities', reader)) === 403)).toBe(true);
  });

  it('signing out on node A ends the access token on node B too', async () => {
    const token = await a.login('admin@demo-county-b');
    expect(await onB('/api/auth/me', token)).toBe(200);
    expect((await a.request('POST', '/api/auth/logout', { token })).status).toBe(204);
    expect(await eventually(async () => (await onB('/api/auth/me', token)) === 401)).toBe(true);
  });
});
