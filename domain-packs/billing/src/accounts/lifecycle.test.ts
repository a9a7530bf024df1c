/**
 * 开户 / 过户 / 销户 / 换表 on a running runtime (metering + billing installed in two tenants): each request
 * runs its approval process and its worker applies the decision. Account numbers are taken at approval,
 * gapless under concurrent approvals; a close is refused while the account owes money or holds credit (at
 * the counter and again when the approval is applied); a meter change waits for the swap that metering
 * records; a second identical submit (same requestKey) answers the first request.
 */
import { definePack } from '@shuiyun/sdk';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import metering from '@shuiyun/pack-metering';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing, { billingManifest } from '../index.js';
import { applyDecision, completeMeterChange } from './apply.js';
import { seedAccounts } from './seed.js';

const B = '/api/ext/billing';
/** The pack as installed: its own seed once index.ts wires it, the accounts seed until then. */
const billingPack = billingManifest.seed ? billing : definePack({ ...billingManifest, seed: seedAccounts });
const RESIDENT_ID = '11010519491231002X'; // GB 11643's worked example
const PNG = `data:image/png;base64,${Buffer.from('not really a png').toString('base64')}`;

describe('account lifecycle requests', () => {
  let kit: PackTestKit;
  const ids = { household: 0, household2: 0, oldMeter: 0, newMeter: 0 };

  const ok = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await kit.request(method, path, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const record = async (entity: string, data: Record<string, unknown>) => (await ok('POST', `/api/entities/${entity}/records`, { data })).id as number;
  const detail = (res: { body: any }) => res.body.error.details[0] as { path: string; message: string };

  /** Completes the approval task of a request and waits for its instance to finish (or to reach the next task). */
  async function decide(request: { instance: string }, decision: 'approve' | 'reject', note = '') {
    const instanceId = Number(request.instance);
    const task = await kit.waitForTask({ instanceId, elementId: 'approve' });
    await kit.completeTask(task.id, { decision, note });
    return instanceId;
  }

  const openBody = (n: number, extra: Record<string, unknown> = {}) => ({
    customer: { kind: 'person', name: `用户${n}`, phone: `1380000${String(n).padStart(4, '0')}` },
    nature: 'residential',
    householdSize: 3,
    address: { community: '阳光小区', building: '1', unit: '2', room: String(100 + n) },
    tariffCode: 'residential',
    ...extra,
  });

  async function openedAccount(n: number, extra: Record<string, unknown> = {}) {
    const request = await ok('POST', `${B}/requests/open`, openBody(n, extra));
    await kit.waitForInstance(await decide(request, 'approve'));
    return ok('GET', `${B}/accounts/${request.accountId}`);
  }

  const charge = (accountId: number, amountFen: number) =>
    kit.services('billing').transaction(async (tx) => {
      const [row] = await tx.query<{ id: string }>(
        `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, amount_fen, due_date, finance_period)
         values ($1, $2::ltree, $3, 'adjustment', $4, '2026-01-31', '2026-01') returning id`,
        [kit.tenant.id, kit.tenant.path, accountId, amountFen],
      );
      return row!.id;
    });
  const waive = (chargeId: string) => kit.services('billing').transaction((tx) => tx.query(`update pack_billing.charges set waived_fen = amount_fen where id = $1`, [chargeId]));

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering, billingPack], driver: process.env.SHUIYUN_BILLING_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
    await ok('PUT', `${B}/settings`, { accountNumber: { prefix: 'BJ', width: 6 } });
    ids.household = await record('metering_household', { accountNo: 'H-0001', name: '王五', community: '阳光小区', building: '3', unit: '1', room: '502' });
    ids.household2 = await record('metering_household', { accountNo: 'H-0002', name: '赵六', community: '阳光小区', building: '3', unit: '1', room: '503' });
    ids.oldMeter = await record('metering_meter', { meterNo: 'M-OLD', kind: 'mechanical', household: ids.household, installedAt: '2024-01-01', initialReadingL: 0, status: 'in_service' });
    ids.newMeter = await record('metering_meter', { meterNo: 'M-NEW', kind: 'mechanical', installedAt: '2025-03-01', initialReadingL: 0, status: 'installed' });
  }, 300_000);
  afterAll(() => kit?.close());

  it('opens an account: pending without a number, numbered and active once approved', async () => {
    const request = await ok('POST', `${B}/requests/open`, {
      ...openBody(1, { householdId: ids.household, documents: [{ name: '身份证.png', dataUrl: PNG }] }),
      customer: { kind: 'person', name: '王五', idNumber: RESIDENT_ID, phone: '138-0000-0001' },
    });
    expect(request).toMatchObject({ kind: 'open', status: 'pending', accountNo: null, documents: [{ index: 0, name: '身份证.png', mediaType: 'image/png', size: 16 }] });
    expect(request.request).toMatchObject({ customerName: '王五', newCustomer: true, tariffCode: 'residential', householdId: ids.household });
    const pending = await ok('GET', `${B}/accounts/${request.accountId}`);
    expect(pending.account).toMatchObject({ accountNo: null, status: 'pending', openedAt: null, householdId: ids.household });
    expect(pending.customer).toMatchObject({ name: '王五', idMasked: '110105********002X', phone: '13800000001' });
    expect(pending.requests).toEqual({ items: [expect.objectContaining({ id: request.id, kind: 'open', status: 'pending' })], total: 1 });
    const doc = await ok('GET', `${B}/requests/${request.id}/documents/0`);
    expect(doc).toMatchObject({ index: 0, name: '身份证.png', dataUrl: PNG, size: 16 });

    const task = await kit.waitForTask({ instanceId: Number(request.instance), elementId: 'approve' });
    expect(task.processId).toBe('billing_account_open');
    expect(task.variables).toMatchObject({ requestId: request.id, customerName: '王五', kind: 'open' });
    await kit.completeTask(task.id, { decision: 'approve', note: '资料齐全' });
    const variables = await kit.waitForInstance(Number(request.instance));
    expect(variables).toMatchObject({ requestStatus: 'done', accountNo: 'BJ000001' });

    const view = await ok('GET', `${B}/accounts/${request.accountId}`);
    expect(view.account).toMatchObject({ accountNo: 'BJ000001', status: 'active' });
    expect(view.account.openedAt).toMatch(/Z$/);
    expect(view.meters).toEqual([expect.objectContaining({ id: ids.oldMeter, meterNo: 'M-OLD' })]);
    expect(view.requests.total).toBe(0);
    const done = await ok('GET', `${B}/requests/${request.id}`);
    expect(done).toMatchObject({ status: 'done', accountNo: 'BJ000001', decisionNote: '资料齐全', request: { accountNo: 'BJ000001' } });
    expect(done.decidedAt).toMatch(/Z$/);
    expect(done.decidedBy).toEqual(expect.any(Number));
    expect((await ok('GET', `${B}/settings`)).accountNumber).toMatchObject({ prefix: 'BJ', width: 6, nextSeq: '2', next: 'BJ000002' });

    // The job delivered again (a retry after a crash): the decision stands, no second number is taken.
    const services = kit.services('billing');
    const again = await services.transaction((tx) => applyDecision(tx, services, { requestId: String(request.id), decision: 'approve', note: null }));
    expect(again).toMatchObject({ requestStatus: 'done', accountNo: 'BJ000001' });
    const flipped = await services.transaction((tx) => applyDecision(tx, services, { requestId: String(request.id), decision: 'reject', note: 'late' }));
    expect(flipped).toMatchObject({ requestStatus: 'done', accountNo: 'BJ000001' });
    expect((await ok('GET', `${B}/settings`)).accountNumber.nextSeq).toBe('2');
    expect((await ok('GET', `${B}/accounts/${request.accountId}`)).account).toMatchObject({ accountNo: 'BJ000001', status: 'active' });
  });

  it('refuses a second account for the same household, an unknown household or tariff', async () => {
    const twice = await kit.request('POST', `${B}/requests/open`, { body: openBody(2, { householdId: ids.household }), locale: 'en' });
    expect(twice.status).toBe(409);
    expect(detail(twice)).toMatchObject({ path: 'body.householdId', message: `Metering household ${ids.household} already has account BJ000001` });
    const unknown = await kit.request('POST', `${B}/requests/open`, { body: openBody(2, { householdId: 99_999_999 }), locale: 'en' });
    expect(unknown.status).toBe(404);
    expect(detail(unknown).path).toBe('body.householdId');
    // A meter record is not a household.
    expect((await kit.request('POST', `${B}/requests/open`, { body: openBody(2, { householdId: ids.oldMeter }) })).status).toBe(404);
    const tariff = await kit.request('POST', `${B}/requests/open`, { body: openBody(2, { tariffCode: 'nope' }), locale: 'zh-CN' });
    expect(tariff.status).toBe(404);
    expect(detail(tariff)).toMatchObject({ path: 'body.tariffCode', message: '没有水价 nope' });
  });

  it('answers a second identical submit (same requestKey) with the first request', async () => {
    const body = openBody(3, { requestKey: 'counter-7-0003' });
    const [a, b] = await Promise.all([kit.request('POST', `${B}/requests/open`, { body }), kit.request('POST', `${B}/requests/open`, { body })]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).toBe(a.body.id);
    const again = await ok('POST', `${B}/requests/open`, body);
    expect(again).toEqual(a.body);
    const rows = await kit.services('billing').transaction((tx) =>
      tx.query<{ n: number; accounts: number; customers: number }>(
        `select (select count(*)::int from pack_billing.account_requests where request_key = 'counter-7-0003') as n,
                (select count(*)::int from pack_billing.accounts a join pack_billing.customers c on c.id = a.customer_id where c.name = '用户3') as accounts,
                (select count(*)::int from pack_billing.customers where name = '用户3') as customers`,
      ),
    );
    expect(rows[0]).toEqual({ n: 1, accounts: 1, customers: 1 });
    const reused = await kit.request('POST', `${B}/requests/close`, { body: { requestKey: 'counter-7-0003', accountId: a.body.accountId, reason: 'x' }, locale: 'en' });
    expect(reused.status).toBe(409);
    expect(detail(reused).path).toBe('body.requestKey');
    await kit.waitForInstance(await decide(a.body, 'reject', '重复'));
  });

  it('rejects an open request: the request rejected, the pending account closed without a number', async () => {
    const request = await ok('POST', `${B}/requests/open`, openBody(4));
    const variables = await kit.waitForInstance(await decide(request, 'reject', '证件不符'));
    expect(variables).toMatchObject({ requestStatus: 'rejected', accountNo: null });
    expect(await ok('GET', `${B}/requests/${request.id}`)).toMatchObject({ status: 'rejected', decisionNote: '证件不符', accountNo: null });
    expect((await ok('GET', `${B}/accounts/${request.accountId}`)).account).toMatchObject({ status: 'closed', accountNo: null });
    expect((await ok('GET', `${B}/settings`)).accountNumber.nextSeq).toBe('2'); // no number taken
  });

  it('numbers five accounts approved at once without a gap or a duplicate', async () => {
    const next = BigInt((await ok('GET', `${B}/settings`)).accountNumber.nextSeq);
    const requests = [];
    for (let n = 10; n < 15; n++) requests.push(await ok('POST', `${B}/requests/open`, openBody(n)));
    const tasks = await Promise.all(requests.map((r) => kit.waitForTask({ instanceId: Number(r.instance), elementId: 'approve' })));
    await Promise.all(tasks.map((t) => kit.completeTask(t.id, { decision: 'approve' })));
    const results = await Promise.all(requests.map((r) => kit.waitForInstance(Number(r.instance))));
    const numbers = results.map((v) => v.accountNo as string).sort();
    const expected = [0n, 1n, 2n, 3n, 4n].map((i) => `BJ${String(next + i).padStart(6, '0')}`);
    expect(numbers).toEqual(expected);
    for (const r of requests) expect((await ok('GET', `${B}/accounts/${r.accountId}`)).account.status).toBe('active');
    expect((await ok('GET', `${B}/settings`)).accountNumber.nextSeq).toBe(String(next + 5n));
  });

  it('transfers an account to a new customer after approval, keeping the history in the request', async () => {
    const view = await openedAccount(20);
    const from = view.customer;
    const request = await ok('POST', `${B}/requests/transfer`, { accountId: view.account.id, customer: { kind: 'person', name: '新户主', phone: '13912345678' }, documents: [{ name: '房产证.pdf', dataUrl: 'data:application/pdf;base64,JVBERi0=' }] });
    expect(request).toMatchObject({ kind: 'transfer', status: 'pending', request: { fromCustomerId: from.id, fromCustomerName: '用户20', toCustomerName: '新户主', newCustomer: true } });
    // One running request per account.
    const second = await kit.request('POST', `${B}/requests/close`, { body: { accountId: view.account.id, reason: '搬走' }, locale: 'en' });
    expect(second.status).toBe(409);
    expect(detail(second).message).toContain(`has request ${request.id} (Transfer) running`);
    await kit.waitForInstance(await decide(request, 'approve'));
    const after = await ok('GET', `${B}/accounts/${view.account.id}`);
    expect(after.customer).toMatchObject({ name: '新户主', id: request.request.toCustomerId });
    expect(after.account.accountNo).toBe(view.account.accountNo);
    expect((await ok('GET', `${B}/requests/${request.id}`)).request).toMatchObject({ fromCustomerName: '用户20', toCustomerName: '新户主', transferredAt: expect.any(String) });
    // The search finds the account by the new name, not the old one.
    expect((await ok('GET', `${B}/accounts?q=${encodeURIComponent('新户主')}`)).items.map((a: { id: number }) => a.id)).toEqual([view.account.id]);
    expect((await ok('GET', `${B}/accounts?q=${encodeURIComponent('用户20')}`)).total).toBe(0);
    // To the same customer: refused.
    const same = await kit.request('POST', `${B}/requests/transfer`, { body: { accountId: view.account.id, customerId: after.customer.id } });
    expect(same.status).toBe(400);
    expect(detail(same).path).toBe('body.customerId');
  });

  it('refuses to close an account that owes money or holds credit, at the counter and when approved', async () => {
    const view = await openedAccount(30);
    const accountId = view.account.id as number;
    const chargeId = await charge(accountId, 1234);
    const owed = await kit.request('POST', `${B}/requests/close`, { body: { accountId, reason: '拆迁' }, locale: 'zh-CN' });
    expect(owed.status).toBe(409);
    expect(detail(owed)).toMatchObject({ path: 'body.accountId', message: `账户 ${view.account.accountNo} 尚欠 12.34 元，结清后才能销户` });
    const owedEn = await kit.request('POST', `${B}/requests/close`, { body: { accountId, reason: '拆迁' }, locale: 'en' });
    expect(detail(owedEn).message).toBe(`Account ${view.account.accountNo} still owes 12.34 yuan; it can be closed once that is paid`);
    expect((await ok('GET', `${B}/accounts/${accountId}`)).balance).toMatchObject({ outstandingFen: '1234', dueFen: '1234' });

    await waive(chargeId);
    const request = await ok('POST', `${B}/requests/close`, { accountId, reason: '拆迁' });
    // A charge arrives between the request and its approval: the approval does not close the account.
    const late = await charge(accountId, 500);
    const refused = await kit.waitForInstance(await decide(request, 'approve'));
    expect(refused).toMatchObject({ requestStatus: 'rejected' });
    const row = await ok('GET', `${B}/requests/${request.id}`);
    expect(row.status).toBe('rejected');
    expect(row.decisionNote).toContain('尚欠 5.00 元');
    expect((await ok('GET', `${B}/accounts/${accountId}`)).account.status).toBe('active');

    await waive(late);
    const again = await ok('POST', `${B}/requests/close`, { accountId, reason: '拆迁' });
    expect(await kit.waitForInstance(await decide(again, 'approve'))).toMatchObject({ requestStatus: 'done' });
    const closed = await ok('GET', `${B}/accounts/${accountId}`);
    expect(closed.account.status).toBe('closed');
    expect(closed.account.closedAt).toMatch(/Z$/);
    const more = await kit.request('POST', `${B}/requests/transfer`, { body: { accountId, customerId: view.customer.id }, locale: 'en' });
    expect(more.status).toBe(409);
    expect(detail(more).message).toContain('is closed');
  });

  it('refuses to close an account holding prepaid credit', async () => {
    const view = await openedAccount(31);
    await kit.services('billing').transaction((tx) =>
      tx.query(
        `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, finance_period) values ($1, $2::ltree, $3, 'cash', 2000, '2026-01')`,
        [kit.tenant.id, kit.tenant.path, view.account.id],
      ),
    );
    const res = await kit.request('POST', `${B}/requests/close`, { body: { accountId: view.account.id, reason: '搬走' }, locale: 'en' });
    expect(res.status).toBe(409);
    expect(detail(res).message).toBe(`Account ${view.account.accountNo} holds 20.00 yuan of prepaid credit; refund it before closing`);
  });

  it('changes a meter: approval, the field task, then done once metering records the swap', async () => {
    const view = await openedAccount(40, { householdId: ids.household2 });
    const meter = await record('metering_meter', { meterNo: 'M-40', kind: 'mechanical', household: ids.household2, installedAt: '2024-01-01', initialReadingL: 0, status: 'in_service' });
    const notLinked = await kit.request('POST', `${B}/requests/meter-change`, { body: { accountId: view.account.id, oldMeterId: ids.oldMeter, newMeterNo: 'M-NEW', reason: '表停走' }, locale: 'en' });
    expect(notLinked.status).toBe(400);
    expect(detail(notLinked).path).toBe('body.oldMeterId');
    const request = await ok('POST', `${B}/requests/meter-change`, { accountId: view.account.id, oldMeterId: meter, newMeterNo: 'M-NEW', reason: '表停走' });
    expect(request.request).toEqual({ oldMeterId: meter, oldMeterNo: 'M-40', newMeterNo: 'M-NEW', reason: '表停走' });
    const instanceId = await decide(request, 'approve');
    const field = await kit.waitForTask({ instanceId, elementId: 'field_swap' });
    expect(field.variables).toMatchObject({ oldMeterNo: 'M-40', newMeterNo: 'M-NEW', requestStatus: 'approved' });
    // Who may take the tasks: the pack's approver role (billing-approver), and metering's operators for the swap.
    const groups = await kit.services('billing').transaction((tx) =>
      tx.query<{ element_id: string; candidate_groups: string[] }>(`select element_id, candidate_groups from workflow_user_tasks where instance_id = $1 order by id`, [instanceId]),
    );
    expect(groups).toEqual([
      { element_id: 'approve', candidate_groups: ['billing-approver'] },
      { element_id: 'field_swap', candidate_groups: ['metering-operator', 'billing-approver'] },
    ]);
    expect((await ok('GET', `${B}/requests/${request.id}`)).status).toBe('approved');

    // Completed before the swap is recorded: the check fails, retried, then an incident saying why.
    await kit.completeTask(field.id, { fieldNote: '已到现场' });
    const incident = await kit.until(
      async () => (await ok('GET', `/api/workflow/incidents?instanceId=${instanceId}&state=open`)).items[0] as { id: number; message: string } | undefined,
      { timeoutMs: 30_000, what: 'the incident of the missing swap' },
    );
    expect(incident.message).toContain('No swap of meter M-40');
    expect((await ok('GET', `${B}/requests/${request.id}`)).status).toBe('approved');

    await ok('POST', '/api/ext/metering/swaps', { oldMeterId: meter, newMeterId: ids.newMeter, swappedAt: '2025-03-15 10:00', oldFinalL: 123456, newInitialL: 0, reason: '表停走' });
    await ok('POST', `/api/workflow/incidents/${incident.id}/retry`, { retries: 1 });
    const variables = await kit.waitForInstance(instanceId, { timeoutMs: 20_000 });
    expect(variables).toMatchObject({ requestStatus: 'done', newMeterNo: 'M-NEW' });
    const done = await ok('GET', `${B}/requests/${request.id}`);
    expect(done.status).toBe('done');
    expect(done.request.swap).toMatchObject({ newMeterId: ids.newMeter, newMeterNo: 'M-NEW', oldFinalL: '123456', newInitialL: '0', swappedAt: '2025-03-15T02:00:00.000Z' });
    // Checked again (a redelivered job): the same answer, nothing written twice.
    const services = kit.services('billing');
    expect(await services.transaction((tx) => completeMeterChange(tx, services, String(request.id)))).toEqual({ requestStatus: 'done', swapId: done.request.swap.id, newMeterNo: 'M-NEW' });
    // The old meter is swapped out now: another change of it is refused.
    const again = await kit.request('POST', `${B}/requests/meter-change`, { body: { accountId: view.account.id, oldMeterId: meter, newMeterNo: 'M-99', reason: 'x' } });
    expect(again.status).toBe(409);
  }, 60_000);

  it('lists requests by account, status and kind; another tenant sees none of them', async () => {
    const all = await ok('GET', `${B}/requests?pageSize=100`);
    expect(all.total).toBeGreaterThan(10);
    const rejected = await ok('GET', `${B}/requests?status=rejected&kind=open`);
    expect(rejected.items.every((r: { status: string; kind: string }) => r.status === 'rejected' && r.kind === 'open')).toBe(true);
    expect(rejected.total).toBe(2);
    const first = all.items.at(-1);
    expect((await ok('GET', `${B}/requests?accountId=${first.accountId}`)).items.map((r: { id: number }) => r.id)).toContain(first.id);
    expect(all.items[0].documents.every((d: Record<string, unknown>) => !('dataUrl' in d))).toBe(true);

    const other = kit.otherTenant.token;
    expect((await kit.request('GET', `${B}/requests`, { token: other })).body.total).toBe(0);
    expect((await kit.request('GET', `${B}/requests/${first.id}`, { token: other })).status).toBe(404);
    expect((await kit.request('GET', `${B}/requests/${first.id}/documents/0`, { token: other })).status).toBe(404);
    const transfer = await kit.request('POST', `${B}/requests/transfer`, { token: other, body: { accountId: first.accountId, customer: { kind: 'person', name: '外人' } } });
    expect(transfer.status).toBe(404);
    expect(detail(transfer).path).toBe('body.accountId');
    expect((await kit.request('POST', `${B}/requests/close`, { token: other, body: { accountId: first.accountId, reason: 'x' } })).status).toBe(404);
    expect((await kit.request('POST', `${B}/requests/meter-change`, { token: other, body: { accountId: first.accountId, oldMeterId: ids.oldMeter, newMeterNo: 'X', reason: 'x' } })).status).toBe(404);
    // The other tenant's counter cannot link this tenant's metering household either.
    const foreign = await kit.request('POST', `${B}/requests/open`, { token: other, body: openBody(50, { householdId: ids.household2 }) });
    expect(foreign.status).toBe(404);
    expect(detail(foreign).path).toBe('body.householdId');
  });

  it('guards every request route: 401 without a token, 403 without the permission, 400 naming the field', async () => {
    const reader = await kit.createUser({ username: 'reader.lifecycle', roles: ['metering-reader'] });
    const routes: [string, string, unknown][] = [
      ['POST', '/requests/open', openBody(60)],
      ['POST', '/requests/transfer', { accountId: 1, customerId: 1 }],
      ['POST', '/requests/close', { accountId: 1, reason: 'x' }],
      ['POST', '/requests/meter-change', { accountId: 1, oldMeterId: 1, newMeterNo: 'X', reason: 'x' }],
      ['GET', '/requests', undefined],
      ['GET', '/requests/1', undefined],
      ['GET', '/requests/1/documents/0', undefined],
    ];
    for (const [method, path, body] of routes) {
      expect((await kit.request(method, `${B}${path}`, { token: null, ...(body ? { body } : {}) })).status, `${method} ${path} without a token`).toBe(401);
      expect((await kit.request(method, `${B}${path}`, { token: reader, ...(body ? { body } : {}) })).status, `${method} ${path} as a reader`).toBe(403);
    }
    const bad = async (path: string, body: unknown, field: string, status = 400) => {
      const res = await kit.request('POST', `${B}${path}`, { body, locale: 'en' });
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(status);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    };
    await bad('/requests/open', { ...openBody(61), nature: 'castle' }, 'body.nature');
    await bad('/requests/open', { ...openBody(61), householdSize: 0 }, 'body.householdSize');
    await bad('/requests/open', { ...openBody(61), address: { community: '' } }, 'body.address.community');
    await bad('/requests/open', { ...openBody(61), customer: undefined }, 'body.customerId');
    await bad('/requests/open', { ...openBody(61), customerId: 1 }, 'body.customerId');
    await bad('/requests/open', { ...openBody(61), customer: { kind: 'person', name: '坏证件', idNumber: '110105194912310021' } }, 'body.customer.idNumber');
    await bad('/requests/open', { ...openBody(61), documents: [{ name: 'a.txt', dataUrl: 'hello' }] }, 'body.documents.0.dataUrl');
    const big = `data:application/pdf;base64,${'A'.repeat(Math.ceil((5 * 1024 * 1024 + 3) / 3) * 4)}`;
    await bad('/requests/open', { ...openBody(61), documents: [{ name: 'big.pdf', dataUrl: big }] }, 'body.documents.0.dataUrl');
    await bad('/requests/open', { ...openBody(61), surprise: 1 }, 'body');
    await bad('/requests/close', { accountId: 'abc', reason: 'x' }, 'body.accountId');
    await bad('/requests/close', { accountId: 1, reason: '' }, 'body.reason');
    await bad('/requests/meter-change', { accountId: 1, oldMeterId: 1, newMeterNo: 'bad no!', reason: 'x' }, 'body.newMeterNo');
    await bad('/requests/transfer', { accountId: 99_999_999, customerId: 1 }, 'body.accountId', 404);
    expect((await kit.request('GET', `${B}/requests?status=lost`)).status).toBe(400);
    expect((await kit.request('GET', `${B}/requests/abc`)).status).toBe(400);
    expect((await kit.request('GET', `${B}/requests/99999999`)).status).toBe(404);
  });
});
