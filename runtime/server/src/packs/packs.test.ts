import { asSystem, queryRows } from '@shuiyun/db';
import { definePack, defineWorker, type PackManifestInput } from '@shuiyun/sdk';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';
import { until } from '../testing/until.js';

const checked: string[] = [];

const checkXml = (options: { assignee?: string } = {}) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:process id="mc_check" name="表务巡检" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="inspect" name="现场检查">
      <bpmn:extensionElements><zeebe:formDefinition formId="mc_check_form" /><zeebe:assignmentDefinition ${options.assignee ? `assignee="${options.assignee}"` : 'candidateGroups="admin"'} /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="log" name="记录">
      <bpmn:extensionElements><zeebe:taskDefinition type="meter-care.log" /></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="inspect" />
    <bpmn:sequenceFlow id="f2" sourceRef="inspect" targetRef="log" />
    <bpmn:sequenceFlow id="f3" sourceRef="log" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;

const label = (zh: string, en: string) => ({ 'zh-CN': zh, en });

function manifest(change: (m: PackManifestInput) => void = () => undefined): PackManifestInput {
  const m: PackManifestInput = {
    id: 'meter-care',
    version: '1.0.0',
    platform: '^0.1.0',
    name: label('表务', 'Meter care'),
    entities: [
      {
        code: 'mc_household',
        name: '用户',
        model: { label: label('用户', 'Household'), fields: [{ name: 'name', label: label('户名', 'Name'), type: 'string', required: true }], titleField: 'name' },
      },
      {
        code: 'mc_meter',
        name: '水表',
        model: {
          label: label('水表', 'Meter'),
          fields: [
            { name: 'meterNo', label: label('表号', 'Meter no.'), type: 'string', required: true, unique: true },
            { name: 'household', label: label('用户', 'Household'), type: 'reference', reference: 'mc_household' },
          ],
        },
      },
    ],
    forms: [{ code: 'mc_check_form', name: '检查单', schema: { type: 'default', schemaVersion: 16, components: [{ id: 'f1', key: 'finding', label: '结论', type: 'textfield', validate: { required: true } }] } }],
    reports: [{ code: 'mc_online', name: '在线率', template: { dataset: { code: 'device-online-rate' }, query: { dimensions: ['productName'], measures: ['onlineRate'] } } }],
    processes: [{ code: 'mc_check', name: '表务巡检', xml: checkXml() }],
    pages: [
      {
        code: 'mc_home',
        name: '表务首页',
        page: { kind: 'page', route: 'mc-home', title: label('表务首页', 'Meter care'), menu: { show: false, order: 0 }, html: '<div data-sy-block="table" data-sy-config=\'{"entity":"mc_meter"}\'></div>', css: '' },
      },
    ],
    menu: [{ page: 'mc_home', label: label('表务', 'Meter care'), order: 5 }],
    permissions: [{ name: 'meter-care.inspection:close', label: label('关闭巡检', 'Close inspections') }],
    products: [{ code: 'MC-NB-20', name: '表务 NB 表 DN20', definition: { kind: 'nb-iot-meter', transport: 'http-push', codec: 'cjt188', thingModel: { properties: [] } } }],
    alarmRules: [{ ruleId: 'mc-pressure-high', kind: 'threshold', params: { metric: 'pressure', direction: 'above', raiseAt: '600' }, productCode: 'MC-NB-20', severity: 'critical' }],
    roles: [{ code: 'inspector', name: label('表务巡检员', 'Meter inspector'), permissions: ['task:read', 'task:claim', 'task:complete', 'entity:read', 'meter-care.inspection:close'] }],
    workers: [
      defineWorker({
        type: 'meter-care.log',
        input: z.object({ finding: z.string() }),
        output: z.object({}),
        handler: async ({ finding }) => {
          checked.push(finding);
          return {};
        },
      }),
    ],
  };
  change(m);
  return m;
}

const basePack = definePack(manifest());
const plusPack = definePack({ id: 'meter-care-plus', version: '1.0.0', platform: '^0.1.0', name: label('表务增强', 'Meter care plus'), dependsOn: { 'meter-care': '^1.0.0' } });
const futurePack = definePack({ id: 'future', version: '1.0.0', platform: '^9.0.0', name: label('未来', 'Future') });

/** Packs that pass definePack but fail at one install step each: what only the runtime can know. */
const broken = {
  // A form-js schema the runtime refuses (components must be a list).
  'broken-form': definePack(manifest((m) => {
    m.id = 'broken-form';
    m.workers = [];
    m.permissions = [];
    m.roles = [];
    m.forms![0]!.schema = { type: 'default', schemaVersion: 16, components: 'none' };
  })),
  // A report on a dimension its dataset does not have.
  'broken-report': definePack(manifest((m) => {
    m.id = 'broken-report';
    m.workers = [];
    m.permissions = [];
    m.roles = [];
    m.reports![0]!.template = { dataset: { code: 'device-online-rate' }, query: { dimensions: ['colour'], measures: ['onlineRate'] } };
  })),
  // A FEEL syntax error in the user task's assignee.
  'broken-process': definePack(manifest((m) => {
    m.id = 'broken-process';
    m.workers = [];
    m.permissions = [];
    m.roles = [];
    m.processes![0]!.xml = checkXml({ assignee: '=if x then' });
  })),
  // A default role with a permission the tenant's administrator may not grant.
  'broken-role': definePack(manifest((m) => {
    m.id = 'broken-role';
    m.workers = [];
    m.permissions = [];
    m.roles = [];
    m.roles = [{ code: 'creator', name: label('建租户', 'Tenant maker'), permissions: ['tenant:create'] }];
  })),
  // A page route the tenant's own page already uses.
  'broken-page': definePack(manifest((m) => {
    m.id = 'broken-page';
    m.workers = [];
    m.permissions = [];
    m.roles = [];
    m.pages![0]!.page.route = 'taken-route';
  })),
  // A device product on a transport the platform has not got, and an alarm rule of an unknown kind.
  'broken-product': definePack(manifest((m) => {
    m.id = 'broken-product';
    m.workers = [];
    m.permissions = [];
    m.roles = [];
    m.products![0]!.definition = { ...m.products![0]!.definition, transport: 'lorawan' };
  })),
  'broken-rule': definePack(manifest((m) => {
    m.id = 'broken-rule';
    m.workers = [];
    m.permissions = [];
    m.roles = [];
    m.products = [];
    m.alarmRules = [{ ruleId: 'mc-nonsense', kind: 'nonsense', params: {} }];
  })),
};

describe.each(drivers)('domain pack lifecycle on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let countyB: number;

  const call = (token: string, method: string, path: string, body?: unknown) => t.request(method, path, { token, body });
  const ok = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await call(token, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const leftovers = async (packIdValue: string) => {
    const [row] = await asSystem(t.database.db, (tx) =>
      queryRows<{ artifacts: number; installs: number; definitions: number; forms: number; templates: number; roles: number; products: number; rules: number }>(
        tx,
        sql`select (select count(*) from design_artifacts where pack_id = ${packIdValue})::int as artifacts,
          (select count(*) from products where pack_id = ${packIdValue})::int as products,
          (select count(*) from alarm_rules where pack_id = ${packIdValue})::int as rules,
          (select count(*) from roles where pack_id = ${packIdValue})::int as roles,
          (select count(*) from pack_installations where pack_id = ${packIdValue})::int as installs,
          (select count(*) from workflow_definitions where process_id = 'mc_check')::int as definitions,
          (select count(*) from workflow_forms where form_id = 'mc_check_form')::int as forms,
          (select count(*) from report_templates where code = 'mc_online')::int as templates`,
      ),
    );
    return row!;
  };

  beforeAll(async () => {
    t = await startTestRuntime(driver, {}, { workflowTickMs: 100, packs: [basePack, plusPack, futurePack, ...Object.values(broken)] });
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    countyB = (await ok(adminB, 'GET', '/api/auth/me')).tenant.id;
  });
  afterAll(() => t?.close());

  it('lists the packs the runtime carries, none installed yet', async () => {
    const list = await ok(adminA, 'GET', '/api/packs');
    expect(list.items.map((p: { id: string }) => p.id)).toEqual(['meter-care', 'meter-care-plus', 'future', 'broken-form', 'broken-report', 'broken-process', 'broken-role', 'broken-page', 'broken-product', 'broken-rule']);
    expect(list.items[0]).toMatchObject({ version: '1.0.0', supported: true, installation: null, contents: { entities: ['mc_household', 'mc_meter'], workers: ['meter-care.log'] } });
    expect(list.items.find((p: { id: string }) => p.id === 'future').supported).toBe(false);
  });

  it('leaves nothing behind when an install step fails: a taken entity code, a bad form, report, process or page', async () => {
    // The tenant's own entity model already has a code the pack declares.
    const own = await ok(adminA, 'POST', '/api/design/artifacts', { kind: 'entity', code: 'mc_household', name: '自建' });
    const taken = await call(adminA, 'POST', '/api/packs/meter-care/install', {});
    expect(taken.status).toBe(409);
    expect(taken.body.error.details[0]).toMatchObject({ path: 'pack.entities.0.model', code: 'code_taken' });
    expect(await leftovers('meter-care')).toEqual({ artifacts: 0, installs: 0, definitions: 0, forms: 0, templates: 0, roles: 0, products: 0, rules: 0 });
    await ok(adminA, 'DELETE', `/api/design/artifacts/${own.id}`);

    // The tenant's own page holds the route a pack page wants.
    const page = await ok(adminA, 'POST', '/api/design/artifacts', {
      kind: 'page',
      code: 'own-page',
      name: '自建页面',
      content: { kind: 'page', route: 'taken-route', title: label('自建', 'Own'), menu: { show: true, order: 1 }, html: '', css: '' },
    });
    await ok(adminA, 'POST', `/api/design/artifacts/${page.id}/publish`, {});

    const expected = {
      'broken-form': { path: 'pack.forms.0', code: 'install_step_failed' },
      'broken-report': { path: 'pack.reports.0.template', code: 'install_step_failed' },
      'broken-process': { path: 'pack.processes.0', code: 'install_step_failed' },
      'broken-page': { path: 'pack.pages.0.page', code: 'install_step_failed' },
      'broken-role': { path: 'pack.roles.0.permissions' },
      // The last steps: every artifact and role before them was made, and is gone again.
      'broken-product': { path: 'pack.products.0.definition.transport' },
      'broken-rule': { path: expect.stringMatching(/^pack\.alarmRules\.0/) },
    };
    for (const [id, detail] of Object.entries(expected)) {
      const res = await call(adminA, 'POST', `/api/packs/${id}/install`, {});
      expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
      expect(res.body.error.details[0], id).toMatchObject(detail);
      expect(await leftovers(id), id).toEqual({ artifacts: 0, installs: 0, definitions: 0, forms: 0, templates: 0, roles: 0, products: 0, rules: 0 });
    }
  });

  it('refuses a pack for another platform, and one whose dependency is missing', async () => {
    const future = await call(adminA, 'POST', '/api/packs/future/install', {});
    expect(future.status).toBe(409);
    expect(future.body.error.details[0].code).toBe('platform_unsupported');
    const plus = await call(adminA, 'POST', '/api/packs/meter-care-plus/install', {});
    expect(plus.status).toBe(409);
    expect(plus.body.error.details[0]).toMatchObject({ path: 'pack.dependsOn.meter-care', code: 'dependency_missing' });
    expect((await call(adminA, 'POST', '/api/packs/nothing/install', {})).status).toBe(404);
  });

  it('installs every artifact published: entity data, the task form, the process with its pack worker, the report and the page in the menu', async () => {
    const installed = await call(adminA, 'POST', '/api/packs/meter-care/install', {});
    expect(installed.status).toBe(201);
    expect(installed.body.artifacts.map((a: { kind: string; code: string }) => `${a.kind}:${a.code}`)).toEqual([
      'entity:mc_household',
      'entity:mc_meter',
      'form:mc_check_form',
      'report:mc_online',
      'process:mc_check',
      'page:mc_home',
    ]);
    expect(installed.body.roles).toEqual(['meter-care-inspector']);
    // Its device product and alarm rule are the tenant's, like ones made through their APIs.
    expect(installed.body).toMatchObject({ products: ['MC-NB-20'], alarmRules: ['mc-pressure-high'] });
    expect((await ok(adminA, 'GET', '/api/products?q=MC-NB-20')).items[0]).toMatchObject({ code: 'MC-NB-20', codec: 'cjt188', transport: 'http-push' });
    expect((await ok(adminA, 'GET', '/api/alarm-rules?q=mc-pressure-high')).items[0]).toMatchObject({ kind: 'threshold', productCode: 'MC-NB-20', severity: 'critical' });
    expect((await call(adminA, 'POST', '/api/packs/meter-care/install', {})).body.error.details[0].code).toBe('already_installed');
    // The pack's default role works like any other: a user holding it gets its permissions.
    const role = (await ok(adminA, 'GET', '/api/roles?pageSize=100')).items.find((r: { code: string }) => r.code === 'meter-care-inspector');
    await ok(adminA, 'POST', '/api/users', { username: 'inspector@demo-county-a', displayName: '巡检员', password: 'Inspector-passw0rd-1', roleIds: [role.id] });
    const inspector = await t.login('inspector@demo-county-a', 'Inspector-passw0rd-1');
    expect((await ok(inspector, 'GET', '/api/auth/me')).permissions).toEqual(expect.arrayContaining(['task:complete', 'meter-care.inspection:close']));
    const list = await ok(adminA, 'GET', '/api/packs');
    expect(list.items[0].installation).toMatchObject({ version: '1.0.0', status: 'installed' });

    const household = await ok(adminA, 'POST', '/api/entities/mc_household/records', { data: { name: '张三' } });
    await ok(adminA, 'POST', '/api/entities/mc_meter/records', { data: { meterNo: 'M0001', household: household.id } });
    const menu = await ok(adminA, 'GET', '/api/app/pages');
    expect(menu.items).toContainEqual(expect.objectContaining({ route: 'mc-home', menu: { show: true, order: 5 } }));
    expect((await ok(adminA, 'GET', '/api/reports/templates?code=mc_online')).total).toBe(1);

    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'mc_check', variables: {} });
    const task = await until('the inspection task', async () => (await ok(adminA, 'GET', `/api/tasks?scope=candidate&instanceId=${instance.id}`)).items[0] as { id: number } | undefined);
    expect((await ok(adminA, 'GET', `/api/tasks/${task.id}`)).form).toMatchObject({ formId: 'mc_check_form' });
    await ok(adminA, 'POST', `/api/tasks/${task.id}/claim`, {});
    await ok(adminA, 'POST', `/api/tasks/${task.id}/complete`, { variables: { finding: '表盘完好' } });
    await until('the instance to end', async () => ((await ok(adminA, 'GET', `/api/workflow/instances/${instance.id}`)).state === 'completed' ? true : undefined));
    expect(checked).toContain('表盘完好');
  });

  it('disables and enables a pack: its page leaves the menu and comes back', async () => {
    await ok(adminA, 'POST', '/api/packs/meter-care/disable', {});
    expect((await ok(adminA, 'GET', '/api/app/pages')).items.map((p: { route: string }) => p.route)).not.toContain('mc-home');
    expect((await call(adminA, 'GET', '/api/app/pages/mc-home')).status).toBe(404);
    expect((await call(adminA, 'POST', '/api/packs/meter-care/disable', {})).status).toBe(409);
    await ok(adminA, 'POST', '/api/packs/meter-care/enable', {});
    expect((await ok(adminA, 'GET', '/api/app/pages')).items.map((p: { route: string }) => p.route)).toContain('mc-home');
  });

  it('keeps a pack while another depends on it, then uninstalls keeping or deleting the data', async () => {
    await ok(adminA, 'POST', '/api/packs/meter-care-plus/install', {});
    const blocked = await call(adminA, 'POST', '/api/packs/meter-care/uninstall', { data: 'keep' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.details[0].code).toBe('required_by');
    await ok(adminA, 'POST', '/api/packs/meter-care-plus/uninstall', { data: 'keep' });

    const kept = await ok(adminA, 'POST', '/api/packs/meter-care/uninstall', { data: 'keep' });
    expect(kept).toMatchObject({ removedArtifacts: 6, removedRoles: 1, deletedRecords: 0 });
    expect((await ok(adminA, 'GET', '/api/roles?pageSize=100')).items.map((r: { code: string }) => r.code)).not.toContain('meter-care-inspector');
    expect(await leftovers('meter-care')).toMatchObject({ artifacts: 0, installs: 0, templates: 0, products: 0, rules: 0 });
    expect((await call(adminA, 'GET', '/api/entities/mc_meter/records')).status).toBe(404);
    expect((await ok(adminA, 'GET', '/api/app/pages')).items.map((p: { route: string }) => p.route)).not.toContain('mc-home');

    // Installed again, the kept records are there.
    await ok(adminA, 'POST', '/api/packs/meter-care/install', {});
    expect((await ok(adminA, 'GET', '/api/entities/mc_meter/records')).items.map((r: { data: { meterNo: string } }) => r.data.meterNo)).toEqual(['M0001']);
    const deleted = await ok(adminA, 'POST', '/api/packs/meter-care/uninstall', { data: 'delete' });
    expect(deleted).toMatchObject({ removedArtifacts: 6, deletedRecords: 2 });
    await ok(adminA, 'POST', '/api/packs/meter-care/install', {});
    expect((await ok(adminA, 'GET', '/api/entities/mc_meter/records')).total).toBe(0);
  });

  it('upgrades v1 → v1.1: the form the tenant edited keeps the edit with the new form offered as a diff; what it did not edit moves on', async () => {
    // The tenant edits the pack's form (a new label) and publishes it.
    const forms = await ok(adminA, 'GET', '/api/design/artifacts?kind=form&q=mc_check_form');
    const form = await ok(adminA, 'GET', `/api/design/artifacts/${forms.items[0].id}`);
    expect(form.pack).toEqual({ id: 'meter-care', version: '1.0.0', offeredVersion: null });
    const schema = form.draft.content.schema;
    const edited = { schema: { ...schema, components: [{ ...schema.components[0], label: '检查结论（本司）' }] } };
    await ok(adminA, 'PUT', `/api/design/artifacts/${form.id}/draft`, { content: edited, revision: form.draftRevision });
    await ok(adminA, 'POST', `/api/design/artifacts/${form.id}/publish`, {});
    expect((await call(adminA, 'POST', '/api/packs/meter-care/upgrade', {})).body.error.details[0].code).toBe('up_to_date');

    // Version 1.1 changes the form and the page, and adds a report.
    const next = definePack(
      manifest((m) => {
        m.version = '1.1.0';
        m.forms![0]!.schema = { type: 'default', schemaVersion: 16, components: [{ id: 'f1', key: 'finding', label: '结论（1.1）', type: 'textfield', validate: { required: true } }] };
        m.pages![0]!.page.title = label('表务首页 1.1', 'Meter care 1.1');
        m.reports!.push({ code: 'mc_online_by_state', name: '按状态在线率', template: { dataset: { code: 'device-online-rate' }, query: { dimensions: ['state'], measures: ['onlineRate'] } } });
      }),
    );
    t.runtime.packs.deploy(next);
    expect((await ok(adminA, 'GET', '/api/packs')).items[0].installation).toMatchObject({ version: '1.0.0', upgradable: true });
    const upgraded = await ok(adminA, 'POST', '/api/packs/meter-care/upgrade', {});
    expect(upgraded).toMatchObject({ from: '1.0.0', installation: { version: '1.1.0' }, kept: ['form:mc_check_form'], added: ['report:mc_online_by_state'] });
    expect(upgraded.updated).toEqual(expect.arrayContaining(['page:mc_home', 'process:mc_check', 'entity:mc_meter']));

    // The edit survives, in the published form and the draft; the new form is offered beside it.
    const after = await ok(adminA, 'GET', `/api/design/artifacts/${form.id}`);
    expect(after.pack).toEqual({ id: 'meter-care', version: '1.0.0', offeredVersion: '1.1.0' });
    expect(after.draft.content.schema.components[0].label).toBe('检查结论（本司）');
    const diff = await ok(adminA, 'GET', `/api/design/artifacts/${form.id}/diff?to=pack`);
    expect(diff.patch).toContain('-        "label": "检查结论（本司）"');
    expect(diff.patch).toContain('+        "label": "结论（1.1）"');
    const instance = await ok(adminA, 'POST', '/api/workflow/instances', { processId: 'mc_check', variables: {} });
    const task = await until('the task', async () => (await ok(adminA, 'GET', `/api/tasks?scope=candidate&instanceId=${instance.id}`)).items[0] as { id: number } | undefined);
    expect((await ok(adminA, 'GET', `/api/tasks/${task.id}`)).form.schema.components[0].label).toBe('检查结论（本司）');
    // What the tenant did not edit took the new version.
    expect((await ok(adminA, 'GET', '/api/app/pages/mc-home')).title['zh-CN']).toBe('表务首页 1.1');
    expect((await ok(adminA, 'GET', '/api/reports/templates?code=mc_online_by_state')).total).toBe(1);
    const page = (await ok(adminA, 'GET', '/api/design/artifacts?kind=page&q=mc_home')).items[0];
    expect(page).toMatchObject({ publishedVersion: 2, draftChanged: false, pack: { version: '1.1.0', offeredVersion: null } });
    t.runtime.packs.deploy(basePack);
  });

  it('keeps each tenant’s packs its own: county-a can neither install into, see nor change county-b’s', async () => {
    await ok(adminB, 'POST', '/api/packs/meter-care/install', {});
    for (const [method, path, body] of [
      ['POST', '/api/packs/meter-care/install', { tenantId: countyB }],
      ['POST', '/api/packs/meter-care/disable', { tenantId: countyB }],
      ['POST', '/api/packs/meter-care/uninstall', { tenantId: countyB, data: 'delete' }],
      ['GET', `/api/packs?tenantId=${countyB}`, undefined],
    ] as const) {
      const res = await call(adminA, method, path, body);
      expect([403, 404], `${method} ${path}: ${JSON.stringify(res.body)}`).toContain(res.status);
    }
    const theirs = await ok(adminB, 'GET', '/api/packs');
    expect(theirs.items[0].installation).toMatchObject({ status: 'installed' });
    const viewerless = await call(adminB, 'GET', '/api/entities/mc_meter/records');
    expect(viewerless.status).toBe(200);
  });
});
