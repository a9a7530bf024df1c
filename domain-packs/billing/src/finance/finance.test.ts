/**
 * Finance on the kit: receipts (list, read, void with reason, series), daily reconciliation with a
 * discrepancy and its confirmation, the daily cash report, finance periods (close in order, totals) and
 * the closed-period guard — postings refused, corrections landing in the open period — with tenant
 * isolation and permissions on every route. The period test closes the current month, so it runs last.
 */
import metering from '@shuiyun/pack-metering';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { nextPeriod } from '../domain/index.js';
import { REVERSAL_PROCESS } from '../payments/reversal.js';
import { addCharge, currentPeriod, makeAccounts, requestKey, today } from '../payments/testing/money.js';
import { financePeriodFor } from './periods.js';

const BASE = '/api/ext/billing';

describe('finance: receipts, reconciliation, periods', () => {
  let kit: PackTestKit;
  let reader: string;

  async function ok(method: string, path: string, body?: unknown) {
    const res = await kit.request(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  const pay = (accountId: string, amountFen: number, channel = 'cash') => ok('POST', `${BASE}/payments`, { accountId, channel, amountFen, requestKey: requestKey() });
  /** Runs SQL as the tenant; answers the error message when it fails. */
  const failureOf = async (sql: string, params: (string | number)[]) => {
    try {
      await kit.services('billing').transaction((tx) => tx.query(sql, params));
      return null;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      return `${(error as Error).message} ${cause instanceof Error ? cause.message : ''}`;
    }
  };

  beforeAll(async () => {
    // PGlite by default; SHUIYUN_BILLING_TEST_DRIVER=postgres runs the same on the PostgreSQL server (real concurrency).
    kit = await startPackTestKit({ packs: [metering, billing], driver: process.env.SHUIYUN_BILLING_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
    reader = await kit.createUser({ username: 'fin-meter-reader', roles: ['metering-reader'] });
  }, 300_000);
  afterAll(() => kit?.close());

  it('lists, reads and voids receipts; a voided one cannot be voided again; series are created once', async () => {
    const [a] = await makeAccounts(kit, 1);
    const p1 = await pay(a!.id, 1_000);
    const p2 = await pay(a!.id, 2_000);
    const list = await ok('GET', `${BASE}/receipts?accountId=${a!.id}&series=R&from=${today()}&to=${today()}&status=issued`);
    expect(list).toMatchObject({ total: 2, page: 1 });
    expect(list.items[0]).toMatchObject({ receiptNo: p2.receiptNo, accountNo: a!.accountNo, customerName: expect.stringContaining('测试'), channel: 'cash', amountFen: '2000' });
    expect(Number(p2.receipt.number)).toBe(Number(p1.receipt.number) + 1);
    expect((await ok('GET', `${BASE}/receipts?accountId=${a!.id}&from=2001-01-01&to=2001-01-31`)).total).toBe(0);

    const noReason = await kit.request('POST', `${BASE}/receipts/${p1.receipt.id}/void`, { body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].path).toBe('reason');
    const voided = await ok('POST', `${BASE}/receipts/${p1.receipt.id}/void`, { reason: '打印错误' });
    expect(voided).toMatchObject({ status: 'voided', voidReason: '打印错误', voidedBy: expect.any(Number) });
    expect((await kit.request('POST', `${BASE}/receipts/${p1.receipt.id}/void`, { body: { reason: 'again' } })).status).toBe(409);
    expect(await ok('GET', `${BASE}/receipts/${p1.receipt.id}`)).toMatchObject({ status: 'voided', paymentId: p1.payment.id });
    expect((await ok('GET', `${BASE}/receipts?accountId=${a!.id}&status=voided`)).total).toBe(1);
    expect((await kit.request('GET', `${BASE}/receipts/99999999`)).status).toBe(404);

    const series = await kit.request('POST', `${BASE}/receipt-series`, { body: { series: 'INV2', kind: 'invoice', prefix: 'FP', width: 10, nextNo: 100 } });
    expect(series.status).toBe(201);
    expect(series.body).toMatchObject({ series: 'INV2', kind: 'invoice', nextNo: '100' });
    expect((await kit.request('POST', `${BASE}/receipt-series`, { body: { series: 'INV2' } })).status).toBe(409);
    expect((await kit.request('POST', `${BASE}/receipt-series`, { body: { series: 'bad-lower' } })).status).toBe(400);
    const inv = await ok('POST', `${BASE}/payments`, { accountId: a!.id, channel: 'card', amountFen: 50, requestKey: requestKey(), series: 'INV2' });
    expect(inv.receiptNo).toBe('FP0000000100');
  });

  it('reconciles a day: a cash shortfall is a discrepancy, then balanced and confirmed; a bank statement finds every kind of difference', async () => {
    const [a] = await makeAccounts(kit, 1);
    const made = await pay(a!.id, 1_200);
    const me = made.payment.cashierId as number;
    const day = today();
    const booked = (await ok('GET', `${BASE}/payments?day=${day}&channel=cash&cashierId=${me}&pageSize=200`)).items.reduce((s: bigint, p: { amountFen: string }) => s + BigInt(p.amountFen), 0n);
    const short = await ok('POST', `${BASE}/finance/reconciliations`, { day, channel: 'cash', cashierId: me, declaredFen: (booked - 100n).toString() });
    expect(short).toMatchObject({ status: 'discrepant', bookedFen: booked.toString(), differenceFen: '-100', discrepancies: [{ kind: 'declared_mismatch', differenceFen: '-100' }] });
    const fixed = await ok('POST', `${BASE}/finance/reconciliations`, { day, channel: 'cash', cashierId: me, declaredFen: booked.toString() });
    expect(fixed).toMatchObject({ id: short.id, status: 'balanced', differenceFen: '0', discrepancies: [] });
    const confirmed = await ok('POST', `${BASE}/finance/reconciliations/${fixed.id}/confirm`);
    expect(confirmed).toMatchObject({ status: 'confirmed', confirmedBy: me });
    expect((await kit.request('POST', `${BASE}/finance/reconciliations/${fixed.id}/confirm`)).status).toBe(409);
    expect((await kit.request('POST', `${BASE}/finance/reconciliations`, { body: { day, channel: 'cash', cashierId: me, declaredFen: '1' } })).status).toBe(409);
    expect((await kit.request('POST', `${BASE}/finance/reconciliations`, { body: { day, channel: 'cash' } })).status).toBe(400);

    // bank: three rows booked today; the statement misses one, has one the books lack, and one amount differs
    const [b] = await makeAccounts(kit, 1);
    const ref = (n: number) => `REC${b!.id}-${n}`;
    const file = [1, 2, 3].map((n) => `${ref(n)},${b!.accountNo},${n}.00,${day} 00:00`).join('\n');
    await ok('POST', `${BASE}/payments/bank-files`, { fileName: 'rec.csv', content: file });
    const statement = [
      { ref: ref(1), amountFen: 100 },
      { ref: ref(2), amountFen: 250 },
      { ref: `REC${b!.id}-9`, amountFen: 900 },
    ];
    const rec = await ok('POST', `${BASE}/finance/reconciliations`, { day, channel: 'bank', statement });
    expect(rec).toMatchObject({ status: 'discrepant', bookedFen: '600', bookedCount: 3, cashierId: 0 });
    expect(rec.discrepancies).toEqual(
      expect.arrayContaining([
        { kind: 'amount_differs', ref: ref(2), statementFen: '250', bookedFen: '200', paymentId: expect.any(Number) },
        { kind: 'missing_in_books', ref: `REC${b!.id}-9`, amountFen: '900' },
        { kind: 'missing_in_statement', ref: ref(3), amountFen: '300', paymentId: expect.any(Number) },
      ]),
    );
    expect(rec.discrepancies).toHaveLength(3);
    const dup = await kit.request('POST', `${BASE}/finance/reconciliations`, { body: { day, channel: 'bank', statement: [statement[0], statement[0]] } });
    expect(dup.status).toBe(400);
    const listed = await ok('GET', `${BASE}/finance/reconciliations?day=${day}`);
    expect(listed.items.map((r: { id: number }) => r.id).sort()).toEqual([short.id, rec.id].sort());

    const daily = await ok('GET', `${BASE}/finance/daily?day=${day}`);
    const mine = daily.rows.find((r: { cashierId: number; channel: string }) => r.cashierId === me && r.channel === 'cash');
    expect(mine.amountFen).toBe(booked.toString());
    expect(daily.rows.reduce((s: bigint, r: { amountFen: string }) => s + BigInt(r.amountFen), 0n).toString()).toBe(daily.totals.amountFen);
    expect(daily.byChannel.find((c: { channel: string }) => c.channel === 'bank')).toMatchObject({ amountFen: '600', count: 3 });
    expect((await kit.request('GET', `${BASE}/finance/daily?day=2026-13-01`)).status).toBe(400);
  });

  it('keeps tenants apart and checks permissions on every finance route', async () => {
    const [a] = await makeAccounts(kit, 1);
    const made = await pay(a!.id, 300);
    const rec = await ok('POST', `${BASE}/finance/reconciliations`, { day: '2001-01-01', channel: 'card', declaredFen: 0 });
    const other = { token: kit.otherTenant.token };
    expect((await kit.request('GET', `${BASE}/receipts/${made.receipt.id}`, other)).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/receipts/${made.receipt.id}/void`, { ...other, body: { reason: 'x' } })).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/receipts?accountId=${a!.id}`, other)).body).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('POST', `${BASE}/finance/reconciliations/${rec.id}/confirm`, other)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/finance/reconciliations?day=2001-01-01`, other)).body.items).toEqual([]);
    const otherDaily = (await kit.request('GET', `${BASE}/finance/daily?day=${today()}`, other)).body;
    expect(otherDaily.totals.count).toBe(0);
    // a period of this tenant only: the other tenant neither sees nor closes it
    const services = kit.services('billing');
    await services.transaction((tx) => tx.query(`insert into pack_billing.finance_periods (tenant_id, tenant_path, period) values ($1, $2::ltree, '2000-05')`, [services.tenant.id, services.tenant.path]));
    expect((await kit.request('GET', `${BASE}/finance/periods/2000-05`, other)).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/finance/periods/2000-05/close`, other)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/finance/periods`, other)).body.items.some((p: { period: string }) => p.period === '2000-05')).toBe(false);
    expect((await kit.request('GET', `${BASE}/receipt-series`, other)).body.items.some((s: { series: string }) => s.series === 'INV2')).toBe(false);
    expect(await ok('POST', `${BASE}/finance/periods/2000-05/close`)).toMatchObject({ status: 'closed' });
    for (const [method, path, body] of [
      ['GET', `${BASE}/receipts`, undefined],
      ['GET', `${BASE}/receipts/${made.receipt.id}`, undefined],
      ['POST', `${BASE}/receipts/${made.receipt.id}/void`, { reason: 'x' }],
      ['GET', `${BASE}/receipt-series`, undefined],
      ['POST', `${BASE}/receipt-series`, { series: 'ZZ' }],
      ['GET', `${BASE}/finance/periods`, undefined],
      ['GET', `${BASE}/finance/periods/${currentPeriod()}`, undefined],
      ['POST', `${BASE}/finance/periods/2000-01/close`, undefined],
      ['POST', `${BASE}/finance/reconciliations`, { day: '2001-01-01', channel: 'card', declaredFen: 0 }],
      ['POST', `${BASE}/finance/reconciliations/${rec.id}/confirm`, undefined],
      ['GET', `${BASE}/finance/reconciliations`, undefined],
      ['GET', `${BASE}/finance/daily?day=${today()}`, undefined],
    ] as const) {
      expect((await kit.request(method, path, { token: reader, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(403);
      expect((await kit.request(method, path, { token: null, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(401);
    }
  });

  it('closes periods in order with their totals; a closed period takes no posting and corrections land in the open one', async () => {
    const services = kit.services('billing');
    const current = currentPeriod();
    const [a] = await makeAccounts(kit, 1);
    const charge = await addCharge(kit, a!.id, 1_000n, '2026-01-20');
    const paid = await pay(a!.id, 1_500);
    expect(paid.payment.financePeriod).toBe(current);
    // two old months, the earlier one open
    await services.transaction(async (tx) => {
      await tx.query(`insert into pack_billing.finance_periods (tenant_id, tenant_path, period) values ($1, $2::ltree, '2020-01'), ($1, $2::ltree, '2020-02')`, [services.tenant.id, services.tenant.path]);
    });
    expect((await kit.request('POST', `${BASE}/finance/periods/2020-02/close`)).status).toBe(409);
    expect((await kit.request('POST', `${BASE}/finance/periods/2019-12/close`)).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/finance/periods/${nextPeriod(current)}/close`)).status).toBe(409);
    expect((await kit.request('POST', `${BASE}/finance/periods/2020-13/close`)).status).toBe(400);
    expect(await ok('POST', `${BASE}/finance/periods/2020-01/close`)).toMatchObject({ period: '2020-01', status: 'closed', totals: { payments: { count: 0, amountFen: '0' } } });
    expect((await kit.request('POST', `${BASE}/finance/periods/2020-01/close`)).status).toBe(409);
    await ok('POST', `${BASE}/finance/periods/2020-02/close`);
    // money paid in a closed month posts in the earliest open one
    expect(await services.transaction((tx) => financePeriodFor(tx, services.tenant, new Date('2020-01-15T04:00:00Z')))).toBe(current);

    const before = await ok('GET', `${BASE}/finance/periods/${current}`);
    expect(before.status).toBe('open');
    const closed = await ok('POST', `${BASE}/finance/periods/${current}/close`);
    expect(closed.totals.payments.count).toBe(before.totals.payments.count);
    expect(closed.totals.payments.amountFen).toBe(before.totals.payments.amountFen);
    expect(BigInt(closed.totals.payments.amountFen)).toBeGreaterThanOrEqual(1_500n);
    expect(closed.totals.netReceivedFen).toBe((BigInt(closed.totals.payments.amountFen) - BigInt(closed.totals.reversals.amountFen) - BigInt(closed.totals.refunds.amountFen)).toString());

    // the guard: no insert, money update or delete in the closed period
    const t = [services.tenant.id, services.tenant.path];
    expect(await failureOf(`insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, amount_fen, due_date, finance_period) values ($1, $2::ltree, $3, 'adjustment', 5, '2026-01-01', $4)`, [...t, a!.id, current])).toMatch(/finance_period_closed/);
    expect(await failureOf(`update pack_billing.payments set amount_fen = amount_fen + 1 where id = $1`, [paid.payment.id])).toMatch(/finance_period_closed/);
    expect(await failureOf(`update pack_billing.charges set amount_fen = amount_fen + 1 where id = $1`, [charge])).toMatch(/finance_period_closed/);
    expect(await failureOf(`delete from pack_billing.allocations where payment_id = $1`, [paid.payment.id])).toMatch(/finance_period_closed/);
    expect(await failureOf(`update pack_billing.payments set finance_period = $2 where id = $1`, [paid.payment.id, nextPeriod(current)])).toMatch(/finance_period_closed/);
    // settlement state is not a money column: a note on the payment may change
    expect(await failureOf(`update pack_billing.payments set note = 'checked' where id = $1`, [paid.payment.id])).toBeNull();

    // a new payment posts in the next month, created on first use
    const next = nextPeriod(current);
    const later = await pay(a!.id, 200);
    expect(later.payment.financePeriod).toBe(next);
    const periods = await ok('GET', `${BASE}/finance/periods`);
    expect(periods.items.map((p: { period: string; status: string }) => [p.period, p.status]).slice(0, 2)).toEqual([
      [next, 'open'],
      [current, 'closed'],
    ]);
    expect((await ok('GET', `${BASE}/finance/periods?status=closed`)).items.map((p: { period: string }) => p.period)).toEqual([current, '2020-02', '2020-01', '2000-05']);

    // a correction of the closed month's payment (冲正) posts in the open month; the closed totals stand
    const asked = await ok('POST', `${BASE}/payments/${paid.payment.id}/reverse`, { reason: '关账后冲正' });
    const task = await kit.waitForTask({ processId: REVERSAL_PROCESS, instanceId: Number(asked.instance) });
    await kit.completeTask(task.id, { decision: 'approve' });
    expect(await kit.waitForInstance(Number(asked.instance))).toMatchObject({ reversalStatus: 'approved', releasedFen: '1000', reappliedFen: '200' });
    expect(await ok('GET', `${BASE}/reversals/${asked.id}`)).toMatchObject({ financePeriod: next });
    const payment = await ok('GET', `${BASE}/payments/${paid.payment.id}`);
    expect(payment.allocations.map((x: { amountFen: string; financePeriod: string }) => [x.amountFen, x.financePeriod])).toEqual([
      ['1000', current],
      ['-1000', next],
    ]);
    expect(await ok('GET', `${BASE}/finance/periods/${current}`)).toMatchObject({ totals: closed.totals });
    expect(await ok('GET', `${BASE}/finance/periods/${next}`)).toMatchObject({ status: 'open', totals: { reversals: { count: 1, amountFen: '1500' }, payments: { count: 1, amountFen: '200' } } });
    expect(await ok('GET', `${BASE}/accounts/${a!.id}/balance`)).toMatchObject({ outstandingFen: '800', creditFen: '0' });
  });
});
