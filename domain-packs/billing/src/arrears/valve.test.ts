/**
 * 欠费关阀 end to end on a running runtime (metering + billing installed) with simulated NB-IoT meters behind
 * CTWing: a CJ/T 188 product with transport http-push, devices in service, a CTWing push endpoint, and an
 * in-test HTTP server standing in for CTWing's open API (CreateCommand answers a command id). A meter's data
 * report (pushed as CTWing would) lets its queued command go out; a `commandResponse` push answers it.
 *
 * The acceptance case: an account with 150.00 元 of arrears, its household's remote meter wired to the device;
 * case opened → notice (in-app notification) → grace timer (PT1S) → approval completed → valve_close delivered
 * to the stand-in with the exact CJ/T 188 frame → acknowledged → case closed → the arrears paid and
 * `afterPayment` called → message → valve_open delivered and acknowledged → case reopened, process completed.
 * Then: refusals (no arrears, a second open case, no valve meter, unknown and foreign accounts), rejection at
 * approval, a meter that answers FAILED, a command that expires, a device the platform does not know, payment
 * within the grace period, the dunning run opening cases, tenant isolation, permissions and bad input.
 *
 * CJ/T 188 frames are written out by hand here (as the runtime's own tests do), so the test holds the platform
 * to the standard: 68 T A0..A6 C L DATA CS 16, the address's BCD pairs low byte first, CS = Σ bytes mod 256.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import metering from '@shuiyun/pack-metering';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { afterPayment } from './cleared.js';
import { VALVE_PROCESS } from './valve.js';

const BASE = '/api/ext/billing';
/** PGlite by default; SHUIYUN_ARREARS_TEST_DRIVER=postgres runs the same on the PostgreSQL server (its roles, row-level security, real concurrency). */
const DRIVER = process.env.SHUIYUN_ARREARS_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite';

/* ─── CJ/T 188 by hand ─────────────────────────────────────────────────────────────────────────────── */
const addressBytes = (address: string) => (address.match(/\d\d/g) ?? []).reverse().map((pair) => parseInt(pair, 16));
function frame(control: number, address: string, data: number[], preamble = 0): Buffer {
  const body = [0x68, 0x10, ...addressBytes(address), control, data.length, ...data];
  return Buffer.from([...Array<number>(preamble).fill(0xfe), ...body, body.reduce((sum, byte) => sum + byte, 0) % 256, 0x16]);
}
/** Valve control (C 0x04, DI 0xA017 low byte first, SER, 0x55 open / 0x99 close), after two 0xFE. */
const valveCommand = (address: string, serial: number, operation: 'open' | 'close') => frame(0x04, address, [0x17, 0xa0, serial, operation === 'open' ? 0x55 : 0x99], 2);
const bcd = (n: number) => ((Math.floor(n / 10) % 10) << 4) | n % 10;
/** A meter data reply (C 0x81, DI 0x901F): cumulative and settlement volume in 0.01 m³ (BCD, low first, unit 0x2C), local time, status. */
function meterReport(address: string, litres: number, at = new Date()): Buffer {
  const hundredths = Math.floor(litres / 10);
  const volume = [0, 1, 2, 3].map((i) => bcd(Math.floor(hundredths / 100 ** i) % 100));
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((x) => [x.type, Number(x.value)]),
  ) as Record<string, number>;
  const year = p.year!;
  const data = [0x1f, 0x90, 0x00, ...volume, 0x2c, ...volume, 0x2c, bcd(p.second!), bcd(p.minute!), bcd(p.hour!), bcd(p.day!), bcd(p.month!), bcd(year % 100), bcd(Math.floor(year / 100)), 0x00, 0x00];
  return frame(0x81, address, data);
}

/** CTWing's open API, stood in for: records every request; CreateCommand answers the next command id. */
class CtwingStandIn {
  readonly received: { url: string; body: string }[] = [];
  private next = 900;
  private server!: Server;
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ url: req.url!, body: Buffer.concat(chunks).toString('utf8') });
        const ok = req.url === '/ctwing/aep_device_command/command';
        res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { code: 0, msg: 'ok', result: { commandId: String(++this.next), commandStatus: '指令已保存' } } : {}));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  get url() {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  /** The CreateCommand bodies sent for a CTWing device id. */
  commandsFor(deviceId: string) {
    return this.received.filter((r) => r.url === '/ctwing/aep_device_command/command').map((r) => JSON.parse(r.body) as { deviceId: string; content: { dataType: number; payload: string } }).filter((b) => b.deviceId === deviceId);
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const thingModel = {
  properties: [{ identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 3, access: 'r' }],
  events: [],
  services: [
    { identifier: 'valve_open', name: { zh: '开阀', en: 'Open valve' } },
    { identifier: 'valve_close', name: { zh: '关阀', en: 'Close valve' } },
  ],
};

interface Meter {
  meterNumber: string;
  key: string;
  ctwingId: string;
  imei: string;
}

describe('arrears valve control (欠费关阀) with a simulated NB-IoT meter behind CTWing', () => {
  let kit: PackTestKit;
  let standIn: CtwingStandIn;
  let productId: number;
  let pushPath: string;
  let seq = 0;

  const svc = (tenant: 'tenant' | 'other' = 'tenant') => kit.services('billing', { tenant });
  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => svc().transaction((tx) => tx.query<T>(sql, params as never[]));

  async function ok(method: string, path: string, body?: unknown, token?: string) {
    const res = await kit.request(method, path, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function device(n: number): Promise<Meter> {
    const m = { meterNumber: `NB-V${n}`, key: `13000000000${String(900 + n).padStart(3, '0')}`, ctwingId: `c0ffee0000000000000000000000${String(9000 + n)}`, imei: `86900000000${String(9000 + n)}` };
    const created = await ok('POST', '/api/devices', { productId, meterNumber: m.meterNumber, deviceKey: m.key });
    for (const to of ['accepted', 'in_service']) await ok('POST', `/api/devices/${created.id}/transition`, { to });
    return m;
  }

  const push = (m: Meter, message: Record<string, unknown>) =>
    kit.request('POST', pushPath, { token: null, body: { deviceId: m.ctwingId, productId: '15000900', tenantId: '2000900', IMEI: m.imei, protocol: 'lwm2m', timestamp: Date.now(), ...message } });
  const report = async (m: Meter) => {
    const res = await push(m, { messageType: 'dataReport', upPacketSN: 1, upDataSN: 1, topic: 'v1/up/ad', payload: { APPdata: meterReport(m.key, 12_340).toString('base64') } });
    expect(res.status).toBe(200);
  };
  const answer = async (m: Meter, platformCommandId: string, resultCode: string, resultDetail = '') => {
    const res = await push(m, { messageType: 'commandResponse', taskId: Number(platformCommandId), result: { resultCode, resultDetail } });
    expect(res.body).toEqual({ messages: 1, outcomes: { command_response: 1 } });
  };

  /** A metering household with one meter (remote with `deviceCode`, or mechanical), and an active billing account paying for it. */
  async function account(options: { device?: string | null; community?: string; tenant?: 'tenant' | 'other' } = {}) {
    const n = ++seq;
    const which = options.tenant ?? 'tenant';
    const token = which === 'other' ? kit.otherTenant.token : undefined;
    const t = which === 'other' ? kit.otherTenant : kit.tenant;
    const household = await ok('POST', '/api/entities/metering_household/records', { data: { accountNo: `VH-${process.pid}-${n}`, name: `关阀用户${n}`, community: options.community ?? '阀控小区' } }, token);
    const meterNo = `VM-${process.pid}-${n}`;
    await ok(
      'POST',
      '/api/entities/metering_meter/records',
      {
        data: {
          meterNo,
          kind: options.device === null ? 'mechanical' : 'remote',
          household: household.id,
          ...(options.device ? { device: options.device } : {}),
          initialReadingL: 0,
          installedAt: '2024-01-01',
          status: 'in_service',
        },
      },
      token,
    );
    const [row] = await svc(which).transaction((tx) =>
      tx.query<{ id: string; account_no: string }>(
        `with c as (insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone) values ($1, $2::ltree, 'person', $3, '13900002222') returning id)
         insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, household_id, community, tariff_code, status, opened_at)
         select $1, $2::ltree, $4, c.id, 'residential', $5::bigint, $6, 'residential', 'active', now() from c returning id::text, account_no`,
        [t.id, t.path, `关阀用户${n}`, `VA-${process.pid}-${n}`, String(household.id), options.community ?? '阀控小区'],
      ),
    );
    return { id: row!.id, no: row!.account_no, meterNo };
  }

  async function charge(accountId: string, amountFen: number, dueDate: string) {
    const [row] = await q<{ id: string }>(
      `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, amount_fen, due_date, finance_period)
       values ($1, $2::ltree, $3::bigint, 'bill', $4::bigint, $5::date, $6) returning id::text`,
      [kit.tenant.id, kit.tenant.path, accountId, amountFen, dueDate, dueDate.slice(0, 7)],
    );
    return row!.id;
  }

  /** Books a cash payment of everything the account owes (payment, allocations, paid_fen), then calls afterPayment — as the payments part does. */
  async function payAll(accountId: string, hook = true) {
    await svc().transaction(async (tx) => {
      await tx.query(`select id from pack_billing.accounts where id = $1::bigint for update`, [accountId]);
      const open = await tx.query<{ id: string; left: string }>(
        `select id::text, (amount_fen - paid_fen - waived_fen)::text as left from pack_billing.charges where account_id = $1::bigint and paid_fen + waived_fen < amount_fen order by due_date, id`,
        [accountId],
      );
      const total = open.reduce((s, c) => s + BigInt(c.left), 0n);
      const [p] = await tx.query<{ id: string }>(
        `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, finance_period) values ($1, $2::ltree, $3::bigint, 'cash', $4::bigint, to_char(now(), 'YYYY-MM')) returning id::text`,
        [kit.tenant.id, kit.tenant.path, accountId, total],
      );
      await tx.query(
        `insert into pack_billing.allocations (tenant_id, tenant_path, payment_id, charge_id, amount_fen, finance_period)
         select $1, $2::ltree, $3::bigint, u.id, u.amount, to_char(now(), 'YYYY-MM') from unnest($4::bigint[], $5::bigint[]) as u(id, amount)`,
        [kit.tenant.id, kit.tenant.path, p!.id, open.map((c) => c.id), open.map((c) => c.left)],
      );
      await tx.query(`update pack_billing.charges set paid_fen = amount_fen - waived_fen where id = any($1::bigint[])`, [open.map((c) => c.id)]);
      if (hook) await afterPayment(tx, svc().tenant, accountId);
    });
  }

  async function valveSettings(values: Record<string, unknown> = {}) {
    await q(
      `insert into pack_billing.settings (tenant_id, tenant_path, valve) values ($1, $2::ltree, $3::jsonb)
       on conflict (tenant_id) do update set valve = excluded.valve`,
      [kit.tenant.id, kit.tenant.path, JSON.stringify({ enabled: false, graceDuration: 'PT1S', pollInterval: 'PT1S', recheckInterval: 'PT1H', commandExpiresInSeconds: 600, ...values })],
    );
  }

  const caseOf = (id: number) => ok('GET', `${BASE}/arrears/valve-cases/${id}`);
  const caseIn = (id: number, status: string, timeoutMs = 30_000) =>
    kit.until(
      async () => {
        const c = await caseOf(id);
        if (c.status === status) return c;
        if (['failed', 'cancelled', 'rejected', 'reopened'].includes(c.status) && c.status !== status) throw new Error(`case ${id} ended ${c.status} (${c.failure}), not ${status}`);
        return undefined;
      },
      { timeoutMs, what: `valve case ${id} ${status}` },
    );
  const approve = async (instance: string, decision: 'approve' | 'reject', note?: string) => {
    const task = await kit.waitForTask({ processId: VALVE_PROCESS, elementId: 'approval', instanceId: Number(instance) }, { timeoutMs: 30_000 });
    await kit.completeTask(task.id, { decision, ...(note ? { note } : {}) });
    return task;
  };
  /** Waits until the instance waits at the event-based gateway: subscribed to billing.arrears-cleared for the account. */
  const waitingForPayment = (instance: string, accountId: string) =>
    kit.until(
      async () => {
        const inst = await ok('GET', `/api/workflow/instances/${instance}`);
        return inst.waitingOn.messageSubscriptions.some((s: { messageName: string; correlationKey: string }) => s.messageName === 'billing.arrears-cleared' && s.correlationKey === accountId);
      },
      { what: 'the message subscription', timeoutMs: 30_000 },
    );
  /** The platform's view of a command (serial, platform command id), as the administrator sees it. */
  const platformCommand = (id: number) => ok('GET', `/api/device-commands/${id}`);

  beforeAll(async () => {
    standIn = await new CtwingStandIn().start();
    kit = await startPackTestKit({ packs: [metering, billing], driver: DRIVER, env: { CTWING_API_URL: `${standIn.url}/ctwing` } });
    const product = await ok('POST', '/api/products', { code: 'NB-VALVE', name: 'NB-IoT 阀控水表', kind: 'nb-iot-meter', transport: 'http-push', codec: 'cjt188', thingModel });
    productId = product.id;
    const endpoint = await ok('POST', '/api/push-endpoints', { platform: 'ctwing', name: 'CTWing', platformApi: { appKey: 'k-900', appSecret: 's-900', masterKey: 'm-900' } });
    pushPath = endpoint.pushPath;
    await valveSettings();
  }, 300_000);
  afterAll(async () => {
    await kit?.close();
    await standIn?.stop();
  });

  it('closes the valve of an account in arrears after notice, grace and approval, and reopens it once the arrears are paid (acceptance)', async () => {
    const meter = await device(1);
    const a = await account({ device: meter.meterNumber });
    await charge(a.id, 10_000, '2025-01-10');
    await charge(a.id, 5_000, '2025-02-10');

    const created = await kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: Number(a.id) } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ accountId: Number(a.id), accountNo: a.no, status: 'opened', origin: 'manual', arrearsFen: '15000', graceDuration: 'PT1S', instance: expect.any(String) });
    const id = created.body.id as number;
    const instance = created.body.instance as string;

    // Notice: an in-app notification with the arrears and the grace period; then the grace timer; then the approval.
    const task = await approve(instance, 'approve', '欠费已逾期，同意关阀');
    expect(task.variables).toMatchObject({ accountNo: a.no, arrearsYuan: '150.00', oldestDueDate: '2025-01-10', meterNos: a.meterNo, inArrears: true });
    const [notice] = await q<{ kind: string; channel: string; status: string; title: string; body: string; body_en: string }>(
      `select kind, channel, status, title, body, body_en from pack_billing.notifications where account_id = $1::bigint`,
      [a.id],
    );
    expect(notice).toMatchObject({ kind: 'valve_notice', channel: 'inapp', status: 'sent', title: '欠费停水（关阀）预告' });
    expect(notice!.body).toContain('150.00 元');
    expect(notice!.body).toContain('1秒');
    expect(notice!.body_en).toContain('1 second');

    // The close command waits for the meter: NB-IoT meters are reachable only after they report.
    const closing = await kit.until(async () => {
      const c = await caseOf(id);
      return c.commands.length === 1 ? c : undefined;
    }, { what: 'the close command', timeoutMs: 30_000 });
    expect(closing).toMatchObject({ status: 'closing', decisionNote: '欠费已逾期，同意关阀', decidedAt: expect.any(String) });
    expect(closing.decidedBy).toEqual(expect.any(Number));
    expect(closing.commands[0]).toMatchObject({ action: 'close', device: meter.meterNumber, meterNo: a.meterNo, status: 'queued', delivery: { status: 'queued' } });
    expect(standIn.commandsFor(meter.ctwingId)).toEqual([]);

    await report(meter);
    const [sent] = await kit.until(async () => {
      const bodies = standIn.commandsFor(meter.ctwingId);
      return bodies.length === 1 ? bodies : undefined;
    }, { what: 'valve_close at CTWing', timeoutMs: 30_000 });
    const close = await platformCommand(closing.commands[0].commandId);
    expect(close).toMatchObject({ service: 'valve_close', status: 'sent' });
    expect(sent!.content).toEqual({ dataType: 2, payload: valveCommand(meter.key, close.serial, 'close').toString('hex').toUpperCase() });
    // FE FE 68 10 A0..A6 04 04 17 A0 SER 99 CS 16 — the CJ/T 188 valve-close frame, address 13000000000901 low byte first.
    expect(sent!.content.payload).toMatch(new RegExp(`^FEFE6810010900000000130404${'17A0'}${close.serial.toString(16).padStart(2, '0').toUpperCase()}99[0-9A-F]{2}16$`));

    await answer(meter, close.platformCommandId, 'COMPLETED');
    const closed = await caseIn(id, 'closed');
    expect(closed.closedAt).toEqual(expect.any(String));
    expect(closed.commands[0]).toMatchObject({ status: 'acknowledged', failureReason: null, delivery: { status: 'acknowledged' } });

    // Closed: the process waits for the payment's message (and re-checks every recheckInterval, PT1H here).
    await waitingForPayment(instance, a.id);
    expect(await ok('POST', `${BASE}/arrears/valve-cases/${id}/recheck`, {})).toMatchObject({ status: 'closed', cleared: false, published: false, arrearsFen: '15000' });

    await payAll(a.id);
    const [reopen] = await kit.until(async () => {
      const bodies = standIn.commandsFor(meter.ctwingId);
      return bodies.length === 2 ? bodies.slice(1) : undefined;
    }, { what: 'valve_open at CTWing', timeoutMs: 30_000 });
    const reopening = await caseOf(id);
    expect(reopening.clearedAt).toEqual(expect.any(String));
    const openCommand = reopening.commands.find((c: { action: string }) => c.action === 'open');
    const open = await platformCommand(openCommand.commandId);
    expect(open).toMatchObject({ service: 'valve_open' });
    expect(reopen!.content.payload).toBe(valveCommand(meter.key, open.serial, 'open').toString('hex').toUpperCase());
    await answer(meter, open.platformCommandId, 'COMPLETED');

    await kit.waitForInstance(Number(instance), { timeoutMs: 30_000 });
    const done = await caseOf(id);
    expect(done).toMatchObject({ status: 'reopened', failure: null, reopenedAt: expect.any(String) });
    expect(done.commands.map((c: { action: string; status: string }) => [c.action, c.status])).toEqual([
      ['close', 'acknowledged'],
      ['open', 'acknowledged'],
    ]);
    const history = await ok('GET', `/api/workflow/instances/${instance}/history`);
    const visited = history.items.map((h: { elementId: string }) => h.elementId);
    expect(visited).toContain('arrears_cleared');
    expect(visited).toContain('reopened');
    // Done: a re-check now is refused, and a new case may be opened later.
    expect((await kit.request('POST', `${BASE}/arrears/valve-cases/${id}/recheck`, { body: {} })).status).toBe(409);
  }, 180_000);

  /** Opens a case for the account, approves it, lets the meter report and acknowledges the close: answers the closed case. */
  async function closeValve(meter: Meter, accountId: string) {
    const created = await ok('POST', `${BASE}/arrears/valve-cases`, { accountId });
    await approve(created.instance, 'approve');
    await kit.until(async () => ((await caseOf(created.id)).commands.length === 1 ? true : undefined), { what: 'the close command', timeoutMs: 30_000 });
    await report(meter);
    await kit.until(async () => (standIn.commandsFor(meter.ctwingId).length === 1 ? true : undefined), { what: 'valve_close at CTWing', timeoutMs: 30_000 });
    const command = await platformCommand((await caseOf(created.id)).commands[0].commandId);
    await answer(meter, command.platformCommandId, 'COMPLETED');
    await caseIn(created.id, 'closed');
    await waitingForPayment(created.instance, accountId);
    return { id: created.id as number, instance: created.instance as string };
  }

  const reopenConfirmed = async (meter: Meter, c: { id: number; instance: string }) => {
    const task = await kit.waitForTask({ processId: VALVE_PROCESS, elementId: 'confirm_reopen', instanceId: Number(c.instance) }, { timeoutMs: 30_000 });
    expect(standIn.commandsFor(meter.ctwingId)).toHaveLength(1); // nothing opens before the confirmation
    await kit.completeTask(task.id, { reopenNote: '已缴清' });
    await kit.until(async () => (standIn.commandsFor(meter.ctwingId).length === 2 ? true : undefined), { what: 'valve_open at CTWing', timeoutMs: 30_000 });
    const open = (await caseOf(c.id)).commands.find((x: { action: string }) => x.action === 'open');
    await answer(meter, (await platformCommand(open.commandId)).platformCommandId, 'COMPLETED');
    await kit.waitForInstance(Number(c.instance), { timeoutMs: 30_000 });
    expect(await caseOf(c.id)).toMatchObject({ status: 'reopened' });
    return (await ok('GET', `/api/workflow/instances/${c.instance}/history`)).items.map((h: { elementId: string }) => h.elementId) as string[];
  };

  it('reopens by hand: the re-check route publishes the message, and an approver confirms the reopening (reopenOnPayment off)', async () => {
    await valveSettings({ reopenOnPayment: false });
    const meter = await device(2);
    const a = await account({ device: meter.meterNumber });
    await charge(a.id, 7_700, '2025-04-01');
    const c = await closeValve(meter, a.id);
    await payAll(a.id, false); // a payment whose booking did not call afterPayment
    expect((await caseOf(c.id)).status).toBe('closed');
    expect(await ok('POST', `${BASE}/arrears/valve-cases/${c.id}/recheck`, {})).toMatchObject({ status: 'closed', cleared: true, published: true, arrearsFen: '0' });
    const visited = await reopenConfirmed(meter, c);
    expect(visited).toContain('arrears_cleared');
    expect(visited).toContain('confirm_reopen');
    await valveSettings();
  }, 180_000);

  it('reopens when the periodic re-check finds the arrears paid, without any message', async () => {
    await valveSettings({ reopenOnPayment: false, recheckInterval: 'PT2S' });
    const meter = await device(3);
    const a = await account({ device: meter.meterNumber });
    await charge(a.id, 7_700, '2025-04-01');
    const c = await closeValve(meter, a.id);
    await payAll(a.id, false);
    const visited = await reopenConfirmed(meter, c);
    expect(visited).toContain('recheck_paid');
    expect(visited).not.toContain('arrears_cleared');
    await valveSettings();
  }, 180_000);

  it('refuses a case without arrears, a second open case, an account without a valve meter, unknown and foreign accounts (409/404)', async () => {
    const paid = await account({ device: 'NB-V2' });
    await charge(paid.id, 3_000, '2999-01-01'); // not due: no arrears
    const none = await kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: paid.id }, locale: 'en' });
    expect(none.status).toBe(409);
    expect(none.body.error.details[0]).toMatchObject({ path: 'body.accountId', message: expect.stringMatching(/no arrears/) });

    const mechanical = await account({ device: null });
    await charge(mechanical.id, 3_000, '2025-01-01');
    const noMeter = await kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: mechanical.id }, locale: 'zh-CN' });
    expect(noMeter.status).toBe(409);
    expect(noMeter.body.error.details[0].message).toMatch(/远程关阀/);

    await valveSettings({ graceDuration: 'PT1H' });
    const b = await account({ device: 'NB-V2' });
    await charge(b.id, 3_000, '2025-01-01');
    const [first, second] = await Promise.all([
      kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: b.id } }),
      kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: b.id } }),
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    const third = await kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: b.id }, locale: 'en' });
    expect(third.status).toBe(409);
    expect(third.body.error.details[0].message).toMatch(/already has an open valve case/);
    expect((await ok('GET', `${BASE}/arrears/valve-cases?accountId=${b.id}`)).total).toBe(1);

    expect((await kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: 999_999_999 } })).status).toBe(404);
    const foreign = await account({ device: 'NB-X1', tenant: 'other' });
    expect((await kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: foreign.id } })).status).toBe(404);
    await valveSettings();
  }, 120_000);

  it('ends the case at approval when the approver rejects it: no valve command', async () => {
    const a = await account({ device: 'NB-V3' });
    await charge(a.id, 8_000, '2025-03-01');
    const created = await ok('POST', `${BASE}/arrears/valve-cases`, { accountId: a.id });
    await approve(created.instance, 'reject', '用户已承诺月底缴清');
    await kit.waitForInstance(Number(created.instance), { timeoutMs: 30_000 });
    const done = await caseOf(created.id);
    expect(done).toMatchObject({ status: 'rejected', decisionNote: '用户已承诺月底缴清', commands: [] });
    expect(await q(`select id from pack_billing.valve_commands where case_id = $1::bigint`, [created.id])).toEqual([]);
    // A rejected case is over: the account may have a new one.
    const again = await kit.request('POST', `${BASE}/arrears/valve-cases`, { body: { accountId: a.id } });
    expect(again.status).toBe(201);
  }, 120_000);

  it('fails the case, with the meter’s reason, when the meter answers FAILED', async () => {
    const meter = await device(4);
    const a = await account({ device: meter.meterNumber });
    await charge(a.id, 8_000, '2025-03-01');
    const created = await ok('POST', `${BASE}/arrears/valve-cases`, { accountId: a.id });
    await approve(created.instance, 'approve');
    await kit.until(async () => ((await caseOf(created.id)).commands.length === 1 ? true : undefined), { what: 'the close command', timeoutMs: 30_000 });
    await report(meter);
    await kit.until(async () => (standIn.commandsFor(meter.ctwingId).length === 1 ? true : undefined), { what: 'valve_close at CTWing', timeoutMs: 30_000 });
    const closing = await caseOf(created.id);
    const command = await platformCommand(closing.commands[0].commandId);
    await answer(meter, command.platformCommandId, 'FAILED', 'valve motor stalled');
    await kit.waitForInstance(Number(created.instance), { timeoutMs: 30_000 });
    const failed = await caseOf(created.id);
    expect(failed).toMatchObject({ status: 'failed', commands: [expect.objectContaining({ action: 'close', status: 'failed', failureReason: expect.stringMatching(/valve motor stalled/) })] });
    expect(failed.failure).toMatch(/valve_close was not carried out/);
    expect(failed.failure).toMatch(/valve motor stalled/);
    const history = await ok('GET', `/api/workflow/instances/${created.instance}/history`);
    expect(history.items.map((h: { elementId: string }) => h.elementId)).toContain('close_failed_end');
  }, 120_000);

  it('fails the case when the command expires before the meter wakes up', async () => {
    await valveSettings({ commandExpiresInSeconds: 2 });
    const meter = await device(5);
    const a = await account({ device: meter.meterNumber });
    await charge(a.id, 8_000, '2025-03-01');
    const created = await ok('POST', `${BASE}/arrears/valve-cases`, { accountId: a.id });
    await approve(created.instance, 'approve');
    // The meter never reports: the platform's sweep (every 15 s) expires the command after its 2 s.
    await kit.waitForInstance(Number(created.instance), { timeoutMs: 45_000 });
    const failed = await caseOf(created.id);
    expect(failed).toMatchObject({ status: 'failed', commands: [expect.objectContaining({ action: 'close', status: 'expired' })] });
    expect(failed.failure).toMatch(/expired/);
    expect(standIn.commandsFor(meter.ctwingId)).toEqual([]);
    await valveSettings();
  }, 180_000);

  it('records the platform’s refusal of a device it does not know as a failed valve command, and fails the case', async () => {
    const a = await account({ device: 'GHOST-6' });
    await charge(a.id, 8_000, '2025-03-01');
    const created = await ok('POST', `${BASE}/arrears/valve-cases`, { accountId: a.id });
    await approve(created.instance, 'approve');
    await kit.waitForInstance(Number(created.instance), { timeoutMs: 30_000 });
    const failed = await caseOf(created.id);
    expect(failed.status).toBe('failed');
    expect(failed.commands).toEqual([expect.objectContaining({ action: 'close', device: 'GHOST-6', commandId: null, status: 'failed', failureReason: expect.stringMatching(/GHOST-6/) })]);
    expect(failed.failure).toMatch(/could not be sent/);
  }, 120_000);

  it('cancels the case when the arrears are paid within the grace period', async () => {
    await valveSettings({ graceDuration: 'PT3S' });
    const a = await account({ device: 'NB-V7' });
    await charge(a.id, 6_600, '2025-03-01');
    const created = await ok('POST', `${BASE}/arrears/valve-cases`, { accountId: a.id });
    await payAll(a.id);
    await kit.waitForInstance(Number(created.instance), { timeoutMs: 30_000 });
    expect(await caseOf(created.id)).toMatchObject({ status: 'cancelled', arrearsFen: '0', commands: [], decidedAt: null });
    await valveSettings();
  }, 120_000);

  it('keeps the valve routes inside the tenant, with permissions and checked input', async () => {
    const other = kit.otherTenant.token;
    const [any] = await q<{ id: string; account_id: string }>(`select id::text, account_id::text from pack_billing.valve_cases order by id limit 1`);
    expect(await ok('GET', `${BASE}/arrears/valve-cases`, undefined, other)).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', `${BASE}/arrears/valve-cases/${any!.id}`, { token: other })).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/arrears/valve-cases/${any!.id}/recheck`, { token: other, body: {} })).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/arrears/valve-cases`, { token: other, body: { accountId: any!.account_id } })).status).toBe(404);

    const list = await ok('GET', `${BASE}/arrears/valve-cases?status=failed&pageSize=2`);
    expect(list.total).toBe(3); // FAILED, expired, unknown device
    expect(list.items).toHaveLength(2);
    expect(list.items.every((c: { status: string }) => c.status === 'failed')).toBe(true);

    for (const [method, path, body] of [
      ['POST', `${BASE}/arrears/valve-cases`, { accountId: 'abc' }],
      ['POST', `${BASE}/arrears/valve-cases`, {}],
      ['POST', `${BASE}/arrears/valve-cases`, { accountId: 1, graceDuration: 'PT1S' }],
      ['GET', `${BASE}/arrears/valve-cases?status=closedd`, undefined],
      ['GET', `${BASE}/arrears/valve-cases/0`, undefined],
      ['POST', `${BASE}/arrears/valve-cases/x/recheck`, {}],
    ] as const) {
      expect((await kit.request(method, path, body === undefined ? {} : { body })).status, `${method} ${path}`).toBe(400);
    }
    expect((await kit.request('GET', `${BASE}/arrears/valve-cases/999999999`)).status).toBe(404);

    const viewer = await kit.createUser({ username: 'valve-viewer', roles: ['viewer'] });
    for (const [method, path, body] of [
      ['POST', `${BASE}/arrears/valve-cases`, { accountId: any!.account_id }],
      ['GET', `${BASE}/arrears/valve-cases`, undefined],
      ['GET', `${BASE}/arrears/valve-cases/${any!.id}`, undefined],
      ['POST', `${BASE}/arrears/valve-cases/${any!.id}/recheck`, {}],
    ] as const) {
      expect((await kit.request(method, path, { token: viewer, ...(body === undefined ? {} : { body }) })).status, `${method} ${path}`).toBe(403);
      expect((await kit.request(method, path, { token: null, ...(body === undefined ? {} : { body }) })).status, `${method} ${path}`).toBe(401);
    }
  });

  it('lets the dunning run open cases for accounts past the valve settings’ days and amount', async () => {
    await valveSettings({ enabled: true, afterDays: 30, minArrearsFen: '5000', graceDuration: 'PT1H' });
    const due = '2025-06-01';
    const big = await account({ device: 'NB-V8', community: '催费关阀小区' });
    await charge(big.id, 9_000, due);
    const small = await account({ device: 'NB-V9', community: '催费关阀小区' });
    await charge(small.id, 4_999, due);
    const early = await account({ device: 'NB-V10', community: '催费关阀小区' });
    await charge(early.id, 9_000, '2025-06-20');
    const result = await ok('POST', `${BASE}/arrears/dunning/run`, { asOf: '2025-07-01' });
    expect(result.valveCases).toBeGreaterThanOrEqual(1);
    const cases = async (accountId: string) => (await ok('GET', `${BASE}/arrears/valve-cases?accountId=${accountId}`)).items;
    expect(await cases(big.id)).toEqual([expect.objectContaining({ origin: 'dunning', arrearsFen: '9000', graceDuration: 'PT1H' })]);
    expect(await cases(small.id)).toEqual([]);
    expect(await cases(early.id)).toEqual([]);
    // Run again: the open case stands, no second one.
    await ok('POST', `${BASE}/arrears/dunning/run`, { asOf: '2025-07-01' });
    expect(await cases(big.id)).toHaveLength(1);
    await valveSettings();
  }, 120_000);
});
