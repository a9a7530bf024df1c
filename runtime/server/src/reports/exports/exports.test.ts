import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TenantReading } from '@shuiyun/analytics';
import { asSystem, notifications, queryRows, reportDeliveries, reportExports, users } from '@shuiyun/db';
import { eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../../testing/harness.js';
import { createReportService } from '../service.js';
import { exportFilePath, MAX_ACTIVE_EXPORTS_PER_USER, ReportExportRunner } from './runner.js';

/** Meters × hours of readings written straight into county-a's analytics store: one report row each. */
const DEVICES = 50;
const HOURS = 3_000;
const BULK_ROWS = DEVICES * HOURS;
/** The devices of the smaller export (three pages of 10,000 rows and a part), compared with the synchronous one. */
const SOME_DEVICES = Array.from({ length: 8 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`);
const SOME_ROWS = SOME_DEVICES.length * HOURS;

/** A tenant dataset over the readings, one row per meter and hour. */
const bulkDataset = {
  id: 'bulk-readings',
  label: { 'zh-CN': '逐时读数', en: 'Hourly readings' },
  source: { kind: 'analytics', table: 'readings' },
  dimensions: [
    { id: 'device', label: { 'zh-CN': '设备', en: 'Device' }, column: 'device' },
    { id: 'hour', label: { 'zh-CN': '时段', en: 'Hour' }, column: 'at', grain: 'hour' },
  ],
  measures: [{ id: 'reading', label: { 'zh-CN': '读数', en: 'Reading' }, aggregate: 'max', column: 'value' }],
};
const everything = { dataset: 'bulk-readings', query: { dimensions: ['device', 'hour'], measures: ['reading'] } };
const some = { dataset: 'bulk-readings', query: { dimensions: ['device', 'hour'], measures: ['reading'], filters: [{ field: 'device', op: 'in', values: SOME_DEVICES }] } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Background report exports (报表导出任务) on a runtime with 150,000 report rows in county-a: the job's file
 * is the synchronous export's, progress climbs while it runs, a cancel stops it midway and frees the runner,
 * other tenants and other users never see it, bad requests are refused before anything is queued, a job a
 * dead process left behind is closed at start-up, and expired files are deleted.
 */
describe.each(drivers)('background report exports on %s', (driver) => {
  let t: TestRuntime;
  let dataDir: string;
  let adminA: string;
  let adminB: string;
  let viewerA: string;
  let group: string;
  let countyA: { id: number; path: string };
  let adminAId: number;

  const call = (method: string, path: string, body?: unknown, token = adminA) => t.request(method, path, { token, body, headers: { 'accept-language': 'zh-CN' } });
  const ok = async (method: string, path: string, body?: unknown, token = adminA) => {
    const res = await call(method, path, body, token);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const submit = (format: string, body: unknown, token = adminA) => call('POST', `/api/reports/exports?format=${format}`, body, token);
  const jobs = async () => (await asSystem(t.database.db, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from report_exports`)))[0]!.n;
  const fileOf = (job: { id: number; format: string }) => join(dataDir, exportFilePath({ id: job.id, tenantId: countyA.id, format: job.format as 'csv' }));

  /** Polls a job until `done` holds (or fails after 90 s), returning every state seen on the way. */
  const follow = async (id: number, done: (job: any) => boolean, token = adminA) => {
    const seen: any[] = [];
    const until = Date.now() + 90_000;
    for (;;) {
      const job = await ok('GET', `/api/reports/exports/${id}`, undefined, token);
      seen.push(job);
      if (done(job)) return seen;
      if (Date.now() > until) throw new Error(`export ${id} stuck at ${JSON.stringify(job)}`);
      await sleep(40);
    }
  };
  const ended = (job: { status: string }) => !['queued', 'running'].includes(job.status);

  const download = async (path: string, body?: unknown, token = adminA) => {
    const res = await fetch(`${t.baseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'zh-CN' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const sheetValues = async (bytes: Buffer) => {
    const { default: ExcelJS } = await import('exceljs');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(bytes as never);
    const values: unknown[] = [];
    book.worksheets[0]!.eachRow((row) => values.push(row.values));
    return values;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shuiyun-exports-'));
    t = await startTestRuntime(driver, { SHUIYUN_DATA_DIR: dataDir }, { reportScheduleTickMs: 0, workflowTickMs: 0 });
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    group = await t.login('admin@demo-group');
    const me = await ok('GET', '/api/auth/me');
    countyA = me.tenant;
    adminAId = me.user.id;
    const roles = (await ok('GET', `/api/roles?tenantId=${countyA.id}`)).items as { code: string; id: number }[];
    await ok('POST', '/api/users', { username: 'export.viewer', displayName: '导出查看', password: TEST_PASSWORD, roleIds: [roles.find((r) => r.code === 'viewer')!.id] });
    viewerA = await t.login('export.viewer');
    await ok('POST', '/api/reports/datasets', { definition: bulkDataset });

    const start = Date.UTC(2025, 0, 1);
    const batch: TenantReading[] = [];
    for (let d = 0; d < DEVICES; d++) {
      for (let h = 0; h < HOURS; h++) {
        batch.push({ tenantId: countyA.id, tenantPath: countyA.path, reading: { device: `bulk-${String(d).padStart(2, '0')}`, metric: 'cumulative_volume', at: new Date(start + h * 3_600_000), milli: BigInt(h * 1_000 + d) } });
      }
      if (batch.length >= 30_000) await t.analytics.insertReadings(batch.splice(0));
    }
    await t.analytics.insertReadings(batch);
    const total = (await ok('POST', '/api/reports/run', { ...everything, pageSize: 1 })).page.total;
    expect(total).toBe(BULK_ROWS);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('exports to CSV and XLSX in the background: 202 with the job, then exactly the file the synchronous export streams', async () => {
    for (const format of ['csv', 'xlsx'] as const) {
      const accepted = await submit(format, some);
      expect(accepted.status).toBe(202);
      expect(accepted.headers.get('location')).toBe(`/api/reports/exports/${accepted.body.id}`);
      expect(accepted.body).toMatchObject({ status: 'queued', format, requestedBy: adminAId, tenantId: countyA.id, progress: { rowsWritten: 0, rowsTotal: SOME_ROWS, percent: 0 }, file: null });
      const [job] = (await follow(accepted.body.id, ended)).slice(-1);
      expect(job).toMatchObject({ status: 'succeeded', progress: { rowsWritten: SOME_ROWS, rowsTotal: SOME_ROWS, percent: 100 }, error: null, expired: false });
      expect(job.file).toMatchObject({ mediaType: expect.stringContaining(format === 'csv' ? 'text/csv' : 'spreadsheetml'), url: `/api/reports/exports/${job.id}/file` });
      expect(new Date(job.expiresAt).getTime() - new Date(job.finishedAt).getTime()).toBe(24 * 3_600_000);

      const background = await download(job.file.url);
      expect(background.status).toBe(200);
      expect(background.disposition).toMatch(new RegExp(`attachment; filename="bulk-readings-\\d{4}-\\d{2}-\\d{2}\\.${format}"`));
      expect(background.bytes.length).toBe(job.file.size);
      const streamed = await download(`/api/reports/export?format=${format}`, some);
      expect(streamed.status).toBe(200);
      if (format === 'csv') {
        expect(background.bytes.equals(streamed.bytes)).toBe(true);
        expect(background.bytes.toString('utf8').trim().split(/\r?\n/)).toHaveLength(SOME_ROWS + 1);
      } else {
        const [mine, theirs] = [await sheetValues(background.bytes), await sheetValues(streamed.bytes)];
        expect(mine).toHaveLength(SOME_ROWS + 1);
        expect(mine).toEqual(theirs);
      }
      expect(await readFile(fileOf(job))).toEqual(background.bytes);
    }
  });

  it('shows the progress climbing while a long export runs, at most every half second, and lists the job newest first', async () => {
    const accepted = await submit('xlsx', everything);
    expect(accepted.status).toBe(202);
    const seen = await follow(accepted.body.id, ended);
    const running = seen.filter((job) => job.status === 'running');
    const written = [...new Set(running.map((job) => job.progress.rowsWritten))];
    // Several distinct counts while it ran, each larger than the one before, none of them per row.
    expect(written.length).toBeGreaterThanOrEqual(3);
    expect(written).toEqual([...written].sort((a, b) => a - b));
    expect(running.every((job) => job.progress.rowsTotal === BULK_ROWS && job.progress.percent === Math.floor((job.progress.rowsWritten * 100) / BULK_ROWS))).toBe(true);
    expect(seen.at(-1)).toMatchObject({ status: 'succeeded', progress: { rowsWritten: BULK_ROWS, percent: 100 } });
    const list = await ok('GET', '/api/reports/exports?pageSize=2');
    expect(list.items[0].id).toBe(accepted.body.id);
    expect(list.items[0].id).toBeGreaterThan(list.items[1].id);
    expect(list.total).toBe(3);
  });

  it('cancels a running export midway: the file is gone when the cancel answers, a second cancel is 409, and the runner takes the next job', async () => {
    const accepted = await submit('xlsx', everything);
    const before = await follow(accepted.body.id, (job) => job.status !== 'queued' && job.progress.rowsWritten > 0);
    expect(before.at(-1).status).toBe('running');
    expect(existsSync(fileOf(accepted.body))).toBe(true);

    // Two cancels at once: one stops the job, the other finds it ended.
    const answers = await Promise.all([call('POST', `/api/reports/exports/${accepted.body.id}/cancel`), call('POST', `/api/reports/exports/${accepted.body.id}/cancel`)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const refused = answers.find((a) => a.status === 409)!;
    expect(refused.body.error).toMatchObject({ code: 'conflict', details: [{ code: 'export_not_cancellable' }] });
    expect(answers.find((a) => a.status === 200)!.body).toMatchObject({ status: 'cancelled', error: { code: 'export_cancelled' }, file: null });
    expect(existsSync(fileOf(accepted.body))).toBe(false);
    expect(t.runtime.reportExports.jobsHere).toEqual({ queued: 0, running: 0 });

    await sleep(700);
    const after = await ok('GET', `/api/reports/exports/${accepted.body.id}`);
    expect(after).toMatchObject({ status: 'cancelled', error: { code: 'export_cancelled', message: '导出已取消，文件未保留' } });
    expect(after.progress.rowsWritten).toBeLessThan(BULK_ROWS);
    const file = await call('GET', `/api/reports/exports/${accepted.body.id}/file`);
    expect(file.status).toBe(409);
    expect(file.body.error.details[0].code).toBe('export_not_downloadable');
    expect((await readdir(join(dataDir, 'exports', String(countyA.id)))).filter((name) => name.startsWith(`${accepted.body.id}.`))).toEqual([]);

    const next = await submit('csv', some);
    expect((await follow(next.body.id, ended)).at(-1)).toMatchObject({ status: 'succeeded', progress: { rowsWritten: SOME_ROWS } });
  });

  it('answers 409 export_not_ready for the file while a job waits or runs, and cancels a queued job before it starts', async () => {
    const first = await submit('xlsx', everything);
    const second = await submit('csv', some);
    const waiting = await call('GET', `/api/reports/exports/${second.body.id}/file`);
    expect(waiting.status).toBe(409);
    expect(waiting.body.error.details[0]).toMatchObject({ code: 'export_not_ready', message: expect.stringContaining('尚未完成') });
    expect((await ok('POST', `/api/reports/exports/${second.body.id}/cancel`)).status).toBe('cancelled');
    await ok('POST', `/api/reports/exports/${first.body.id}/cancel`);
    await sleep(300);
    const queued = await ok('GET', `/api/reports/exports/${second.body.id}`);
    expect(queued).toMatchObject({ status: 'cancelled', startedAt: null, progress: { rowsWritten: 0 } });
    expect(existsSync(fileOf(second.body))).toBe(false);
    expect(t.runtime.reportExports.jobsHere).toEqual({ queued: 0, running: 0 });
  });

  it('lets one user hold at most five queued or running exports: the sixth is 429 and queues nothing', async () => {
    const held: number[] = [];
    for (let i = 0; i < MAX_ACTIVE_EXPORTS_PER_USER; i++) held.push((await submit('xlsx', everything)).body.id);
    const before = await jobs();
    const sixth = await submit('csv', some);
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.details[0].code).toBe('export_limit');
    expect(await jobs()).toBe(before);
    // Another user of the tenant is not held back by them.
    const other = await submit('csv', some, viewerA);
    expect(other.status).toBe(202);
    for (const id of held) await ok('POST', `/api/reports/exports/${id}/cancel`);
    expect((await follow(other.body.id, ended, viewerA)).at(-1).status).toBe('succeeded');
  });

  it('hides a job from other tenants and from other users of the tenant (404 everywhere); report:update holders and the group see it', async () => {
    const mine = (await ok('GET', '/api/reports/exports?pageSize=1')).items[0];
    for (const token of [adminB, viewerA]) {
      for (const path of [`/api/reports/exports/${mine.id}`, `/api/reports/exports/${mine.id}/file`]) {
        const res = await call('GET', path, undefined, token);
        expect(res.status, path).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
      const cancel = await call('POST', `/api/reports/exports/${mine.id}/cancel`, undefined, token);
      expect(cancel.status).toBe(404);
      const listed = await ok('GET', '/api/reports/exports?pageSize=200', undefined, token);
      expect(listed.items.map((job: { id: number }) => job.id)).not.toContain(mine.id);
    }
    expect((await call('GET', '/api/reports/exports?scope=all', undefined, viewerA)).status).toBe(403);
    expect((await call('GET', '/api/reports/exports?scope=all', undefined, adminB)).body.items.map((job: { id: number }) => job.id)).not.toContain(mine.id);
    expect((await call('GET', `/api/reports/exports?scope=all&tenantId=${countyA.id}`, undefined, adminB)).status).toBe(404);
    // The tenant's and the group's report administrators see it (row-level security: the group's subtree).
    expect((await ok('GET', `/api/reports/exports/${mine.id}`, undefined, group)).id).toBe(mine.id);
    const all = await ok('GET', `/api/reports/exports?scope=all&tenantId=${countyA.id}&pageSize=200`, undefined, group);
    expect(all.items.map((job: { id: number }) => job.id)).toContain(mine.id);
    // Another tenant's template is no way in either: the run it names is a 404 before anything is queued.
    const template = await ok('POST', '/api/reports/templates', { template: { code: 'bulk-export', name: '逐时读数导出', dataset: { code: 'bulk-readings' }, query: some.query } });
    const before = await jobs();
    expect((await submit('csv', { template: template.id }, adminB)).status).toBe(404);
    expect(await jobs()).toBe(before);
  });

  it('refuses a bad format, a bad request and a PDF of too many rows at once (400/404/422), queuing nothing', async () => {
    const before = await jobs();
    const cases: [string, unknown, number, string][] = [
      ['docx', some, 400, 'validation_failed'],
      ['csv', { ...some, template: 1 }, 400, 'validation_failed'],
      ['csv', { ...some, extra: true }, 400, 'unknown_field'],
      ['csv', { dataset: 'bulk-readings', query: { dimensions: ['colour'], measures: ['reading'] } }, 400, 'unknown_field'],
      ['csv', { dataset: 'no-such-dataset', query: { measures: ['x'] } }, 404, 'not_found'],
      ['pdf', everything, 422, 'validation_failed'],
    ];
    for (const [format, body, status, code] of cases) {
      const res = await submit(format, body);
      expect(res.status, `${format} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.body.error.code).toBe(code);
    }
    const pdf = await submit('pdf', everything);
    expect(pdf.body.error.details[0]).toMatchObject({ path: 'query.format', code: 'pdf_row_limit_exceeded' });
    // The same refusal as the synchronous export.
    const streamed = await download('/api/reports/export?format=pdf', everything);
    expect(streamed.status).toBe(422);
    expect(JSON.parse(streamed.bytes.toString('utf8')).error.details[0].code).toBe('pdf_row_limit_exceeded');
    expect(await jobs()).toBe(before);
    const viewers = await call('POST', '/api/reports/exports?format=csv', some, viewerA);
    expect(viewers.status).toBe(202);
    expect((await follow(viewers.body.id, ended, viewerA)).at(-1).status).toBe('succeeded');
    const nobody = await t.request('POST', '/api/reports/exports?format=csv', { body: some });
    expect(nobody.status).toBe(401);
  });

  it('closes at start-up the jobs a dead process left queued or running (failed, partial file removed), and leaves a live node’s job alone', async () => {
    const runner = t.runtime.reportExports;
    const nodeName = runner.runnerId.slice(0, runner.runnerId.lastIndexOf(':'));
    const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
    const row = (runner: string, status: 'queued' | 'running', heartbeatAt: Date) => ({
      tenantId: countyA.id,
      tenantPath: countyA.path,
      requestedBy: adminAId,
      request: everything,
      format: 'csv' as const,
      status,
      rowsWritten: status === 'running' ? 20_000 : 0,
      rowsTotal: BULK_ROWS,
      startedAt: status === 'running' ? minutesAgo(3) : null,
      runner,
      heartbeatAt,
    });
    const inserted = await asSystem(t.database.db, (tx) =>
      tx
        .insert(reportExports)
        .values([
          row('dead-node:0badc0de', 'running', minutesAgo(2)), // another node, silent for two minutes
          row('dead-node:0badc0de', 'queued', minutesAgo(2)),
          row(`${nodeName}:deadbeef`, 'running', new Date()), // an earlier life of this node's name, just killed
          row('live-node:12345678', 'running', new Date()), // another node, alive
        ])
        .returning(),
    );
    for (const job of inserted) {
      await mkdir(join(dataDir, 'exports', String(countyA.id)), { recursive: true });
      await writeFile(fileOf(job), 'partial,rows\n');
    }
    // The process starting again: a runner of this node's name on the same database.
    const restarted = new ReportExportRunner({
      db: t.database.db,
      service: createReportService({ analytics: t.analytics, db: t.database.db, readingsWritten: () => 0 }),
      permissions: t.runtime.permissions,
      logger: pino({ level: 'silent' }),
      dataDir,
      nodeName,
    });
    restarted.start();
    try {
      const until = Date.now() + 10_000;
      // Recovery marks the rows, then removes their partial files: wait for both.
      const pending = async () =>
        (await ok('GET', `/api/reports/exports/${inserted[2]!.id}`)).status === 'running' || inserted.slice(0, 3).some((job) => existsSync(fileOf(job)));
      while ((await pending()) && Date.now() < until) await sleep(50);
      const states = await Promise.all(inserted.map((job) => ok('GET', `/api/reports/exports/${job.id}`)));
      expect(states.map((s) => s.status)).toEqual(['failed', 'failed', 'failed', 'running']);
      for (const s of states.slice(0, 3)) {
        expect(s.error).toMatchObject({ code: 'export_interrupted', message: expect.stringContaining('the runtime stopped') });
        expect(s.finishedAt).not.toBeNull();
      }
      expect(inserted.map((job) => existsSync(fileOf(job)))).toEqual([false, false, false, true]);
      // Nothing else was touched: every job this runtime ran has ended as it ended.
      expect(await restarted.recoverInterrupted()).toBe(0);
      const running = await asSystem(t.database.db, (tx) => tx.select({ id: reportExports.id }).from(reportExports).where(eq(reportExports.status, 'running')));
      expect(running.map((r) => r.id)).toEqual([inserted[3]!.id]);
    } finally {
      await restarted.stop();
      await asSystem(t.database.db, (tx) => tx.delete(reportExports).where(eq(reportExports.id, inserted[3]!.id)));
      await rm(fileOf(inserted[3]!), { force: true });
    }
  });

  it('deletes expired export files and schedule delivery files past their retention, and files no job holds; the rows say so', async () => {
    const runner = t.runtime.reportExports;
    const [done] = await asSystem(t.database.db, (tx) => tx.select().from(reportExports).where(eq(reportExports.status, 'succeeded')).orderBy(reportExports.id).limit(1));
    expect(existsSync(join(dataDir, done!.file!))).toBe(true);

    // A schedule with two deliveries: one 31 days old, one from yesterday, each with its file and a notification.
    const template = (await ok('GET', '/api/reports/templates?code=bulk-export')).items[0];
    const schedule = await ok('POST', '/api/reports/schedules', { templateId: template.id, name: '逐时读数', cron: '0 3 1 1 *', format: 'csv', recipients: { users: [adminAId] } });
    const deliveries = await asSystem(t.database.db, async (tx) => {
      const made = [];
      for (const days of [31, 1]) {
        const at = new Date(Date.now() - days * 86_400_000);
        const file = join('report-deliveries', String(countyA.id), `sweep-${days}.csv`);
        const [delivery] = await tx
          .insert(reportDeliveries)
          .values({ tenantId: countyA.id, tenantPath: countyA.path, scheduleId: schedule.id, trigger: 'manual', startedAt: at, finishedAt: at, status: 'succeeded', format: 'csv', rows: 1, bytes: 4, file, fileName: 'x.csv' })
          .returning();
        made.push(delivery!);
      }
      return made;
    });
    await mkdir(join(dataDir, 'report-deliveries', String(countyA.id)), { recursive: true });
    for (const d of deliveries) await writeFile(join(dataDir, d.file!), 'a,b\n');
    const [notification] = await asSystem(t.database.db, async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.id, adminAId));
      return tx
        .insert(notifications)
        .values({
          tenantId: user!.tenantId,
          tenantPath: user!.tenantPath,
          userId: user!.id,
          kind: 'report-delivery',
          title: { 'zh-CN': '逐时读数', en: 'Hourly readings' },
          body: { 'zh-CN': '逐时读数', en: 'Hourly readings' },
          attachment: { deliveryId: deliveries[0]!.id, fileName: 'x.csv', mediaType: 'text/csv', bytes: 4 },
        })
        .returning();
    });
    // A file whose job row is gone (its user deleted), older than a file's lifetime.
    const orphan = join(dataDir, 'exports', String(countyA.id), '987654.csv');
    await writeFile(orphan, 'orphan\n');
    const old = new Date(Date.now() - 2 * 86_400_000);
    await utimes(orphan, old, old);

    const now = new Date(done!.expiresAt!.getTime() + 1_000);
    const swept = await runner.sweep(now);
    expect(swept.exports).toBeGreaterThanOrEqual(1);
    expect(swept.deliveries).toBe(1);
    expect(swept.orphans).toBe(1);
    expect(existsSync(join(dataDir, done!.file!))).toBe(false);
    expect(existsSync(orphan)).toBe(false);
    const job = await ok('GET', `/api/reports/exports/${done!.id}`);
    expect(job).toMatchObject({ status: 'succeeded', expired: true, file: null });
    const gone = await call('GET', `/api/reports/exports/${done!.id}/file`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.details[0].code).toBe('export_expired');

    expect(deliveries.map((d) => existsSync(join(dataDir, d.file!)))).toEqual([false, true]);
    const rows = await asSystem(t.database.db, (tx) => tx.select().from(reportDeliveries).where(eq(reportDeliveries.scheduleId, schedule.id)).orderBy(reportDeliveries.id));
    expect(rows.map((r) => r.file)).toEqual([null, deliveries[1]!.file]);
    const attachment = await call('GET', `/api/notifications/${notification!.id}/attachment`);
    expect(attachment.status).toBe(404);
    expect(attachment.body.error.details[0].code).toBe('attachment_expired');
    // A second sweep finds nothing more.
    expect(await runner.sweep(now)).toEqual({ exports: 0, deliveries: 0, orphans: 0 });
  });
});
