import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';

const noModel = { properties: [], events: [], services: [] };

describe.each(drivers)('a concentrator (集中器) reporting for its meters on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let mqttUrl: string;
  let client: MqttClient;
  const concentratorKey = '70000000000001';
  const meter: Record<string, number> = {};

  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const frame = (address: string, litres: number, at: string) => Buffer.from(encodeMeterDataReply({ address, cumulativeLitres: litres, at: new Date(at) }));
  const volumes = async (id: number, token = adminA) => (await ok(token, 'GET', `/api/devices/${id}/readings?metric=cumulative_volume`)).items;

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    mqttUrl = `mqtt://127.0.0.1:${(await t.runtime.iot!.startMqtt(0, '127.0.0.1')).port}`;
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const hub = await ok(adminA, 'POST', '/api/products', { code: 'JZQ', name: '集中器', kind: 'concentrator', transport: 'mqtt', codec: 'cjt188', thingModel: noModel });
    const wired = await ok(adminA, 'POST', '/api/products', { code: 'M-BUS', name: '有线远传表', kind: 'remote-read-meter', transport: 'modbus', codec: 'cjt188', thingModel: noModel });
    const concentrator = await ok(adminA, 'POST', '/api/devices', { productId: hub.id, meterNumber: 'JZQ-1', deviceKey: concentratorKey });
    for (const [name, key, gateway] of [
      ['child1', '71000000000001', concentrator.id],
      ['child2', '71000000000002', concentrator.id],
      ['loose', '71000000000003', undefined],
    ] as const) {
      meter[name] = (await ok(adminA, 'POST', '/api/devices', { productId: wired.id, meterNumber: name, deviceKey: key, gatewayId: gateway })).id;
    }
    const productB = await ok(adminB, 'POST', '/api/products', { code: 'M-BUS', name: 'b', kind: 'remote-read-meter', transport: 'modbus', codec: 'cjt188', thingModel: noModel });
    meter.foreign = (await ok(adminB, 'POST', '/api/devices', { productId: productB.id, meterNumber: 'fb', deviceKey: '71000000000009' })).id;
    client = await connectAsync(mqttUrl, { username: concentratorKey, password: concentrator.mqttCredentials.secret, reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await client?.endAsync(true).catch(() => undefined);
    await t?.close();
  });

  it('stores each meter’s frame under that meter, acknowledged after the write, and marks the meters seen', async () => {
    await client.publishAsync(`devices/${concentratorKey}/up`, frame('71000000000001', 12_340, '2026-11-27T16:00:00Z'), { qos: 1 });
    await client.publishAsync(`devices/${concentratorKey}/up`, frame('71000000000002', 56_780, '2026-11-27T16:00:00Z'), { qos: 1 });
    expect(await volumes(meter.child1!)).toEqual([{ metric: 'cumulative_volume', at: '2026-11-27T16:00:00.000Z', value: '12340.000' }]);
    expect(await volumes(meter.child2!)).toEqual([{ metric: 'cumulative_volume', at: '2026-11-27T16:00:00.000Z', value: '56780.000' }]);
    await t.runtime.iot!.settle();
    expect(await ok(adminA, 'GET', `/api/devices/${meter.child1}`)).toMatchObject({ online: true, gatewayId: expect.any(Number) });
  });

  it('refuses frames of meters not registered behind it: another tenant’s, or one of its own tenant’s without that gateway', async () => {
    await client.publishAsync(`devices/${concentratorKey}/up`, frame('71000000000009', 1_000, '2026-11-27T17:00:00Z'), { qos: 1 });
    await client.publishAsync(`devices/${concentratorKey}/up`, frame('71000000000003', 2_000, '2026-11-27T17:00:00Z'), { qos: 1 });
    expect(await volumes(meter.foreign!, adminB)).toEqual([]);
    expect(await volumes(meter.loose!)).toEqual([]);
    expect((await t.request('GET', '/metrics')).body).toMatch(/shuiyun_iot_messages_rejected_total\{codec="cjt188",code="device_mismatch"\} 2/);
  });

  it('accepts only a concentrator as a gateway, in the meter’s own tenant', async () => {
    const res = await t.request('PATCH', `/api/devices/${meter.loose}`, { token: adminA, body: { gatewayId: meter.child1 } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].message).toMatch(/not a concentrator/);
    const foreign = await t.request('PATCH', `/api/devices/${meter.foreign}`, { token: adminB, body: { gatewayId: meter.child1 } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('invalid_reference');
  });
});
