import { asSystem, deviceCommands, queryRows, roles } from '@shuiyun/db';
import type { ExternalMqttBroker } from '@shuiyun/iot';
import { and, eq, sql } from 'drizzle-orm';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// The iot package owns the broker helpers; tests reach them by path because they are not part of its public face.
import { RUNTIME_ACCOUNT, startPrivateMosquitto, type PrivateMosquitto } from '../../../iot/src/testing/private-mosquitto.js';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

const name = (zh: string, en: string) => ({ zh, en });
const meterModel = {
  properties: [],
  events: [],
  services: [
    { identifier: 'valve_open', name: name('开阀', 'Open valve') },
    { identifier: 'valve_close', name: name('关阀', 'Close valve') },
    { identifier: 'read_now', name: name('立即抄表', 'Read now') },
  ],
};
const jsonModel = {
  properties: [],
  events: [],
  services: [
    { identifier: 'set_interval', name: name('上报间隔', 'Report interval'), inputs: [{ identifier: 'minutes', name: name('分钟', 'Minutes'), dataType: 'int', min: 1, max: 1440 }] },
  ],
};

/*
 * CJ/T 188 frames written out by hand (68 T A0…A6 C L DATA CS 16; address BCD, last two digits first;
 * CS = sum from 0x68 through the data, mod 256), so the test holds the runtime to the standard, not to
 * the codec's own encoder.
 */
const addressBytes = (address: string) => (address.match(/\d\d/g) ?? []).reverse().map((pair) => parseInt(pair, 16));
function frame(control: number, address: string, data: number[], preamble = 0): Buffer {
  const body = [0x68, 0x10, ...addressBytes(address), control, data.length, ...data];
  return Buffer.from([...Array<number>(preamble).fill(0xfe), ...body, body.reduce((sum, byte) => sum + byte, 0) % 256, 0x16]);
}
/** Valve control as the platform must send it: write data 0x04, DI A017 written 17 A0, SER, 0x55 open / 0x99 close, two wake-up bytes. */
const valveCommand = (address: string, serial: number, operation: 'open' | 'close') => frame(0x04, address, [0x17, 0xa0, serial, operation === 'open' ? 0x55 : 0x99], 2);
/** The meter's acknowledgement 0x84: DI, SER, ST. */
const valveAcknowledgement = (address: string, serial: number, status = [0x01, 0x00]) => frame(0x84, address, [0x17, 0xa0, serial, ...status]);
/** The meter refusing a write (0xC4): SER, ST. */
const writeRefusal = (address: string, serial: number) => frame(0xc4, address, [serial, 0x03, 0x00]);

/** The next message a device gets on its downlink topic. */
function nextDownlink(client: MqttClient, timeoutMs = 10_000): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no downlink arrived')), timeoutMs);
    client.once('message', (topic, payload) => {
      clearTimeout(timer);
      resolve({ topic, payload });
    });
  });
}

describe.each(drivers)('downlink commands through the embedded MQTT broker on %s', (driver) => {
  let t: TestRuntime;
  let mqttUrl: string;
  let adminA: string;
  let adminB: string;
  let viewerA: string;
  const clients: MqttClient[] = [];
  const meters: Record<string, { id: number; key: string; secret: string }> = {};

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const command = (meter: string, body: unknown, token = adminA) => t.request('POST', `/api/devices/${meters[meter]!.id}/commands`, { token, body });
  const status = async (id: number, token = adminA) => (await ok(token, 'GET', `/api/device-commands/${id}`)) as Record<string, any>;
  const rowsOf = (meter: string) =>
    asSystem(t.database.db, (tx) => tx.select().from(deviceCommands).where(eq(deviceCommands.deviceId, meters[meter]!.id)).orderBy(deviceCommands.id));
  /** A meter's MQTT connection, subscribed to its downlink topic unless told otherwise. */
  const connectMeter = async (meter: string, subscribe = true) => {
    const { key, secret } = meters[meter]!;
    const client = await connectAsync(mqttUrl, { username: key, password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    if (subscribe) await client.subscribeAsync(`devices/${key}/down`, { qos: 1 });
    return client;
  };
  const register = async (token: string, productId: number, meter: string, key: string, extra: Record<string, unknown> = {}, inService = true) => {
    const created = await ok(token, 'POST', '/api/devices', { productId, meterNumber: `M-${meter}`, deviceKey: key, ...extra });
    if (inService) {
      for (const to of ['accepted', 'in_service']) await ok(token, 'POST', `/api/devices/${created.id}/transition`, { to });
    }
    meters[meter] = { id: created.id, key, secret: created.mqttCredentials?.secret };
  };

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    mqttUrl = `mqtt://127.0.0.1:${(await t.runtime.iot!.startMqtt(0, '127.0.0.1')).port}`;
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const cjt = { code: 'CJT-VALVE', name: '阀控表', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel: meterModel };
    const productA = await ok(adminA, 'POST', '/api/products', cjt);
    const productB = await ok(adminB, 'POST', '/api/products', cjt);
    const jsonProduct = await ok(adminA, 'POST', '/api/products', { code: 'JSON-NB', name: 'JSON 表', kind: 'nb-iot-meter', transport: 'mqtt', codec: 'json-thing-model', thingModel: jsonModel });
    const hub = await ok(adminA, 'POST', '/api/products', { code: 'JZQ', name: '集中器', kind: 'concentrator', transport: 'mqtt', codec: 'cjt188', thingModel: { services: [] } });
    const wired = await ok(adminA, 'POST', '/api/products', { code: 'WIRED', name: '有线阀控表', kind: 'remote-read-meter', transport: 'modbus', codec: 'cjt188', thingModel: meterModel });
    await register(adminA, productA.id, 'a1', '10000000000001');
    await register(adminA, productA.id, 'a2', '10000000000002');
    await register(adminA, productA.id, 'a3', '10000000000003');
    await register(adminA, productA.id, 'idle', '10000000000009', {}, false);
    await register(adminB, productB.id, 'b1', '20000000000001');
    await register(adminA, jsonProduct.id, 'json', 'nb-0001');
    await register(adminA, hub.id, 'hub', '70000000000001');
    await register(adminA, wired.id, 'behind', '71000000000001', { gatewayId: meters.hub!.id });

    const [viewerRole] = await asSystem(t.database.db, (tx) =>
      tx.select().from(roles).where(and(eq(roles.tenantPath, sql`(select path from tenants where code = 'demo-county-a')`), eq(roles.code, 'viewer'))),
    );
    await ok(adminA, 'POST', '/api/users', { username: 'viewer@demo-county-a', displayName: '只读', password: TEST_PASSWORD, roleIds: [viewerRole!.id] });
    viewerA = await t.login('viewer@demo-county-a');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close();
  });

  it('sends valve_close as the exact CJ/T 188 frame on the meter’s downlink; the meter’s 0x84 reply acknowledges it', async () => {
    const { key } = meters.a1!;
    const meter = await connectMeter('a1');
    const downlink = nextDownlink(meter);
    const res = await command('a1', { service: 'valve_close' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ deviceId: meters.a1!.id, service: 'valve_close', params: {}, status: 'sent', failureReason: null });
    const { serial } = res.body;
    const expected = valveCommand(key, serial, 'close');
    expect(res.body.payloadHex).toBe(expected.toString('hex').toUpperCase());
    const received = await downlink;
    expect(received.topic).toBe(`devices/${key}/down`);
    expect([...received.payload]).toEqual([...expected]);

    // The PUBACK of the reply leaves after the command's new status is written.
    await meter.publishAsync(`devices/${key}/up`, valveAcknowledgement(key, serial), { qos: 1 });
    const answered = await status(res.body.id);
    expect(answered).toMatchObject({ status: 'acknowledged', reply: { status: ['0x01', '0x00'] }, failureReason: null });
    expect(new Date(answered.acknowledgedAt).getTime()).toBeGreaterThanOrEqual(new Date(answered.sentAt).getTime());
    expect(new Date(answered.sentAt).getTime()).toBeGreaterThanOrEqual(new Date(answered.queuedAt).getTime());

    // The valve can be opened again now that the close is done; the list shows the newest first.
    const reopen = await command('a1', { service: 'valve_open' });
    expect(reopen.status).toBe(202);
    expect(reopen.body.serial).toBe((serial + 1) % 256);
    const list = await ok(adminA, 'GET', `/api/devices/${meters.a1!.id}/commands`);
    expect(list.items.map((c: { id: number }) => c.id)).toEqual([reopen.body.id, res.body.id]);
    expect(list.total).toBe(2);
  });

  it('ignores a reply with a serial of no open command, and a reply naming another meter; the meter’s 0xC4 refusal fails the command with its reason', async () => {
    const { key } = meters.a1!;
    const meter = await connectMeter('a1', false);
    const [open] = (await ok(adminA, 'GET', `/api/devices/${meters.a1!.id}/commands?status=sent`)).items;
    expect(open.service).toBe('valve_open');
    await meter.publishAsync(`devices/${key}/up`, valveAcknowledgement(key, (open.serial + 7) % 256), { qos: 1 });
    await meter.publishAsync(`devices/${key}/up`, valveAcknowledgement(meters.a2!.key, open.serial), { qos: 1 });
    expect((await status(open.id)).status).toBe('sent');

    await meter.publishAsync(`devices/${key}/up`, writeRefusal(key, open.serial), { qos: 1 });
    const failed = await status(open.id);
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toMatch(/error reply 0xC4 .*SER/);
    expect(failed.acknowledgedAt).toBeNull();
  });

  it('refuses a second valve command for the same service while one is open (409), also when two arrive at once, and writes it once', async () => {
    // a2 is not connected: the first command waits, queued.
    const first = await command('a2', { service: 'valve_close' });
    expect(first.status).toBe(202);
    expect(first.body.status).toBe('queued');
    const again = await command('a2', { service: 'valve_close' });
    expect(again.status).toBe(409);
    expect(again.body.error.details[0].message).toContain(`command ${first.body.id}`);

    const both = await Promise.all([command('a2', { service: 'valve_open' }), command('a2', { service: 'valve_open' })]);
    expect(both.map((r) => r.status).sort()).toEqual([202, 409]);
    const rows = await rowsOf('a2');
    expect(rows.map((r) => [r.service, r.status])).toEqual([
      ['valve_close', 'queued'],
      ['valve_open', 'queued'],
    ]);
    // Open commands of one meter never share a serial: a reply names exactly one.
    expect(new Set(rows.map((r) => r.serial)).size).toBe(2);
  });

  it('sends what waited as soon as the meter subscribes to its downlink', async () => {
    const { key } = meters.a2!;
    const queued = await rowsOf('a2');
    const client = await connectAsync(mqttUrl, { username: key, password: meters.a2!.secret, reconnectPeriod: 0 });
    clients.push(client);
    const received: Buffer[] = [];
    client.on('message', (_topic, payload) => received.push(payload));
    await client.subscribeAsync(`devices/${key}/down`, { qos: 1 });
    await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 10_000 });
    expect(received.map((p) => p.toString('hex').toUpperCase())).toEqual(queued.map((r) => r.payloadHex));
    expect([...received[0]!]).toEqual([...valveCommand(key, queued[0]!.serial, 'close')]);
    expect((await rowsOf('a2')).map((r) => r.status)).toEqual(['sent', 'sent']);
  });

  it('answers 400 naming a service the product’s thing model lacks, or parameters it does not take, and writes nothing', async () => {
    const before = (await rowsOf('a3')).length;
    const missing = await command('a3', { service: 'set_price' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('validation_failed');
    expect(missing.body.error.details[0]).toMatchObject({ path: 'body.service', message: expect.stringMatching(/CJT-VALVE has no service set_price; its services: valve_open, valve_close, read_now/) });
    const extra = await command('a3', { service: 'valve_close', params: { force: true } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details[0].path).toBe('body.params.force');
    const badInput = await command('json', { service: 'set_interval', params: { minutes: 1.5 } });
    expect(badInput.status).toBe(400);
    expect(badInput.body.error.details[0]).toMatchObject({ path: 'body.params.minutes', message: 'must be a whole number' });
    expect((await command('json', { service: 'set_interval', params: {} })).status).toBe(400);
    expect((await rowsOf('a3')).length).toBe(before);
    expect(await rowsOf('json')).toEqual([]);
  });

  it('answers 409 for a device that is not in service, and 404 for another tenant’s device or command, writing nothing', async () => {
    const idle = await command('idle', { service: 'valve_close' });
    expect(idle.status).toBe(409);
    expect(idle.body.error.details[0].message).toMatch(/is installed; commands go to devices in service/);
    expect(await rowsOf('idle')).toEqual([]);

    const foreign = await command('b1', { service: 'valve_close' }, adminA);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    expect((await t.request('GET', `/api/devices/${meters.b1!.id}/commands`, { token: adminA })).status).toBe(404);
    expect(await rowsOf('b1')).toEqual([]);
    const own = await command('b1', { service: 'valve_close' }, adminB);
    expect(own.status).toBe(202);
    expect((await t.request('GET', `/api/device-commands/${own.body.id}`, { token: adminA })).status).toBe(404);
    expect((await t.request('GET', `/api/device-commands/${own.body.id}`, { token: adminB })).status).toBe(200);
  });

  it('lets a viewer read commands but not send one (403)', async () => {
    const denied = await command('a3', { service: 'valve_close' }, viewerA);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    expect(await rowsOf('a3')).toEqual([]);
    expect((await t.request('GET', `/api/devices/${meters.a1!.id}/commands`, { token: viewerA })).body.total).toBe(2);
  });

  it('sends a JSON device {service, params, id}; its {"id", "ok": false} answer fails the command with the device’s reason', async () => {
    const device = await connectMeter('json');
    const downlink = nextDownlink(device);
    const res = await command('json', { service: 'set_interval', params: { minutes: 30 } });
    expect(res.status).toBe(202);
    expect(JSON.parse((await downlink).payload.toString('utf8'))).toEqual({ service: 'set_interval', params: { minutes: 30 }, id: res.body.id });
    await device.publishAsync(`devices/${meters.json!.key}/up`, JSON.stringify({ id: res.body.id, ok: false, reason: 'busy' }), { qos: 1 });
    expect(await status(res.body.id)).toMatchObject({ status: 'failed', failureReason: 'busy' });
    // A reply is no report: the JSON codec never saw it, so nothing was counted as refused.
    expect((await t.request('GET', '/metrics')).body).not.toMatch(/shuiyun_iot_messages_rejected_total\{codec="json-thing-model"/);
  });

  it('reaches a meter behind a concentrator through the concentrator’s downlink, and takes the reply it relays', async () => {
    const hub = await connectMeter('hub');
    const downlink = nextDownlink(hub);
    const res = await command('behind', { service: 'valve_open' });
    expect(res.body.status).toBe('sent');
    const received = await downlink;
    expect(received.topic).toBe(`devices/${meters.hub!.key}/down`);
    expect([...received.payload]).toEqual([...valveCommand(meters.behind!.key, res.body.serial, 'open')]);
    await hub.publishAsync(`devices/${meters.hub!.key}/up`, valveAcknowledgement(meters.behind!.key, res.body.serial), { qos: 1 });
    expect((await status(res.body.id)).status).toBe('acknowledged');
  });

  it('answers read_now with the metering reply carrying its serial, whose readings are stored as usual', async () => {
    const { key } = meters.a3!;
    const meter = await connectMeter('a3');
    const downlink = nextDownlink(meter);
    const res = await command('a3', { service: 'read_now' });
    expect([...(await downlink).payload]).toEqual([...frame(0x01, key, [0x1f, 0x90, res.body.serial], 2)]);
    // 0x901F reply: DI, SER, current 123.45 m³, settlement 100.00 m³, clock 2026-11-27 16:00:00, ST.
    const reply = frame(0x81, key, [0x1f, 0x90, res.body.serial, 0x45, 0x23, 0x01, 0x00, 0x2c, 0x00, 0x00, 0x01, 0x00, 0x2c, 0x00, 0x00, 0x16, 0x27, 0x11, 0x26, 0x20, 0x00, 0x00]);
    await meter.publishAsync(`devices/${key}/up`, reply, { qos: 1 });
    expect((await status(res.body.id)).status).toBe('acknowledged');
    const readings = await ok(adminA, 'GET', `/api/devices/${meters.a3!.id}/readings?metric=cumulative_volume`);
    expect(readings.items).toEqual([{ metric: 'cumulative_volume', at: '2026-11-27T08:00:00.000Z', value: '123450.000' }]);
  });

  it('expires, on the sweep after the deadline, what was never delivered and what was never answered; a late reply changes nothing', async () => {
    const answeredLate = await command('a3', { service: 'valve_close', expiresInSeconds: 60 });
    expect(answeredLate.body.status).toBe('sent'); // a3 is listening
    const meter = await connectMeter('a1');
    const sent = await command('a1', { service: 'valve_close', expiresInSeconds: 60 });
    expect(sent.body.status).toBe('sent');
    await clients.find((c) => c.options.username === meters.a3!.key && c.connected)!.endAsync();
    await vi.waitFor(() => expect(t.runtime.iot!.canReachDownlink(meters.a3!.key)).toBe(false));
    const waiting = await command('a3', { service: 'valve_open', expiresInSeconds: 60 });
    expect(waiting.body.status).toBe('queued');

    expect(await t.runtime.iot!.commands.sweep(new Date(Date.now() + 30_000))).toMatchObject({ expired: 0 });
    expect((await status(waiting.body.id)).status).toBe('queued');
    const { expired } = await t.runtime.iot!.commands.sweep(new Date(Date.now() + 61_000));
    expect(expired).toBe(3);
    expect((await status(answeredLate.body.id)).status).toBe('expired');
    expect(await status(waiting.body.id)).toMatchObject({ status: 'expired', failureReason: expect.stringMatching(/not delivered/), sentAt: null });
    expect(await status(sent.body.id)).toMatchObject({ status: 'expired', failureReason: expect.stringMatching(/did not answer/) });

    await meter.publishAsync(`devices/${meters.a1!.key}/up`, valveAcknowledgement(meters.a1!.key, sent.body.serial), { qos: 1 });
    expect((await status(sent.body.id)).status).toBe('expired');
    // Nothing open is left behind on the meter: a new close goes through.
    expect((await command('a1', { service: 'valve_close' })).status).toBe(202);
    const [{ n }] = (await asSystem(t.database.db, (tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from device_commands where status in ('queued', 'sent') and expires_at <= now() + interval '61 seconds'`),
    )) as [{ n: number }];
    expect(n).toBe(0);
  });
});

describe.each(drivers)('downlink commands through an external Mosquitto, the runtime as its MQTT client, on %s', (driver) => {
  let t: TestRuntime;
  let mosquitto: PrivateMosquitto;
  let external: ExternalMqttBroker;
  let meterClient: MqttClient;
  const key = '10000000000021';
  let deviceId: number;

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    const admin = await t.login('admin@demo-county-a');
    const ok = async (method: string, path: string, body?: unknown) => (await t.request(method, path, { token: admin, body })).body;
    const product = await ok('POST', '/api/products', { code: 'CJT-EXT', name: '阀控表', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel: meterModel });
    const device = await ok('POST', '/api/devices', { productId: product.id, meterNumber: 'M-EXT', deviceKey: key });
    for (const to of ['accepted', 'in_service']) await ok('POST', `/api/devices/${device.id}/transition`, { to });
    deviceId = device.id;
    mosquitto = await startPrivateMosquitto({ accounts: { [key]: device.mqttCredentials.secret } });
    external = await t.runtime.iot!.connectMqtt(mosquitto.url, { ...RUNTIME_ACCOUNT, clientId: `shuiyun-commands-${driver}`, sharedGroup: 'shuiyun' });
    meterClient = await connectAsync(mosquitto.url, { username: key, password: device.mqttCredentials.secret, clientId: `meter-${driver}`, reconnectPeriod: 0 });
    await meterClient.subscribeAsync(`devices/${key}/down`, { qos: 1 });
  });
  afterAll(async () => {
    await meterClient?.endAsync(true).catch(() => undefined);
    await t?.close();
    await mosquitto?.stop();
  });

  it('publishes the command through the external broker and takes the 0x84 reply from the shared subscription', async () => {
    expect(external.connected).toBe(true);
    const admin = await t.login('admin@demo-county-a');
    const downlink = nextDownlink(meterClient);
    const res = await t.request('POST', `/api/devices/${deviceId}/commands`, { token: admin, body: { service: 'valve_close' } });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('sent');
    expect([...(await downlink).payload]).toEqual([...valveCommand(key, res.body.serial, 'close')]);
    await meterClient.publishAsync(`devices/${key}/up`, valveAcknowledgement(key, res.body.serial), { qos: 1 });
    // The device's PUBACK comes from Mosquitto, not after the runtime's write: wait for it.
    await vi.waitFor(async () => expect((await t.request('GET', `/api/device-commands/${res.body.id}`, { token: admin })).body.status).toBe('acknowledged'), {
      timeout: 20_000,
      interval: 100,
    });
  });
});
