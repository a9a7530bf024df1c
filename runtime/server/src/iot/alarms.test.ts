import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import type { DeviceIdentity } from '@shuiyun/iot';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';
import { AlarmBook, type AlarmEvent } from './alarm-book.js';

const HOUR = 3_600_000;

describe.each(drivers)('alarms from meter readings on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let meter: DeviceIdentity;
  let meterId: number;
  const events: AlarmEvent[] = [];

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  /** A CJ/T 188 report arriving now with the given status bytes (valve in bits 0–1: 11 = fault). */
  const report = async (at: Date, status: [number, number], litres = 1000) => {
    const frame = encodeMeterDataReply({ address: meter.deviceKey, cumulativeLitres: litres, at, status });
    await t.runtime.iot!.pipeline.ingest(meter, frame, at);
    await t.runtime.iot!.settle();
  };
  const openAlarms = async (token = adminA) => (await ok(token, 'GET', `/api/alarms?status=open&deviceId=${meterId}`)).items;

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const product = await ok(adminA, 'POST', '/api/products', { code: 'ALARM-188', name: 'alarm meter', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel: { properties: [], events: [], services: [] } });
    const device = await ok(adminA, 'POST', '/api/devices', { productId: product.id, meterNumber: 'AL-1', deviceKey: '60000000000001' });
    meterId = device.id;
    meter = (await t.runtime.iot!.directory.byKey('60000000000001'))!;
    t.runtime.iot!.alarms.subscribe((e) => void events.push(e));
  });
  afterAll(() => t?.close());

  it('raises one critical valve-fault alarm however many fault reports arrive, and tells subscribers once', async () => {
    const start = Date.now() - 10 * 60_000;
    await report(new Date(start), [0x03, 0x00]);
    await report(new Date(start + 60_000), [0x03, 0x00]);
    const open = await openAlarms();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: 'valve_fault', severity: 'critical', status: 'active', deviceKey: '60000000000001', deviceId: meterId });
    expect(events.filter((e) => e.type === 'raised' && e.alarm.kind === 'valve_fault')).toHaveLength(1);
  });

  it('is acknowledged once: a second (or simultaneous) acknowledgement is a 409', async () => {
    const [alarm] = await openAlarms();
    const [first, second] = await Promise.all([
      t.request('POST', `/api/alarms/${alarm.id}/acknowledge`, { token: adminA, body: { note: '已派单' } }),
      t.request('POST', `/api/alarms/${alarm.id}/acknowledge`, { token: adminA, body: {} }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const read = await ok(adminA, 'GET', `/api/alarms/${alarm.id}`);
    // Whichever request won wrote its note; the loser changed nothing.
    expect(read).toMatchObject({ status: 'acknowledged', note: first.status === 200 ? '已派单' : null });
    expect(read.acknowledgedBy).toBeTypeOf('number');
  });

  it('clears by itself when the meter reports the valve working again', async () => {
    await report(new Date(Date.now() - 60_000), [0x00, 0x00]);
    expect(await openAlarms()).toEqual([]);
    const all = await ok(adminA, 'GET', `/api/alarms?deviceId=${meterId}&kind=valve_fault`);
    expect(all.items[0]).toMatchObject({ status: 'cleared', clearedBy: null });
    expect(events.some((e) => e.type === 'cleared' && e.alarm.kind === 'valve_fault')).toBe(true);
  });

  it('raises an offline alarm on the clock, keeps it across a restart of the rules, and clears it with the next report', async () => {
    t.runtime.iot!.alarms.tick(new Date(Date.now() + 49 * HOUR));
    await t.runtime.iot!.settle();
    expect((await openAlarms()).map((a: { kind: string }) => a.kind)).toEqual(['offline']);
    // A new rules book over the same database (as after a restart) knows the device is offline.
    await t.runtime.iot!.alarms.save();
    const restarted = await AlarmBook.open(t.database.db, pino({ level: 'silent' }), { tickMs: 0 });
    restarted.onReadings(meter, [{ device: meter.deviceKey, metric: 'cumulative_volume', at: new Date(Date.now() + 50 * HOUR), milli: 2_000_000n }], new Date(Date.now() + 50 * HOUR));
    await restarted.settled();
    expect(await openAlarms()).toEqual([]);
    await restarted.close();
  });

  it('keeps alarms inside their tenant and behind alarm:* permissions', async () => {
    await report(new Date(Date.now() - 30_000), [0x03, 0x00]);
    const [alarm] = await openAlarms();
    expect((await t.request('GET', `/api/alarms/${alarm.id}`, { token: adminB })).status).toBe(404);
    expect((await t.request('POST', `/api/alarms/${alarm.id}/acknowledge`, { token: adminB, body: {} })).status).toBe(404);
    expect((await ok(adminB, 'GET', '/api/alarms')).items).toEqual([]);
    const group = await t.login('admin@demo-group');
    expect((await ok(group, 'GET', '/api/alarms?status=open')).items.map((a: { id: number }) => a.id)).toContain(alarm.id);
    const roles = await ok(adminA, 'GET', '/api/roles?q=viewer');
    const viewerRole = roles.items.find((r: { code: string; tenantId: number }) => r.code === 'viewer' && r.tenantId === alarm.tenantId);
    await ok(adminA, 'POST', '/api/users', { username: 'alarm-viewer', displayName: '值班员', password: TEST_PASSWORD, roleIds: [viewerRole.id] });
    const viewer = await t.login('alarm-viewer');
    expect((await t.request('GET', `/api/alarms/${alarm.id}`, { token: viewer })).status).toBe(200);
    expect((await t.request('POST', `/api/alarms/${alarm.id}/clear`, { token: viewer, body: {} })).status).toBe(403);
    const cleared = await ok(adminA, 'POST', `/api/alarms/${alarm.id}/clear`, { note: '误报' });
    expect(cleared).toMatchObject({ status: 'cleared', note: '误报' });
    expect((await t.request('POST', `/api/alarms/${alarm.id}/clear`, { token: adminA, body: {} })).status).toBe(409);
  });
});
