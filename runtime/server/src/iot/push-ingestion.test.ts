import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { asSystem, auditLog, queryRows } from '@shuiyun/db';
import { oneNetSignature } from '@shuiyun/iot';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPermissions, viewerPermissions } from '../permissions/catalogue.js';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

const thingModel = {
  properties: [
    { identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 3, access: 'r' },
    { identifier: 'pressure', name: { zh: '压力', en: 'Pressure' }, dataType: 'decimal', unit: 'kPa', min: 0, max: 2000, scale: 2, access: 'r' },
  ],
  events: [],
  services: [],
};

it('upgrades existing tenants’ built-in administrators with exactly the catalogue’s push-endpoint permissions, viewers with none', () => {
  const migration = readFileSync(new URL('../../../db/migrations/0007_push_endpoints_security.sql', import.meta.url), 'utf8');
  const updates = migration.split(/^UPDATE roles/m).slice(1);
  expect(updates).toHaveLength(1);
  expect(updates[0]).toMatch(/code = 'admin'/);
  const granted = [...updates[0]!.matchAll(/'(push-endpoint:[a-z-]+)'/g)].map((m) => m[1]).sort();
  expect(granted).toEqual(allPermissions.filter((p) => p.startsWith('push-endpoint:')).sort());
  expect(viewerPermissions.filter((p) => p.startsWith('push-endpoint:'))).toEqual([]);
});

/** Base64(MD5(token + nonce + msg)) is OneNET's own rule; the test signs with the endpoint's token like the platform does. */
function oneNetBody(token: string, msg: unknown, form: 'object' | 'string' = 'object', nonce = randomBytes(6).toString('base64url')): string {
  const msgText = JSON.stringify(msg);
  if (form === 'object') return `{"msg":${msgText},"nonce":"${nonce}","msg_signature":"${oneNetSignature(token, nonce, msgText)}"}`;
  return JSON.stringify({ msg: msgText, nonce, signature: oneNetSignature(token, nonce, msgText) });
}

/** OneNET's older encrypted form: AES-256-CBC, IV = the key's first 16 bytes, 16 random bytes + length + message. */
function oneNetEncryptedBody(token: string, key: Buffer, msg: unknown): string {
  const message = Buffer.from(JSON.stringify(msg));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  const encMsg = Buffer.concat([cipher.update(Buffer.concat([randomBytes(16), length, message])), cipher.final()]).toString('base64');
  const nonce = randomBytes(6).toString('base64url');
  return JSON.stringify({ enc_msg: encMsg, nonce, msg_signature: oneNetSignature(token, nonce, encMsg) });
}

const appData = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');

describe.each(drivers)('NB-IoT platform push on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  const device: Record<string, { id: number; key: string }> = {};
  const endpoint: Record<string, { id: number; code: string; pushPath: string }> = {};
  const secrets = {
    ctwingToken: 'ctwing-shared-7Hq2',
    oneNetToken: 'onenetToken0123',
    aesKey: randomBytes(32),
  };

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const readings = async (id: number, token = adminA) => {
    const res = await t.request('GET', `/api/devices/${id}/readings`, { token });
    expect(res.status).toBe(200);
    return res.body.items as { metric: string; at: string; value: string }[];
  };
  const volumes = async (id: number, token = adminA) => (await readings(id, token)).filter((r) => r.metric === 'cumulative_volume');
  const pushCtwing = (path: string, body: unknown, headers: Record<string, string> = {}) => t.request('POST', path, { body, headers });
  const pushOneNet = (path: string, body: string) => t.request('POST', path, { body });
  /** The current value of a counter line in /metrics, 0 when it has not been counted yet. */
  const counter = async (name: string, labels: string) => {
    const text = String((await t.request('GET', '/metrics')).body);
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const ctwingBase = (imei: string, timestamp: number) => ({
    deviceId: `aep-${imei.slice(-6)}`,
    productId: '15000001',
    tenantId: '2000001',
    IMEI: imei,
    IMSI: '460111234567890',
    timestamp,
    upPacketSN: 17,
    upDataSN: 3,
    serviceId: '',
    protocol: 'lwm2m',
    topic: 'v1/up/ad',
    deviceType: '',
    assocAssetId: '',
  });
  const dataReport = (imei: string, timestamp: number, bytes: Uint8Array | string) => ({
    ...ctwingBase(imei, timestamp),
    messageType: 'dataReport',
    payload: { APPdata: appData(bytes) },
  });

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const product = (token: string, code: string, codec: string, transport = 'http-push') =>
      ok(token, 'POST', '/api/products', { code, name: code, kind: 'nb-iot-meter', transport, codec, thingModel });
    const a = { cjt: await product(adminA, 'NB-CJT188', 'cjt188'), json: await product(adminA, 'NB-JSON', 'json-thing-model'), mqtt: await product(adminA, 'MQTT-JSON', 'json-thing-model', 'mqtt') };
    const b = { cjt: await product(adminB, 'NB-CJT188', 'cjt188'), json: await product(adminB, 'NB-JSON', 'json-thing-model') };
    const register = async (name: string, token: string, productId: number, key: string) => {
      const created = await ok(token, 'POST', '/api/devices', { productId, meterNumber: `M-${name}`, deviceKey: key });
      device[name] = { id: created.id, key };
    };
    // CTWing names devices by IMEI; a CJ/T 188 meter is registered under its 14-digit address.
    await register('ctwingJson', adminA, a.json.id, '869000000000101');
    await register('ctwingCjt', adminA, a.cjt.id, '11000000000101');
    await register('ctwingStatus', adminA, a.json.id, '869000000000102');
    // OneNET names devices by dev_id.
    await register('oneNetJson', adminA, a.json.id, '5100234');
    await register('oneNetStatus', adminA, a.json.id, '5100235');
    await register('oneNetCjt', adminA, a.cjt.id, '11000000000202');
    await register('mqttOnly', adminA, a.mqtt.id, '869000000000103');
    // Keys that exist only in county-b.
    await register('bJson', adminB, b.json.id, '869000000000999');
    await register('bOneNet', adminB, b.json.id, '5100999');
    await register('bCjt', adminB, b.cjt.id, '22000000000999');

    const create = async (name: string, body: Record<string, unknown>) => {
      const res = await t.request('POST', '/api/push-endpoints', { token: adminA, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      endpoint[name] = res.body;
    };
    await create('ctwing', { platform: 'ctwing', name: '电信 AEP' });
    await create('ctwingToken', { platform: 'ctwing', name: '电信 AEP（带令牌）', token: secrets.ctwingToken });
    await create('oneNet', { platform: 'onenet', name: '移动 OneNET', token: secrets.oneNetToken });
    await create('oneNetEncrypted', { platform: 'onenet', name: '移动 OneNET（加密）', token: secrets.oneNetToken, aesKey: secrets.aesKey.toString('base64').replace(/=+$/, '') });
  });
  afterAll(() => t?.close());

  describe('endpoints (推送地址)', () => {
    it('get a server-made, unguessable URL code; token and AES key are never returned', async () => {
      const codes = Object.values(endpoint).map((e) => e.code);
      for (const code of codes) expect(code).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(new Set(codes).size).toBe(codes.length);
      expect(endpoint.oneNet).toMatchObject({ platform: 'onenet', enabled: true, hasToken: true, hasAesKey: false, pushPath: `/api/push/onenet/${endpoint.oneNet!.code}` });
      expect(endpoint.oneNetEncrypted).toMatchObject({ hasToken: true, hasAesKey: true });
      expect(endpoint.ctwing).toMatchObject({ platform: 'ctwing', hasToken: false, pushPath: `/api/push/ctwing/${endpoint.ctwing!.code}` });

      const list = await ok(adminA, 'GET', '/api/push-endpoints?pageSize=200');
      const one = await ok(adminA, 'GET', `/api/push-endpoints/${endpoint.oneNetEncrypted!.id}`);
      for (const shown of [JSON.stringify(endpoint), JSON.stringify(list), JSON.stringify(one)]) {
        expect(shown).not.toContain(secrets.ctwingToken);
        expect(shown).not.toContain(secrets.oneNetToken);
        expect(shown).not.toContain(secrets.aesKey.toString('base64').slice(0, 20));
        expect(shown).not.toMatch(/"(token|aesKey)"/);
      }
      expect(list.items.map((e: { id: number }) => e.id)).toEqual(expect.arrayContaining(Object.values(endpoint).map((e) => e.id)));
    });

    it('keep secrets out of the audit trail, yet a change of token alone leaves an entry', async () => {
      const target = endpoint.oneNetEncrypted!;
      const changed = await ok(adminA, 'PATCH', `/api/push-endpoints/${target.id}`, { token: 'rotatedToken42' });
      expect(changed.secretsChangedAt).not.toBeNull();
      await ok(adminA, 'PATCH', `/api/push-endpoints/${target.id}`, { token: secrets.oneNetToken });
      const trail = await ok(adminA, 'GET', `/api/audit?entity=push_endpoints&entityId=${target.id}`);
      expect(trail.items.map((r: { action: string }) => r.action)).toEqual(['update', 'update', 'insert']);
      // Straight from the table, too: the API shows all there is.
      const rows = await asSystem(t.database.db, (tx) => tx.select().from(auditLog).where(eq(auditLog.entity, 'push_endpoints')));
      expect(rows.length).toBeGreaterThanOrEqual(4);
      const documents = JSON.stringify(rows.map((r) => [r.before, r.after]));
      for (const secret of [secrets.ctwingToken, secrets.oneNetToken, 'rotatedToken42', secrets.aesKey.toString('base64').slice(0, 20)]) {
        expect(documents).not.toContain(secret);
      }
      expect(documents).not.toMatch(/"(token|aes_key)"/);
    });

    it('refuse a OneNET endpoint without token, a CTWing one with an AES key, a key of the wrong size and a chosen code (400), writing nothing', async () => {
      const before = await asSystem(t.database.db, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from push_endpoints`));
      const bad: [unknown, string][] = [
        [{ platform: 'onenet', name: 'x' }, 'body.token'],
        [{ platform: 'ctwing', name: 'x', aesKey: randomBytes(32).toString('base64') }, 'body.aesKey'],
        [{ platform: 'onenet', name: 'x', token: 'abcdef', aesKey: randomBytes(20).toString('base64') }, 'body.aesKey'],
        [{ platform: 'onenet', name: 'x', token: 'has space' }, 'body.token'],
        [{ platform: 'ctwing', name: 'x', code: 'my-own-code' }, 'body'],
        [{ platform: 'lorawan', name: 'x' }, 'body.platform'],
      ];
      for (const [body, path] of bad) {
        const res = await t.request('POST', '/api/push-endpoints', { token: adminA, body, headers: { 'accept-language': 'en' } });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.details.map((d: { path: string }) => d.path).join(' '), JSON.stringify(body)).toContain(path);
      }
      const removeToken = await t.request('PATCH', `/api/push-endpoints/${endpoint.oneNet!.id}`, { token: adminA, body: { token: null } });
      expect(removeToken.status).toBe(400);
      const after = await asSystem(t.database.db, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from push_endpoints`));
      expect(after).toEqual(before);
      expect((await ok(adminA, 'GET', `/api/push-endpoints/${endpoint.oneNet!.id}`)).hasToken).toBe(true);
    });

    it('are an administrator’s business: a viewer gets 403, county-b does not see county-a’s', async () => {
      const me = await ok(adminA, 'GET', '/api/auth/me');
      const roles = await ok(adminA, 'GET', `/api/roles?tenantId=${me.tenant.id}`);
      const viewerRole = roles.items.find((r: { code: string }) => r.code === 'viewer');
      await ok(adminA, 'POST', '/api/users', { username: 'push.viewer', displayName: 'viewer', password: TEST_PASSWORD, roleIds: [viewerRole.id] });
      const viewer = await t.login('push.viewer');
      expect((await t.request('GET', '/api/push-endpoints', { token: viewer })).status).toBe(403);
      expect((await t.request('GET', `/api/push-endpoints/${endpoint.ctwing!.id}`, { token: adminB })).status).toBe(404);
      expect((await ok(adminB, 'GET', '/api/push-endpoints')).items).toEqual([]);
    });

    it('answer 404 for an unknown code, a code of the other platform and a disabled endpoint; a regenerated code retires the old URL', async () => {
      const report = dataReport(device.ctwingJson!.key, Date.parse('2026-11-01T07:00:00Z'), JSON.stringify({ properties: { cumulative_volume: '1.000' } }));
      expect((await pushCtwing(`/api/push/ctwing/${'x'.repeat(32)}`, report)).status).toBe(404);
      expect((await pushCtwing(`/api/push/ctwing/${endpoint.oneNet!.code}`, report)).status).toBe(404);
      expect((await t.request('GET', `/api/push/onenet/${endpoint.ctwing!.code}?msg=a&nonce=b&signature=c`)).status).toBe(404);

      const spare = await ok(adminA, 'POST', '/api/push-endpoints', { platform: 'ctwing', name: 'spare' });
      await ok(adminA, 'PATCH', `/api/push-endpoints/${spare.id}`, { enabled: false });
      expect((await pushCtwing(spare.pushPath, report)).status).toBe(404);
      const renewed = await ok(adminA, 'PATCH', `/api/push-endpoints/${spare.id}`, { enabled: true, regenerateCode: true });
      expect(renewed.code).not.toBe(spare.code);
      expect((await pushCtwing(spare.pushPath, report)).status).toBe(404);
      expect((await pushCtwing(renewed.pushPath, report)).status).toBe(200);
      expect(await volumes(device.ctwingJson!.id)).toEqual([{ metric: 'cumulative_volume', at: '2026-11-01T07:00:00.000Z', value: '1.000' }]);
      await ok(adminA, 'DELETE', `/api/push-endpoints/${spare.id}`);
      expect((await pushCtwing(renewed.pushPath, report)).status).toBe(404);
    });
  });

  describe('CTWing/AEP', () => {
    it('stores a transparent data report (JSON thing model) under the IMEI’s device, dated by the platform, and answers 200 once durable', async () => {
      const at = Date.parse('2026-11-02T08:00:00Z');
      const res = await pushCtwing(endpoint.ctwing!.pushPath, dataReport(device.ctwingJson!.key, at, JSON.stringify({ properties: { cumulative_volume: '12.345', pressure: 312.5 } })));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ messages: 1, outcomes: { stored: 1 } });
      // Answered after the write: the readings are there without waiting.
      expect((await readings(device.ctwingJson!.id)).filter((r) => r.at === new Date(at).toISOString())).toEqual([
        { metric: 'cumulative_volume', at: '2026-11-02T08:00:00.000Z', value: '12.345' },
        { metric: 'pressure', at: '2026-11-02T08:00:00.000Z', value: '312.500' },
      ]);
    });

    it('stores a CJ/T 188 frame under the meter its address names (the registry keys such meters by address, not IMEI)', async () => {
      const meterAt = new Date('2026-11-02T09:00:00Z');
      const frame = encodeMeterDataReply({ address: device.ctwingCjt!.key, cumulativeLitres: 123_450, at: meterAt });
      const res = await pushCtwing(endpoint.ctwing!.pushPath, dataReport('869000000000555', Date.parse('2026-11-02T09:00:05Z'), frame));
      expect(res.body).toEqual({ messages: 1, outcomes: { stored: 1 } });
      expect(await volumes(device.ctwingCjt!.id)).toEqual([{ metric: 'cumulative_volume', at: meterAt.toISOString(), value: '123450.000' }]);
    });

    it('stores a redelivered report once', async () => {
      const report = dataReport(device.ctwingJson!.key, Date.parse('2026-11-02T10:00:00Z'), JSON.stringify({ properties: { cumulative_volume: '13.000' } }));
      for (let i = 0; i < 3; i++) expect((await pushCtwing(endpoint.ctwing!.pushPath, report)).status).toBe(200);
      const frame = encodeMeterDataReply({ address: device.ctwingCjt!.key, cumulativeLitres: 124_000, at: new Date('2026-11-02T10:00:00Z') });
      const cjt = dataReport('869000000000555', Date.parse('2026-11-02T10:00:03Z'), frame);
      await Promise.all([pushCtwing(endpoint.ctwing!.pushPath, cjt), pushCtwing(endpoint.ctwing!.pushPath, cjt)]);
      expect((await volumes(device.ctwingJson!.id)).filter((r) => r.at === '2026-11-02T10:00:00.000Z')).toEqual([
        { metric: 'cumulative_volume', at: '2026-11-02T10:00:00.000Z', value: '13.000' },
      ]);
      expect((await volumes(device.ctwingCjt!.id)).filter((r) => r.at === '2026-11-02T10:00:00.000Z')).toHaveLength(1);
    });

    it('flips the device online and offline from online/offline reports, in the order they happened', async () => {
      const { id, key } = device.ctwingStatus!;
      const status = (eventType: number, timestamp: number) => pushCtwing(endpoint.ctwing!.pushPath, { ...ctwingBase(key, timestamp), messageType: 'deviceOnlineOfflineReport', eventType });
      const now = Date.now();
      expect((await ok(adminA, 'GET', `/api/devices/${id}`)).online).toBe(false);
      expect((await status(1, now - 60_000)).body).toEqual({ messages: 1, outcomes: { online: 1 } });
      expect(await ok(adminA, 'GET', `/api/devices/${id}`)).toMatchObject({ online: true, lastSeenAt: new Date(now - 60_000).toISOString() });
      expect((await status(0, now - 30_000)).body).toEqual({ messages: 1, outcomes: { offline: 1 } });
      expect((await ok(adminA, 'GET', `/api/devices/${id}`)).online).toBe(false);
      // A late online report from before the offline one does not undo it.
      await status(1, now - 45_000);
      expect((await ok(adminA, 'GET', `/api/devices/${id}`)).online).toBe(false);
      await status(1, now - 10_000);
      expect((await ok(adminA, 'GET', `/api/devices/${id}`)).online).toBe(true);
    });

    it('stores nothing for a key that exists only in county-b when pushed to county-a’s endpoint: 200, counted as unknown', async () => {
      const unknownBefore = await counter('shuiyun_iot_push_messages_total', 'platform="ctwing",outcome="unknown_device"');
      const at = Date.parse('2026-11-03T08:00:00Z');
      const byImei = await pushCtwing(endpoint.ctwing!.pushPath, dataReport(device.bJson!.key, at, JSON.stringify({ properties: { cumulative_volume: '666.000' } })));
      expect(byImei.status).toBe(200);
      expect(byImei.body).toEqual({ messages: 1, outcomes: { unknown_device: 1 } });
      const frame = encodeMeterDataReply({ address: device.bCjt!.key, cumulativeLitres: 666_000, at: new Date(at) });
      expect((await pushCtwing(endpoint.ctwing!.pushPath, dataReport('869000000000777', at, frame))).body).toEqual({ messages: 1, outcomes: { unknown_device: 1 } });
      const online = await pushCtwing(endpoint.ctwing!.pushPath, { ...ctwingBase(device.bJson!.key, Date.now()), messageType: 'deviceOnlineOfflineReport', eventType: 1 });
      expect(online.body).toEqual({ messages: 1, outcomes: { unknown_device: 1 } });
      await t.runtime.iot!.settle();
      expect(await readings(device.bJson!.id, adminB)).toEqual([]);
      expect(await readings(device.bCjt!.id, adminB)).toEqual([]);
      expect((await ok(adminB, 'GET', `/api/devices/${device.bJson!.id}`)).online).toBe(false);
      expect(await counter('shuiyun_iot_push_messages_total', 'platform="ctwing",outcome="unknown_device"')).toBe(unknownBefore + 3);
    });

    it('does not speak for a device whose product reports over MQTT, even in the endpoint’s own tenant', async () => {
      const res = await pushCtwing(endpoint.ctwing!.pushPath, dataReport(device.mqttOnly!.key, Date.parse('2026-11-03T09:00:00Z'), JSON.stringify({ properties: { cumulative_volume: '1.000' } })));
      expect(res.body).toEqual({ messages: 1, outcomes: { unknown_device: 1 } });
      expect(await readings(device.mqttOnly!.id)).toEqual([]);
    });

    it('requires the endpoint’s token in the `token` header when it has one: 403 and nothing stored without it', async () => {
      const at = Date.parse('2026-11-03T10:00:00Z');
      const report = dataReport(device.ctwingJson!.key, at, JSON.stringify({ properties: { cumulative_volume: '20.000' } }));
      const refusedBefore = await counter('shuiyun_iot_push_refused_total', 'platform="ctwing",reason="bad_token"');
      for (const headers of [{}, { token: 'wrong-token' }, { token: secrets.ctwingToken + 'x' }] as Record<string, string>[]) {
        const res = await pushCtwing(endpoint.ctwingToken!.pushPath, report, headers);
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(res.body.error.details[0].code).toBe('bad_token');
      }
      await t.runtime.iot!.settle();
      expect((await volumes(device.ctwingJson!.id)).filter((r) => r.at === new Date(at).toISOString())).toEqual([]);
      expect(await counter('shuiyun_iot_push_refused_total', 'platform="ctwing",reason="bad_token"')).toBe(refusedBefore + 3);
      expect((await pushCtwing(endpoint.ctwingToken!.pushPath, report, { token: secrets.ctwingToken })).body).toEqual({ messages: 1, outcomes: { stored: 1 } });
      expect((await volumes(device.ctwingJson!.id)).filter((r) => r.at === new Date(at).toISOString())).toHaveLength(1);
    });

    it('counts events and logs command responses (200), ignores unused message types (200), refuses a body that is no push (400) or too large (413)', async () => {
      const eventsBefore = await counter('shuiyun_iot_push_device_events_total', 'platform="ctwing",level="fault"');
      const base = ctwingBase(device.ctwingJson!.key, Date.parse('2026-11-03T11:00:00Z'));
      expect((await pushCtwing(endpoint.ctwing!.pushPath, { ...base, messageType: 'eventReport', eventType: 3, eventContent: { magnetic_tamper: 1 } })).body).toEqual({ messages: 1, outcomes: { event: 1 } });
      expect(await counter('shuiyun_iot_push_device_events_total', 'platform="ctwing",level="fault"')).toBe(eventsBefore + 1);
      expect((await pushCtwing(endpoint.ctwing!.pushPath, { ...base, messageType: 'commandResponse', taskId: 88, result: { resultCode: 'SUCCESSFUL' } })).body).toEqual({ messages: 1, outcomes: { command_response: 1 } });
      expect((await pushCtwing(endpoint.ctwing!.pushPath, { ...base, messageType: 'deviceInfoChanged' })).body).toEqual({ messages: 1, outcomes: { ignored: 1 } });

      const notJson = await t.request('POST', endpoint.ctwing!.pushPath, { body: '{"messageType": "dataReport",', headers: { 'content-type': 'application/json' } });
      expect(notJson.status).toBe(400);
      const profileMode = await pushCtwing(endpoint.ctwing!.pushPath, { ...base, messageType: 'dataReport', payload: { serviceData: { flow: 1 } } });
      expect(profileMode.status).toBe(400);
      const huge = await pushCtwing(endpoint.ctwing!.pushPath, dataReport(device.ctwingJson!.key, Date.now(), 'x'.repeat(1_100_000)));
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe('payload_too_large');
    });

    it('answers 200 for a payload the codec refuses or a corrupt frame, counting them: resending would not help', async () => {
      const rejectedBefore = await counter('shuiyun_iot_messages_rejected_total', 'codec="json-thing-model",code="bad_value"');
      const frame = encodeMeterDataReply({ address: device.ctwingCjt!.key, cumulativeLitres: 1, at: new Date('2026-11-03T12:00:00Z') });
      frame[frame.length - 2] = frame[frame.length - 2]! ^ 0xff; // break the checksum
      const res = await pushCtwing(endpoint.ctwing!.pushPath, dataReport('869000000000555', Date.parse('2026-11-03T12:00:00Z'), frame));
      // A frame with a broken checksum names no trustworthy address, and the IMEI is no registered key.
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ messages: 1, outcomes: { unknown_device: 1 } });
      expect((await volumes(device.ctwingCjt!.id)).filter((r) => r.at === '2026-11-03T12:00:00.000Z')).toEqual([]);
      const json = await pushCtwing(endpoint.ctwing!.pushPath, dataReport(device.ctwingJson!.key, Date.parse('2026-11-03T12:00:00Z'), '{"properties": {"cumulative_volume": "lots"}}'));
      expect(json.body).toEqual({ messages: 1, outcomes: { rejected: 1 } });
      expect(await counter('shuiyun_iot_messages_rejected_total', 'codec="json-thing-model",code="bad_value"')).toBe(rejectedBefore + 1);
    });
  });

  describe('OneNET', () => {
    it('answers URL verification with msg only when the signature holds (403 otherwise)', async () => {
      const path = endpoint.oneNet!.pushPath;
      // Nonces and messages are picked so the signature holds a '+' and a '/', which must survive URL encoding.
      let nonce = '';
      let signature = '';
      for (let i = 0; !/[+/]/.test(signature); i++) {
        nonce = `n0nce${i}`;
        signature = oneNetSignature(secrets.oneNetToken, nonce, 'verify-shuiyun');
      }
      const query = (sig: string) => `?msg=verify-shuiyun&nonce=${nonce}&signature=${encodeURIComponent(sig)}`;
      const good = await fetch(`${t.baseUrl}${path}${query(signature)}`);
      expect(good.status).toBe(200);
      expect(good.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await good.text()).toBe('verify-shuiyun');
      const wrongToken = oneNetSignature('another-token', nonce, 'verify-shuiyun');
      for (const q of [query(wrongToken), '?msg=verify-shuiyun', `?msg=other&nonce=${nonce}&signature=${encodeURIComponent(signature)}`]) {
        const res = await t.request('GET', `${path}${q}`);
        expect(res.status, q).toBe(403);
        expect(JSON.stringify(res.body)).not.toContain('verify-shuiyun');
      }
    });

    it('stores a signed data point as a JSON thing-model reading, exactly, under the dev_id’s device', async () => {
      const at = Date.parse('2026-11-04T08:00:00Z');
      const body = oneNetBody(secrets.oneNetToken, { type: 1, dev_id: Number(device.oneNetJson!.key), ds_id: 'cumulative_volume', at, value: 1234.56 });
      const res = await pushOneNet(endpoint.oneNet!.pushPath, body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ messages: 1, outcomes: { stored: 1 } });
      expect(await volumes(device.oneNetJson!.id)).toEqual([{ metric: 'cumulative_volume', at: '2026-11-04T08:00:00.000Z', value: '1234.560' }]);
    });

    it('takes a batch in the newer form: a CJ/T 188 frame as hex (matched by its address), and online/offline of another device', async () => {
      const meterAt = new Date('2026-11-04T09:00:00Z');
      const hex = Buffer.from(encodeMeterDataReply({ address: device.oneNetCjt!.key, cumulativeLitres: 88_880, at: meterAt })).toString('hex');
      const now = Date.now();
      const batch = [
        { type: 1, dev_id: 5100300, ds_id: '3200_0_5750', at: meterAt.getTime() + 4000, value: hex },
        { type: 2, dev_id: Number(device.oneNetStatus!.key), status: 1, login_type: 10, at: now - 60_000 },
        { type: 2, dev_id: Number(device.oneNetStatus!.key), status: 0, login_type: 10, at: now - 30_000 },
        { type: 7, dev_id: Number(device.oneNetStatus!.key), cmd_id: 'cmd-1', at: now - 20_000 },
      ];
      const res = await pushOneNet(endpoint.oneNet!.pushPath, oneNetBody(secrets.oneNetToken, batch, 'string'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ messages: 4, outcomes: { stored: 1, online: 1, offline: 1, command_response: 1 } });
      expect(await volumes(device.oneNetCjt!.id)).toEqual([{ metric: 'cumulative_volume', at: meterAt.toISOString(), value: '88880.000' }]);
      expect(await ok(adminA, 'GET', `/api/devices/${device.oneNetStatus!.id}`)).toMatchObject({ online: false, lastSeenAt: new Date(now - 60_000).toISOString() });
      const online = oneNetBody(secrets.oneNetToken, { type: 2, dev_id: Number(device.oneNetStatus!.key), status: 1, login_type: 10, at: now - 5_000 });
      expect((await pushOneNet(endpoint.oneNet!.pushPath, online)).body).toEqual({ messages: 1, outcomes: { online: 1 } });
      expect((await ok(adminA, 'GET', `/api/devices/${device.oneNetStatus!.id}`)).online).toBe(true);
    });

    it('refuses a bad signature with 403 and stores nothing', async () => {
      const at = Date.parse('2026-11-04T10:00:00Z');
      const point = { type: 1, dev_id: Number(device.oneNetJson!.key), ds_id: 'cumulative_volume', at, value: 999 };
      const refusedBefore = await counter('shuiyun_iot_push_refused_total', 'platform="onenet",reason="bad_signature"');
      const forged = [
        oneNetBody('not-the-token', point),
        oneNetBody(secrets.oneNetToken, point).replace('"value":999', '"value":998'),
        JSON.stringify({ msg: JSON.stringify(point), nonce: 'abcdefgh' }),
        oneNetBody(secrets.oneNetToken, point).replace(/"msg_signature":"[^"]+"/, '"msg_signature":"AAAAAAAAAAAAAAAAAAAAAA=="'),
      ];
      for (const body of forged) {
        const res = await pushOneNet(endpoint.oneNet!.pushPath, body);
        expect(res.status, body).toBe(403);
        expect(res.body.error.details[0].code).toBe('bad_signature');
      }
      // Signed with the right token, but for another endpoint's URL (its own token differs): refused too.
      const other = await ok(adminA, 'POST', '/api/push-endpoints', { platform: 'onenet', name: 'other', token: 'otherToken99' });
      expect((await pushOneNet(other.pushPath, oneNetBody(secrets.oneNetToken, point))).status).toBe(403);
      await t.runtime.iot!.settle();
      expect((await volumes(device.oneNetJson!.id)).filter((r) => r.at === new Date(at).toISOString())).toEqual([]);
      expect(await counter('shuiyun_iot_push_refused_total', 'platform="onenet",reason="bad_signature"')).toBe(refusedBefore + 5);
    });

    it('decrypts an encrypted push (enc_msg, AES-256-CBC) with the endpoint’s AES key; a wrong key stores nothing (400)', async () => {
      const at = Date.parse('2026-11-04T11:00:00Z');
      const point = { type: 1, dev_id: Number(device.oneNetJson!.key), ds_id: 'cumulative_volume', at, value: '1300.125' };
      const res = await pushOneNet(endpoint.oneNetEncrypted!.pushPath, oneNetEncryptedBody(secrets.oneNetToken, secrets.aesKey, point));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ messages: 1, outcomes: { stored: 1 } });
      expect((await volumes(device.oneNetJson!.id)).filter((r) => r.at === new Date(at).toISOString())).toEqual([
        { metric: 'cumulative_volume', at: '2026-11-04T11:00:00.000Z', value: '1300.125' },
      ]);
      const later = { ...point, at: at + 60_000 };
      const wrongKey = await pushOneNet(endpoint.oneNetEncrypted!.pushPath, oneNetEncryptedBody(secrets.oneNetToken, randomBytes(32), later));
      expect(wrongKey.status).toBe(400);
      expect(wrongKey.body.error.details[0].code).toBe('decrypt_failed');
      // The unencrypted endpoint has no key for it.
      expect((await pushOneNet(endpoint.oneNet!.pushPath, oneNetEncryptedBody(secrets.oneNetToken, secrets.aesKey, later))).status).toBe(400);
      await t.runtime.iot!.settle();
      expect((await volumes(device.oneNetJson!.id)).filter((r) => r.at === new Date(later.at).toISOString())).toEqual([]);
    });

    it('stores nothing for county-b’s dev_id or address pushed to county-a’s endpoint, and a redelivered push once', async () => {
      const at = Date.parse('2026-11-04T12:00:00Z');
      const hex = Buffer.from(encodeMeterDataReply({ address: device.bCjt!.key, cumulativeLitres: 5_000, at: new Date(at) })).toString('hex');
      const foreign = oneNetBody(secrets.oneNetToken, [
        { type: 1, dev_id: Number(device.bOneNet!.key), ds_id: 'cumulative_volume', at, value: 77 },
        { type: 1, dev_id: 5100777, ds_id: '3200_0_5750', at, value: hex },
        { type: 2, dev_id: Number(device.bOneNet!.key), status: 1, at: Date.now() },
      ]);
      expect((await pushOneNet(endpoint.oneNet!.pushPath, foreign)).body).toEqual({ messages: 3, outcomes: { unknown_device: 3 } });
      await t.runtime.iot!.settle();
      expect(await readings(device.bOneNet!.id, adminB)).toEqual([]);
      expect(await readings(device.bCjt!.id, adminB)).toEqual([]);
      expect((await ok(adminB, 'GET', `/api/devices/${device.bOneNet!.id}`)).online).toBe(false);

      const point = oneNetBody(secrets.oneNetToken, { type: 1, dev_id: Number(device.oneNetJson!.key), ds_id: 'pressure', at, value: 305.25 });
      for (let i = 0; i < 3; i++) expect((await pushOneNet(endpoint.oneNet!.pushPath, point)).status).toBe(200);
      expect((await readings(device.oneNetJson!.id)).filter((r) => r.metric === 'pressure')).toEqual([{ metric: 'pressure', at: '2026-11-04T12:00:00.000Z', value: '305.250' }]);
    });

    it('counts a value the product’s codec cannot take, answering 200', async () => {
      const body = oneNetBody(secrets.oneNetToken, [
        { type: 1, dev_id: Number(device.oneNetJson!.key), ds_id: 'cumulative_volume', at: Date.parse('2026-11-04T13:00:00Z'), value: { nested: 1 } },
        { type: 1, dev_id: 5100300, ds_id: '3200_0_5750', at: Date.parse('2026-11-04T13:00:00Z'), value: 'not hex' },
      ]);
      const res = await pushOneNet(endpoint.oneNet!.pushPath, body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ messages: 2, outcomes: { bad_value: 1, unknown_device: 1 } });
    });
  });
});
