/**
 * Counter payments on the kit: cash with change, card, oldest-first allocation with a partial payment,
 * prepaid credit then applyCredit, double submits (in a row and at once), 50 cashiers at once with gapless
 * receipt numbers, refusals, and tenant isolation of every route of the counter.
 */
import metering from '@shuiyun/pack-metering';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { accountBalance, applyCredit, lockAccount } from './ledger.js';
import { addCharge, chargeStates, makeAccounts, requestKey, today } from './testing/money.js';
import { financePeriodFor } from '../finance/periods.js';

const BASE = '/api/ext/billing';

describe('counter payments', () => {
  let kit: PackTestKit;
  let reader: string;

  async function ok(method: string, path: string, body?: unknown, token?: string) {
    const res = await kit.request(method, path, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  const pay = (accountId: string, amountFen: number | string, extra: Record<string, unknown> = {}) =>
    kit.request('POST', `${BASE}/payments`, { body: { accountId, channel: 'cash', amountFen, requestKey: requestKey(), ...extra } });

  beforeAll(async () => {
    // PGlite by default; SHUIYUN_BILLING_TEST_DRIVER=postgres runs the same on the PostgreSQL server (real concurrency).
    kit = await startPackTestKit({ packs: [metering, billing], driver: process.env.SHUIYUN_BILLING_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
    reader = await kit.createUser({ username: 'pay-meter-reader', roles: ['metering-reader'] });
  }, 300_000);
  afterAll(() => kit?.close());

  it('takes cash with change and issues a receipt', async () => {
    const [a] = await makeAccounts(kit, 1);
    const charge = await addCharge(kit, a!.id, 8_000n, '2026-01-20');
    const res = await pay(a!.id, '8000', { tenderedFen: 10_000 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      replayed: false,
      payment: { channel: 'cash', amountFen: '8000', tenderedFen: '10000', changeFen: '2000', status: 'booked' },
      allocations: [{ chargeId: Number(charge), amountFen: '8000' }],
      changeFen: '2000',
      balance: { outstandingFen: '0', creditFen: '0', paymentsFen: '8000' },
    });
    expect(res.body.receiptNo).toMatch(/^R\d{8}$/);
    expect(res.body.receipt).toMatchObject({ status: 'issued', amountFen: '8000', paymentId: res.body.payment.id });
  });

  it('takes a card payment without change; refuses a card with a tendered amount, and cash short of the amount', async () => {
    const [a] = await makeAccounts(kit, 1);
    const card = await kit.request('POST', `${BASE}/payments`, { body: { accountId: a!.id, channel: 'card', amountFen: 500, requestKey: requestKey() } });
    expect(card.status).toBe(201);
    expect(card.body.payment).toMatchObject({ channel: 'card', tenderedFen: null, changeFen: null });
    expect(card.body.balance.creditFen).toBe('500');
    const cardChange = await kit.request('POST', `${BASE}/payments`, { body: { accountId: a!.id, channel: 'card', amountFen: 500, tenderedFen: 600, requestKey: requestKey() } });
    expect(cardChange.status).toBe(400);
    const short = await pay(a!.id, 500, { tenderedFen: 400 });
    expect(short.status).toBe(400);
    expect(short.body.error.details[0]).toMatchObject({ path: 'tenderedFen' });
    const zh = await kit.request('POST', `${BASE}/payments`, { locale: 'zh-CN', body: { accountId: a!.id, channel: 'cash', amountFen: 500, tenderedFen: 400, requestKey: requestKey() } });
    expect(zh.body.error.details[0].message).toContain('实收金额');
    for (const bad of [{ amountFen: 0 }, { amountFen: 1.5 }, { amountFen: -3 }, { requestKey: 'short' }, { channel: 'cheque' }]) {
      const res = await kit.request('POST', `${BASE}/payments`, { body: { accountId: a!.id, channel: 'cash', amountFen: 100, requestKey: requestKey(), ...bad } });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('allocates oldest due date first over three charges, the partial one last', async () => {
    const [a] = await makeAccounts(kit, 1);
    const c3 = await addCharge(kit, a!.id, 3_000n, '2026-03-20');
    const c1 = await addCharge(kit, a!.id, 1_000n, '2026-01-20');
    const c2 = await addCharge(kit, a!.id, 2_000n, '2026-02-20');
    const res = await pay(a!.id, 4_500);
    expect(res.status).toBe(201);
    expect(res.body.allocations).toEqual([
      { chargeId: Number(c1), amountFen: '1000' },
      { chargeId: Number(c2), amountFen: '2000' },
      { chargeId: Number(c3), amountFen: '1500' },
    ]);
    expect(res.body.balance).toMatchObject({ chargesFen: '6000', paidFen: '4500', outstandingFen: '1500', creditFen: '0' });
    const states = await chargeStates(kit, a!.id);
    expect(states.map((s) => [s.paidFen, s.allocatedFen])).toEqual([
      [1_000n, 1_000n],
      [2_000n, 2_000n],
      [1_500n, 1_500n],
    ]);
    const balance = await kit.request('GET', `${BASE}/accounts/${a!.id}/balance`);
    expect(balance.body).toMatchObject({ outstandingFen: '1500', creditFen: '0', yuan: { outstanding: '15.00', credit: '0.00' } });
  });

  it('keeps a payment on an account owing nothing as prepaid credit, and applyCredit sets it against a later charge', async () => {
    const [a] = await makeAccounts(kit, 1);
    const res = await pay(a!.id, 10_000);
    expect(res.body.allocations).toEqual([]);
    expect(res.body.balance).toMatchObject({ outstandingFen: '0', creditFen: '10000', dueFen: '-10000' });
    const c1 = await addCharge(kit, a!.id, 3_000n, '2026-04-20');
    const c2 = await addCharge(kit, a!.id, 9_000n, '2026-05-20');
    const services = kit.services('billing');
    const applied = await services.transaction(async (tx) => {
      await lockAccount(tx, a!.id);
      return applyCredit(tx, services.tenant, a!.id, await financePeriodFor(tx, services.tenant, new Date()));
    });
    expect(applied).toBe(10_000n);
    const states = await chargeStates(kit, a!.id);
    expect(states.find((s) => s.id === c1)).toMatchObject({ paidFen: 3_000n, allocatedFen: 3_000n });
    expect(states.find((s) => s.id === c2)).toMatchObject({ paidFen: 7_000n, allocatedFen: 7_000n });
    const b = await services.transaction((tx) => accountBalance(tx, a!.id));
    expect(b).toMatchObject({ outstandingFen: 2_000n, creditFen: 0n });
    // nothing left to apply: a second call changes nothing
    const again = await services.transaction(async (tx) => {
      await lockAccount(tx, a!.id);
      return applyCredit(tx, services.tenant, a!.id, await financePeriodFor(tx, services.tenant, new Date()));
    });
    expect(again).toBe(0n);
  });

  it('answers a resubmit with the same request key with the first payment and receipt (in a row and at once)', async () => {
    const [a] = await makeAccounts(kit, 1);
    await addCharge(kit, a!.id, 1_000n, '2026-01-20');
    const key = requestKey();
    const body = { accountId: a!.id, channel: 'cash', amountFen: 700, requestKey: key };
    const first = await kit.request('POST', `${BASE}/payments`, { body });
    const second = await kit.request('POST', `${BASE}/payments`, { body });
    expect(first.body.replayed).toBe(false);
    expect(second.body.replayed).toBe(true);
    expect(second.body.payment.id).toBe(first.body.payment.id);
    expect(second.body.receiptNo).toBe(first.body.receiptNo);
    expect(second.body.allocations).toEqual(first.body.allocations);

    const key2 = requestKey();
    const both = await Promise.all([1, 2, 3].map(() => kit.request('POST', `${BASE}/payments`, { body: { ...body, amountFen: 300, requestKey: key2 } })));
    expect(both.map((r) => r.status).every((s) => s === 201)).toBe(true);
    expect(new Set(both.map((r) => r.body.payment.id)).size).toBe(1);
    expect(new Set(both.map((r) => r.body.receiptNo)).size).toBe(1);
    expect(both.filter((r) => r.body.replayed === false)).toHaveLength(1);
    const listed = await ok('GET', `${BASE}/payments?accountId=${a!.id}`);
    expect(listed.total).toBe(2);
    const receipts = await ok('GET', `${BASE}/receipts?accountId=${a!.id}`);
    expect(receipts.total).toBe(2);
    // the same key for another amount (or channel) is refused
    const reused = await kit.request('POST', `${BASE}/payments`, { body: { ...body, amountFen: 701 } });
    expect(reused.status).toBe(409);
    const otherChannel = await kit.request('POST', `${BASE}/payments`, { body: { ...body, channel: 'card' } });
    expect(otherChannel.status).toBe(409);
  });

  it('numbers 50 concurrent payments across 10 accounts 1..50 in a series, with no gap and no duplicate', async () => {
    const series = await kit.request('POST', `${BASE}/receipt-series`, { body: { series: 'C50', prefix: 'C', width: 6 } });
    expect(series.status).toBe(201);
    const accounts = await makeAccounts(kit, 10);
    for (const a of accounts) await addCharge(kit, a.id, 2_500n, '2026-01-20');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => kit.request('POST', `${BASE}/payments`, { body: { accountId: accounts[i % 10]!.id, channel: i % 2 ? 'card' : 'cash', amountFen: 100 + i, requestKey: requestKey(), series: 'C50' } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const numbers = results.map((r) => Number(r.body.receipt.number)).sort((x, y) => x - y);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.body.receiptNo)).size).toBe(50);
    expect(results[0]!.body.receiptNo).toMatch(/^C\d{6}$/);
    // every account's charge got the money of its five payments, and nothing was lost
    for (const a of accounts) {
      const states = await chargeStates(kit, a.id);
      const paid = results.filter((r) => String(r.body.payment.accountId) === a.id).reduce((s, r) => s + BigInt(r.body.payment.amountFen), 0n);
      expect(states[0]!.paidFen).toBe(paid < 2_500n ? paid : 2_500n);
      expect(states[0]!.allocatedFen).toBe(states[0]!.paidFen);
    }
    const listed = await ok('GET', `${BASE}/receipt-series`);
    expect(listed.items.find((s: { series: string }) => s.series === 'C50')).toMatchObject({ nextNo: '51' });
  });

  it('refuses a closed account (409), an unknown one (404), an inactive series (409 rolled back)', async () => {
    const [closed] = await makeAccounts(kit, 1, { status: 'closed' });
    const res = await pay(closed!.id, 100);
    expect(res.status).toBe(409);
    expect((await pay('999999999', 100)).status).toBe(404);
    const [a] = await makeAccounts(kit, 1);
    const missing = await pay(a!.id, 100, { series: 'NOPE' });
    expect(missing.status).toBe(409);
    const listed = await ok('GET', `${BASE}/payments?accountId=${a!.id}`);
    expect(listed.total).toBe(0);
  });

  it('lists payments by day, cashier and channel, and reads one with its allocations and receipt', async () => {
    const [a] = await makeAccounts(kit, 1);
    await addCharge(kit, a!.id, 600n, '2026-01-20');
    const made = await pay(a!.id, 1_000);
    const me = made.body.payment.cashierId;
    const list = await ok('GET', `${BASE}/payments?day=${today()}&cashierId=${me}&channel=cash&accountId=${a!.id}`);
    expect(list.items.map((p: { id: number }) => p.id)).toEqual([made.body.payment.id]);
    expect((await ok('GET', `${BASE}/payments?day=2001-01-01&accountId=${a!.id}`)).total).toBe(0);
    const one = await ok('GET', `${BASE}/payments/${made.body.payment.id}`);
    expect(one).toMatchObject({ id: made.body.payment.id, amountFen: '1000', allocations: [{ amountFen: '600' }], receipts: [{ receiptNo: made.body.receiptNo }] });
    expect((await kit.request('GET', `${BASE}/payments/99999999`)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/payments?pageSize=500`)).status).toBe(400);
  });

  it('keeps tenants apart and checks permissions on every counter route', async () => {
    const [mine] = await makeAccounts(kit, 1);
    const made = await pay(mine!.id, 100);
    const other = { token: kit.otherTenant.token };
    // the other tenant sees nothing of this one
    expect((await kit.request('POST', `${BASE}/payments`, { ...other, body: { accountId: mine!.id, channel: 'cash', amountFen: 1, requestKey: requestKey() } })).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/payments/${made.body.payment.id}`, other)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/accounts/${mine!.id}/balance`, other)).status).toBe(404);
    const list = await kit.request('GET', `${BASE}/payments?accountId=${mine!.id}`, other);
    expect(list.body).toMatchObject({ items: [], total: 0 });
    // no permission → 403, no token → 401
    for (const [method, path, body] of [
      ['POST', `${BASE}/payments`, { accountId: mine!.id, channel: 'cash', amountFen: 1, requestKey: requestKey() }],
      ['GET', `${BASE}/payments`, undefined],
      ['GET', `${BASE}/payments/${made.body.payment.id}`, undefined],
      ['GET', `${BASE}/accounts/${mine!.id}/balance`, undefined],
    ] as const) {
      expect((await kit.request(method, path, { token: reader, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(403);
      expect((await kit.request(method, path, { token: null, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(401);
    }
  });
});
