import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { asSystem, auditLog, platformDevices, queryRows } from '@shuiyun/db';
import { oneNetSignature } from '@shuiyun/iot';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';

const name = (zh: string, en: string) => ({ zh, en });
const thingModel = {
  properties: [{ identifier: 'cumulative_volume', name: name('累计流量', 'Cumulative volume'), dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 3, access: 'r' }],
  events: [],
  services: [
    { identifier: 'valve_open', name: name('开阀', 'Open valve') },
    { identifier: 'valve_close', name: name('关阀', 'Close valve') },
    { identifier: 'read_now', name: name('立即抄表', 'Read now') },
    { identifier: 'set_interval', name: name('上报间隔', 'Report interval'), inputs: [{ identifier: 'minutes', name: name('分钟', 'Minutes'), dataType: 'int', min: 1, max: 1440 }] },
  ],
};

/* CJ/T 188 frames written out by hand, so the test holds the runtime to the standard (see device-commands.test.ts). */
const addressBytes = (address: string) => (address.match(/\d\d/g) ?? []).reverse().map((pair) => parseInt(pair, 16));
function frame(control: number, address: string, data: number[], preamble = 0): Buffer {
  const body = [0x68, 0x10, ...addressBytes(address), control, data.length, ...data];
  return Buffer.from([...Array<number>(preamble).fill(0xfe), ...body, body.reduce((sum, byte) => sum + byte, 0) % 256, 0x16]);
}
const valveCommand = (address: string, serial: number, operation: 'open' | 'close') => frame(0x04, address, [0x17, 0xa0, serial, operation === 'open' ? 0x55 : 0x99], 2);
const valveAcknowledgement = (address: string, serial: number) => frame(0x84, address, [0x17, 0xa0, serial, 0x01, 0x00]);

interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * CTWing's and OneNET's open APIs are outside this machine: this in-test HTTP server stands in for both
 * (CTWing under /ctwing, OneNET under /onenet), records every request exactly as received, and answers
 * what the test tells it to.
 */
class PlatformStandIn {
  readonly received: ReceivedRequest[] = [];
  answer: (request: ReceivedRequest) => { status: number; body: unknown } = () => ({ status: 500, body: {} });
  private server!: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(request);
        const { status, body } = this.answer(request);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The AEP signature, written out from the AEP SDK's rule: application, timestamp, signed headers by name, body. */
function expectedCtwingSignature(appSecret: string, appKey: string, timestamp: string, masterKey: string, body: string): string {
  return createHmac('sha1', appSecret).update(`application:${appKey}\ntimestamp:${timestamp}\nMasterKey:${masterKey}\n${body}\n`).digest('base64');
}

describe.each(drivers)('commands to NB-IoT meters through CTWing and OneNET on %s', (driver) => {
  let t: TestRuntime;
  let standIn: PlatformStandIn;
  let adminA: string;
  let adminB: string;
  const device: Record<string, { id: number; key: string }> = {};
  const endpoint: Record<string, { id: number; pushPath: string }> = {};
  const ctwing = { appKey: 'aep-app-key-01', appSecret: 'aep-app-secret-SECRET-1', masterKey: 'aep-master-key-SECRET-2', productId: '15000301', deviceId: 'a0c1f6e2d3b44f5a9a1b2c3d4e5f6071', imei: '869000000000301' };
  const oneNet = { token: 'onenetToken0301', productId: '608123', accessKey: randomBytes(32).toString('base64'), resource: '3200/0/5750', imei: '869000000000401' };

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const command = (meter: string, body: unknown) => ok(adminA, 'POST', `/api/devices/${device[meter]!.id}/commands`, body);
  const status = (id: number) => ok(adminA, 'GET', `/api/device-commands/${id}`);
  const ctwingPush = (message: Record<string, unknown>) =>
    t.request('POST', endpoint.ctwing!.pushPath, { body: { deviceId: ctwing.deviceId, productId: ctwing.productId, tenantId: '2000301', IMEI: ctwing.imei, protocol: 'lwm2m', timestamp: Date.now(), ...message } });
  const ctwingData = (bytes: Buffer) => ctwingPush({ messageType: 'dataReport', upPacketSN: 1, upDataSN: 1, topic: 'v1/up/ad', payload: { APPdata: bytes.toString('base64') } });
  const ctwingResult = (taskId: string, resultCode: string, resultDetail: unknown = '') => ctwingPush({ messageType: 'commandResponse', taskId: Number(taskId), result: { resultCode, resultDetail } });
  const oneNetPush = (path: string, msg: unknown, token = oneNet.token) => {
    const text = JSON.stringify(msg);
    return t.request('POST', path, { body: `{"msg":${text},"nonce":"n0nce301","msg_signature":"${oneNetSignature(token, 'n0nce301', text)}"}` });
  };
  const toStandIn = (prefix: string) => standIn.received.filter((r) => r.url.startsWith(prefix));

  beforeAll(async () => {
    standIn = await new PlatformStandIn().start();
    t = await startTestRuntime(driver, { CTWING_API_URL: `${standIn.url}/ctwing`, ONENET_API_URL: `${standIn.url}/onenet` });
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const cjt = await ok(adminA, 'POST', '/api/products', { code: 'NB-AEP-CJT', name: 'NB-IoT 阀控表 (CTWing)', kind: 'nb-iot-meter', transport: 'http-push', codec: 'cjt188', thingModel });
    const json = await ok(adminA, 'POST', '/api/products', { code: 'NB-ONENET-JSON', name: 'NB-IoT 表 (OneNET)', kind: 'nb-iot-meter', transport: 'http-push', codec: 'json-thing-model', thingModel });
    const register = async (meter: string, productId: number, key: string) => {
      const created = await ok(adminA, 'POST', '/api/devices', { productId, meterNumber: `M-${meter}`, deviceKey: key });
      for (const to of ['accepted', 'in_service']) await ok(adminA, 'POST', `/api/devices/${created.id}/transition`, { to });
      device[meter] = { id: created.id, key };
    };
    // A CJ/T 188 meter is registered under its address; CTWing names it by IMEI and its own deviceId.
    await register('aep', cjt.id, '13000000000301');
    // OneNET names a device by dev_id, the key it is registered under here.
    await register('onenet', json.id, '5200301');
    const created = await ok(adminA, 'POST', '/api/push-endpoints', {
      platform: 'ctwing',
      name: 'CTWing 应用',
      platformApi: { appKey: ctwing.appKey, appSecret: ctwing.appSecret, masterKey: ctwing.masterKey },
    });
    endpoint.ctwing = created;
    endpoint.onenet = await ok(adminA, 'POST', '/api/push-endpoints', {
      platform: 'onenet',
      name: 'OneNET 产品',
      token: oneNet.token,
      platformApi: { productId: oneNet.productId, accessKey: oneNet.accessKey, commandResource: oneNet.resource },
    });
    endpoint.otherTenant = await ok(adminB, 'POST', '/api/push-endpoints', { platform: 'ctwing', name: 'B 的 CTWing' });
  });
  afterAll(async () => {
    await t?.close();
    await standIn?.stop();
  });

  it('keeps the platform API secrets write-only: never answered, never in the audit trail', async () => {
    const read = await ok(adminA, 'GET', `/api/push-endpoints/${endpoint.ctwing!.id}`);
    expect(read.platformApi).toEqual({ appKey: ctwing.appKey, productId: null, commandResource: null, hasSecret: true, hasMasterKey: true });
    expect(JSON.stringify(read)).not.toMatch(/SECRET/);
    const oneNetRead = await ok(adminA, 'GET', `/api/push-endpoints/${endpoint.onenet!.id}`);
    expect(oneNetRead.platformApi).toMatchObject({ productId: oneNet.productId, commandResource: oneNet.resource, hasSecret: true, hasMasterKey: false });
    expect(JSON.stringify(oneNetRead)).not.toContain(oneNet.accessKey);
    // A change that leaves the secrets out keeps them.
    await ok(adminA, 'PATCH', `/api/push-endpoints/${endpoint.ctwing!.id}`, { platformApi: { productId: ctwing.productId } });
    expect((await ok(adminA, 'GET', `/api/push-endpoints/${endpoint.ctwing!.id}`)).platformApi).toMatchObject({ productId: ctwing.productId, hasSecret: true, hasMasterKey: true });
    const trail = await asSystem(t.database.db, (tx) => tx.select().from(auditLog).where(eq(auditLog.entity, 'push_endpoints')));
    expect(trail.length).toBeGreaterThanOrEqual(3);
    const text = JSON.stringify(trail);
    for (const secret of [ctwing.appSecret, ctwing.masterKey, oneNet.accessKey]) expect(text).not.toContain(secret);
    expect(text).toContain(ctwing.appKey);
  });

  it('refuses incomplete or foreign platform API settings (400) and writes nothing', async () => {
    const missing = await t.request('POST', '/api/push-endpoints', { token: adminA, body: { platform: 'ctwing', name: 'x', platformApi: { appKey: 'k', appSecret: 's' } } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([expect.objectContaining({ path: 'body.platformApi.masterKey' })]);
    const foreign = await t.request('PATCH', `/api/push-endpoints/${endpoint.onenet!.id}`, { token: adminA, body: { platformApi: { masterKey: 'x' } } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.details[0].path).toBe('body.platformApi.masterKey');
    const endpoints = await ok(adminA, 'GET', '/api/push-endpoints');
    expect(endpoints.items.map((e: { name: string }) => e.name).sort()).toEqual(['CTWing 应用', 'OneNET 产品']);
  });

  it('sends a valve_close once the meter has reported through CTWing, as a signed CreateCommand; DELIVERED keeps it sent, the meter’s 0x84 data report acknowledges it (CTWing API stood in by an in-test HTTP server)', async () => {
    const { key } = device.aep!;
    standIn.answer = (r) => (r.url === '/ctwing/aep_device_command/command' ? { status: 200, body: { code: 0, msg: 'ok', result: { commandId: '674', commandStatus: '指令已保存' } } } : { status: 404, body: {} });
    const queued = await command('aep', { service: 'valve_close' });
    // How CTWing names the meter is learnt from its pushes: until it has reported, nothing can go out.
    expect(queued).toMatchObject({ status: 'queued' });
    expect(toStandIn('/ctwing')).toEqual([]);

    const before = Date.now();
    const report = Buffer.from(encodeMeterDataReply({ address: key, cumulativeLitres: 45_670, at: new Date('2026-11-27T16:00:00Z') }));
    expect((await ctwingData(report)).body).toEqual({ messages: 1, outcomes: { stored: 1 } });
    await vi.waitFor(async () => expect(await status(queued.id)).toMatchObject({ status: 'sent', platformCommandId: '674', pushEndpointId: endpoint.ctwing!.id }), { timeout: 10_000 });

    const [sent] = toStandIn('/ctwing');
    expect(toStandIn('/ctwing')).toHaveLength(1);
    expect(sent!.method).toBe('POST');
    expect(sent!.url).toBe('/ctwing/aep_device_command/command');
    const timestamp = sent!.headers.timestamp as string;
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(sent!.headers).toMatchObject({
      application: ctwing.appKey,
      version: '20190712225145',
      masterkey: ctwing.masterKey,
      'content-type': 'application/json; charset=UTF-8',
      signature: expectedCtwingSignature(ctwing.appSecret, ctwing.appKey, timestamp, ctwing.masterKey, sent!.body),
    });
    const body = JSON.parse(sent!.body);
    expect(body).toEqual({
      content: { dataType: 2, payload: valveCommand(key, queued.serial, 'close').toString('hex').toUpperCase() },
      deviceId: ctwing.deviceId,
      operator: 'shuiyun',
      productId: Number(ctwing.productId),
      ttl: expect.any(Number),
      level: 1,
    });
    expect(body.ttl).toBeGreaterThan(880);
    expect(body.ttl).toBeLessThanOrEqual(900);

    expect((await ctwingResult('674', 'DELIVERED')).body).toEqual({ messages: 1, outcomes: { command_response: 1 } });
    expect((await status(queued.id)).status).toBe('sent');
    // The meter's own answer comes back as a data report, matched by its SER.
    expect((await ctwingData(valveAcknowledgement(key, queued.serial))).body).toMatchObject({ messages: 1 });
    expect(await status(queued.id)).toMatchObject({ status: 'acknowledged', reply: { status: ['0x01', '0x00'] } });
    // A late platform result changes nothing now.
    await ctwingResult('674', 'TIMEOUT');
    expect((await status(queued.id)).status).toBe('acknowledged');
  });

  it('fails a command CTWing reports FAILED, a command CTWing refuses outright, and lets no other tenant’s endpoint settle one (CTWing API stood in by an in-test HTTP server)', async () => {
    let next = 700;
    standIn.answer = () => ({ status: 200, body: { code: 0, msg: 'ok', result: { commandId: String(++next) } } });
    const open = await command('aep', { service: 'valve_open' });
    expect(open).toMatchObject({ status: 'sent', platformCommandId: '701' });

    // Company B's endpoint names the same platform command id: not one of its commands.
    const foreign = await t.request('POST', endpoint.otherTenant!.pushPath, {
      body: { messageType: 'commandResponse', deviceId: ctwing.deviceId, timestamp: Date.now(), taskId: 701, result: { resultCode: 'SUCCESSFUL' } },
    });
    expect(foreign.body).toEqual({ messages: 1, outcomes: { command_response: 1 } });
    expect((await status(open.id)).status).toBe('sent');

    await ctwingResult('701', 'FAILED', 'valve motor stalled');
    expect(await status(open.id)).toMatchObject({ status: 'failed', failureReason: 'CTWing reported the command FAILED: valve motor stalled', acknowledgedAt: null });

    standIn.answer = () => ({ status: 200, body: { code: 6010, msg: '设备不存在', result: null } });
    const refused = await command('aep', { service: 'read_now' });
    expect(refused).toMatchObject({ status: 'failed', failureReason: 'CTWing refused the command: code 6010 (设备不存在)', platformCommandId: null });
  });

  it('sends a JSON device’s command to OneNET’s NB-IoT cached-command API with a signed token; type 7 results acknowledge or fail it (OneNET API stood in by an in-test HTTP server)', async () => {
    let uuid = 0;
    standIn.answer = (r) =>
      r.url.startsWith('/onenet/nbiot/execute/offline') ? { status: 200, body: { errno: 0, error: 'succ', data: { uuid: `3a351323-c4fe-5f21-9e9e-00000000000${++uuid}` } } } : { status: 404, body: {} };
    const interval = await command('onenet', { service: 'set_interval', params: { minutes: 30 } });
    expect(interval.status).toBe('queued');

    const before = Math.floor(Date.now() / 1000);
    const pushed = await oneNetPush(endpoint.onenet!.pushPath, { type: 1, dev_id: Number(device.onenet!.key), imei: oneNet.imei, ds_id: 'cumulative_volume', at: Date.now(), value: '12.345' });
    expect(pushed.body).toEqual({ messages: 1, outcomes: { stored: 1 } });
    await vi.waitFor(async () => expect(await status(interval.id)).toMatchObject({ status: 'sent', platformCommandId: '3a351323-c4fe-5f21-9e9e-000000000001' }), { timeout: 10_000 });

    const sent = toStandIn('/onenet');
    expect(sent).toHaveLength(1);
    const url = new URL(sent[0]!.url, standIn.url);
    expect(sent[0]!.method).toBe('POST');
    expect(url.pathname).toBe('/onenet/nbiot/execute/offline');
    const expiry = new Date(new Date(interval.expiresAt).getTime() + 8 * 3_600_000).toISOString().slice(0, 19);
    expect(Object.fromEntries(url.searchParams)).toEqual({ imei: oneNet.imei, obj_id: '3200', obj_inst_id: '0', res_id: '5750', expired_time: expiry });
    expect(JSON.parse(sent[0]!.body)).toEqual({ args: JSON.stringify({ service: 'set_interval', params: { minutes: 30 }, id: interval.id }) });
    // OneNET's token, recomputed from its documented rule; the access key itself never travels.
    const token = new URLSearchParams(sent[0]!.headers.authorization as string);
    const et = Number(token.get('et'));
    expect(et).toBeGreaterThanOrEqual(before + 3600);
    expect(et).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3600);
    expect(Object.fromEntries(token)).toEqual({
      version: '2018-10-31',
      res: `products/${oneNet.productId}`,
      et: String(et),
      method: 'sha1',
      sign: createHmac('sha1', Buffer.from(oneNet.accessKey, 'base64')).update(`${et}\nsha1\nproducts/${oneNet.productId}\n2018-10-31`).digest('base64'),
    });
    expect(sent[0]!.headers.authorization).toContain(`res=products%2F${oneNet.productId}&`);
    expect(JSON.stringify(sent[0]!.headers)).not.toContain(oneNet.accessKey);

    const result = { type: 7, dev_id: Number(device.onenet!.key), imei: oneNet.imei, cmd_id: '3a351323-c4fe-5f21-9e9e-000000000001', cmd_type: 0, send_time: Date.now() - 5_000, send_status: 5, confirm_time: Date.now(), confirm_status: 0 };
    expect((await oneNetPush(endpoint.onenet!.pushPath, result)).body).toEqual({ messages: 1, outcomes: { command_response: 1 } });
    expect(await status(interval.id)).toMatchObject({ status: 'acknowledged', reply: { platform: 'onenet', confirmStatus: 0, sendStatus: 5 } });

    const read = await command('onenet', { service: 'read_now' });
    expect(read).toMatchObject({ status: 'sent', platformCommandId: '3a351323-c4fe-5f21-9e9e-000000000002' });
    await oneNetPush(endpoint.onenet!.pushPath, { ...result, cmd_id: read.platformCommandId, confirm_status: 1 });
    expect(await status(read.id)).toMatchObject({ status: 'failed', failureReason: 'OneNET reported confirm_status 1 (send_status 5)' });
    const [learnt] = await asSystem(t.database.db, (tx) => tx.select().from(platformDevices).where(eq(platformDevices.deviceId, device.onenet!.id)));
    expect(learnt).toMatchObject({ pushEndpointId: endpoint.onenet!.id, platformDeviceId: device.onenet!.key, imei: oneNet.imei });
  });

  it('keeps a command queued while the platform cannot be reached, calls it again only after a pause, and expires the command at its deadline (CTWing API stood in by an in-test HTTP server)', async () => {
    standIn.answer = () => ({ status: 503, body: { message: 'Service Unavailable' } });
    const calls = toStandIn('/ctwing').length;
    const waiting = await command('aep', { service: 'valve_close', expiresInSeconds: 60 });
    expect(waiting).toMatchObject({ status: 'queued', sentAt: null, platformCommandId: null });
    expect(toStandIn('/ctwing').length).toBe(calls + 1);

    // Within the pause after a failed call, the sweep does not knock again.
    expect(await t.runtime.iot!.commands.sweep(new Date(Date.now() + 10_000))).toMatchObject({ sent: 0 });
    expect(toStandIn('/ctwing').length).toBe(calls + 1);
    expect((await status(waiting.id)).status).toBe('queued');

    await t.runtime.iot!.commands.sweep(new Date(Date.now() + 61_000));
    expect(await status(waiting.id)).toMatchObject({ status: 'expired', sentAt: null, failureReason: expect.stringMatching(/not delivered/) });
    const [{ n }] = (await asSystem(t.database.db, (tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from device_commands where device_id = ${device.aep!.id} and status in ('queued', 'sent')`),
    )) as [{ n: number }];
    expect(n).toBe(0);
  });
});
