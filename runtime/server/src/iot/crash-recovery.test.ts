import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildRuntime, childRuntime, freePort } from '../testing/child-runtime.js';

/**
 * kill -9 while meters publish with QoS 1: after a restart on the same data directory every reading the
 * broker acknowledged is stored, exactly once. The runtime runs as it does in production, the built
 * `dist/main.js` in its own process (`npm test` builds it first, in its typecheck step).
 */
const PASSWORD = 'Crash-passw0rd-1';

describe('a runtime killed while meters publish', () => {
  let rt: ChildRuntime;
  let mqttPort: number;
  beforeAll(async () => {
    mqttPort = await freePort();
    rt = await childRuntime({ password: PASSWORD, env: { MQTT_PORT: String(mqttPort), MQTT_HOST: '127.0.0.1' } });
  });
  afterAll(() => rt?.dispose());
  const api = (method: string, path: string, token?: string, body?: unknown) => rt.api(method, path, token, body);

  it('keeps every acknowledged reading exactly once', async () => {
    await rt.start();
    const login = () => rt.login('admin@demo-county-a');
    let token = await login();
    const product = await api('POST', '/api/products', token, {
      code: 'CRASH-188',
      name: 'crash test meter',
      kind: 'remote-read-meter',
      transport: 'mqtt',
      codec: 'cjt188',
      thingModel: { properties: [], events: [], services: [] },
    });
    const meters: { id: number; key: string; secret: string }[] = [];
    for (let i = 1; i <= 12; i++) {
      const key = `4000000000${String(i).padStart(4, '0')}`;
      const created = await api('POST', '/api/devices', token, { productId: product.id, meterNumber: `C${i}`, deviceKey: key });
      meters.push({ id: created.id, key, secret: created.mqttCredentials.secret });
    }

    const acknowledged = new Map<string, Set<number>>(meters.map((m) => [m.key, new Set()]));
    const clients: MqttClient[] = [];
    const base = Date.UTC(2026, 10, 1);
    let killed = false;
    const publishers = meters.map(async (meter) => {
      const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: meter.key, password: meter.secret, reconnectPeriod: 0 });
      client.on('error', () => undefined);
      clients.push(client);
      for (let n = 0; !killed; n++) {
        const at = base + n * 60_000;
        const frame = Buffer.from(encodeMeterDataReply({ address: meter.key, cumulativeLitres: 1000 + n * 10, at: new Date(at) }));
        try {
          await client.publishAsync(`devices/${meter.key}/up`, frame, { qos: 1 });
          acknowledged.get(meter.key)!.add(at);
        } catch {
          return;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 2_500));
    await rt.kill();
    killed = true;
    // Forced ends settle every publish still waiting for a PUBACK: those are not acknowledged.
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await Promise.all(publishers);
    const total = [...acknowledged.values()].reduce((n, s) => n + s.size, 0);
    expect(total).toBeGreaterThan(50); // the kill came while readings were flowing

    await rt.start();
    token = await login();
    for (const meter of meters) {
      const stored = await api('GET', `/api/devices/${meter.id}/readings?metric=cumulative_volume&limit=1000`, token);
      const times = (stored.items as { at: string }[]).map((r) => new Date(r.at).getTime());
      expect(new Set(times).size, `duplicates for ${meter.key}`).toBe(times.length);
      const missing = [...acknowledged.get(meter.key)!].filter((at) => !times.includes(at));
      expect(missing, `acknowledged but lost for ${meter.key}`).toEqual([]);
    }
  });
});
