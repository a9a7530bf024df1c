/**
 * Two ports a pack reaches beyond its tables: public routes (a payment platform's callback, signed by the
 * caller, served without sign-in at /api/ext-public/<tenant code>/<pack>/…) and the IoT downlink
 * (`services.devices`: a valve command to an NB-IoT meter through CTWing, followed to the meter's answer).
 * CTWing's open API is outside this machine: an in-test HTTP server stands in for it.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { definePack, defineRoute, PackError } from '@shuiyun/sdk';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const label = (zh: string, en: string) => ({ 'zh-CN': zh, en });
const SECRET = 'hook-secret-01';
const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');

const gate = definePack({
  id: 'gate',
  version: '1.0.0',
  platform: '^0.1.0',
  name: label('端口', 'Ports'),
  migrations: { postgres: [{ id: '0001_hooks', sql: `create table hooks (id bigserial primary key, tenant_id bigint not null, tenant_path ltree not null, name text not null, n integer not null);` }] },
  permissions: [{ name: 'gate.valve:operate', label: label('阀门', 'Valves') }],
  routes: [
    defineRoute({
      method: 'post',
      path: '/hooks/:name',
      permission: 'public',
      summary: 'A signed callback',
      params: z.object({ name: z.string().regex(/^[a-z]+$/) }),
      body: z.object({ n: z.number().int() }),
      handler: async ({ params, body, raw }, services) => {
        if (!raw || raw.headers['x-signature'] !== sign(raw.body)) throw new PackError('forbidden', label('签名不符', 'bad signature'), 'headers.x-signature');
        await services.transaction((tx) => tx.query(`insert into pack_gate.hooks (tenant_id, tenant_path, name, n) values ($1, $2::ltree, $3, $4)`, [services.tenant.id, services.tenant.path, params.name, body.n]));
        return { tenant: services.tenant.id, user: services.user, can: services.can('entity:read') };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/hooks',
      permission: 'entity:read',
      summary: 'Hooks heard',
      handler: async (_input, services) => services.transaction((tx) => tx.query(`select name, n from pack_gate.hooks order by id`)),
    }),
    defineRoute({
      method: 'post',
      path: '/valves/:device/:service',
      permission: 'gate.valve:operate',
      summary: 'Queue a valve command',
      params: z.object({ device: z.string(), service: z.string() }),
      status: 202,
      handler: async ({ params }, services) => services.transaction((tx) => services.devices!.command(tx, params.device, params.service, { expiresInSeconds: 600 })),
    }),
    defineRoute({
      method: 'get',
      path: '/commands/:id',
      permission: 'gate.valve:operate',
      summary: 'Where a command stands',
      params: z.object({ id: z.string() }),
      handler: async ({ params }, services) => {
        const found = await services.transaction((tx) => services.devices!.commandStatus(tx, params.id));
        if (!found) throw new PackError('not_found', label('没有该指令', 'no such command'));
        return found;
      },
    }),
  ],
});

/** CTWing's open API, stood in for: records requests and answers CreateCommand with a command id. */
class CtwingStandIn {
  readonly received: { url: string; body: string }[] = [];
  private server!: Server;
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ url: req.url!, body: Buffer.concat(chunks).toString('utf8') });
        const ok = req.url === '/ctwing/aep_device_command/command';
        res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { code: 0, msg: 'ok', result: { commandId: String(700 + this.received.length), commandStatus: '指令已保存' } } : {}));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  get url() {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const thingModel = {
  properties: [{ identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 3, access: 'r' }],
  events: [],
  services: [
    { identifier: 'valve_open', name: { zh: '开阀', en: 'Open valve' } },
    { identifier: 'valve_close', name: { zh: '关阀', en: 'Close valve' } },
  ],
};

describe('pack ports: public routes and the IoT downlink', () => {
  let kit: PackTestKit;
  let standIn: CtwingStandIn;
  let pushPath: string;
  const meterKey = '13000000000777';
  const ctwing = { deviceId: 'c0ffee00000000000000000000000777', productId: '15000777', imei: '869000000000777' };

  const ok = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await kit.request(method, path, { body, ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const hook = (code: string, name: string, body: string, signature = sign(body)) =>
    kit.request('POST', `/api/ext-public/${code}/gate/hooks/${name}`, { token: null, body, headers: { 'content-type': 'application/json', 'x-signature': signature } });
  const push = (message: Record<string, unknown>) =>
    kit.request('POST', pushPath, { token: null, body: { deviceId: ctwing.deviceId, productId: ctwing.productId, tenantId: '2000777', IMEI: ctwing.imei, protocol: 'lwm2m', timestamp: Date.now(), ...message } });

  beforeAll(async () => {
    standIn = await new CtwingStandIn().start();
    kit = await startPackTestKit({ packs: [gate], install: false, env: { CTWING_API_URL: `${standIn.url}/ctwing` } });
    await kit.install('gate');
    const product = await ok('POST', '/api/products', { code: 'NB-GATE', name: 'NB-IoT 阀控表', kind: 'nb-iot-meter', transport: 'http-push', codec: 'cjt188', thingModel });
    const device = await ok('POST', '/api/devices', { productId: product.id, meterNumber: 'M-777', deviceKey: meterKey });
    for (const to of ['accepted', 'in_service']) await ok('POST', `/api/devices/${device.id}/transition`, { to });
    const endpoint = await ok('POST', '/api/push-endpoints', { platform: 'ctwing', name: 'CTWing', platformApi: { appKey: 'k-777', appSecret: 's-777', masterKey: 'm-777' } });
    pushPath = endpoint.pushPath;
  });
  afterAll(async () => {
    await kit?.close();
    await standIn?.stop();
  });

  it('serves a public route without sign-in, with the exact body for the signature, in the tenant its address names', async () => {
    const body = '{"n": 7}';
    const res = await hook(kit.tenant.code, 'paid', body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ tenant: kit.tenant.id, user: null, can: false });
    expect(await ok('GET', '/api/ext/gate/hooks')).toEqual([{ name: 'paid', n: 7 }]);
  });

  it('lets the handler refuse a forged signature, and checks the path and body against the route schemas; nothing is written', async () => {
    expect((await hook(kit.tenant.code, 'forged', '{"n":1}', sign('{"n":2}'))).status).toBe(403);
    const badBody = await hook(kit.tenant.code, 'paid', '{"n":"x"}');
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.details[0].path).toBe('body.n');
    expect((await hook(kit.tenant.code, 'paid', '{not json')).status).toBe(400);
    expect((await hook(kit.tenant.code, 'UPPER', '{"n":1}')).status).toBe(400);
    expect(await ok('GET', '/api/ext/gate/hooks')).toEqual([{ name: 'paid', n: 7 }]);
  });

  it('answers 404 for an unknown tenant code and for a tenant without the pack', async () => {
    expect((await hook('no-such-tenant', 'paid', '{"n":1}')).status).toBe(404);
    const other = await hook(kit.otherTenant.code, 'paid', '{"n":1}');
    expect(other.status).toBe(404);
    expect(other.body.error.details[0].code).toBe('not_installed');
  });

  it('queues a valve command for an NB-IoT meter through services.devices, hands it to CTWing after commit, and follows it to acknowledged', async () => {
    const queued = await ok('POST', '/api/ext/gate/valves/M-777/valve_close');
    expect(queued).toMatchObject({ device: 'M-777', service: 'valve_close', status: 'queued', failureReason: null });
    // CTWing names the meter by the device id its pushes carry: the meter's first report lets the command go out.
    const report = Buffer.from(encodeMeterDataReply({ address: meterKey, cumulativeLitres: 1_000, at: new Date() }));
    expect((await push({ messageType: 'dataReport', upPacketSN: 1, upDataSN: 1, topic: 'v1/up/ad', payload: { APPdata: report.toString('base64') } })).status).toBe(200);
    await vi.waitFor(async () => expect(await ok('GET', `/api/ext/gate/commands/${queued.id}`)).toMatchObject({ status: 'sent' }), { timeout: 15_000 });
    expect(standIn.received.filter((r) => r.url === '/ctwing/aep_device_command/command')).toHaveLength(1);
    const taskId = JSON.parse((await ok('GET', `/api/device-commands/${queued.id}`)).platformCommandId as string) as number;
    expect((await push({ messageType: 'commandResponse', taskId, result: { resultCode: 'COMPLETED', resultDetail: '' } })).status).toBe(200);
    await vi.waitFor(async () => expect(await ok('GET', `/api/ext/gate/commands/${queued.id}`)).toMatchObject({ status: 'acknowledged' }), { timeout: 10_000 });
  });

  it('refuses a second open command of the same service (409), an unknown device (404), another tenant’s command (404) and a caller without the permission (403)', async () => {
    const first = await kit.request('POST', '/api/ext/gate/valves/M-777/valve_open');
    expect(first.status).toBe(202);
    const second = await kit.request('POST', '/api/ext/gate/valves/M-777/valve_open');
    expect(second.status).toBe(409);
    expect(second.body.error.details[0].message).toMatch(/valve_open/);
    expect((await kit.request('POST', '/api/ext/gate/valves/M-000/valve_open')).status).toBe(404);
    await kit.install('gate', { tenant: 'other' });
    expect((await kit.request('GET', `/api/ext/gate/commands/${first.body.id}`, { token: kit.otherTenant.token })).status).toBe(404);
    expect((await kit.request('POST', '/api/ext/gate/valves/M-777/valve_open', { token: kit.otherTenant.token })).status).toBe(404);
    const viewer = await kit.createUser({ username: 'viewer-gate@demo-county-a', roles: ['viewer'] });
    expect((await kit.request('POST', '/api/ext/gate/valves/M-777/valve_close', { token: viewer })).status).toBe(403);
  });
});
