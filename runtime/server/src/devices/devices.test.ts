import { readdirSync, readFileSync } from 'node:fs';
import { asSystem, auditLog, deviceStateHistory, devices, inTenant, queryRows } from '@shuiyun/db';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPermissions, viewerPermissions } from '../permissions/catalogue.js';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';
import { authenticateDevice, deviceDirectory, markOffline, markSeen } from './index.js';

const en = { 'accept-language': 'en' };

/** A remote-read water meter as a vendor would describe it: readings, alarms and the valve. */
const meterThingModel = {
  properties: [
    { identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 2, access: 'r' },
    {
      identifier: 'valve_state',
      name: { zh: '阀门状态', en: 'Valve state' },
      dataType: 'enum',
      enumValues: [
        { value: 0, name: { zh: '开', en: 'Open' } },
        { value: 1, name: { zh: '关', en: 'Closed' } },
        { value: 3, name: { zh: '故障', en: 'Fault' } },
      ],
      access: 'r',
    },
    { identifier: 'battery_voltage', name: { zh: '电池电压', en: 'Battery voltage' }, dataType: 'decimal', unit: 'V', min: 0, max: 5, scale: 2 },
    { identifier: 'report_interval', name: { zh: '上报间隔', en: 'Report interval' }, dataType: 'int', unit: 'min', min: 5, max: 1440, access: 'rw' },
  ],
  events: [
    { identifier: 'low_battery', name: { zh: '电池欠压', en: 'Low battery' }, level: 'warning' },
    { identifier: 'magnetic_tamper', name: { zh: '磁干扰', en: 'Magnetic tamper' }, level: 'fault' },
  ],
  services: [
    { identifier: 'valve_open', name: { zh: '开阀', en: 'Open valve' } },
    {
      identifier: 'valve_close',
      name: { zh: '关阀', en: 'Close valve' },
      inputs: [{ identifier: 'reason', name: { zh: '原因', en: 'Reason' }, dataType: 'text' }],
    },
  ],
};

it('upgrades existing tenants’ built-in roles with exactly the catalogue’s product and device permissions', () => {
  // The registry's own migration (0005) and those that added device permissions later (device commands).
  const folder = new URL('../../../db/migrations/', import.meta.url);
  const statements = readdirSync(folder)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .flatMap((file) => readFileSync(new URL(file, folder), 'utf8').split(/^UPDATE roles/m).slice(1));
  const granted = (role: string) =>
    [...new Set(statements.filter((s) => s.includes(`code = '${role}'`)).flatMap((s) => [...s.matchAll(/'((?:product|device):[a-z-]+)'/g)].map((m) => m[1])))].sort();
  const [admin, viewer] = [granted('admin'), granted('viewer')];
  const registry = (list: string[]) => list.filter((p) => /^(product|device):/.test(p)).sort();
  expect(admin).toEqual(registry(allPermissions));
  expect(viewer).toEqual(registry(viewerPermissions));
});

describe.each(drivers)('the device registry on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let group: string;
  let countyA: number;
  let countyB: number;
  let adminAId: number;
  /** County-a's seeded communities and their first buildings, by code. */
  const community: Record<string, number> = {};
  const building: Record<string, number> = {};
  const orgUnit: Record<string, number> = {};
  /** Products of county-a: an MQTT meter, an NB-IoT meter pushed by the platform, a CJ/T 188 meter. */
  let mqttMeter: number;
  let nbMeter: number;
  let cjtMeter: number;
  let serial = 0;

  const ok = async (method: string, path: string, body?: unknown, token = adminA) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const newDevice = (extra: Record<string, unknown> = {}, token = adminA) => {
    serial += 1;
    return ok('POST', '/api/devices', { productId: nbMeter, meterNumber: `T${String(serial).padStart(6, '0')}`, deviceKey: `86${String(serial).padStart(13, '0')}`, ...extra }, token);
  };
  const deviceRow = async (id: number) => (await asSystem(t.database.db, (tx) => tx.select().from(devices).where(eq(devices.id, id))))[0];
  const auditOf = (entity: string, id: number) =>
    asSystem(t.database.db, (tx) =>
      tx
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.entity, entity), eq(auditLog.entityId, String(id))))
        .orderBy(auditLog.id),
    );

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    group = await t.login('admin@demo-group');
    const me = (await t.request('GET', '/api/auth/me', { token: adminA })).body;
    countyA = me.tenant.id;
    adminAId = me.user.id;
    countyB = (await t.request('GET', '/api/auth/me', { token: adminB })).body.tenant.id;
    for (const c of (await ok('GET', `/api/communities?tenantId=${countyA}`)).items) {
      community[c.code] = c.id;
      building[c.code] = (await ok('GET', `/api/buildings?communityId=${c.id}`)).items[0].id;
    }
    for (const o of (await ok('GET', `/api/org-units?tenantId=${countyA}`)).items) orgUnit[o.code] = o.id;
    const product = (code: string, transport: string, codec: string) =>
      ok('POST', '/api/products', { code, name: code, kind: 'remote-read-meter', transport, codec, thingModel: meterThingModel });
    mqttMeter = (await product('LXSY-15E', 'mqtt', 'json-thing-model')).id;
    nbMeter = (await product('NB-DN20', 'http-push', 'json-thing-model')).id;
    cjtMeter = (await product('CJT188-DN15', 'mqtt', 'cjt188')).id;
  });
  afterAll(() => t?.close());

  describe('products', () => {
    it('creates a product with its thing model and codec settings, reads it back, lists, searches and changes it', async () => {
      const created = await t.request('POST', '/api/products', {
        token: adminA,
        body: {
          code: 'HZ-NB-25',
          name: '汇中 NB-IoT 超声波水表 DN25',
          manufacturer: '汇中仪表',
          model: 'SCL-61D6',
          kind: 'nb-iot-meter',
          transport: 'http-push',
          codec: 'cjt188',
          codecSettings: { statusLayout: 'valve-bits-0-1', timeZone: 'Asia/Shanghai' },
          thingModel: meterThingModel,
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ tenantId: countyA, code: 'HZ-NB-25', kind: 'nb-iot-meter', transport: 'http-push', codec: 'cjt188' });
      expect(created.body.codecSettings).toEqual({ statusLayout: 'valve-bits-0-1', timeZone: 'Asia/Shanghai' });
      const read = await ok('GET', `/api/products/${created.body.id}`);
      expect(read.thingModel).toEqual(created.body.thingModel);
      expect(read.thingModel.properties.find((p: { identifier: string }) => p.identifier === 'valve_state').enumValues).toHaveLength(3);
      // A property without an access mode is read-only.
      expect(read.thingModel.properties.find((p: { identifier: string }) => p.identifier === 'battery_voltage').access).toBe('r');

      const found = await ok('GET', '/api/products?q=SCL-61');
      expect(found.items.map((p: { code: string }) => p.code)).toEqual(['HZ-NB-25']);
      const changed = await ok('PATCH', `/api/products/${created.body.id}`, { name: '汇中 DN25', thingModel: { properties: [] } });
      expect(changed).toMatchObject({ name: '汇中 DN25', thingModel: { properties: [], events: [], services: [] } });
      expect(await ok('GET', `/api/products?tenantId=${countyB}`, undefined, group)).toMatchObject({ total: 0 });
    });

    it('refuses a thing model with repeated identifiers, min above max, an enum without values or a range on a bool, naming each path', async () => {
      const bad = {
        properties: [
          { identifier: 'flow', name: { zh: '流量', en: 'Flow' }, dataType: 'decimal', min: 10, max: 1 },
          { identifier: 'flow', name: { zh: '流量', en: 'Flow' }, dataType: 'int' },
          { identifier: 'mode', name: { zh: '模式', en: 'Mode' }, dataType: 'enum' },
          { identifier: 'open', name: { zh: '开', en: 'Open' }, dataType: 'bool', min: 0 },
          { identifier: 'step', name: { zh: '步长', en: 'Step' }, dataType: 'int', max: 1.5 },
          { identifier: 'kind', name: { zh: '类型', en: 'Kind' }, dataType: 'enum', enumValues: [{ value: 'a', name: { zh: 'a', en: 'a' } }, { value: 'a', name: { zh: 'b', en: 'b' } }] },
        ],
        events: [{ identifier: 'valve_open', name: { zh: '开阀', en: 'Opened' }, level: 'critical' }],
        services: [
          { identifier: 'valve_open', name: { zh: '开阀', en: 'Open' } },
          { identifier: 'set', name: { zh: '设置', en: 'Set' }, inputs: [{ identifier: 'x', name: { zh: 'x', en: 'x' }, dataType: 'int' }, { identifier: 'x', name: { zh: 'x', en: 'x' }, dataType: 'int' }] },
        ],
      };
      const res = await t.request('POST', '/api/products', {
        token: adminA,
        headers: en,
        body: { code: 'BAD', name: 'bad', kind: 'water-meter', transport: 'lorawan', codec: 'CJT 188', codecSettings: { timeZone: 'Mars/Olympus' }, thingModel: bad },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', message: 'The request is not valid' });
      const paths = res.body.error.details.map((d: { path: string }) => d.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'body.kind',
          'body.transport',
          'body.codec',
          'body.codecSettings.timeZone',
          'body.thingModel.properties.0.max',
          'body.thingModel.properties.2.enumValues',
          'body.thingModel.properties.3.min',
          'body.thingModel.properties.4.max',
          'body.thingModel.properties.5.enumValues.1.value',
          'body.thingModel.events.0.level',
        ]),
      );
      // Identifiers repeat across the model (properties.1) is checked once the parts themselves are valid.
      const repeated = await t.request('POST', '/api/products', {
        token: adminA,
        body: {
          code: 'BAD',
          name: 'bad',
          kind: 'flow-meter',
          transport: 'modbus',
          codec: 'modbus',
          thingModel: { properties: [bad.properties[1], bad.properties[1]], events: [], services: [bad.services[0], { ...bad.services[0], identifier: 'flow' }, bad.services[1]] },
        },
      });
      expect(repeated.status).toBe(400);
      expect(repeated.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
        'body.thingModel.properties.1.identifier',
        'body.thingModel.services.1.identifier',
        'body.thingModel.services.2.inputs.1.identifier',
      ]);
      expect((await ok('GET', '/api/products?q=BAD')).total).toBe(0);
    });

    it('keeps a product that devices use: deleting it is 409 still_referenced; an unused one goes', async () => {
      const used = await ok('POST', '/api/products', { code: 'USED', name: 'used', kind: 'flow-meter', transport: 'coap', codec: 'json-thing-model', thingModel: {} });
      await newDevice({ productId: used.id });
      const refused = await t.request('DELETE', `/api/products/${used.id}`, { token: adminA });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('still_referenced');
      const unused = await ok('POST', '/api/products', { code: 'UNUSED', name: 'unused', kind: 'pressure-sensor', transport: 'coap', codec: 'json-thing-model', thingModel: {} });
      expect((await t.request('DELETE', `/api/products/${unused.id}`, { token: adminA })).status).toBe(204);
      expect((await t.request('GET', `/api/products/${unused.id}`, { token: adminA })).status).toBe(404);
    });
  });

  describe('devices', () => {
    it('registers an MQTT device: its secret is shown once, stored only as its SHA-256 digest, never audited, and it authenticates the device', async () => {
      const res = await t.request('POST', '/api/devices', {
        token: adminA,
        body: { productId: mqttMeter, meterNumber: '2024000001', deviceKey: '861234567890123', accountRef: 'HU-0001', communityId: community.C001, buildingId: building.C001, dmaCode: 'DMA-01', latitude: 30.274151, longitude: '120.155070', installDate: '2024-03-05' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const { mqttCredentials, ...device } = res.body;
      expect(mqttCredentials.username).toBe('861234567890123');
      expect(mqttCredentials.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(device).toMatchObject({
        tenantId: countyA,
        meterNumber: '2024000001',
        state: 'installed',
        online: false,
        lastSeenAt: null,
        hasMqttSecret: true,
        latitude: '30.274151',
        longitude: '120.155070',
        installDate: '2024-03-05',
        communityId: community.C001,
        buildingId: building.C001,
      });
      expect(device).not.toHaveProperty('mqttSecretHash');

      const read = await t.request('GET', `/api/devices/${device.id}`, { token: adminA });
      expect(read.body).not.toHaveProperty('mqttCredentials');
      expect(JSON.stringify(read.body)).not.toContain(mqttCredentials.secret);
      expect(JSON.stringify(read.body)).not.toMatch(/sha256:|mqttSecretHash/);
      const row = await deviceRow(device.id);
      expect(row!.mqttSecretHash).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
      expect(row!.mqttSecretHash).not.toContain(mqttCredentials.secret);
      expect(row!.createdBy).toBe(adminAId);

      expect(await authenticateDevice(t.database.db, '861234567890123', mqttCredentials.secret)).toMatchObject({ deviceId: device.id, tenantId: countyA, productId: mqttMeter });
      expect(await authenticateDevice(t.database.db, '861234567890123', 'wrong-secret')).toBeNull();
      expect(await authenticateDevice(t.database.db, 'unknown-key', mqttCredentials.secret)).toBeNull();

      const trail = await auditOf('devices', device.id);
      expect(trail.map((a) => a.action)).toEqual(['insert']);
      expect(trail[0]).toMatchObject({ actorId: adminAId, tenantId: countyA, after: { meter_number: '2024000001', device_key: '861234567890123' } });
      expect(JSON.stringify(trail)).not.toMatch(/sha256:|mqtt_secret_hash/);
      expect(JSON.stringify(trail)).not.toContain(mqttCredentials.secret);
    });

    it('rotates the secret: shown once, the old one stops working, the new one works, and the trail shows the rotation without it', async () => {
      const device = await newDevice({ productId: mqttMeter });
      const first = device.mqttCredentials.secret as string;
      const rotated = await t.request('POST', `/api/devices/${device.id}/secret`, { token: adminA });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ id: device.id, username: device.deviceKey });
      expect(rotated.body.secret).not.toBe(first);
      expect(await authenticateDevice(t.database.db, device.deviceKey, first)).toBeNull();
      expect(await authenticateDevice(t.database.db, device.deviceKey, rotated.body.secret)).toMatchObject({ deviceId: device.id });
      const trail = await auditOf('devices', device.id);
      expect(trail.map((a) => a.action)).toEqual(['insert', 'update']);
      expect(trail[1]!.after).toHaveProperty('secret_rotated_at');
      expect(JSON.stringify(trail)).not.toMatch(/sha256:|mqtt_secret_hash/);
      expect(JSON.stringify(trail)).not.toContain(rotated.body.secret);
    });

    it('answers the IoT transports by credentials, or by key alone unless two tenants share the key; never with a retired device', async () => {
      const directory = deviceDirectory(t.database.db);
      const device = await newDevice({ productId: mqttMeter });
      const identity = {
        deviceId: device.id,
        deviceKey: device.deviceKey,
        tenantId: countyA,
        tenantPath: device.tenantPath,
        productId: mqttMeter,
        productKey: 'LXSY-15E',
        codec: 'json-thing-model',
        codecSettings: {},
      };
      expect(await directory.authenticate(device.deviceKey, device.mqttCredentials.secret)).toEqual(identity);
      expect(await directory.byKey(device.deviceKey)).toEqual(identity);
      expect(await directory.byKey('no-such-device')).toBeNull();

      const productB = await ok('POST', '/api/products', { code: 'SHARED-KEY', name: 'b', kind: 'nb-iot-meter', transport: 'mqtt', codec: 'cjt188', thingModel: {} }, adminB);
      // Two utilities' CJ/T 188 meters may well carry the same address.
      const shared = '00000000001234';
      const inA = await ok('POST', '/api/devices', { productId: cjtMeter, meterNumber: 'TWIN-A', deviceKey: shared });
      const inB = await ok('POST', '/api/devices', { productId: productB.id, meterNumber: 'TWIN-B', deviceKey: shared }, adminB);
      expect(await directory.byKey(shared)).toBeNull();
      expect(await directory.authenticate(shared, inB.mqttCredentials.secret)).toMatchObject({ deviceId: inB.id, tenantId: countyB, codec: 'cjt188' });
      expect(await directory.authenticate(shared, inA.mqttCredentials.secret)).toMatchObject({ deviceId: inA.id, tenantId: countyA });
      await ok('POST', `/api/devices/${inA.id}/transition`, { to: 'retired' });
      expect(await directory.byKey(shared)).toMatchObject({ deviceId: inB.id });
      expect(await directory.authenticate(shared, inA.mqttCredentials.secret)).toBeNull();
    });

    it('gives a device of a platform-pushed product no MQTT secret, and refuses to rotate one (409)', async () => {
      const device = await newDevice();
      expect(device).toMatchObject({ hasMqttSecret: false, mqttCredentials: null });
      const res = await t.request('POST', `/api/devices/${device.id}/secret`, { token: adminA });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('conflict');
      expect((await deviceRow(device.id))!.mqttSecretHash).toBeNull();
    });

    it('keys a CJ/T 188 meter by its 14-hex-digit address, stored upper case', async () => {
      const bad = await t.request('POST', '/api/devices', { token: adminA, body: { productId: cjtMeter, meterNumber: 'CJ-1', deviceKey: '12345' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([expect.objectContaining({ path: 'body.deviceKey' })]);
      const good = await ok('POST', '/api/devices', { productId: cjtMeter, meterNumber: 'CJ-1', deviceKey: '0012345678abcd' });
      expect(good.deviceKey).toBe('0012345678ABCD');
      const twice = await t.request('POST', '/api/devices', { token: adminA, body: { productId: cjtMeter, meterNumber: 'CJ-2', deviceKey: '0012345678ABCD' } });
      expect(twice.status).toBe(409);
    });

    it('keeps meter numbers and device keys unique per tenant (409 naming the field); another county may reuse them', async () => {
      const first = await newDevice();
      const sameNumber = await t.request('POST', '/api/devices', { token: adminA, body: { productId: nbMeter, meterNumber: first.meterNumber, deviceKey: 'other-key-1' } });
      expect(sameNumber.status).toBe(409);
      expect(sameNumber.body.error).toMatchObject({ code: 'duplicate', message: '记录已存在' });
      expect(sameNumber.body.error.details[0].path).toBe('body.meterNumber');
      const sameKey = await t.request('POST', '/api/devices', { token: adminA, body: { productId: nbMeter, meterNumber: 'OTHER-1', deviceKey: first.deviceKey } });
      expect(sameKey.body.error.details[0].path).toBe('body.deviceKey');
      const other = await newDevice();
      const renamed = await t.request('PATCH', `/api/devices/${other.id}`, { token: adminA, body: { meterNumber: first.meterNumber } });
      expect(renamed.status).toBe(409);

      const productB = await ok('POST', '/api/products', { code: 'NB-DN20', name: 'b', kind: 'nb-iot-meter', transport: 'http-push', codec: 'json-thing-model', thingModel: {} }, adminB);
      const inB = await ok('POST', '/api/devices', { productId: productB.id, meterNumber: first.meterNumber, deviceKey: first.deviceKey }, adminB);
      expect(inB.tenantId).toBe(countyB);
    });

    it('refuses bad fields with 400 naming each, and writes nothing', async () => {
      const before = await asSystem(t.database.db, (tx) => tx.$count(devices));
      const cases: [Record<string, unknown>, string][] = [
        [{ latitude: 91, longitude: 120 }, 'body.latitude'],
        [{ latitude: '30.1234567', longitude: 120 }, 'body.latitude'],
        [{ latitude: 30 }, 'body.longitude'],
        [{ installDate: '2024-02-30' }, 'body.installDate'],
        [{ meterNumber: '表号一' }, 'body.meterNumber'],
        [{ productId: 'one' }, 'body.productId'],
      ];
      for (const [extra, path] of cases) {
        const res = await t.request('POST', '/api/devices', { token: adminA, body: { productId: nbMeter, meterNumber: 'BAD-1', deviceKey: 'bad-1', ...extra } });
        expect(res.status, JSON.stringify(extra)).toBe(400);
        expect(res.body.error.details.map((d: { path: string }) => d.path), JSON.stringify(extra)).toContain(path);
      }
      const unknown = await t.request('POST', '/api/devices', { token: adminA, body: { productId: nbMeter, meterNumber: 'BAD-1', deviceKey: 'bad-1', online: true } });
      expect(unknown.body.error.code).toBe('unknown_field');
      const wrongBuilding = await t.request('POST', '/api/devices', {
        token: adminA,
        body: { productId: nbMeter, meterNumber: 'BAD-1', deviceKey: 'bad-1', communityId: community.C002, buildingId: building.C001 },
      });
      expect(wrongBuilding.status).toBe(400);
      expect(wrongBuilding.body.error).toMatchObject({ code: 'invalid_reference', details: [{ path: 'body.buildingId' }] });
      expect(await asSystem(t.database.db, (tx) => tx.$count(devices))).toBe(before);
    });

    it('places a device by its building alone (the community and its org path follow) and moves it between communities', async () => {
      const device = await newDevice({ buildingId: building.C001 });
      expect(device).toMatchObject({ communityId: community.C001, buildingId: building.C001 });
      const [c001] = await asSystem(t.database.db, (tx) => queryRows<{ org_path: string }>(tx, sql`select org_path::text from communities where id = ${community.C001}`));
      expect((await deviceRow(device.id))!.orgPath).toBe(c001!.org_path);
      const moved = await ok('PATCH', `/api/devices/${device.id}`, { communityId: community.C002 });
      expect(moved).toMatchObject({ communityId: community.C002, buildingId: null });
      const cleared = await ok('PATCH', `/api/devices/${device.id}`, { communityId: null, latitude: '31.230416', longitude: '121.473701' });
      expect(cleared).toMatchObject({ communityId: null, buildingId: null, latitude: '31.230416' });
      expect((await deviceRow(device.id))!.orgPath).toBeNull();
      const half = await t.request('PATCH', `/api/devices/${device.id}`, { token: adminA, body: { latitude: null } });
      expect(half.status).toBe(400);
    });

    it('lists devices by product, community, building, state, online state, DMA and search, with paging and totals', async () => {
      const product = await ok('POST', '/api/products', { code: 'LIST', name: 'list', kind: 'flow-meter', transport: 'coap', codec: 'json-thing-model', thingModel: {} });
      const a = await newDevice({ productId: product.id, buildingId: building.C001, dmaCode: 'DMA-LIST', accountRef: 'HU-LIST-1' });
      const b = await newDevice({ productId: product.id, communityId: community.C002, dmaCode: 'DMA-LIST' });
      const c = await newDevice({ productId: product.id });
      await ok('POST', `/api/devices/${b.id}/transition`, { to: 'accepted' });
      await inTenant(t.database.db, { tenantPath: (await deviceRow(c.id))!.tenantPath }, (tx) => markSeen(tx, c.id, new Date()));
      const ids = async (query: string) => (await ok('GET', `/api/devices?productId=${product.id}&${query}`)).items.map((d: { id: number }) => d.id);
      expect(await ids('')).toEqual([a.id, b.id, c.id]);
      expect(await ids(`communityId=${community.C001}`)).toEqual([a.id]);
      expect(await ids(`buildingId=${building.C001}`)).toEqual([a.id]);
      expect(await ids('state=accepted')).toEqual([b.id]);
      expect(await ids('online=true')).toEqual([c.id]);
      expect(await ids('online=false')).toEqual([a.id, b.id]);
      expect(await ids('dmaCode=DMA-LIST')).toEqual([a.id, b.id]);
      expect(await ids('q=HU-LIST')).toEqual([a.id]);
      expect(await ids(`q=${c.deviceKey}`)).toEqual([c.id]);
      const page = await ok('GET', `/api/devices?productId=${product.id}&pageSize=2&page=2`);
      expect(page).toMatchObject({ total: 3, page: 2, pageSize: 2, items: [{ id: c.id }] });
      expect(page.items[0]).not.toHaveProperty('mqttSecretHash');
      const badState = await t.request('GET', '/api/devices?state=broken', { token: adminA });
      expect(badState.status).toBe(400);
      expect(badState.body.error.details[0].path).toBe('query.state');
    });
  });

  describe('lifecycle', () => {
    it('walks installed → accepted → in_service → under_repair → in_service → retired, with who, when, from, to and note in the history', async () => {
      const device = await newDevice({ productId: mqttMeter });
      const steps: [string, string | undefined][] = [
        ['accepted', '验收合格'],
        ['in_service', undefined],
        ['under_repair', '表盘进水，寄修'],
        ['in_service', '修复后重新投运'],
        ['retired', '到期轮换'],
      ];
      for (const [to, note] of steps) {
        const res = await t.request('POST', `/api/devices/${device.id}/transition`, { token: adminA, body: { to, ...(note ? { note } : {}) } });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.state).toBe(to);
      }
      const history = await ok('GET', `/api/devices/${device.id}/history`);
      expect(history).toMatchObject({ id: device.id, meterNumber: device.meterNumber, state: 'retired' });
      expect(history.items.map((h: { fromState: string | null; toState: string; note: string | null }) => [h.fromState, h.toState, h.note])).toEqual([
        [null, 'installed', null],
        ['installed', 'accepted', '验收合格'],
        ['accepted', 'in_service', null],
        ['in_service', 'under_repair', '表盘进水，寄修'],
        ['under_repair', 'in_service', '修复后重新投运'],
        ['in_service', 'retired', '到期轮换'],
      ]);
      for (const h of history.items) expect(h).toMatchObject({ actorId: adminAId, actorName: 'admin@demo-county-a' });
      expect(Date.parse(history.items[5].at)).toBeGreaterThanOrEqual(Date.parse(history.items[0].at));
      // A retired meter never connects again.
      expect(await authenticateDevice(t.database.db, device.deviceKey, device.mqttCredentials.secret)).toBeNull();
      expect((await t.request('POST', `/api/devices/${device.id}/secret`, { token: adminA })).status).toBe(409);
      const audited = await auditOf('devices', device.id);
      expect(audited.filter((a) => a.action === 'update').map((a) => (a.after as { state: string }).state)).toEqual(['accepted', 'in_service', 'under_repair', 'in_service', 'retired']);
    });

    it('refuses a step the lifecycle does not have with 409 invalid_transition listing the allowed steps (zh-CN and en); retired is final', async () => {
      const device = await newDevice();
      const skip = await t.request('POST', `/api/devices/${device.id}/transition`, { token: adminA, body: { to: 'in_service' } });
      expect(skip.status).toBe(409);
      expect(skip.body.error).toMatchObject({
        code: 'invalid_transition',
        message: '设备当前状态不允许这一步',
        details: [{ path: 'body.to', from: 'installed', to: 'in_service', allowed: ['accepted', 'retired'] }],
      });
      await ok('POST', `/api/devices/${device.id}/transition`, { to: 'retired' });
      const back = await t.request('POST', `/api/devices/${device.id}/transition`, { token: adminA, body: { to: 'in_service' }, headers: en });
      expect(back.status).toBe(409);
      expect(back.body.error).toMatchObject({ message: 'The device cannot take this step from its current state', details: [{ from: 'retired', allowed: [] }] });
      const again = await t.request('POST', `/api/devices/${device.id}/transition`, { token: adminA, body: { to: 'retired' } });
      expect(again.status).toBe(409);
      const unknown = await t.request('POST', `/api/devices/${device.id}/transition`, { token: adminA, body: { to: 'scrapped' } });
      expect(unknown.status).toBe(400);
      expect((await ok('GET', `/api/devices/${device.id}/history`)).items.map((h: { toState: string }) => h.toState)).toEqual(['installed', 'retired']);
    });

    it('takes one of two simultaneous identical steps and refuses the other (409), recording the step once', async () => {
      const device = await newDevice();
      const both = await Promise.all(
        [1, 2].map(() => t.request('POST', `/api/devices/${device.id}/transition`, { token: adminA, body: { to: 'accepted', note: 'double click' } })),
      );
      expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
      const history = await ok('GET', `/api/devices/${device.id}/history`);
      expect(history.items.map((h: { toState: string }) => h.toState)).toEqual(['installed', 'accepted']);
    });

    it('deletes a device registered by mistake (with its history) while installed; a device further along is 409 and stays', async () => {
      const mistake = await newDevice();
      expect((await t.request('DELETE', `/api/devices/${mistake.id}`, { token: adminA })).status).toBe(204);
      expect((await t.request('GET', `/api/devices/${mistake.id}`, { token: adminA })).status).toBe(404);
      expect(await asSystem(t.database.db, (tx) => tx.$count(deviceStateHistory, eq(deviceStateHistory.deviceId, mistake.id)))).toBe(0);
      expect((await auditOf('devices', mistake.id)).map((a) => a.action)).toEqual(['insert', 'delete']);

      const accepted = await newDevice();
      await ok('POST', `/api/devices/${accepted.id}/transition`, { to: 'accepted' });
      const refused = await t.request('DELETE', `/api/devices/${accepted.id}`, { token: adminA });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('conflict');
      expect(await deviceRow(accepted.id)).toBeDefined();
    });

    it('keeps the history append-only: the application role can neither change nor delete an entry (42501)', async () => {
      const device = await newDevice();
      const scope = { tenantPath: (await deviceRow(device.id))!.tenantPath, userId: adminAId };
      const stateOf = async (statement: ReturnType<typeof sql>) => {
        try {
          await inTenant(t.database.db, scope, (tx) => tx.execute(statement));
          return 'none';
        } catch (error) {
          return String((error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code);
        }
      };
      expect(await stateOf(sql`update device_state_history set note = 'rewritten' where device_id = ${device.id}`)).toBe('42501');
      expect(await stateOf(sql`delete from device_state_history where device_id = ${device.id}`)).toBe('42501');
      expect(await asSystem(t.database.db, (tx) => tx.select().from(deviceStateHistory).where(eq(deviceStateHistory.deviceId, device.id)))).toMatchObject([
        { toState: 'installed', note: null },
      ]);
    });
  });

  describe('online state', () => {
    it('markSeen sets the device online and moves last contact forward only, leaving no audit entry; markOffline yields to a later contact', async () => {
      const device = await newDevice();
      const scope = { tenantPath: (await deviceRow(device.id))!.tenantPath };
      const seen = (at: string) => inTenant(t.database.db, scope, (tx) => markSeen(tx, device.id, new Date(at)));
      expect(await seen('2026-01-05T08:00:00Z')).toBe(true);
      expect(await seen('2026-01-05T07:00:00Z')).toBe(true);
      let row = await deviceRow(device.id);
      expect(row).toMatchObject({ online: true });
      expect(row!.lastSeenAt!.toISOString()).toBe('2026-01-05T08:00:00.000Z');
      expect(await inTenant(t.database.db, scope, (tx) => markOffline(tx, device.id, new Date('2026-01-05T07:30:00Z')))).toBe(false);
      expect((await deviceRow(device.id))!.online).toBe(true);
      expect(await inTenant(t.database.db, scope, (tx) => markOffline(tx, device.id, new Date('2026-01-05T09:00:00Z')))).toBe(true);
      row = await deviceRow(device.id);
      expect(row).toMatchObject({ online: false });
      // A message the device sent before the offline report, delivered late, does not bring it back online.
      expect(await seen('2026-01-05T08:30:00Z')).toBe(true);
      row = await deviceRow(device.id);
      expect(row).toMatchObject({ online: false });
      expect(row!.lastSeenAt!.toISOString()).toBe('2026-01-05T08:30:00.000Z');
      expect(await seen('2026-01-05T09:30:00Z')).toBe(true);
      row = await deviceRow(device.id);
      expect(row).toMatchObject({ online: true });
      expect(row!.onlineChangedAt!.toISOString()).toBe('2026-01-05T09:30:00.000Z');
      expect((await ok('GET', `/api/devices/${device.id}`)).lastSeenAt).toBe('2026-01-05T09:30:00.000Z');
      expect(await inTenant(t.database.db, scope, (tx) => markOffline(tx, device.id, new Date('2026-01-05T10:00:00Z')))).toBe(true);
      expect((await auditOf('devices', device.id)).map((a) => a.action)).toEqual(['insert']);
      // Another tenant's transaction cannot see the device, so it cannot mark it.
      const [tenantB] = await asSystem(t.database.db, (tx) => queryRows<{ path: string }>(tx, sql`select path::text from tenants where id = ${countyB}`));
      expect(await inTenant(t.database.db, { tenantPath: tenantB!.path }, (tx) => markSeen(tx, device.id, new Date()))).toBe(false);
      expect((await deviceRow(device.id))!.online).toBe(false);
    });
  });

  describe('access', () => {
    it('lets a viewer read products and devices but refuses every write with 403, writing nothing', async () => {
      const roles = await ok('GET', `/api/roles?tenantId=${countyA}`);
      const viewerRole = roles.items.find((r: { code: string }) => r.code === 'viewer');
      await ok('POST', '/api/users', { username: 'device.viewer', displayName: '只读', password: TEST_PASSWORD, roleIds: [viewerRole.id] });
      const viewer = await t.login('device.viewer');
      const device = await newDevice({ productId: mqttMeter });
      expect((await t.request('GET', `/api/devices/${device.id}`, { token: viewer })).status).toBe(200);
      expect((await t.request('GET', `/api/devices/${device.id}/history`, { token: viewer })).status).toBe(200);
      expect((await t.request('GET', `/api/products/${mqttMeter}`, { token: viewer })).status).toBe(200);
      const before = await deviceRow(device.id);
      const writes: [string, string, unknown][] = [
        ['POST', '/api/products', { code: 'V1', name: 'v', kind: 'flow-meter', transport: 'mqtt', codec: 'x', thingModel: {} }],
        ['PATCH', `/api/products/${mqttMeter}`, { name: 'renamed' }],
        ['DELETE', `/api/products/${mqttMeter}`, undefined],
        ['POST', '/api/devices', { productId: nbMeter, meterNumber: 'VIEWER-1', deviceKey: 'viewer-1' }],
        ['PATCH', `/api/devices/${device.id}`, { dmaCode: 'X' }],
        ['DELETE', `/api/devices/${device.id}`, undefined],
        ['POST', `/api/devices/${device.id}/transition`, { to: 'accepted' }],
        ['POST', `/api/devices/${device.id}/secret`, undefined],
        ['GET', '/api/devices/export', undefined],
      ];
      for (const [method, path, body] of writes) {
        const res = await t.request(method, path, { token: viewer, body });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error).toMatchObject({ code: 'forbidden', message: '没有执行此操作的权限' });
      }
      const upload = await fetch(`${t.baseUrl}/api/devices/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${viewer}`, 'content-type': 'text/csv' },
        body: '表号,设备标识,产品\nVIEWER-2,viewer-2,NB-DN20\n',
      });
      expect(upload.status).toBe(403);
      expect(await deviceRow(device.id)).toEqual(before);
      expect(await asSystem(t.database.db, (tx) => tx.$count(devices, sql`meter_number like 'VIEWER-%'`))).toBe(0);
    });

    it("narrows devices by the org data scope like their communities, and moves them with a community that changes org unit", async () => {
      const inMetering = await newDevice({ communityId: community.C001 });
      const inService = await newDevice({ communityId: community.C002 });
      const role = await ok('POST', '/api/roles', { code: 'service-desk', name: '客服', permissions: ['device:read', 'device:update'], dataScope: 'org' });
      await ok('POST', '/api/users', { username: 'service.clerk', displayName: '客服', password: TEST_PASSWORD, orgUnitId: orgUnit.service, roleIds: [role.id] });
      const clerk = await t.login('service.clerk');
      const visible = async () =>
        (await ok('GET', `/api/devices?pageSize=200`, undefined, clerk)).items.map((d: { id: number }) => d.id).filter((id: number) => [inMetering.id, inService.id].includes(id));
      expect(await visible()).toEqual([inService.id]);
      expect((await t.request('GET', `/api/devices/${inMetering.id}`, { token: clerk })).status).toBe(404);
      expect((await t.request('PATCH', `/api/devices/${inMetering.id}`, { token: clerk, body: { dmaCode: 'X' } })).status).toBe(404);

      await ok('PATCH', `/api/communities/${community.C001}`, { orgUnitId: orgUnit.service });
      try {
        expect(await visible()).toEqual([inMetering.id, inService.id]);
      } finally {
        await ok('PATCH', `/api/communities/${community.C001}`, { orgUnitId: orgUnit.metering });
      }
      expect(await visible()).toEqual([inService.id]);
    });
  });
});
