/**
 * A billing run survives kill -9. The runtime runs as in production — the built `runtime/server/dist/main.js`
 * with `SHUIYUN_PACKS` naming the metering pack and a copy of the built billing pack, on PGlite in a
 * temporary data directory — in a process of its own (as the runtime's `testing/child-runtime.ts` runs it), with
 * small batches (`BILLING_RUN_BATCH`) and a short job deadline (`BILLING_RUN_TIMEOUT_MS`) so that the job a
 * killed node held is taken again soon after the restart.
 *
 * 1. First start (a fresh database: the demo utility, both packs installed in its companies); stop.
 * 2. With the runtime down, the test writes the archive straight into the database (PGlite is one process's
 *    at a time): in each of two companies 3 000 households with one meter each, 3 000 active accounts on a
 *    tariff of Beijing's numbers, and hand readings for June 2025 (volumes spread over the three tiers, some 0).
 * 3. Restart; company A settles and closes 2025-06 through metering's routes; the event starts the billing
 *    run; when it has done some batches but not all, kill -9.
 * 4. With the runtime down: some bills exist, fewer than 3 000, none twice.
 * 5. Restart: the run resumes and finishes. Company B closes the same month and bills it without a crash —
 *    the clean run.
 * 6. Down again: A has exactly one bill per account, with the same amount, lines, charge and notice as B's
 *    account of the same index; the run's counters agree.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PASSWORD = 'Billing-crash-passw0rd';
const ACCOUNTS = 3_000;
const PERIOD = '2025-06';
const READ_AT = '2025-06-30T04:00:00Z'; // 12:00 on the last day, Asia/Shanghai
const TARIFF = 'crash-bj';
const BEIJING = {
  accounting: { period: 'year', startMonth: 1 },
  boundsL: ['180000', '260000'],
  components: [
    { code: 'water', name: { 'zh-CN': '水费', en: 'Water supply' }, prices: ['20700', '40700', '60700'], shareBp: 10000 },
    { code: 'resource', name: { 'zh-CN': '水资源税', en: 'Water resource tax' }, prices: ['15700'], shareBp: 10000 },
    { code: 'sewage', name: { 'zh-CN': '污水处理费', en: 'Sewage treatment' }, prices: ['13600'], shareBp: 10000 },
  ],
  household: { fromPersons: 6, extraL: '30000', perPerson: true, bounds: 'all' },
  rounding: 'half_up',
  priceChange: 'days',
};
/** Litres of account i in June: 0 every 13th, else spread over 0–400 m³ with odd litres (all three tiers). */
const volumeOf = (i: number): bigint => (i % 13 === 0 ? 0n : BigInt(((i * 7919) % 400_000) + (i % 997)));

const root = fileURLToPath(new URL('../../../../', import.meta.url));
/** The built runtime, as production runs it (`npm test` builds it first). */
const MAIN = join(root, 'runtime/server/dist/main.js');
const PGLITE = '@electric-sql/pglite';
const PGLITE_LTREE = '@electric-sql/pglite/contrib/ltree';

interface Db {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  close(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/**
 * The runtime in a process of its own on a data directory (the way the runtime's own crash tests run it,
 * with a longer wait for the first start: the demo utility fills both packs' demo data then).
 */
class ChildRuntime {
  private child: ChildProcess | undefined;
  private output: string[] = [];
  readonly dataDir = mkdtempSync(join(tmpdir(), 'billing-crash-'));

  constructor(
    private readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  async start(readyMs = 240_000): Promise<void> {
    this.output = [];
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        MQTT_PORT: '0',
        COAP_PORT: '0',
        SHUIYUN_DATA_DIR: this.dataDir,
        SHUIYUN_DEMO_PASSWORD: PASSWORD,
        SHUIYUN_DEMO_METERS: '0',
        LOG_LEVEL: process.env.BILLING_CRASH_TEST_LOG ? 'info' : 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (d: Buffer) => {
      this.output.push(d.toString());
      // BILLING_CRASH_TEST_LOG=<file> follows the runtime's output while the test runs.
      if (process.env.BILLING_CRASH_TEST_LOG) appendFileSync(process.env.BILLING_CRASH_TEST_LOG, d);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const until = Date.now() + readyMs;
    while (Date.now() < until) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the runtime exited (${child.exitCode ?? child.signalCode}): ${this.tail()}`);
      if (await fetch(`http://127.0.0.1:${this.port}/readyz`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the runtime did not become ready in ${readyMs} ms: ${this.tail()}`);
  }

  /** The last of what the process wrote. */
  tail(): string {
    return this.output.join('').slice(-6_000);
  }

  /** kill -9, no clean stop; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** A JSON API call that throws on a non-2xx answer, or with the process's output when it is gone. */
  async api(method: string, path: string, token?: string, body?: unknown): Promise<any> {
    let res: Response | undefined;
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
          method,
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        const alive = this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
        // A kept-alive connection the server closed meanwhile: a GET may simply be asked again.
        if (alive && method === 'GET' && attempt < 5) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          continue;
        }
        const state = this.child ? `exit ${this.child.exitCode ?? this.child.signalCode ?? 'none yet'}` : 'not started';
        throw new Error(`${method} ${path}: ${(error as Error).message} (${String((error as Error).cause ?? '')}; runtime ${state}): ${this.tail()}`, { cause: error });
      }
    }
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async login(username: string): Promise<string> {
    return ((await this.api('POST', '/api/auth/login', undefined, { username, password: PASSWORD })) as { accessToken: string }).accessToken;
  }

  dispose(): void {
    this.child?.kill('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Source files of `folders` (under the pack's src) whose built `.js` is missing or older. */
function stale(pack: string, folders: string[]): string[] {
  const out: string[] = [];
  const src = join(root, `domain-packs/${pack}/src`);
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
        const built = join(root, `domain-packs/${pack}/dist`, relative(src, full).replace(/\.ts$/, '.js'));
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(full).mtimeMs) out.push(relative(root, full));
      }
    }
  };
  for (const f of folders) walk(join(src, f));
  return out;
}

function assertBuilt(pack: string, folders: string[] = ['.']) {
  const dist = join(root, `domain-packs/${pack}/dist/index.js`);
  if (!existsSync(dist)) throw new Error(`${dist} is missing: build it (\`npx tsc -b domain-packs/${pack}\`, or \`npm test\` which builds first)`);
  const old = stale(pack, folders);
  if (old.length > 0) throw new Error(`the built ${pack} pack is older than ${old.join(', ')}: rebuild it (\`npx tsc -b domain-packs/${pack}\`) — the runtime in the child process loads the built pack`);
}

/**
 * A copy of the built billing pack the child runtime loads by path: the shared \`dist/\` may be rebuilt while
 * the test runs (the runtime refuses a pack whose released migration changed between two starts). Its
 * imports resolve through a link to the repository's node_modules, to the same SDK the runtime uses.
 */
function snapshotBillingPack(): { entry: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'billing-pack-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  cpSync(join(root, 'domain-packs/billing/dist'), join(dir, 'pack-billing/dist'), { recursive: true });
  cpSync(join(root, 'domain-packs/billing/package.json'), join(dir, 'pack-billing/package.json'));
  return { entry: join(dir, 'pack-billing/dist/index.js'), dir };
}

describe('a billing run killed with SIGKILL and restarted', () => {
  let rt: ChildRuntime;
  let snapshot: { entry: string; dir: string } | undefined;
  const tenants: Record<'a' | 'b', { id: number; path: string; username: string }> = {} as never;

  async function openDb(): Promise<Db> {
    const { PGlite } = (await import(PGLITE)) as { PGlite: { create(dir: string, options: unknown): Promise<Db> } };
    const { ltree } = (await import(PGLITE_LTREE)) as { ltree: unknown };
    return PGlite.create(join(rt.dataDir, 'pglite'), { extensions: { ltree } });
  }

  async function withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const db = await openDb();
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  }

  /** The archive, accounts and June readings of one company, in a few statements. */
  async function seedCompany(db: Db, tenant: { id: number; path: string }, tag: string) {
    const idx = Array.from({ length: ACCOUNTS }, (_, i) => i);
    await db.query(
      `insert into pack_billing.tariffs (tenant_id, tenant_path, code, version, name, effective_from, definition)
       values ($1, $2::ltree, $3, 1, '居民（北京）', '2020-01-01', $4::jsonb) on conflict do nothing`,
      [tenant.id, tenant.path, TARIFF, JSON.stringify(BEIJING)],
    );
    const households = await db.query<{ id: string; i: number }>(
      `insert into entity_records (tenant_id, tenant_path, entity, data)
       select $1, $2::ltree, 'metering_household', jsonb_build_object('accountNo', $3 || '-H' || i, 'name', '用户' || i, 'community', '崩溃测试小区')
         from unnest($4::int[]) as i order by i
       returning id::text, (data->>'accountNo') as i`,
      [tenant.id, tenant.path, tag, idx],
    );
    const householdOf = new Map(households.rows.map((r) => [Number(String(r.i).split('-H')[1]), r.id]));
    const meters = await db.query<{ id: string; no: string }>(
      `insert into entity_records (tenant_id, tenant_path, entity, data)
       select $1, $2::ltree, 'metering_meter',
              jsonb_build_object('meterNo', $3 || '-M' || x.i, 'kind', 'mechanical', 'household', x.h, 'initialReadingL', 0, 'installedAt', '2024-01-01', 'status', 'in_service')
         from unnest($4::int[], $5::bigint[]) as x(i, h) order by x.i
       returning id::text, data->>'meterNo' as no`,
      [tenant.id, tenant.path, tag, idx, idx.map((i) => householdOf.get(i)!)],
    );
    const meterOf = new Map(meters.rows.map((r) => [Number(r.no.split('-M')[1]), r.id]));
    await db.query(
      `insert into pack_metering.readings (tenant_id, tenant_path, meter_id, read_at, value_l, source, status)
       select $1, $2::ltree, x.m, $3::timestamptz, x.v, 'hand', 'valid' from unnest($4::bigint[], $5::bigint[]) as x(m, v)`,
      [tenant.id, tenant.path, READ_AT, idx.map((i) => meterOf.get(i)!), idx.map((i) => volumeOf(i).toString())],
    );
    const customers = await db.query<{ id: string; name: string }>(
      `insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone)
       select $1, $2::ltree, 'person', $3 || '-C' || i, '13900000000' from unnest($4::int[]) as i order by i returning id::text, name`,
      [tenant.id, tenant.path, tag, idx],
    );
    const customerOf = new Map(customers.rows.map((r) => [Number(r.name.split('-C')[1]), r.id]));
    await db.query(
      `insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, household_size, household_id, tariff_code, status, opened_at)
       select $1, $2::ltree, $3 || '-A' || lpad(x.i::text, 5, '0'), x.c, 'residential', case when x.i % 50 = 0 then 7 else 3 end, x.h, $4, 'active', now()
         from unnest($5::int[], $6::bigint[], $7::bigint[]) as x(i, c, h) order by x.i`,
      [tenant.id, tenant.path, tag, TARIFF, idx, idx.map((i) => customerOf.get(i)!), idx.map((i) => householdOf.get(i)!)],
    );
  }

  /** Per account index: the June bill's amount, volume, line count, charge and notice count, in company `tenant`. */
  async function billsOf(db: Db, tenant: { id: number }, tag: string) {
    const rows = await db.query<{ no: string; bills: number; amount: string | null; volume: string | null; lines: number; charge: string | null; notices: number }>(
      `select a.account_no as no,
              (select count(*)::int from pack_billing.bills b where b.account_id = a.id and b.period = $2) as bills,
              (select b.amount_fen::text from pack_billing.bills b where b.account_id = a.id and b.period = $2) as amount,
              (select b.volume_l::text from pack_billing.bills b where b.account_id = a.id and b.period = $2) as volume,
              (select count(*)::int from pack_billing.bill_lines l join pack_billing.bills b on b.id = l.bill_id where b.account_id = a.id and b.period = $2) as lines,
              (select string_agg(c.amount_fen::text, ',') from pack_billing.charges c join pack_billing.bills b on b.id = c.bill_id where b.account_id = a.id and b.period = $2) as charge,
              (select count(*)::int from pack_billing.notifications n where n.account_id = a.id and n.kind = 'bill') as notices
         from pack_billing.accounts a where a.tenant_id = $1 and a.account_no like $3 || '-A%' order by a.account_no`,
      [tenant.id, PERIOD, tag],
    );
    return rows.rows;
  }

  const runOf = async (token: string) => {
    const list = await rt.api('GET', `/api/ext/billing/runs?period=${PERIOD}`, token);
    return list.items[0] as { id: number; status: string; progress: { done: number; total: number | null }; bills: number; skipped: number; failed: number; amountFen: string; error: string | null } | undefined;
  };

  async function closeJune(token: string) {
    await rt.api('POST', `/api/ext/metering/periods/${PERIOD}/settle`, token, {});
    const until = Date.now() + 120_000;
    for (;;) {
      const p = await rt.api('GET', `/api/ext/metering/periods/${PERIOD}`, token);
      if (p.status === 'settled') break;
      if (Date.now() > until) throw new Error(`June not settled: ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return rt.api('POST', `/api/ext/metering/periods/${PERIOD}/close`, token, {});
  }

  async function waitDone(token: string, timeoutMs: number) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const run = await runOf(token);
      if (run?.status === 'done') return run;
      if (Date.now() > until) throw new Error(`the run did not finish: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  beforeAll(async () => {
    assertBuilt('metering');
    assertBuilt('billing', ['billing', 'notify']);
    snapshot = snapshotBillingPack();
    if (!existsSync(join(root, 'runtime/server/dist/main.js'))) throw new Error('runtime/server/dist/main.js is missing: run `npx tsc -b` (npm test builds it) before this test');
    rt = new ChildRuntime(await freePort(), { SHUIYUN_PACKS: `@shuiyun/pack-metering,${snapshot.entry}`, BILLING_RUN_BATCH: '50', BILLING_RUN_TIMEOUT_MS: '20000' });
  }, 300_000);
  afterAll(() => {
    rt?.dispose();
    if (snapshot) rmSync(snapshot.dir, { recursive: true, force: true });
  });

  it('bills every account exactly once, with the amounts of a run that was not interrupted', { timeout: 900_000 }, async () => {
    const t0 = Date.now();
    const step = (what: string) => console.info(`[crash test +${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);
    // 1. First start: the demo utility and both packs in its companies.
    await rt.start();
    for (const [key, username] of [['a', 'admin@demo-county-a'], ['b', 'admin@demo-county-b']] as const) {
      const token = await rt.login(username);
      const me = await rt.api('GET', '/api/auth/me', token);
      tenants[key] = { id: me.tenant.id, path: me.tenant.path, username };
      const packs = await rt.api('GET', '/api/packs', token);
      const installed = (packs.items ?? packs).filter((p: { id: string; installation?: { status?: string } | null }) => p.installation?.status === 'installed').map((p: { id: string }) => p.id);
      expect(installed).toEqual(expect.arrayContaining(['metering', 'billing']));
    }
    step('first start done');
    await rt.kill();

    // 2. The archive and the accounts, with the runtime down.
    await withDb(async (db) => {
      await seedCompany(db, tenants.a, 'CA');
      await seedCompany(db, tenants.b, 'CB');
    });

    step('archive written');
    // 3. Close June in A; kill the runtime while the run is part way.
    await rt.start();
    let tokenA = await rt.login(tenants.a.username);
    await closeJune(tokenA);
    let seen: Awaited<ReturnType<typeof runOf>>;
    const until = Date.now() + 120_000;
    for (;;) {
      seen = await runOf(tokenA);
      if (seen && seen.progress.total !== null && seen.progress.done >= 300 && seen.progress.done < seen.progress.total) break;
      if (seen?.status === 'done') throw new Error(`the run finished before it could be killed (${JSON.stringify(seen)}): use a smaller BILLING_RUN_BATCH`);
      if (Date.now() > until) throw new Error(`the run did not start: ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    step(`killing at ${JSON.stringify(seen?.progress)}`);
    await rt.kill();
    expect(seen.progress.total).toBeGreaterThanOrEqual(ACCOUNTS);

    // 4. Down: part of the bills exist, none twice.
    const partial = await withDb(async (db) => {
      const bills = await billsOf(db, tenants.a, 'CA');
      const run = await db.query<{ status: string; done: number; bills: number }>(`select status, done, bills from pack_billing.runs where tenant_id = $1 and period = $2`, [tenants.a.id, PERIOD]);
      return { bills, run: run.rows[0]! };
    });
    const billedBefore = partial.bills.filter((b) => b.bills === 1).length;
    expect(billedBefore).toBeGreaterThan(0);
    expect(billedBefore).toBeLessThan(ACCOUNTS);
    expect(partial.bills.every((b) => b.bills <= 1)).toBe(true);
    expect(partial.run).toMatchObject({ status: 'running', bills: billedBefore });

    step('partial state checked');
    // 5. Restart: the run resumes (once the killed attempt's deadline passes) and finishes; B bills June cleanly.
    await rt.start();
    tokenA = await rt.login(tenants.a.username);
    const tokenB = await rt.login(tenants.b.username);
    await closeJune(tokenB);
    step('B closed');
    const runA = await waitDone(tokenA, 180_000);
    const runB = await waitDone(tokenB, 180_000);
    expect(runA).toMatchObject({ status: 'done', bills: ACCOUNTS, failed: 0, error: null });
    expect(runA.progress.done).toBe(runA.progress.total);
    expect(runB).toMatchObject({ status: 'done', bills: ACCOUNTS, failed: 0 });
    expect(runA.amountFen).toBe(runB.amountFen);
    step('both runs done');
    await rt.kill();

    // 6. Exactly one bill per account, equal to the clean run's, with one charge and one notice each.
    const [a, b] = await withDb(async (db) => [await billsOf(db, tenants.a, 'CA'), await billsOf(db, tenants.b, 'CB')]);
    expect(a).toHaveLength(ACCOUNTS);
    expect(a.filter((x) => x.bills !== 1)).toEqual([]);
    const strip = (rows: typeof a) => rows.map((x) => ({ no: x.no.slice(3), amount: x.amount, volume: x.volume, lines: x.lines, charge: x.charge, notices: x.notices }));
    expect(strip(a)).toEqual(strip(b));
    for (const [i, row] of a.entries()) {
      expect(row.volume).toBe(volumeOf(i).toString());
      expect(row.notices).toBe(1);
      expect(row.charge).toBe(row.amount === '0' ? null : row.amount);
    }
    const total = a.reduce((s, x) => s + BigInt(x.amount!), 0n);
    expect(total.toString()).toBe(runA.amountFen);
    expect(a.filter((x) => x.volume === '0').length).toBe(Math.ceil(ACCOUNTS / 13));
    expect(a.filter((x) => x.volume === '0').every((x) => x.amount === '0' && x.lines === 0)).toBe(true);
    expect(a.filter((x) => BigInt(x.volume!) > 260_000n).length).toBeGreaterThan(0); // some reach tier 3
  });
});
