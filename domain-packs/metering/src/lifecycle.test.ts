/**
 * The metering pack's lifecycle in a tenant, through the platform's pack API: a failure injected at each
 * install step leaves nothing behind (no table, artifact, dataset, role or installation); install;
 * upgrade v1 → v1.1 with one migration and one changed form that the tenant had edited (the edit
 * survives, the new form is offered as a diff); disable; uninstall keeping or deleting data.
 */
import { definePack, type PackManifestInput } from '@shuiyun/sdk';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metering, meteringManifest } from './index.js';

const variant = (change: (m: PackManifestInput) => void): PackManifestInput => {
  const copy = structuredClone({ ...meteringManifest, workers: [], routes: [], seed: undefined, demo: undefined, events: { emits: [], consumes: [] } }) as PackManifestInput;
  // Functions and zod schemas do not clone: the originals are put back.
  copy.workers = meteringManifest.workers;
  copy.routes = meteringManifest.routes;
  copy.events = meteringManifest.events;
  copy.seed = meteringManifest.seed;
  change(copy);
  return copy;
};

describe('the metering pack through its lifecycle', () => {
  let kit: PackTestKit;
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await kit.request(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  /** What a pack leaves in the tenant (and the database): must be nothing after a failed install. */
  const leftovers = () =>
    kit.services('metering').transaction(async (tx) => {
      const [row] = await tx.query<Record<string, number>>(
        `select (select count(*) from design_artifacts where pack_id = 'metering')::int as artifacts,
           (select count(*) from roles where pack_id = 'metering')::int as roles,
           (select count(*) from pack_installations where pack_id = 'metering')::int as installs,
           (select count(*) from report_datasets where code like 'metering-%')::int as datasets,
           (select count(*) from entity_records where entity like 'metering_%')::int as records,
           (select count(*) from information_schema.schemata where schema_name = 'pack_metering')::int as schemas`,
      );
      return row;
    });
  const nothing = { artifacts: 0, roles: 0, installs: 0, datasets: 0, records: 0, schemas: 0 };

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering], install: false });
  });
  afterAll(() => kit?.close());

  /** A failure the runtime alone can see (definePack checks the rest), injected at each install step in turn. */
  const failures: { step: string; change: (m: PackManifestInput) => void; path: string; setup?: () => Promise<() => Promise<void>> }[] = [
    { step: 'a migration', change: (m) => m.migrations!.postgres!.push({ id: '0099_broken', sql: 'alter table readings add column broken nonsense_type' }), path: 'pack.migrations.postgres.1.sql' },
    { step: 'a dataset', change: (m) => (m.datasets![0]!.definition.measures = [{ id: 'x', label: 'x', aggregate: 'sum', column: 'no_such_column' }]), path: 'pack.datasets.0.definition' },
    {
      step: 'an entity model (its code taken by the tenant’s own)',
      change: () => undefined,
      path: 'pack.entities.0.model',
      setup: async () => {
        const own = await ok('POST', '/api/design/artifacts', { kind: 'entity', code: 'metering_household', name: '自建' });
        return async () => void (await ok('DELETE', `/api/design/artifacts/${own.id}`));
      },
    },
    { step: 'a task form', change: (m) => (m.forms![0]!.schema = { type: 'default', schemaVersion: 16, components: 'none' }), path: 'pack.forms.0' },
    { step: 'a report', change: (m) => (m.reports![0]!.template = { dataset: { code: 'metering-settlement' }, query: { dimensions: ['colour'], measures: ['meters'] } }), path: 'pack.reports.0.template' },
    {
      step: 'a process',
      change: (m) => (m.processes![0]!.xml = m.processes![0]!.xml.replace(/candidateGroups="[^"]*"|<bpmn:endEvent /, (hit) => (hit.startsWith('candidate') ? 'assignee="=if x then"' : '<bpmn:endEvent name="=if x then" '))),
      path: 'pack.processes.0',
    },
    {
      step: 'a page (its route taken by the tenant’s own page)',
      change: (m) => (m.pages![0]!.page.route = 'metering-taken'),
      path: 'pack.pages.0.page',
      setup: async () => {
        const own = await ok('POST', '/api/design/artifacts', { kind: 'page', code: 'own_page', name: '自建页面', content: { kind: 'page', route: 'metering-taken', title: { 'zh-CN': '自建', en: 'Own' }, menu: { show: true, order: 1 }, html: '', css: '' } });
        await ok('POST', `/api/design/artifacts/${own.id}/publish`, {});
        // A published page stays (the real pack's pages use routes of their own).
        return async () => undefined;
      },
    },
    { step: 'a default role', change: (m) => m.roles![0]!.permissions.push('tenant:create'), path: 'pack.roles.0.permissions' },
    { step: 'the seed', change: (m) => (m.seed = async (ctx) => void (await ctx.createRecord('metering_plan', { name: 'x', dayOfMonth: 31 }))), path: 'body.data.dayOfMonth' },
  ];

  it.each(failures)('leaves nothing behind when $step fails at install', async ({ change, path, setup }) => {
    const teardown = setup ? await setup() : async () => undefined;
    expect(await leftovers()).toEqual(nothing);
    await kit.deploy(definePack(variant(change)));
    const res = await kit.request('POST', '/api/packs/metering/install', { body: {} });
    expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(res.body)).toContain(path);
    expect(await leftovers()).toEqual(nothing);
    await teardown();
  });

  it('installs: tables, artifacts, datasets, roles, menu and the default plan in one step', async () => {
    await kit.deploy(metering);
    const installed = await ok('POST', '/api/packs/metering/install', {});
    expect(installed.migrations).toEqual(['0001_metering']);
    expect(installed.roles).toEqual(['metering-reader', 'metering-reviewer', 'metering-operator', 'metering-settler']);
    expect(await leftovers()).toMatchObject({ installs: 1, schemas: 1, datasets: 3, records: 1 });
    const plan = await ok('GET', '/api/entities/metering_plan/records');
    expect(plan.items[0].data).toMatchObject({ dayOfMonth: 1, toleranceDays: 3 });
    const menu = await ok('GET', '/api/app/pages');
    expect(menu.items.map((p: { route: string }) => p.route)).toEqual(expect.arrayContaining(['metering-dashboard', 'metering-archive', 'metering-review', 'metering-settlement']));
    // The other tenant has none of it until it installs the pack itself.
    const other = await kit.request('GET', '/api/entities/metering_plan/records', { token: kit.otherTenant.token });
    expect(other.status).toBe(404);
    // Each pack report runs against the freshly made tables (empty, but well-formed).
    for (const code of ['metering_reading_rate', 'metering_consumption_month', 'metering_settlement_summary', 'metering_volume_by_period', 'metering_unread', 'metering_abnormal', 'metering_consumption_day', 'metering_reading_rate_day']) {
      expect(await kit.runReport(code), code).toEqual([]);
    }
  });

  it('upgrades 1.0 → 1.1: one migration runs, the review form the tenant edited keeps the edit and the new one is offered as a diff', async () => {
    const list = await ok('GET', '/api/design/artifacts?kind=form&q=metering_review_form');
    const form = await ok('GET', `/api/design/artifacts/${list.items[0].id}`);
    const schema = form.draft.content.schema;
    const edited = { schema: { ...schema, components: [...schema.components, { id: 'ourNote', key: 'ourNote', label: '本司备注', type: 'textfield' }] } };
    await ok('PUT', `/api/design/artifacts/${form.id}/draft`, { content: edited, revision: form.draftRevision });
    await ok('POST', `/api/design/artifacts/${form.id}/publish`, {});

    const next = definePack(
      variant((m) => {
        m.version = '1.1.0';
        m.migrations!.postgres!.push({ id: '0002_reading_device', sql: 'alter table readings add column device text; create index readings_device_idx on readings (tenant_id, device);' });
        const review = m.forms!.find((f) => f.code === 'metering_review_form')!;
        review.schema = { ...review.schema, components: [...(review.schema.components as unknown[]), { id: 'photoChecked', key: 'photoChecked', label: '已核对照片', type: 'checkbox' }] };
      }),
    );
    const upgraded = (await kit.upgrade(next)).body;
    expect(upgraded).toMatchObject({ from: '1.0.0', installation: { version: '1.1.0' }, kept: ['form:metering_review_form'] });
    const columns = await kit.services('metering').transaction((tx) => tx.query(`select column_name from information_schema.columns where table_schema = 'pack_metering' and table_name = 'readings' and column_name = 'device'`));
    expect(columns).toEqual([{ column_name: 'device' }]);
    const after = await ok('GET', `/api/design/artifacts/${form.id}`);
    expect(after.pack).toMatchObject({ version: '1.0.0', offeredVersion: '1.1.0' });
    expect(JSON.stringify(after.draft.content)).toContain('本司备注');
    const diff = await ok('GET', `/api/design/artifacts/${form.id}/diff?to=pack`);
    expect(diff.patch).toContain('已核对照片');
    expect(diff.patch).toContain('本司备注');
  });

  it('disables (pages and routes leave), enables, and uninstalls keeping the data for a later install', async () => {
    await ok('POST', '/api/packs/metering/disable', {});
    expect((await ok('GET', '/api/app/pages')).items.map((p: { route: string }) => p.route)).not.toContain('metering-dashboard');
    expect((await kit.request('GET', '/api/ext/metering/periods')).status).toBe(409);
    await ok('POST', '/api/packs/metering/enable', {});
    expect((await kit.request('GET', '/api/ext/metering/periods')).status).toBe(200);

    const removed = await ok('POST', '/api/packs/metering/uninstall', { data: 'keep' });
    expect(removed.removedRoles).toBe(4);
    const after = await leftovers();
    expect(after).toMatchObject({ artifacts: 0, roles: 0, installs: 0, datasets: 0, records: 1 });
    // Its routes answer no more: the permissions went with it (403), and the installation (404).
    expect([403, 404]).toContain((await kit.request('GET', '/api/ext/metering/periods')).status);
    // A later install finds the records it kept (the plan is not seeded twice: the seed is per first install).
    await ok('POST', '/api/packs/metering/install', {});
    expect((await ok('GET', '/api/entities/metering_plan/records')).total).toBeGreaterThanOrEqual(1);
    const gone = await ok('POST', '/api/packs/metering/uninstall', { data: 'delete' });
    expect(gone.deletedRecords).toBeGreaterThanOrEqual(1);
    expect(await leftovers()).toMatchObject({ records: 0, installs: 0 });
  });
});
