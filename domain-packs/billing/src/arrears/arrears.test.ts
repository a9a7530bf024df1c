/**
 * Arrears on a running runtime (metering + billing installed): late-fee accrual worked by hand, idempotent
 * reruns, a partial payment, a closed finance period; waivers approved, rejected and failing at apply;
 * the arrears list and ageing buckets; dunning steps once each; the daily process; tenant isolation,
 * permissions and bad input for every route.
 *
 * Late-fee rule of the tests: 1‰ a day (1000 ppm), 5 grace days, cap 30 % (3000 bp), half up.
 *   A  100.00 元 due 2025-03-01: the fee starts on 03-07 (due + 5 + 1); 10 fen a day:
 *      03-07 → 10, 03-16 → 100; cap 30.00 元 = 3000 fen reached after 300 days (12-31 → 3000, 2026-01-31 → still 3000).
 *   B  123.45 元 due 2025-03-01: 12.345 fen a day, rounded on the whole span:
 *      1 day 12.345 → 12; 2 days 24.69 → 25; 3 days 37.035 → 37; 10 days 123.45 → 123;
 *      cap 3703.5 → 3703 (down); 300 days 3703.5 → 3704 → capped 3703.
 *   C  100.00 元 due 2025-03-01, 10 days accrued (100), then 50.00 元 paid: 20 more days accrue on 50.00 元:
 *      lateFeeDue(5000, 30 days) − lateFeeDue(5000, 10 days) = 150 − 50 = 100 → 200 in all (not 300).
 *   D  100.00 元 due 2025-03-01: 03-07 → 10 fen on one late-fee charge; that charge's finance period is then
 *      closed; 03-16 → the other 90 fen post as a new late-fee charge in the open period, which grows after.
 */
import metering from '@shuiyun/pack-metering';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lateFeeDue } from '../domain/index.js';
import billing from '../index.js';
import { accrualStep } from './accrue.js';
import { WAIVER_PROCESS } from './waivers.js';

const BASE = '/api/ext/billing';
/** PGlite by default; SHUIYUN_ARREARS_TEST_DRIVER=postgres runs the same on the PostgreSQL server (its roles, row-level security, real concurrency). */
const DRIVER = process.env.SHUIYUN_ARREARS_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite';
const RULE = { dailyRatePpm: 1000, graceDays: 5, capBp: 3000, rounding: 'half_up' as const };
const DUNNING = [
  { step: 1, daysOverdue: 1, channels: ['inapp'] },
  { step: 2, daysOverdue: 15, channels: ['inapp'] },
  { step: 3, daysOverdue: 30, channels: ['inapp'] },
];

describe('accrualStep (pure)', () => {
  it('telescopes to lateFeeDue on an unchanged principal, never shrinks and never passes the cap', () => {
    let accrued = 0n;
    let to: string | null = null;
    for (const day of ['2025-03-07', '2025-03-08', '2025-03-09', '2025-03-16', '2025-12-31', '2026-01-31']) {
      const step = accrualStep(RULE, { amountFen: 12_345n, outstandingFen: 12_345n, dueDate: '2025-03-01', accruedTo: to, accruedFen: accrued }, day);
      accrued = step.totalFen;
      to = day;
      expect(accrued).toBe(lateFeeDue(RULE, 12_345n, '2025-03-01', day));
    }
    expect(accrued).toBe(3703n);
    // Paid down to 0: nothing more, nothing less.
    expect(accrualStep(RULE, { amountFen: 12_345n, outstandingFen: 0n, dueDate: '2025-03-01', accruedTo: '2025-03-16', accruedFen: 123n }, '2025-04-16')).toEqual({ totalFen: 123n, incrementFen: 0n });
  });
});

describe('arrears: late fees, waivers, views, dunning', () => {
  let kit: PackTestKit;
  const acc: Record<string, { id: string; no: string }> = {};
  const bill: Record<string, string> = {};
  let seq = 0;

  const svc = (tenant: 'tenant' | 'other' = 'tenant') => kit.services('billing', { tenant });
  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = [], tenant: 'tenant' | 'other' = 'tenant') =>
    svc(tenant).transaction((tx) => tx.query<T>(sql, params as never[]));

  async function ok(method: string, path: string, body?: unknown, token?: string) {
    const res = await kit.request(method, path, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** An active account with its customer, inserted straight into the tables. */
  async function newAccount(name: string, community = '阳光小区', tenant: 'tenant' | 'other' = 'tenant') {
    const t = tenant === 'other' ? kit.otherTenant : kit.tenant;
    const no = `AR${process.pid}-${++seq}`;
    const [row] = await q<{ id: string }>(
      `with c as (insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone) values ($1, $2::ltree, 'person', $3, '13800001111') returning id)
       insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, community, tariff_code, status, opened_at)
       select $1, $2::ltree, $4, c.id, 'residential', $5, 'residential', 'active', now() from c returning id::text`,
      [t.id, t.path, `用户${name}`, no, community],
      tenant,
    );
    acc[name] = { id: row!.id, no };
    return row!.id;
  }

  async function newCharge(account: string, amountFen: number, dueDate: string, kind = 'bill', tenant: 'tenant' | 'other' = 'tenant') {
    const t = tenant === 'other' ? kit.otherTenant : kit.tenant;
    const [row] = await q<{ id: string }>(
      `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, amount_fen, due_date, finance_period)
       values ($1, $2::ltree, $3::bigint, $4, $5::bigint, $6::date, $7) returning id::text`,
      [t.id, t.path, account, kind, amountFen, dueDate, dueDate.slice(0, 7)],
      tenant,
    );
    return row!.id;
  }

  /** A payment set against one charge (the rows the payments part writes). */
  async function pay(account: string, chargeId: string, amountFen: number) {
    await svc().transaction(async (tx) => {
      const [p] = await tx.query<{ id: string }>(
        `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, finance_period) values ($1, $2::ltree, $3::bigint, 'cash', $4::bigint, to_char(now(), 'YYYY-MM')) returning id::text`,
        [kit.tenant.id, kit.tenant.path, account, amountFen],
      );
      await tx.query(
        `insert into pack_billing.allocations (tenant_id, tenant_path, payment_id, charge_id, amount_fen, finance_period) values ($1, $2::ltree, $3::bigint, $4::bigint, $5::bigint, to_char(now(), 'YYYY-MM'))`,
        [kit.tenant.id, kit.tenant.path, p!.id, chargeId, amountFen],
      );
      await tx.query(`update pack_billing.charges set paid_fen = paid_fen + $2::bigint where id = $1::bigint`, [chargeId, amountFen]);
    });
  }

  async function settings(values: { lateFee?: unknown; dunning?: unknown; valve?: unknown }, tenant: 'tenant' | 'other' = 'tenant') {
    const t = tenant === 'other' ? kit.otherTenant : kit.tenant;
    await q(
      `insert into pack_billing.settings (tenant_id, tenant_path, late_fee, dunning, valve) values ($1, $2::ltree, $3::jsonb, $4::jsonb, $5::jsonb)
       on conflict (tenant_id) do update set late_fee = excluded.late_fee, dunning = excluded.dunning, valve = excluded.valve`,
      [t.id, t.path, JSON.stringify(values.lateFee ?? {}), JSON.stringify(values.dunning ?? []), JSON.stringify(values.valve ?? {})],
      tenant,
    );
  }

  const feeCharges = (account: string) =>
    q<{ id: string; amount_fen: string; finance_period: string; due_date: string; waived_fen: string; paid_fen: string }>(
      `select id::text, amount_fen::text, finance_period, to_char(due_date, 'YYYY-MM-DD') as due_date, waived_fen::text, paid_fen::text
         from pack_billing.charges where account_id = $1::bigint and kind = 'late_fee' order by id`,
      [account],
    );
  const accrual = (billCharge: string) =>
    q<{ accrued_to: string; amount_fen: string; fee_charge_id: string }>(
      `select to_char(accrued_to, 'YYYY-MM-DD') as accrued_to, amount_fen::text, fee_charge_id::text from pack_billing.late_fee_accruals where bill_charge_id = $1::bigint`,
      [billCharge],
    ).then((r) => r[0]);
  const accrue = (asOf: string, token?: string) => ok('POST', `${BASE}/arrears/accrue`, { asOf }, token);

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering, billing], driver: DRIVER });
    await settings({ lateFee: RULE, dunning: DUNNING });
    for (const name of ['A', 'B', 'C', 'D']) await newAccount(name);
    bill.A = await newCharge(acc.A!.id, 10_000, '2025-03-01');
    bill.B = await newCharge(acc.B!.id, 12_345, '2025-03-01');
    bill.C = await newCharge(acc.C!.id, 10_000, '2025-03-01');
    bill.D = await newCharge(acc.D!.id, 10_000, '2025-03-01');
  }, 300_000);
  afterAll(() => kit?.close());

  it('accrues nothing during the grace period, then the fee per day worked by hand, on one growing late-fee charge', async () => {
    expect(await accrue('2025-03-06')).toMatchObject({ asOf: '2025-03-06', charges: 0, addedFen: '0' });
    expect(await feeCharges(acc.A!.id)).toEqual([]);

    expect(await accrue('2025-03-07')).toMatchObject({ charges: 4, increased: 4, addedFen: String(10 + 12 + 10 + 10), newFeeCharges: 4 });
    const [a1] = await feeCharges(acc.A!.id);
    expect(a1).toMatchObject({ amount_fen: '10', due_date: '2025-03-01' });
    expect((await feeCharges(acc.B!.id))[0]!.amount_fen).toBe('12');
    expect(await accrual(bill.A!)).toEqual({ accrued_to: '2025-03-07', amount_fen: '10', fee_charge_id: a1!.id });

    await accrue('2025-03-08');
    expect((await feeCharges(acc.B!.id)).map((c) => c.amount_fen)).toEqual(['25']);
    await accrue('2025-03-09');
    expect((await feeCharges(acc.B!.id)).map((c) => c.amount_fen)).toEqual(['37']);
    expect(await accrue('2025-03-16')).toMatchObject({ charges: 4, increased: 4, newFeeCharges: 0 });
    expect(await feeCharges(acc.A!.id)).toEqual([expect.objectContaining({ id: a1!.id, amount_fen: '100' })]);
    expect((await feeCharges(acc.B!.id)).map((c) => c.amount_fen)).toEqual(['123']);
  });

  it('adds nothing when run again for the same day, or for an earlier one', async () => {
    const before = await q(`select id, amount_fen::text from pack_billing.charges order by id`);
    expect(await accrue('2025-03-16')).toMatchObject({ charges: 0, increased: 0, addedFen: '0', newFeeCharges: 0 });
    expect(await accrue('2025-03-10')).toMatchObject({ charges: 0, addedFen: '0' });
    expect(await q(`select id, amount_fen::text from pack_billing.charges order by id`)).toEqual(before);
    expect((await accrual(bill.A!))!.accrued_to).toBe('2025-03-16');
  });

  it('accrues the later days on the smaller principal after a partial payment', async () => {
    await pay(acc.C!.id, bill.C!, 5_000);
    await accrue('2025-04-05');
    // C: 100 (10 days on 100.00 元) + lateFeeDue(5000, 30 days) − lateFeeDue(5000, 10 days) = 100 + 150 − 50.
    expect((await feeCharges(acc.C!.id)).map((c) => c.amount_fen)).toEqual(['200']);
    // A, unpaid: 30 days on 100.00 元.
    expect((await feeCharges(acc.A!.id)).map((c) => c.amount_fen)).toEqual(['300']);
  });

  it('posts the increment as a new late-fee charge in the open period once the fee charge’s period is closed', async () => {
    const [d1] = await feeCharges(acc.D!.id);
    expect(d1!.amount_fen).toBe('300');
    // Put D's fee charge in 2025-02, then close that period: its amount may not change any more.
    await q(`update pack_billing.charges set finance_period = '2025-02' where id = $1::bigint`, [d1!.id]);
    await q(`insert into pack_billing.finance_periods (tenant_id, tenant_path, period, status, closed_at) values ($1, $2::ltree, '2025-02', 'closed', now())`, [kit.tenant.id, kit.tenant.path]);
    const refused = await q(`update pack_billing.charges set amount_fen = amount_fen + 1 where id = $1::bigint`, [d1!.id]).then(
      () => null,
      (e: unknown) => e as Error & { cause?: unknown },
    );
    expect(String(refused?.cause ?? refused)).toMatch(/finance_period_closed/);

    expect(await accrue('2025-04-06')).toMatchObject({ newFeeCharges: 1 });
    const [closed, open] = await feeCharges(acc.D!.id);
    expect(closed).toMatchObject({ id: d1!.id, amount_fen: '300', finance_period: '2025-02' });
    expect(open).toMatchObject({ amount_fen: '10', due_date: '2025-03-01' });
    expect(open!.finance_period).not.toBe('2025-02');
    expect(await accrual(bill.D!)).toEqual({ accrued_to: '2025-04-06', amount_fen: '310', fee_charge_id: open!.id });
    await accrue('2025-04-07');
    expect((await feeCharges(acc.D!.id)).map((c) => c.amount_fen)).toEqual(['300', '20']);
  });

  it('stops at the cap (30 % of the bill): 3000 fen on 100.00 元, 3703 on 123.45 元 — two runs at once accrue once', async () => {
    const [r1, r2] = await Promise.all([accrue('2025-12-31'), accrue('2025-12-31')]);
    // The second waits for the first's account locks, then finds everything accrued to the day.
    expect([r1.charges, r2.charges].sort()).toEqual([0, 4]);
    expect((await feeCharges(acc.A!.id)).map((c) => c.amount_fen)).toEqual(['3000']);
    expect((await feeCharges(acc.B!.id)).map((c) => c.amount_fen)).toEqual(['3703']);
    await accrue('2026-01-31');
    expect((await feeCharges(acc.A!.id)).map((c) => c.amount_fen)).toEqual(['3000']);
    expect((await feeCharges(acc.B!.id)).map((c) => c.amount_fen)).toEqual(['3703']);
    expect(await accrual(bill.A!)).toMatchObject({ accrued_to: '2026-01-31', amount_fen: '3000' });
    // D: 300 + 2700 more across its two charges. C (50.00 元 left since 04-05): 200 + lateFeeDue(5000, 300 days)
    // − lateFeeDue(5000, 30 days) = 200 + (min(1500, cap 1500) − 150) = 1550; nothing more in January.
    expect((await feeCharges(acc.D!.id)).map((c) => c.amount_fen)).toEqual(['300', '2700']);
    expect((await feeCharges(acc.C!.id)).map((c) => c.amount_fen)).toEqual(['1550']);
  });

  it('waives part of a late fee once approved, and nothing when rejected', async () => {
    const [fee] = await feeCharges(acc.A!.id);
    const created = await kit.request('POST', `${BASE}/arrears/waivers`, { body: { chargeId: Number(fee!.id), amountFen: '1000', reason: '困难家庭' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ chargeId: Number(fee!.id), accountId: Number(acc.A!.id), amountFen: '1000', status: 'pending', reason: '困难家庭' });
    // Only 3000 − 1000 pending = 2000 can be asked for while the first waits (a double submit of the whole fee is refused).
    const twice = await kit.request('POST', `${BASE}/arrears/waivers`, { body: { chargeId: fee!.id, amountFen: 2_500, reason: '困难家庭' } });
    expect(twice.status).toBe(409);
    expect(twice.body.error.details[0].path).toBe('body.amountFen');

    const task = await kit.waitForTask({ processId: WAIVER_PROCESS, instanceId: Number(created.body.instance) }, { timeoutMs: 30_000 });
    expect(task.elementId).toBe('approval');
    expect(task.variables).toMatchObject({ amountYuan: '10.00', outstandingYuan: '30.00', accountNo: acc.A!.no });
    await kit.completeTask(task.id, { decision: 'approve', note: '同意' });
    await kit.waitForInstance(Number(created.body.instance), { timeoutMs: 30_000 });
    expect(await ok('GET', `${BASE}/arrears/waivers/${created.body.id}`)).toMatchObject({ status: 'approved', decisionNote: '同意', decidedAt: expect.any(String), decidedBy: expect.any(Number), requestedBy: expect.any(Number) });
    expect((await feeCharges(acc.A!.id))[0]).toMatchObject({ amount_fen: '3000', waived_fen: '1000' });

    const second = await ok('POST', `${BASE}/arrears/waivers`, { chargeId: fee!.id, amountFen: 500, reason: '再次申请' });
    const task2 = await kit.waitForTask({ processId: WAIVER_PROCESS, instanceId: Number(second.instance) }, { timeoutMs: 30_000 });
    await kit.completeTask(task2.id, { decision: 'reject', note: '不符合条件' });
    await kit.waitForInstance(Number(second.instance), { timeoutMs: 30_000 });
    expect(await ok('GET', `${BASE}/arrears/waivers/${second.id}`)).toMatchObject({ status: 'rejected', decisionNote: '不符合条件' });
    expect((await feeCharges(acc.A!.id))[0]!.waived_fen).toBe('1000');

    const list = await ok('GET', `${BASE}/arrears/waivers?chargeId=${fee!.id}`);
    expect(list).toMatchObject({ total: 2, page: 1 });
    expect(list.items.map((w: { status: string }) => w.status)).toEqual(['rejected', 'approved']);
    expect((await ok('GET', `${BASE}/arrears/waivers?status=approved&accountId=${acc.A!.id}`)).total).toBe(1);
  });

  it('marks an approved waiver failed when the fee was paid meanwhile, and waives nothing', async () => {
    const [fee] = await feeCharges(acc.B!.id);
    const w = await ok('POST', `${BASE}/arrears/waivers`, { chargeId: fee!.id, amountFen: 3_000, reason: '误差' });
    await pay(acc.B!.id, fee!.id, 1_000); // 2703 left
    const task = await kit.waitForTask({ processId: WAIVER_PROCESS, instanceId: Number(w.instance) }, { timeoutMs: 30_000 });
    await kit.completeTask(task.id, { decision: 'approve' });
    await kit.waitForInstance(Number(w.instance), { timeoutMs: 30_000 });
    const after = await ok('GET', `${BASE}/arrears/waivers/${w.id}`);
    expect(after).toMatchObject({ status: 'failed' });
    expect(after.failure).toMatch(/27\.03/);
    expect((await feeCharges(acc.B!.id))[0]!.waived_fen).toBe('0');
  });

  it('refuses waivers of what is not a late fee, more than is outstanding, unknown charges, and bad input', async () => {
    const [fee] = await feeCharges(acc.C!.id);
    const notFee = await kit.request('POST', `${BASE}/arrears/waivers`, { body: { chargeId: bill.C, amountFen: 1, reason: 'x' } });
    expect(notFee.status).toBe(400);
    expect(notFee.body.error.details[0].path).toBe('body.chargeId');
    const tooMuch = await kit.request('POST', `${BASE}/arrears/waivers`, { body: { chargeId: fee!.id, amountFen: 1_551, reason: 'x' } });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.details[0].path).toBe('body.amountFen');
    expect((await kit.request('POST', `${BASE}/arrears/waivers`, { body: { chargeId: 999_999_999, amountFen: 1, reason: 'x' } })).status).toBe(404);
    for (const body of [
      { chargeId: fee!.id, amountFen: 0, reason: 'x' },
      { chargeId: fee!.id, amountFen: 1.5, reason: 'x' },
      { chargeId: fee!.id, amountFen: '-3', reason: 'x' },
      { chargeId: fee!.id, amountFen: 1, reason: '  ' },
      { chargeId: 'abc', amountFen: 1, reason: 'x' },
      { chargeId: fee!.id, amountFen: 1 },
      { chargeId: fee!.id, amountFen: 1, reason: 'x', extra: true },
    ]) {
      expect((await kit.request('POST', `${BASE}/arrears/waivers`, { body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await ok('GET', `${BASE}/arrears/waivers?chargeId=${fee!.id}`)).total).toBe(0);
  });

  it('lists accounts in arrears and ages the arrears into buckets by days overdue', async () => {
    const AGE = '账龄小区';
    const asOf = '2025-12-31';
    const e = await newAccount('E', AGE);
    const f = await newAccount('F', AGE);
    // E: 30 days (bucket 0-30) and 31 days (31-90); F: 91 (91-180), 200 (181-365), 366 and 400 (>365), one not due yet.
    await newCharge(e, 1_000, '2025-12-01');
    await newCharge(e, 2_000, '2025-11-30');
    await newCharge(f, 3_000, '2025-10-01');
    await newCharge(f, 4_000, '2025-06-14');
    await newCharge(f, 5_000, '2024-12-30');
    await newCharge(f, 6_000, '2024-11-26');
    await newCharge(f, 7_000, '2025-12-31');
    const ageing = await ok('GET', `${BASE}/arrears/ageing?community=${encodeURIComponent(AGE)}&asOf=${asOf}`);
    expect(ageing).toEqual({
      asOf,
      buckets: [
        { bucket: '0-30', fromDays: 0, toDays: 30, amountFen: '1000', charges: 1, accounts: 1 },
        { bucket: '31-90', fromDays: 31, toDays: 90, amountFen: '2000', charges: 1, accounts: 1 },
        { bucket: '91-180', fromDays: 91, toDays: 180, amountFen: '3000', charges: 1, accounts: 1 },
        { bucket: '181-365', fromDays: 181, toDays: 365, amountFen: '4000', charges: 1, accounts: 1 },
        { bucket: '>365', fromDays: 366, toDays: null, amountFen: '11000', charges: 2, accounts: 1 },
      ],
      total: { amountFen: '21000', charges: 6, accounts: 2 },
      notDue: { amountFen: '7000', charges: 1 },
    });

    const list = await ok('GET', `${BASE}/arrears?community=${encodeURIComponent(AGE)}&asOf=${asOf}`);
    expect(list).toMatchObject({ asOf, total: 2, totalOutstandingFen: '21000', page: 1, pageSize: 20 });
    expect(list.items).toEqual([
      expect.objectContaining({ accountId: Number(f), accountNo: acc.F!.no, customerName: '用户F', oldestDueDate: '2024-11-26', daysOverdue: 400, charges: 4, outstandingFen: '18000', outstandingYuan: '180.00', lateFeeFen: '0', valveCase: null }),
      expect.objectContaining({ accountId: Number(e), oldestDueDate: '2025-11-30', daysOverdue: 31, charges: 2, outstandingFen: '3000', lateFeeFen: '0' }),
    ]);
    expect((await ok('GET', `${BASE}/arrears?community=${encodeURIComponent(AGE)}&asOf=${asOf}&minFen=5000`)).items.map((i: { accountId: number }) => i.accountId)).toEqual([Number(f)]);
    expect((await ok('GET', `${BASE}/arrears?community=${encodeURIComponent(AGE)}&asOf=${asOf}&minDays=100`)).total).toBe(1);
    const second = await ok('GET', `${BASE}/arrears?community=${encodeURIComponent(AGE)}&asOf=${asOf}&pageSize=1&page=2`);
    expect(second.items.map((i: { accountId: number }) => i.accountId)).toEqual([Number(e)]);
    expect(await ok('GET', `${BASE}/arrears?community=${encodeURIComponent(AGE)}&asOf=${asOf}&pageSize=1&page=5`)).toMatchObject({ items: [], total: 2, totalOutstandingFen: '21000' });
    // Late fees show on the accounts accruing them.
    const a = (await ok('GET', `${BASE}/arrears?asOf=2026-02-01&pageSize=200`)).items.find((i: { accountId: number }) => i.accountId === Number(acc.A!.id));
    expect(a).toMatchObject({ outstandingFen: String(10_000 + 3_000 - 1_000), lateFeeFen: '2000', oldestDueDate: '2025-03-01' });
  });

  it('sends each dunning step once per account and oldest charge; a higher step supersedes lower ones due with it', async () => {
    const g = await newAccount('G', '催费小区');
    const first = await newCharge(g, 8_800, '2025-06-01');
    const later = await newCharge(g, 1_200, '2025-06-20');
    const notices = () =>
      q<{ step: number; status: string; charge_id: string; notification_id: string | null; days_overdue: number }>(
        `select step, status, charge_id::text, notification_id::text, days_overdue from pack_billing.dunning_notices where account_id = $1::bigint order by charge_id, step`,
        [g],
      );
    const run = (asOf: string) => ok('POST', `${BASE}/arrears/dunning/run`, { asOf });

    const r1 = await run('2025-06-02');
    expect(r1.sent).toBeGreaterThanOrEqual(1);
    expect(await notices()).toEqual([expect.objectContaining({ step: 1, status: 'sent', charge_id: first, days_overdue: 1, notification_id: expect.any(String) })]);
    const [note] = await q<{ kind: string; channel: string; title: string; body: string; status: string }>(
      `select kind, channel, title, body, status from pack_billing.notifications where account_id = $1::bigint`,
      [g],
    );
    expect(note).toMatchObject({ kind: 'dunning', channel: 'inapp', status: 'sent', title: '欠费催缴通知（第1次）' });
    expect(note!.body).toContain('88.00');

    expect(await run('2025-06-02')).toMatchObject({ sent: 0, superseded: 0 });
    expect(await run('2025-06-10')).toMatchObject({ sent: 0 });
    await run('2025-06-16');
    await run('2025-06-16');
    expect((await notices()).map((n) => [n.step, n.status])).toEqual([[1, 'sent'], [2, 'sent']]);
    await run('2025-07-01');
    expect((await notices()).map((n) => [n.step, n.status])).toEqual([[1, 'sent'], [2, 'sent'], [3, 'sent']]);
    expect(await run('2025-07-01')).toMatchObject({ sent: 0, superseded: 0 });

    // A (oldest charge due 2025-03-01, 93 days overdue on its first run): step 3 sent, 1 and 2 superseded.
    const a = await q<{ step: number; status: string }>(`select step, status from pack_billing.dunning_notices where account_id = $1::bigint order by step`, [acc.A!.id]);
    expect(a).toEqual([{ step: 1, status: 'superseded' }, { step: 2, status: 'superseded' }, { step: 3, status: 'sent' }]);
    expect((await q(`select id from pack_billing.notifications where account_id = $1::bigint and kind = 'dunning'`, [acc.A!.id])).length).toBe(1);

    // The oldest charge paid: the next one starts its own steps (06-20 is 11 days before 07-01: step 1).
    await pay(g, first, 8_800);
    await run('2025-07-01');
    expect((await notices()).filter((n) => n.charge_id === later).map((n) => [n.step, n.status])).toEqual([[1, 'sent']]);
    expect((await q(`select id from pack_billing.notifications where account_id = $1::bigint`, [g])).length).toBe(4);
  });

  it('runs the daily process (late fees, then dunning) for a day, and schedules it every day', async () => {
    const started = await kit.request('POST', `${BASE}/arrears/daily-run`, { body: { asOf: '2026-02-01' } });
    expect(started.status).toBe(202);
    const vars = await kit.waitForInstance(Number(started.body.instance), { timeoutMs: 30_000 });
    expect(vars.accrual).toMatchObject({ asOf: '2026-02-01' });
    expect(vars.dunning).toMatchObject({ asOf: '2026-02-01' });
    expect((vars.accrual as { charges: number }).charges).toBeGreaterThan(0);
    const timers = await q<{ due_at: Date | string }>(
      `select t.due_at from workflow_timers t join workflow_definitions d on d.id = t.definition_id
        where d.tenant_id = $1 and d.process_id = 'billing_daily_arrears' and t.instance_id is null`,
      [kit.tenant.id],
    );
    expect(timers).toHaveLength(1);
    const due = new Date(timers[0]!.due_at);
    expect(due.getUTCHours()).toBe(18);
    expect(due.getTime()).toBeGreaterThan(Date.now());
    expect(due.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
  });

  it('keeps every route inside the tenant', async () => {
    const other = kit.otherTenant.token;
    const [fee] = await feeCharges(acc.A!.id);
    const [waiver] = await q<{ id: string }>(`select id::text from pack_billing.waivers order by id limit 1`);
    expect(await ok('GET', `${BASE}/arrears?asOf=2026-02-01`, undefined, other)).toMatchObject({ items: [], total: 0, totalOutstandingFen: '0' });
    const ageing = await ok('GET', `${BASE}/arrears/ageing?asOf=2026-02-01`, undefined, other);
    expect(ageing.total).toEqual({ amountFen: '0', charges: 0, accounts: 0 });
    expect(await ok('GET', `${BASE}/arrears/waivers`, undefined, other)).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', `${BASE}/arrears/waivers/${waiver!.id}`, { token: other })).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/arrears/waivers`, { token: other, body: { chargeId: fee!.id, amountFen: 1, reason: 'x' } })).status).toBe(404);
    // The other tenant's runs touch only its own arrears.
    await settings({ lateFee: RULE, dunning: DUNNING }, 'other');
    const theirs = await newAccount('X', '阳光小区', 'other');
    await newCharge(theirs, 10_000, '2025-03-01', 'bill', 'other');
    const before = await q(`select id, amount_fen::text from pack_billing.charges where tenant_id = $1 order by id`, [kit.tenant.id]);
    expect(await ok('POST', `${BASE}/arrears/accrue`, { asOf: '2026-03-01' }, other)).toMatchObject({ charges: 1, increased: 1, addedFen: '3000' });
    expect(await ok('POST', `${BASE}/arrears/dunning/run`, { asOf: '2026-03-01' }, other)).toMatchObject({ accounts: 1, sent: 1, superseded: 2 });
    expect(await q(`select id, amount_fen::text from pack_billing.charges where tenant_id = $1 order by id`, [kit.tenant.id])).toEqual(before);
    expect(await q(`select id from pack_billing.late_fee_accruals where bill_charge_id = any($1::bigint[])`, [[bill.A!]], 'other')).toEqual([]);
  });

  it('refuses bad input (400), callers without the permission (403) and without a token (401)', async () => {
    for (const [method, path, body] of [
      ['POST', `${BASE}/arrears/accrue`, { asOf: '2025-02-30' }],
      ['POST', `${BASE}/arrears/accrue`, { asOf: '2999-01-01' }],
      ['POST', `${BASE}/arrears/accrue`, { asOf: 20250101 }],
      ['POST', `${BASE}/arrears/dunning/run`, { asOf: 'yesterday' }],
      ['POST', `${BASE}/arrears/daily-run`, { asOf: '2999-01-01' }],
      ['GET', `${BASE}/arrears?minFen=abc`, undefined],
      ['GET', `${BASE}/arrears?minDays=-1`, undefined],
      ['GET', `${BASE}/arrears?pageSize=1000`, undefined],
      ['GET', `${BASE}/arrears/ageing?asOf=2025-13-01`, undefined],
      ['GET', `${BASE}/arrears/waivers?status=unknown`, undefined],
      ['GET', `${BASE}/arrears/waivers/abc`, undefined],
    ] as const) {
      const res = await kit.request(method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
    }
    const future = await kit.request('POST', `${BASE}/arrears/accrue`, { body: { asOf: '2999-01-01' } });
    expect(future.body.error.details[0]).toMatchObject({ path: 'body.asOf' });

    const viewer = await kit.createUser({ username: 'arrears-viewer', roles: ['viewer'] });
    const [fee] = await feeCharges(acc.A!.id);
    const attempts: [string, string, unknown][] = [
      ['GET', `${BASE}/arrears`, undefined],
      ['GET', `${BASE}/arrears/ageing`, undefined],
      ['POST', `${BASE}/arrears/accrue`, {}],
      ['POST', `${BASE}/arrears/dunning/run`, {}],
      ['POST', `${BASE}/arrears/daily-run`, {}],
      ['POST', `${BASE}/arrears/waivers`, { chargeId: fee!.id, amountFen: 1, reason: 'x' }],
      ['GET', `${BASE}/arrears/waivers`, undefined],
      ['GET', `${BASE}/arrears/waivers/1`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      const res = await kit.request(method, path, { token: viewer, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).toBe(403);
      const anonymous = await kit.request(method, path, { token: null, ...(body === undefined ? {} : { body }) });
      expect(anonymous.status, `${method} ${path} without a token`).toBe(401);
    }
  });
});
