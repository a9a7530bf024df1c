import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebAppsBuilt, launchChromium, screenshots } from '../testing/browser.js';
import { startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

/**
 * The whole road in a real browser (Debian's Chromium driven by playwright-core): a consultant builds a
 * process by clicking in the modeler, its task form in the form editor, an entity model and a page in the
 * designer, and publishes them; a staff user of the same tenant starts the process from the page in the
 * app shell, completes the task through the rendered form and sees the instance finish; a user of another
 * tenant sees none of it. Screenshots of each step go to `.e2e-screenshots/designer-to-app/`.
 */
const STAFF = 'staff@demo-county-a';
const STAFF_PASSWORD = 'Staff-passw0rd-2026';
const STEP_MS = 20_000;

describe('designer to app shell in Chromium', () => {
  let t: TestRuntime;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const shot = screenshots('designer-to-app');
  const problems: string[] = [];

  async function open(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    return page;
  }

  async function signIn(page: Page, app: 'designer' | 'app', username: string, password: string) {
    await page.goto(`${t.baseUrl}/${app}/`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
  }

  beforeAll(async () => {
    await ensureWebAppsBuilt();
    t = await startTestRuntime('pglite', {}, { workflowTickMs: 100 });
    const admin = await t.login('admin@demo-county-a');
    const role = await t.request('POST', '/api/roles', {
      token: admin,
      body: { code: 'staff', name: '营业员', permissions: ['page:read', 'process:read', 'process:start', 'task:read', 'task:claim', 'task:complete', 'entity:read', 'report:read', 'report:run'] },
    });
    expect(role.status).toBe(201);
    const user = await t.request('POST', '/api/users', { token: admin, body: { username: STAFF, displayName: '营业员小李', password: STAFF_PASSWORD, roleIds: [role.body.id] } });
    expect(user.status).toBe(201);
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  describe('the consultant', () => {
    let page: Page;
    const blank = () => page.click('[data-testid=modeler-canvas] .djs-container', { position: { x: 700, y: 700 } });
    const shapes = () => page.$$eval('[data-testid=modeler-canvas] .djs-element.djs-shape', (els) => els.map((e) => e.getAttribute('data-element-id')!));
    const status = () => page.getAttribute('[data-testid=editor-status]', 'data-state');
    const revision = async () => Number(await page.getAttribute('[data-testid=editor-status]', 'data-revision'));
    /** Waits until the draft is saved past `before` (autosave follows the last change by 1.5 s). */
    const saved = async (before: number) => {
      for (const deadline = Date.now() + STEP_MS; ; await page.waitForTimeout(100)) {
        if ((await status()) === 'saved' && (await revision()) > before) return;
        if (Date.now() > deadline) throw new Error(`the draft was not saved past revision ${before}: ${await page.textContent('[data-testid=editor-status]')} (${await status()}, revision ${await revision()})`);
      }
    };
    const published = (version: number) => page.locator('[data-testid=editor-publish-state]', { hasText: `v${version}` }).waitFor();
    const create = async (kind: string, code: string, name: string) => {
      await page.click(`[data-testid=kind-menu-${kind}]`);
      await page.click('[data-testid=artifact-new]');
      await page.fill('[data-testid=artifact-new-code]', code);
      await page.fill('[data-testid=artifact-new-name]', name);
      await page.click('[data-testid=artifact-new-submit]');
      await page.waitForURL(new RegExp(`/designer/${kind}/\\d+$`));
    };
    const publish = async () => {
      await page.click('[data-testid=editor-publish]');
      await page.click('[data-testid=publish-confirm]');
      // The dialog closes with an animation that keeps the focus until it ends.
      await page.locator('[data-testid=publish-confirm]').waitFor({ state: 'hidden' });
    };

    beforeAll(async () => {
      page = await open();
    });

    it('signs in to the designer', async () => {
      await signIn(page, 'designer', 'admin@demo-county-a', 'Test-passw0rd-2026');
      await page.waitForSelector('[data-testid=user-menu]');
      await shot(page, 'designer-signed-in');
    });

    it('draws a process by clicking: start → user task with its form → 发送通知 from the element template → end; the draft survives a reload', async () => {
      await create('process', 'repair_flow', '报修流程');
      await page.waitForSelector('[data-testid=modeler-canvas] .djs-container');
      const first = await revision();
      await page.click('.djs-element[data-element-id="StartEvent_1"]');
      await page.click('.djs-context-pad [data-action="append.append-task"]');
      await page.keyboard.type('登记报修');
      await blank();
      const userTask = (await shapes()).find((id) => id.startsWith('Activity_'))!;
      await page.click(`.djs-element[data-element-id="${userTask}"]`);
      await page.click('.djs-context-pad [data-action="replace"]');
      await page.click('.djs-popup [data-id="replace-with-user-task"]');
      await blank();
      // Its form and who does it, in the Zeebe properties panel.
      await page.click(`.djs-element[data-element-id="${userTask}"]`);
      await page.click('[data-testid=properties-panel] [data-group-id="group-form"] .bio-properties-panel-group-header');
      await page.selectOption('#bio-properties-panel-formType', 'camunda-form-linked');
      await page.fill('#bio-properties-panel-formId', 'repair_form');
      await page.click('[data-testid=properties-panel] [data-group-id="group-assignmentDefinition"] .bio-properties-panel-group-header');
      await page.fill('#bio-properties-panel-assignmentDefinitionCandidateGroups', 'staff');
      await shot(page, 'user-task-form-and-assignment');
      // The next task comes from the element template the runtime made of its 发送通知 worker.
      await blank();
      await page.click(`.djs-element[data-element-id="${userTask}"]`);
      await page.click('.djs-context-pad [data-action="append.template"]');
      await page.waitForSelector('.djs-popup');
      await shot(page, 'append-from-template');
      await page.click('.djs-popup [data-id^="append-template-"]');
      const service = (await shapes()).find((id) => id.startsWith('Activity_') && id !== userTask)!;
      // The new task is selected: its context pad appends the end.
      await page.click('.djs-context-pad [data-action="append.end-event"]');
      await blank();
      await page.click(`.djs-element[data-element-id="${service}"]`);
      const inputs = '[data-testid=properties-panel] [data-group-id="group-ElementTemplates__CustomProperties-inputs"]';
      await page.click(`${inputs} .bio-properties-panel-group-header`);
      await page.fill('#bio-properties-panel-custom-entry-shuiyun\\.worker\\.shuiyun\\.notify-inputs-0', STAFF);
      await page.fill('#bio-properties-panel-custom-entry-shuiyun\\.worker\\.shuiyun\\.notify-inputs-1', '报修已登记');
      await blank();
      await saved(first);
      await shot(page, 'process-drawn');

      await page.reload();
      await page.waitForSelector('[data-testid=modeler-canvas] .djs-container');
      const after = await shapes();
      expect(after.filter((id) => id.startsWith('Activity_')).sort()).toEqual([userTask, service].sort());
      expect(after.some((id) => id.startsWith('Event_'))).toBe(true);
      expect(await page.textContent(`.djs-element[data-element-id="${service}"]`)).toContain('发送通知');
    });

    it('shows the refusal on the element when the process is published before its form, and publishes nothing', async () => {
      await publish();
      await page.waitForSelector('[data-testid=publish-errors]');
      expect(await page.textContent('[data-testid=publish-errors]')).toContain('repair_form');
      await shot(page, 'publish-refused');
      const definitions = await t.request('GET', '/api/workflow/definitions?processId=repair_flow', { token: await t.login('admin@demo-county-a') });
      expect(definitions.body.total).toBe(0);
    });

    it('builds the task form in the form editor and publishes it, then the process', async () => {
      const processUrl = page.url();
      await create('form', 'repair_form', '报修登记表');
      const textfield = '[data-testid=form-editor] .fjs-palette-field[data-field-type="textfield"]';
      await page.waitForSelector(textfield);
      const first = await revision();
      await page.focus(textfield);
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-testid=form-editor] .fjs-form-field-textfield');
      await saved(first);
      await shot(page, 'form-built');
      await page.reload();
      await page.waitForSelector('[data-testid=form-editor] .fjs-form-field-textfield');
      await publish();
      await published(1);

      await page.goto(processUrl);
      await page.waitForSelector('[data-testid=modeler-canvas] .djs-container');
      await publish();
      await published(1);
      await shot(page, 'process-published');
      const admin = await t.login('admin@demo-county-a');
      const definitions = await t.request('GET', '/api/workflow/definitions?processId=repair_flow', { token: admin });
      expect(definitions.body.items).toEqual([expect.objectContaining({ processId: 'repair_flow', version: 1 })]);
    });

    it('models an entity and builds a page with a data table over it and a process start button', async () => {
      await create('entity', 'repair_log', '报修台账');
      await page.waitForSelector('[data-testid=entity-editor]');
      const model = await revision();
      await page.click('[data-testid=entity-field-add]');
      await page.fill('[data-testid=entity-field-name-1]', 'address');
      await page.fill('[data-testid=entity-field-label-1]', '地址');
      await page.fill('[data-testid=entity-field-label-en-1]', 'Address');
      await saved(model);
      await page.reload();
      await page.waitForSelector('[data-testid=entity-editor]');
      expect(await page.inputValue('[data-testid=entity-field-name-1]')).toBe('address');
      await publish();
      await published(1);

      await create('page', 'repair_home', '报修首页');
      await page.waitForSelector('[data-testid=page-designer]');
      const first = await revision();
      await page.click('[data-testid=add-block-table]');
      await page.fill('#sy-setting-entity', 'repair_log');
      await page.click('[data-testid=add-block-process-start]');
      await page.fill('#sy-setting-processId', 'repair_flow');
      await page.fill('#sy-setting-label', '我要报修');
      await saved(first);
      await shot(page, 'page-built');
      await page.reload();
      const canvas = page.frameLocator('iframe.gjs-frame');
      await canvas.locator('[data-sy-block="table"]').waitFor({ state: 'attached' });
      await canvas.locator('[data-sy-block="process-start"]').waitFor({ state: 'attached' });
      await publish();
      await published(1);
      await shot(page, 'page-published');
    });

    it('keeps a report template draft across a reload', async () => {
      await create('report', 'repair_online', '在线率');
      await page.click('[data-testid=report-json-tab]');
      const first = await revision();
      const template = { dataset: { code: 'device-online-rate' }, query: { dimensions: ['productName'], measures: ['onlineRate'] }, view: 'table' };
      await page.fill('[data-testid=json-editor]', JSON.stringify(template, null, 2));
      await saved(first);
      await page.reload();
      await page.click('[data-testid=report-json-tab]');
      expect(JSON.parse(await page.inputValue('[data-testid=json-editor]'))).toMatchObject(template);
      await shot(page, 'report-draft-reloaded');
      await page.goto(`${t.baseUrl}/designer/page`);
      await page.click('[data-testid=artifact-open-repair_home]');
      await page.waitForSelector('[data-testid=page-designer]');
    });

    it('keeps the published page active when a broken draft of it is refused', async () => {
      const before = await revision();
      await page.fill('[data-testid=page-route]', '');
      expect(await page.inputValue('[data-testid=page-route]')).toBe('');
      await saved(before);
      await page.click('[data-testid=editor-publish]');
      await page.click('[data-testid=publish-confirm]');
      await page.waitForSelector('[data-testid=publish-errors], [data-testid=publish-error]');
      await shot(page, 'page-publish-refused');
      expect(await page.textContent('[data-testid=editor-publish-state]')).toContain('v1');
      const admin = await t.login('admin@demo-county-a');
      const served = await t.request('GET', '/api/app/pages/repair-home', { token: admin });
      expect(served.status).toBe(200);
      expect(served.body.version).toBe(1);
      expect(await status()).not.toBe('error');
    });
  });

  describe('a staff user of the same tenant', () => {
    let page: Page;
    beforeAll(async () => {
      page = await open();
    });

    it('opens the app, starts the process from the page, completes the task in the form and sees the instance finish', async () => {
      await signIn(page, 'app', STAFF, STAFF_PASSWORD);
      await page.waitForSelector('[data-testid=app-menu]');
      await page.click('[data-testid=menu-repair-home]');
      await page.waitForSelector('[data-testid=block-table]');
      await shot(page, 'app-page');
      await page.dblclick('[data-testid=process-start-button]');
      await page.waitForSelector('[data-testid=process-started]');
      const instanceId = Number(await page.getAttribute('[data-testid=process-started]', 'data-instance-id'));
      expect(instanceId).toBeGreaterThan(0);

      await page.click('[data-testid=menu-tasks]');
      await page.waitForSelector('[data-testid=task-row]');
      expect(await page.locator('[data-testid=task-row]').count()).toBe(1);
      await page.click('[data-testid=task-open]');
      await page.waitForSelector('[data-testid=task-form] .fjs-form');
      await page.fill('[data-testid=task-form] .fjs-form input[type=text]', '人民路 8 号 漏水');
      await shot(page, 'task-form');
      await page.click('[data-testid=task-submit]');
      await page.waitForSelector('[data-testid=task-row]', { state: 'detached' });

      await page.click('[data-testid=menu-repair-home]');
      await page.waitForSelector('[data-testid=process-started][data-instance-state=completed]');
      await shot(page, 'instance-finished');
      const staff = await t.login(STAFF, STAFF_PASSWORD);
      const instance = await t.request('GET', `/api/workflow/instances/${instanceId}`, { token: staff });
      expect(instance.body.state).toBe('completed');
      expect(Object.values(instance.body.variables)).toContain('人民路 8 号 漏水');
      // One start however fast the double click, and the notification the 发送通知 task sent.
      const all = await t.request('GET', '/api/workflow/instances?processId=repair_flow', { token: await t.login('admin@demo-county-a') });
      expect(all.body.total).toBe(1);
      await page.reload();
      await page.waitForSelector('[data-testid=notifications-badge]');
      const inbox = await t.request('GET', '/api/notifications', { token: staff });
      expect(inbox.body.items[0].title['zh-CN']).toBe('报修已登记');
    });
  });

  describe('a user of another tenant', () => {
    it('sees none of it, in the app shell nor in the designer', async () => {
      const page = await open();
      await signIn(page, 'app', 'admin@demo-county-b', TEST_PASSWORD);
      await page.waitForSelector('[data-testid=no-pages]');
      expect(await page.locator('[data-testid=menu-repair-home]').count()).toBe(0);
      await page.goto(`${t.baseUrl}/app/tasks`);
      await page.waitForSelector('[data-testid=task-list]');
      expect(await page.locator('[data-testid=task-row]').count()).toBe(0);
      await shot(page, 'other-tenant-app');
      await page.goto(`${t.baseUrl}/app/p/repair-home`);
      await page.waitForLoadState('networkidle');
      expect(await page.locator('[data-testid=block-table]').count()).toBe(0);
      await page.goto(`${t.baseUrl}/designer/`);
      await page.waitForSelector('[data-testid=user-menu]');
      await page.waitForSelector('[data-testid=artifact-empty]');
      await shot(page, 'other-tenant-designer');
    });

    it('met no content-security-policy refusal and no uncaught page error on the way', () => {
      expect(problems).toEqual([]);
    });
  });
});
