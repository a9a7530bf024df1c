// billing: the billing pack's monthly run (计费) over ACCOUNTS accounts, in bills/s — every account's
// settled volume read from metering's settlement records, priced on the seeded annual tiered tariff
// (Beijing's published numbers) by the domain's `priceVolume`, written as bills, bill lines and charges in
// batches (one multi-row insert per table per batch) — and, in the same run, the reference: a raw COPY of
// the very same rows (bills, their lines and charges) into identical empty tables. Then the counter: p99
// latency of `POST /api/ext/billing/payments` (a cash payment: lock the account, book, allocate oldest
// first, take the next gapless receipt number) under CASHIERS concurrent signed-in cashiers, each paying
// one request after another, with the reference of the same run: p99 of `GET /api/auth/me` (sign-in check
// only) under the same concurrency on the same runtime.
//
// Setup, not timed, on the real PostgreSQL server (a fresh database, dropped at the end): the runtime
// (built dist) migrated and demo-seeded, metering and billing installed in demo-county-a through the API
// (billing's install seeds its tariffs, settings and receipt series); ACCOUNTS households, meters,
// customers and accounts and one settlement record per meter for the period by INSERT … SELECT (audit
// triggers off for the load); a `runs` row for the period, as the `metering.period-closed` handler writes.
// Meter i uses (i mod 100) × 3 m³ + 1.234 m³ in the month, so bills fall in every tier; one account in a
// hundred has prepaid credit, which the run sets against its bill.
//
// The timed call is `runBilling(services, runId)` with the services the runtime gives a pack's worker (the
// `billing.run-period` worker calls exactly this). The counter part runs the built runtime in a child
// process (bench/lib/runtime-server.mjs), so the load generator does not share its event loop.
//
// Environment: BILLING_BENCH_ACCOUNTS (default 1000000; e.g. 20000 for a quick try), BILLING_BENCH_BATCH
// (accounts per batch, default the pack's 2000), BILLING_BENCH_CASHIERS (default 50),
// BILLING_BENCH_SECONDS (counter load per target, default 20), BILLING_BENCH_KEEP_DB=1,
// SHUIYUN_BENCH_PG_URL ?? SHUIYUN_TEST_PG_URL (admin URL of PostgreSQL).
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '@shuiyun/db';
import { metering } from '@shuiyun/pack-metering';
import { billing } from '@shuiyun/pack-billing';
import { createRuntime, loadConfig, seedDemoUtility } from '@shuiyun/runtime';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pino } from 'pino';
// The pack's run core (the package exports only the manifest and the domain) and the runtime's pack
// services (what the worker gets), from the built dist.
import { runBilling } from '../domain-packs/billing/dist/billing/run.js';
import { packServices } from '../runtime/server/dist/packs/services.js';

const BENCH = 'billing';
const int = (value, fallback, min) => Math.max(min, Math.floor(Number(value ?? fallback) || fallback));
const ACCOUNTS = int(process.env.BILLING_BENCH_ACCOUNTS, 1_000_000, 10);
const BATCH = process.env.BILLING_BENCH_BATCH ? int(process.env.BILLING_BENCH_BATCH, 2_000, 10) : undefined;
const CASHIERS = int(process.env.BILLING_BENCH_CASHIERS, 50, 1);
const SECONDS = int(process.env.BILLING_BENCH_SECONDS, 20, 2);
const ADMIN_URL = process.env.SHUIYUN_BENCH_PG_URL ?? process.env.SHUIYUN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PASSWORD = 'Bench-passw0rd-2026';
const TZ = 'Asia/Shanghai';
const PERIOD = '2026-10';
/** 2026-10 in Asia/Shanghai: [10-01 00:00, 11-01 00:00) local. */
const STARTS_AT = '2026-09-30T16:00:00Z';
const ENDS_AT = '2026-10-31T16:00:00Z';

const log = (message) => process.stderr.write(`[${BENCH}] ${message}\n`);
const emit = (line) => process.stdout.write(`${JSON.stringify({ bench: BENCH, ...line })}\n`);
const round = (x) => Math.round(x * 100) / 100;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

// ---------------------------------------------------------------- cleanup: the child runtime and the database
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
    if (databaseName && process.env.BILLING_BENCH_KEEP_DB) log(`kept the database ${databaseName} (BILLING_BENCH_KEEP_DB)`);
    else if (databaseName) {
      const name = databaseName;
      databaseName = null;
      await withClient(ADMIN_URL, (c) => c.query(`drop database if exists ${name} with (force)`)).catch((error) => log(`could not drop ${name}: ${error.message}`));
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void cleanup().finally(() => process.exit(130)));
setTimeout(() => {
  log('overall time limit (60 min) reached');
  void cleanup().finally(() => process.exit(1));
}, 60 * 60_000).unref();

/** A JSON call against the runtime at `base` that throws on a non-2xx answer. */
async function api(base, method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

try {
  // -------------------------------------------------------------- PostgreSQL: a fresh database, migrated and seeded
  databaseName = `shuiyun_bench_billing_${process.pid}_${Date.now()}`;
  await withClient(ADMIN_URL, (c) => c.query(`create database ${databaseName}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${databaseName}`;
  const dbUrl = url.toString();
  const database = await openDatabase({ url: dbUrl, poolSize: 4 });
  closers.push(() => database.close());
  await database.migrate();
  await seedDemoUtility(database.db, { password: PASSWORD });
  const { tenant } = await withClient(dbUrl, async (c) => {
    const { rows } = await c.query(`select id::int as id, path::text as path from tenants where code = 'demo-county-a'`);
    return { tenant: rows[0] };
  });

  // -------------------------------------------------------------- the runtime with both packs, installed in demo-county-a
  const config = loadConfig({ LOG_LEVEL: 'silent', MQTT_PORT: '0', COAP_PORT: '0', MODBUS_POLLING: 'off' });
  const runtime = await createRuntime({ database, config, logger: pino({ level: 'silent' }), packs: [metering, billing], workflowTickMs: 1_000 });
  let runtimeOpen = true;
  const closeRuntime = async () => {
    if (!runtimeOpen) return;
    runtimeOpen = false;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await runtime.close();
  };
  const server = await new Promise((resolve) => {
    const s = runtime.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  closers.push(closeRuntime);
  const base = `http://127.0.0.1:${server.address().port}`;
  const admin = (await api(base, 'POST', '/api/auth/login', null, { username: 'admin@demo-county-a', password: PASSWORD })).accessToken;
  await api(base, 'POST', '/api/packs/metering/install', admin, {});
  await api(base, 'POST', '/api/packs/billing/install', admin, {});
  log(`metering and billing installed in demo-county-a (tenant ${tenant.id}, path ${tenant.path})`);

  // -------------------------------------------------------------- seed (not timed): households, meters, customers, accounts, settlements
  await withClient(dbUrl, async (c) => {
    const t0 = performance.now();
    await c.query(`set session_replication_role = replica`); // no audit rows for a bulk load
    const { rows: tariffs } = await c.query(`select count(*)::int as n from pack_billing.tariffs where tenant_id = $1 and code = 'residential'`, [tenant.id]);
    if (tariffs[0].n === 0) throw new Error('the billing install seeded no residential tariff');
    await c.query(
      `insert into entity_records (tenant_id, tenant_path, entity, data)
       select $1, $2::ltree, 'metering_household', jsonb_build_object('accountNo', 'BH' || lpad(i::text, 7, '0'), 'name', '住户' || i, 'community', '小区' || (i % 200),
              'building', (i % 30)::text, 'room', (i % 500)::text, 'householdSize', 3)
         from generate_series(0, $3::int - 1) i`,
      [tenant.id, tenant.path, ACCOUNTS],
    );
    await c.query(
      `insert into entity_records (tenant_id, tenant_path, entity, data)
       select h.tenant_id, h.tenant_path, 'metering_meter', jsonb_build_object('meterNo', 'BM' || substr(h.data->>'accountNo', 3), 'kind', 'mechanical', 'household', h.id,
              'registerDigits', 6, 'initialReadingL', 0, 'installedAt', '2026-01-01', 'status', 'in_service')
         from entity_records h where h.tenant_id = $1 and h.entity = 'metering_household'`,
      [tenant.id],
    );
    await c.query(
      `insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone)
       select $1, $2::ltree, 'person', '住户' || i, '139' || lpad(i::text, 8, '0') from generate_series(0, $3::int - 1) i`,
      [tenant.id, tenant.path, ACCOUNTS],
    );
    // Account i: the i-th household (by id) and the i-th customer (by id), active on the residential tariff.
    await c.query(
      `insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, household_size, household_id, community, building, room, tariff_code, status, opened_at)
       select $1, $2::ltree, h.data->>'accountNo', c.id, 'residential', 3, h.id, h.data->>'community', h.data->>'building', h.data->>'room', 'residential', 'active', '2026-01-01T00:00:00Z'
         from (select id, data, row_number() over (order by id) as n from entity_records where tenant_id = $1 and entity = 'metering_household') h
         join (select id, row_number() over (order by id) as n from pack_billing.customers where tenant_id = $1) c on c.n = h.n`,
      [tenant.id, tenant.path],
    );
    // Meter i's month: (i mod 100) × 3 m³ + 1.234 m³ (0 L for every 250th: a zero bill).
    await c.query(
      `insert into pack_metering.settlements (tenant_id, tenant_path, period, meter_id, meter_no, start_l, end_l, volume_l, source, start_at, end_at)
       select m.tenant_id, m.tenant_path, $2, m.id, m.data->>'meterNo', 0, v.l, v.l, 'hand', $3::timestamptz, $4::timestamptz
         from entity_records m
         cross join lateral (select substr(m.data->>'meterNo', 3)::bigint as i) n
         cross join lateral (select case when n.i % 250 = 0 then 0 else (n.i % 100) * 3000 + 1234 end as l) v
        where m.tenant_id = $1 and m.entity = 'metering_meter'`,
      [tenant.id, PERIOD, STARTS_AT, ENDS_AT],
    );
    // One account in a hundred paid 100 元 in advance (prepaid credit the run sets against its bill).
    await c.query(
      `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, external_ref, finance_period, paid_at)
       select tenant_id, tenant_path, id, 'bank', 10000, 'bench-prepay-' || id, '2026-09', '2026-09-15T02:00:00Z'
         from pack_billing.accounts where tenant_id = $1 and id % 100 = 0`,
      [tenant.id],
    );
    await c.query(`analyze`);
    emit({ metric: 'seed_s', value: round((performance.now() - t0) / 1000), unit: 's', accounts: ACCOUNTS, target: 'households, meters, customers, accounts, settlement records by INSERT … SELECT (not timed below)' });
    log(`seeded ${ACCOUNTS} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });

  // -------------------------------------------------------------- timed: the billing run over every account
  const runId = await withClient(dbUrl, async (c) => {
    const { rows } = await c.query(
      `insert into pack_billing.runs (tenant_id, tenant_path, period, scope, starts_at, ends_at) values ($1, $2::ltree, $3, '*', $4, $5) returning id::text`,
      [tenant.id, tenant.path, PERIOD, STARTS_AT, ENDS_AT],
    );
    return rows[0].id;
  });
  const services = packServices({ db: database.db, workflow: runtime.workflow, permissions: runtime.permissions }, runtime.packs.get('billing'), {
    tenant: { id: tenant.id, path: tenant.path, timeZone: TZ },
    user: null,
    locale: 'zh-CN',
  });
  let lastLog = 0;
  const t0 = performance.now();
  const result = await runBilling(services, runId, {
    ...(BATCH ? { batchSize: BATCH } : {}),
    onProgress: (done, total) => {
      if (done - lastLog >= 100_000 || done === total) {
        lastLog = done;
        log(`  ${done} / ${total} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    },
  });
  const runS = (performance.now() - t0) / 1000;
  if (result.bills !== ACCOUNTS || result.failed !== 0) throw new Error(`expected ${ACCOUNTS} bills, got ${JSON.stringify(result)}`);

  // Check: one bill per account, every bill's amount is the sum of its lines, the run's total is the bills' total.
  const check = await withClient(dbUrl, async (c) => {
    const { rows } = await c.query(
      `select (select count(*)::int from pack_billing.bills where period = $1) as bills,
              (select count(distinct account_id)::int from pack_billing.bills where period = $1) as accounts,
              (select coalesce(sum(amount_fen), 0)::text from pack_billing.bills where period = $1) as billed_fen,
              (select coalesce(sum(l.amount_fen), 0)::text from pack_billing.bill_lines l join pack_billing.bills b on b.id = l.bill_id where b.period = $1) as lines_fen,
              (select count(*)::int from pack_billing.bill_lines l join pack_billing.bills b on b.id = l.bill_id where b.period = $1) as lines,
              (select count(*)::int from pack_billing.charges c join pack_billing.bills b on b.id = c.bill_id where b.period = $1) as charges,
              (select coalesce(sum(paid_fen), 0)::text from pack_billing.charges) as prepaid_applied_fen`,
      [PERIOD],
    );
    return rows[0];
  });
  if (check.bills !== ACCOUNTS || check.accounts !== ACCOUNTS || check.billed_fen !== check.lines_fen || check.billed_fen !== result.amountFen) throw new Error(`wrong bills: ${JSON.stringify({ check, result })}`);
  const billsPerS = ACCOUNTS / runS;
  log(`billed ${ACCOUNTS} accounts in ${runS.toFixed(1)} s: ${Math.round(billsPerS)} bills/s (${check.lines} lines, ${check.charges} charges, Σ ${check.billed_fen} fen, prepaid applied ${check.prepaid_applied_fen} fen)`);
  emit({ metric: 'bills_per_s', value: Math.round(billsPerS), unit: 'bills/s', accounts: ACCOUNTS, seconds: round(runS), lines: check.lines, charges: check.charges, batch: BATCH ?? 'default', target: 'runBilling: settlement records → priced bills, lines and charges in PostgreSQL' });

  // -------------------------------------------------------------- reference: raw COPY of the same rows into identical empty tables
  const copyS = await withClient(dbUrl, async (c) => {
    const tables = {
      bills: `select * from pack_billing.bills where period = '${PERIOD}'`,
      bill_lines: `select l.* from pack_billing.bill_lines l join pack_billing.bills b on b.id = l.bill_id where b.period = '${PERIOD}'`,
      charges: `select ch.* from pack_billing.charges ch join pack_billing.bills b on b.id = ch.bill_id where b.period = '${PERIOD}'`,
    };
    const data = {};
    for (const [table, query] of Object.entries(tables)) {
      const chunks = [];
      await pipeline(
        c.query(copyTo(`copy (${query}) to stdout`)),
        new Writable({
          write(chunk, _encoding, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
      data[table] = chunks;
      // LIKE … INCLUDING ALL: the same columns, defaults and indexes (unique keys included), no foreign keys.
      await c.query(`create table pack_billing.bench_ref_${table} (like pack_billing.${table} including all)`);
    }
    await c.query(`checkpoint`);
    const t1 = performance.now();
    for (const table of Object.keys(tables)) await pipeline(Readable.from(data[table]), c.query(copyFrom(`copy pack_billing.bench_ref_${table} from stdin`)));
    const seconds = (performance.now() - t1) / 1000;
    const { rows } = await c.query(`select count(*)::int as n from pack_billing.bench_ref_bills`);
    if (rows[0].n !== ACCOUNTS) throw new Error(`COPY reference holds ${rows[0].n} bills`);
    for (const table of Object.keys(tables)) await c.query(`drop table pack_billing.bench_ref_${table}`);
    log(`COPY of the same bills, lines and charges into identical empty tables: ${seconds.toFixed(1)} s, ${Math.round(ACCOUNTS / seconds)} bills/s`);
    return seconds;
  });
  const copyPerS = ACCOUNTS / copyS;
  emit({ metric: 'copy_bills_per_s', value: Math.round(copyPerS), unit: 'bills/s', bills: ACCOUNTS, seconds: round(copyS), reference: true, target: 'COPY FROM STDIN of the same bills, bill lines and charges into identical empty tables (same indexes)' });
  emit({ metric: 'copy_ratio', value: round(copyPerS / billsPerS), unit: 'x', accounts: ACCOUNTS, target: 'COPY bills/s ÷ billing run bills/s' });

  // -------------------------------------------------------------- the counter: the built runtime in a child process
  await closeRuntime();
  const child = fork(fileURLToPath(new URL('./lib/runtime-server.mjs', import.meta.url)), {
    env: { ...process.env, DATABASE_URL: dbUrl, DATABASE_POOL_SIZE: '20', LOG_LEVEL: 'silent', MQTT_PORT: '0', COAP_PORT: '0', MODBUS_POLLING: 'off', SHUIYUN_PACKS: '@shuiyun/pack-metering,@shuiyun/pack-billing', SHUIYUN_LOGIN_RATE_LIMIT: '100000', SHUIYUN_TENANT_RATE_LIMIT: '10000000' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  closers.push(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (m) => (m?.ready ? resolve(m.port) : reject(new Error(`runtime-server: ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`runtime-server exited with ${code}`)));
  });
  const counterBase = `http://127.0.0.1:${port}`;
  const adminToken = (await api(counterBase, 'POST', '/api/auth/login', null, { username: 'admin@demo-county-a', password: PASSWORD })).accessToken;
  const cashierRole = await withClient(dbUrl, async (c) => (await c.query(`select id::int as id from roles where tenant_id = $1 and code = 'billing-cashier'`, [tenant.id])).rows[0]);
  if (!cashierRole) throw new Error('no billing-cashier role after installing the billing pack');
  const tokens = [];
  for (let k = 0; k < CASHIERS; k++) {
    const username = `cashier${k}@demo-county-a`;
    await api(counterBase, 'POST', '/api/users', adminToken, { username, displayName: `收费员${k}`, password: PASSWORD, roleIds: [cashierRole.id] });
    tokens.push((await api(counterBase, 'POST', '/api/auth/login', null, { username, password: PASSWORD })).accessToken);
  }
  const accountIds = await withClient(dbUrl, async (c) => (await c.query(`select id::text from pack_billing.accounts where tenant_id = $1 order by id limit 10000`, [tenant.id])).rows.map((r) => r.id));
  log(`${CASHIERS} cashiers signed in; paying against ${accountIds.length} accounts for ${SECONDS} s`);

  const agent = new Agent({ keepAlive: true, maxSockets: CASHIERS * 2 });
  /** One HTTP exchange; resolves with its status once the whole body arrived. */
  const exchange = (method, path, token, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = httpRequest(
        { host: '127.0.0.1', port, method, path, agent, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  /** CASHIERS loops, each one request after another for SECONDS: latencies in ms, and refusals. */
  async function load(label, next) {
    const latencies = [];
    const failures = new Map();
    const until = performance.now() + SECONDS * 1000;
    await Promise.all(
      tokens.map(async (token, k) => {
        for (let n = 0; performance.now() < until; n++) {
          const { method, path, body, ok } = next(k, n);
          const started = performance.now();
          const status = await exchange(method, path, token, body);
          latencies.push(performance.now() - started);
          if (status !== ok) failures.set(status, (failures.get(status) ?? 0) + 1);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const stats = { requests: latencies.length, per_s: round(latencies.length / SECONDS), p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1]) };
    log(`${label}: ${stats.requests} requests, ${stats.per_s} req/s, p50 ${stats.p50} ms, p99 ${stats.p99} ms${failures.size ? `, refused ${JSON.stringify(Object.fromEntries(failures))}` : ''}`);
    if (failures.size > 0) throw new Error(`${label}: unexpected statuses ${JSON.stringify(Object.fromEntries(failures))}`);
    return stats;
  }
  // Cashier k takes accounts k, k + CASHIERS, k + 2·CASHIERS …: cashiers rarely queue on one account, as at real counters.
  const pay = await load('counter payments', (k, n) => ({
    method: 'POST',
    path: '/api/ext/billing/payments',
    body: { accountId: accountIds[(k + n * CASHIERS) % accountIds.length], channel: 'cash', amountFen: String(2000 + ((k * 7 + n) % 50) * 100), tenderedFen: '10000', requestKey: randomUUID() },
    ok: 201,
  }));
  const floor = await load('GET /api/auth/me', () => ({ method: 'GET', path: '/api/auth/me', ok: 200 }));
  const gaps = await withClient(dbUrl, async (c) => {
    const { rows } = await c.query(`select count(*)::int as n, min(number)::text as lo, max(number)::text as hi, count(distinct number)::int as distinct_n from pack_billing.receipts where tenant_id = $1`, [tenant.id]);
    return rows[0];
  });
  if (gaps.n !== pay.requests || gaps.distinct_n !== gaps.n || BigInt(gaps.hi) - BigInt(gaps.lo) + 1n !== BigInt(gaps.n)) throw new Error(`receipt numbers have gaps or duplicates: ${JSON.stringify(gaps)} for ${pay.requests} payments`);
  emit({ metric: 'counter_payment_p99', value: pay.p99, unit: 'ms', cashiers: CASHIERS, seconds: SECONDS, requests: pay.requests, per_s: pay.per_s, p50: pay.p50, p95: pay.p95, max: pay.max, target: 'POST /api/ext/billing/payments (cash, allocate, gapless receipt) under concurrent cashiers' });
  emit({ metric: 'auth_me_p99', value: floor.p99, unit: 'ms', cashiers: CASHIERS, seconds: SECONDS, requests: floor.requests, per_s: floor.per_s, p50: floor.p50, reference: true, target: 'GET /api/auth/me on the same runtime under the same concurrency' });
  agent.destroy();

  await cleanup();
  process.exit(0);
} catch (error) {
  log(`failed: ${error?.stack ?? error}`);
  await cleanup();
  process.exit(1);
}
