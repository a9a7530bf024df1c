import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Database } from '@shuiyun/db';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../app.js';
import { seedDemoUtility } from '../bootstrap/demo-seed.js';
import { loadConfig } from '../config/config.js';
import { drivers, TEST_PASSWORD, testDatabase } from '../testing/harness.js';

/** A runtime started without an analytics store (the harness always gives one): reports on PostgreSQL still run. */
describe.each(drivers)('reports without an analytics store on %s', (driver) => {
  let database: Database;
  let runtime: Runtime;
  let server: Server;
  let base: string;
  let token: string;

  const post = async (path: string, body: unknown) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'accept-language': 'en' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    database = await testDatabase(driver);
    await seedDemoUtility(database.db, { password: TEST_PASSWORD });
    runtime = await createRuntime({ database, config: loadConfig({ LOG_LEVEL: 'silent' }), analytics: undefined, logger: pino({ level: 'silent' }), workflowTickMs: 0 });
    server = await new Promise((resolve) => {
      const s = runtime.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    token = (await post('/api/auth/login', { username: 'admin@demo-county-a', password: TEST_PASSWORD })).body.accessToken;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await runtime?.close();
    await database?.close();
  });

  it('answers an analytics dataset with 503 not_ready (source_unavailable) and still runs a PostgreSQL one', async () => {
    expect(runtime.iot).toBeUndefined();
    const readings = await post('/api/reports/run', { dataset: 'reading-rate', query: { measures: ['devicesRead'] } });
    expect(readings.status).toBe(503);
    expect(readings.body.error).toMatchObject({ code: 'not_ready', details: [{ code: 'source_unavailable' }] });
    expect(readings.body.error.details[0].message).toMatch(/^The data source this dataset needs is not available/);
    const alarms = await post('/api/reports/run', { dataset: 'alarm-statistics', query: { dimensions: ['kind'], measures: ['alarms'] } });
    expect(alarms.status).toBe(200);
    expect(alarms.body).toMatchObject({ rows: [], dataset: { code: 'alarm-statistics', origin: 'builtin' }, cached: false });
  });
});
