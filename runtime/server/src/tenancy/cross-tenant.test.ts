import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asSystem, type Db, orgUnits, queryRows, roles, tenants, users, communities } from '@shuiyun/db';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodObject } from 'zod';
import type { RuntimeRoute } from '../http/route.js';
import { covers } from '../permissions/catalogue.js';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

/**
 * The acceptance suite for tenant isolation: every tenant-scoped route is tried with another tenant's
 * records. Routes are read off the running runtime, so a new `/:id` route, list filter or create route
 * is attacked automatically, or fails this suite until it has a fixture here.
 */

/** One record of each kind, made in a victim tenant for the attacks, and the table it lives in. */
interface Fixtures {
  tenantId: number;
  tenantPath: string;
  /** path prefix of a `/:id` route → id of a record of the victim tenant that the route could touch. */
  byPrefix: Record<string, number>;
  /** the table behind each prefix, to prove the record was not changed. */
  tables: Record<string, string>;
  /** seeded records the list filters name. */
  org: { ops: number; metering: number };
  community: number;
  /** A building of `community`, and a product: device list filters name them. */
  building: number;
  product: number;
  /** A device of `product`, with an open alarm. */
  device: number;
  admin: number;
  victimUser: number;
  viewerRole: number;
  /** A process instance waiting at a user task, with an incident on a job nobody serves. */
  workflowInstance: number;
  /** The victim's own BPMN process id. */
  processId: string;
  /** A report template of the victim, on a dataset of its own. */
  reportTemplate: number;
  /** A schedule of that template, owned by the victim's administrator. */
  reportSchedule: number;
  /** The victim's published entity model (a name, not an id: routes name it by `:code`) and page (`:route`). */
  entityCode: string;
  pageRoute: string;
  /** A finished background export of that template, asked for by the victim's administrator. */
  reportExport: number;
}

/** A user task for the administrators, beside a job no worker serves (an incident with its failed job). */
const victimBpmn = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="victim" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:process id="victim-process" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing><bpmn:outgoing>f2</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="approve"><bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="admin" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:serviceTask id="check"><bpmn:extensionElements><zeebe:taskDefinition type="victim.nobody-serves" /></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end1"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end2"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork" />
    <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="check" />
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="end1" />
    <bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="end2" />
  </bpmn:process>
</bpmn:definitions>`;

/** A dataset over the victim's alarms (PostgreSQL, no SQL of its own) and a template on it. */
const victimDataset = {
  id: 'victim-alarms',
  label: '受害告警',
  source: { kind: 'postgres', relation: 'alarms' },
  columns: { tenant_path: { type: 'tenantPath' }, kind: { type: 'string' } },
  dimensions: [{ id: 'kind', label: '类型', column: 'kind' }],
  measures: [{ id: 'alarms', label: '告警数', aggregate: 'count' }],
};
const victimTemplate = { code: 'victim-report', name: '受害报表', dataset: { code: 'victim-alarms' }, query: { dimensions: ['kind'], measures: ['alarms'] } };

/** The record a route names: by `/:id` after its prefix, or by a name (`:code`, `:route`) in the whole path. */
const prefixOf = (path: string) => (path.includes('/:id') ? path.slice(0, path.indexOf('/:id')) : path);
const HIJACK = 'hijacked';

/** A body that passes the route's schema, so a 400 cannot hide a missing tenant check. */
function validBodyFor(route: RuntimeRoute): unknown {
  const key = `${route.method.toUpperCase()} ${route.path}`;
  const bodies: Record<string, unknown> = {
    'PATCH /api/tenants/:id': { name: HIJACK, settings: { brandingName: HIJACK, timeZone: 'UTC' } },
    'PATCH /api/org-units/:id': { name: HIJACK, code: HIJACK },
    'PATCH /api/communities/:id': { name: HIJACK, address: HIJACK },
    'PATCH /api/buildings/:id': { name: HIJACK },
    'PATCH /api/identity-providers/:id': { name: HIJACK, enabled: false, clientSecret: HIJACK },
    'PATCH /api/users/:id': { displayName: HIJACK, status: 'disabled' },
    'PUT /api/users/:id/roles': { roleIds: [] },
    'POST /api/users/:id/password': { password: 'Hijacked-passw0rd-1' },
    'PATCH /api/roles/:id': { name: HIJACK, permissions: ['community:read', 'community:delete'], dataScope: 'own' },
    'PATCH /api/products/:id': { name: HIJACK, manufacturer: HIJACK },
    'PATCH /api/devices/:id': { accountRef: HIJACK, dmaCode: HIJACK },
    'POST /api/devices/:id/transition': { to: 'accepted', note: HIJACK },
    'PATCH /api/push-endpoints/:id': { name: HIJACK, enabled: false, token: HIJACK, regenerateCode: true },
    'POST /api/alarms/:id/acknowledge': { note: HIJACK },
    'POST /api/alarms/:id/clear': { note: HIJACK },
    'POST /api/devices/:id/commands': { service: 'valve_close' },
    'PATCH /api/alarm-rules/:id': { enabled: false, severity: 'info', params: {} },
    'POST /api/workflow/incidents/:id/retry': { retries: 1 },
    'POST /api/workflow/jobs/:id/complete': { worker: 'evil', variables: { hijacked: true } },
    'POST /api/workflow/jobs/:id/fail': { worker: 'evil', errorMessage: HIJACK, retries: 0 },
    'POST /api/workflow/jobs/:id/error': { worker: 'evil', errorCode: HIJACK },
    'POST /api/tasks/:id/assign': { assignee: 'root@demo-county-a' },
    'POST /api/tasks/:id/complete': { variables: { hijacked: true } },
    'PUT /api/reports/datasets/:id': { definition: { ...victimDataset, label: HIJACK } },
    'PUT /api/reports/templates/:id': { template: { ...victimTemplate, name: HIJACK } },
    'PATCH /api/reports/schedules/:id': { name: HIJACK, enabled: false, recipients: { users: [], emails: [] } },
    'PUT /api/design/artifacts/:id/draft': { content: { hijacked: true }, revision: 1 },
    'POST /api/design/artifacts/:id/publish': { note: HIJACK },
    'POST /api/design/artifacts/:id/rollback': { version: 1 },
    'POST /api/entities/:code/records': { data: { name: HIJACK } },
    'PUT /api/entities/:code/records/:id': { data: { name: HIJACK }, revision: 1 },
  };
  if (!route.body) return undefined;
  if (!(key in bodies)) throw new Error(`no valid body known for ${key}: add one to cross-tenant.test.ts`);
  const body = bodies[key];
  const parsed = route.body.safeParse(body);
  if (!parsed.success) throw new Error(`the body for ${key} is not valid, fix the fixture: ${parsed.error.message}`);
  return body;
}

/** Creates made by naming the victim tenant (or a record of it) in the body. */
function foreignCreateBody(path: string, f: Fixtures): unknown {
  const bodies: Record<string, unknown> = {
    '/api/tenants': { parentId: f.tenantId, code: 'xt-evil', name: 'evil', kind: 'site' },
    '/api/org-units': { tenantId: f.tenantId, code: 'xt-evil', name: 'evil' },
    '/api/communities': { tenantId: f.tenantId, code: 'xt-evil', name: 'evil' },
    '/api/buildings': { communityId: f.community, code: 'xt-evil', name: 'evil' },
    '/api/identity-providers': { tenantId: f.tenantId, code: 'xt-evil', name: 'evil', issuer: 'https://evil.example.test', clientId: 'evil' },
    '/api/users': { tenantId: f.tenantId, username: 'xt-evil', displayName: 'evil', password: 'Evil-passw0rd-123' },
    '/api/roles': { tenantId: f.tenantId, code: 'xt-evil', name: 'evil', permissions: ['community:read'] },
    '/api/products': { tenantId: f.tenantId, code: 'xt-evil', name: 'evil', kind: 'nb-iot-meter', transport: 'http-push', codec: 'json-thing-model', thingModel: {} },
    '/api/devices': { productId: f.product, meterNumber: 'xt-evil', deviceKey: 'xt-evil', communityId: f.community },
    '/api/push-endpoints': { tenantId: f.tenantId, platform: 'ctwing', name: 'xt-evil' },
    '/api/alarm-rules': { tenantId: f.tenantId, ruleId: 'xt-evil', kind: 'offline' },
    '/api/workflow/deployments': { tenantId: f.tenantId, resources: [{ name: 'xt-evil.bpmn', content: victimBpmn.replace(/victim-process/g, 'xt-evil') }] },
    '/api/workflow/instances': { tenantId: f.tenantId, processId: f.processId, variables: { hijacked: true } },
    '/api/workflow/messages': { tenantId: f.tenantId, name: 'victim-message', correlationKey: 'victim' },
    '/api/reports/datasets': { tenantId: f.tenantId, definition: { ...victimDataset, id: 'xt-evil' } },
    '/api/reports/templates': { tenantId: f.tenantId, template: { ...victimTemplate, code: 'xt-evil' } },
    // Running names the victim's template; the run writes nothing, so only its answer can show a leak.
    '/api/reports/run': { template: f.reportTemplate },
    '/api/reports/schedules': { tenantId: f.tenantId, templateId: f.reportTemplate, name: 'xt-evil', cron: '0 8 * * *', recipients: { users: [f.admin] } },
    // A background export of the victim's template: the run it names is not visible, so no job is made.
    '/api/reports/exports': { template: f.reportTemplate },
    '/api/design/artifacts': { tenantId: f.tenantId, kind: 'page', code: 'xt-evil', name: 'evil' },
  };
  if (!(path in bodies)) throw new Error(`no cross-tenant create body known for POST ${path}: add one to cross-tenant.test.ts`);
  return bodies[path];
}

/**
 * The query string that makes a list filter name one of the victim's records. `history` filters search the
 * audit trail, whose rows outlive the users and records they name, so they are no existence check.
 */
function filterQuery(path: string, key: string, f: Fixtures): { query: string; history: boolean } {
  const named = (value: number) => ({ query: `${key}=${value}`, history: false });
  if (path === '/api/audit' && key === 'actorId') return { query: `actorId=${f.admin}`, history: true };
  if (path === '/api/audit' && key === 'entityId') return { query: `entity=communities&entityId=${f.community}`, history: true };
  // Background exports list the caller's own unless asked for everyone's (report:update).
  if (path === '/api/reports/exports' && key === 'tenantId') return { query: `scope=all&tenantId=${f.tenantId}`, history: false };
  if (key === 'tenantId') return named(f.tenantId);
  if (key === 'orgUnitId') return named(f.org.metering);
  if (key === 'communityId') return named(f.community);
  if (key === 'buildingId') return named(f.building);
  if (key === 'productId') return named(f.product);
  if (key === 'deviceId') return named(f.device);
  // The task list shows only one's own tasks unless asked for all: the group administrator (a supervisor) asks.
  if (key === 'instanceId' && path === '/api/tasks') return { query: `scope=all&instanceId=${f.workflowInstance}`, history: false };
  if (key === 'instanceId') return named(f.workflowInstance);
  // A BPMN process id is a name, not a record: another tenant's names find nothing (200, empty).
  if (key === 'processId') return { query: `processId=${f.processId}`, history: true };
  if (key === 'parentId' && path === '/api/tenants') return named(f.tenantId);
  if (key === 'parentId' && path === '/api/org-units') return named(f.org.ops);
  throw new Error(`no fixture for the list filter ${path}?${key}: add one to cross-tenant.test.ts`);
}

const isTenantScoped = (route: RuntimeRoute) => route.path.startsWith('/api/') && route.permission !== 'public' && route.permission !== 'authenticated';

/**
 * Routes that move files instead of JSON pages and bodies: attacked by their own test below, not as lists and
 * creates. Job activation takes no tenant: it hands out work of the caller's own tenant only (proven in
 * runtime/server/src/workflow/workflow-api.test.ts). A report export is the download of a run: another
 * county's template is a 404 there too (runtime/server/src/reports/reports-api.test.ts, "exports").
 */
const FILE_ROUTES = ['GET /api/devices/export', 'POST /api/devices/import', 'POST /api/workflow/jobs/activate', 'POST /api/reports/export'];
/**
 * Statistics answer with figures per group, not pages of records: their tenant isolation (and the 404 for
 * a filter naming another tenant's record) is proven in runtime/server/src/iot/statistics-routes.test.ts.
 * The built-in report datasets are the platform's, the same for every tenant (each tenant's shadowing of
 * them: runtime/server/src/reports/reports-api.test.ts).
 */
const isFileRoute = (route: RuntimeRoute) => FILE_ROUTES.includes(`${route.method.toUpperCase()} ${route.path}`);
const isReportRoute = (route: RuntimeRoute) => route.path.startsWith('/api/device-statistics/') || route.path === '/api/reports/builtin-datasets';
/**
 * Views of the caller's own tenant, not lists of a subtree: its published entity models and app pages (the
 * app shell's menu), and the element templates of the workers this runtime runs. Their isolation is proven
 * in runtime/server/src/design/design-api.test.ts; their `:code`/`:route` routes are attacked below.
 */
const isOwnTenantView = (route: RuntimeRoute) => ['/api/entities', '/api/app/pages', '/api/design/element-templates', '/api/packs'].includes(route.path);
/**
 * Pack routes name a pack the runtime carries (`:pack`), the same for every tenant, and the tenant in the
 * body: installing into, changing or listing another county's packs is refused in
 * runtime/server/src/packs/packs.test.ts.
 */
const isPackRoute = (route: RuntimeRoute) => route.path.startsWith('/api/packs');
/** The query a create route needs besides its body (a background export names its format). */
const createQuery: Record<string, string> = { '/api/reports/exports': '?format=csv' };
/** Lists that show the caller's own rows unless asked for every row the caller may see. */
const widest = (path: string) => (path === '/api/tasks' || path === '/api/reports/exports' ? `${path}?scope=all` : path);

describe.each(drivers)('cross-tenant access on %s', (driver) => {
  let t: TestRuntime;
  const token: Record<string, string> = {};
  const tenant: Record<string, { id: number; path: string }> = {};
  let countyB: Fixtures;
  let countyA: Fixtures;
  let snapshots: Map<string, unknown>;
  let dataDir: string | undefined;

  const db = (): Db => t.database.db;
  /** Every tenant-scoped route that names a record in its path; only `:id` parameters have fixtures, anything else fails loudly. */
  const idRoutes = () =>
    t.runtime.routes.filter((r) => {
      if (!r.path.includes('/:') || !isTenantScoped(r) || isPackRoute(r)) return false;
      const unknown = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!).filter((name) => !['id', 'code', 'route', 'version'].includes(name));
      if (unknown.length > 0) throw new Error(`${r.method.toUpperCase()} ${r.path} names a record by another key: add its fixture to cross-tenant.test.ts`);
      return true;
    });
  const listRoutes = () =>
    t.runtime.routes.filter((r) => r.method === 'get' && !r.path.includes('/:') && isTenantScoped(r) && !isFileRoute(r) && !isReportRoute(r) && !isOwnTenantView(r));
  const createRoutes = () => t.runtime.routes.filter((r) => r.method === 'post' && !r.path.includes('/:') && isTenantScoped(r) && !isFileRoute(r));

  const ok = async (method: string, path: string, who: string, body?: unknown) => {
    const res = await t.request(method, path, { token: token[who]!, body });
    if (res.status >= 300) throw new Error(`${who}: ${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /** Makes a fresh, deletable record of every kind in the victim tenant (as the group and platform administrators). */
  async function makeFixtures(code: string): Promise<Fixtures> {
    const home = tenant[code]!;
    const seeded = await asSystem(db(), async (tx) => ({
      org: await tx.select().from(orgUnits).where(eq(orgUnits.tenantId, home.id)),
      community: (await tx.select().from(communities).where(and(eq(communities.tenantId, home.id), eq(communities.code, 'C001'))))[0]!,
      admin: (await tx.select().from(users).where(eq(users.username, `admin@${code}`)))[0]!,
      viewer: (await tx.select().from(roles).where(and(eq(roles.tenantId, home.id), eq(roles.code, 'viewer'))))[0]!,
    }));
    const orgId = (c: string) => seeded.org.find((o) => o.code === c)!.id;
    const site = await ok('POST', '/api/tenants', 'platform', { parentId: home.id, code: `${code}-victim`, name: '受害营业所', kind: 'site' });
    const org = await ok('POST', '/api/org-units', 'group', { tenantId: home.id, code: 'victim', name: '受害部门' });
    const community = await ok('POST', '/api/communities', 'group', { tenantId: home.id, code: 'VICTIM', name: '受害小区', orgUnitId: orgId('metering') });
    const building = await ok('POST', '/api/buildings', 'group', { communityId: seeded.community.id, code: 'VICTIM', name: '受害楼' });
    const role = await ok('POST', '/api/roles', 'group', { tenantId: home.id, code: 'victim', name: '受害角色', permissions: ['community:read'] });
    const user = await ok('POST', '/api/users', 'group', {
      tenantId: home.id,
      username: `victim@${code}`,
      displayName: '受害用户',
      password: TEST_PASSWORD,
      orgUnitId: orgId('metering'),
      roleIds: [seeded.viewer.id],
    });
    const idp = await ok('POST', '/api/identity-providers', 'group', {
      tenantId: home.id,
      code: `victim-${code}`,
      name: '受害 SSO',
      issuer: 'https://sso.example.test',
      clientId: 'victim',
      clientSecret: 'victim-secret',
    });
    const product = await ok('POST', '/api/products', 'group', {
      tenantId: home.id,
      code: 'VICTIM',
      name: '受害表型',
      kind: 'remote-read-meter',
      transport: 'mqtt',
      codec: 'json-thing-model',
      thingModel: { services: [{ identifier: 'valve_close', name: { zh: '关阀', en: 'Close valve' } }] },
    });
    // In the seeded community's victim building, so the device list filters by product, community and building find it.
    const device = await ok('POST', '/api/devices', 'group', {
      productId: product.id,
      meterNumber: `VICTIM-${code}`,
      deviceKey: `victim-key-${code}`,
      communityId: seeded.community.id,
      buildingId: building.id,
      dmaCode: 'DMA-VICTIM',
    });
    const pushEndpoint = await ok('POST', '/api/push-endpoints', 'group', { tenantId: home.id, platform: 'onenet', name: '受害推送', token: `victim-token-${code}` });
    const alarmRule = await ok('POST', '/api/alarm-rules', 'group', { tenantId: home.id, ruleId: `victim-rule-${code}`, kind: 'low_battery' });
    // A valve fault reported by the victim device opens an alarm in the victim tenant.
    const identity = (await t.runtime.iot!.directory.byKey(`victim-key-${code}`))!;
    await t.runtime.iot!.pipeline.ingest(identity, new TextEncoder().encode(JSON.stringify({ properties: { valve_state: 3 } })), new Date());
    await t.runtime.iot!.settle();
    const [alarm] = (await ok('GET', `/api/alarms?deviceId=${device.id}`, 'group')).items;
    // A valve command for the victim device, put in service for it; no broker runs, so it stays queued.
    for (const to of ['accepted', 'in_service']) await ok('POST', `/api/devices/${device.id}/transition`, 'group', { to });
    const command = await ok('POST', `/api/devices/${device.id}/commands`, 'group', { service: 'valve_close' });
    const audit = await ok('GET', `/api/audit?entity=communities&entityId=${community.id}`, 'group');
    const processId = `victim-${code}`;
    const content = victimBpmn.replace(/victim-process/g, processId);
    const deployed = await ok('POST', '/api/workflow/deployments', 'group', { tenantId: home.id, resources: [{ name: 'victim.bpmn', content }] });
    const instance = await ok('POST', '/api/workflow/instances', 'group', { tenantId: home.id, processId, variables: { victim: code } });
    const [task] = (await ok('GET', `/api/tasks?scope=all&instanceId=${instance.id}`, 'group')).items;
    const [incident] = (await ok('GET', `/api/workflow/incidents?instanceId=${instance.id}`, 'group')).items;
    const reportDataset = await ok('POST', '/api/reports/datasets', 'group', { tenantId: home.id, definition: victimDataset });
    const reportTemplate = await ok('POST', '/api/reports/templates', 'group', { tenantId: home.id, template: victimTemplate });
    // Once a year, so no run changes it during the suite; saved by the county's own administrator (its owner).
    const reportSchedule = await ok('POST', '/api/reports/schedules', code, {
      templateId: reportTemplate.id,
      name: '受害订阅',
      cron: '0 3 1 1 *',
      format: 'csv',
      recipients: { users: [seeded.admin.id] },
    });
    // Finished before the snapshot, so nothing of it moves during the attacks; its file is there to download.
    const reportExport = await ok('POST', '/api/reports/exports?format=csv', code, { template: reportTemplate.id });
    for (let waited = 0; (await ok('GET', `/api/reports/exports/${reportExport.id}`, code)).status !== 'succeeded'; waited += 50) {
      if (waited > 30_000) throw new Error(`the fixture export of ${code} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // A published entity model with a record, and a published page: named by code and route, unique per county.
    const entityCode = `vm-${code}`;
    const entity = await ok('POST', '/api/design/artifacts', 'group', {
      tenantId: home.id,
      kind: 'entity',
      code: entityCode,
      name: '受害实体',
      content: { label: { 'zh-CN': '受害实体', en: 'Victim' }, fields: [{ name: 'name', label: { 'zh-CN': '名称', en: 'Name' }, type: 'string', required: true }] },
    });
    await ok('POST', `/api/design/artifacts/${entity.id}/publish`, 'group', {});
    const record = await ok('POST', `/api/entities/${entityCode}/records`, code, { data: { name: '受害记录' } });
    const pageRoute = `victim-${code}`;
    const page = await ok('POST', '/api/design/artifacts', 'group', {
      tenantId: home.id,
      kind: 'page',
      code: `vp-${code}`,
      name: '受害页面',
      content: { kind: 'page', route: pageRoute, title: { 'zh-CN': '受害页面', en: 'Victim' }, menu: { show: true, order: 1 }, html: '<p>受害</p>', css: '' },
    });
    await ok('POST', `/api/design/artifacts/${page.id}/publish`, 'group', {});
    return {
      tenantId: home.id,
      tenantPath: home.path,
      byPrefix: {
        '/api/tenants': site.id,
        '/api/org-units': org.id,
        '/api/communities': community.id,
        '/api/buildings': building.id,
        '/api/users': user.id,
        '/api/roles': role.id,
        '/api/identity-providers': idp.id,
        '/api/audit': audit.items[0].id,
        '/api/products': product.id,
        '/api/devices': device.id,
        '/api/push-endpoints': pushEndpoint.id,
        '/api/alarm-rules': alarmRule.id,
        '/api/alarms': alarm.id,
        '/api/device-commands': command.id,
        '/api/workflow/definitions': deployed.processes[0].id,
        '/api/workflow/instances': instance.id,
        '/api/workflow/incidents': incident.id,
        '/api/workflow/jobs': incident.jobId,
        '/api/tasks': task.id,
        '/api/reports/datasets': reportDataset.id,
        '/api/reports/templates': reportTemplate.id,
        '/api/reports/schedules': reportSchedule.id,
        '/api/reports/exports': reportExport.id,
        '/api/design/artifacts': entity.id,
        '/api/entities/:code': entity.id,
        '/api/entities/:code/schema': entity.id,
        '/api/entities/:code/records': record.id,
        '/api/app/pages/:route': page.id,
      },
      tables: {
        '/api/tenants': 'tenants',
        '/api/org-units': 'org_units',
        '/api/communities': 'communities',
        '/api/buildings': 'buildings',
        '/api/users': 'users',
        '/api/roles': 'roles',
        '/api/identity-providers': 'identity_providers',
        '/api/audit': 'audit_log',
        '/api/products': 'products',
        '/api/devices': 'devices',
        '/api/push-endpoints': 'push_endpoints',
        '/api/alarm-rules': 'alarm_rules',
        '/api/alarms': 'alarms',
        '/api/device-commands': 'device_commands',
        '/api/workflow/definitions': 'workflow_definitions',
        '/api/workflow/instances': 'workflow_instances',
        '/api/workflow/incidents': 'workflow_incidents',
        '/api/workflow/jobs': 'workflow_jobs',
        '/api/tasks': 'workflow_user_tasks',
        '/api/reports/datasets': 'report_datasets',
        '/api/reports/templates': 'report_templates',
        '/api/reports/schedules': 'report_schedules',
        '/api/reports/exports': 'report_exports',
        '/api/design/artifacts': 'design_artifacts',
        '/api/entities/:code': 'design_artifacts',
        '/api/entities/:code/schema': 'design_artifacts',
        '/api/entities/:code/records': 'entity_records',
        '/api/app/pages/:route': 'design_artifacts',
      },
      org: { ops: orgId('ops'), metering: orgId('metering') },
      community: seeded.community.id,
      building: building.id,
      product: product.id,
      device: device.id,
      admin: seeded.admin.id,
      victimUser: user.id,
      viewerRole: seeded.viewer.id,
      workflowInstance: instance.id,
      processId,
      reportTemplate: reportTemplate.id,
      reportSchedule: reportSchedule.id,
      reportExport: reportExport.id,
      entityCode,
      pageRoute,
    };
  }

  /** Everything an attack could have changed: the victim records, the victim user's roles and sessions, the victim tenant's audit trail. */
  async function snapshot(...victims: Fixtures[]): Promise<Map<string, unknown>> {
    const state = new Map<string, unknown>();
    await asSystem(db(), async (tx) => {
      for (const f of victims) {
        for (const [prefix, id] of Object.entries(f.byPrefix)) {
          state.set(`${f.tenantId}${prefix}`, await queryRows(tx, sql`select * from ${sql.identifier(f.tables[prefix]!)} where id = ${id}`));
        }
        state.set(`${f.tenantId} roles`, await queryRows(tx, sql`select role_id from user_roles where user_id = ${f.victimUser} order by role_id`));
        state.set(`${f.tenantId} sessions`, await queryRows(tx, sql`select id, revoked_at from sessions where user_id = ${f.victimUser} order by id`));
        state.set(
          `${f.tenantId} audit`,
          await queryRows(tx, sql`select count(*)::int as n, max(id)::text as last from audit_log where tenant_path <@ ${f.tenantPath}::ltree`),
        );
      }
    });
    return state;
  }

  async function expectUntouched() {
    const now = await snapshot(countyB, countyA);
    for (const [key, value] of snapshots) expect(now.get(key), key).toEqual(value);
  }

  const held = async (who: string): Promise<string[]> => (await ok('GET', '/api/auth/me', who)).permissions;

  /** Tries every `/:id` route on the victim's records and expects each to be refused with 403 or 404. */
  async function attackEveryIdRoute(attacker: string, victim: Fixtures) {
    const permissions = await held(attacker);
    const routes = idRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(20);
    const outcomes: string[] = [];
    // Reads first and deletes last, so an update that got through still shows in the record.
    const order = { get: 0, put: 1, patch: 1, post: 2, delete: 3 } as const;
    for (const route of [...routes].sort((a, b) => order[a.method] - order[b.method])) {
      const prefix = prefixOf(route.path);
      const id = victim.byPrefix[prefix];
      if (id === undefined) throw new Error(`no cross-tenant fixture for ${route.method.toUpperCase()} ${route.path}: add one to makeFixtures()`);
      const path = route.path.replace(':id', String(id)).replace(':code', victim.entityCode).replace(':route', victim.pageRoute).replace(':version', '1');
      const res = await t.request(route.method.toUpperCase(), path, { token: token[attacker]!, body: validBodyFor(route) });
      const allowedByRole = permissions.some((p) => covers(p, String(route.permission)));
      // With the permission held, only the tenant check may refuse: not_found or forbidden_tenant, never a 400 or a 2xx.
      const refused = allowedByRole
        ? (res.status === 404 && res.body?.error?.code === 'not_found') || (res.status === 403 && res.body?.error?.code === 'forbidden_tenant')
        : res.status === 403;
      outcomes.push(`${route.method.toUpperCase()} ${route.path} → ${res.status} ${res.body?.error?.code ?? ''}${refused ? '' : '   ✗ NOT REFUSED'}`);
    }
    expect(outcomes.filter((o) => o.endsWith('NOT REFUSED')), outcomes.join('\n')).toEqual([]);
  }

  beforeAll(async () => {
    // Background exports write files: into a directory of this suite's own.
    dataDir = await mkdtemp(join(tmpdir(), 'shuiyun-cross-tenant-'));
    t = await startTestRuntime(driver, { SHUIYUN_LOGIN_RATE_LIMIT: '1000', SHUIYUN_DATA_DIR: dataDir });
    for (const row of await asSystem(db(), (tx) => tx.select().from(tenants))) tenant[row.code] = { id: row.id, path: row.path };
    for (const code of ['shuiyun', 'demo-group', 'demo-county-a', 'demo-county-b', 'demo-site-a1']) {
      token[code === 'shuiyun' ? 'platform' : code === 'demo-group' ? 'group' : code] = await t.login(`admin@${code}`);
    }
    // A county-a user holding every permission there is: only tenancy stands between it and county-b.
    const everything = await ok('POST', '/api/roles', 'platform', { tenantId: tenant['demo-county-a']!.id, code: 'everything', name: '全部权限', permissions: ['*:*'] });
    await ok('POST', '/api/users', 'platform', {
      tenantId: tenant['demo-county-a']!.id,
      username: 'root@demo-county-a',
      displayName: '东湖超级用户',
      password: TEST_PASSWORD,
      roleIds: [everything.id],
    });
    token.root = await t.login('root@demo-county-a');

    countyB = await makeFixtures('demo-county-b');
    countyA = await makeFixtures('demo-county-a');
    // The victims have live sessions and a count of failed sign-ins, so a revoke or an unlock would show.
    for (const code of ['demo-county-b', 'demo-county-a']) {
      await t.login(`victim@${code}`);
      for (let i = 0; i < 2; i++) {
        const res = await t.request('POST', '/api/auth/login', { body: { username: `victim@${code}`, password: 'wrong-passw0rd' } });
        expect(res.status).toBe(401);
      }
    }
    snapshots = await snapshot(countyB, countyA);
  });
  afterAll(async () => {
    await t?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('covers every tenant-scoped route: each `/:id` route has a victim record, each create route a foreign body', () => {
    const missing = idRoutes()
      .map((r) => prefixOf(r.path))
      .filter((p) => !(p in countyB.byPrefix));
    expect(missing).toEqual([]);
    for (const route of idRoutes()) expect(() => validBodyFor(route)).not.toThrow();
    for (const route of createRoutes()) expect(() => foreignCreateBody(route.path, countyB)).not.toThrow();
    expect(t.runtime.routes.every((r) => r.permission)).toBe(true);
  });

  it('refuses a county-a administrator every read, update and delete of county-b’s records (403/404), changing nothing', async () => {
    await attackEveryIdRoute('demo-county-a', countyB);
    await expectUntouched();
  });

  it('refuses even a county-a user holding every permission (*:*): only the tenant check answers, and nothing changes', async () => {
    expect(await held('root')).toEqual(['*:*']);
    await attackEveryIdRoute('root', countyB);
    await expectUntouched();
  });

  it('refuses a site administrator every record of its parent company (403/404)', async () => {
    await attackEveryIdRoute('demo-site-a1', countyA);
    await expectUntouched();
  });

  it('hides the tenants above and beside the caller: a site cannot read or change its company, a company neither its group nor its sibling', async () => {
    const cases: [string, string][] = [
      ['demo-site-a1', 'demo-county-a'],
      ['demo-site-a1', 'demo-group'],
      ['demo-county-a', 'demo-group'],
      ['demo-county-a', 'demo-county-b'],
      ['demo-county-a', 'shuiyun'],
    ];
    for (const [who, target] of cases) {
      const id = tenant[target]!.id;
      expect((await t.request('GET', `/api/tenants/${id}`, { token: token[who]! })).status, `${who} reads ${target}`).toBe(404);
      const patch = await t.request('PATCH', `/api/tenants/${id}`, { token: token[who]!, body: { name: HIJACK, settings: { timeZone: 'UTC' } } });
      expect(patch.status, `${who} renames ${target}`).toBe(404);
    }
    // The parent company's own people and roles are out of the site's sight too.
    const [countyAdmin] = await asSystem(db(), (tx) => tx.select().from(users).where(eq(users.username, 'admin@demo-county-a')));
    const [countyAdminRole] = await asSystem(db(), (tx) =>
      tx.select().from(roles).where(and(eq(roles.tenantId, tenant['demo-county-a']!.id), eq(roles.code, 'admin'))),
    );
    expect((await t.request('GET', `/api/users/${countyAdmin!.id}`, { token: token['demo-site-a1']! })).status).toBe(404);
    expect((await t.request('GET', `/api/roles/${countyAdminRole!.id}`, { token: token['demo-site-a1']! })).status).toBe(404);
    for (const list of ['/api/users', '/api/roles', '/api/communities', '/api/org-units', '/api/audit']) {
      const res = await t.request('GET', `${list}?tenantId=${tenant['demo-county-a']!.id}`, { token: token['demo-site-a1']! });
      expect(res.status, `site lists ${list} of its company`).toBe(404);
    }
    const names = await asSystem(db(), (tx) => tx.select({ code: tenants.code, name: tenants.name }).from(tenants));
    expect(names.filter((n) => n.name === HIJACK)).toEqual([]);
    await expectUntouched();
  });

  it('answers list filters that name county-b’s records with 404 for county-a, and with county-b’s rows for the group', async () => {
    const tried: string[] = [];
    for (const route of listRoutes()) {
      const shape = (route.query as ZodObject | undefined)?.shape ?? {};
      for (const key of Object.keys(shape).filter((k) => k.endsWith('Id'))) {
        const { query, history } = filterQuery(route.path, key, countyB);
        const path = `${route.path}?${query}`;
        tried.push(path);
        for (const attacker of ['demo-county-a', 'root']) {
          const res = await t.request('GET', path, { token: token[attacker]! });
          if (history) {
            // The audit trail outlives users and records, so these filters are not existence checks: they find nothing.
            expect(res.status, `${attacker} ${path}`).toBe(200);
            expect(res.body.items, `${attacker} ${path}`).toEqual([]);
          } else {
            expect([403, 404], `${attacker} ${path}: ${JSON.stringify(res.body)}`).toContain(res.status);
          }
        }
        const group = await t.request('GET', path, { token: token.group! });
        expect(group.status, `group ${path}`).toBe(200);
        expect(group.body.items.length, `group ${path} finds county-b’s rows`).toBeGreaterThan(0);
      }
    }
    expect(tried).toEqual(
      expect.arrayContaining([
        '/api/tenants?parentId=' + countyB.tenantId,
        '/api/org-units?tenantId=' + countyB.tenantId,
        '/api/org-units?parentId=' + countyB.org.ops,
        '/api/communities?orgUnitId=' + countyB.org.metering,
        '/api/buildings?communityId=' + countyB.community,
        '/api/users?tenantId=' + countyB.tenantId,
        '/api/users?orgUnitId=' + countyB.org.metering,
        '/api/roles?tenantId=' + countyB.tenantId,
        '/api/audit?tenantId=' + countyB.tenantId,
      ]),
    );
  });

  it('refuses creating records in county-b by naming it (403) or one of its records, and writes nothing', async () => {
    const routes = createRoutes();
    expect(routes.map((r) => r.path).sort()).toEqual(
      expect.arrayContaining(['/api/communities', '/api/org-units', '/api/roles', '/api/users', '/api/identity-providers', '/api/buildings', '/api/tenants']),
    );
    for (const attacker of ['demo-county-a', 'root']) {
      const permissions = await held(attacker);
      for (const route of routes) {
        const body = foreignCreateBody(route.path, countyB);
        expect(route.body!.safeParse(body).success, `valid body for POST ${route.path}`).toBe(true);
        const res = await t.request('POST', `${route.path}${createQuery[route.path] ?? ''}`, { token: token[attacker]!, body });
        const label = `${attacker} POST ${route.path} → ${res.status} ${JSON.stringify(res.body)}`;
        if ((body as { tenantId?: number }).tenantId !== undefined) {
          expect(res.status, label).toBe(403);
          expect(res.body.error.code, label).toBe('forbidden_tenant');
        } else if (!permissions.some((p) => covers(p, String(route.permission)))) {
          expect(res.status, label).toBe(403);
        } else {
          // The tenant follows from a parent record the caller cannot see.
          expect(['forbidden_tenant', 'not_found', 'invalid_reference'], label).toContain(res.body?.error?.code);
        }
      }
    }
    const [written] = await asSystem(db(), (tx) =>
      queryRows<{ n: number }>(
        tx,
        sql`select ((select count(*) from tenants where code = 'xt-evil') + (select count(*) from org_units where code = 'xt-evil')
          + (select count(*) from communities where code = 'xt-evil') + (select count(*) from buildings where code = 'xt-evil')
          + (select count(*) from identity_providers where code = 'xt-evil') + (select count(*) from users where username = 'xt-evil')
          + (select count(*) from roles where code = 'xt-evil') + (select count(*) from products where code = 'xt-evil')
          + (select count(*) from devices where meter_number = 'xt-evil') + (select count(*) from push_endpoints where name = 'xt-evil') + (select count(*) from alarm_rules where rule_id = 'xt-evil')
          + (select count(*) from workflow_definitions where process_id = 'xt-evil')
          + (select count(*) from workflow_instances where variables ? 'hijacked')
          + (select count(*) from report_datasets where code = 'xt-evil') + (select count(*) from report_templates where code = 'xt-evil')
          + (select count(*) from report_schedules where name = 'xt-evil')
          + (select count(*) from report_exports where request->>'template' = ${String(countyB.reportTemplate)} and tenant_id <> ${countyB.tenantId}))::int as n`,
      ),
    );
    expect(written!.n).toBe(0);
    await expectUntouched();
  });

  it('refuses linking county-a’s own records to county-b’s (org units, roles, communities) with 400, writing nothing', async () => {
    const a = tenant['demo-county-a']!.id;
    const [ownUser] = await asSystem(db(), (tx) => tx.select().from(users).where(eq(users.username, 'victim@demo-county-a')));
    const [ownCommunity] = await asSystem(db(), (tx) => tx.select().from(communities).where(eq(communities.id, countyA.community)));
    const attempts: [string, string, unknown][] = [
      ['POST', '/api/communities', { tenantId: a, code: 'xt-link', name: 'x', orgUnitId: countyB.org.metering }],
      ['POST', '/api/org-units', { tenantId: a, code: 'xt-link', name: 'x', parentId: countyB.org.ops }],
      ['POST', '/api/users', { username: 'xt-link', displayName: 'x', orgUnitId: countyB.org.metering }],
      ['POST', '/api/users', { username: 'xt-link', displayName: 'x', roleIds: [countyB.viewerRole] }],
      ['POST', '/api/identity-providers', { code: 'xt-link', name: 'x', issuer: 'https://x.example.test', clientId: 'x', defaultRoleId: countyB.viewerRole }],
      ['PATCH', `/api/communities/${ownCommunity!.id}`, { orgUnitId: countyB.org.metering }],
      ['PATCH', `/api/users/${ownUser!.id}`, { orgUnitId: countyB.org.metering }],
      ['PUT', `/api/users/${ownUser!.id}/roles`, { roleIds: [countyB.viewerRole] }],
      // A schedule of county-a may neither deliver to county-b's people nor run county-b's template.
      ['POST', '/api/reports/schedules', { templateId: countyA.reportTemplate, name: 'xt-link', cron: '0 8 * * *', recipients: { users: [countyB.admin] } }],
      ['POST', '/api/reports/schedules', { templateId: countyB.reportTemplate, name: 'xt-link', cron: '0 8 * * *', recipients: { users: [countyA.admin] } }],
      ['PATCH', `/api/reports/schedules/${countyA.reportSchedule}`, { recipients: { users: [countyA.admin, countyB.admin], emails: [] } }],
    ];
    for (const [method, path, body] of attempts) {
      const res = await t.request(method, path, { token: token['demo-county-a']!, body });
      expect(res.status, `${method} ${path} ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code, `${method} ${path}`).toBe('invalid_reference');
    }
    const [written] = await asSystem(db(), (tx) =>
      queryRows<{ n: number }>(
        tx,
        sql`select ((select count(*) from org_units where code = 'xt-link') + (select count(*) from communities where code = 'xt-link')
          + (select count(*) from identity_providers where code = 'xt-link') + (select count(*) from users where username = 'xt-link')
          + (select count(*) from report_schedules where name = 'xt-link'))::int as n`,
      ),
    );
    expect(written!.n).toBe(0);
    const [after] = await asSystem(db(), (tx) => tx.select().from(communities).where(eq(communities.id, countyA.community)));
    expect(after).toEqual(ownCommunity);
    await expectUntouched();
  });

  it('lists only the caller’s subtree: county-a sees itself and its site, a site sees itself, the group sees both counties', async () => {
    const listAll = async (who: string, path: string) => {
      const items: Record<string, unknown>[] = [];
      for (let page = 1; ; page++) {
        const res = await t.request('GET', `${path}${path.includes('?') ? '&' : '?'}page=${page}&pageSize=200`, { token: token[who]! });
        expect(res.status, `${who} ${path}`).toBe(200);
        items.push(...res.body.items);
        if (items.length >= res.body.total || res.body.items.length === 0) return items;
      }
    };
    const ownerOf = (path: string, item: Record<string, unknown>) => Number(path === '/api/tenants' ? item.id : item.tenantId);
    // Read the tree again: the fixtures added victim sites under both counties.
    const all = await asSystem(db(), (tx) => tx.select().from(tenants));
    const subtree = (code: string) => all.filter((x) => x.path === tenant[code]!.path || x.path.startsWith(`${tenant[code]!.path}.`)).map((x) => x.id);

    for (const route of listRoutes()) {
      for (const [who, home] of [
        ['demo-county-a', 'demo-county-a'],
        ['root', 'demo-county-a'],
        ['demo-site-a1', 'demo-site-a1'],
      ] as const) {
        // The task list shows one's own work queue unless asked for every task: ask, for the widest view.
        const path = widest(route.path);
        const owners = new Set((await listAll(who, path)).map((item) => ownerOf(route.path, item)));
        // County-a holds a record of every kind (its victim fixtures), so its lists cannot pass by being empty.
        if (home === 'demo-county-a') expect(owners.size, `${who} ${route.path} is not empty`).toBeGreaterThan(0);
        const outside = [...owners].filter((id) => !subtree(home).includes(id));
        expect(outside, `${who} ${route.path} shows rows of tenants outside ${home}`).toEqual([]);
      }
      for (const county of ['demo-county-a', 'demo-county-b']) {
        const filter = route.path === '/api/tenants' ? `parentId=${tenant['demo-group']!.id}` : `tenantId=${tenant[county]!.id}`;
        const items = await listAll('group', route.path === '/api/reports/exports' ? `${route.path}?scope=all&${filter}` : `${route.path}?${filter}`);
        const owners = items.map((item) => ownerOf(route.path, item));
        expect(owners, `group ${route.path}?${filter}`).toContain(tenant[county]!.id);
      }
    }
  });

  it('refuses county-a county-b’s devices through the file routes: export filters naming them are 404, import into county-b is 403', async () => {
    expect(t.runtime.routes.filter(isFileRoute).map((r) => `${r.method.toUpperCase()} ${r.path}`).sort()).toEqual([...FILE_ROUTES].sort());
    const download = (who: string, query: string) => fetch(`${t.baseUrl}/api/devices/export?${query}`, { headers: { authorization: `Bearer ${token[who]!}` } });
    const ledger = '表号,设备标识,产品\nxt-file,xt-file-key,VICTIM\n';
    for (const attacker of ['demo-county-a', 'root']) {
      for (const query of [`tenantId=${countyB.tenantId}`, `productId=${countyB.product}`, `communityId=${countyB.community}`, `buildingId=${countyB.building}`]) {
        const res = await download(attacker, query);
        expect(res.status, `${attacker} export ?${query}`).toBe(404);
        expect(((await res.json()) as any).error.code).toBe('not_found');
      }
      const own = await download(attacker, 'format=csv');
      expect(own.status).toBe(200);
      const text = await own.text();
      expect(text).toContain('VICTIM-demo-county-a');
      expect(text).not.toContain('VICTIM-demo-county-b');

      for (const dryRun of ['true', 'false']) {
        const res = await fetch(`${t.baseUrl}/api/devices/import?tenantId=${countyB.tenantId}&dryRun=${dryRun}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token[attacker]!}`, 'content-type': 'text/csv' },
          body: ledger,
        });
        expect(res.status, `${attacker} imports into county-b`).toBe(403);
        expect(((await res.json()) as any).error.code).toBe('forbidden_tenant');
      }
    }
    const group = await download('group', `tenantId=${countyB.tenantId}`);
    expect(await group.text()).toContain('VICTIM-demo-county-b');
    const [written] = await asSystem(db(), (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from devices where meter_number = 'xt-file'`));
    expect(written!.n).toBe(0);
    await expectUntouched();
  });

  it('lets the group administrator read both counties’ records, and finds every county-b record exactly as it was', async () => {
    for (const victim of [countyA, countyB]) {
      // Entity data and app pages (named by `:code`, `:route`) are views of one's own tenant: the group's are its own.
      for (const route of idRoutes().filter((r) => r.method === 'get' && !/:(code|route)\b/.test(r.path))) {
        const id = victim.byPrefix[prefixOf(route.path)]!;
        const res = await t.request('GET', route.path.replace(':id', String(id)).replace(':version', '1'), { token: token.group! });
        expect(res.status, `group GET ${route.path} of tenant ${victim.tenantId}`).toBe(200);
        // A sub-resource (readings, history) belongs to the record rather than being it.
        if (route.path.endsWith('/:id')) expect(res.body.id).toBe(id);
        expect(JSON.stringify(res.body)).not.toContain(HIJACK);
      }
    }
    await expectUntouched();
    // The victims' passwords, roles and sessions survived: they still sign in and keep their viewer role.
    for (const code of ['demo-county-b', 'demo-county-a']) {
      const victimToken = await t.login(`victim@${code}`);
      const me = await t.request('GET', '/api/auth/me', { token: victimToken });
      expect(me.body.user).toMatchObject({ username: `victim@${code}`, displayName: '受害用户', status: 'active' });
      expect(me.body.permissions).toContain('community:read');
    }
  });
});
