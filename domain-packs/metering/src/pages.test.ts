/**
 * The pack's pages in a real browser (headless Chromium through the kit's `openApp`): the menu, the
 * settlement console (settle a past month from the toolbar, watch it reach 已结算, close it with the row
 * action), hand reading entry on a phone-sized screen (exact litres; a sub-litre value refused under its
 * field without a request), and the dashboard's charts without an error block. Every step is checked
 * against the pack's API too. Screenshots go to `.e2e-screenshots/metering-pages/`.
 *
 * Fixture (Asia/Shanghai): household P-1 with remote meter P-REMOTE-1 (device P-NB-1) read at local
 * midnight on 1, 15 and 31 March 2026 (18 250 L at the end: March's volume from the 0 L installation
 * reading); household P-2 with mechanical meter P-HAND-1, never read (settled as missing).
 */
import { startPackTestKit, type KitApp, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metering } from './index.js';

const BASE = '/api/ext/metering';
const PERIOD = '2026-03';
/** Local midnight (Asia/Shanghai) of a day of March 2026, as UTC. */
const midnight = (day: number) => new Date(Date.UTC(2026, 2, day) - 8 * 3_600_000);
/** Browser steps wait this long for what the page should come to show (another test run may share the CPU). */
const SHOW_MS = 60_000;

describe('metering pages in Chromium', () => {
  let kit: PackTestKit;
  let desk: KitApp;
  const meters = { remote: 0, hand: 0 };
  const problems: string[] = [];

  const create = async (entity: string, data: Record<string, unknown>) => {
    const res = await kit.request('POST', `/api/entities/${entity}/records`, { body: { data } });
    if (res.status !== 201) throw new Error(`${entity}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as number;
  };
  const watch = (app: KitApp) => app.page.on('pageerror', (error) => problems.push(error.message));

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering] });
    const p1 = await create('metering_household', { accountNo: 'P-1', name: '赵六', community: '锦绣花园', building: '3号楼' });
    const p2 = await create('metering_household', { accountNo: 'P-2', name: '钱七', community: '锦绣花园', building: '5号楼' });
    meters.remote = await create('metering_meter', { meterNo: 'P-REMOTE-1', kind: 'remote', household: p1, device: 'P-NB-1', initialReadingL: 0, installedAt: '2026-01-01', status: 'in_service' });
    meters.hand = await create('metering_meter', { meterNo: 'P-HAND-1', kind: 'mechanical', household: p2, initialReadingL: 0, installedAt: '2026-01-01', status: 'in_service' });
    const litres = (day: number, l: bigint) => ({ device: 'P-NB-1', metric: 'cumulative_volume', at: midnight(day), milli: l * 1000n });
    await kit.publishReadings([litres(1, 10_000n), litres(15, 13_500n), litres(31, 18_250n)]);
    desk = await kit.openApp();
    watch(desk);
  }, 600_000);
  afterAll(() => kit?.close());

  it('shows the pack’s pages in the menu', async () => {
    const { page } = desk;
    const titles: [string, string][] = [
      ['metering-dashboard', '计量看板'],
      ['metering-archive', '水表档案'],
      ['metering-entry', '抄表录入'],
      ['metering-review', '抄表审核'],
      ['metering-settlement', '结算'],
    ];
    for (const [route, title] of titles) expect((await page.getByTestId(`menu-${route}`).textContent())?.trim()).toBe(title);
    // In the pack's menu order, under the pages the tenant had before.
    const order = await page.locator('[data-testid^=menu-metering-]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(order).toEqual(titles.map(([route]) => `menu-${route}`));
    await desk.screenshot('menu');
  });

  it('settles a past month from the settlement console and closes it with the row action', async () => {
    const { page } = desk;
    await page.getByTestId('menu-metering-settlement').click();
    await page.waitForURL(/\/app\/p\/metering-settlement$/);
    const consoleTable = page.getByTestId('block-ext-table').filter({ hasText: '结算控制台' });
    // Nothing settled yet: the empty state, no rows.
    await consoleTable.locator('.sy-block-empty').waitFor({ timeout: SHOW_MS });
    expect(await consoleTable.locator('tr.ant-table-row').count()).toBe(0);
    expect(await consoleTable.locator('.sy-block-empty').textContent()).toContain('暂无数据');
    await desk.screenshot('settlement-empty');

    await consoleTable.getByTestId('ext-toolbar-action').click();
    const dialog = page.locator('.ant-modal').filter({ hasText: '结算期' });
    await dialog.waitFor();
    const month = dialog.locator('.ant-picker input');
    await month.click();
    // Typed, then picked in the panel (Enter would pick it and submit the dialog at once).
    await month.fill(PERIOD);
    await page.locator(`.ant-picker-dropdown:visible td[title="${PERIOD}"]`).click();
    expect(await month.inputValue()).toBe(PERIOD);
    await desk.screenshot('settle-form');
    await dialog.locator('.ant-modal-footer .ant-btn-primary').click();
    await dialog.waitFor({ state: 'hidden' });

    // The row appears and the table refreshes itself while it is settling, until 已结算.
    const row = consoleTable.locator('tr.ant-table-row').filter({ hasText: PERIOD });
    const status = row.locator('[data-status]');
    await row.locator('[data-status=settled]').waitFor({ timeout: SHOW_MS });
    expect(await status.textContent()).toBe('已结算');
    await desk.screenshot('settled');
    const settled = await kit.request('GET', `${BASE}/periods/${PERIOD}`);
    expect(settled.body).toMatchObject({ period: PERIOD, scope: '*', status: 'settled', records: 2, bySource: { remote: 1, missing: 1 }, totalVolumeL: '18250' });

    await row.getByTestId('ext-row-action').filter({ hasText: /关\s*账/ }).click();
    const confirm = page.locator('.ant-modal-confirm').filter({ hasText: '确定关账' });
    await confirm.waitFor();
    await desk.screenshot('close-confirm');
    await confirm.locator('.ant-modal-confirm-btns .ant-btn-primary').click();
    await confirm.waitFor({ state: 'hidden' });
    await row.locator('[data-status=closed]').waitFor({ timeout: SHOW_MS });
    expect(await status.textContent()).toBe('已关账');
    // A closed period offers no action any more.
    expect(await row.getByTestId('ext-row-action').count()).toBe(0);
    await desk.screenshot('closed');
    const closed = await kit.request('GET', `${BASE}/periods/${PERIOD}`);
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ period: PERIOD, status: 'closed', records: 2 });
  });

  it('enters a hand reading in m³ on a phone, exactly in litres, and refuses a sub-litre value under its field', async () => {
    const phone = await kit.openApp({ width: 375, height: 812 });
    watch(phone);
    const { page } = phone;
    try {
      const posts: string[] = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && new URL(req.url()).pathname === `${BASE}/readings`) posts.push(req.postData() ?? '');
      });
      // The phone layout: no side menu, the drawer's toggle and the bottom bar.
      await page.getByTestId('bottom-bar').waitFor();
      await page.getByTestId('menu-toggle').click();
      await page.getByTestId('menu-metering-entry').click();
      await page.waitForURL(/\/app\/p\/metering-entry$/);
      const form = page.getByTestId('ext-form');
      await form.waitFor({ timeout: SHOW_MS });

      const chooseMeter = async () => {
        await form.getByTestId('ext-field-meterId').locator('.ant-select').click();
        await page.keyboard.type('P-HAND');
        await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: 'P-HAND-1' }).click({ timeout: SHOW_MS });
        expect(await form.getByTestId('ext-field-meterId').locator('.ant-select-selection-item').textContent()).toContain('P-HAND-1');
        await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'hidden' });
      };
      const volume = form.getByTestId('ext-field-valueL').locator('input[inputmode=decimal]');

      await chooseMeter();
      await volume.fill('12.345');
      expect(await form.getByTestId('ext-litres-preview').textContent()).toContain('12,345');
      await phone.screenshot('entry-filled-375');
      await form.getByTestId('ext-form-submit').click();
      await page.locator('.ant-message').filter({ hasText: '读数已保存' }).waitFor({ timeout: SHOW_MS });
      await phone.screenshot('entry-saved-375');
      expect(posts).toHaveLength(1);
      expect(JSON.parse(posts[0]!)).toMatchObject({ meterId: meters.hand, valueL: '12345' });
      const readings = await kit.request('GET', `${BASE}/readings?meterId=${meters.hand}`);
      expect(readings.body.items).toHaveLength(1);
      expect(readings.body.items[0]).toMatchObject({ meterId: meters.hand, meterNo: 'P-HAND-1', valueL: '12345', source: 'hand' });

      // Four decimals of m³ is below a litre: refused under the field, never sent.
      await chooseMeter();
      await volume.fill('1.2345');
      await form.getByTestId('ext-form-submit').click();
      const fieldError = form.getByTestId('ext-field-valueL').locator('.ant-form-item-explain-error');
      await fieldError.waitFor();
      await form.getByTestId('ext-field-valueL').evaluate((el) => el.scrollIntoView({ block: 'center' }));
      expect(await fieldError.textContent()).toBe('水量最多精确到升（立方米最多 3 位小数）');
      expect(await form.getByTestId('ext-field-meterId').locator('.ant-form-item-explain-error').count()).toBe(0);
      await phone.screenshot('entry-refused-375');
      expect(posts).toHaveLength(1);
      expect((await kit.request('GET', `${BASE}/readings?meterId=${meters.hand}`)).body.total).toBe(1);
      // The recent readings (a block of its own: refreshed by hand) show it in m³.
      const recent = page.getByTestId('block-ext-table').filter({ hasText: '最近读数' });
      await recent.getByRole('button', { name: '刷新' }).click();
      const line = recent.locator('tr.ant-table-row').filter({ hasText: 'P-HAND-1' });
      await line.waitFor({ timeout: SHOW_MS });
      expect(await line.textContent()).toContain('12.345 m³');
      await line.evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await phone.screenshot('recent-readings-375');
      // Nothing wider than the phone.
      expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(375);
    } finally {
      await phone.close();
    }
  });

  it('renders the dashboard’s KPI and charts without an error block', async () => {
    const { page } = desk;
    await page.getByTestId('menu-metering-dashboard').click();
    await page.waitForURL(/\/app\/p\/metering-dashboard$/);
    const board = page.locator('[data-testid=app-page][data-route=metering-dashboard]');
    await board.waitFor({ timeout: SHOW_MS });
    // Done loading: every block mounted and none still showing its loading status.
    await kit.until(
      async () =>
        (await board.getByTestId('block-chart').count()) === 3 &&
        (await board.getByTestId('block-kpi').count()) === 1 &&
        (await board.locator('.sy-block-status').count()) === 0 &&
        (await board.locator('.sy-echart, .sy-block-empty, [role=alert]').count()) >= 3,
      { timeoutMs: SHOW_MS, what: 'the dashboard’s blocks loaded' },
    );
    await desk.screenshot('dashboard');
    expect(await board.locator('[role=alert], .ant-alert-error').allTextContents()).toEqual([]);
    // The month settled above is on the monthly chart, and the KPI shows the newest period's volume:
    // 2026-03, the remote meter's 18 250 L and the unread meter's 0.
    expect(await board.getByTestId('block-chart').filter({ hasText: '月用水量' }).locator('.sy-echart').count()).toBe(1);
    expect(await board.getByTestId('kpi-value').textContent()).toMatch(/18\.25/);
    expect(problems).toEqual([]);
  });
});
