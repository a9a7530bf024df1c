import { encodeMeterDataReply, encodeValveControlCommand } from '@shuiyun/codec-cjt188';
import type { ExternalMqttBroker } from '@shuiyun/iot';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// The iot package owns the broker helpers; tests reach them by path because they are not part of its public face.
import { RUNTIME_ACCOUNT, startPrivateMosquitto, startTcpProxy, type PrivateMosquitto, type TcpProxy } from '../../../iot/src/testing/private-mosquitto.js';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';

const thingModel = {
  properties: [{ identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 2, access: 'r' }],
  events: [],
  services: [],
};

/** A key only the broker knows (provisioned there, never registered, or since deleted from the registry). */
const UNREGISTERED_KEY = '99999999999999';
/** Registered in two tenants: a topic alone cannot say whose it is. */
const SHARED_KEY = '30000000000001';

describe.each(drivers)('meters reporting through an external Mosquitto, the runtime as its MQTT client, on %s', (driver) => {
  let t: TestRuntime;
  let mosquitto: PrivateMosquitto;
  let network: TcpProxy;
  let external: ExternalMqttBroker;
  let adminA: string;
  let adminB: string;
  const clients: MqttClient[] = [];
  const meters: Record<string, { id: number; key: string; secret: string }> = {};

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const meterClient = async (name: string, protocolVersion: 4 | 5 = 4) => {
    const { key, secret } = meters[name]!;
    const client = await connectAsync(mosquitto.url, { username: key, password: secret, clientId: `${name}-${Math.random()}`, protocolVersion, reconnectPeriod: 0 });
    clients.push(client);
    return client;
  };
  const readings = async (name: string, token: string) => {
    const res = await t.request('GET', `/api/devices/${meters[name]!.id}/readings?metric=cumulative_volume`, { token });
    expect(res.status).toBe(200);
    return res.body.items as { at: string; value: string }[];
  };
  const frame = (key: string, litres: number, at: string) => Buffer.from(encodeMeterDataReply({ address: key, cumulativeLitres: litres, at: new Date(at) }));
  const until = (check: () => Promise<void> | void) => vi.waitFor(check, { timeout: 20_000, interval: 50 });
  const metric = async (name: string) => {
    const text = (await t.request('GET', '/metrics')).body as string;
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const product = { code: 'CJT-EXT', name: 'CJ/T 188 over an external broker', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel };
    const productA = await ok(adminA, 'POST', '/api/products', product);
    const productB = await ok(adminB, 'POST', '/api/products', product);
    for (const [name, token, productId, key] of [
      ['a1', adminA, productA.id, '10000000000011'],
      ['a2', adminA, productA.id, '10000000000012'],
      ['b1', adminB, productB.id, '20000000000011'],
      ['sharedA', adminA, productA.id, SHARED_KEY],
      ['sharedB', adminB, productB.id, SHARED_KEY],
    ] as const) {
      const created = await ok(token, 'POST', '/api/devices', { productId, meterNumber: `M-${name}`, deviceKey: key });
      meters[name] = { id: created.id, key, secret: created.mqttCredentials.secret };
    }
    meters.unregistered = { id: 0, key: UNREGISTERED_KEY, secret: 'provisioned-at-the-broker-only' };
    // The broker's password file holds what the registry issued (username = device key); the shared key's
    // account is tenant A's meter, as one broker can hold only one password per user name.
    mosquitto = await startPrivateMosquitto({
      accounts: Object.fromEntries(Object.entries(meters).filter(([name]) => name !== 'sharedB').map(([, m]) => [m.key, m.secret])),
    });
    network = await startTcpProxy(mosquitto.port);
    external = await t.runtime.iot!.connectMqtt(network.url, { ...RUNTIME_ACCOUNT, clientId: `shuiyun-node-1-${driver}`, sharedGroup: 'shuiyun' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close(); // closes the runtime's broker client first
    await network?.close();
    await mosquitto?.stop();
  });

  it('stores a CJ/T 188 report a meter published through Mosquitto with QoS 1, under the meter’s tenant; the meter goes online', async () => {
    const a1 = await meterClient('a1');
    await a1.publishAsync(`devices/${meters.a1!.key}/up`, frame(meters.a1!.key, 123_450, '2026-11-28T01:00:00Z'), { qos: 1 });
    await until(async () => expect(await readings('a1', adminA)).toEqual([{ metric: 'cumulative_volume', at: '2026-11-28T01:00:00.000Z', value: '123450.000' }]));
    await t.runtime.iot!.settle();
    expect(await ok(adminA, 'GET', `/api/devices/${meters.a1!.id}`)).toMatchObject({ online: true, lastSeenAt: '2026-11-28T01:00:00.000Z' });
    expect((await t.request('GET', `/api/devices/${meters.a1!.id}/readings?metric=cumulative_volume`, { token: adminB })).status).toBe(404);
  });

  it('delivers and stores a report published while the runtime was cut off from the broker, once it has reconnected', async () => {
    const connectsBefore = external.stats.connects;
    await network.cut();
    await until(() => expect(external.connected).toBe(false));
    const a2 = await meterClient('a2');
    // The broker accepts it for the runtime's persistent session and holds it there.
    await a2.publishAsync(`devices/${meters.a2!.key}/up`, frame(meters.a2!.key, 5_000, '2026-11-28T02:00:00Z'), { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readings('a2', adminA)).toEqual([]);
    await network.restore();
    await until(async () => expect(await readings('a2', adminA)).toEqual([{ metric: 'cumulative_volume', at: '2026-11-28T02:00:00.000Z', value: '5000.000' }]));
    expect(external.stats.connects).toBe(connectsBefore + 1);
  });

  it('never receives what a meter publishes to another meter’s topic: the broker’s ACL drops it', async () => {
    const a1 = await meterClient('a1');
    const receivedBefore = external.stats.received;
    // An MQTT 3.1.1 meter gets a plain PUBACK from Mosquitto either way; the message goes nowhere.
    await a1.publishAsync(`devices/${meters.b1!.key}/up`, frame(meters.b1!.key, 999_990, '2026-11-28T03:00:00Z'), { qos: 1 });
    // Behind it on the same connection, an honest report: once that is stored, the forged one would have been too.
    await a1.publishAsync(`devices/${meters.a1!.key}/up`, frame(meters.a1!.key, 124_000, '2026-11-28T03:01:00Z'), { qos: 1 });
    await until(async () => expect((await readings('a1', adminA)).map((r) => r.at)).toContain('2026-11-28T03:01:00.000Z'));
    expect(external.stats.received).toBe(receivedBefore + 1);
    expect(await readings('b1', adminB)).toEqual([]);
  });

  it('refuses a frame that names another meter than its topic’s, acknowledging it and storing nothing', async () => {
    const a2 = await meterClient('a2');
    const ackedBefore = external.stats.acknowledged;
    await a2.publishAsync(`devices/${meters.a2!.key}/up`, frame(meters.b1!.key, 10, '2026-11-28T04:00:00Z'), { qos: 1 });
    await until(() => expect(external.stats.acknowledged).toBe(ackedBefore + 1));
    expect((await t.request('GET', '/metrics')).body).toMatch(/shuiyun_iot_messages_rejected_total\{codec="cjt188",code="device_mismatch"\} 1/);
    expect((await readings('a2', adminA)).map((r) => r.at)).not.toContain('2026-11-28T04:00:00.000Z');
    expect(await readings('b1', adminB)).toEqual([]);
  });

  it('acknowledges and counts a report from a key the registry does not know, or that two tenants share, and stores nothing', async () => {
    const pipeline = t.runtime.iot!.pipeline;
    await pipeline.flush();
    const itemsBefore = pipeline.batcherStats.items;
    const ackedBefore = external.stats.acknowledged;
    const unregistered = await meterClient('unregistered');
    await unregistered.publishAsync(`devices/${UNREGISTERED_KEY}/up`, frame(UNREGISTERED_KEY, 1_000, '2026-11-28T05:00:00Z'), { qos: 1 });
    const shared = await meterClient('sharedA');
    await shared.publishAsync(`devices/${SHARED_KEY}/up`, frame(SHARED_KEY, 2_000, '2026-11-28T05:00:00Z'), { qos: 1 });
    await until(() => expect(external.stats.acknowledged).toBe(ackedBefore + 2));
    expect(await metric('shuiyun_iot_mqtt_unidentified_total')).toBe(2);
    await pipeline.flush();
    expect(pipeline.batcherStats.items).toBe(itemsBefore);
    expect(await readings('sharedA', adminA)).toEqual([]);
    expect(await readings('sharedB', adminB)).toEqual([]);
  });

  it('delivers a downlink command to its meter only', async () => {
    const b1 = await meterClient('b1');
    const a1 = await meterClient('a1');
    await b1.subscribeAsync(`devices/${meters.b1!.key}/down`, { qos: 1 });
    // Mosquitto grants a subscription to another meter's topic, but its ACL delivers nothing on it.
    await a1.subscribeAsync(`devices/${meters.b1!.key}/down`, { qos: 1 });
    const overheard: string[] = [];
    a1.on('message', (topic) => overheard.push(topic));
    const received = new Promise<{ topic: string; payload: Buffer }>((resolve) => b1.once('message', (topic, payload) => resolve({ topic, payload })));
    const command = encodeValveControlCommand({ meterType: 0x10, address: meters.b1!.key, serial: 9, operation: 'close' });
    await external.sendDownlink(meters.b1!.key, command);
    const message = await received;
    expect(message.topic).toBe(`devices/${meters.b1!.key}/down`);
    expect(new Uint8Array(message.payload)).toEqual(command);
    await a1.publishAsync(`devices/${meters.a1!.key}/up`, frame(meters.a1!.key, 125_000, '2026-11-28T06:00:00Z'), { qos: 1 }); // a round trip on a1's connection
    expect(overheard).toEqual([]);
  });
});
