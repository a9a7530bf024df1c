import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asSystem, queryRows, reportDeliveries } from '@shuiyun/db';
import ExcelJS from 'exceljs';
import { eq, sql } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../../testing/harness.js';

interface ReceivedMail {
  to: string[];
  raw: string;
}

/** The first attachment of a MIME message as nodemailer writes it (base64 or quoted-printable). */
function attachmentOf(raw: string): { filename: string; content: Buffer } {
  const at = raw.search(/Content-Disposition: attachment/i);
  expect(at, 'the mail has an attachment').toBeGreaterThan(0);
  const start = raw.lastIndexOf('\r\n--', at);
  const headerEnd = raw.indexOf('\r\n\r\n', at);
  const headers = raw.slice(start, headerEnd);
  const body = raw.slice(headerEnd + 4, raw.indexOf('\r\n--', headerEnd));
  const filename = /filename="?([^";\r\n]+)"?/i.exec(headers)?.[1] ?? '';
  const content = /Content-Transfer-Encoding: quoted-printable/i.test(headers)
    ? Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1')
    : Buffer.from(body.replace(/\s+/g, ''), 'base64');
  return { filename, content };
}

/** CSV lines of an export (UTF-8 with a BOM). */
const csvLines = (content: Buffer) =>
  content
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((line) => line !== '');

/** A dataset over the county's communities with an enum parameter that picks communities by code. */
const communitiesDataset = {
  id: 'schedule-communities',
  label: '小区清单',
  source: { kind: 'postgres', relation: 'communities' },
  columns: { tenant_path: { type: 'tenantPath' }, code: { type: 'string' }, name: { type: 'string' } },
  dimensions: [
    { id: 'code', label: '编码', column: 'code' },
    { id: 'name', label: '名称', column: 'name' },
  ],
  measures: [{ id: 'communities', label: '小区数', aggregate: 'count' }],
  parameters: [
    {
      id: 'code',
      label: '小区',
      type: 'enum',
      multiple: true,
      options: ['C001', 'C002', 'C003', 'C004'].map((value) => ({ value, label: value })),
      binds: { column: 'code' },
    },
  ],
};
const communitiesTemplate = {
  code: 'community-list',
  name: '小区清单',
  dataset: { code: 'schedule-communities' },
  query: { dimensions: ['code', 'name'], measures: ['communities'] },
};

describe.each(drivers)('report schedules on %s', (driver) => {
  let t: TestRuntime;
  let smtp: SMTPServer;
  let dataDir: string;
  const mails: ReceivedMail[] = [];
  let adminA: string;
  let adminB: string;
  let group: string;
  let templateId: number;
  let adminBUserId: number;
  let schedulerRoleId: number;
  const people: Record<string, { id: number; token: string }> = {};

  const call = (method: string, path: string, body?: unknown, token = adminA, headers?: Record<string, string>) => t.request(method, path, { token, body, headers });
  const ok = async (method: string, path: string, body?: unknown, token = adminA) => {
    const res = await call(method, path, body, token);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const schedule = (overrides: Record<string, unknown> = {}, token = adminA) =>
    ok('POST', '/api/reports/schedules', { templateId, name: '每日小区清单', cron: '0 8 * * *', format: 'csv', recipients: { users: [people.reader!.id] }, ...overrides }, token);
  const deliveriesOf = async (id: number) => (await asSystem(t.database.db, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from report_deliveries where schedule_id = ${id}`)))[0]!.n;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('bounce@')) callback(new Error('550 no such mailbox here'));
        else callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('latin1') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const port = (smtp.server.address() as AddressInfo).port;
    dataDir = await mkdtemp(join(tmpdir(), 'shuiyun-schedules-'));
    t = await startTestRuntime(driver, { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: 'Shuiyun <reports@shuiyun.test>', SHUIYUN_DATA_DIR: dataDir }, { reportScheduleTickMs: 0, workflowTickMs: 0 });
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    group = await t.login('admin@demo-group');
    adminBUserId = (await ok('GET', '/api/auth/me', undefined, adminB)).user.id;
    const countyA = (await ok('GET', '/api/auth/me')).tenant.id;
    const roles = (await ok('GET', `/api/roles?tenantId=${countyA}`)).items as { code: string; id: number }[];
    const viewerRole = roles.find((r) => r.code === 'viewer')!.id;
    const scheduler = await ok('POST', '/api/roles', {
      code: 'report-scheduler',
      name: '报表订阅员',
      permissions: ['report:read', 'report:run', 'report-schedule:read', 'report-schedule:create', 'user:read'],
      dataScope: 'tenant',
    });
    for (const [name, roleIds] of [
      ['reader', [viewerRole]],
      ['bystander', [viewerRole]],
      ['scheduler', [scheduler.id]],
    ] as const) {
      const user = await ok('POST', '/api/users', { username: `${name}.a`, displayName: name, password: TEST_PASSWORD, roleIds });
      people[name] = { id: user.id, token: await t.login(`${name}.a`) };
    }
    schedulerRoleId = scheduler.id;
    await ok('POST', '/api/reports/datasets', { definition: communitiesDataset });
    templateId = (await ok('POST', '/api/reports/templates', { template: communitiesTemplate })).id;
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a cron with a syntax error or one that never fires (Feb 30), naming body.cron in zh-CN and en', async () => {
    const body = { templateId, name: 'x', format: 'csv', recipients: { users: [people.reader!.id] } };
    const cases: [string, string][] = [
      ['every day at eight', 'cron_invalid'],
      ['0 8 * *', 'cron_invalid'],
      ['*/5 * * * * *', 'cron_invalid'],
      ['0 0 30 2 *', 'cron_never_fires'],
      ['0 0 31 4 *', 'cron_never_fires'],
    ];
    for (const [cron, code] of cases) {
      const zh = await call('POST', '/api/reports/schedules', { ...body, cron });
      expect(zh.status, cron).toBe(400);
      expect(zh.body.error.code).toBe('validation_failed');
      expect(zh.body.error.details, cron).toEqual([expect.objectContaining({ path: 'body.cron', code })]);
      const en = await call('POST', '/api/reports/schedules', { ...body, cron }, adminA, { 'accept-language': 'en' });
      expect(en.body.error.details[0].message, cron).toMatch(code === 'cron_never_fires' ? /never fires/ : /Not a valid cron expression/);
      if (code === 'cron_never_fires') expect(zh.body.error.details[0].message).toContain('永远不会触发');
    }
    const zone = await call('POST', '/api/reports/schedules', { ...body, cron: '0 8 * * *', timeZone: 'Mars/Olympus_Mons' });
    expect(zone.status).toBe(400);
    expect(zone.body.error.details[0]).toMatchObject({ path: 'body.timeZone', code: 'time_zone_invalid' });
    expect(await asSystem(t.database.db, (tx) => queryRows(tx, sql`select id from report_schedules where name = 'x'`))).toEqual([]);
  });

  it('checks parameters by planning the template with them, and recipients and e-mail on save', async () => {
    const wrong = await call('POST', '/api/reports/schedules', { templateId, name: 'x', cron: '0 8 * * *', parameters: { code: ['C999'] }, recipients: { users: [people.reader!.id] } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details[0]).toMatchObject({ path: 'body.parameters.code.0', code: 'invalid_parameter' });
    const unknown = await call('POST', '/api/reports/schedules', { templateId, name: 'x', cron: '0 8 * * *', parameters: { nope: 1 }, recipients: { users: [people.reader!.id] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0]).toMatchObject({ path: 'body.parameters.nope', code: 'unknown_field' });
    const foreign = await call('POST', '/api/reports/schedules', { templateId, name: 'x', cron: '0 8 * * *', recipients: { users: [people.reader!.id, adminBUserId] } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toMatchObject({ code: 'invalid_reference', details: [{ path: 'body.recipients.users.1', code: 'recipient_unknown' }] });
    const nobody = await call('POST', '/api/reports/schedules', { templateId, name: 'x', cron: '0 8 * * *', recipients: {} });
    expect(nobody.body.error.details[0]).toMatchObject({ path: 'body.recipients', code: 'recipients_missing' });
    const hidden = await call('POST', '/api/reports/schedules', { templateId, name: 'x', cron: '0 8 * * *', recipients: { users: [adminBUserId] } }, adminB);
    expect(hidden.status).toBe(400);
    expect(hidden.body.error.details[0]).toMatchObject({ path: 'body.templateId', code: 'template_not_visible' });

    // Without SMTP_URL the server has no mailer: e-mail recipients are refused with the reason.
    const scheduler = t.runtime.reportSchedules;
    Object.defineProperty(scheduler, 'canEmail', { configurable: true, get: () => false });
    try {
      const noSmtp = await call('POST', '/api/reports/schedules', { templateId, name: 'x', cron: '0 8 * * *', recipients: { emails: ['ops@example.test'] } }, adminA, { 'accept-language': 'en' });
      expect(noSmtp.status).toBe(400);
      expect(noSmtp.body.error.details[0]).toMatchObject({ path: 'body.recipients.emails', code: 'smtp_not_configured' });
      expect(noSmtp.body.error.details[0].message).toContain('SMTP_URL');
    } finally {
      delete (scheduler as unknown as Record<string, unknown>).canEmail;
    }
    expect(scheduler.canEmail).toBe(true);
  });

  it('delivers on its cron: an e-mail with the CSV of the report’s rows, and a notification for the recipient only', async () => {
    const before = Date.now();
    const created = await schedule({ parameters: { code: ['C001', 'C002'] }, recipients: { users: [people.reader!.id], emails: ['ops@example.test'] } });
    expect(created).toMatchObject({ timeZone: 'Asia/Shanghai', format: 'csv', enabled: true, ownerId: expect.any(Number), lastStatus: null });
    // 08:00 in Shanghai is 00:00 UTC, within the next day.
    const due = new Date(created.nextRunAt);
    expect(due.getUTCHours()).toBe(0);
    expect(due.getTime()).toBeGreaterThan(before);
    expect(due.getTime() - before).toBeLessThanOrEqual(24 * 3_600_000);

    expect((await t.runtime.reportSchedules.fireDue(new Date(due.getTime() - 1_000))).filter((d) => d.scheduleId === created.id)).toEqual([]);
    const mailsBefore = mails.length;
    const fired = (await t.runtime.reportSchedules.fireDue(due)).filter((d) => d.scheduleId === created.id);
    expect(fired).toEqual([expect.objectContaining({ status: 'succeeded', trigger: 'schedule', rows: 2, notified: 1, emailed: 1, error: null })]);

    const { rows } = await ok('POST', '/api/reports/run', { template: templateId, parameters: { code: ['C001', 'C002'] } });
    expect(rows.map((r: { code: string }) => r.code).sort()).toEqual(['C001', 'C002']);
    expect(mails.length).toBe(mailsBefore + 1);
    const mail = mails.at(-1)!;
    expect(mail.to).toEqual(['ops@example.test']);
    const attachment = attachmentOf(mail.raw);
    expect(attachment.filename).toMatch(/^community-list-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = csvLines(attachment.content);
    expect(lines).toHaveLength(1 + rows.length);
    for (const row of rows as { code: string; name: string; communities: string }[]) expect(lines).toContain(`${row.code},${row.name},${row.communities}`);

    const inbox = await ok('GET', '/api/notifications', undefined, people.reader!.token);
    expect(inbox).toMatchObject({ total: 1, unread: 1 });
    const [note] = inbox.items;
    expect(note).toMatchObject({ kind: 'report-delivery', userId: people.reader!.id, readAt: null, attachment: { deliveryId: fired[0]!.id, fileName: attachment.filename } });
    expect(note.title['zh-CN']).toContain('每日小区清单');
    expect(note.title.en).toContain('每日小区清单');
    for (const other of [people.bystander!.token, adminA, adminB]) expect((await ok('GET', '/api/notifications', undefined, other)).total).toBe(0);
    // The file is the recipient's to download, nobody else's.
    const download = await fetch(`${t.baseUrl}/api/notifications/${note.id}/attachment`, { headers: { authorization: `Bearer ${people.reader!.token}` } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(attachment.content)).toBe(true);
    expect((await call('GET', `/api/notifications/${note.id}/attachment`, undefined, people.bystander!.token)).status).toBe(404);
    expect((await call('POST', `/api/notifications/${note.id}/read`, undefined, people.bystander!.token)).status).toBe(404);
    expect((await ok('POST', `/api/notifications/${note.id}/read`, undefined, people.reader!.token)).readAt).not.toBeNull();
    expect(await ok('GET', '/api/notifications?unread=true', undefined, people.reader!.token)).toMatchObject({ total: 0, unread: 0 });

    const after = await ok('GET', `/api/reports/schedules/${created.id}`);
    expect(after).toMatchObject({ lastStatus: 'succeeded', lastError: null });
    expect(new Date(after.nextRunAt).getTime()).toBe(due.getTime() + 24 * 3_600_000);
    const history = await ok('GET', `/api/reports/schedules/${created.id}/deliveries`);
    expect(history.items).toEqual([expect.objectContaining({ id: fired[0]!.id, status: 'succeeded', rows: 2, bytes: attachment.content.length })]);
  });

  it('fires a due schedule once when fireDue is called concurrently and again, and sends the xlsx of its rows', async () => {
    const created = await schedule({ name: '并发订阅', format: 'xlsx', recipients: { users: [people.reader!.id], emails: ['xlsx@example.test'] } });
    const due = new Date(created.nextRunAt);
    const mailsBefore = mails.length;
    const runs = await Promise.all([t.runtime.reportSchedules.fireDue(due), t.runtime.reportSchedules.fireDue(due)]);
    const again = await t.runtime.reportSchedules.fireDue(due);
    const mine = [...runs.flat(), ...again].filter((d) => d.scheduleId === created.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ status: 'succeeded', format: 'xlsx' });
    expect(await deliveriesOf(created.id)).toBe(1);
    const mail = mails.slice(mailsBefore).find((m) => m.to.includes('xlsx@example.test'))!;
    expect(mails.slice(mailsBefore).filter((m) => m.to.includes('xlsx@example.test'))).toHaveLength(1);
    const attachment = attachmentOf(mail.raw);
    expect(attachment.filename).toMatch(/\.xlsx$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(attachment.content as never);
    const sheet = workbook.worksheets[0]!;
    const { rows } = await ok('POST', '/api/reports/run', { template: templateId, pageSize: 1000 });
    const codes: string[] = [];
    sheet.eachRow((row, number) => {
      if (number > 1) codes.push(String(row.getCell(1).value));
    });
    expect(codes.sort()).toEqual(rows.map((r: { code: string }) => r.code).sort());
  });

  it('closes a run a crash cut short: still running an hour after it started, it becomes failed with the reason', async () => {
    const created = await schedule({ name: '中断订阅', format: 'csv', recipients: { users: [people.reader!.id], emails: [] } });
    const started = new Date(Date.now() - 2 * 3_600_000);
    const [stuck] = await asSystem(t.database.db, (tx) =>
      tx.insert(reportDeliveries).values({ tenantId: created.tenantId, tenantPath: created.tenantPath, scheduleId: created.id, trigger: 'schedule', startedAt: started, format: 'csv' }).returning(),
    );
    const [fresh] = await asSystem(t.database.db, (tx) =>
      tx.insert(reportDeliveries).values({ tenantId: created.tenantId, tenantPath: created.tenantPath, scheduleId: created.id, trigger: 'manual', startedAt: new Date(), format: 'csv' }).returning(),
    );
    expect(await t.runtime.reportSchedules.recoverInterrupted()).toBe(1);
    const read = (id: number) => asSystem(t.database.db, async (tx) => (await tx.select().from(reportDeliveries).where(eq(reportDeliveries.id, id)))[0]!);
    expect(await read(stuck!.id)).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') });
    expect((await read(fresh!.id)).status).toBe('running');
  });

  it('records a failed delivery when the owner lost report:run or was disabled, and a partial one when the e-mail bounces', async () => {
    const created = await schedule({ name: '订阅员的订阅' }, people.scheduler!.token);
    expect(created.ownerId).toBe(people.scheduler!.id);
    const readerBefore = (await ok('GET', '/api/notifications', undefined, people.reader!.token)).total;

    await ok('PATCH', `/api/roles/${schedulerRoleId}`, { permissions: ['report:read', 'report-schedule:read', 'report-schedule:create', 'user:read'] });
    const lost = await ok('POST', `/api/reports/schedules/${created.id}/run-now`);
    expect(lost).toMatchObject({ status: 'failed', trigger: 'manual', notified: 0, rows: null });
    expect(lost.error).toContain('report:run');
    expect(lost.error).toContain('scheduler.a');
    expect(await ok('GET', `/api/reports/schedules/${created.id}`)).toMatchObject({ lastStatus: 'failed', lastError: lost.error });

    await ok('PATCH', `/api/roles/${schedulerRoleId}`, { permissions: ['report:read', 'report:run', 'report-schedule:read', 'report-schedule:create', 'user:read'] });
    await ok('PATCH', `/api/users/${people.scheduler!.id}`, { status: 'disabled' });
    const disabled = await ok('POST', `/api/reports/schedules/${created.id}/run-now`);
    expect(disabled).toMatchObject({ status: 'failed' });
    expect(disabled.error).toContain('停用');
    expect((await ok('GET', '/api/notifications', undefined, people.reader!.token)).total).toBe(readerBefore);
    expect((await ok('GET', `/api/reports/schedules/${created.id}/deliveries`)).items.map((d: { status: string }) => d.status)).toEqual(['failed', 'failed']);

    // A bounced e-mail does not take the in-app notification with it.
    const bounced = await schedule({ name: '退信订阅', recipients: { users: [people.reader!.id], emails: ['bounce@example.test'] } });
    const partial = await ok('POST', `/api/reports/schedules/${bounced.id}/run-now`);
    expect(partial).toMatchObject({ status: 'partial', notified: 1, emailed: 0 });
    expect(partial.error).toContain('邮件发送失败');
    expect((await ok('GET', '/api/notifications', undefined, people.reader!.token)).total).toBe(readerBefore + 1);
  });

  it('keeps another county out: it cannot read, list, change, run or delete the schedule or its deliveries; the group can read them', async () => {
    const created = await schedule({ name: '本县订阅' });
    for (const [method, path, body] of [
      ['GET', `/api/reports/schedules/${created.id}`, undefined],
      ['PATCH', `/api/reports/schedules/${created.id}`, { name: 'hijacked', recipients: { users: [adminBUserId] } }],
      ['POST', `/api/reports/schedules/${created.id}/run-now`, undefined],
      ['GET', `/api/reports/schedules/${created.id}/deliveries`, undefined],
      ['DELETE', `/api/reports/schedules/${created.id}`, undefined],
    ] as const) {
      const res = await call(method, path, body, adminB);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await ok('GET', '/api/reports/schedules', undefined, adminB)).items.map((s: { id: number }) => s.id)).not.toContain(created.id);
    expect(await deliveriesOf(created.id)).toBe(0);
    expect(await ok('GET', `/api/reports/schedules/${created.id}`, undefined, group)).toMatchObject({ id: created.id, name: '本县订阅' });
    // A viewer reads schedules but may not run them.
    expect((await call('POST', `/api/reports/schedules/${created.id}/run-now`, undefined, people.reader!.token)).status).toBe(403);
    expect((await call('DELETE', `/api/reports/schedules/${created.id}`)).status).toBe(204);
  });

  it('runs the background loop when asked: a schedule due in the past fires on the next tick after start', async () => {
    const created = await schedule({ name: '后台订阅' });
    await asSystem(t.database.db, (tx) => tx.execute(sql`update report_schedules set next_run_at = now() - interval '1 hour' where id = ${created.id}`));
    const { ReportScheduler } = await import('./scheduler.js');
    const loop = new ReportScheduler({ ...(t.runtime.reportSchedules as unknown as { options: ConstructorParameters<typeof ReportScheduler>[0] }).options, mailer: undefined, tickMs: 20 });
    loop.start();
    try {
      await expect.poll(() => deliveriesOf(created.id), { timeout: 10_000, interval: 50 }).toBe(1);
    } finally {
      await loop.stop();
    }
    const after = await ok('GET', `/api/reports/schedules/${created.id}`);
    expect(new Date(after.nextRunAt).getTime()).toBeGreaterThan(Date.now());
  });
});
