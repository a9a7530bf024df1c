/**
 * The billing pack's pages in a real browser (headless Chromium through the kit's `openApp`): the menu; the
 * counter taking a payment at a cashier's desktop (1366 × 768, signed in as a `billing-cashier`) in two
 * clicks — the cursor starts in the search, the account number is typed, a click picks the account (the
 * amount due is filled in and the cursor moves to the cash tendered), the cash is typed, a click on 收费 —
 * with the receipt number and the change shown, and a third decimal of yuan refused under its field
 * without a request; the account's 360° view following a pick; a bank file (GB18030, as Chinese banks
 * write them) read in the browser and imported; a receipt voided through a row action's form; the billing
 * run console following a run's progress until it is done; the dashboard without an error block. Every
 * step is checked against the pack's API too. An account opening is taken as one request (nested customer and
 * address, an ID photo as a named document, a request key). Screenshots go to `.e2e-screenshots/billing-pages/`.
 *
 * Fixture: account CTR-0001 (赵六, 幸福小区 1号楼 2单元 301) with a 2026-02 bill of 123.45 元 past due; account
 * CTR-0002 (钱七) with nothing owed. Times are Asia/Shanghai.
 */
import { definePack } from '@shuiyun/sdk';
import { startPackTestKit, type KitApp, type PackTestKit } from '@shuiyun/sdk/testing';
import metering from '@shuiyun/pack-metering';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingManifest } from './index.js';
import { presentation } from './presentation.js';

const billing = definePack({ ...billingManifest, ...presentation });
const BASE = '/api/ext/billing';
/** Browser steps wait this long for what the page should come to show (another test run may share the CPU). */
const SHOW_MS = 60_000;
/** A local date (Asia/Shanghai) `days` from today. */
const localDay = (days: number) => new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
/** `银行流水号,户号,金额,缴费时间` in GB18030 (GBK): the header line a Chinese bank writes. */
const GBK_HEADER = Buffer.from('d2f8d0d0c1f7cbaebac52cbba7bac52cbdf0b6ee2cbdc9b7d1cab1bce4', 'hex');

describe('billing pages in Chromium', () => {
  let kit: PackTestKit;
  let desk: KitApp;
  const accounts = { owing: '', paid: '' };
  const problems: string[] = [];
  let receiptNo = '';
  const watch = (app: KitApp) => app.page.on('pageerror', (error) => problems.push(error.message));
  const api = async (path: string) => {
    const res = await kit.request('GET', `${BASE}${path}`);
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const open = async (app: KitApp, route: string) => {
    await app.page.getByTestId(`menu-${route}`).click();
    await app.page.waitForURL(new RegExp(`/app/p/${route}$`));
    return app.page.locator(`[data-testid=app-page][data-route=${route}]`);
  };

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering, billing] });
    const { id: tenantId, path } = kit.tenant;
    await kit.services('billing').transaction(async (tx) => {
      const customers = await tx.query<{ id: string }>(
        `insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone) values ($1, $2::ltree, 'person', '赵六', '13911110001'), ($1, $2::ltree, 'person', '钱七', '13911110002') returning id::text`,
        [tenantId, path],
      );
      const rows = await tx.query<{ id: string; account_no: string }>(
        `insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, community, building, unit, room, tariff_code, status, opened_at)
         values ($1, $2::ltree, 'CTR-0001', $3::bigint, 'residential', '幸福小区', '1号楼', '2单元', '301', 'residential', 'active', now()),
                ($1, $2::ltree, 'CTR-0002', $4::bigint, 'residential', '幸福小区', '2号楼', '1单元', '102', 'residential', 'active', now())
         returning id::text, account_no`,
        [tenantId, path, customers[0]!.id, customers[1]!.id],
      );
      accounts.owing = rows.find((r) => r.account_no === 'CTR-0001')!.id;
      accounts.paid = rows.find((r) => r.account_no === 'CTR-0002')!.id;
      const [bill] = await tx.query<{ id: string }>(
        `insert into pack_billing.bills (tenant_id, tenant_path, account_id, period, period_start, period_end, volume_l, amount_fen, tariff_code, due_date, finance_period)
         values ($1, $2::ltree, $3::bigint, '2026-02', '2026-01-31T16:00:00Z', '2026-02-28T16:00:00Z', 20150, 12345, 'residential', $4::date, to_char(now() at time zone 'Asia/Shanghai', 'YYYY-MM'))
         returning id::text`,
        [tenantId, path, accounts.owing, localDay(-3)],
      );
      await tx.query(
        `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, bill_id, amount_fen, due_date, finance_period)
         values ($1, $2::ltree, $3::bigint, 'bill', $4::bigint, 12345, $5::date, to_char(now() at time zone 'Asia/Shanghai', 'YYYY-MM'))`,
        [tenantId, path, accounts.owing, bill!.id, localDay(-3)],
      );
    });
    desk = await kit.openApp();
    watch(desk);
  }, 600_000);
  afterAll(() => kit?.close());

  it('shows the pack’s pages in the menu, in its order', async () => {
    const { page } = desk;
    const titles: [string, string][] = [
      ['billing-dashboard', '营业看板'],
      ['billing-counter', '柜台收费'],
      ['billing-accounts', '用户360'],
      ['billing-open', '开户'],
      ['billing-runs', '计费控制台'],
      ['billing-arrears', '欠费管理'],
      ['billing-finance', '财务'],
    ];
    for (const [route, title] of titles) expect((await page.getByTestId(`menu-${route}`).textContent())?.trim()).toBe(title);
    const order = await page.locator('[data-testid^=menu-billing-]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(order).toEqual(titles.map(([route]) => `menu-${route}`));
    await desk.screenshot('menu');
  }, 120_000);

  it('takes a counter payment in two clicks at a cashier’s desk, with the receipt and the change shown', async () => {
    const token = await kit.createUser({ username: 'counter-cashier', roles: ['billing-cashier'] });
    const me = await kit.request('GET', '/api/auth/me', { token });
    const cashierId = Number(me.body.user?.id ?? me.body.id);
    const cashier = await kit.openApp({ token, width: 1366, height: 768 });
    watch(cashier);
    const { page } = cashier;
    try {
      const posts: string[] = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === `${BASE}/payments`) posts.push(req.postData() ?? '');
      });
      await page.getByTestId('menu-billing-counter').click();
      await page.waitForURL(/\/app\/p\/billing-counter$/);
      const form = page.getByTestId('block-ext-form').filter({ hasText: '柜台收费' }).getByTestId('ext-form');
      const search = form.getByTestId('ext-field-accountId').locator('input');
      const amount = form.getByTestId('ext-field-amountFen').locator('input');
      const tendered = form.getByTestId('ext-field-tenderedFen').locator('input');
      const focused = (input: Locator) => input.evaluate((el) => el.matches(':focus'));
      await search.waitFor({ timeout: SHOW_MS });

      // The clicks the cashier makes, counted: the counter must take a payment in three or fewer.
      let clicks = 0;
      const click = async (target: Locator) => {
        clicks += 1;
        await target.click();
      };

      // The cursor is in the search already: type the account number, no click.
      await kit.until(() => focused(search), { timeoutMs: SHOW_MS, what: 'the cursor in the account search' });
      await page.keyboard.type('CTR-0001');
      const option = form.getByTestId('ext-lookup-option').filter({ hasText: 'CTR-0001' });
      await option.waitFor({ timeout: SHOW_MS });
      expect(await option.textContent()).toContain('赵六');
      await cashier.screenshot('counter-search');
      await click(option); // click 1: the account
      await form.getByTestId('ext-lookup-chosen').waitFor();
      // The amount due is filled in, the balance shown, and the cursor has moved on to the cash tendered.
      await kit.until(async () => (await amount.inputValue()) === '123.45', { timeoutMs: SHOW_MS, what: 'the amount due filled in' });
      expect(await form.getByTestId('ext-lookup-show-outstandingFen').textContent()).toContain('¥123.45');
      await kit.until(() => focused(tendered), { timeoutMs: SHOW_MS, what: 'the cursor in the cash tendered' });
      await page.keyboard.type('200');
      expect(await form.getByTestId('ext-field-tenderedFen').getByTestId('ext-money-preview').textContent()).toContain('¥200.00');
      await cashier.screenshot('counter-filled-1366');
      await click(form.getByTestId('ext-form-submit')); // click 2: 收费
      const result = form.getByTestId('ext-form-result');
      await result.waitFor({ timeout: SHOW_MS });
      expect(clicks).toBe(2);
      expect(clicks).toBeLessThanOrEqual(3);

      receiptNo = (await result.getByTestId('ext-result-receiptNo').textContent())!.trim();
      expect(receiptNo).toMatch(/^R\d{8}$/);
      expect(await result.getByTestId('ext-result-changeFen').textContent()).toBe('¥76.55');
      expect(await result.getByTestId('ext-result-payment.amountFen').textContent()).toBe('¥123.45');
      expect(await result.getByTestId('ext-result-balance.outstandingFen').textContent()).toBe('¥0.00');
      await cashier.screenshot('counter-paid-1366');
      // Ready for the next customer: the form is empty and the cursor back in the search.
      await kit.until(() => focused(search), { timeoutMs: SHOW_MS, what: 'the cursor back in the search' });
      expect(await amount.inputValue()).toBe('');

      // What was sent: exact fen, a request key; and what the pack booked.
      expect(posts).toHaveLength(1);
      const sent = JSON.parse(posts[0]!) as Record<string, unknown>;
      expect(sent).toMatchObject({ accountId: Number(accounts.owing), amountFen: '12345', tenderedFen: '20000', channel: 'cash' });
      expect(sent.requestKey).toMatch(/^[0-9a-f-]{36}$/);
      const payments = await api(`/payments?accountId=${accounts.owing}`);
      expect(payments.items).toHaveLength(1);
      expect(payments.items[0]).toMatchObject({ channel: 'cash', amountFen: '12345', tenderedFen: '20000', changeFen: '7655', cashierId, status: 'booked' });
      const receipts = await api(`/receipts?accountId=${accounts.owing}`);
      expect(receipts.items.map((r: Record<string, unknown>) => [r.receiptNo, r.amountFen, r.status])).toEqual([[receiptNo, '12345', 'issued']]);
      expect(await api(`/accounts/${accounts.owing}/balance`)).toMatchObject({ outstandingFen: '0', creditFen: '0' });

      // Today's payments (a table of the page) shows it.
      const today = page.getByTestId('block-ext-table').filter({ hasText: '今日收费' });
      await today.locator('tr.ant-table-row').filter({ hasText: '¥123.45' }).waitFor({ timeout: SHOW_MS });

      // A third decimal of yuan is refused under its field, and nothing is sent.
      await search.click();
      await page.keyboard.type('CTR-0002');
      await form.getByTestId('ext-lookup-option').filter({ hasText: 'CTR-0002' }).click({ timeout: SHOW_MS });
      await form.getByTestId('ext-lookup-chosen').waitFor();
      await kit.until(async () => (await amount.inputValue()) === '0.00', { timeoutMs: SHOW_MS, what: 'nothing due filled in' });
      await amount.fill('10.005');
      await form.getByTestId('ext-form-submit').click();
      const error = form.getByTestId('ext-field-amountFen').locator('.ant-form-item-explain-error');
      await error.waitFor();
      expect(await error.textContent()).toBe('金额最多精确到分（最多 2 位小数）');
      await cashier.screenshot('counter-refused-1366');
      expect(posts).toHaveLength(1);
      expect((await api(`/payments?accountId=${accounts.paid}`)).total).toBe(0);
      // Nothing wider than the desk's screen.
      expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(1366);
    } finally {
      await cashier.close();
    }
  }, 240_000);

  it('shows an account’s bills, payments and receipts once it is picked in the 360° view', async () => {
    const { page } = desk;
    const view = await open(desk, 'billing-accounts');
    const bills = view.getByTestId('block-ext-table').filter({ hasText: '账单' }).first();
    // Before a pick, the following tables wait for one.
    await bills.getByText('请先在本页选择一条记录').waitFor({ timeout: SHOW_MS });
    const list = view.getByTestId('block-ext-table').filter({ hasText: '用户账户' });
    const row = list.locator('tr.ant-table-row').filter({ hasText: 'CTR-0001' });
    await row.waitFor({ timeout: SHOW_MS });
    await row.getByTestId('ext-row-action').filter({ hasText: /查\s*看/ }).click();
    const bill = bills.locator('tr.ant-table-row').filter({ hasText: '2026-02' });
    await bill.waitFor({ timeout: SHOW_MS });
    expect(await bill.locator('[data-status]').textContent()).toBe('已缴清');
    expect(await bill.textContent()).toContain('¥123.45');
    const payments = view.getByTestId('block-ext-table').filter({ hasText: '收费记录' });
    await payments.locator('tr.ant-table-row').filter({ hasText: '¥76.55' }).waitFor({ timeout: SHOW_MS });
    const receipts = view.getByTestId('block-ext-table').filter({ hasText: '票据' }).filter({ hasNotText: '收费记录' });
    await receipts.locator('tr.ant-table-row').filter({ hasText: receiptNo }).waitFor({ timeout: SHOW_MS });
    await desk.screenshot('account-360');
    // The other account, picked with the search: its tables follow.
    // The search shows the account picked in the list, and picks another.
    const picker = view.getByTestId('block-ext-form').filter({ hasText: '用户360' });
    await picker.getByTestId('ext-lookup-chosen').filter({ hasText: 'CTR-0001' }).waitFor({ timeout: SHOW_MS });
    await kit.until(async () => (await picker.getByTestId('ext-lookup-show-outstandingFen').textContent())?.includes('¥0.00'), { timeoutMs: SHOW_MS, what: 'the picked account’s balance' });
    await picker.getByTestId('ext-lookup-change').click();
    await picker.getByTestId('ext-field-account').locator('input').click();
    // By phone (the fixture's accounts were inserted without the name search's grams).
    await page.keyboard.type('13911110002');
    await picker.getByTestId('ext-lookup-option').filter({ hasText: 'CTR-0002' }).click({ timeout: SHOW_MS });
    expect(await picker.getByTestId('ext-lookup-chosen').textContent()).toContain('钱七');
    await kit.until(async () => (await bill.count()) === 0 && (await bills.locator('.sy-block-empty').textContent())?.includes('暂无数据'), {
      timeoutMs: SHOW_MS,
      what: 'the other account’s bills: none',
    });
    await desk.screenshot('account-360-picked');
  }, 240_000);

  it('takes an account opening with its customer, address and an ID photo, as one request', async () => {
    const { page } = desk;
    const posts: string[] = [];
    const listener = (req: { method(): string; url(): string; postData(): string | null }) => {
      if (req.method() === 'POST' && new URL(req.url()).pathname === `${BASE}/requests/open`) posts.push(req.postData() ?? '');
    };
    page.on('request', listener);
    try {
      const view = await open(desk, 'billing-open');
      const form = view.getByTestId('block-ext-form').filter({ hasText: '开户申请' });
      const name = form.getByTestId('ext-field-customer.name').locator('input');
      await name.waitFor({ timeout: SHOW_MS });
      // The cursor starts in the name.
      await kit.until(() => name.evaluate((el) => el.matches(':focus')), { timeoutMs: SHOW_MS, what: 'the cursor in the name' });
      await page.keyboard.type('孙八');
      await form.getByTestId('ext-field-customer.phone').locator('input').fill('13922220003');
      await form.getByTestId('ext-field-address.community').locator('input').fill('幸福小区');
      await form.getByTestId('ext-field-address.building').locator('input').fill('3号楼');
      await form.getByTestId('ext-field-address.room').locator('input').fill('501');
      // A 2 × 2 PNG as the ID card's photo: downscaled to a JPEG in the browser.
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFElEQVR4nGP4z8DAwPAfhP7//w8AH+4F+3uLQwgAAAAASUVORK5CYII=', 'base64');
      await form.getByTestId('ext-field-idFront').getByTestId('ext-photo-file').setInputFiles({ name: 'id.png', mimeType: 'image/png', buffer: png });
      await form.getByTestId('ext-field-idFront').locator('img').waitFor({ timeout: SHOW_MS });
      await desk.screenshot('open-filled');
      await form.getByTestId('ext-form-submit').click();
      const result = form.getByTestId('ext-form-result');
      await result.waitFor({ timeout: SHOW_MS });
      const requestId = Number((await result.getByTestId('ext-result-id').textContent())!.trim());
      expect(await result.getByTestId('ext-result-status').textContent()).toBe('待审批');
      await desk.screenshot('open-submitted');

      expect(posts).toHaveLength(1);
      const sent = JSON.parse(posts[0]!) as Record<string, unknown>;
      expect(sent).toMatchObject({
        customer: { kind: 'person', name: '孙八', phone: '13922220003' },
        nature: 'residential',
        householdSize: 3,
        address: { community: '幸福小区', building: '3号楼', room: '501' },
        tariffCode: 'residential',
        documents: [{ name: '身份证正面.jpg', dataUrl: expect.stringMatching(/^data:image\/jpeg;base64,/) }],
      });
      expect(sent.requestKey).toMatch(/^[0-9a-f-]{36}$/);
      const request = await api(`/requests/${requestId}`);
      expect(request).toMatchObject({ kind: 'open', status: 'pending', documents: [{ index: 0, name: '身份证正面.jpg', mediaType: 'image/jpeg' }] });
      // The requests table of the page lists it.
      const requests = view.getByTestId('block-ext-table').filter({ hasText: '业务受理' });
      await requests.locator('tr.ant-table-row').filter({ has: page.getByRole('cell', { name: String(requestId), exact: true }) }).locator('[data-status=pending]').waitFor({ timeout: SHOW_MS });
    } finally {
      page.off('request', listener);
    }
  }, 240_000);

  it('imports a bank file read in the browser, and voids a receipt through a row action’s form', async () => {
    const { page } = desk;
    const view = await open(desk, 'billing-finance');
    const importer = view.getByTestId('block-ext-form').filter({ hasText: '银行代收文件导入' });
    const content = Buffer.concat([GBK_HEADER, Buffer.from(`\r\nBK-20260301-1,CTR-0002,50.00,${localDay(0)} 09:30\r\n`)]);
    await importer.getByTestId('ext-file-input').setInputFiles({ name: 'bank-collection.csv', mimeType: 'text/csv', buffer: content });
    expect(await importer.getByTestId('ext-file-chosen').textContent()).toContain('bank-collection.csv（2 行');
    await importer.getByTestId('ext-form-submit').click();
    const result = importer.getByTestId('ext-form-result');
    await result.waitFor({ timeout: SHOW_MS });
    // The GB18030 header was read as text and skipped: one row, booked.
    expect(await result.getByTestId('ext-result-total').textContent()).toBe('1');
    expect(await result.getByTestId('ext-result-booked').textContent()).toBe('1');
    expect(await result.getByTestId('ext-result-amountFen').textContent()).toBe('¥50.00');
    await desk.screenshot('bank-file-imported');
    const files = await api('/payments/bank-files');
    expect(files.items[0]).toMatchObject({ fileName: 'bank-collection.csv', total: 1, booked: 1, rejected: 0, amountFen: '5000' });
    expect((await api(`/payments?accountId=${accounts.paid}`)).items[0]).toMatchObject({ channel: 'bank', amountFen: '5000' });

    const receipts = view.getByTestId('block-ext-table').filter({ has: page.getByText('作废原因', { exact: true }) });
    const row = receipts.locator('tr.ant-table-row').filter({ hasText: receiptNo });
    await row.waitFor({ timeout: SHOW_MS });
    await row.getByTestId('ext-row-action').filter({ hasText: /作\s*废/ }).click();
    const dialog = page.locator('.ant-modal').filter({ hasText: '作废原因' });
    await dialog.waitFor();
    // The reason is required: refused in the form, nothing sent.
    await dialog.locator('.ant-modal-footer .ant-btn-primary').click();
    await dialog.locator('.ant-form-item-explain-error').waitFor();
    await dialog.locator('textarea').fill('打印机卡纸');
    await desk.screenshot('void-form');
    await dialog.locator('.ant-modal-footer .ant-btn-primary').click();
    await dialog.waitFor({ state: 'hidden' });
    await row.locator('[data-status=voided]').waitFor({ timeout: SHOW_MS });
    expect(await row.getByTestId('ext-row-action').count()).toBe(0);
    const voided = await api(`/receipts?accountId=${accounts.owing}`);
    expect(voided.items[0]).toMatchObject({ receiptNo, status: 'voided', voidReason: '打印机卡纸' });
  }, 240_000);

  it('follows a billing run’s progress in the console until it is done', async () => {
    const { id: tenantId, path } = kit.tenant;
    const [run] = await kit.services('billing').transaction((tx) =>
      tx.query<{ id: string }>(
        `insert into pack_billing.runs (tenant_id, tenant_path, period, scope, starts_at, ends_at, status, total, done, bills, amount_fen, started_at)
         values ($1, $2::ltree, '2025-12', '*', '2025-11-30T16:00:00Z', '2025-12-31T16:00:00Z', 'running', 10, 4, 4, 48000, now()) returning id::text`,
        [tenantId, path],
      ),
    );
    const view = await open(desk, 'billing-runs');
    const runs = view.getByTestId('block-ext-table').filter({ hasText: '计费批次' });
    const row = runs.locator('tr.ant-table-row').filter({ hasText: '2025-12' });
    await row.locator('[data-status=running]').waitFor({ timeout: SHOW_MS });
    expect(await row.locator('[data-status]').textContent()).toBe('计费中');
    expect(await row.locator('.ant-progress').getAttribute('aria-label')).toBe('4/10');
    expect(await row.textContent()).toContain('¥480.00');
    expect(await runs.getByTestId('ext-table-refreshing').count()).toBe(1);
    await desk.screenshot('run-running');
    // The run moves on: the console refreshes itself while a run is busy.
    await kit.services('billing').transaction((tx) => tx.query(`update pack_billing.runs set status = 'done', done = 10, bills = 10, amount_fen = 120000, finished_at = now() where id = $1::bigint`, [run!.id]));
    await row.locator('[data-status=done]').waitFor({ timeout: SHOW_MS });
    expect(await row.locator('.ant-progress').getAttribute('aria-label')).toBe('10/10');
    expect(await row.textContent()).toContain('¥1,200.00');
    await desk.screenshot('run-done');
    expect((await api('/runs?period=2025-12')).items[0]).toMatchObject({ status: 'done', progress: { done: 10, total: 10 } });
  }, 240_000);

  it('runs the late-fee accrual from the arrears page, whose tables and reports load without an error', async () => {
    const { page } = desk;
    const view = await open(desk, 'billing-arrears');
    const list = view.getByTestId('block-ext-table').filter({ hasText: '欠费户' });
    // Nothing is overdue any more (the counter paid it): the empty state.
    await list.locator('.sy-block-empty').waitFor({ timeout: SHOW_MS });
    await list.getByTestId('ext-toolbar-action').filter({ hasText: '计提违约金' }).click();
    const confirm = page.locator('.ant-modal-confirm').filter({ hasText: '计提全部逾期账单的违约金' });
    await confirm.waitFor();
    await confirm.locator('.ant-modal-confirm-btns .ant-btn-primary').click();
    await page.locator('.ant-message').filter({ hasText: '操作成功' }).waitFor({ timeout: SHOW_MS });
    await kit.until(async () => (await view.getByTestId('block-report').count()) === 3 && (await view.locator('.sy-block-status').count()) === 0, {
      timeoutMs: SHOW_MS,
      what: 'the arrears reports loaded',
    });
    await desk.screenshot('arrears');
    expect(await view.locator('[role=alert], .ant-alert-error').allTextContents()).toEqual([]);
  }, 240_000);

  it('renders the dashboard’s KPIs and charts without an error block', async () => {
    const board = await open(desk, 'billing-dashboard');
    await kit.until(
      async () =>
        (await board.getByTestId('block-chart').count()) === 3 &&
        (await board.getByTestId('block-kpi').count()) === 2 &&
        (await board.locator('.sy-block-status').count()) === 0 &&
        (await board.getByTestId('kpi-value').count()) === 2 &&
        (await board.locator('.sy-echart, .sy-block-empty, [role=alert]').count()) >= 3,
      { timeoutMs: SHOW_MS, what: 'the dashboard’s blocks loaded' },
    );
    await desk.screenshot('dashboard');
    expect(await board.locator('[role=alert], .ant-alert-error').allTextContents()).toEqual([]);
    // Today: the counter's 123.45 and the bank's 50.00.
    const kpis = await board.getByTestId('block-kpi').allTextContents();
    expect(kpis.find((t) => t.includes('今日实收'))).toContain('173.45');
    // Nothing owed any more: the arrears KPI shows no amount.
    expect(kpis.find((t) => t.includes('欠费总额'))).not.toContain('123.45');
    expect(problems).toEqual([]);
  }, 240_000);
});
