/**
 * Bank collection files (银行代收) on the kit: rows booked once by bank reference (a file imported twice
 * books nothing more), per-row errors in zh-CN and en, local and offset times, counts on the import row,
 * and tenant isolation. Plus the file reader on its own.
 */
import metering from '@shuiyun/pack-metering';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { readBankFile } from './bank.js';
import { addCharge, chargeStates, makeAccounts } from './testing/money.js';

const BASE = '/api/ext/billing';

describe('the bank file reader', () => {
  it('skips the header, reads yuan exactly and lists bad rows by line', () => {
    const { rows, errors, total } = readBankFile(
      ['bank_ref,account_no,amount,paid_at', 'B1,A1,12.34,2026-03-01 10:00', 'B2,A2,0.1,2026-03-01T10:00:00+08:00', 'B3,A3,1.234,2026-03-01 10:00', 'B4,A4,-5,2026-03-01 10:00', 'B5,A5,5', 'B1,A6,1,2026-03-01 10:00', 'B7,A7,1,yesterday'].join('\n'),
    );
    expect(total).toBe(7);
    expect(rows.map((r) => [r.bankRef, r.amountFen, r.local])).toEqual([
      ['B1', 1234n, true],
      ['B2', 10n, false],
    ]);
    expect(errors.map((e) => [e.line, e.code])).toEqual([
      [4, 'amount_bad'],
      [5, 'amount_not_positive'],
      [6, 'columns'],
      [7, 'repeated_in_file'],
      [8, 'paid_at_bad'],
    ]);
    expect(errors[0]!.message['zh-CN']).toContain('金额');
    expect(errors[0]!.message.en).toContain('amount');
  });
});

describe('bank collection files', () => {
  let kit: PackTestKit;
  let reader: string;

  async function ok(method: string, path: string, body?: unknown) {
    const res = await kit.request(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  beforeAll(async () => {
    // PGlite by default; SHUIYUN_BILLING_TEST_DRIVER=postgres runs the same on the PostgreSQL server (real concurrency).
    kit = await startPackTestKit({ packs: [metering, billing], driver: process.env.SHUIYUN_BILLING_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
    reader = await kit.createUser({ username: 'bank-meter-reader', roles: ['metering-reader'] });
  }, 300_000);
  afterAll(() => kit?.close());

  it('books each row once, counts duplicates, lists the errors in both languages', async () => {
    const [a, b] = await makeAccounts(kit, 2);
    const [closed] = await makeAccounts(kit, 1, { status: 'closed' });
    const charge = await addCharge(kit, a!.id, 5_000n, '2026-01-20');
    const ref = (n: number) => `BK${a!.id}-${n}`;
    const content = [
      'bank_ref,account_no,amount,paid_at',
      `${ref(1)},${a!.accountNo},30.00,2026-03-01 09:30`,
      `${ref(2)},${b!.accountNo},12.5,2026-03-01T01:00:00Z`,
      `${ref(3)},NO-SUCH-ACCOUNT,1.00,2026-03-01 09:30`,
      `${ref(4)},${a!.accountNo},abc,2026-03-01 09:30`,
      `${ref(5)},${closed!.accountNo},1.00,2026-03-01 09:30`,
      `${ref(1)},${a!.accountNo},30.00,2026-03-01 09:30`,
      `${ref(6)},${a!.accountNo},25.00,2026-03-02 10:00`,
    ].join('\n');
    const first = await kit.request('POST', `${BASE}/payments/bank-files`, { body: { fileName: 'ICBC-20260302.csv', content }, locale: 'zh-CN' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ fileName: 'ICBC-20260302.csv', total: 7, booked: 3, duplicates: 0, rejected: 4, amountFen: '6750' });
    expect(first.body.errors.map((e: { line: number; code: string }) => [e.line, e.code])).toEqual([
      [4, 'account_unknown'],
      [5, 'amount_bad'],
      [6, 'account_closed'],
      [7, 'repeated_in_file'],
    ]);
    expect(first.body.errors[0].message).toEqual({ 'zh-CN': '户号 NO-SUCH-ACCOUNT 不存在', en: 'There is no account NO-SUCH-ACCOUNT' });
    const payments = await ok('GET', `${BASE}/payments?channel=bank&accountId=${a!.id}`);
    expect(payments.items.map((p: { externalRef: string; amountFen: string; paidAt: string }) => [p.externalRef, p.amountFen, p.paidAt])).toEqual([
      [ref(6), '2500', '2026-03-02T02:00:00.000Z'],
      [ref(1), '3000', '2026-03-01T01:30:00.000Z'],
    ]);
    expect((await chargeStates(kit, a!.id)).find((c) => c.id === charge)).toMatchObject({ paidFen: 5_000n, allocatedFen: 5_000n });
    expect(await ok('GET', `${BASE}/accounts/${a!.id}/balance`)).toMatchObject({ outstandingFen: '0', creditFen: '500' });

    // the same file again: everything booked is a duplicate, nothing more is booked
    const again = await ok('POST', `${BASE}/payments/bank-files`, { fileName: 'ICBC-20260302.csv', content });
    expect(again).toMatchObject({ total: 7, booked: 0, duplicates: 3, rejected: 4, amountFen: '0' });
    expect((await ok('GET', `${BASE}/payments?channel=bank&accountId=${a!.id}`)).total).toBe(2);
    expect((await ok('GET', `${BASE}/payments?channel=bank&accountId=${b!.id}`)).total).toBe(1);

    const list = await ok('GET', `${BASE}/payments/bank-files`);
    expect(list.items[0]).toMatchObject({ id: again.id, booked: 0, duplicates: 3, errorCount: 4 });
    expect(await ok('GET', `${BASE}/payments/bank-files/${first.body.id}`)).toMatchObject({ booked: 3, errors: expect.any(Array) });
  });

  it('refuses a file without a name or content, and unreadable CSV', async () => {
    expect((await kit.request('POST', `${BASE}/payments/bank-files`, { body: { fileName: '', content: 'x' } })).status).toBe(400);
    expect((await kit.request('POST', `${BASE}/payments/bank-files`, { body: { fileName: 'a.csv', content: ' ' } })).status).toBe(400);
    const bad = await kit.request('POST', `${BASE}/payments/bank-files`, { body: { fileName: 'a.csv', content: 'a,"b\nc,d' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('content');
  });

  it('keeps tenants apart and checks permissions on the bank-file routes', async () => {
    const [a] = await makeAccounts(kit, 1);
    const made = await ok('POST', `${BASE}/payments/bank-files`, { fileName: 'x.csv', content: `ISO-${a!.id},${a!.accountNo},1.00,2026-03-01 09:30` });
    expect(made.booked).toBe(1);
    const other = { token: kit.otherTenant.token };
    // the other tenant does not know the account number: the row is an error there
    const there = await kit.request('POST', `${BASE}/payments/bank-files`, { ...other, body: { fileName: 'x.csv', content: `ISO2-${a!.id},${a!.accountNo},1.00,2026-03-01 09:30` } });
    expect(there.body).toMatchObject({ booked: 0, rejected: 1 });
    expect((await kit.request('GET', `${BASE}/payments/bank-files/${made.id}`, other)).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/payments/bank-files`, other)).body.items.some((i: { id: number }) => i.id === made.id)).toBe(false);
    for (const [method, path, body] of [
      ['POST', `${BASE}/payments/bank-files`, { fileName: 'x.csv', content: 'a,b,1,2026-01-01 00:00' }],
      ['GET', `${BASE}/payments/bank-files`, undefined],
      ['GET', `${BASE}/payments/bank-files/${made.id}`, undefined],
    ] as const) {
      expect((await kit.request(method, path, { token: reader, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(403);
      expect((await kit.request(method, path, { token: null, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(401);
    }
  });
});
