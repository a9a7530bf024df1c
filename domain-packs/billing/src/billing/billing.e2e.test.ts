/**
 * Billing end to end on a running runtime with metering and billing installed: metering closes a period →
 * `metering.period-closed` → the billing run → bills, lines, charges and notices, with amounts worked by
 * hand on Beijing's residential tariff (composite 5 / 7 / 9 元/m³ over 0–180 / 180–260 / >260 m³ a calendar
 * year; components 水费 2.07 / 4.07 / 6.07 + 水资源 1.57 + 污水 1.36; from the 6th person every bound +30 m³
 * per person). Tenant zone Asia/Shanghai; metering's seeded plan settles calendar months.
 *
 * Accounts (each one household, one meter installed 2024-01-01 at 0 L unless told):
 *   A  3 persons. Jan 150 m³: all tier 1 → 水费 150 × 2.07 = 310.50, 水资源 150 × 1.57 = 235.50,
 *      污水 150 × 1.36 = 204.00 → 750.00 元. Feb 50 m³ after 150: tier 1 30 m³ + tier 2 20 m³ →
 *      水费 30 × 2.07 = 62.10 and 20 × 4.07 = 81.40, 水资源 50 × 1.57 = 78.50, 污水 50 × 1.36 = 68.00 → 290.00 元.
 *   B  Jan 0 m³: a bill of 0.00 元, no lines, no charge.
 *   C  100.00 元 prepaid before the run. Jan 10 m³ = 50.00 元, deducted at issue: paid, 50.00 元 credit left.
 *   D  7 persons: bounds 180 + 60 = 240 and 260 + 60 = 320 m³. Jan 250 m³: 240 × 5 + 10 × 7 = 1 270.00 元
 *      (水费 240 × 2.07 = 496.80 and 10 × 4.07 = 40.70, 水资源 250 × 1.57 = 392.50, 污水 250 × 1.36 = 340.00).
 *   E  tariff with a new version from 2026-01-17 (水费 3.07 / 5.07 / 7.07: composite 6 / 8 / 10). Jan 31 m³
 *      over 31 days: version 1 for 16 days = 31 000 × 16 ÷ 31 = 16 000 L, version 2 the other 15 000 L →
 *      16 × 5 + 15 × 6 = 80.00 + 90.00 = 170.00 元.
 *   F  closed: no bill.
 *   G  meter installed 2026-02-10: nothing settled in January (skipped); Feb 20 m³ = 100.00 元.
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import metering from '@shuiyun/pack-metering';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { BEIJING_RESIDENTIAL, closeMeteringPeriod, createBillableAccounts, ensureTariff, waitForRun, type BillableAccount } from '../testing/fixtures.js';
import { onPeriodClosed } from './runs.js';

const BASE = '/api/ext/billing';

const NEW_PRICES = {
  ...BEIJING_RESIDENTIAL,
  components: [{ ...BEIJING_RESIDENTIAL.components[0], prices: ['30700', '50700', '70700'] }, BEIJING_RESIDENTIAL.components[1], BEIJING_RESIDENTIAL.components[2]],
};

describe('billing end to end: metering close → run → bills', () => {
  let kit: PackTestKit;
  const acc: Record<string, BillableAccount> = {};

  async function ok(method: string, path: string, body?: unknown) {
    const res = await kit.request(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  const billOf = async (name: string, period: string) => {
    const list = await ok('GET', `${BASE}/bills?accountId=${acc[name]!.accountId}&period=${period}`);
    return list.items[0] as Record<string, unknown> & { id: number } | undefined;
  };

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering, billing] });
    await ensureTariff(kit, { code: 'bj-test' });
    await ensureTariff(kit, { code: 'bj-change' });
    await kit.services('billing').transaction((tx) =>
      tx.query(
        `insert into pack_billing.tariffs (tenant_id, tenant_path, code, version, name, effective_from, definition) values ($1, $2::ltree, 'bj-change', 2, '调价', '2026-01-17', $3::jsonb)`,
        [kit.tenant.id, kit.tenant.path, JSON.stringify(NEW_PRICES)],
      ),
    );
    const make = async (name: string, options: Partial<Parameters<typeof createBillableAccounts>[1]> = {}) => {
      acc[name] = (await createBillableAccounts(kit, { count: 1, tariffCode: 'bj-test', ...options }))[0]!;
    };
    await make('A');
    await make('B');
    await make('C');
    await make('D', { householdSize: 7 });
    await make('E', { tariffCode: 'bj-change' });
    await make('F');
    await make('G', { installedAt: '2026-02-10' });
    await kit.services('billing').transaction(async (tx) => {
      await tx.query(`update pack_billing.accounts set status = 'closed', closed_at = now() where id = $1::bigint`, [acc.F!.accountId]);
      await tx.query(
        `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, finance_period, paid_at) values ($1, $2::ltree, $3::bigint, 'cash', 10000, '2026-01', '2026-01-05T02:00:00Z')`,
        [kit.tenant.id, kit.tenant.path, acc.C!.accountId],
      );
    });
    // The other tenant has an account too, and a meter read in January: nothing of it is ours to bill.
    const [theirs] = await createBillableAccounts(kit, { count: 1, tenant: 'other' });
    acc.OTHER = theirs!;
  });
  afterAll(() => kit?.close());

  it('bills January when metering closes it: hand-checked amounts, tiers by household size, a price change, zero, prepaid, closed, skipped', async () => {
    const litres: Record<string, bigint> = { A: 150_000n, B: 0n, C: 10_000n, D: 250_000n, E: 31_000n, F: 5_000n };
    await closeMeteringPeriod(kit, { period: '2026-01', volumes: new Map(Object.entries(litres).map(([name, l]) => [acc[name]!.meterIds[0]!, l])) });
    const run = await waitForRun(kit, '2026-01');
    expect(run).toMatchObject({ status: 'done', progress: { done: 6, total: 6 }, bills: 5, skipped: 1, failed: 0, amountFen: String(75_000 + 0 + 5_000 + 127_000 + 17_000) });

    const a = (await billOf('A', '2026-01'))!;
    expect(a).toMatchObject({ volumeL: '150000', cumulativeBeforeL: '0', amountFen: '75000', paidFen: '0', outstandingFen: '75000', status: 'unpaid', tariffCode: 'bj-test', financePeriod: expect.stringMatching(/^2026-/) });
    const aFull = await ok('GET', `${BASE}/bills/${a.id}`);
    expect(aFull.lines).toEqual([
      { component: 'water', componentName: { 'zh-CN': '水费', en: 'Water supply' }, tier: 1, tariffVersion: 1, volumeL: '150000', chargedL: '150000', priceUnits: '20700', amountFen: '31050' },
      { component: 'resource', componentName: { 'zh-CN': '水资源税', en: 'Water resource tax' }, tier: 1, tariffVersion: 1, volumeL: '150000', chargedL: '150000', priceUnits: '15700', amountFen: '23550' },
      { component: 'sewage', componentName: { 'zh-CN': '污水处理费', en: 'Sewage treatment' }, tier: 1, tariffVersion: 1, volumeL: '150000', chargedL: '150000', priceUnits: '13600', amountFen: '20400' },
    ]);
    expect(aFull.meters).toEqual([expect.objectContaining({ meterId: acc.A!.meterIds[0], volumeL: '150000', startL: '0', endL: '150000', source: 'hand', adjustmentL: '0' })]);
    expect(aFull.periodStart).toBe('2025-12-31T16:00:00.000Z');
    expect(aFull.periodEnd).toBe('2026-01-31T16:00:00.000Z');

    const b = (await billOf('B', '2026-01'))!;
    expect(b).toMatchObject({ volumeL: '0', amountFen: '0', outstandingFen: '0', status: 'paid' });
    expect((await ok('GET', `${BASE}/bills/${b.id}`)).lines).toEqual([]);

    const c = (await billOf('C', '2026-01'))!;
    expect(c).toMatchObject({ volumeL: '10000', amountFen: '5000', paidFen: '5000', outstandingFen: '0', status: 'paid' });

    const d = (await billOf('D', '2026-01'))!;
    expect(d).toMatchObject({ volumeL: '250000', amountFen: '127000' });
    const dLines = (await ok('GET', `${BASE}/bills/${d.id}`)).lines as { component: string; tier: number; volumeL: string; amountFen: string }[];
    expect(dLines.map((x) => [x.component, x.tier, x.volumeL, x.amountFen])).toEqual([
      ['water', 1, '240000', '49680'],
      ['water', 2, '10000', '4070'],
      ['resource', 1, '250000', '39250'],
      ['sewage', 1, '250000', '34000'],
    ]);

    const e = (await billOf('E', '2026-01'))!;
    expect(e).toMatchObject({ volumeL: '31000', amountFen: '17000', tariffCode: 'bj-change' });
    const eLines = (await ok('GET', `${BASE}/bills/${e.id}`)).lines as { component: string; tariffVersion: number; volumeL: string; priceUnits: string; amountFen: string }[];
    expect(eLines.map((x) => [x.tariffVersion, x.component, x.volumeL, x.priceUnits, x.amountFen])).toEqual([
      [1, 'water', '16000', '20700', '3312'],
      [1, 'resource', '16000', '15700', '2512'],
      [1, 'sewage', '16000', '13600', '2176'],
      [2, 'water', '15000', '30700', '4605'],
      [2, 'resource', '15000', '15700', '2355'],
      [2, 'sewage', '15000', '13600', '2040'],
    ]);

    expect(await billOf('F', '2026-01')).toBeUndefined();
    expect(await billOf('G', '2026-01')).toBeUndefined();

    // Charges: one per bill with money owed, due 30 days after issue; none for the 0 bill.
    const charges = await kit.services('billing').transaction((tx) =>
      tx.query<{ account_id: string; amount_fen: string; paid_fen: string; due: number }>(
        `select c.account_id::text, c.amount_fen::text, c.paid_fen::text, (c.due_date - (b.issued_at at time zone 'Asia/Shanghai')::date)::int as due
           from pack_billing.charges c join pack_billing.bills b on b.id = c.bill_id where c.kind = 'bill' order by c.account_id`,
      ),
    );
    expect(charges.map((x) => [x.account_id, x.amount_fen, x.paid_fen, x.due])).toEqual(
      [
        [acc.A!.accountId, '75000', '0', 30],
        [acc.C!.accountId, '5000', '5000', 30],
        [acc.D!.accountId, '127000', '0', 30],
        [acc.E!.accountId, '17000', '0', 30],
      ].sort((x, y) => Number(x[0]) - Number(y[0])),
    );
    // The bill notice, in-app, once per bill.
    const notices = await ok('GET', `${BASE}/notifications?accountId=${acc.A!.accountId}`);
    expect(notices.items).toEqual([expect.objectContaining({ kind: 'bill', channel: 'inapp', status: 'sent', dedupeKey: `bill:${a.id}`, readAt: null })]);
    expect(notices.items[0].body['zh-CN']).toContain('750.00 元');
    expect(notices.items[0].body.en).toContain('150 m³');

    // The other tenant's account was not billed, and they have no run.
    const theirs = await kit.request('GET', `${BASE}/runs`, { token: kit.otherTenant.token });
    expect(theirs.body).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', `${BASE}/bills?pageSize=200`, { token: kit.otherTenant.token })).body.total).toBe(0);
  });

  it('counts the accounting year: February continues the tiers from January', async () => {
    const litres: Record<string, bigint> = { A: 50_000n, B: 0n, C: 0n, D: 0n, E: 0n, F: 0n, G: 20_000n };
    await closeMeteringPeriod(kit, { period: '2026-02', volumes: new Map(Object.entries(litres).map(([name, l]) => [acc[name]!.meterIds[0]!, l])) });
    const run = await waitForRun(kit, '2026-02');
    expect(run).toMatchObject({ bills: 6, skipped: 0, amountFen: String(29_000 + 10_000) });
    const a = (await billOf('A', '2026-02'))!;
    expect(a).toMatchObject({ volumeL: '50000', cumulativeBeforeL: '150000', amountFen: '29000' });
    const lines = (await ok('GET', `${BASE}/bills/${a.id}`)).lines as { component: string; tier: number; volumeL: string; amountFen: string }[];
    expect(lines.map((x) => [x.component, x.tier, x.volumeL, x.amountFen])).toEqual([
      ['water', 1, '30000', '6210'],
      ['water', 2, '20000', '8140'],
      ['resource', 1, '50000', '7850'],
      ['sewage', 1, '50000', '6800'],
    ]);
    expect(await billOf('G', '2026-02')).toMatchObject({ volumeL: '20000', cumulativeBeforeL: '0', amountFen: '10000' });
    // Lists: newest first, filters, paging.
    const runs = await ok('GET', `${BASE}/runs`);
    expect(runs.items.map((r: { period: string }) => r.period)).toEqual(['2026-02', '2026-01']);
    const bills = await ok('GET', `${BASE}/bills?accountId=${acc.A!.accountId}`);
    expect(bills.items.map((x: { period: string }) => x.period)).toEqual(['2026-02', '2026-01']);
    const paged = await ok('GET', `${BASE}/bills?period=2026-01&pageSize=2&page=2`);
    expect(paged).toMatchObject({ total: 5, page: 2, pageSize: 2 });
    expect(paged.items).toHaveLength(2);
    const paid = await ok('GET', `${BASE}/bills?period=2026-01&status=paid`);
    expect(paid.items.map((x: { accountId: number }) => String(x.accountId)).sort()).toEqual([acc.B!.accountId, acc.C!.accountId].sort());
    expect((await ok('GET', `${BASE}/bills?period=2026-01&status=unpaid`)).total).toBe(3);
  });

  it('is idempotent: the event delivered again starts nothing, and POST /runs twice at once makes one set of bills', async () => {
    const [jan] = (await ok('GET', `${BASE}/runs?period=2026-01`)).items;
    await onPeriodClosed(
      { tenantId: kit.tenant.id, period: '2026-01', scope: '*', startsAt: '2025-12-31T16:00:00.000Z', endsAt: '2026-01-31T16:00:00.000Z', meters: 6, totalVolumeL: '446000' },
      kit.services('billing'),
    );
    const again = await ok('GET', `${BASE}/runs/${jan.id}`);
    expect(again).toMatchObject({ status: 'done', instance: jan.instance, bills: 5 });
    expect((await ok('GET', `${BASE}/runs`)).total).toBe(2);

    // March: settled by metering, then closed without the event (as if it were lost): billed by hand.
    const march = new Map(['A', 'B', 'C', 'D', 'E', 'G'].map((name) => [acc[name]!.meterIds[0]!, name === 'A' ? 1_000n : 0n]));
    const notClosed = await kit.request('POST', `${BASE}/runs`, { body: { period: '2026-03' } });
    expect(notClosed.status).toBe(404);
    await kit.services('metering').transaction(async (tx) => {
      await tx.query(
        `insert into pack_metering.readings (tenant_id, tenant_path, meter_id, read_at, value_l, source, status)
         select $1, $2::ltree, m.id, '2026-03-31T04:00:00Z', coalesce((select s.end_l from pack_metering.settlements s where s.meter_id = m.id and s.period = '2026-02'), 0) + x.v, 'hand', 'valid'
           from unnest($3::bigint[], $4::bigint[]) as x(id, v) join entity_records m on m.id = x.id`,
        [kit.tenant.id, kit.tenant.path, [...march.keys()], [...march.values()]],
      );
    });
    expect((await kit.request('POST', '/api/ext/metering/periods/2026-03/settle', { body: {} })).status).toBe(202);
    await kit.until(async () => (await ok('GET', '/api/ext/metering/periods/2026-03')).status === 'settled', { what: 'March settled' });
    const settledOnly = await kit.request('POST', `${BASE}/runs`, { body: { period: '2026-03' }, locale: 'en' });
    expect(settledOnly.status).toBe(409);
    expect(settledOnly.body.error.details[0].message).toContain('not closed');
    await kit.services('metering').transaction((tx) => tx.query(`update pack_metering.periods set status = 'closed', closed_at = now() where period = '2026-03'`));

    const [first, second] = await Promise.all([kit.request('POST', `${BASE}/runs`, { body: { period: '2026-03' } }), kit.request('POST', `${BASE}/runs`, { body: { period: '2026-03', scope: '*' } })]);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(first.body.id).toBe(second.body.id);
    expect(first.body.instance).toBe(second.body.instance);
    const run = await waitForRun(kit, '2026-03');
    expect(run).toMatchObject({ bills: 6, amountFen: '700' }); // A: 1 m³ after 200 m³ this year, tier 2 = 7.00 元
    // Done: asking again answers the run, starts nothing.
    const third = await kit.request('POST', `${BASE}/runs`, { body: { period: '2026-03' } });
    expect(third.status).toBe(202);
    expect(third.body).toMatchObject({ id: first.body.id, status: 'done', instance: first.body.instance });
    const counts = await kit.services('billing').transaction((tx) =>
      tx.query<{ period: string; n: number; accounts: number }>(`select period, count(*)::int as n, count(distinct account_id)::int as accounts from pack_billing.bills group by period order by period`),
    );
    expect(counts).toEqual([
      { period: '2026-01', n: 5, accounts: 5 },
      { period: '2026-02', n: 6, accounts: 6 },
      { period: '2026-03', n: 6, accounts: 6 },
    ]);
    const instances = await kit.services('billing').transaction((tx) => tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.runs`));
    expect(instances[0]!.n).toBe(3);
  });

  it('announces each finished run once (billing.run-finished)', async () => {
    const events = await kit.services('billing').transaction((tx) =>
      tx.query<{ payload: Record<string, unknown> }>(`select payload from pack_events where name = 'billing.run-finished' order by id`),
    );
    const runs = (await ok('GET', `${BASE}/runs`)).items as { id: number; period: string }[];
    expect(events.map((e) => e.payload)).toEqual(
      ['2026-01', '2026-02', '2026-03'].map((period) =>
        expect.objectContaining({ tenantId: kit.tenant.id, runId: runs.find((r) => r.period === period)!.id, period, scope: '*', failed: 0 }),
      ),
    );
    expect(events[0]!.payload).toMatchObject({ bills: 5, skipped: 1, amountFen: '224000' });
  });

  it('lists accounts it cannot price, bills them when asked again, and restarts a failed run without billing twice', async () => {
    // H pays on a tariff that does not exist yet.
    acc.H = (await createBillableAccounts(kit, { count: 1, tariffCode: 'bj-later' }))[0]!;
    const april = new Map(['A', 'B', 'C', 'D', 'E', 'G', 'H'].map((name) => [acc[name]!.meterIds[0]!, name === 'H' ? 10_000n : 0n]));
    await closeMeteringPeriod(kit, { period: '2026-04', volumes: april });
    const run = await kit.until(async () => {
      const [r] = (await ok('GET', `${BASE}/runs?period=2026-04`)).items;
      return r?.status === 'done' ? r : undefined;
    });
    expect(run).toMatchObject({ bills: 6, failed: 1, failures: [{ accountId: Number(acc.H!.accountId), accountNo: acc.H!.accountNo, reason: "no tariff 'bj-later'" }] });
    expect(run.error).toContain('1 account(s) not billed');
    expect(await billOf('H', '2026-04')).toBeUndefined();

    await ensureTariff(kit, { code: 'bj-later' });
    const again = await kit.request('POST', `${BASE}/runs`, { body: { period: '2026-04' } });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: run.id, status: 'running', failed: 0 });
    expect(again.body.instance).not.toBe(run.instance);
    const rerun = await waitForRun(kit, '2026-04');
    expect(rerun).toMatchObject({ bills: 7, failed: 0, error: null, progress: { done: 7, total: 7 } });
    expect(await billOf('H', '2026-04')).toMatchObject({ volumeL: '10000', amountFen: '5000' });

    // A run that failed (a technical error) restarts where it stopped; here, from the start: nothing is billed twice.
    await kit.services('billing').transaction((tx) => tx.query(`update pack_billing.runs set status = 'failed', error = 'connection lost', cursor_account_id = 0, done = 0 where id = $1::bigint`, [run.id]));
    const restarted = await kit.request('POST', `${BASE}/runs`, { body: { period: '2026-04' } });
    expect(restarted.body).toMatchObject({ status: 'running', error: null });
    expect(await waitForRun(kit, '2026-04')).toMatchObject({ bills: 7, progress: { done: 7, total: 7 } });
    const april4 = await kit.services('billing').transaction((tx) =>
      tx.query<{ n: number; accounts: number }>(`select count(*)::int as n, count(distinct account_id)::int as accounts from pack_billing.bills where period = '2026-04'`),
    );
    expect(april4[0]).toEqual({ n: 7, accounts: 7 });
  });

  it('bills May from a reading of every meter (the fixture’s volume function); the rest of C’s prepayment pays its bill', async () => {
    await closeMeteringPeriod(kit, { period: '2026-05', volumes: () => 1_000n });
    const run = await waitForRun(kit, '2026-05');
    // 1 m³ each: A (201 m³ this year) and D (bounds 240/320, 251 m³) in tier 2 at 7.00; E on the new prices at 6.00;
    // B, C, G, H in tier 1 at 5.00. F is closed.
    expect(run).toMatchObject({ bills: 7, skipped: 0, amountFen: String(700 + 500 + 500 + 700 + 600 + 500 + 500) });
    expect(await billOf('C', '2026-05')).toMatchObject({ amountFen: '500', paidFen: '500', status: 'paid' });
    expect(await billOf('F', '2026-05')).toBeUndefined();
  });

  it('bills a community with a settlement plan of its own in its own run, and leaves it out of the tenant-wide one', async () => {
    await ok('POST', '/api/entities/metering_plan/records', { data: { name: '河畔小区结算计划', dayOfMonth: 1, community: '河畔小区' } });
    acc.I = (await createBillableAccounts(kit, { count: 1, tariffCode: 'bj-test', community: '河畔小区' }))[0]!;
    await closeMeteringPeriod(kit, { period: '2026-06', volumes: () => 2_000n });
    const wide = await waitForRun(kit, '2026-06');
    expect(wide).toMatchObject({ scope: '*', bills: 7, progress: { done: 7, total: 7 } });
    expect(await billOf('I', '2026-06')).toBeUndefined();
    await closeMeteringPeriod(kit, { period: '2026-06', scope: '河畔小区', volumes: new Map() });
    const own = await waitForRun(kit, '2026-06', { scope: '河畔小区' });
    expect(own).toMatchObject({ scope: '河畔小区', bills: 1, progress: { done: 1, total: 1 }, amountFen: '1000' });
    expect(await billOf('I', '2026-06')).toMatchObject({ volumeL: '2000', amountFen: '1000' });
    const runs = await ok('GET', `${BASE}/runs?period=2026-06`);
    expect(runs.items.map((r: { scope: string }) => r.scope)).toEqual(['*', '河畔小区']);
  });

  it('adjusts with approval: a debit becomes a charge, a credit a credit note set against what is owed; rejection posts nothing', async () => {
    const a = (await billOf('A', '2026-01'))!;
    const debit = await kit.request('POST', `${BASE}/adjustments`, { body: { accountId: Number(acc.A!.accountId), billId: a.id, direction: 'debit', amountFen: '1234', reason: '表计误差补收' } });
    expect(debit.status).toBe(201);
    expect(debit.body).toMatchObject({ status: 'pending', direction: 'debit', amountFen: '1234', billId: a.id, chargeId: null });
    const task = await kit.waitForTask({ processId: 'billing_adjustment', instanceId: Number(debit.body.instance) });
    expect(task.variables).toMatchObject({ accountNo: acc.A!.accountNo, amountYuan: '12.34' });
    await kit.completeTask(task.id, { decision: 'approve', decisionNote: '同意' });
    await kit.waitForInstance(Number(debit.body.instance));
    const [applied] = (await ok('GET', `${BASE}/adjustments?accountId=${acc.A!.accountId}`)).items;
    expect(applied).toMatchObject({ id: debit.body.id, status: 'approved', decisionNote: '同意', chargeId: expect.any(Number), paymentId: null });
    const [charge] = await kit.services('billing').transaction((tx) =>
      tx.query<{ kind: string; amount_fen: string; bill_id: string }>(`select kind, amount_fen::text, bill_id::text from pack_billing.charges where id = $1::bigint`, [applied.chargeId]),
    );
    expect(charge).toEqual({ kind: 'adjustment', amount_fen: '1234', bill_id: String(a.id) });

    // Credit 800.00 元 on A: owes 750.00 (Jan) + 290.00 (Feb) + 7.00 (Mar) + 12.34; the note pays the oldest first.
    const credit = await kit.request('POST', `${BASE}/adjustments`, { body: { accountId: Number(acc.A!.accountId), direction: 'credit', amountFen: 80_000, reason: '水价政策退费' } });
    expect(credit.status).toBe(201);
    const task2 = await kit.waitForTask({ processId: 'billing_adjustment', instanceId: Number(credit.body.instance) });
    await kit.completeTask(task2.id, { decision: 'approve' });
    const vars = await kit.waitForInstance(Number(credit.body.instance));
    expect(vars).toMatchObject({ adjustmentStatus: 'approved', creditAppliedFen: '80000' });
    expect(await billOf('A', '2026-01')).toMatchObject({ paidFen: '75000', outstandingFen: '0', status: 'paid' });
    expect(await billOf('A', '2026-02')).toMatchObject({ paidFen: '5000', outstandingFen: '24000', status: 'partial' });
    const payment = await kit.services('billing').transaction((tx) =>
      tx.query<{ channel: string; amount_fen: string; external_ref: string }>(`select channel, amount_fen::text, external_ref from pack_billing.payments where account_id = $1::bigint`, [acc.A!.accountId]),
    );
    expect(payment).toEqual([{ channel: 'credit_note', amount_fen: '80000', external_ref: `adjustment:${credit.body.id}` }]);

    // Applying again (a redelivered job) posts nothing twice.
    const { applyAdjustment } = await import('./adjustments.js');
    const services = kit.services('billing');
    const repeat = await services.transaction((tx) => applyAdjustment(tx, services, { adjustmentId: String(credit.body.id), decision: 'approve' }));
    const [creditRow] = (await ok('GET', `${BASE}/adjustments?accountId=${acc.A!.accountId}&direction=credit`)).items;
    expect(creditRow).toMatchObject({ status: 'approved', paymentId: expect.any(Number), chargeId: null });
    expect(repeat).toEqual({ adjustmentStatus: 'approved', chargeId: null, paymentId: creditRow.paymentId, creditAppliedFen: '0' });
    const after = await services.transaction((tx) => tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.payments where account_id = $1::bigint`, [acc.A!.accountId]));
    expect(after[0]!.n).toBe(1);

    // Rejected: nothing posted.
    const rejected = await kit.request('POST', `${BASE}/adjustments`, { body: { accountId: Number(acc.B!.accountId), direction: 'debit', amountFen: 500, reason: '重复申请' } });
    const task3 = await kit.waitForTask({ processId: 'billing_adjustment', instanceId: Number(rejected.body.instance) });
    await kit.completeTask(task3.id, { decision: 'reject', decisionNote: '无依据' });
    await kit.waitForInstance(Number(rejected.body.instance));
    expect((await ok('GET', `${BASE}/adjustments?accountId=${acc.B!.accountId}`)).items[0]).toMatchObject({ status: 'rejected', chargeId: null, paymentId: null, decisionNote: '无依据' });
    const bCharges = await services.transaction((tx) => tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.charges where account_id = $1::bigint and kind = 'adjustment'`, [acc.B!.accountId]));
    expect(bCharges[0]!.n).toBe(0);
    // The approvals are listed, newest first, with paging.
    const list = await ok('GET', `${BASE}/adjustments?pageSize=2`);
    expect(list).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(list.items.map((x: { id: number }) => x.id)).toEqual([rejected.body.id, credit.body.id]);
    expect((await ok('GET', `${BASE}/adjustments?status=approved`)).total).toBe(2);
  });

  it('marks a notification read once; the other tenant cannot', async () => {
    const [notice] = (await ok('GET', `${BASE}/notifications?accountId=${acc.A!.accountId}&kind=bill&pageSize=1`)).items;
    const theirs = await kit.request('POST', `${BASE}/notifications/${notice.id}/read`, { token: kit.otherTenant.token, body: {} });
    expect(theirs.status).toBe(404);
    const read = await ok('POST', `${BASE}/notifications/${notice.id}/read`, {});
    expect(read.readAt).toEqual(expect.any(String));
    const again = await ok('POST', `${BASE}/notifications/${notice.id}/read`, {});
    expect(again.readAt).toBe(read.readAt);
    const unread = await ok('GET', `${BASE}/notifications?accountId=${acc.A!.accountId}&unread=true`);
    expect(unread.items.map((x: { id: number }) => x.id)).not.toContain(notice.id);
  });

  it('keeps tenants apart and refuses without permission or token', async () => {
    const [run] = (await ok('GET', `${BASE}/runs?period=2026-01`)).items;
    const bill = (await billOf('A', '2026-01'))!;
    const other = { token: kit.otherTenant.token };
    expect((await kit.request('GET', `${BASE}/runs/${run.id}`, other)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/bills/${bill.id}`, other)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/bills?accountId=${acc.A!.accountId}`, other)).body).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', `${BASE}/adjustments`, other)).body).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', `${BASE}/notifications?accountId=${acc.A!.accountId}`, other)).body).toMatchObject({ items: [], total: 0 });
    const theirAdjust = await kit.request('POST', `${BASE}/adjustments`, { ...other, body: { accountId: Number(acc.A!.accountId), direction: 'debit', amountFen: 1, reason: 'x' } });
    expect(theirAdjust.status).toBe(404);
    const theirBill = await kit.request('POST', `${BASE}/adjustments`, { ...other, body: { accountId: Number(acc.OTHER!.accountId), billId: bill.id, direction: 'debit', amountFen: 1, reason: 'x' } });
    expect(theirBill.status).toBe(404);
    // Their metering period 2026-01 does not exist: 404.
    expect((await kit.request('POST', `${BASE}/runs`, { ...other, body: { period: '2026-01' } })).status).toBe(404);

    const viewer = await kit.createUser({ username: 'billing-viewer', roles: ['viewer'] });
    const attempts: [string, string, unknown][] = [
      ['GET', `${BASE}/runs`, undefined],
      ['GET', `${BASE}/runs/${run.id}`, undefined],
      ['POST', `${BASE}/runs`, { period: '2026-01' }],
      ['GET', `${BASE}/bills`, undefined],
      ['GET', `${BASE}/bills/${bill.id}`, undefined],
      ['GET', `${BASE}/adjustments`, undefined],
      ['POST', `${BASE}/adjustments`, { accountId: Number(acc.A!.accountId), direction: 'debit', amountFen: 1, reason: 'x' }],
      ['GET', `${BASE}/notifications`, undefined],
      ['POST', `${BASE}/notifications/1/read`, {}],
    ];
    for (const [method, path, body] of attempts) {
      const res = await kit.request(method, path, { token: viewer, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).toBe(403);
      const anonymous = await kit.request(method, path, { token: null, ...(body === undefined ? {} : { body }) });
      expect(anonymous.status, `${method} ${path} without a token`).toBe(401);
    }
  });

  it('refuses bad input with 400', async () => {
    const bad: [string, string, unknown][] = [
      ['GET', `${BASE}/runs?period=2026-13`, undefined],
      ['GET', `${BASE}/runs?pageSize=500`, undefined],
      ['GET', `${BASE}/runs/abc`, undefined],
      ['POST', `${BASE}/runs`, { period: '26-01' }],
      ['POST', `${BASE}/runs`, {}],
      ['GET', `${BASE}/bills?status=late`, undefined],
      ['GET', `${BASE}/bills?accountId=-1`, undefined],
      ['GET', `${BASE}/bills/0`, undefined],
      ['POST', `${BASE}/adjustments`, { accountId: Number(acc.A!.accountId), direction: 'debit', amountFen: 0, reason: 'x' }],
      ['POST', `${BASE}/adjustments`, { accountId: Number(acc.A!.accountId), direction: 'debit', amountFen: 1.5, reason: 'x' }],
      ['POST', `${BASE}/adjustments`, { accountId: Number(acc.A!.accountId), direction: 'debit', amountFen: '12.34', reason: 'x' }],
      ['POST', `${BASE}/adjustments`, { accountId: Number(acc.A!.accountId), direction: 'sideways', amountFen: 1, reason: 'x' }],
      ['POST', `${BASE}/adjustments`, { accountId: Number(acc.A!.accountId), direction: 'debit', amountFen: 1, reason: '  ' }],
      ['GET', `${BASE}/notifications?channel=fax`, undefined],
      ['POST', `${BASE}/notifications/x/read`, {}],
    ];
    for (const [method, path, body] of bad) {
      const res = await kit.request(method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.error.details.length, `${method} ${path}`).toBeGreaterThan(0);
    }
    // A bill of another account: 400, saying so in both languages.
    const b = (await billOf('B', '2026-01'))!;
    const zh = await kit.request('POST', `${BASE}/adjustments`, { body: { accountId: Number(acc.A!.accountId), billId: b.id, direction: 'credit', amountFen: 1, reason: 'x' }, locale: 'zh-CN' });
    expect(zh.status).toBe(400);
    expect(zh.body.error.details[0]).toMatchObject({ path: 'body.billId', message: expect.stringContaining('不属于') });
    const en = await kit.request('POST', `${BASE}/adjustments`, { body: { accountId: Number(acc.A!.accountId), billId: b.id, direction: 'credit', amountFen: 1, reason: 'x' }, locale: 'en' });
    expect(en.body.error.details[0].message).toContain('is not a bill of account');
  });
});
