// api-list: throughput and p99 latency of an authenticated, permission-checked, RLS-scoped list
// endpoint (GET /api/communities as the county A admin) on a real PostgreSQL, at 50 concurrent
// connections, and in the same run the same figures for a bare Express route returning the same
// JSON, so the runtime's overhead ratio holds on a noisy machine.
//
// The runtime and the reference each run in their own child process; this process only generates
// load (autocannon), so the load generator and the server under test do not share an event loop.
//
// Environment:
//   SHUIYUN_BENCH_PG_URL ?? SHUIYUN_TEST_PG_URL   admin URL of the PostgreSQL server (a fresh
//                                                 database is created there and dropped after)
//   SHUIYUN_BENCH_DURATION                        seconds per measurement (default 10, at most 120)
//   SHUIYUN_BENCH_WARMUP                          seconds of warm-up before each (default 3)
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '@shuiyun/db';
import { seedDemoUtility } from '@shuiyun/runtime';
import autocannon from 'autocannon';
import pg from 'pg';

const BENCH = 'api-list';
const CONNECTIONS = 50;
const clampSeconds = (value, fallback, max) => {
  const n = Number(value ?? fallback);
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : fallback;
};
const DURATION = clampSeconds(process.env.SHUIYUN_BENCH_DURATION, 10, 120);
const WARMUP = clampSeconds(process.env.SHUIYUN_BENCH_WARMUP, 3, 30);
/** Communities added to each of the two county tenants, on top of the demo seed. */
const COMMUNITIES_PER_COUNTY = 1000;
const PASSWORD = 'Bench-passw0rd-2026';
const USERNAME = 'admin@demo-county-a';
const LIST_PATH = '/api/communities';
const LIST_QUERY = '?page=1&pageSize=20';
/** Whole run, setup and cleanup included; past it the benchmark gives up and cleans up. */
const DEADLINE_MS = (2 * (DURATION + WARMUP) + 180) * 1000;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const adminUrl = process.env.SHUIYUN_BENCH_PG_URL ?? process.env.SHUIYUN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const log = (message) => process.stderr.write(`[${BENCH}] ${message}\n`);
const emit = (line) => process.stdout.write(`${JSON.stringify({ bench: BENCH, ...line })}\n`);

// ---------------------------------------------------------------------------------------------
// Cleanup: child processes and the fresh database go away whatever happens.

const children = new Set();
let dropDatabase = null;
let cleaning = null;

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(hard);
}

function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map((c) => stopChild(c).catch(() => undefined)));
    children.clear();
    if (dropDatabase) {
      await dropDatabase().catch((error) => log(`could not drop the database: ${error.message}`));
      dropDatabase = null;
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (!cleaning) log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
setTimeout(() => {
  log(`still running after ${DEADLINE_MS / 1000} s: giving up`);
  void cleanup().finally(() => process.exit(1));
}, DEADLINE_MS).unref();

// ---------------------------------------------------------------------------------------------

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database next to the admin URL's; returns its URL. */
async function createDatabase() {
  const name = `shuiyun_bench_${process.pid}_${Date.now()}`;
  await withClient(adminUrl, (c) => c.query(`create database ${name}`));
  dropDatabase = () => withClient(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/**
 * Migrates, seeds the demo utility and adds COMMUNITIES_PER_COUNTY communities to each county
 * company, half under each of two org units. Written as the owner (outside RLS) with the
 * tenant_id / tenant_path / org_path the runtime would have set.
 */
async function prepareDatabase(url) {
  const database = await openDatabase({ url, poolSize: 2 });
  try {
    await database.migrate();
    const admins = await seedDemoUtility(database.db, { password: PASSWORD });
    if (!admins?.some((a) => a.username === USERNAME)) throw new Error(`the demo seed did not create ${USERNAME}`);
  } finally {
    await database.close();
  }
  return withClient(url, async (c) => {
    await c.query(
      `insert into communities (tenant_id, tenant_path, org_unit_id, org_path, code, name, address)
       select t.id, t.path, o.id, o.path,
              'BX' || lpad(g::text, 5, '0'),
              t.name || '第' || g || '小区',
              t.name || '辖区测试路 ' || g || ' 号'
         from tenants t
         cross join generate_series(1, $1::int) g
         join org_units o on o.tenant_id = t.id and o.code = case when g % 2 = 0 then 'metering' else 'service' end
        where t.code in ('demo-county-a', 'demo-county-b')`,
      [COMMUNITIES_PER_COUNTY],
    );
    await c.query('analyze');
    const { rows } = await c.query(
      `select count(*)::int as total,
              count(*) filter (where c.tenant_path <@ a.path)::int as visible
         from communities c, tenants a
        where a.code = 'demo-county-a'`,
    );
    const { rows: tenant } = await c.query(`select path::text as path from tenants where code = 'demo-county-a'`);
    return { total: rows[0].total, visible: rows[0].visible, tenantPath: tenant[0].path };
  });
}

/** Forks a server script; resolves with its loopback port once it listens. */
function startServer(label, script, env, message) {
  const child = fork(join(root, 'bench', 'lib', script), [], {
    cwd: root,
    env,
    // The child's stdout would break our JSON-only stdout: send it to stderr.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not listen within 60 s`)), 60_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      if (m?.ready && Number.isInteger(m.port)) resolve({ child, baseUrl: `http://127.0.0.1:${m.port}` });
      else reject(new Error(`${label} sent an unexpected message: ${JSON.stringify(m)}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before listening`));
    });
    if (message) child.send(message);
  });
}

async function signIn(baseUrl) {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
  });
  const body = await res.json().catch(() => null);
  if (res.status !== 200 || typeof body?.accessToken !== 'string') throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(body)}`);
  return body.accessToken;
}

/** One autocannon run; returns the figures we print plus the status counts. */
async function measure(label, url, headers, seconds) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers, timeout: 10 });
  const total = result.requests.total;
  const failures = result.non2xx + result.errors;
  log(
    `${label}: ${result.requests.average.toFixed(1)} req/s, p99 ${result.latency.p99} ms, ` +
      `${total} responses, ${result.non2xx} non-2xx, ${result.errors} errors (${result.timeouts} timeouts)`,
  );
  if (total === 0 || failures > (total + result.errors) / 2) {
    const codes = Object.entries(result.statusCodeStats ?? {})
      .map(([code, { count }]) => `${code}×${count}`)
      .join(', ');
    throw new Error(`${label}: most requests failed (statuses: ${codes || 'none'}; errors: ${result.errors})`);
  }
  return {
    rps: Math.round(result.requests.average * 10) / 10,
    p99: result.latency.p99,
    requests: total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main() {
  const started = Date.now();
  const db = await createDatabase();
  log(`database ${db.name}: migrating, seeding, adding ${2 * COMMUNITIES_PER_COUNTY} communities`);
  const data = await prepareDatabase(db.url);
  log(`communities: ${data.total} in all, ${data.visible} visible to ${USERNAME} (${data.tenantPath}), ${data.total - data.visible} of other tenants`);
  if (data.total - data.visible < COMMUNITIES_PER_COUNTY) throw new Error('the other county has too few rows for RLS to exclude');

  const runtimeEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '10',
    LOG_LEVEL: 'silent',
    SHUIYUN_TENANT_RATE_LIMIT: String(1_000_000_000),
    SHUIYUN_ACCESS_TOKEN_TTL: '3600',
    SHUIYUN_DATA_DIR: join(root, 'data', 'bench-unused'),
  };
  const runtime = await startServer('runtime', 'runtime-server.mjs', runtimeEnv);
  const token = await signIn(runtime.baseUrl);
  const headers = { authorization: `Bearer ${token}` };

  // One real response: it checks the endpoint and RLS, and becomes the reference's body.
  const res = await fetch(runtime.baseUrl + LIST_PATH + LIST_QUERY, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${LIST_PATH}${LIST_QUERY}: ${res.status} ${text.slice(0, 500)}`);
  const body = JSON.parse(text);
  const inTenant = (p) => p === data.tenantPath || p.startsWith(`${data.tenantPath}.`);
  if (body.total !== data.visible) throw new Error(`list total ${body.total}, expected ${data.visible} (RLS)`);
  if (body.items?.length !== 20 || !body.items.every((i) => inTenant(i.tenantPath))) throw new Error('list page is not 20 rows of the caller’s tenant');
  log(`GET ${LIST_PATH}${LIST_QUERY}: 200, ${body.items.length} of ${body.total} rows, ${Buffer.byteLength(text)} bytes`);

  const bare = await startServer('bare express', 'bare-server.mjs', { ...process.env, NODE_ENV: 'production' }, { path: LIST_PATH, body });
  const bareText = await (await fetch(bare.baseUrl + LIST_PATH + LIST_QUERY, { headers })).text();
  if (bareText !== text) throw new Error('the bare Express route does not return the same JSON');

  const runtimeUrl = runtime.baseUrl + LIST_PATH + LIST_QUERY;
  const bareUrl = bare.baseUrl + LIST_PATH + LIST_QUERY;
  log(`runtime: warm-up ${WARMUP} s, then ${DURATION} s at ${CONNECTIONS} connections`);
  await measure('runtime warm-up', runtimeUrl, headers, WARMUP);
  const measuredRuntime = await measure('runtime', runtimeUrl, headers, DURATION);
  log(`bare express: warm-up ${WARMUP} s, then ${DURATION} s at ${CONNECTIONS} connections`);
  await measure('bare warm-up', bareUrl, headers, WARMUP);
  const measuredBare = await measure('bare express', bareUrl, headers, DURATION);

  const common = { connections: CONNECTIONS, duration_s: DURATION };
  const target = `GET ${LIST_PATH} (auth+casbin+RLS, PostgreSQL)`;
  const reference = 'bare express, same JSON';
  for (const [name, m, extra] of [
    [target, measuredRuntime, {}],
    [reference, measuredBare, { reference: true }],
  ]) {
    emit({ metric: 'requests_per_sec', value: m.rps, unit: 'req/s', target: name, ...extra, ...common, requests: m.requests, non_2xx: m.non2xx, errors: m.errors });
    emit({ metric: 'p99_latency', value: m.p99, unit: 'ms', target: name, ...extra, ...common });
  }
  emit({
    metric: 'overhead_ratio',
    value: Math.round((measuredBare.rps / measuredRuntime.rps) * 100) / 100,
    unit: 'x',
    target: `${reference} req/s ÷ runtime req/s`,
    ...common,
  });
  log(`measured in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
