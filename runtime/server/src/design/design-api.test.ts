import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';
import { until } from '../testing/until.js';

/** A repair request: a clerk fills in the intake form, the platform notifies the crew leader, done. */
const repairXml = (options: { formId?: string; jobType?: string | null; processId?: string } = {}) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="defs" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:process id="${options.processId ?? 'repair'}" name="报修" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="intake" name="登记">
      <bpmn:extensionElements><zeebe:formDefinition formId="${options.formId ?? 'intake'}" /><zeebe:assignmentDefinition candidateGroups="admin" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="notify" name="通知班长">
      <bpmn:extensionElements>${options.jobType === null ? '' : `<zeebe:taskDefinition type="${options.jobType ?? 'shuiyun.notify'}" />`}
        <zeebe:ioMapping>
          <zeebe:input source="=&quot;admin@demo-county-a&quot;" target="recipients" />
          <zeebe:input source="=&quot;新报修：&quot; + address" target="title" />
        </zeebe:ioMapping>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="intake" />
    <bpmn:sequenceFlow id="f2" sourceRef="intake" targetRef="notify" />
    <bpmn:sequenceFlow id="f3" sourceRef="notify" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;

const intakeForm = {
  type: 'default',
  schemaVersion: 16,
  components: [{ id: 'f-address', key: 'address', label: '地址', type: 'textfield', validate: { required: true } }],
};

const meterModel = {
  label: { 'zh-CN': '水表档案', en: 'Meter archive' },
  fields: [
    { name: 'meterNo', label: { 'zh-CN': '表号', en: 'Meter no.' }, type: 'string', required: true, unique: true, pattern: '^[A-Z0-9]{6,20}$' },
    { name: 'caliber', label: { 'zh-CN': '口径', en: 'Caliber' }, type: 'enum', required: true, options: [{ value: 'DN15', label: { 'zh-CN': 'DN15', en: 'DN15' } }, { value: 'DN20', label: { 'zh-CN': 'DN20', en: 'DN20' } }] },
    { name: 'installedOn', label: { 'zh-CN': '安装日期', en: 'Installed on' }, type: 'date' },
    { name: 'initialReading', label: { 'zh-CN': '初始读数', en: 'Initial reading' }, type: 'decimal', scale: 3, min: 0 },
    { name: 'remote', label: { 'zh-CN': '远传', en: 'Remote' }, type: 'boolean' },
  ],
  titleField: 'meterNo',
};

describe.each(drivers)('designer API on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let viewerA: string;

  const call = (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => t.request(method, path, { token, body, ...(headers ? { headers } : {}) });
  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await call(token, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const create = (token: string, kind: string, code: string, content?: unknown) => ok(token, 'POST', '/api/design/artifacts', { kind, code, name: code, ...(content ? { content } : {}) });
  const saveDraft = async (token: string, id: number, content: unknown) => {
    const current = await ok(token, 'GET', `/api/design/artifacts/${id}`);
    return ok(token, 'PUT', `/api/design/artifacts/${id}/draft`, { content, revision: current.draftRevision });
  };

  beforeAll(async () => {
    t = await startTestRuntime(driver, {}, { workflowTickMs: 100 });
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    const viewerRole = (await ok(adminA, 'GET', '/api/roles?pageSize=100')).items.find((r: { code: string }) => r.code === 'viewer');
    await ok(adminA, 'POST', '/api/users', { username: 'viewer@demo-county-a', displayName: '只读', password: 'Viewer-passw0rd-1', roleIds: [viewerRole.id] });
    viewerA = await t.login('viewer@demo-county-a', 'Viewer-passw0rd-1');
  });
  afterAll(() => t?.close());

  it('creates an artifact with a blank draft, saves drafts by revision and refuses a stale one', async () => {
    const created = await create(adminA, 'process', 'blank-flow');
    expect(created).toMatchObject({ kind: 'process', code: 'blank-flow', publishedVersion: null, draftRevision: 1, draftChanged: true });
    expect(created.draft.content.xml).toContain('<bpmn:process id="blank-flow"');
    const dup = await call(adminA, 'POST', '/api/design/artifacts', { kind: 'process', code: 'blank-flow', name: 'again' }, { 'accept-language': 'en' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details[0]).toMatchObject({ path: 'body.code', code: 'code_taken' });
    const saved = await ok(adminA, 'PUT', `/api/design/artifacts/${created.id}/draft`, { content: { xml: repairXml({ processId: 'blank-flow' }) }, revision: 1 });
    expect(saved.draftRevision).toBe(2);
    const stale = await call(adminA, 'PUT', `/api/design/artifacts/${created.id}/draft`, { content: { xml: 'x' }, revision: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details[0].code).toBe('stale_revision');
    // The saved draft is what a reload reads.
    expect((await ok(adminA, 'GET', `/api/design/artifacts/${created.id}`)).draft.content.xml).toContain('通知班长');
    const bad = await call(adminA, 'POST', '/api/design/artifacts', { kind: 'widget', code: 'X', name: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['body.code', 'body.kind', 'body.name']);
  });

  it('publishes a form, then a process whose user task shows it; an invalid process is refused on its element and the active version stays', async () => {
    const form = await create(adminA, 'form', 'intake', { schema: intakeForm });
    const process = await create(adminA, 'process', 'repair', { xml: repairXml({ formId: 'intake' }) });

    // The form is not published yet: the user task that shows it is named.
    const early = await call(adminA, 'POST', `/api/design/artifacts/${process.id}/publish`, {});
    expect(early.status).toBe(422);
    expect(early.body.error.details).toEqual([expect.objectContaining({ code: 'form_unknown', elementId: 'intake' })]);

    const formV1 = await ok(adminA, 'POST', `/api/design/artifacts/${form.id}/publish`, { note: '初版' });
    expect(formV1).toMatchObject({ version: 1, applied: { formId: 'intake', formVersion: 1 } });
    expect(formV1.artifact).toMatchObject({ publishedVersion: 1, draftChanged: false });
    const v1 = await ok(adminA, 'POST', `/api/design/artifacts/${process.id}/publish`, {});
    expect(v1).toMatchObject({ version: 1, applied: { processId: 'repair', definitionVersion: 1 } });

    // A service task without a job type: refused on that element, version 1 stays active and deployed.
    await saveDraft(adminA, process.id, { xml: repairXml({ formId: 'intake', jobType: null }) });
    const refused = await call(adminA, 'POST', `/api/design/artifacts/${process.id}/publish`, {});
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toEqual([expect.objectContaining({ elementId: 'notify' })]);
    const after = await ok(adminA, 'GET', `/api/design/artifacts/${process.id}`);
    expect(after).toMatchObject({ publishedVersion: 1, draftChanged: true });
    expect((await ok(adminA, 'GET', '/api/workflow/definitions?processId=repair')).total).toBe(1);

    // The process id must stay the artifact's code.
    await saveDraft(adminA, process.id, { xml: repairXml({ processId: 'other' }) });
    const renamed = await call(adminA, 'POST', `/api/design/artifacts/${process.id}/publish`, {});
    expect(renamed.body.error.details).toEqual([expect.objectContaining({ code: 'process_id', elementId: 'other' })]);
  });

  it('runs the published process: the task shows the published form, the notify worker (an element template) notifies', async () => {
    const templates = await ok(adminA, 'GET', '/api/design/element-templates');
    const notify = templates.find((tpl: { id: string }) => tpl.id === 'shuiyun.worker.shuiyun.notify');
    expect(notify).toMatchObject({ name: '发送通知', elementType: { value: 'bpmn:ServiceTask' } });
    expect(notify.properties).toContainEqual(expect.objectContaining({ type: 'Hidden', value: 'shuiyun.notify', binding: { type: 'zeebe:taskDefinition', property: 'type' } }));
    expect(notify.properties.map((p: { binding: { name?: string } }) => p.binding.name).filter(Boolean)).toEqual(['recipients', 'title', 'body', 'link']);
    const en = await call(adminA, 'GET', '/api/design/element-templates', undefined, { 'accept-language': 'en' });
    expect(en.body.find((tpl: { id: string }) => tpl.id === notify.id).name).toBe('Send a notification');

    const before = (await ok(adminA, 'GET', '/api/notifications')).total;
    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'repair', variables: {} });
    const task = await until('the intake task', async () => (await ok(adminA, 'GET', `/api/tasks?scope=candidate&instanceId=${instance.id}`)).items[0] as { id: number } | undefined);
    const opened = await ok(adminA, 'GET', `/api/tasks/${task.id}`);
    expect(opened.form).toMatchObject({ formId: 'intake', version: 1 });
    await ok(adminA, 'POST', `/api/tasks/${task.id}/claim`, {});
    await ok(adminA, 'POST', `/api/tasks/${task.id}/complete`, { variables: { address: '人民路 8 号' } });
    await until('the instance to end', async () => ((await ok(adminA, 'GET', `/api/workflow/instances/${instance.id}`)).state === 'completed' ? true : undefined));
    const inbox = await ok(adminA, 'GET', '/api/notifications');
    expect(inbox.total).toBe(before + 1);
    expect(inbox.items[0].title['zh-CN']).toBe('新报修：人民路 8 号');
  });

  it('lists versions, diffs a version against the draft and another version, and rolls back as a new version', async () => {
    const page = await create(adminA, 'page', 'home', {
      kind: 'dashboard',
      route: 'home',
      title: { 'zh-CN': '首页', en: 'Home' },
      menu: { show: true, order: 1 },
      html: '<h1>水量</h1><div data-sy-block="kpi" data-sy-config=\'{"title":"今日用水"}\'></div>',
      css: 'h1{color:#0050b3}',
    });
    await ok(adminA, 'POST', `/api/design/artifacts/${page.id}/publish`, {});
    const draft = (await ok(adminA, 'GET', `/api/design/artifacts/${page.id}`)).draft.content;
    await saveDraft(adminA, page.id, { ...draft, html: '<h1>水量与告警</h1>' });
    const diff = await ok(adminA, 'GET', `/api/design/artifacts/${page.id}/diff`);
    expect(diff).toMatchObject({ from: 1, to: 'draft', changed: true });
    expect(diff.patch).toContain('-  "html": "<h1>水量</h1>');
    expect(diff.patch).toContain('+  "html": "<h1>水量与告警</h1>"');
    await ok(adminA, 'POST', `/api/design/artifacts/${page.id}/publish`, { note: '加告警' });
    const between = await ok(adminA, 'GET', `/api/design/artifacts/${page.id}/diff?from=1&to=2`);
    expect(between.patch).toContain('+  "html": "<h1>水量与告警</h1>"');

    const rolled = await ok(adminA, 'POST', `/api/design/artifacts/${page.id}/rollback`, { version: 1 });
    expect(rolled).toMatchObject({ version: 3, rolledBackTo: 1 });
    expect(rolled.artifact).toMatchObject({ publishedVersion: 3, draftChanged: false });
    const versions = await ok(adminA, 'GET', `/api/design/artifacts/${page.id}/versions`);
    expect(versions.items.map((v: { version: number; active: boolean; note: string | null }) => [v.version, v.active, v.note])).toEqual([
      [3, true, 'rollback to v1'],
      [2, false, '加告警'],
      [1, false, null],
    ]);
    expect((await ok(adminA, 'GET', '/api/app/pages/home')).html).toContain('<h1>水量</h1>');
    expect((await call(adminA, 'GET', `/api/design/artifacts/${page.id}/versions/9`)).status).toBe(404);
  });

  it('serves published pages to the app shell: scripts removed, routes unique, another tenant sees none', async () => {
    const evil = await create(adminA, 'page', 'evil', {
      kind: 'page',
      route: 'evil',
      title: { 'zh-CN': '测试', en: 'Test' },
      menu: { show: true, order: 5 },
      html: '<div onclick="steal()">x<script>alert(1)</script><a href="javascript:alert(2)">y</a></div><div data-sy-block="table" data-sy-config=\'{"entity":"meter"}\'></div>',
      css: '</style><script>alert(3)</script>',
    });
    await ok(adminA, 'POST', `/api/design/artifacts/${evil.id}/publish`, {});
    const served = await ok(adminA, 'GET', '/api/app/pages/evil');
    expect(served.html).not.toMatch(/script|onclick|javascript:/);
    expect(served.html).toContain('data-sy-block="table"');
    expect(served.css).not.toMatch(/<\/?style/);

    // The content checks answer in the caller's language.
    const bad = await create(adminA, 'page', 'bad-route', { kind: 'page', route: 'Bad Route', title: { 'zh-CN': '坏', en: 'Bad' }, menu: { show: false, order: 1 }, html: '', css: '' });
    const zh = await call(adminA, 'POST', `/api/design/artifacts/${bad.id}/publish`, {});
    expect(zh.body.error.details[0]).toMatchObject({ path: 'content.route', message: '只能用小写字母、数字和 -，最多 63 位' });
    const en = await call(adminA, 'POST', `/api/design/artifacts/${bad.id}/publish`, {}, { 'accept-language': 'en' });
    expect(en.body.error.details[0].message).toBe('lower-case letters, digits and -, at most 63');
    expect((await call(adminA, 'DELETE', `/api/design/artifacts/${bad.id}`)).status).toBe(204);

    const clash = await create(adminA, 'page', 'clash', { kind: 'page', route: 'evil', title: { 'zh-CN': '重名', en: 'Clash' }, menu: { show: false, order: 9 }, html: '', css: '' });
    const refused = await call(adminA, 'POST', `/api/design/artifacts/${clash.id}/publish`, {});
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0]).toMatchObject({ path: 'content.route', code: 'route_taken' });

    const menu = await ok(viewerA, 'GET', '/api/app/pages');
    expect(menu.items.map((p: { route: string }) => p.route)).toEqual(['home', 'evil']);
    expect(menu.items[0]).not.toHaveProperty('html');
    expect((await ok(adminB, 'GET', '/api/app/pages')).items).toEqual([]);
    expect((await call(adminB, 'GET', '/api/app/pages/evil')).status).toBe(404);
    expect((await call(adminB, 'GET', `/api/design/artifacts/${evil.id}`)).status).toBe(404);
    expect((await ok(adminB, 'GET', '/api/design/artifacts')).total).toBe(0);
  });

  it('gates the designer by permission: a viewer reads but neither writes nor publishes', async () => {
    const list = await ok(viewerA, 'GET', '/api/design/artifacts?kind=page');
    expect(list.items.map((a: { code: string }) => a.code).sort()).toEqual(['clash', 'evil', 'home']);
    expect((await call(viewerA, 'POST', '/api/design/artifacts', { kind: 'form', code: 'nope', name: 'nope' })).status).toBe(403);
    const page = list.items.find((a: { code: string }) => a.code === 'home');
    expect((await call(viewerA, 'POST', `/api/design/artifacts/${page.id}/publish`, {})).status).toBe(403);
    // A published artifact is not deleted; a never-published one is.
    expect((await call(adminA, 'DELETE', `/api/design/artifacts/${page.id}`)).status).toBe(409);
    const clash = list.items.find((a: { code: string }) => a.code === 'clash');
    expect((await call(adminA, 'DELETE', `/api/design/artifacts/${clash.id}`)).status).toBe(204);
  });

  it('publishes a report artifact as a report template version that runs', async () => {
    const report = await create(adminA, 'report', 'online-now', {
      name: '在线率',
      dataset: { code: 'device-online-rate' },
      query: { dimensions: ['productName'], measures: ['onlineRate'] },
    });
    const published = await ok(adminA, 'POST', `/api/design/artifacts/${report.id}/publish`, {});
    expect(published.applied).toMatchObject({ templateVersion: 1 });
    const templates = await ok(adminA, 'GET', '/api/reports/templates?code=online-now');
    expect(templates.items[0]).toMatchObject({ code: 'online-now', version: 1, name: '在线率' });
    const run = await ok(adminA, 'GET', `/api/reports/templates/${published.applied.templateId}/run`);
    expect(run.columns.map((c: { id?: string; field?: string }) => c.id ?? c.field)).toEqual(['productName', 'onlineRate']);
    // A field the dataset lacks: refused on the content path the designer shows, nothing saved.
    const bad = await create(adminA, 'report', 'bad-report', { name: '坏报表', dataset: { code: 'device-online-rate' }, query: { dimensions: ['colour'], measures: ['onlineRate'] } });
    const refused = await call(adminA, 'POST', `/api/design/artifacts/${bad.id}/publish`, {});
    expect(refused.status).toBe(422);
    expect(refused.body.error.details[0].path).toBe('content.query.dimensions.0');
    expect((await ok(adminA, 'GET', '/api/reports/templates?code=bad-report')).total).toBe(0);
  });

  describe('entity models and their records', () => {
    let meterId: number;
    it('publishes a model and offers its Formily schema', async () => {
      const model = await create(adminA, 'entity', 'meter', meterModel);
      await ok(adminA, 'POST', `/api/design/artifacts/${model.id}/publish`, {});
      meterId = model.id;
      const schema = await ok(adminA, 'GET', '/api/entities/meter/schema');
      expect(schema.properties.meterNo).toMatchObject({ title: '表号', required: true, 'x-component': 'Input', 'x-decorator': 'FormItem' });
      expect(schema.properties.caliber.enum).toEqual([
        { value: 'DN15', label: 'DN15' },
        { value: 'DN20', label: 'DN20' },
      ]);
      expect((await ok(adminA, 'GET', '/api/entities')).items).toEqual([expect.objectContaining({ code: 'meter', version: 1 })]);
      // A consultant's own Formily form replaces the generated one; the generated one stays at hand.
      const custom = { type: 'object', properties: { meterNo: { type: 'string', title: '表号（钢印）', 'x-decorator': 'FormItem', 'x-component': 'Input' } } };
      const withForm = await create(adminA, 'entity', 'meter-form', { ...meterModel, form: custom });
      await ok(adminA, 'POST', `/api/design/artifacts/${withForm.id}/publish`, {});
      expect(await ok(adminA, 'GET', '/api/entities/meter-form/schema')).toEqual(custom);
      expect((await ok(adminA, 'GET', '/api/entities/meter-form/schema?generated=true')).properties.caliber['x-component']).toBe('Select');
      const bad = await create(adminA, 'entity', 'bad-model', { label: { 'zh-CN': '坏', en: 'Bad' }, fields: [{ name: 'Owner', label: { 'zh-CN': '户', en: 'Owner' }, type: 'reference', reference: 'household' }] });
      const refused = await call(adminA, 'POST', `/api/design/artifacts/${bad.id}/publish`, {});
      expect(refused.status).toBe(422);
      expect(refused.body.error.details[0].path).toBe('content.fields.0.name');
    });

    it('creates, lists, filters, sorts, searches, updates by revision and deletes records, checking each against the model', async () => {
      const make = (data: Record<string, unknown>) => call(adminA, 'POST', '/api/entities/meter/records', { data });
      const first = await make({ meterNo: 'A00001', caliber: 'DN15', installedOn: '2026-03-01', initialReading: '12.345', remote: true });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ entity: 'meter', revision: 1, data: { meterNo: 'A00001', initialReading: '12.345' } });
      expect((await make({ meterNo: 'B00002', caliber: 'DN20', initialReading: 3 })).status).toBe(201);
      expect((await make({ meterNo: 'C00003', caliber: 'DN20' })).status).toBe(201);

      const invalid = await make({ meterNo: 'bad no', caliber: 'DN99', installedOn: '2026-02-30', initialReading: '1.23456', colour: 'red' });
      expect(invalid.status).toBe(400);
      const message = (path: string) => invalid.body.error.details.find((d: { path: string }) => d.path === path)?.message;
      expect(message('body.data.installedOn')).toBe('应为日期 YYYY-MM-DD');
      expect(message('body.data.initialReading')).toBe('应为小数（以文本书写），小数点后最多 3 位');
      const paths = invalid.body.error.details.map((d: { path: string }) => d.path).sort();
      expect(paths).toEqual(['body.data.caliber', 'body.data.colour', 'body.data.initialReading', 'body.data.installedOn', 'body.data.meterNo']);
      const duplicate = await make({ meterNo: 'A00001', caliber: 'DN15' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.error.details[0]).toMatchObject({ path: 'body.data.meterNo', code: 'unique_taken' });
      // Two at once with the same number: one wins.
      const race = await Promise.all([make({ meterNo: 'D00004', caliber: 'DN15' }), make({ meterNo: 'D00004', caliber: 'DN15' })]);
      expect(race.map((r) => r.status).sort()).toEqual([201, 409]);

      const dn20 = await ok(adminA, 'GET', '/api/entities/meter/records?filter.caliber=DN20&sort=meterNo');
      expect(dn20.items.map((r: { data: { meterNo: string } }) => r.data.meterNo)).toEqual(['B00002', 'C00003']);
      expect((await ok(adminA, 'GET', '/api/entities/meter/records?q=a000')).items.map((r: { data: { meterNo: string } }) => r.data.meterNo)).toEqual(['A00001']);
      expect((await ok(adminA, 'GET', '/api/entities/meter/records?sort=-initialReading&pageSize=2')).items.map((r: { data: { meterNo: string } }) => r.data.meterNo)).toEqual(['A00001', 'B00002']);
      expect((await call(adminA, 'GET', '/api/entities/meter/records?filter.colour=red')).status).toBe(400);
      expect((await call(adminA, 'GET', '/api/entities/meter/records?filter.remote=maybe')).body.error.details[0].code).toBe('bad_filter');

      const id = first.body.id;
      const updated = await ok(adminA, 'PUT', `/api/entities/meter/records/${id}`, { data: { ...first.body.data, caliber: 'DN20' }, revision: 1 });
      expect(updated.revision).toBe(2);
      const stale = await call(adminA, 'PUT', `/api/entities/meter/records/${id}`, { data: first.body.data, revision: 1 });
      expect(stale.status).toBe(409);
      const audit = await ok(adminA, 'GET', `/api/audit?entity=entity_records&entityId=${id}`);
      expect(audit.items.map((a: { action: string }) => a.action).sort()).toEqual(['insert', 'update']);
      expect((await call(adminA, 'DELETE', `/api/entities/meter/records/${id}`)).status).toBe(204);
      expect((await call(adminA, 'GET', `/api/entities/meter/records/${id}`)).status).toBe(404);
    });

    it('refuses a model change that existing records would not fit, naming them; the old model stays', async () => {
      const current = (await ok(adminA, 'GET', `/api/design/artifacts/${meterId}`)).draft.content;
      const stricter = { ...current, fields: current.fields.map((f: { name: string }) => (f.name === 'installedOn' ? { ...f, required: true } : f)) };
      await saveDraft(adminA, meterId, stricter);
      const refused = await call(adminA, 'POST', `/api/design/artifacts/${meterId}/publish`, {});
      expect(refused.status).toBe(422);
      expect(refused.body.error.details[0].code).toBe('records_misfit');
      expect(refused.body.error.details.slice(1).every((d: { code: string }) => d.code === 'record_misfit')).toBe(true);
      expect((await ok(adminA, 'GET', '/api/entities/meter')).version).toBe(1);
    });

    it('keeps records to their tenant and their permission', async () => {
      expect((await call(adminB, 'GET', '/api/entities/meter/records')).status).toBe(404);
      const list = await ok(viewerA, 'GET', '/api/entities/meter/records');
      expect(list.total).toBeGreaterThan(0);
      expect((await call(viewerA, 'POST', '/api/entities/meter/records', { data: { meterNo: 'E00005', caliber: 'DN15' } })).status).toBe(403);
      const other = await ok(adminB, 'GET', '/api/design/artifacts?kind=entity');
      expect(other.total).toBe(0);
      const id = list.items[0].id;
      expect((await call(adminB, 'DELETE', `/api/entities/meter/records/${id}`)).status).toBe(404);
    });
  });
});
