// IoT ingestion, end to end and against its references, in one run:
//   1. reference: a bare aedes broker (no auth, no storage) and a subscriber that does nothing, loaded by
//      the same publisher as 2 — the broker's own ceiling on this machine;
//   2. end to end: simulated CJ/T 188 meters publish QoS 1 to the runtime's embedded broker; a PUBACK means
//      the reading is durable in chDB; msgs/s counts PUBACKs, and the runtime's own accepted counter checks it;
//   3. backfill: 10 million readings through the analytics store's insert, against chDB's native
//      INSERT … SELECT of the same rows in the same session.
// Environment: SHUIYUN_BENCH_METERS (default 2000), SHUIYUN_BENCH_DURATION (s, default 10),
// SHUIYUN_BENCH_BACKFILL (rows, default 10000000).
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAnalyticsStore } from '@shuiyun/analytics';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const METERS = Math.min(Number(process.env.SHUIYUN_BENCH_METERS ?? 2000), 15000);
const SECONDS = Math.min(Number(process.env.SHUIYUN_BENCH_DURATION ?? 10), 120);
const BACKFILL = Math.min(Number(process.env.SHUIYUN_BENCH_BACKFILL ?? 10_000_000), 50_000_000);
const WINDOW = 4;
const log = (m) => process.stderr.write(`[iot-ingestion] ${m}\n`);
const emit = (o) => process.stdout.write(JSON.stringify({ bench: 'iot-ingestion', ...o }) + '\n');
const children = new Set();
const scratch = mkdtempSync(join(tmpdir(), 'shuiyun-bench-iot-'));

function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));
setTimeout(() => {
  log('overall time limit reached');
  process.exit(1);
}, 20 * 60_000).unref();

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Runs the publisher child against `url` and resolves with its counts. */
function publish(url, meters) {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, 'bench/lib/mqtt-publisher.mjs'), [], { stdio: ['ignore', 2, 2, 'ipc'] });
    children.add(child);
    child.on('message', (m) => {
      if (m.connected !== undefined) log(`${m.connected} meters connected to ${url}`);
      else resolve(m);
    });
    child.on('exit', (code) => code && reject(new Error(`publisher exited ${code}`)));
    child.send({ url, meters, seconds: SECONDS, window: WINDOW });
  });
}

async function reference(meterKeys) {
  const broker = fork(join(root, 'bench/lib/bare-broker.mjs'), [], { stdio: ['ignore', 2, 2, 'ipc'] });
  children.add(broker);
  const { port } = await new Promise((resolve) => broker.once('message', resolve));
  const result = await publish(`mqtt://127.0.0.1:${port}`, meterKeys.map((key) => ({ key })));
  broker.kill('SIGTERM');
  return result;
}

async function endToEnd(meterKeys) {
  const httpPort = await freePort();
  const mqttPort = await freePort();
  const password = 'Bench-passw0rd-1';
  const runtime = spawn(process.execPath, [join(root, 'runtime/server/dist/main.js')], {
    env: { ...process.env, PORT: String(httpPort), HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), MQTT_HOST: '127.0.0.1', SHUIYUN_DATA_DIR: join(scratch, 'runtime'), SHUIYUN_DEMO_PASSWORD: password, SHUIYUN_DEMO_METERS: '0', SHUIYUN_TENANT_RATE_LIMIT: '100000000', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 2],
  });
  children.add(runtime);
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error('the runtime did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  const call = async (method, path, token, body, type = 'application/json') => {
    const res = await fetch(base + path, { method, headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : body });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
    return json;
  };
  const token = (await call('POST', '/api/auth/login', null, { username: 'admin@demo-county-a', password })).accessToken;
  await call('POST', '/api/products', token, { code: 'BENCH-188', name: 'bench meter', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel: { properties: [], events: [], services: [] } });
  const csv = ['表号,设备标识,产品,状态', ...meterKeys.map((k) => `B${k},${k},BENCH-188,in_service`)].join('\n');
  const imported = await call('POST', '/api/devices/import?format=csv', token, csv, 'text/csv');
  log(`registered ${imported.imported ?? imported.created ?? meterKeys.length} meters`);
  const meters = [];
  for (let page = 1; meters.length < meterKeys.length; page++) {
    const list = await call('GET', `/api/devices?pageSize=200&page=${page}`, token);
    if (list.items.length === 0) break;
    for (const d of list.items) {
      const issued = await call('POST', `/api/devices/${d.id}/secret`, token, {});
      meters.push({ key: d.deviceKey, secret: issued.secret });
    }
  }
  const result = await publish(`mqtt://127.0.0.1:${mqttPort}`, meters);
  const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
  const accepted = Number(/shuiyun_iot_messages_accepted_total\{codec="cjt188"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  runtime.kill('SIGTERM');
  return { ...result, accepted };
}

async function backfill() {
  const store = await openAnalyticsStore({ dataDir: join(scratch, 'chdb') });
  await store.migrate();
  const batch = 250_000;
  const start = Date.UTC(2025, 0, 1);
  const started = performance.now();
  for (let offset = 0; offset < BACKFILL; offset += batch) {
    const rows = [];
    for (let i = offset; i < Math.min(offset + batch, BACKFILL); i++) {
      const device = String(10_000_000_000_000 + (i % 100_000));
      rows.push({ tenantId: 3, tenantPath: '1.2.3', reading: { device, metric: 'cumulative_volume', at: new Date(start + Math.floor(i / 100_000) * 900_000), milli: BigInt(i) * 10_000n } });
    }
    await store.insertReadings(rows);
  }
  const seconds = (performance.now() - started) / 1000;
  const [{ n }] = await store.query({ tenantPath: '1' }, 'SELECT count() AS n FROM {{readings}}');
  await store.close();
  // Reference: the engine's own INSERT … SELECT of the same shape and count, no JavaScript in between.
  const { Session } = await import('chdb');
  const session = new Session(join(scratch, 'chdb-ref'));
  session.query("CREATE TABLE r (tenant_id UInt64, tenant_path String, device String, metric LowCardinality(String), at DateTime64(3, 'UTC'), value Decimal(18,3), milli Int64, received_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree(received_at) PARTITION BY toYYYYMM(at) ORDER BY (tenant_path, device, metric, at)");
  const refStarted = performance.now();
  session.query(`INSERT INTO r SELECT 3, '1.2.3', toString(10000000000000 + number % 100000), 'cumulative_volume', toDateTime64('2025-01-01 00:00:00', 3, 'UTC') + intDiv(number, 100000) * 900, number * 10, number * 10000, now64(3) FROM numbers(${BACKFILL})`);
  const refSeconds = (performance.now() - refStarted) / 1000;
  session.close();
  return { rows: Number(n), seconds, refSeconds };
}

const meterKeys = Array.from({ length: METERS }, (_, i) => String(50_000_000_000_000 + i + 1));
log(`reference: bare broker, ${METERS} meters, ${SECONDS} s`);
const ref = await reference(meterKeys);
const refRate = ref.acked / ref.seconds;
log(`end to end: runtime, ${METERS} meters, ${SECONDS} s`);
const e2e = await endToEnd(meterKeys);
const e2eRate = e2e.acked / e2e.seconds;
const common = { meters: METERS, connections: METERS, inflight_per_meter: WINDOW, duration_s: SECONDS };
emit({ metric: 'messages_per_sec', value: Math.round(e2eRate), unit: 'msg/s', target: 'MQTT QoS 1 → codec → durable in chDB (PUBACK after write)', ...common, acknowledged: e2e.acked, accepted_by_runtime: e2e.accepted, failed: e2e.failed });
emit({ metric: 'messages_per_sec', value: Math.round(refRate), unit: 'msg/s', target: 'bare aedes broker → do-nothing subscriber', reference: true, ...common, acknowledged: ref.acked });
emit({ metric: 'broker_overhead_ratio', value: Number((refRate / e2eRate).toFixed(2)), unit: 'x', target: 'bare broker msg/s ÷ end-to-end msg/s' });
log(`backfill: ${BACKFILL} readings`);
const fill = await backfill();
emit({ metric: 'backfill_rows_per_sec', value: Math.round(fill.rows / fill.seconds), unit: 'rows/s', target: 'AnalyticsStore.insertReadings into chDB', rows: fill.rows, seconds: Number(fill.seconds.toFixed(1)) });
emit({ metric: 'backfill_rows_per_sec', value: Math.round(BACKFILL / fill.refSeconds), unit: 'rows/s', target: 'chDB INSERT … SELECT FROM numbers (same rows, no JavaScript)', reference: true, rows: BACKFILL, seconds: Number(fill.refSeconds.toFixed(1)) });
process.exit(0);
