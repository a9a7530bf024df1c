// IoT ingestion, end to end and against its references, in one run:
//   1. reference: a bare aedes broker (no auth, no storage) and a subscriber that does nothing, loaded by
//      the same publisher as 2 — the broker's own ceiling on this machine;
//   2. end to end: 100,000 simulated CJ/T 188 meters behind concentrators (集中器, 200 meters each, one MQTT
//      connection per concentrator: the machine allows 20,000 open files per process, and 集抄 is how
//      remote-read meters reach a utility anyway) publish QoS 1 to the runtime's embedded broker, with the
//      system of record on PostgreSQL; a PUBACK means the reading is durable in chDB; msg/s counts PUBACKs,
//      and the runtime's own accepted counter checks it;
//   3. backfill: 10 million readings through the analytics store's insert, against chDB's native
//      INSERT … SELECT of the same rows in the same session.
// Environment: SHUIYUN_BENCH_METERS (default 100000), SHUIYUN_BENCH_DURATION (s, default 10),
// SHUIYUN_BENCH_BACKFILL (rows, default 10000000), SHUIYUN_BENCH_PG_URL (admin URL of PostgreSQL).
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import { openAnalyticsStore } from '@shuiyun/analytics';
import { openDatabase } from '@shuiyun/db';
import { seedDemoUtility } from '@shuiyun/runtime';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const METERS = Math.min(Number(process.env.SHUIYUN_BENCH_METERS ?? 100_000), 1_000_000);
const PER_CONCENTRATOR = 200;
const CONCENTRATORS = Math.ceil(METERS / PER_CONCENTRATOR);
const ADMIN_URL = process.env.SHUIYUN_BENCH_PG_URL ?? process.env.SHUIYUN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Math.min(Number(process.env.SHUIYUN_BENCH_DURATION ?? 10), 120);
const BACKFILL = Math.min(Number(process.env.SHUIYUN_BENCH_BACKFILL ?? 10_000_000), 50_000_000);
// Reports in flight per connection: a concentrator uploads many meters at once (QoS 1 allows 65,535).
const WINDOW = 16;
const log = (m) => process.stderr.write(`[iot-ingestion] ${m}\n`);
const emit = (o) => process.stdout.write(JSON.stringify({ bench: 'iot-ingestion', ...o }) + '\n');
const children = new Set();
const scratch = mkdtempSync(join(tmpdir(), 'shuiyun-bench-iot-'));

let database = null;
function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
}
async function dropDatabase() {
  if (!database) return;
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  await c.query(`drop database if exists ${database} with (force)`).finally(() => c.end());
  database = null;
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
function publish(url, concentrators) {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, 'bench/lib/mqtt-publisher.mjs'), [], { stdio: ['ignore', 2, 2, 'ipc'] });
    children.add(child);
    child.on('message', (m) => {
      if (m.connected !== undefined) log(`${m.connected} connections up to ${url}`);
      else resolve(m);
    });
    child.on('exit', (code) => code && reject(new Error(`publisher exited ${code}`)));
    child.send({ url, concentrators, seconds: SECONDS, window: WINDOW });
  });
}

async function reference(fleet) {
  const broker = fork(join(root, 'bench/lib/bare-broker.mjs'), [], { stdio: ['ignore', 2, 2, 'ipc'] });
  children.add(broker);
  const { port } = await new Promise((resolve) => broker.once('message', resolve));
  const result = await publish(`mqtt://127.0.0.1:${port}`, fleet);
  broker.kill('SIGTERM');
  return result;
}

/** A fresh PostgreSQL database with the demo utility, the concentrators and their meters (as SQL, in bulk). */
async function prepareDatabase(fleet) {
  database = `shuiyun_bench_iot_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${database}`).finally(() => admin.end());
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const db = await openDatabase({ url: url.toString(), poolSize: 2 });
  await db.migrate();
  await seedDemoUtility(db.db, { password: 'Bench-passw0rd-1' });
  await db.close();
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    const { rows: [t] } = await c.query(`select id, path::text as path from tenants where code = 'demo-county-a'`);
    const product = async (code, kind) =>
      (await c.query(
        `insert into products (tenant_id, tenant_path, code, name, kind, transport, codec, codec_settings, thing_model)
         values ($1, $2, $3, $3, $4, 'mqtt', 'cjt188', '{}', '{"properties":[],"events":[],"services":[]}') returning id`,
        [t.id, t.path, code, kind],
      )).rows[0].id;
    const hub = await product('BENCH-JZQ', 'concentrator');
    const meterProduct = await product('BENCH-188', 'remote-read-meter');
    const digest = (secret) => 'sha256:' + createHash('sha256').update(secret).digest('base64url');
    const hubs = await c.query(
      `insert into devices (tenant_id, tenant_path, product_id, meter_number, device_key, state, mqtt_secret_hash)
       select $1, $2, $3, 'JZQ' || k, k, 'in_service', h from unnest($4::text[], $5::text[]) as x(k, h) returning id, device_key`,
      [t.id, t.path, hub, fleet.map((f) => f.key), fleet.map((f) => digest(f.secret))],
    );
    const hubId = new Map(hubs.rows.map((r) => [r.device_key, r.id]));
    const keys = fleet.flatMap((f) => f.meters);
    const gateways = fleet.flatMap((f) => f.meters.map(() => hubId.get(f.key)));
    await c.query(
      `insert into devices (tenant_id, tenant_path, product_id, meter_number, device_key, state, gateway_id)
       select $1, $2, $3, 'M' || k, k, 'in_service', g from unnest($4::text[], $5::bigint[]) as x(k, g)`,
      [t.id, t.path, meterProduct, keys, gateways],
    );
    await c.query('analyze');
  } finally {
    await c.end();
  }
  return url.toString();
}

async function endToEnd(fleet) {
  const databaseUrl = await prepareDatabase(fleet);
  log(`registered ${fleet.length} concentrators and ${METERS} meters in PostgreSQL`);
  const httpPort = await freePort();
  const mqttPort = await freePort();
  const runtime = spawn(process.execPath, [join(root, 'runtime/server/dist/main.js')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(httpPort), HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), MQTT_HOST: '127.0.0.1', SHUIYUN_DATA_DIR: join(scratch, 'runtime'), SHUIYUN_DEMO_METERS: '0', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 2],
  });
  children.add(runtime);
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error('the runtime did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  const result = await publish(`mqtt://127.0.0.1:${mqttPort}`, fleet);
  const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
  const accepted = Number(/shuiyun_iot_messages_accepted_total\{codec="cjt188"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  const mismatched = Number(/code="device_mismatch"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  runtime.kill('SIGTERM');
  await new Promise((r) => runtime.once('exit', r));
  await dropDatabase();
  return { ...result, accepted, mismatched };
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

const fleet = Array.from({ length: CONCENTRATORS }, (_, c) => ({
  key: String(60_000_000_000_000 + c + 1),
  secret: randomBytes(32).toString('base64url'),
  meters: Array.from({ length: Math.min(PER_CONCENTRATOR, METERS - c * PER_CONCENTRATOR) }, (_, m) => String(50_000_000_000_000 + c * PER_CONCENTRATOR + m + 1)),
}));
log(`reference: bare broker, ${CONCENTRATORS} connections, ${SECONDS} s`);
const ref = await reference(fleet);
const refRate = ref.acked / ref.seconds;
log(`end to end: runtime on PostgreSQL, ${METERS} meters behind ${CONCENTRATORS} concentrators, ${SECONDS} s`);
const e2e = await endToEnd(fleet).finally(dropDatabase);
const e2eRate = e2e.acked / e2e.seconds;
const common = { meters: METERS, concentrators: CONCENTRATORS, connections: CONCENTRATORS, inflight_per_connection: WINDOW, duration_s: SECONDS };
emit({ metric: 'messages_per_sec', value: Math.round(e2eRate), unit: 'msg/s', target: 'MQTT QoS 1 → codec → durable in chDB (PUBACK after write), PostgreSQL registry', ...common, acknowledged: e2e.acked, accepted_by_runtime: e2e.accepted, refused: e2e.mismatched, failed: e2e.failed });
emit({ metric: 'messages_per_sec', value: Math.round(refRate), unit: 'msg/s', target: 'bare aedes broker → do-nothing subscriber', reference: true, ...common, acknowledged: ref.acked });
emit({ metric: 'broker_overhead_ratio', value: Number((refRate / e2eRate).toFixed(2)), unit: 'x', target: 'bare broker msg/s ÷ end-to-end msg/s' });
log(`backfill: ${BACKFILL} readings`);
const fill = await backfill();
emit({ metric: 'backfill_rows_per_sec', value: Math.round(fill.rows / fill.seconds), unit: 'rows/s', target: 'AnalyticsStore.insertReadings into chDB', rows: fill.rows, seconds: Number(fill.seconds.toFixed(1)) });
emit({ metric: 'backfill_rows_per_sec', value: Math.round(BACKFILL / fill.refSeconds), unit: 'rows/s', target: 'chDB INSERT … SELECT FROM numbers (same rows, no JavaScript)', reference: true, rows: BACKFILL, seconds: Number(fill.refSeconds.toFixed(1)) });
process.exit(0);
