import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * kill -9 while meters publish with QoS 1: after a restart on the same data directory every reading the
 * broker acknowledged is stored, exactly once. The runtime runs as it does in production, the built
 * `dist/main.js` in its own process (`npm test` builds it first, in its typecheck step).
 */
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const PASSWORD = 'Crash-passw0rd-1';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('a runtime killed while meters publish', () => {
  let dataDir: string;
  let httpPort: number;
  let mqttPort: number;
  let child: ChildProcess | undefined;
  const output: string[] = [];

  const start = async () => {
    child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: String(httpPort),
        HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        MQTT_HOST: '127.0.0.1',
        SHUIYUN_DATA_DIR: dataDir,
        SHUIYUN_DEMO_PASSWORD: PASSWORD,
        SHUIYUN_DEMO_METERS: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      if (child.exitCode !== null) throw new Error(`the runtime exited: ${output.join('')}`);
      const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false);
      if (ready) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the runtime did not become ready: ${output.join('')}`);
  };
  const api = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (npm test builds it) before this test`);
    dataDir = mkdtempSync(join(tmpdir(), 'shuiyun-crash-'));
    httpPort = await freePort();
    mqttPort = await freePort();
  });
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged reading exactly once', async () => {
    await start();
    const login = async () => (await api('POST', '/api/auth/login', undefined, { username: 'admin@demo-county-a', password: PASSWORD })).accessToken as string;
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
    child!.kill('SIGKILL');
    killed = true;
    // Forced ends settle every publish still waiting for a PUBACK: those are not acknowledged.
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await Promise.all(publishers);
    const total = [...acknowledged.values()].reduce((n, s) => n + s.size, 0);
    expect(total).toBeGreaterThan(50); // the kill came while readings were flowing

    await start();
    token = await login();
    for (const meter of meters) {
      const stored = await api('GET', `/api/devices/${meter.id}/readings?metric=cumulative_volume&limit=1000`, token);
      const times = (stored.items as { at: string }[]).map((r) => new Date(r.at).getTime());
      expect(new Set(times).size, `duplicates for ${meter.key}`).toBe(times.length);
      const missing = [...acknowledged.get(meter.key)!].filter((at) => !times.includes(at));
      expect(missing, `acknowledged but lost for ${meter.key}`).toEqual([]);
    }
    child!.kill('SIGTERM');
  });
});
