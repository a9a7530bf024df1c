import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import type { ExternalMqttBroker } from '@shuiyun/iot';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
// The iot package owns the broker helpers; tests reach them by path because they are not part of its public face.
import { DYNSEC_ADMIN, RUNTIME_ACCOUNT, startPrivateMosquitto, startTcpProxy, type PrivateMosquitto, type TcpProxy } from '../../../iot/src/testing/private-mosquitto.js';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';
import { BrokerCredentials } from './broker-credentials.js';

const thingModel = {
  properties: [{ identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 2, access: 'r' }],
  events: [],
  services: [],
};

describe.each(drivers)('device credentials provisioned into Mosquitto’s dynamic-security plugin by the runtime, on %s', (driver) => {
  let t: TestRuntime;
  let mosquitto: PrivateMosquitto;
  /** Between the runtime's admin connection and the broker only: devices and the uplink client connect directly. */
  let adminNetwork: TcpProxy;
  let external: ExternalMqttBroker;
  let adminA: string;
  let adminB: string;
  let productA: { id: number };
  let productB: { id: number };
  let productJson: { id: number };
  const clients: MqttClient[] = [];
  const meters: Record<string, { id: number; key: string; secret: string }> = {};
  let nextKey = 10000000000100;

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const register = async (name: string, token = adminA, productId = productA.id, key = String(nextKey++)) => {
    const created = await ok(token, 'POST', '/api/devices', { productId, meterNumber: `M-${name}`, deviceKey: key });
    meters[name] = { id: created.id, key, secret: created.mqttCredentials.secret };
    return created;
  };
  const signIn = async (username: string, password: string, protocolVersion: 4 | 5 = 5) => {
    const client = await connectAsync(mosquitto.url, { username, password, clientId: `${username}-${Math.random()}`, protocolVersion, reconnectPeriod: 0 });
    clients.push(client);
    return client;
  };
  const meter = (name: string, protocolVersion: 4 | 5 = 5) => signIn(meters[name]!.key, meters[name]!.secret, protocolVersion);
  /** 'accepted', or the reason Mosquitto refused the CONNECT. */
  const signInOutcome = async (username: string, password: string) => {
    try {
      await (await signIn(username, password)).endAsync(true);
      return 'accepted';
    } catch (error) {
      return (error as Error).message;
    }
  };
  const readings = async (name: string, token = adminA) => {
    const res = await t.request('GET', `/api/devices/${meters[name]!.id}/readings?metric=cumulative_volume`, { token });
    expect(res.status).toBe(200);
    return res.body.items as { at: string; value: string }[];
  };
  const report = (name: string, litres: number, at: string) => Buffer.from(encodeMeterDataReply({ address: meters[name]!.key, cumulativeLitres: litres, at: new Date(at) }));
  const brokerAccount = async (name: string, token = adminA) => (await ok(token, 'GET', `/api/devices/${meters[name]!.id}/broker-account`)).state as string;
  const until = (check: () => Promise<void> | void) => vi.waitFor(check, { timeout: 20_000, interval: 50 });
  const retire = async (name: string) => {
    for (const to of ['accepted', 'in_service', 'retired']) await ok(adminA, 'POST', `/api/devices/${meters[name]!.id}/transition`, { to });
  };

  beforeAll(async () => {
    mosquitto = await startPrivateMosquitto({ dynsec: {} });
    adminNetwork = await startTcpProxy(mosquitto.port);
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const cjt = { code: 'CJT-DYNSEC', name: 'CJ/T 188 over Mosquitto', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel };
    productA = await ok(adminA, 'POST', '/api/products', cjt);
    productB = await ok(adminB, 'POST', '/api/products', cjt);
    productJson = await ok(adminA, 'POST', '/api/products', { ...cjt, code: 'JSON-DYNSEC', codec: 'json-thing-model' });
    // Registered before the runtime provisions anything: its secret exists only as a digest now.
    await register('before');
    external = await t.runtime.iot!.connectMqtt(mosquitto.url, { ...RUNTIME_ACCOUNT, clientId: `shuiyun-dynsec-node-${driver}`, sharedGroup: 'shuiyun' });
    await t.runtime.iot!.provisionBrokerCredentials(adminNetwork.url, {
      ...DYNSEC_ADMIN,
      clientId: `shuiyun-dynsec-admin-${driver}`,
      reconnectPeriodMs: 100,
      retryDelay: { initialMs: 50, maxMs: 400 },
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await t?.close();
    await adminNetwork?.close();
    await mosquitto?.stop();
  });

  it('registers a meter whose issued secret Mosquitto accepts at once; the meter’s report lands in the readings API', async () => {
    const created = await register('a1');
    expect(created.brokerAccount).toBe('provisioned');
    expect(await brokerAccount('a1')).toBe('provisioned');
    const a1 = await meter('a1');
    await a1.publishAsync(`devices/${meters.a1!.key}/up`, report('a1', 123_450, '2026-12-01T01:00:00Z'), { qos: 1 });
    await until(async () => expect(await readings('a1')).toEqual([{ metric: 'cumulative_volume', at: '2026-12-01T01:00:00.000Z', value: '123450.000' }]));
    expect((await t.request('GET', '/metrics')).body).toMatch(/shuiyun_iot_broker_credentials_total\{action="provision",outcome="done"\} [1-9]/);
  });

  it('has Mosquitto refuse a wrong secret, and another meter’s secret', async () => {
    await register('a2');
    expect(await signInOutcome(meters.a2!.key, 'not-the-secret')).toMatch(/Not authorized/);
    expect(await signInOutcome(meters.a2!.key, meters.a1!.secret)).toMatch(/Not authorized/);
    expect(await signInOutcome(meters.a2!.key, meters.a2!.secret)).toBe('accepted');
  });

  it('confines a meter to its own topics: a report on another meter’s topic never arrives, another meter’s downlink cannot be subscribed to', async () => {
    const a1 = await meter('a1');
    const a1v311 = await meter('a1', 4);
    const a2 = await meter('a2');
    await expect(a1.publishAsync(`devices/${meters.a2!.key}/up`, report('a2', 999_990, '2026-12-01T02:00:00Z'), { qos: 1 })).rejects.toThrow(/Not authorized/);
    // An MQTT 3.1.1 meter gets a plain PUBACK; the message goes nowhere all the same.
    await a1v311.publishAsync(`devices/${meters.a2!.key}/up`, report('a2', 999_991, '2026-12-01T02:01:00Z'), { qos: 1 });
    // Behind them, an honest report: once it is stored, the forged ones would have been too.
    await a1v311.publishAsync(`devices/${meters.a1!.key}/up`, report('a1', 124_000, '2026-12-01T02:02:00Z'), { qos: 1 });
    await until(async () => expect((await readings('a1')).map((r) => r.at)).toContain('2026-12-01T02:02:00.000Z'));
    expect(await readings('a2')).toEqual([]);

    await expect(a1.subscribeAsync(`devices/${meters.a2!.key}/down`, { qos: 1 })).rejects.toThrow(/Not authorized/);
    await a2.subscribeAsync(`devices/${meters.a2!.key}/down`, { qos: 1 });
    const overheard: string[] = [];
    a1.on('message', (topic) => overheard.push(topic));
    const received = new Promise<string>((resolve) => a2.once('message', (topic) => resolve(topic)));
    await external.sendDownlink(meters.a2!.key, new Uint8Array([0x68, 0x16]));
    expect(await received).toBe(`devices/${meters.a2!.key}/down`);
    await a1.publishAsync(`devices/${meters.a1!.key}/up`, report('a1', 124_100, '2026-12-01T02:03:00Z'), { qos: 1 }); // a round trip on a1's connection
    expect(overheard).toEqual([]);
  });

  it('rotates a secret: the broker drops the meter’s connection, refuses the old secret and accepts the new one', async () => {
    const old = meters.a1!.secret;
    const connected = await meter('a1');
    const dropped = new Promise<void>((resolve) => connected.once('close', () => resolve()));
    const rotated = await ok(adminA, 'POST', `/api/devices/${meters.a1!.id}/secret`);
    expect(rotated).toMatchObject({ username: meters.a1!.key, brokerAccount: 'provisioned' });
    meters.a1!.secret = rotated.secret;
    await dropped;
    expect(await signInOutcome(meters.a1!.key, old)).toMatch(/Not authorized/);
    expect(await signInOutcome(meters.a1!.key, rotated.secret)).toBe('accepted');
    expect(await brokerAccount('a1')).toBe('provisioned');
  });

  it('disables a retired meter’s account: its secret is refused', async () => {
    await register('retiring');
    expect(await signInOutcome(meters.retiring!.key, meters.retiring!.secret)).toBe('accepted');
    await retire('retiring');
    await until(async () => expect(await signInOutcome(meters.retiring!.key, meters.retiring!.secret)).toMatch(/Not authorized/));
    await until(async () => expect(await brokerAccount('retiring')).toBe('disabled'));
  });

  it('deletes the account of a meter deleted from the registry', async () => {
    await register('mistake');
    expect(await signInOutcome(meters.mistake!.key, meters.mistake!.secret)).toBe('accepted');
    await ok(adminA, 'DELETE', `/api/devices/${meters.mistake!.id}`);
    await until(async () => expect(await signInOutcome(meters.mistake!.key, meters.mistake!.secret)).toMatch(/Not authorized/));
  });

  it('removes the account under a meter’s old key when its key changes; a rotation provisions the new key', async () => {
    await register('rekeyed');
    const oldKey = meters.rekeyed!.key;
    const newKey = String(nextKey++);
    await ok(adminA, 'PATCH', `/api/devices/${meters.rekeyed!.id}`, { deviceKey: newKey });
    meters.rekeyed!.key = newKey;
    await until(async () => expect(await signInOutcome(oldKey, meters.rekeyed!.secret)).toMatch(/Not authorized/));
    expect(await brokerAccount('rekeyed')).toBe('missing');
    const rotated = await ok(adminA, 'POST', `/api/devices/${meters.rekeyed!.id}/secret`);
    expect(rotated.brokerAccount).toBe('provisioned');
    expect(await signInOutcome(newKey, rotated.secret)).toBe('accepted');
  });

  it('answers pending while the broker cannot be reached, and provisions the meter once it is back', async () => {
    await adminNetwork.cut();
    await until(() => expect(t.runtime.iot!.brokerCredentials!.reachable).toBe(false));
    const created = await register('offline');
    expect(created.brokerAccount).toBe('pending');
    expect(await brokerAccount('offline')).toBe('pending');
    expect(await signInOutcome(meters.offline!.key, meters.offline!.secret)).toMatch(/Not authorized/);
    await adminNetwork.restore();
    await until(async () => expect(await signInOutcome(meters.offline!.key, meters.offline!.secret)).toBe('accepted'));
    // Pending until the node has checked, after the broker took it, that no rotation committed meanwhile.
    await until(async () => expect(await brokerAccount('offline')).toBe('provisioned'));
  });

  it('drops a secret queued while the broker was away when the meter is retired before it is back: the account never comes alive', async () => {
    await register('queued');
    await adminNetwork.cut();
    await until(() => expect(t.runtime.iot!.brokerCredentials!.reachable).toBe(false));
    const rotated = await ok(adminA, 'POST', `/api/devices/${meters.queued!.id}/secret`);
    expect(rotated.brokerAccount).toBe('pending');
    await retire('queued');
    await adminNetwork.restore();
    await until(async () => expect(await brokerAccount('queued')).toBe('disabled'));
    await t.runtime.iot!.brokerCredentials!.settled();
    expect(await signInOutcome(meters.queued!.key, rotated.secret)).toMatch(/Not authorized/);
    expect(await signInOutcome(meters.queued!.key, meters.queued!.secret)).toMatch(/Not authorized/);
  });

  it('refuses another tenant’s meter under the same key the broker account (a conflict); the first meter keeps signing in', async () => {
    const created = await register('sameKeyB', adminB, productB.id, meters.a1!.key);
    expect(created.brokerAccount).toBe('conflict');
    expect(await brokerAccount('sameKeyB', adminB)).toBe('conflict');
    expect(await signInOutcome(meters.a1!.key, created.mqttCredentials.secret)).toMatch(/Not authorized/);
    expect(await signInOutcome(meters.a1!.key, meters.a1!.secret)).toBe('accepted');
    expect(await brokerAccount('a1')).toBe('provisioned');
  });

  it('never hands a device the runtime’s or the plugin admin’s own account, whatever key it is registered under', async () => {
    for (const key of [RUNTIME_ACCOUNT.username, DYNSEC_ADMIN.username]) {
      const created = await register(`hijack-${key}`, adminA, productJson.id, key);
      expect(created.brokerAccount).toBe('conflict');
      const rotated = await ok(adminA, 'POST', `/api/devices/${created.id}/secret`);
      expect(rotated.brokerAccount).toBe('conflict');
      expect(await signInOutcome(key, rotated.secret)).toMatch(/Not authorized/);
    }
    expect(await signInOutcome(RUNTIME_ACCOUNT.username, RUNTIME_ACCOUNT.password)).toBe('accepted');
    expect(await signInOutcome(DYNSEC_ADMIN.username, DYNSEC_ADMIN.password)).toBe('accepted');
    expect(external.connected).toBe(true);
  });

  it('reports a meter registered before provisioning ran as missing, and rotate-device-secrets gives the broker every such meter of the product', async () => {
    expect(await brokerAccount('before')).toBe('missing');
    expect(await signInOutcome(meters.before!.key, meters.before!.secret)).toMatch(/Not authorized/);
    const bulk = await ok(adminA, 'POST', `/api/products/${productA.id}/rotate-device-secrets`);
    expect(bulk.items.map((item: { id: number }) => item.id)).toEqual([meters.before!.id]);
    expect(bulk).toMatchObject({ items: [{ username: meters.before!.key, brokerAccount: 'provisioned' }], skipped: [], remaining: 0 });
    expect(await signInOutcome(meters.before!.key, bulk.items[0].secret)).toBe('accepted');
    expect(await signInOutcome(meters.before!.key, meters.before!.secret)).toMatch(/Not authorized/);
    meters.before!.secret = bulk.items[0].secret;
    // Everything of the product is on the broker now: a second call rotates nothing.
    expect(await ok(adminA, 'POST', `/api/products/${productA.id}/rotate-device-secrets`)).toEqual({ items: [], skipped: [], remaining: 0 });
    // Another tenant's product is not found; a product without MQTT has no broker accounts.
    expect((await t.request('POST', `/api/products/${productB.id}/rotate-device-secrets`, { token: adminA })).status).toBe(404);
    const coap = await ok(adminA, 'POST', '/api/products', { code: 'CJT-COAP', name: 'CJ/T 188 over CoAP', kind: 'remote-read-meter', transport: 'coap', codec: 'cjt188', thingModel });
    const refused = await t.request('POST', `/api/products/${coap.id}/rotate-device-secrets`, { token: adminA, headers: { 'accept-language': 'zh-CN' } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details).toEqual([{ path: 'params.id', code: 'not_mqtt', message: '产品「CJT-COAP」的设备不登录 MQTT 代理（传输方式 coap），没有代理账号' }]);
  });

  it('applies on its next start a revocation that a restart lost while the broker was away (the sweep of owned accounts)', async () => {
    await register('lost');
    await adminNetwork.cut();
    await until(() => expect(t.runtime.iot!.brokerCredentials!.reachable).toBe(false));
    await retire('lost');
    // The node stops before the broker is back: the queued revocation goes with it.
    await t.runtime.iot!.brokerCredentials!.close();
    await adminNetwork.restore();
    expect(await signInOutcome(meters.lost!.key, meters.lost!.secret)).toBe('accepted');

    const restarted = await BrokerCredentials.start({
      db: t.database.db,
      logger: pino({ level: 'silent' }),
      metrics: new Registry(),
      url: mosquitto.url,
      ...DYNSEC_ADMIN,
      clientId: `shuiyun-dynsec-restarted-${driver}`,
    });
    try {
      await until(async () => expect(await signInOutcome(meters.lost!.key, meters.lost!.secret)).toMatch(/Not authorized/));
      expect(await restarted.state({ id: meters.lost!.id, deviceKey: meters.lost!.key, mqttSecretHash: null }, 'mqtt')).toBe('disabled');
      // The live meters' accounts are untouched by the sweep.
      expect(await signInOutcome(meters.a1!.key, meters.a1!.secret)).toBe('accepted');
      expect(await signInOutcome(meters.before!.key, meters.before!.secret)).toBe('accepted');
    } finally {
      await restarted.close();
    }
  });
});

describe('a runtime that does not provision broker credentials (no MQTT_DYNSEC_USERNAME)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('pglite');
  });
  afterAll(() => t?.close());

  it('says unmanaged for an MQTT device and not_applicable for a CoAP one, and refuses the bulk rotation with the reason', async () => {
    const token = await t.login('admin@demo-county-a');
    const post = async (path: string, body: unknown) => (await t.request('POST', path, { token, body })).body;
    const mqtt = await post('/api/products', { code: 'M', name: 'MQTT meter', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel });
    const coap = await post('/api/products', { code: 'C', name: 'CoAP meter', kind: 'remote-read-meter', transport: 'coap', codec: 'cjt188', thingModel });
    const mqttMeter = await post('/api/devices', { productId: mqtt.id, meterNumber: 'M-1', deviceKey: '10000000000001' });
    const coapMeter = await post('/api/devices', { productId: coap.id, meterNumber: 'C-1', deviceKey: '10000000000002' });
    // A secret is issued as before; there is no broker to give it to.
    expect(mqttMeter).toMatchObject({ mqttCredentials: { username: '10000000000001' }, brokerAccount: null });
    expect((await t.request('GET', `/api/devices/${mqttMeter.id}/broker-account`, { token })).body).toEqual({ deviceId: mqttMeter.id, username: '10000000000001', state: 'unmanaged' });
    expect((await t.request('GET', `/api/devices/${coapMeter.id}/broker-account`, { token })).body.state).toBe('not_applicable');
    const refused = await t.request('POST', `/api/products/${mqtt.id}/rotate-device-secrets`, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details[0]).toMatchObject({ code: 'unmanaged', message: expect.stringContaining('MQTT_DYNSEC_USERNAME') });
    // Nothing was rotated: the issued secret is still the device's.
    expect((await t.request('GET', `/api/devices/${mqttMeter.id}`, { token })).body.secretRotatedAt).toBe(mqttMeter.secretRotatedAt);
  });
});
