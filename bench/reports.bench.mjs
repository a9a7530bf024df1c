// reports: p50/p95 latency of five standard report queries through the report API (POST /api/reports/run)
// on 100 million readings in chDB, and, in the same run, the reference: the analytics half of the same
// query run directly on chDB through the analytics store (no HTTP, no planning, no registry join, no
// shaping), so the overhead ratio is visible (CONVENTIONS.md § Benchmarks).
//
// Setup, all in this process and in one temp dir removed at the end: the runtime on PGlite, demo-seeded,
// with a chDB analytics store; METERS meters registered for demo-county-a in SQL (in service, with
// community and product, 90 % online); then READINGS readings of 'cumulative_volume' written into
// device_readings by ONE chDB `INSERT … SELECT … FROM numbers(N)` (monotone per meter, spread over about
// one year in multiples of 15 minutes). chDB serves one data directory per process and the store exposes
// no raw command, so the store is opened (migrate) and closed, a chDB Session inserts on the same
// directory and is closed, and the store is reopened for the runtime.
//
// The result cache is keyed by a freshness token (durable readings on this node + a one-minute bucket):
// the readings written by the bench do not move it, so every iteration asks for a distinct period
// (shifted by one day) and no timed run can be a cache hit (each answer's `cached` is checked).
// device-online-rate reads PostgreSQL (never cached); its reference is the same aggregate in SQL on PGlite.
//
// Environment: SHUIYUN_BENCH_READINGS (default 100000000), SHUIYUN_BENCH_METERS (default 10000),
// SHUIYUN_BENCH_ITERATIONS (default 20).
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { openAnalyticsStore } from '@shuiyun/analytics';
import { asSystem, openDatabase, tenants } from '@shuiyun/db';
import { createRuntime, loadConfig, seedDemoUtility } from '@shuiyun/runtime';
import { eq, sql } from 'drizzle-orm';
import { pino } from 'pino';

const BENCH = 'reports';
const READINGS = Math.max(1_000, Math.floor(Number(process.env.SHUIYUN_BENCH_READINGS ?? 100_000_000) || 100_000_000));
const METERS = Math.max(10, Math.floor(Number(process.env.SHUIYUN_BENCH_METERS ?? 10_000) || 10_000));
const ITERATIONS = Math.max(3, Math.floor(Number(process.env.SHUIYUN_BENCH_ITERATIONS ?? 20) || 20));
const WARMUP = 2;
const PASSWORD = 'Bench-passw0rd-2026';
const TZ = 'Asia/Shanghai';
const KEY_BASE = 20_000_000_000_000; // 14-digit CJ/T 188 addresses
const START = Date.UTC(2025, 0, 1) - 8 * 3600_000; // 2025-01-01 00:00 in Shanghai
const PER_METER = Math.ceil(READINGS / METERS);
// Multiples of 15 minutes so that PER_METER readings span about a year (at least one step of 15 min).
const STEP_S = 900 * Math.max(1, Math.floor((365 * 96) / PER_METER));
const SPAN_DAYS = Math.floor((PER_METER * STEP_S) / 86_400);

const log = (message) => process.stderr.write(`[${BENCH}] ${message}\n`);
const emit = (line) => process.stdout.write(`${JSON.stringify({ bench: BENCH, ...line })}\n`);
const scratch = mkdtempSync(join(tmpdir(), 'shuiyun-bench-reports-'));
let cleaned = false;
const cleanup = () => {
  if (cleaned) return;
  cleaned = true;
  rmSync(scratch, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(1));
setTimeout(() => {
  log('overall time limit (40 min) reached');
  process.exit(1);
}, 40 * 60_000).unref();

// Roughly 12 bytes per reading on disk once compressed, x3 for merges in flight: refuse early, not halfway.
const { bavail, bsize } = statfsSync(scratch);
const freeBytes = bavail * bsize;
if (READINGS * 36 > freeBytes) throw new Error(`not enough disk in ${scratch} for ${READINGS} readings (${(freeBytes / 2 ** 30).toFixed(1)} GiB free)`);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const round = (x) => Math.round(x * 100) / 100;
const day = (offset) => new Date(Date.UTC(2025, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
/** Shanghai local day `offset` (days after 2025-01-01) → its first instant. */
const dayStart = (offset) => new Date(START + offset * 86_400_000);

// ---------------------------------------------------------------- PostgreSQL (PGlite) with the registry
const pgDir = join(scratch, 'pglite');
const chDir = join(scratch, 'chdb');
const database = await openDatabase({ dataDir: pgDir });
await database.migrate();
await seedDemoUtility(database.db, { password: PASSWORD });
const [tenant] = await asSystem(database.db, (tx) => tx.select().from(tenants).where(eq(tenants.code, 'demo-county-a')));
const tenantPath = String(tenant.path);
const communities = await asSystem(database.db, async (tx) => {
  const { rows } = await tx.execute(sql`select id::int as id, name from communities where tenant_id = ${tenant.id} order by id`);
  if (rows.length === 0) throw new Error('demo-county-a has no community');
  const { rows: [product] } = await tx.execute(sql`
    insert into products (tenant_id, tenant_path, code, name, kind, transport, codec, codec_settings, thing_model)
    values (${tenant.id}, ${tenantPath}, 'BENCH-RPT', 'Bench CJ/T 188', 'remote-read-meter', 'mqtt', 'cjt188', '{}',
      '{"properties":[{"identifier":"cumulative_volume","name":{"zh":"累计流量","en":"Cumulative volume"},"dataType":"decimal","unit":"m³","min":0,"max":99999999.99,"scale":2,"access":"r"}],"events":[],"services":[]}')
    returning id::int as id`);
  const ids = rows.map((r) => r.id);
  await tx.execute(sql`
    insert into devices (tenant_id, tenant_path, product_id, meter_number, device_key, state, online, community_id, org_path)
    select ${tenant.id}, ${tenantPath}, ${product.id}, 'BR' || i, (${KEY_BASE}::bigint + i)::text, 'in_service', i % 10 <> 0,
      c.id, c.org_path
    from generate_series(0, ${METERS - 1}) as i
    join communities c on c.id = (${sql.raw(`array[${ids.join(',')}]`)})[1 + i % ${ids.length}]`);
  await tx.execute(sql`analyze devices`);
  return rows;
});
log(`registered ${METERS} meters for demo-county-a (tenant ${tenant.id}, path ${tenantPath}) in ${communities.length} communities`);

// ---------------------------------------------------------------- chDB: schema, then one INSERT … SELECT
{
  const store = await openAnalyticsStore({ dataDir: chDir });
  await store.migrate();
  await store.close();
  const { Session } = await import('chdb');
  const session = new Session(chDir);
  // Meters are staggered over the step on the 15-minute grid, so not every meter reads at the same instant.
  const STAGGER = `(number % ${METERS}) % ${STEP_S / 900} * 900`;
  const t0 = performance.now();
  // number → meter number % METERS, step intDiv(number, METERS); value grows by 0.010–0.049 m³ a step.
  session.query(`INSERT INTO shuiyun.device_readings (tenant_id, tenant_path, device, metric, at, value, received_at)
    SELECT ${tenant.id}, '${tenantPath}', toString(${KEY_BASE} + number % ${METERS}), 'cumulative_volume',
      toDateTime64(${START / 1000}, 3, 'UTC') + toIntervalSecond(intDiv(number, ${METERS}) * ${STEP_S} + ${STAGGER}),
      toDecimal64(intDiv(number, ${METERS}) * (10 + (number % ${METERS}) % 40) + (number % ${METERS}) * 1000, 3) / 1000,
      toDateTime64(${START / 1000}, 3, 'UTC') + toIntervalSecond(intDiv(number, ${METERS}) * ${STEP_S} + ${STAGGER} + 60)
    FROM numbers(${READINGS})
    SETTINGS max_insert_threads = 4, max_partitions_per_insert_block = 1000`);
  const seedS = (performance.now() - t0) / 1000;
  const count = Number(session.query('SELECT count() FROM shuiyun.device_readings', 'CSV').trim());
  session.close();
  log(`seeded ${count} readings (${METERS} meters × ${PER_METER}, every ${STEP_S / 60} min over ${SPAN_DAYS} days) in ${seedS.toFixed(1)} s`);
  if (count !== READINGS) throw new Error(`expected ${READINGS} readings, found ${count}`);
  emit({ metric: 'seed_s', value: round(seedS), unit: 's', readings: READINGS, meters: METERS, target: 'chDB INSERT … SELECT FROM numbers into device_readings' });
}

// ---------------------------------------------------------------- the runtime
const analytics = await openAnalyticsStore({ dataDir: chDir });
await analytics.migrate();
const config = loadConfig({ LOG_LEVEL: 'silent', MQTT_PORT: '0', COAP_PORT: '0', MODBUS_POLLING: 'off' });
const runtime = await createRuntime({ database, config, analytics, logger: pino({ level: 'silent' }) });
const server = await new Promise((resolve) => {
  const s = runtime.app.listen(0, '127.0.0.1', () => resolve(s));
});
const base = `http://127.0.0.1:${server.address().port}`;
const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin@demo-county-a', password: PASSWORD }) });
if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
const { accessToken } = await login.json();

async function runReport(body) {
  const res = await fetch(`${base}/api/reports/run`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /api/reports/run → ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

// ---------------------------------------------------------------- the five queries and their references
const scope = { tenantPath };
const tsParam = "DateTime64(3, 'UTC')";
const consumptionSource = JSON.parse(readFileSync(new URL('../reports/engine/builtin/daily-consumption.json', import.meta.url), 'utf8')).source.sql
  .replaceAll('{{timeZone}}', `'${TZ}'`)
  .replaceAll('{{param.period.start}}', `{start:${tsParam}}`)
  .replaceAll('{{param.period.end}}', `{end:${tsParam}}`)
  .replaceAll('{{param.period.from}}', '{from:Date}')
  .replaceAll('{{param.period.to}}', '{to:Date}');
if (/\{\{(?!readings\}\})/.test(consumptionSource)) throw new Error('daily-consumption source has a placeholder the bench does not fill');
const C1 = communities[0];
const c1Devices = Array.from({ length: METERS }, (_, i) => i).filter((i) => i % communities.length === 0).map((i) => String(KEY_BASE + i));
// Periods stay inside the seeded span: month windows start on day i (i < ITERATIONS + WARMUP).
const lastStart = Math.max(0, SPAN_DAYS - 31 - ITERATIONS - WARMUP);
const spanOk = lastStart > 0;
if (!spanOk) log(`warning: the data spans only ${SPAN_DAYS} days; some periods reach past it`);
const periodAt = (i, days) => ({ from: day(1 + i), to: day(1 + i + days - 1) });
const periodParams = (i, days) => ({ from: day(1 + i), to: day(1 + i + days - 1), start: dayStart(1 + i), end: dayStart(1 + i + days) });

const queries = [
  {
    name: 'reading-rate per day, one month',
    api: (i) => ({ dataset: 'reading-rate', query: { dimensions: ['day'], measures: ['devicesRead', 'devicesDue', 'readingRate'], parameters: { period: periodAt(i, 30) } } }),
    reference: (i) => {
      const p = periodParams(i, 30);
      return analytics.query(scope, `SELECT toDate(at, '${TZ}') AS day, uniqExact(device) AS devices_read FROM {{readings}}
        WHERE metric = 'cumulative_volume' AND at >= {start:${tsParam}} AND at < {end:${tsParam}} GROUP BY day ORDER BY day`, { start: p.start, end: p.end });
    },
  },
  {
    name: 'reading-rate per community, one month',
    api: (i) => ({ dataset: 'reading-rate', query: { dimensions: ['community', 'communityName'], measures: ['devicesRead', 'devicesDue', 'readingRate'], parameters: { period: periodAt(i, 30) } } }),
    // The community comes from the registry (PostgreSQL), joined by the runtime: on chDB it is the set of meters read.
    reference: (i) => {
      const p = periodParams(i, 30);
      return analytics.query(scope, `SELECT tenant_id, device, count() AS readings FROM {{readings}}
        WHERE metric = 'cumulative_volume' AND at >= {start:${tsParam}} AND at < {end:${tsParam}} GROUP BY tenant_id, device`, { start: p.start, end: p.end });
    },
  },
  {
    name: 'daily-consumption per community per day, one week',
    api: (i) => ({ dataset: 'daily-consumption', query: { dimensions: ['day', 'communityName'], measures: ['consumption', 'devicesRead', 'devicesMeasured'], parameters: { period: periodAt(i, 7) } } }),
    reference: (i) => {
      const p = periodParams(i, 7);
      return analytics.query(scope, `SELECT tenant_id, device, day, sum(delta) AS consumption, count() AS days FROM (${consumptionSource})
        GROUP BY tenant_id, device, day`, p);
    },
  },
  {
    name: 'daily-consumption per meter, one community, one day, page 1 of 50',
    api: (i) => ({ dataset: 'daily-consumption', query: { dimensions: ['device'], measures: ['consumption'], parameters: { period: periodAt(i, 1), community: [C1.id] } }, page: 1, pageSize: 50 }),
    reference: (i) => {
      const p = periodParams(i, 1);
      return analytics.query(scope, `SELECT device, sum(delta) AS consumption FROM (${consumptionSource})
        WHERE device IN {devices:Array(String)} GROUP BY device ORDER BY device LIMIT 50`, { ...p, devices: c1Devices });
    },
  },
  {
    name: 'device-online-rate per community',
    cacheFree: true,
    api: () => ({ dataset: 'device-online-rate', query: { dimensions: ['communityName'], measures: ['devices', 'inService', 'onlineDevices', 'onlineRate'] } }),
    // A PostgreSQL dataset: the reference is the same aggregate in SQL on PGlite, no API.
    reference: () =>
      asSystem(database.db, (tx) =>
        tx.execute(sql`select c.name, count(*)::int as devices, count(*) filter (where d.state = 'in_service')::int as in_service,
          count(*) filter (where d.online)::int as online from devices d left join communities c on c.id = d.community_id
          where d.tenant_id = ${tenant.id} group by c.name order by c.name`),
      ),
  },
];

async function time(fn) {
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, result };
}

for (const q of queries) {
  const api = [];
  const ref = [];
  let rows = 0;
  let cachedHits = 0;
  // Warm-up, then alternate API and reference on the same period (same page cache state for both).
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const a = await time(() => runReport(q.api(i)));
    const r = await time(() => q.reference(i));
    if (a.result.cached) cachedHits++;
    if (i < WARMUP) continue;
    api.push(a.ms);
    ref.push(r.ms);
    rows = a.result.page?.total ?? a.result.rows?.length ?? rows;
  }
  api.sort((x, y) => x - y);
  ref.sort((x, y) => x - y);
  const common = { query: q.name, readings: READINGS, meters: METERS, iterations: ITERATIONS };
  const p50 = percentile(api, 50);
  const p95 = percentile(api, 95);
  const r50 = percentile(ref, 50);
  const r95 = percentile(ref, 95);
  log(`${q.name}: API p50 ${p50.toFixed(1)} ms p95 ${p95.toFixed(1)} ms (${rows} rows, ${cachedHits} cached); direct p50 ${r50.toFixed(1)} ms p95 ${r95.toFixed(1)} ms`);
  emit({ metric: 'p50_ms', value: round(p50), unit: 'ms', ...common, target: 'POST /api/reports/run', rows, cached_hits: cachedHits });
  emit({ metric: 'p95_ms', value: round(p95), unit: 'ms', ...common, target: 'POST /api/reports/run', rows, cached_hits: cachedHits });
  const refTarget = q.cacheFree ? 'the same aggregate in SQL on PGlite' : 'the analytics half in SQL on chDB via AnalyticsStore.query';
  emit({ metric: 'p50_ms', value: round(r50), unit: 'ms', ...common, target: refTarget, reference: true });
  emit({ metric: 'p95_ms', value: round(r95), unit: 'ms', ...common, target: refTarget, reference: true });
  emit({ metric: 'overhead_ratio', value: round(p50 / r50), unit: 'x', ...common, target: 'API p50 ÷ direct p50', p95_ratio: round(p95 / r95) });
}

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await runtime.close();
await analytics.close();
await database.close();
cleanup();
process.exit(0);
