// workflow: process instances completed per second on the embedded engine for the five-step fixture
// (service task → exclusive gateway → service task → user task completed by a bench worker → end), on
// PGlite (the `npm start` default) and on the machine's PostgreSQL, with the runtime's in-process job
// workers and task service: every event is one database transaction, as in production.
//
// References printed in the same run:
//   - the same fixture through @shuiyun/workflow's step executor alone (snapshots kept in memory, no
//     database): the ratio is the cost of persistence and bookkeeping;
//   - Zeebe is NOT measured: its broker (io.camunda:camunda-zeebe) is not open-source licensed and the
//     workplace's package list forbids it, so no Zeebe figure can be produced here (README, "Workflow").
// Plus: resident memory and database growth per 10,000 instances waiting at a user task (PGlite runs
// inside this process, so its memory is in the figure).
//
// Environment: SHUIYUN_BENCH_DURATION (seconds per measurement, default 15), SHUIYUN_BENCH_PG_URL /
// SHUIYUN_TEST_PG_URL (admin URL of PostgreSQL; a fresh database is created and dropped).
import { mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asSystem, openDatabase, tenants } from '@shuiyun/db';
import { createRuntime, loadConfig, seedDemoUtility } from '@shuiyun/runtime';
import { defineWorker } from '@shuiyun/sdk';
import { compileDefinition, step } from '@shuiyun/workflow';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { z } from 'zod';

const BENCH = 'workflow';
const DURATION = Math.min(120, Number(process.env.SHUIYUN_BENCH_DURATION ?? 15) || 15);
const IN_FLIGHT = 64;
const WAITING = 10_000;
const adminUrl = process.env.SHUIYUN_BENCH_PG_URL ?? process.env.SHUIYUN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const fixture = readFileSync(new URL('../runtime/workflow/fixtures/bench-five-step.bpmn', import.meta.url), 'utf8');
const waitingXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="w" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:process id="bench-wait" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="t" name="待办"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="billing" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" /><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`;

const log = (message) => process.stderr.write(`[${BENCH}] ${message}\n`);
const emit = (line) => process.stdout.write(`${JSON.stringify({ bench: BENCH, ...line })}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const json = (value) => JSON.parse(JSON.stringify(value));

/** The step executor alone, snapshots in memory: the engine's own ceiling. */
async function stepExecutorOnly(seconds) {
  const def = compileDefinition(fixture);
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let done = 0;
  while (performance.now() < deadline) {
    let result = await step(def, undefined, { type: 'start', processId: 'bench-five-step', variables: { reading: { valid: true, value: done } } });
    result = await step(def, json(result.snapshot), { type: 'job-completed', key: result.jobs[0].key, variables: {} });
    result = await step(def, json(result.snapshot), { type: 'job-completed', key: result.jobs[0].key, variables: { amountFen: done } });
    result = await step(def, json(result.snapshot), { type: 'user-task-completed', key: result.userTasks[0].key, variables: { approved: true } });
    if (result.state !== 'completed') throw new Error(`instance ended ${result.state}`);
    done++;
  }
  return done / ((performance.now() - started) / 1000);
}

async function openRuntime(database) {
  await database.migrate();
  await seedDemoUtility(database.db, { password: 'Bench-passw0rd-2026' });
  const config = loadConfig({ LOG_LEVEL: 'silent', MQTT_PORT: '0', COAP_PORT: '0', MODBUS_POLLING: 'off' });
  const runtime = await createRuntime({ database, config, logger: pino({ level: 'silent' }), workflowTickMs: 200 });
  const [tenant] = await asSystem(database.db, (tx) => tx.select().from(tenants).where(eq(tenants.code, 'demo-county-a')));
  const engine = runtime.workflow;
  await asSystem(database.db, (tx) =>
    engine.deploy(tx, { tenantId: tenant.id, tenantPath: tenant.path, userId: null }, [
      { name: 'bench-five-step.bpmn', content: fixture },
      { name: 'bench-wait.bpmn', content: waitingXml },
    ]),
  );
  engine.registerWorker(
    defineWorker({ type: 'validate-reading', input: z.object({ reading: z.object({ valid: z.boolean() }) }), output: z.object({}), concurrency: 32, handler: async () => ({}) }),
  );
  engine.registerWorker(
    defineWorker({ type: 'compute-bill', input: z.object({ reading: z.object({ value: z.number() }) }), output: z.object({ amountFen: z.number().int() }), concurrency: 32, handler: async ({ reading }) => ({ amountFen: reading.value * 3 }) }),
  );
  return { runtime, tenant, engine };
}

/** Runs the five-step process for `seconds` with IN_FLIGHT instances at a time; instances completed per second. */
async function throughput(database, label, seconds) {
  const { runtime, tenant, engine } = await openRuntime(database);
  const actor = { userId: 0, username: 'bench', groups: ['billing'], supervisor: true, assigner: true };
  let stop = false;
  let completed = 0;
  let counting = false;
  // The bench worker completing the user tasks (as a person would through the API).
  const completer = (async () => {
    while (!stop) {
      const open = await asSystem(database.db, (tx) =>
        tx.execute(sql`select id::int as id from workflow_user_tasks where state = 'created' and process_id = 'bench-five-step' order by id limit 64`),
      ).then((r) => r.rows);
      if (open.length === 0) {
        await sleep(2);
        continue;
      }
      for (const { id } of open) {
        const task = await asSystem(database.db, (tx) => engine.tasks.complete(tx, id, { approved: true }, actor)).catch(() => undefined);
        if (task && counting) completed++;
      }
    }
  })();
  let inFlight = 0;
  let started = 0;
  const starter = (async () => {
    while (!stop) {
      const { rows } = await database.db.execute(sql`select count(*)::int as n from workflow_instances where state = 'active' and process_id = 'bench-five-step'`);
      inFlight = rows[0].n;
      const room = IN_FLIGHT - inFlight;
      for (let i = 0; i < room && !stop; i++) {
        await asSystem(database.db, (tx) => engine.startInstance(tx, { tenantId: tenant.id, processId: 'bench-five-step', variables: { reading: { valid: true, value: ++started } }, startedBy: null }));
      }
      await sleep(room > 0 ? 0 : 5);
    }
  })();
  await sleep(3_000); // warm-up
  counting = true;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const measured = completed;
  const elapsed = (performance.now() - t0) / 1000;
  const rate = measured / elapsed;
  stop = true;
  await Promise.all([completer, starter]);
  const incidents = (await database.db.execute(sql`select count(*)::int as n from workflow_incidents where state = 'open'`)).rows[0].n;
  await runtime.close();
  log(`${label}: ${measured} instances completed in ${elapsed.toFixed(1)} s (${incidents} open incidents)`);
  if (incidents > 0) throw new Error(`${label}: ${incidents} incidents during the run`);
  return rate;
}

const dirSize = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? dirSize(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);

/** Resident memory and database growth for WAITING instances waiting at a user task (PGlite, in-process). */
async function waitingMemory() {
  const dir = mkdtempSync(join(tmpdir(), 'shuiyun-bench-wait-'));
  const database = await openDatabase({ dataDir: dir });
  try {
    const { runtime, tenant, engine } = await openRuntime(database);
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    const diskBefore = dirSize(dir);
    for (let i = 0; i < WAITING; i += 100) {
      await asSystem(database.db, async (tx) => {
        for (let j = 0; j < 100; j++) await engine.startInstance(tx, { tenantId: tenant.id, processId: 'bench-wait', variables: { n: i + j }, startedBy: null });
      });
    }
    await database.db.execute(sql`checkpoint`);
    globalThis.gc?.();
    const after = process.memoryUsage().rss;
    const { rows } = await database.db.execute(sql`select count(*)::int as n from workflow_user_tasks where state = 'created'`);
    if (rows[0].n !== WAITING) throw new Error(`expected ${WAITING} open tasks, found ${rows[0].n}`);
    const disk = dirSize(dir) - diskBefore;
    await runtime.close();
    return { rssMb: (after - before) / 2 ** 20, diskMb: disk / 2 ** 20 };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withPostgres(work) {
  const name = `shuiyun_bench_wf_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const database = await openDatabase({ url: url.toString(), poolSize: 8 });
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
  }
}

const reference = await stepExecutorOnly(Math.min(DURATION, 10));
log(`step executor alone: ${reference.toFixed(1)} instances/s`);

const pgliteDir = mkdtempSync(join(tmpdir(), 'shuiyun-bench-wf-'));
let pglite;
try {
  const database = await openDatabase({ dataDir: pgliteDir });
  try {
    pglite = await throughput(database, 'embedded on PGlite', DURATION);
  } finally {
    await database.close();
  }
} finally {
  rmSync(pgliteDir, { recursive: true, force: true });
}
emit({ metric: 'instances_per_s', value: Math.round(pglite * 10) / 10, unit: 'instances/s', engine: 'embedded', database: 'pglite', fixture: 'bench-five-step', steps_per_instance: 4, reference: 'step executor alone, in memory', reference_value: Math.round(reference * 10) / 10, ratio: Math.round((reference / pglite) * 10) / 10 });

const postgres = await withPostgres((database) => throughput(database, 'embedded on PostgreSQL', DURATION));
emit({ metric: 'instances_per_s', value: Math.round(postgres * 10) / 10, unit: 'instances/s', engine: 'embedded', database: 'postgresql', fixture: 'bench-five-step', steps_per_instance: 4, reference: 'step executor alone, in memory', reference_value: Math.round(reference * 10) / 10, ratio: Math.round((reference / postgres) * 10) / 10 });

const memory = await waitingMemory();
emit({ metric: 'rss_per_10k_waiting_instances', value: Math.round(memory.rssMb * 10) / 10, unit: 'MiB', engine: 'embedded', database: 'pglite', waiting: WAITING, disk_mib: Math.round(memory.diskMb * 10) / 10, note: 'instances are not held in memory between events; PGlite runs in-process, so its buffers are in the figure' });
process.exit(0);
