import { asSystem, deviceCommands, devices, openDatabase } from '@shuiyun/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The iot package owns the in-test Modbus device; tests reach it by path because it is not part of its public face.
import { ModbusTestDevice } from '../../../iot/src/testing/modbus-device.js';
import { pino } from 'pino';
import { createRuntime } from '../app.js';
import { loadConfig } from '../config/config.js';
import { analyticsForTest, drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';
import type { ModbusPolling } from './modbus-polling.js';

const name = (zh: string, en: string) => ({ zh, en });

/** A Modbus flow meter's thing model: what its register map reads and writes must be declared here. */
const thingModel = {
  properties: [
    { identifier: 'cumulative_volume', name: name('累计流量', 'Cumulative volume'), dataType: 'decimal', unit: 'm³', scale: 3, access: 'r' },
    { identifier: 'flow_rate', name: name('瞬时流量', 'Flow rate'), dataType: 'decimal', unit: 'm³/h', scale: 2, access: 'r' },
    { identifier: 'pressure', name: name('压力', 'Pressure'), dataType: 'decimal', unit: 'MPa', scale: 3, access: 'r' },
    { identifier: 'valve_state', name: name('阀门状态', 'Valve state'), dataType: 'bool', access: 'r' },
  ],
  events: [],
  services: [
    { identifier: 'valve_open', name: name('开阀', 'Open valve') },
    { identifier: 'valve_close', name: name('关阀', 'Close valve') },
    { identifier: 'read_now', name: name('立即抄表', 'Read now') },
    { identifier: 'set_interval', name: name('上报间隔', 'Report interval'), inputs: [{ identifier: 'minutes', name: name('分钟', 'Minutes'), dataType: 'int', min: 1, max: 1440 }] },
    { identifier: 'reset', name: name('复位', 'Reset') },
  ],
};

/** Coil 16 is the valve's "closed" bit (1 closed, 0 open, as CJ/T 188 counts valve_state): read as valve_state, written by the valve services. */
const registerMap = {
  metrics: [
    { metric: 'cumulative_volume', function: 'holding_register', address: 0, type: 'uint32', scale: -3, unit: 'm3' },
    { metric: 'flow_rate', function: 'input_register', address: 0, type: 'int16', scale: -2, unit: 'm3/h' },
    { metric: 'pressure', function: 'input_register', address: 1, type: 'uint16', scale: -3, unit: 'MPa' },
    { metric: 'valve_state', function: 'coil', address: 16 },
  ],
  services: {
    valve_open: { function: 'coil', address: 16, value: false },
    valve_close: { function: 'coil', address: 16, value: true },
    set_interval: { function: 'holding_register', address: 100, param: 'minutes' },
  },
};

const product = { code: 'MB-DN50', name: 'Modbus 电磁流量计', kind: 'flow-meter', transport: 'modbus', codec: 'modbus', codecSettings: { registerMap }, thingModel };

/** A meter's registers: 12 345.678 m³, 1.50 m³/h, 0.350 MPa, valve open; unit 100 (the interval) writable. */
function fill(meter: ModbusTestDevice, litres = 12_345_678) {
  meter.setUint32(0, litres);
  meter.input.set(0, 150).set(1, 350);
  meter.coils.set(16, false);
  meter.holding.set(100, 60);
}

async function startMeter(litres?: number, port?: number): Promise<ModbusTestDevice> {
  const meter = await ModbusTestDevice.start(1, port);
  fill(meter, litres);
  return meter;
}

/** Waits for `check` to return something other than undefined/false. */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(drivers)('Modbus TCP polling through the runtime on %s', (driver) => {
  let t: TestRuntime;
  let polling: ModbusPolling;
  let adminA: string;
  let adminB: string;
  let group: string;
  let productA: number;
  let meterA: ModbusTestDevice;
  let device: { id: number; key: string };
  const meters: ModbusTestDevice[] = [];

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const readings = async (id: number, token = adminA) => (await ok(token, 'GET', `/api/devices/${id}/readings?limit=1000`)).items as { metric: string; at: string; value: string }[];
  const latest = async (id: number, token = adminA) => {
    const byMetric: Record<string, string> = {};
    for (const r of [...(await readings(id, token))].reverse()) byMetric[r.metric] = r.value;
    return byMetric;
  };
  const status = (id: number, token = adminA) => ok(token, 'GET', `/api/devices/${id}/modbus-status`);
  const command = (id: number, body: unknown) => t.request('POST', `/api/devices/${id}/commands`, { token: adminA, body });
  const connectionTo = (meter: ModbusTestDevice, intervalSeconds = 3600) => ({ host: '127.0.0.1', port: meter.port, unitId: 1, intervalSeconds });

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    polling = await t.runtime.iot!.startModbus(t.database, { timeoutMs: 500, offlineAfterFailures: 2 });
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    group = await t.login('admin@demo-group');
    productA = (await ok(adminA, 'POST', '/api/products', product)).id;
    meterA = await startMeter();
    meters.push(meterA);
  });
  afterAll(async () => {
    await t?.close();
    for (const meter of meters) await meter.close();
  });

  it('polls a meter the registry names as soon as it is registered: exact readings under its tenant, online, again on its interval', async () => {
    const created = await ok(adminA, 'POST', '/api/devices', { productId: productA, meterNumber: 'MB-0001', deviceKey: 'mb-0001', connection: connectionTo(meterA, 5) });
    expect(created.connection).toEqual({ host: '127.0.0.1', port: meterA.port, unitId: 1, intervalSeconds: 5 });
    device = { id: created.id, key: created.deviceKey };
    // No reload is called here: the registry's news (NOTIFY) makes the poller pick the device up.
    await eventually(async () => (await readings(device.id)).length >= 4, 'the first poll’s readings');
    expect(await latest(device.id)).toEqual({
      cumulative_volume: '12345678.000', // 12 345.678 m³ in litres
      flow_rate: '1500.000', // 1.50 m³/h in L/h
      pressure: '350.000', // 0.350 MPa in kPa
      valve_state: '0.000',
    });
    await t.runtime.iot!.settle();
    const row = await ok(adminA, 'GET', `/api/devices/${device.id}`);
    expect(row).toMatchObject({ online: true, lastSeenAt: expect.any(String) });
    expect(await status(device.id)).toMatchObject({
      deviceId: device.id,
      polled: true,
      polledHere: true,
      online: true,
      consecutiveFailures: 0,
      lastError: null,
      reads: [
        { function: 'holding_register', address: 0, length: 2 },
        { function: 'input_register', address: 0, length: 2 },
        { function: 'coil', address: 16, length: 1 },
      ],
    });

    // The next poll comes on the 5 s grid, with the meter's new total.
    meterA.setUint32(0, 12_345_999);
    await eventually(async () => (await latest(device.id)).cumulative_volume === '12345999.000' || undefined, 'the second poll', 10_000);
    const polls = meterA.requests.filter((r) => r.fc === 3).map((r) => r.at);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls[1]! - polls[0]!).toBeGreaterThanOrEqual(4_500);
    expect(new Set((await readings(device.id)).map((r) => r.at)).size).toBeGreaterThanOrEqual(2);
    const metrics = (await t.request('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/^shuiyun_iot_modbus_devices 1$/m);
    expect(Number(/^shuiyun_iot_modbus_polls_total\{outcome="read"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    // Back to a long interval, so the tests below count polls they make themselves.
    await ok(adminA, 'PATCH', `/api/devices/${device.id}`, { connection: connectionTo(meterA) });
    await polling.reload();
    expect((await status(device.id)).connection.intervalSeconds).toBe(3600);
  });

  it('writes valve commands as coil writes (FC 5) and a parameter into a holding register (FC 6), acknowledged when the meter answers', async () => {
    for (const to of ['accepted', 'in_service']) await ok(adminA, 'POST', `/api/devices/${device.id}/transition`, { to });
    meterA.requests.length = 0;
    const close = await command(device.id, { service: 'valve_close' });
    expect(close.status).toBe(202);
    expect(close.body).toMatchObject({ service: 'valve_close', status: 'acknowledged', failureReason: null, payloadHex: '05001' + '0FF00' });
    expect(meterA.coils.get(16)).toBe(true);
    expect(new Date(close.body.acknowledgedAt).getTime()).toBeGreaterThanOrEqual(new Date(close.body.sentAt).getTime());

    const open = await command(device.id, { service: 'valve_open' });
    expect(open.body).toMatchObject({ status: 'acknowledged', payloadHex: '0500100000' });
    expect(meterA.coils.get(16)).toBe(false);

    const interval = await command(device.id, { service: 'set_interval', params: { minutes: 15 } });
    expect(interval.body).toMatchObject({ status: 'acknowledged', payloadHex: '060064000F' });
    expect(meterA.holding.get(100)).toBe(15);
    // What went over the wire, seen by the meter: function, address, value.
    expect(meterA.requests.map((r) => [r.fc, r.address, r.quantity])).toEqual([
      [5, 16, 0xff00],
      [5, 16, 0x0000],
      [6, 100, 15],
    ]);

    // read_now is a poll made at once: acknowledged with how many readings it stored.
    const read = await command(device.id, { service: 'read_now' });
    expect(read.body).toMatchObject({ status: 'acknowledged', reply: { readings: 4 } });
    // A service the thing model has but the map does not write cannot be encoded: 409, nothing queued.
    const reset = await command(device.id, { service: 'reset' });
    expect(reset.status).toBe(409);
    expect(reset.body.error.details[0].message).toMatch(/declares no write for service reset; it writes valve_open, valve_close, set_interval/);
    const stored = await asSystem(t.database.db, (tx) => tx.select().from(deviceCommands).where(eq(deviceCommands.deviceId, device.id)));
    expect(stored.map((c) => c.status)).toEqual(['acknowledged', 'acknowledged', 'acknowledged', 'acknowledged']);
  });

  it('fails a command the meter refuses, with the Modbus exception as the reason; the valve stays as it was', async () => {
    meterA.refuseWrites.add(16);
    const refused = await command(device.id, { service: 'valve_close' });
    meterA.refuseWrites.delete(16);
    expect(refused.body).toMatchObject({ status: 'failed', failureReason: 'the device refused the write: Modbus exception 4 (server device failure)', acknowledgedAt: null });
    expect(meterA.coils.get(16)).toBe(false);
    // The meter answered: it is still online, and a failed command blocks nothing.
    expect(await status(device.id)).toMatchObject({ online: true, consecutiveFailures: 0 });
  });

  it('goes offline after unanswered polls and back online when the meter answers again; a command waits for it, or expires at its deadline', async () => {
    const port = meterA.port;
    await meterA.close();
    for (let i = 0; i < 2; i++) {
      const read = await ok(adminA, 'POST', `/api/devices/${device.id}/modbus-read`);
      expect(read).toMatchObject({ ok: false, unreachable: true, error: expect.stringMatching(/ECONNREFUSED/), readings: [] });
    }
    await t.runtime.iot!.settle();
    expect(await ok(adminA, 'GET', `/api/devices/${device.id}`)).toMatchObject({ online: false });
    const down = await status(device.id);
    expect(down).toMatchObject({ online: false, lastError: expect.stringMatching(/ECONNREFUSED/) });
    expect(down.consecutiveFailures).toBeGreaterThanOrEqual(2);

    // Nobody to write to: both stay queued, one with a short deadline.
    const waits = await command(device.id, { service: 'valve_close', expiresInSeconds: 600 });
    const lapses = await command(device.id, { service: 'valve_open', expiresInSeconds: 10 });
    expect([waits.body.status, lapses.body.status]).toEqual(['queued', 'queued']);
    await t.runtime.iot!.commands.sweep(new Date(Date.now() + 11_000));
    expect(await ok(adminA, 'GET', `/api/device-commands/${lapses.body.id}`)).toMatchObject({
      status: 'expired',
      failureReason: 'not delivered before the deadline: the device could not be reached',
    });
    expect((await ok(adminA, 'GET', `/api/device-commands/${waits.body.id}`)).status).toBe('queued');

    // The meter comes back on its address: the next poll answers, and the waiting command goes out.
    meterA = await startMeter(12_400_000, port);
    meters.push(meterA);
    const back = await ok(adminA, 'POST', `/api/devices/${device.id}/modbus-read`);
    expect(back).toMatchObject({ ok: true, error: null });
    expect(back.readings).toContainEqual({ metric: 'cumulative_volume', at: expect.any(String), value: '12400000.000' });
    await eventually(async () => (await ok(adminA, 'GET', `/api/device-commands/${waits.body.id}`)).status === 'acknowledged', 'the waiting command to go out');
    expect(meterA.coils.get(16)).toBe(true);
    await t.runtime.iot!.settle();
    expect(await ok(adminA, 'GET', `/api/devices/${device.id}`)).toMatchObject({ online: true });
    expect(await status(device.id)).toMatchObject({ online: true, consecutiveFailures: 0 });
  });

  it('keeps tenants apart: another county’s meter under the same device key is polled into that county only', async () => {
    const meterB = await startMeter(99_000_000);
    meters.push(meterB);
    const productB = await ok(adminB, 'POST', '/api/products', product);
    const deviceB = await ok(adminB, 'POST', '/api/devices', { productId: productB.id, meterNumber: 'MB-B-0001', deviceKey: device.key, connection: connectionTo(meterB) });
    await polling.reload();
    await eventually(async () => (await readings(deviceB.id, adminB)).length >= 4, 'county-b’s readings');
    expect((await latest(deviceB.id, adminB)).cumulative_volume).toBe('99000000.000');
    // County-b's values never show under county-a's device (the same key), nor county-a's under county-b's.
    expect((await readings(device.id)).map((r) => r.value)).not.toContain('99000000.000');
    expect((await readings(deviceB.id, adminB)).every((r) => !r.value.startsWith('1234') && !r.value.startsWith('124'))).toBe(true);
    // County-a cannot see county-b's device, its readings or its polling.
    for (const [method, path] of [
      ['GET', `/api/devices/${deviceB.id}/readings`],
      ['GET', `/api/devices/${deviceB.id}/modbus-status`],
      ['POST', `/api/devices/${deviceB.id}/modbus-read`],
    ] as const) {
      expect((await t.request(method, path, { token: adminA })).status, path).toBe(404);
    }
    // The group sees both, each with its own county's values.
    expect((await latest(deviceB.id, group)).cumulative_volume).toBe('99000000.000');
    expect((await latest(device.id, group)).cumulative_volume).toBe('12400000.000');
    const tenants = await asSystem(t.database.db, (tx) => tx.select({ id: devices.id, tenantId: devices.tenantId }).from(devices).where(eq(devices.deviceKey, device.key)));
    expect(new Set(tenants.map((d) => d.tenantId)).size).toBe(2);
  });

  it('refuses an invalid register map, a map whose metrics or services the thing model lacks, and a device without its connection (400, naming the path), writing nothing', async () => {
    const badMap = {
      metrics: [
        registerMap.metrics[0],
        { metric: 'flow_rate', function: 'input_register', address: -1, type: 'int16', scale: -2, unit: 'm3/h' },
        { metric: 'cumulative_volume', function: 'holding_register', address: 10, type: 'float32', unit: 'm3' },
      ],
    };
    const invalid = await t.request('POST', '/api/products', { token: adminA, body: { ...product, code: 'MB-BAD', codecSettings: { registerMap: badMap } } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation_failed');
    expect(invalid.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'body.codecSettings.registerMap.metrics.1.address',
      'body.codecSettings.registerMap.metrics.2.metric',
      'body.codecSettings.registerMap.metrics.2.type',
    ]);

    const model = { ...thingModel, properties: thingModel.properties.filter((p) => p.identifier !== 'pressure'), services: thingModel.services.filter((s) => s.identifier !== 'valve_open') };
    const unknown = await t.request('POST', '/api/products', { token: adminA, body: { ...product, code: 'MB-BAD', thingModel: model }, headers: { 'accept-language': 'en' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([
      { path: 'body.codecSettings.registerMap.metrics.2.metric', code: 'metric_not_in_model', message: "The register map's metric pressure is not a property of the thing model" },
      { path: 'body.codecSettings.registerMap.services.valve_open', code: 'service_not_in_model', message: "The register map's service valve_open is not a service of the thing model" },
    ]);
    const noMap = await t.request('POST', '/api/products', { token: adminA, body: { ...product, code: 'MB-BAD', codecSettings: {} } });
    expect(noMap.body.error.details).toEqual([expect.objectContaining({ path: 'body.codecSettings.registerMap', code: 'register_map_required' })]);
    expect(noMap.body.error.details[0].message).toMatch(/寄存器映射/);
    const overMqtt = await t.request('POST', '/api/products', { token: adminA, body: { ...product, code: 'MB-BAD', transport: 'mqtt' } });
    expect(overMqtt.body.error.details).toEqual([expect.objectContaining({ path: 'body.transport', code: 'register_map_transport' })]);
    const stray = await t.request('POST', '/api/products', { token: adminA, body: { ...product, code: 'MB-BAD', codec: 'json-thing-model' } });
    expect(stray.body.error.details).toEqual([expect.objectContaining({ path: 'body.codecSettings.registerMap', code: 'register_map_codec' })]);
    // A change that would orphan the map's metrics is refused the same way; the product stays as it was.
    const orphan = await t.request('PATCH', `/api/products/${productA}`, { token: adminA, body: { thingModel: model } });
    expect(orphan.status).toBe(400);
    expect(orphan.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.codecSettings.registerMap.metrics.2.metric', 'body.codecSettings.registerMap.services.valve_open']);
    // A product with devices cannot stop being polled under them.
    const unpoll = await t.request('PATCH', `/api/products/${productA}`, { token: adminA, body: { codec: 'json-thing-model', codecSettings: {} } });
    expect(unpoll.status).toBe(409);
    expect(unpoll.body.error.details[0].code).toBe('polling_changes_with_devices');

    const missing = await t.request('POST', '/api/devices', { token: adminA, body: { productId: productA, meterNumber: 'MB-BAD', deviceKey: 'mb-bad' }, headers: { 'accept-language': 'en' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([
      { path: 'body.connection', code: 'connection_required', message: expect.stringMatching(/^Devices of product MB-DN50 are polled over Modbus TCP: give their connection/) },
    ]);
    const zh = await t.request('POST', '/api/devices', { token: adminA, body: { productId: productA, meterNumber: 'MB-BAD', deviceKey: 'mb-bad' } });
    expect(zh.body.error.details[0].message).toMatch(/^产品「MB-DN50」的设备由平台通过 Modbus TCP 轮询/);
    const fields = await t.request('POST', '/api/devices', {
      token: adminA,
      body: { productId: productA, meterNumber: 'MB-BAD', deviceKey: 'mb-bad', connection: { host: 'no such host!', port: 0, unitId: 256, intervalSeconds: 2 } },
    });
    expect(fields.status).toBe(400);
    expect(fields.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'body.connection.host',
      'body.connection.intervalSeconds',
      'body.connection.port',
      'body.connection.unitId',
    ]);
    const mqttProduct = await ok(adminA, 'POST', '/api/products', { code: 'MQ-1', name: 'mqtt', kind: 'nb-iot-meter', transport: 'mqtt', codec: 'json-thing-model', thingModel: {} });
    const misplaced = await t.request('POST', '/api/devices', { token: adminA, body: { productId: mqttProduct.id, meterNumber: 'MB-BAD', deviceKey: 'mb-bad', connection: connectionTo(meterA) } });
    expect(misplaced.body.error.details).toEqual([expect.objectContaining({ path: 'body.connection', code: 'connection_not_polled' })]);
    // Moving a polled device to a product that is not polled needs its connection removed with it.
    const move = await t.request('PATCH', `/api/devices/${device.id}`, { token: adminA, body: { productId: mqttProduct.id } });
    expect(move.body.error.details).toEqual([expect.objectContaining({ path: 'body.connection', code: 'connection_not_polled' })]);
    const unset = await t.request('PATCH', `/api/devices/${device.id}`, { token: adminA, body: { connection: null } });
    expect(unset.body.error.details).toEqual([expect.objectContaining({ path: 'body.connection', code: 'connection_required' })]);

    const written = await asSystem(t.database.db, (tx) => tx.$count(devices, eq(devices.meterNumber, 'MB-BAD')));
    expect(written).toBe(0);
    expect((await ok(adminA, 'GET', '/api/products?q=MB-BAD')).total).toBe(0);
    expect((await ok(adminA, 'GET', `/api/products/${productA}`)).codec).toBe('modbus');
  });

  it('follows the registry: a new address is polled there, a retired meter is no longer polled, and a device that is not polled says so', async () => {
    const moved = await startMeter(55_000_000);
    meters.push(moved);
    await ok(adminA, 'PATCH', `/api/devices/${device.id}`, { connection: connectionTo(moved) });
    await eventually(async () => (await latest(device.id)).cumulative_volume === '55000000.000' || undefined, 'a poll at the new address');
    expect((await status(device.id)).connection.port).toBe(moved.port);

    await ok(adminA, 'POST', `/api/devices/${device.id}/transition`, { to: 'retired' });
    await eventually(async () => (await status(device.id)).polledHere === false || undefined, 'polling to stop');
    const before = moved.requests.length;
    const read = await t.request('POST', `/api/devices/${device.id}/modbus-read`, { token: adminA });
    expect(read.status).toBe(409);
    expect(moved.requests.length).toBe(before);

    const mqttProduct = (await ok(adminA, 'GET', '/api/products?q=MQ-1')).items[0].id;
    const mqttDevice = await ok(adminA, 'POST', '/api/devices', { productId: mqttProduct, meterNumber: 'MQ-0001', deviceKey: 'mq-0001' });
    expect(await status(mqttDevice.id)).toMatchObject({ deviceId: mqttDevice.id, polled: false, polledHere: false, connection: null, online: null, reads: [] });
    const notPolled = await t.request('POST', `/api/devices/${mqttDevice.id}/modbus-read`, { token: adminA });
    expect(notPolled.status).toBe(409);
    expect(notPolled.body.error.details[0].message).toMatch(/is not polled over Modbus TCP/);
  });
});

describe('Modbus TCP polling with two runtime nodes on one PostgreSQL', () => {
  let t: TestRuntime;
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
    await t?.close();
  });

  it('polls each meter from one node only; the other stands by and takes over when the first goes away', async () => {
    t = await startTestRuntime('postgres');
    const first = await t.runtime.iot!.startModbus(t.database, { timeoutMs: 500 });
    // A second node: its own process state on the same database (and its own analytics store).
    const database = await openDatabase({ url: (t.database as { url?: string }).url, poolSize: 3 });
    const second = await createRuntime({ database, config: loadConfig({ LOG_LEVEL: 'silent' }), analytics: await analyticsForTest(), logger: pino({ level: 'silent' }) });
    cleanup.push(async () => {
      await second.close();
      await database.close();
    });
    const standby = await second.iot!.startModbus(database, { timeoutMs: 500, reloadMs: 300 });
    expect([first.leading, standby.leading]).toEqual([true, false]);

    const meter = await startMeter(1_000);
    cleanup.push(() => meter.close());
    const admin = await t.login('admin@demo-county-a');
    const res = async (method: string, path: string, body?: unknown) => (await t.request(method, path, { token: admin, body })).body;
    const productId = (await res('POST', '/api/products', product)).id;
    const device = await res('POST', '/api/devices', { productId, meterNumber: 'MB-N-1', deviceKey: 'mb-n-1', connection: { host: '127.0.0.1', port: meter.port, unitId: 1, intervalSeconds: 3600 } });
    await eventually(async () => first.status(device.id)?.polls === 1, 'the first node’s poll');
    // Both nodes heard of the device; only the lock holder polls it (one read of the holding registers in all).
    await standby.reload();
    expect(standby.status(device.id)).toBeUndefined();
    expect(meter.requests.filter((r) => r.fc === 3)).toHaveLength(1);

    // The first node stops (its lock goes with it): the second takes over within a reload and polls.
    await first.close();
    await eventually(async () => standby.leading && standby.status(device.id)?.online === true, 'the second node to take over');
    expect(meter.requests.filter((r) => r.fc === 3)).toHaveLength(2);
  });
});
