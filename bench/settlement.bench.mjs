// settlement: monthly settlement (月度结算) of METERS meters by the metering pack's `settlePeriod` —
// their month-end remote readings read from the analytics store (chDB), openings and averages from
// earlier settlements in PostgreSQL, every meter settled by the domain's `settleMeter` and written as
// settlement records in batches of 5,000 (one multi-row insert each) — in meters/s; and, in the same run,
// the reference: a raw COPY of the very same settlement rows into an identical empty table, in rows/s.
//
// Setup, not timed, on the real PostgreSQL server (a fresh database, dropped at the end; PGlite is not
// the at-scale store) and chDB in a temp dir: the runtime (built dist) migrated and demo-seeded, the
// metering pack installed in demo-county-a through the API; METERS meter records COPYed into
// entity_records (triggers off for the load); HISTORY earlier settlements per meter (INSERT … SELECT);
// one month-end reading per meter written into device_readings by one chDB `INSERT … SELECT FROM numbers`
// (2 % of the meters get none and are estimated from their average). chDB serves one data directory per
// process, so, as reports.bench.mjs does, the store is opened (migrate) and closed, a chDB Session inserts,
// and the store is reopened for the runtime.
//
// The timed call is `settlePeriod(services, { period, scope: '*' })` with the services the runtime gives
// a pack's worker for the tenant (the `metering.settle-period` worker calls exactly this); the period is
// the last month that has ended (tenant zone Asia/Shanghai, settlement day 1).
//
// Environment: SETTLEMENT_BENCH_METERS (default 1000000; e.g. 20000 for a quick try), SETTLEMENT_BENCH_HISTORY
// (earlier periods per meter, default 3), SETTLEMENT_BENCH_BATCH (meters per batch, default 5000),
// SETTLEMENT_BENCH_CONCURRENCY (batches in flight, default 2), SETTLEMENT_BENCH_PROFILE=1 (time every
// statement and the analytics stream), SETTLEMENT_BENCH_KEEP_DB=1 (keep the database to inspect it),
// SHUIYUN_BENCH_PG_URL ?? SHUIYUN_TEST_PG_URL (admin URL of PostgreSQL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { openAnalyticsStore } from '@shuiyun/analytics';
import { openDatabase } from '@shuiyun/db';
import { metering } from '@shuiyun/pack-metering';
import { createRuntime, loadConfig, seedDemoUtility } from '@shuiyun/runtime';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pino } from 'pino';
// The pack's settlement core and the domain's period functions (the package exports only the manifest),
// and the runtime's pack services (what `kit.services` and the worker use), from the built dist.
import { settlePeriod } from '../domain-packs/metering/dist/settlement/index.js';
import { periodBounds, periodContaining, previousPeriod } from '../domain-packs/metering/dist/domain/index.js';
import { packServices } from '../runtime/server/dist/packs/services.js';

const BENCH = 'settlement';
const int = (value, fallback, min) => Math.max(min, Math.floor(Number(value ?? fallback) || fallback));
const METERS = int(process.env.SETTLEMENT_BENCH_METERS, 1_000_000, 10);
const HISTORY = int(process.env.SETTLEMENT_BENCH_HISTORY, 3, 1);
const BATCH = int(process.env.SETTLEMENT_BENCH_BATCH, 5_000, 100);
const CONCURRENCY = int(process.env.SETTLEMENT_BENCH_CONCURRENCY, 2, 1);
const ADMIN_URL = process.env.SHUIYUN_BENCH_PG_URL ?? process.env.SHUIYUN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PASSWORD = 'Bench-passw0rd-2026';
const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;

const log = (message) => process.stderr.write(`[${BENCH}] ${message}\n`);
const emit = (line) => process.stdout.write(`${JSON.stringify({ bench: BENCH, ...line })}\n`);
const round = (x) => Math.round(x * 100) / 100;

// ---------------------------------------------------------------- cleanup: the database and the temp dir
const scratch = mkdtempSync(join(tmpdir(), 'shuiyun-bench-settlement-'));
let databaseName = null;
let closers = [];
let cleaning = null;
async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
function cleanup() {
  cleaning ??= (async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    closers = [];
    if (databaseName && process.env.SETTLEMENT_BENCH_KEEP_DB) log(`kept the database ${databaseName} (SETTLEMENT_BENCH_KEEP_DB)`);
    else if (databaseName) {
      const name = databaseName;
      databaseName = null;
      await withClient(ADMIN_URL, (c) => c.query(`drop database if exists ${name} with (force)`)).catch((error) => log(`could not drop ${name}: ${error.message}`));
    }
    rmSync(scratch, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void cleanup().finally(() => process.exit(130)));
setTimeout(() => {
  log('overall time limit (60 min) reached');
  void cleanup().finally(() => process.exit(1));
}, 60 * 60_000).unref();

try {
  // -------------------------------------------------------------- PostgreSQL: a fresh database, migrated and seeded
  databaseName = `shuiyun_bench_settlement_${process.pid}_${Date.now()}`;
  await withClient(ADMIN_URL, (c) => c.query(`create database ${databaseName}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${databaseName}`;
  const dbUrl = url.toString();
  const database = await openDatabase({ url: dbUrl, poolSize: 4 });
  closers.push(() => database.close());
  await database.migrate();
  await seedDemoUtility(database.db, { password: PASSWORD });

  // -------------------------------------------------------------- chDB: schema now, readings after the meters exist
  const chDir = join(scratch, 'chdb');
  {
    const store = await openAnalyticsStore({ dataDir: chDir });
    await store.migrate();
    await store.close();
  }

  // The period: the last month that has ended in the tenant's zone (settlement day 1), and the ones before.
  const period = previousPeriod(periodContaining(new Date(), 1, TZ));
  const periods = [period];
  for (let k = 0; k < HISTORY; k++) periods.unshift(previousPeriod(periods[0]));
  const bounds = Object.fromEntries(periods.map((p) => [p, periodBounds(p, 1, TZ)]));
  /** Each period's month-end read: 09:00 local on its last day (15 h before the end, inside a 3-day window). */
  const readAt = (p) => new Date(bounds[p].endsAt.getTime() - 15 * HOUR);
  const installedAt = new Date(bounds[periods[0]].startsAt.getTime() - 10 * 86_400_000);
  const installedDate = new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(installedAt);
  log(`settling ${period} for ${METERS} meters (history ${periods.slice(0, -1).join(', ')}; installed ${installedDate})`);

  // -------------------------------------------------------------- the runtime with the metering pack, installed in demo-county-a
  const { tenant } = await withClient(dbUrl, async (c) => {
    const { rows } = await c.query(`select id::int as id, path::text as path from tenants where code = 'demo-county-a'`);
    return { tenant: rows[0] };
  });

  // Meter i: base (i mod 1000) × 1000 L, v = 3000 + (i mod 300) × 10 L a month; the record of the k-th
  // earlier period ends at base + k·v; this period's reading is base + (HISTORY + 1)·v, except every 50th
  // meter, which has none (estimated from its average). Readings go in before the runtime opens the store.
  {
    const t0 = performance.now();
    const at = `toDateTime64(${readAt(period).getTime() / 1000}, 3, 'UTC')`;
    const { Session } = await import('chdb');
    const session = new Session(chDir);
    session.query(`INSERT INTO shuiyun.device_readings (tenant_id, tenant_path, device, metric, at, value, received_at)
      SELECT ${tenant.id}, '${tenant.path}', concat('BM', leftPad(toString(number), 7, '0')), 'cumulative_volume', ${at},
        toDecimal64((number % 1000) * 1000 + ${HISTORY + 1} * (3000 + (number % 300) * 10), 3), ${at}
      FROM numbers(${METERS}) WHERE number % 50 != 0
      SETTINGS max_insert_threads = 2`);
    const count = Number(session.query('SELECT count() FROM shuiyun.device_readings', 'CSV').trim());
    session.close();
    const expected = METERS - Math.ceil(METERS / 50);
    if (count !== expected) throw new Error(`expected ${expected} readings in chDB, found ${count}`);
    log(`seeded ${count} month-end readings into chDB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const analytics = await openAnalyticsStore({ dataDir: chDir });
  closers.push(() => analytics.close());
  const config = loadConfig({ LOG_LEVEL: 'silent', MQTT_PORT: '0', COAP_PORT: '0', MODBUS_POLLING: 'off' });
  const runtime = await createRuntime({ database, config, analytics, logger: pino({ level: 'silent' }), packs: [metering], workflowTickMs: 1_000 });
  closers.push(() => runtime.close());
  const server = await new Promise((resolve) => {
    const s = runtime.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin@demo-county-a', password: PASSWORD }) });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const { accessToken } = await login.json();
  const installed = await fetch(`${base}/api/packs/metering/install`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: '{}' });
  if (installed.status >= 300) throw new Error(`install failed: ${installed.status} ${await installed.text()}`);
  log(`metering installed in demo-county-a (tenant ${tenant.id}, path ${tenant.path})`);

  // -------------------------------------------------------------- seed meters (COPY) and earlier settlements (INSERT … SELECT)
  const meterNo = (i) => `BM${String(i).padStart(7, '0')}`;
  await withClient(dbUrl, async (c) => {
    const t0 = performance.now();
    await c.query(`set session_replication_role = replica`); // no audit rows for a bulk load
    const rows = (function* () {
      for (let i = 0; i < METERS; i += 10_000) {
        let chunk = '';
        for (let j = i; j < Math.min(METERS, i + 10_000); j++) {
          const data = { meterNo: meterNo(j), kind: 'remote', device: meterNo(j), registerDigits: 6, initialReadingL: (j % 1000) * 1000, installedAt: installedDate, status: 'in_service' };
          chunk += `${tenant.id}\t${tenant.path}\tmetering_meter\t${JSON.stringify(data)}\n`;
        }
        yield chunk;
      }
    })();
    await pipeline(Readable.from(rows), c.query(copyFrom(`copy entity_records (tenant_id, tenant_path, entity, data) from stdin`)));
    const meters = (performance.now() - t0) / 1000;
    log(`copied ${METERS} meter records in ${meters.toFixed(1)} s`);
    const t1 = performance.now();
    for (let k = 1; k <= HISTORY; k++) {
      const p = periods[k - 1];
      const startAt = k === 1 ? installedAt : readAt(periods[k - 2]);
      await c.query(
        `insert into pack_metering.settlements (tenant_id, tenant_path, period, meter_id, meter_no, start_l, end_l, volume_l, source, start_at, end_at, flags, segments)
         select m.tenant_id, m.tenant_path, $1, m.id, m.data->>'meterNo', b.base + ($2::int - 1) * b.v, b.base + $2::int * b.v, b.v, 'remote', $3::timestamptz, $4::timestamptz, '{}',
                jsonb_build_array(jsonb_build_object('meterId', m.id, 'meter', 'old', 'meterIndex', 0, 'fromL', (b.base + ($2::int - 1) * b.v)::text, 'toL', (b.base + $2::int * b.v)::text, 'volumeL', b.v::text, 'rolledOver', false))
           from entity_records m
           cross join lateral (select substr(m.data->>'meterNo', 3)::bigint as i) n
           cross join lateral (select (n.i % 1000) * 1000 as base, 3000 + (n.i % 300) * 10 as v) b
          where m.tenant_id = $5 and m.entity = 'metering_meter'`,
        [p, k, startAt.toISOString(), readAt(p).toISOString(), tenant.id],
      );
      log(`  history ${p}: ${METERS} records`);
    }
    await c.query(`analyze`);
    emit({ metric: 'seed_s', value: round(meters + (performance.now() - t1) / 1000), unit: 's', meters: METERS, history: HISTORY, target: 'COPY entity_records + INSERT … SELECT earlier settlements (not timed below)' });
  });


  // -------------------------------------------------------------- timed: settlePeriod for every meter
  const platform = packServices({ db: database.db, analytics, workflow: runtime.workflow, permissions: runtime.permissions }, runtime.packs.get('metering'), {
    tenant: { id: tenant.id, path: tenant.path, timeZone: TZ },
    user: null,
    locale: 'zh-CN',
  });
  // SETTLEMENT_BENCH_PROFILE=1: time every statement by its first words, reported after the run.
  const profile = new Map();
  const timed = (key, started) => {
    const entry = profile.get(key) ?? { n: 0, ms: 0 };
    entry.n++;
    entry.ms += performance.now() - started;
    profile.set(key, entry);
  };
  const services = process.env.SETTLEMENT_BENCH_PROFILE
    ? {
        ...platform,
        analytics: {
          ...platform.analytics,
          stream: (text, params, batchRows) => ({
            async *[Symbol.asyncIterator]() {
              const started = performance.now();
              let rows = 0;
              for await (const batch of platform.analytics.stream(text, params, batchRows)) {
                rows += batch.length;
                yield batch;
              }
              timed(`analytics stream (${rows} rows)`, started);
            },
          }),
        },
        transaction: (work) =>
          platform.transaction((tx) =>
            work({
              ...tx,
              query: async (text, params) => {
                const started = performance.now();
                try {
                  return await tx.query(text, params);
                } finally {
                  timed(text.replace(/\s+/g, ' ').slice(0, 90), started);
                }
              },
            }),
          ),
      }
    : platform;
  let lastLog = 0;
  const t0 = performance.now();
  const result = await settlePeriod(
    services,
    { period, scope: '*' },
    (done, total) => {
      if (done - lastLog >= 100_000 || done === total) {
        lastLog = done;
        log(`  ${done} / ${total} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    },
    { batchSize: BATCH, concurrency: CONCURRENCY },
  );
  const settleS = (performance.now() - t0) / 1000;
  for (const [key, { n, ms }] of [...profile].sort((a, b) => b[1].ms - a[1].ms)) log(`  ${(ms / 1000).toFixed(2)} s in ${n} × ${key}`);
  if (result.meters !== METERS || result.skipped.length > 0) throw new Error(`expected ${METERS} records, got ${result.meters} (${result.skipped.length} skipped)`);

  // Check: a remote meter's volume is exactly v = 3000 + (i mod 300) × 10; estimated ones are every 50th.
  const check = await withClient(dbUrl, async (c) => {
    const { rows } = await c.query(
      `select count(*) filter (where source = 'remote')::int as remote, count(*) filter (where source = 'estimated')::int as estimated,
              coalesce(sum(volume_l) filter (where source = 'remote'), 0)::text as remote_l, sum(volume_l)::text as total_l
         from pack_metering.settlements where period = $1`,
      [period],
    );
    return rows[0];
  });
  let remoteL = 0n;
  for (let i = 0; i < METERS; i++) if (i % 50 !== 0) remoteL += BigInt(3000 + (i % 300) * 10);
  if (check.remote !== METERS - Math.ceil(METERS / 50) || BigInt(check.remote_l) !== remoteL) throw new Error(`wrong settlement: ${JSON.stringify(check)} (remote Σ expected ${remoteL})`);
  const metersPerS = METERS / settleS;
  log(`settled ${METERS} meters in ${settleS.toFixed(1)} s: ${Math.round(metersPerS)} meters/s (${check.remote} remote, ${check.estimated} estimated, Σ ${check.total_l} L)`);
  emit({ metric: 'meters_per_s', value: Math.round(metersPerS), unit: 'meters/s', meters: METERS, seconds: round(settleS), batch: BATCH, concurrency: CONCURRENCY, history: HISTORY, period, target: 'settlePeriod: chDB month-end readings → PostgreSQL settlement records' });

  // -------------------------------------------------------------- reference: raw COPY of the same rows into an identical empty table
  const copyS = await withClient(dbUrl, async (c) => {
    const columns = 'tenant_id, tenant_path, period, meter_id, meter_no, start_l, end_l, volume_l, source, start_at, end_at, flags, segments';
    const chunks = [];
    await pipeline(
      c.query(copyTo(`copy (select ${columns} from pack_metering.settlements where period = '${period}') to stdout`)),
      new Writable({
        write(chunk, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      }),
    );
    const bytes = chunks.reduce((n, b) => n + b.length, 0);
    await c.query(`create table pack_metering.bench_copy_reference (like pack_metering.settlements including all)`);
    await c.query(`checkpoint`);
    const t1 = performance.now();
    await pipeline(Readable.from(chunks), c.query(copyFrom(`copy pack_metering.bench_copy_reference (${columns}) from stdin`)));
    const seconds = (performance.now() - t1) / 1000;
    const { rows } = await c.query(`select count(*)::int as n from pack_metering.bench_copy_reference`);
    if (rows[0].n !== METERS) throw new Error(`COPY reference holds ${rows[0].n} rows`);
    await c.query(`drop table pack_metering.bench_copy_reference`);
    log(`COPY of the same ${METERS} rows (${(bytes / 2 ** 20).toFixed(0)} MiB) into an identical empty table: ${seconds.toFixed(1)} s, ${Math.round(METERS / seconds)} rows/s`);
    return seconds;
  });
  const copyPerS = METERS / copyS;
  emit({ metric: 'rows_per_s', value: Math.round(copyPerS), unit: 'rows/s', rows: METERS, seconds: round(copyS), reference: true, target: 'COPY FROM STDIN of the same settlement rows into an identical empty table (same indexes)' });
  emit({ metric: 'copy_ratio', value: round(copyPerS / metersPerS), unit: 'x', meters: METERS, target: 'COPY rows/s ÷ settlement meters/s' });

  await cleanup();
  process.exit(0);
} catch (error) {
  log(`failed: ${error?.stack ?? error}`);
  await cleanup();
  process.exit(1);
}
