/**
 * Reversals (冲正) and refunds (退费) through their approval processes on the kit: approve and reject,
 * the released allocations, the voided receipt, the period posted in, credit re-applied; refunds bounded
 * by the credit (at the request and again at apply), idempotent apply, and tenant isolation.
 */
import metering from '@shuiyun/pack-metering';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { REFUND_PROCESS, applyRefund } from './refund.js';
import { REVERSAL_PROCESS, applyReversal } from './reversal.js';
import { addCharge, chargeStates, currentPeriod, makeAccounts, requestKey } from './testing/money.js';

const BASE = '/api/ext/billing';

describe('reversals and refunds', () => {
  let kit: PackTestKit;
  let reader: string;

  async function ok(method: string, path: string, body?: unknown) {
    const res = await kit.request(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  const pay = (accountId: string, amountFen: number) => ok('POST', `${BASE}/payments`, { accountId, channel: 'cash', amountFen, requestKey: requestKey() });
  const balance = (accountId: string) => ok('GET', `${BASE}/accounts/${accountId}/balance`);

  async function decide(processId: string, instance: string, decision: 'approve' | 'reject', comment = '') {
    const task = await kit.waitForTask({ processId, instanceId: Number(instance) });
    await kit.completeTask(task.id, { decision, comment });
    return kit.waitForInstance(Number(instance));
  }

  beforeAll(async () => {
    // PGlite by default; SHUIYUN_BILLING_TEST_DRIVER=postgres runs the same on the PostgreSQL server (real concurrency).
    kit = await startPackTestKit({ packs: [metering, billing], driver: process.env.SHUIYUN_BILLING_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
    reader = await kit.createUser({ username: 'rev-meter-reader', roles: ['metering-reader'] });
  }, 300_000);
  afterAll(() => kit?.close());

  it('reverses an approved payment: allocations released, charges open, receipt voided, posted in the open period', async () => {
    const [a] = await makeAccounts(kit, 1);
    const c1 = await addCharge(kit, a!.id, 3_000n, '2026-01-20');
    const made = await pay(a!.id, 5_000);
    expect((await balance(a!.id)).creditFen).toBe('2000');
    const asked = await kit.request('POST', `${BASE}/payments/${made.payment.id}/reverse`, { body: { reason: '误收' } });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: 'pending', paymentId: made.payment.id, amountFen: '5000' });
    // a second request while one is pending is refused
    expect((await kit.request('POST', `${BASE}/payments/${made.payment.id}/reverse`, { body: { reason: '再次' } })).status).toBe(409);
    const task = await kit.waitForTask({ processId: REVERSAL_PROCESS, instanceId: Number(asked.body.instance) });
    expect(task.variables).toMatchObject({ accountNo: a!.accountNo, amountYuan: '50.00', reason: '误收', receiptNo: made.receiptNo });
    await kit.completeTask(task.id, { decision: 'approve', comment: '同意' });
    const vars = await kit.waitForInstance(Number(asked.body.instance));
    expect(vars).toMatchObject({ reversalStatus: 'approved', releasedFen: '3000' });

    const reversal = await ok('GET', `${BASE}/reversals/${asked.body.id}`);
    expect(reversal).toMatchObject({ status: 'approved', financePeriod: currentPeriod(), decisionNote: '同意' });
    const payment = await ok('GET', `${BASE}/payments/${made.payment.id}`);
    expect(payment.status).toBe('reversed');
    expect(payment.allocations.map((x: { amountFen: string }) => x.amountFen)).toEqual(['3000', '-3000']);
    expect(payment.receipts[0]).toMatchObject({ status: 'voided', voidReason: '冲正 Reversal: 误收' });
    const states = await chargeStates(kit, a!.id);
    expect(states).toEqual([expect.objectContaining({ id: c1, paidFen: 0n, allocatedFen: 0n })]);
    expect(await balance(a!.id)).toMatchObject({ outstandingFen: '3000', creditFen: '0', paymentsFen: '0' });
    // a reversed payment cannot be reversed again
    const again = await kit.request('POST', `${BASE}/payments/${made.payment.id}/reverse`, { body: { reason: '再次' } });
    expect(again.status).toBe(409);
    // applying the same decision again (a redelivered job) changes nothing
    const services = kit.services('billing');
    const redo = await services.transaction((tx) => applyReversal(tx, services, { reversalId: String(asked.body.id), decision: 'approve' }));
    expect(redo).toMatchObject({ reversalStatus: 'approved', releasedFen: '0' });
    expect((await ok('GET', `${BASE}/payments/${made.payment.id}`)).allocations).toHaveLength(2);
  });

  it('sets the account’s other credit against charges a reversal reopened', async () => {
    const [a] = await makeAccounts(kit, 1);
    await addCharge(kit, a!.id, 4_000n, '2026-01-20');
    const wrong = await pay(a!.id, 4_000);
    await pay(a!.id, 2_500); // prepaid credit
    const asked = await ok('POST', `${BASE}/payments/${wrong.payment.id}/reverse`, { reason: '重复收费' });
    const vars = await decide(REVERSAL_PROCESS, asked.instance, 'approve');
    expect(vars).toMatchObject({ reversalStatus: 'approved', releasedFen: '4000', reappliedFen: '2500' });
    expect(await balance(a!.id)).toMatchObject({ outstandingFen: '1500', creditFen: '0', paymentsFen: '2500' });
    const states = await chargeStates(kit, a!.id);
    expect(states[0]).toMatchObject({ paidFen: 2_500n, allocatedFen: 2_500n });
  });

  it('rejects a reversal: the payment and its receipt stand, and it may be asked again', async () => {
    const [a] = await makeAccounts(kit, 1);
    const made = await pay(a!.id, 900);
    const asked = await ok('POST', `${BASE}/payments/${made.payment.id}/reverse`, { reason: '核对' });
    expect(await decide(REVERSAL_PROCESS, asked.instance, 'reject', '无误')).toMatchObject({ reversalStatus: 'rejected' });
    expect(await ok('GET', `${BASE}/reversals/${asked.id}`)).toMatchObject({ status: 'rejected', financePeriod: null, decisionNote: '无误' });
    const payment = await ok('GET', `${BASE}/payments/${made.payment.id}`);
    expect(payment).toMatchObject({ status: 'booked', receipts: [{ status: 'issued' }] });
    expect((await kit.request('POST', `${BASE}/payments/${made.payment.id}/reverse`, { body: { reason: '再次核对' } })).status).toBe(202);
    // a reason is required
    const [b] = await makeAccounts(kit, 1);
    const other = await pay(b!.id, 100);
    const noReason = await kit.request('POST', `${BASE}/payments/${other.payment.id}/reverse`, { body: { reason: '  ' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].path).toBe('reason');
  });

  it('refunds at most the credit; approved it posts and lowers the credit, rejected nothing changes', async () => {
    const [a] = await makeAccounts(kit, 1);
    await pay(a!.id, 5_000);
    const tooMuch = await kit.request('POST', `${BASE}/refunds`, { body: { accountId: a!.id, amountFen: 5_001, method: 'cash', reason: '多缴' } });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error.details[0].path).toBe('amountFen');
    const asked = await ok('POST', `${BASE}/refunds`, { accountId: a!.id, amountFen: 3_000, method: 'cash', reason: '多缴' });
    expect(asked).toMatchObject({ status: 'pending', amountFen: '3000' });
    // the pending refund holds its amount: only 2000 more can be asked
    expect((await kit.request('POST', `${BASE}/refunds`, { body: { accountId: a!.id, amountFen: 2_001, method: 'cash', reason: 'x' } })).status).toBe(409);
    const vars = await decide(REFUND_PROCESS, asked.instance, 'approve');
    expect(vars).toMatchObject({ refundStatus: 'approved' });
    expect(vars.receiptNo).toMatch(/^R\d{8}$/);
    expect(await ok('GET', `${BASE}/refunds/${asked.id}`)).toMatchObject({ status: 'approved', financePeriod: currentPeriod() });
    expect(await balance(a!.id)).toMatchObject({ creditFen: '2000', refundsFen: '3000', paymentsFen: '5000' });
    // applying again changes nothing
    const services = kit.services('billing');
    await services.transaction((tx) => applyRefund(tx, services, { refundId: String(asked.id), decision: 'approve' }));
    expect((await balance(a!.id)).refundsFen).toBe('3000');

    const rejected = await ok('POST', `${BASE}/refunds`, { accountId: a!.id, amountFen: 2_000, method: 'bank', reason: '再退' });
    expect(await decide(REFUND_PROCESS, rejected.instance, 'reject')).toMatchObject({ refundStatus: 'rejected' });
    expect(await balance(a!.id)).toMatchObject({ creditFen: '2000', refundsFen: '3000' });
    const list = await ok('GET', `${BASE}/refunds?accountId=${a!.id}`);
    expect(list.items.map((r: { status: string }) => r.status)).toEqual(['rejected', 'approved']);
  });

  it('fails an approved refund when the credit went meanwhile, and refuses reversing a payment whose credit was refunded', async () => {
    const [a] = await makeAccounts(kit, 1);
    const made = await pay(a!.id, 1_000);
    const asked = await ok('POST', `${BASE}/refunds`, { accountId: a!.id, amountFen: 1_000, method: 'cash', reason: '退' });
    // a new charge takes the credit before the approver decides
    await addCharge(kit, a!.id, 600n, '2026-02-01');
    const services = kit.services('billing');
    await services.transaction(async (tx) => {
      const { lockAccount, applyCredit } = await import('./ledger.js');
      const { financePeriodFor } = await import('../finance/periods.js');
      await lockAccount(tx, a!.id);
      await applyCredit(tx, services.tenant, a!.id, await financePeriodFor(tx, services.tenant, new Date()));
    });
    expect(await decide(REFUND_PROCESS, asked.instance, 'approve')).toMatchObject({ refundStatus: 'failed' });
    expect(await ok('GET', `${BASE}/refunds/${asked.id}`)).toMatchObject({ status: 'failed', failure: expect.stringContaining('credit 4.00 < refund 10.00') });
    // refund the remaining 400, then the payment cannot be reversed: its credit is gone
    const rest = await ok('POST', `${BASE}/refunds`, { accountId: a!.id, amountFen: 400, method: 'cash', reason: '退余额' });
    await decide(REFUND_PROCESS, rest.instance, 'approve');
    const reverse = await kit.request('POST', `${BASE}/payments/${made.payment.id}/reverse`, { body: { reason: '误收' } });
    expect(reverse.status).toBe(409);
    expect(await balance(a!.id)).toMatchObject({ outstandingFen: '0', creditFen: '0' });
  });

  it('keeps tenants apart and checks permissions on reversal and refund routes', async () => {
    const [a] = await makeAccounts(kit, 1);
    const made = await pay(a!.id, 700);
    const refund = await ok('POST', `${BASE}/refunds`, { accountId: a!.id, amountFen: 100, method: 'cash', reason: 'x' });
    const reversal = await ok('POST', `${BASE}/payments/${made.payment.id}/reverse`, { reason: 'x' });
    const other = { token: kit.otherTenant.token };
    expect((await kit.request('POST', `${BASE}/payments/${made.payment.id}/reverse`, { ...other, body: { reason: 'x' } })).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/refunds`, { ...other, body: { accountId: a!.id, amountFen: 1, method: 'cash', reason: 'x' } })).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/refunds/${refund.id}`, other)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/reversals/${reversal.id}`, other)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/refunds`, other)).body.items).toEqual([]);
    expect((await kit.request('GET', `${BASE}/reversals`, other)).body.items).toEqual([]);
    for (const [method, path, body] of [
      ['POST', `${BASE}/payments/${made.payment.id}/reverse`, { reason: 'x' }],
      ['POST', `${BASE}/refunds`, { accountId: a!.id, amountFen: 1, method: 'cash', reason: 'x' }],
      ['GET', `${BASE}/refunds`, undefined],
      ['GET', `${BASE}/refunds/${refund.id}`, undefined],
      ['GET', `${BASE}/reversals`, undefined],
      ['GET', `${BASE}/reversals/${reversal.id}`, undefined],
    ] as const) {
      expect((await kit.request(method, path, { token: reader, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(403);
      expect((await kit.request(method, path, { token: null, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(401);
    }
  });
});
