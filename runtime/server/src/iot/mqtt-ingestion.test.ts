import { encodeMeterDataReply, encodeValveControlCommand } from '@shuiyun/codec-cjt188';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';

const thingModel = {
  properties: [{ identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 2, access: 'r' }],
  events: [],
  services: [],
};

describe.each(drivers)('meters reporting over the embedded MQTT broker on %s', (driver) => {
  let t: TestRuntime;
  let mqttUrl: string;
  let broker: Awaited<ReturnType<NonNullable<TestRuntime['runtime']['iot']>['startMqtt']>>;
  let adminA: string;
  let adminB: string;
  const clients: MqttClient[] = [];
  const meters: Record<string, { id: number; key: string; secret: string }> = {};

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const connect = async (username: string, password: string) => {
    const client = await connectAsync(mqttUrl, { username, password, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    return client;
  };
  const readings = (id: number, token = adminA) => t.request('GET', `/api/devices/${id}/readings?metric=cumulative_volume`, { token });

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    broker = await t.runtime.iot!.startMqtt(0, '127.0.0.1');
    mqttUrl = `mqtt://127.0.0.1:${broker.port}`;
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const productA = await ok(adminA, 'POST', '/api/products', { code: 'CJT-MQTT', name: 'CJ/T 188 over MQTT', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel });
    const productB = await ok(adminB, 'POST', '/api/products', { code: 'CJT-MQTT', name: 'CJ/T 188 over MQTT', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel });
    for (const [name, token, productId, key] of [
      ['a1', adminA, productA.id, '10000000000001'],
      ['a2', adminA, productA.id, '10000000000002'],
      ['b1', adminB, productB.id, '20000000000001'],
    ] as const) {
      const created = await ok(token, 'POST', '/api/devices', { productId, meterNumber: `M-${name}`, deviceKey: key });
      meters[name] = { id: created.id, key, secret: created.mqttCredentials.secret };
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close();
  });

  it('stores a QoS 1 report once its PUBACK has arrived, exactly, under the device’s tenant; the device goes online', async () => {
    const { key, secret, id } = meters.a1!;
    const client = await connect(key, secret);
    const at = new Date('2026-11-27T16:00:00Z');
    await client.publishAsync(`devices/${key}/up`, Buffer.from(encodeMeterDataReply({ address: key, cumulativeLitres: 123_450, at })), { qos: 1 });
    const res = await readings(id);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([{ metric: 'cumulative_volume', at: at.toISOString(), value: '123450.000' }]);
    await t.runtime.iot!.settle();
    const device = await ok(adminA, 'GET', `/api/devices/${id}`);
    expect(device).toMatchObject({ online: true, lastSeenAt: at.toISOString() });
  });

  it('counts a redelivered report once', async () => {
    const { key, secret, id } = meters.a1!;
    const client = await connect(key, secret);
    const frame = Buffer.from(encodeMeterDataReply({ address: key, cumulativeLitres: 130_000, at: new Date('2026-11-27T17:00:00Z') }));
    await client.publishAsync(`devices/${key}/up`, frame, { qos: 1 });
    await client.publishAsync(`devices/${key}/up`, frame, { qos: 1, dup: true });
    const res = await readings(id);
    expect(res.body.items.filter((r: { at: string }) => r.at === '2026-11-27T17:00:00.000Z')).toHaveLength(1);
  });

  it('refuses a wrong secret and a retired meter at CONNECT', async () => {
    await expect(connect(meters.a2!.key, 'not-the-secret')).rejects.toThrow(/Not authorized|Bad username or password/i);
  });

  it('cuts off a meter that publishes to another meter’s topic (even another tenant’s) and stores nothing for it', async () => {
    const client = await connect(meters.a1!.key, meters.a1!.secret);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const forged = Buffer.from(encodeMeterDataReply({ address: meters.b1!.key, cumulativeLitres: 999_990, at: new Date('2026-11-27T18:00:00Z') }));
    client.publish(`devices/${meters.b1!.key}/up`, forged, { qos: 1 });
    await closed;
    expect((await readings(meters.b1!.id, adminB)).body.items).toEqual([]);
  });

  it('refuses a frame that names another meter than the sender, on the sender’s own topic', async () => {
    const client = await connect(meters.a2!.key, meters.a2!.secret);
    const otherAddress = Buffer.from(encodeMeterDataReply({ address: meters.b1!.key, cumulativeLitres: 10, at: new Date('2026-11-27T19:00:00Z') }));
    // Acknowledged (resending would not help) but refused and counted; nothing is stored for either meter.
    await client.publishAsync(`devices/${meters.a2!.key}/up`, otherAddress, { qos: 1 });
    expect((await readings(meters.b1!.id, adminB)).body.items).toEqual([]);
    expect((await readings(meters.a2!.id)).body.items).toEqual([]);
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.body).toMatch(/shuiyun_iot_messages_rejected_total\{codec="cjt188",code="device_mismatch"\} 1/);
  });

  it('acknowledges a corrupt frame, stores nothing, and counts it with its reason', async () => {
    const { key, secret, id } = meters.a2!;
    const client = await connect(key, secret);
    const frame = encodeMeterDataReply({ address: key, cumulativeLitres: 5_000, at: new Date('2026-11-27T20:00:00Z') });
    frame[frame.length - 2] = frame[frame.length - 2]! ^ 0xff; // break the checksum
    await client.publishAsync(`devices/${key}/up`, Buffer.from(frame), { qos: 1 });
    expect((await readings(id)).body.items).toEqual([]);
    expect((await t.request('GET', '/metrics')).body).toMatch(/shuiyun_iot_messages_rejected_total\{codec="cjt188",code="bad_checksum"\} 1/);
  });

  it('lets a meter subscribe only to its own downlink topic', async () => {
    const client = await connect(meters.a1!.key, meters.a1!.secret);
    const own = await client.subscribeAsync(`devices/${meters.a1!.key}/down`, { qos: 1 });
    expect(own[0]!.qos).toBe(1);
    // Refused with a SUBACK failure (0x80), which mqtt.js reports as an error; the connection stays up.
    await expect(client.subscribeAsync(`devices/${meters.b1!.key}/down`, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(client.connected).toBe(true);
    await expect(client.subscribeAsync('devices/+/up', { qos: 1 })).rejects.toThrow(/Subscribe error/);
  });

  it('delivers a downlink command to the meter subscribed to its own topic', async () => {
    const client = await connect(meters.a2!.key, meters.a2!.secret);
    await client.subscribeAsync(`devices/${meters.a2!.key}/down`, { qos: 1 });
    const received = new Promise<{ topic: string; payload: Buffer }>((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload })));
    const command = encodeValveControlCommand({ meterType: 0x10, address: meters.a2!.key, serial: 7, operation: 'close' });
    await broker.sendDownlink(meters.a2!.key, command);
    const message = await received;
    expect(message.topic).toBe(`devices/${meters.a2!.key}/down`);
    expect(new Uint8Array(message.payload)).toEqual(command);
  });

  it('keeps each tenant’s readings to itself', async () => {
    expect((await readings(meters.a1!.id, adminB)).status).toBe(404);
    const group = await t.login('admin@demo-group');
    expect((await readings(meters.a1!.id, group)).body.items.length).toBeGreaterThan(0);
  });
});
