import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePack, type PackIssue, PackManifestError, type PackManifestInput, supportsPlatform } from './pack.js';
import { defineWorker } from './workflow.js';

const zh = (text: string, en: string) => ({ 'zh-CN': text, en });

/** A user task showing `formId`, and a service task served by the pack's worker, as bpmn-js writes them. */
const bpmn = ({ processId = 'meter-replacement', formId = 'meter-replacement-approval' } = {}) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_0x1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.30.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="${processId}" name="换表" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="approve" name="审批换表">
      <bpmn:extensionElements>
        <zeebe:formDefinition formId="${formId}" />
        <zeebe:assignmentDefinition candidateGroups="metering-supervisor" />
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="freeze" name="冻结读数">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="metering.freeze-readings" retries="3" />
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_2</bpmn:incoming>
      <bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="EndEvent_1">
      <bpmn:incoming>Flow_3</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="approve" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="approve" targetRef="freeze" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="freeze" targetRef="EndEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="${processId}" />
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;

const freezeReadings = defineWorker({
  type: 'metering.freeze-readings',
  title: zh('冻结读数', 'Freeze readings'),
  input: z.object({ meterNo: z.string(), periodId: z.number().int() }),
  output: z.object({ frozen: z.number().int() }),
  handler: async (input) => ({ frozen: input.meterNo.length > 0 ? 1 : 0 }),
});

/** A small metering pack: every kind of declaration once, all of them referring to each other. */
function meteringPack() {
  return {
    id: 'metering',
    version: '0.3.1',
    platform: '^0.1.0',
    name: zh('集抄', 'Meter reading'),
    description: zh('抄表、冻结与结算', 'Reading, freezing and settling meters'),
    entities: [
      {
        code: 'household',
        name: '用户档案',
        model: {
          label: zh('用户档案', 'Household'),
          fields: [
            { name: 'accountNo', label: zh('户号', 'Account no.'), type: 'string', required: true, unique: true, maxLength: 32 },
            { name: 'holder', label: zh('户主', 'Holder'), type: 'string', required: true },
          ],
          titleField: 'accountNo',
        },
      },
      {
        code: 'meter_archive',
        name: '水表档案',
        model: {
          label: zh('水表档案', 'Meter archive'),
          fields: [
            { name: 'meterNo', label: zh('表号', 'Meter no.'), type: 'string', required: true, unique: true, pattern: '^[0-9A-Z]{8,16}$' },
            { name: 'household', label: zh('所属用户', 'Household'), type: 'reference', reference: 'household', required: true },
            {
              name: 'caliber',
              label: zh('口径', 'Caliber'),
              type: 'enum',
              options: [
                { value: 'DN15', label: zh('DN15', 'DN15') },
                { value: 'DN20', label: zh('DN20', 'DN20') },
              ],
            },
            { name: 'installedOn', label: zh('安装日期', 'Installed on'), type: 'date' },
          ],
          indexes: [{ fields: ['household'] }],
          titleField: 'meterNo',
        },
      },
    ],
    forms: [
      {
        code: 'meter-replacement-approval',
        name: '换表审批',
        schema: { type: 'default', id: 'meter-replacement-approval', components: [{ type: 'checkbox', key: 'approved', label: '同意换表' }] },
      },
    ],
    entityForms: [{ entity: 'meter_archive', schema: { type: 'object', properties: { meterNo: { type: 'string', 'x-component': 'Input' } } } }],
    processes: [{ code: 'meter-replacement', name: '换表', xml: bpmn() }],
    pages: [
      {
        code: 'meter-board',
        name: '抄表看板',
        page: { kind: 'dashboard', route: 'meter-board', title: zh('抄表看板', 'Meter board'), menu: { show: true, order: 10 }, html: '<div data-block="kpi"></div>', css: '' },
      },
    ],
    datasets: [{ definition: { id: 'metering.meter-archive', source: 'entity:meter_archive' } }],
    reports: [{ code: 'meter-inventory', name: '水表台账', template: { dataset: { code: 'metering.meter-archive' }, view: 'table' } }],
    permissions: [
      { name: 'metering.meter:read', label: zh('查看水表', 'View meters') },
      { name: 'metering.settlement:close', label: zh('关账', 'Close a settlement period') },
    ],
    roles: [{ code: 'meter-reader', name: zh('抄表员', 'Meter reader'), permissions: ['metering.meter:read', 'tasks:complete'] }],
    workers: [freezeReadings],
    alarmRules: [{ ruleId: 'reverse-flow', kind: 'threshold', params: { metric: 'reverse_volume', above: 0.5 } }],
    products: [{ code: 'NB-DN20', name: 'NB-IoT 水表 DN20', definition: { codec: 'json-thing-model' } }],
    menu: [{ page: 'meter-board', label: zh('抄表看板', 'Meter board'), icon: 'dashboard' }],
    events: {
      emits: [{ name: 'metering.period-closed', description: zh('抄表期关账', 'A reading period closed'), payload: z.object({ periodId: z.number().int(), closedAt: z.iso.datetime() }) }],
      consumes: ['billing.bill-issued'],
    },
    migrations: {
      postgres: [
        { id: '0001_meter_archive', sql: 'create table meter_archive (id bigint primary key)' },
        { id: '0002_meter_archive_household', sql: 'alter table meter_archive add column household_id bigint' },
      ],
      analytics: [{ id: '0001_readings_daily', sql: 'create table readings_daily (meter String, day Date) engine = MergeTree order by (meter, day)' }],
    },
    seed: async (ctx) => {
      await ctx.createRecord('household', { accountNo: '0001', holder: '张三' });
    },
  } satisfies PackManifestInput;
}

type Manifest = ReturnType<typeof meteringPack>;

/** The error definePack throws for `manifest` (fails the test when it loads). */
function refusal(manifest: unknown): PackManifestError {
  try {
    definePack(manifest as PackManifestInput);
  } catch (error) {
    expect(error).toBeInstanceOf(PackManifestError);
    return error as PackManifestError;
  }
  throw new Error('the manifest loaded');
}

/** The one issue at `path`, its message containing `fragment`. */
function expectIssue(manifest: unknown, path: string, fragment: string | RegExp): PackIssue {
  const { issues } = refusal(manifest);
  const at = issues.filter((issue) => issue.path === path);
  expect(at, `issues: ${JSON.stringify(issues)}`).toHaveLength(1);
  expect(at[0]!.message).toMatch(fragment);
  return at[0]!;
}

/** A fresh valid manifest, changed by `change`. */
function variant(change: (m: Manifest) => void): Manifest {
  const m = meteringPack();
  change(m);
  return m;
}

describe('definePack', () => {
  it('loads a complete manifest, keeps what it declares and freezes it', () => {
    const pack = definePack(meteringPack());
    expect(pack.id).toBe('metering');
    expect(pack.version).toBe('0.3.1');
    expect(pack.entities.map((e) => e.code)).toEqual(['household', 'meter_archive']);
    expect(pack.entities[1]!.model.fields[1]).toMatchObject({ type: 'reference', reference: 'household' });
    expect(pack.processes[0]!.xml).toContain('<zeebe:formDefinition formId="meter-replacement-approval" />');
    expect(pack.workers).toEqual([freezeReadings]);
    expect(pack.workers[0]!.type).toBe('metering.freeze-readings');
    expect(pack.events.emits[0]!.payload.safeParse({ periodId: 7, closedAt: '2026-12-01T00:00:00Z' }).success).toBe(true);
    expect(pack.events.emits[0]!.payload.safeParse({ periodId: 'seven' }).success).toBe(false);
    expect(pack.events.consumes).toEqual(['billing.bill-issued']);
    expect(pack.migrations.postgres.map((x) => x.id)).toEqual(['0001_meter_archive', '0002_meter_archive_household']);
    expect(typeof pack.seed).toBe('function');
    expect(Object.isFrozen(pack)).toBe(true);
  });

  it('fills the defaults of what the manifest leaves out', () => {
    const manifest = meteringPack();
    // a menu entry without an order, alarm rule without params
    manifest.alarmRules = [{ ruleId: 'reverse-flow', kind: 'threshold' } as Manifest['alarmRules'][number]];
    const pack = definePack(manifest);
    expect(pack.menu[0]).toEqual({ page: 'meter-board', label: zh('抄表看板', 'Meter board'), icon: 'dashboard', order: 100 });
    expect(pack.alarmRules[0]!.params).toEqual({});
    expect(pack.dependsOn).toEqual({});

    const bare = definePack({ id: 'leak-analysis', version: '1.0.0-beta.2', platform: '>=0.1.0 <0.3.0', name: zh('漏损', 'Leak analysis') });
    expect(bare).toMatchObject({
      dependsOn: {},
      entities: [],
      forms: [],
      entityForms: [],
      processes: [],
      pages: [],
      datasets: [],
      reports: [],
      permissions: [],
      roles: [],
      workers: [],
      alarmRules: [],
      products: [],
      codecs: [],
      menu: [],
      events: { emits: [], consumes: [] },
      migrations: { postgres: [], analytics: [] },
    });
    expect(bare.seed).toBeUndefined();
  });

  it('accepts the packs it depends on, by version range', () => {
    const pack = definePack({ ...meteringPack(), id: 'billing', permissions: [], roles: [], events: {}, workers: [], dependsOn: { metering: '^0.3.0', 'meter-repair': '~1.2' } });
    expect(pack.dependsOn).toEqual({ metering: '^0.3.0', 'meter-repair': '~1.2' });
  });

  it('reads process and form ids whatever the attribute order, namespace prefix or layout', () => {
    const shapes = [
      '<bpmn:process id="meter-replacement" isExecutable="true">',
      '<bpmn:process isExecutable="true" id="meter-replacement" name="换表">',
      '<bpmn:process\n      id="meter-replacement"\n      isExecutable="true">',
      '<bpmn2:process id="meter-replacement" isExecutable="true">',
      '<process id="meter-replacement" isExecutable="true">',
    ];
    for (const open of shapes) {
      const close = open.startsWith('<process') ? '</process>' : open.startsWith('<bpmn2:') ? '</bpmn2:process>' : '</bpmn:process>';
      const xml = bpmn()
        .replace('<bpmn:process id="meter-replacement" name="换表" isExecutable="true">', open)
        .replace('</bpmn:process>', close)
        .replace('<zeebe:formDefinition formId="meter-replacement-approval" />', '<zeebe:formDefinition bindingType="deployment"\n formId="meter-replacement-approval"/>');
      expect(xml).toContain(open);
      expect(() => definePack(variant((m) => (m.processes[0]!.xml = xml))), open).not.toThrow();
    }
    // a collaboration's participant names the process; only the process itself defines the id
    const collaboration = bpmn().replace(
      '<bpmn:process id="meter-replacement"',
      '<bpmn:collaboration id="Collaboration_1"><bpmn:participant id="Participant_1" processRef="meter-replacement" /></bpmn:collaboration>\n  <bpmn:process id="meter-replacement"',
    );
    expect(() => definePack(variant((m) => (m.processes[0]!.xml = collaboration)))).not.toThrow();
  });

  describe('refuses', () => {
    it('a bad pack id', () => {
      const error = refusal(variant((m) => (m.id = 'Metering_Pack')));
      expect(error.packId).toBe('Metering_Pack');
      expect(error.issues).toContainEqual({ path: 'id', message: expect.stringContaining('lower-case letters') });
      expectIssue(variant((m) => (m.id = 'm')), 'id', /2 to 40/);
    });

    it('a version that is not semver', () => {
      expectIssue(variant((m) => (m.version = '1.2')), 'version', /semantic version/);
      expectIssue(variant((m) => (m.version = 'v1.2.0-')), 'version', /semantic version/);
    });

    it('a platform that is not a semver range', () => {
      expectIssue(variant((m) => (m.platform = 'latest')), 'platform', /semver range/);
    });

    it('a dependency on a bad id or a bad range', () => {
      expectIssue({ ...meteringPack(), dependsOn: { billing: 'newest' } }, 'dependsOn.billing', /semver range/);
      expectIssue({ ...meteringPack(), dependsOn: { Billing: '^1.0.0' } }, 'dependsOn.Billing', /key/);
    });

    it('an unknown key at the top level, each one by its own path', () => {
      const error = refusal({ ...meteringPack(), workflows: [] });
      expect(error.issues).toEqual([{ path: 'workflows', message: 'Unrecognized key: "workflows"' }]);
      expect(error.message).toContain('pack metering: workflows: Unrecognized key');
      expect(refusal({ ...meteringPack(), workflows: [], menus: [] }).issues).toEqual([
        { path: 'workflows', message: 'Unrecognized key: "workflows"' },
        { path: 'menus', message: 'Unrecognized key: "menus"' },
      ]);
    });

    it('an unknown key inside a declaration', () => {
      expectIssue(
        variant((m) => Object.assign(m.menu[0]!, { title: 'x' })),
        'menu.0.title',
        /title/,
      );
    });

    it.each([
      ['entities', (m: Manifest) => m.entities.push({ ...m.entities[0]! })],
      ['forms', (m: Manifest) => m.forms.push({ ...m.forms[0]! })],
      ['processes', (m: Manifest) => m.processes.push({ ...m.processes[0]! })],
      ['pages', (m: Manifest) => m.pages.push({ ...m.pages[0]!, page: { ...m.pages[0]!.page, route: 'other-route' } })],
      ['reports', (m: Manifest) => m.reports.push({ ...m.reports[0]! })],
      ['roles', (m: Manifest) => m.roles.push({ ...m.roles[0]! })],
      ['permissions', (m: Manifest) => m.permissions.push({ ...m.permissions[0]! })],
      ['workers', (m: Manifest) => m.workers.push(defineWorker({ ...freezeReadings }))],
      ['events.emits', (m: Manifest) => m.events.emits.push({ ...m.events.emits[0]! })],
    ] as const)('a code declared twice among %s', (path, change) => {
      const manifest = variant(change);
      const last = (path === 'events.emits' ? manifest.events.emits : manifest[path]).length - 1;
      expectIssue(manifest, `${path}.${last}`, `declared twice (also at ${path}.0)`);
    });

    it('two pages on one route', () => {
      expectIssue(
        variant((m) => m.pages.push({ ...m.pages[0]!, code: 'meter-board-2' })),
        'pages.1',
        /meter-board is declared twice/,
      );
    });

    it('a process file that does not define the process of its code', () => {
      const issue = expectIssue(
        variant((m) => (m.processes[0]!.xml = bpmn({ processId: 'Process_0k3l9x' }))),
        'processes.0.xml',
        /defines Process_0k3l9x, not a process with the id meter-replacement/,
      );
      expect(issue.message).not.toContain('form');
      expectIssue(variant((m) => (m.processes[0]!.xml = '<bpmn:definitions id="d"/>')), 'processes.0.xml', /defines no process/);
    });

    it('a user task showing a form the pack does not declare', () => {
      expectIssue(
        variant((m) => (m.processes[0]!.xml = bpmn({ formId: 'meter-swap-form' }))),
        'processes.0.xml',
        /shows the form meter-swap-form, which the pack does not declare/,
      );
    });

    it('a menu entry naming a page the pack does not have', () => {
      expectIssue(
        variant((m) => (m.menu[0]!.page = 'reading-board')),
        'menu.0.page',
        'no page reading-board in the pack',
      );
    });

    it('an entity field referring to an entity the pack does not have', () => {
      expectIssue(
        variant((m) => ((m.entities[1]!.model.fields[1] as { reference: string }).reference = 'customer')),
        'entities.1.model.fields.1.reference',
        'no entity customer in the pack',
      );
    });

    it('an entity form for an entity the pack does not have', () => {
      expectIssue(
        variant((m) => (m.entityForms[0]!.entity = 'water_meter')),
        'entityForms.0.entity',
        'no entity water_meter in the pack',
      );
    });

    it('a permission of the pack without the pack prefix', () => {
      expectIssue(
        variant((m) => (m.permissions[1]!.name = 'settlement:close')),
        'permissions.1.name',
        /starts with its id: metering\./,
      );
      expectIssue(variant((m) => (m.permissions[1]!.name = 'metering.settlement')), 'permissions.1.name', /resource:action/);
    });

    it('a role holding a pack permission the pack does not declare', () => {
      expectIssue(
        variant((m) => m.roles[0]!.permissions.push('metering.meter:delete')),
        'roles.0.permissions.2',
        'metering.meter:delete is not among the pack',
      );
    });

    it('an emitted event without the pack prefix', () => {
      expectIssue(
        variant((m) => (m.events.emits[0]!.name = 'billing.period-closed')),
        'events.emits.0.name',
        /starts with its id: metering\./,
      );
      expectIssue(variant((m) => (m.events.emits[0]!.name = 'period-closed')), 'events.emits.0.name', /dotted lower-case/);
    });

    it('an emitted event whose payload is not a zod schema', () => {
      expectIssue(
        variant((m) => Object.assign(m.events.emits[0]!, { payload: { periodId: 'number' } })),
        'events.emits.0.payload',
        /zod schema/,
      );
    });

    it('a worker whose job type lacks the pack prefix', () => {
      expectIssue(
        variant((m) => (m.workers[0] = defineWorker({ ...freezeReadings, type: 'freeze-readings' }))),
        'workers.0',
        /job type starts with the pack id: metering\.… \(it is freeze-readings\)/,
      );
      for (const type of ['water.metering.freeze-readings', 'metering-extra.freeze-readings']) {
        expectIssue(variant((m) => (m.workers[0] = defineWorker({ ...freezeReadings, type }))), 'workers.0', `(it is ${type})`);
      }
    });

    it('a worker that defineWorker did not make', () => {
      expectIssue({ ...meteringPack(), workers: [{ type: 'metering.freeze-readings' }] }, 'workers.0', /defineWorker/);
    });

    it('a dependency on itself', () => {
      expectIssue({ ...meteringPack(), dependsOn: { metering: '^0.3.0' } }, 'dependsOn.metering', 'cannot depend on itself');
    });

    it('a migration id declared twice, or not NNNN_name', () => {
      expectIssue(
        variant((m) => m.migrations.postgres.push({ id: '0001_meter_archive', sql: 'select 1' })),
        'migrations.postgres.2',
        '0001_meter_archive is declared twice (also at migrations.postgres.0)',
      );
      expectIssue(
        variant((m) => m.migrations.analytics.push({ id: '0001_readings_daily', sql: 'select 1' })),
        'migrations.analytics.1',
        'declared twice (also at migrations.analytics.0)',
      );
      expectIssue(variant((m) => (m.migrations.postgres[1]!.id = '2_household')), 'migrations.postgres.1.id', 'NNNN_name');
    });

    it('an invalid entity model, by its path inside the model', () => {
      expectIssue(
        variant((m) => (m.entities[1]!.model.fields[0]!.name = 'Meter No')),
        'entities.1.model.fields.0.name',
        /camelCase/,
      );
      expectIssue(
        variant((m) => delete (m.entities[1]!.model.fields[2] as { options?: unknown }).options),
        'entities.1.model.fields.2.options',
        'an enum field lists its options',
      );
      expectIssue(
        variant((m) => (m.entities[1]!.model.indexes![0]!.fields[0] = 'householdId')),
        'entities.1.model.indexes.0.fields.0',
        'no field householdId',
      );
    });

    it('every problem of the shape at once', () => {
      const error = refusal({
        ...meteringPack(),
        id: 'Metering',
        version: '1',
        platform: 'any',
        legacy: true,
        menu: [{ page: 'meter-board', label: { 'zh-CN': '抄表看板' } }],
      });
      expect(error.issues.map((i) => i.path).sort()).toEqual(['id', 'legacy', 'menu.0.label.en', 'platform', 'version']);
      for (const path of ['id', 'version', 'platform', 'legacy', 'menu.0.label.en']) expect(error.message).toContain(`${path}: `);
    });

    it('every broken cross-reference at once', () => {
      const error = refusal(
        variant((m) => {
          m.menu[0]!.page = 'nowhere';
          m.events.emits[0]!.name = 'billing.period-closed';
          m.roles[0]!.permissions.push('metering.meter:delete');
          m.processes[0]!.xml = bpmn({ formId: 'missing-form' });
          Object.assign(m, { dependsOn: { metering: '*' } });
        }),
      );
      expect(error.packId).toBe('metering');
      expect(error.issues.map((i) => i.path).sort()).toEqual(['dependsOn.metering', 'events.emits.0.name', 'menu.0.page', 'processes.0.xml', 'roles.0.permissions.2']);
      expect(error.message).toMatch(/^pack metering: /);
    });
  });
});

describe('supportsPlatform', () => {
  const pack = definePack({ id: 'metering', version: '0.3.1', platform: '^0.1.0', name: zh('集抄', 'Meter reading') });

  it('is true for a platform version in the range', () => {
    expect(supportsPlatform(pack, '0.1.0')).toBe(true);
    expect(supportsPlatform(pack, '0.1.9')).toBe(true);
  });

  it('is false outside the range', () => {
    expect(supportsPlatform(pack, '0.2.0')).toBe(false);
    expect(supportsPlatform(pack, '0.0.9')).toBe(false);
    expect(supportsPlatform(pack, '1.0.0')).toBe(false);
    expect(supportsPlatform(pack, 'not-a-version')).toBe(false);
  });

  it('counts a prerelease inside the range, not one before it or of the next minor', () => {
    expect(supportsPlatform(pack, '0.1.3-rc.1')).toBe(true);
    expect(supportsPlatform(pack, '0.1.0-rc.1')).toBe(false);
    expect(supportsPlatform(pack, '0.2.0-alpha.1')).toBe(false);
    const ranged = definePack({ id: 'billing', version: '1.0.0', platform: '>=0.2.0-0 <0.4.0', name: zh('营业收费', 'Billing') });
    expect(supportsPlatform(ranged, '0.2.0-beta.3')).toBe(true);
    expect(supportsPlatform(ranged, '0.4.0')).toBe(false);
    // semver order: 0.4.0-rc.1 is below 0.4.0, so an explicit `<0.4.0` lets it in; `<0.4.0-0` (what ^ means) does not
    expect(supportsPlatform(ranged, '0.4.0-rc.1')).toBe(true);
    const strict = definePack({ id: 'billing', version: '1.0.0', platform: '>=0.2.0-0 <0.4.0-0', name: zh('营业收费', 'Billing') });
    expect(supportsPlatform(strict, '0.4.0-rc.1')).toBe(false);
    expect(supportsPlatform(strict, '0.3.9')).toBe(true);
  });
});
