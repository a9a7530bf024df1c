import type { DeviceIdentity } from '@shuiyun/iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

describe.each(drivers)('tenant alarm rules on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  const meters: Record<'a' | 'b', { id: number; identity: DeviceIdentity }> = {} as never;
  let clock = Date.now() - 30 * 60_000;

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  /** A pressure reading (kPa) from the meter, a little later than the last one. */
  const pressure = async (which: 'a' | 'b', kPa: number) => {
    clock += 60_000;
    const { identity } = meters[which];
    t.runtime.iot!.alarms.onReadings(identity, [{ device: identity.deviceKey, metric: 'pressure', at: new Date(clock), milli: BigInt(kPa * 1000) }], new Date(clock));
    await t.runtime.iot!.settle();
  };
  const open = async (which: 'a' | 'b', token: string) =>
    (await ok(token, 'GET', `/api/alarms?status=open&kind=threshold&deviceId=${meters[which].id}`)).items as { ruleId: string; detail: Record<string, string> }[];

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    for (const [which, token, key] of [['a', adminA, '61000000000001'], ['b', adminB, '61000000000002']] as const) {
      const product = await ok(token, 'POST', '/api/products', { code: 'RULE-188', name: 'rule meter', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel: { properties: [], events: [], services: [] } });
      const device = await ok(token, 'POST', '/api/devices', { productId: product.id, meterNumber: `R-${which}`, deviceKey: key });
      meters[which] = { id: device.id, identity: (await t.runtime.iot!.directory.byKey(key))! };
    }
  });
  afterAll(() => t?.close());

  let ruleId: number;

  it('raises a tenant threshold alarm for its own devices only', async () => {
    const rule = await ok(adminA, 'POST', '/api/alarm-rules', {
      ruleId: 'pressure-high',
      kind: 'threshold',
      params: { metric: 'pressure', direction: 'above', raiseAt: '600' },
      severity: 'critical',
      productCode: 'RULE-188',
    });
    ruleId = rule.id;
    expect(rule).toMatchObject({ ruleId: 'pressure-high', kind: 'threshold', severity: 'critical', enabled: true });
    await pressure('a', 650);
    await pressure('b', 650);
    const [alarm] = await open('a', adminA);
    expect(alarm).toMatchObject({ ruleId: `tenant:${rule.tenantId}:pressure-high`, severity: 'critical', detail: { value: '650' } });
    expect(await open('b', adminB)).toEqual([]);
  });

  it('takes an edit at once, without a restart', async () => {
    await ok(adminA, 'PATCH', `/api/alarm-rules/${ruleId}`, { params: { metric: 'pressure', direction: 'above', raiseAt: '700' } });
    await t.runtime.iot!.settle();
    await pressure('a', 650);
    expect(await open('a', adminA)).toEqual([]);
    await pressure('a', 720);
    expect(await open('a', adminA)).toHaveLength(1);
    // Disabled: its open alarm is cleared (the rule no longer runs).
    await ok(adminA, 'PATCH', `/api/alarm-rules/${ruleId}`, { enabled: false });
    await t.runtime.iot!.settle();
    expect(await open('a', adminA)).toEqual([]);
  });

  it('refuses an invalid rule with a 400 naming the field', async () => {
    const bad = await t.request('POST', '/api/alarm-rules', { token: adminA, body: { ruleId: 'bad', kind: 'threshold', params: { metric: 'pressure', direction: 'sideways', raiseAt: '1' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain('body.params.direction');
    const badEdit = await t.request('PATCH', `/api/alarm-rules/${ruleId}`, { token: adminA, body: { params: { metric: 'pressure', direction: 'above' } } });
    expect(badEdit.status).toBe(400);
    expect(badEdit.body.error.details.map((d: { path: string }) => d.path)).toContain('body.params.raiseAt');
    const unknownKind = await t.request('POST', '/api/alarm-rules', { token: adminA, body: { ruleId: 'bad', kind: 'nonsense' } });
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.body.error.details.map((d: { path: string }) => d.path)).toContain('body.kind');
  });

  it('keeps rules inside their tenant and behind alarm-rule:* permissions', async () => {
    expect((await t.request('GET', `/api/alarm-rules/${ruleId}`, { token: adminB })).status).toBe(404);
    expect((await t.request('PATCH', `/api/alarm-rules/${ruleId}`, { token: adminB, body: { enabled: true } })).status).toBe(404);
    expect((await ok(adminB, 'GET', '/api/alarm-rules')).items).toEqual([]);
    const roles = await ok(adminA, 'GET', '/api/roles?q=viewer');
    const me = await ok(adminA, 'GET', `/api/alarm-rules/${ruleId}`);
    const viewerRole = roles.items.find((r: { code: string; tenantId: number }) => r.code === 'viewer' && r.tenantId === me.tenantId);
    await ok(adminA, 'POST', '/api/users', { username: 'rule-viewer', displayName: '值班员', password: TEST_PASSWORD, roleIds: [viewerRole.id] });
    const viewer = await t.login('rule-viewer');
    expect((await t.request('GET', `/api/alarm-rules/${ruleId}`, { token: viewer })).status).toBe(200);
    expect((await t.request('POST', '/api/alarm-rules', { token: viewer, body: { ruleId: 'v', kind: 'offline' } })).status).toBe(403);
  });
});
