import semver from 'semver';
import { z } from 'zod';
import { artifactCode, entityContent, type EntityContent, pageContent, type PageContent } from './artifacts.js';
import type { DeviceCodec, Reading } from './iot.js';
import type { WorkerDefinition } from './workflow.js';
import type { PackEventHandler, PackRoute, PackServices } from './services.js';

const bilingual = z.strictObject({ 'zh-CN': z.string().trim().min(1).max(200), en: z.string().trim().min(1).max(200) });
export type Bilingual = z.infer<typeof bilingual>;

/** A pack id: what prefixes its roles, permissions and events (`metering`, `billing`, `leak-analysis`). */
export const packId = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'lower-case letters, digits and -, 2 to 40, starting with a letter');
const semverText = z.string().refine((v) => semver.valid(v) !== null, 'a semantic version such as 1.2.0');
const semverRange = z.string().refine((v) => semver.validRange(v) !== null, 'a semver range such as ^0.1.0');
/** A pack's own permission: `<resource>:<action>`, the resource prefixed by the pack id (`metering.settlement:close`). */
const permissionName = z.string().regex(/^[a-z][a-z0-9.-]*:[a-z][a-z0-9-]*$/, 'resource:action');
const eventName = z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'dotted lower-case, such as metering.period-closed');

const named = { code: artifactCode, name: z.string().trim().min(1).max(200) };

const manifestSchema = z.strictObject({
  id: packId,
  version: semverText,
  /** The platform versions the pack runs on. */
  platform: semverRange,
  name: bilingual,
  description: bilingual.optional(),
  /** Packs that must be installed first in the tenant, with the versions this one works with. */
  dependsOn: z.record(packId, semverRange).default({}),
  entities: z.array(z.strictObject({ ...named, model: entityContent })).default([]),
  forms: z.array(z.strictObject({ ...named, schema: z.record(z.string(), z.unknown()) })).default([]),
  /** Formily JSON Schemas that replace the generated form of an entity of the pack. */
  entityForms: z.array(z.strictObject({ entity: artifactCode, schema: z.record(z.string(), z.unknown()) })).default([]),
  processes: z.array(z.strictObject({ ...named, xml: z.string().min(1).max(2_000_000) })).default([]),
  pages: z.array(z.strictObject({ ...named, page: pageContent })).default([]),
  /** Report datasets (the report builder's definition, `id` its code) the pack's reports and pages use. */
  datasets: z.array(z.strictObject({ definition: z.record(z.string(), z.unknown()) })).default([]),
  reports: z.array(z.strictObject({ ...named, template: z.record(z.string(), z.unknown()) })).default([]),
  permissions: z.array(z.strictObject({ name: permissionName, label: bilingual })).default([]),
  roles: z.array(z.strictObject({ code: artifactCode, name: bilingual, permissions: z.array(z.string().min(3).max(100)).min(1) })).default([]),
  workers: z.array(z.custom<WorkerDefinition>((w) => typeof w === 'object' && w !== null && typeof (w as WorkerDefinition).type === 'string' && typeof (w as WorkerDefinition).handler === 'function', 'a worker made by defineWorker')).default([]),
  /** Alarm rules created in the tenant at install (`productCode`: only devices of that product; `severity` overrides the kind's). */
  alarmRules: z
    .array(
      z.strictObject({
        ruleId: artifactCode,
        kind: z.string().min(1).max(64),
        params: z.record(z.string(), z.unknown()).default({}),
        productCode: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
        severity: z.enum(['info', 'warning', 'critical']).optional(),
      }),
    )
    .default([]),
  products: z.array(z.strictObject({ code: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), name: z.string().min(1).max(200), definition: z.record(z.string(), z.unknown()) })).default([]),
  codecs: z.array(z.custom<DeviceCodec>((c) => typeof c === 'object' && c !== null && typeof (c as DeviceCodec).id === 'string', 'a device codec')).default([]),
  menu: z.array(z.strictObject({ page: artifactCode, label: bilingual, order: z.number().int().min(0).max(10_000).default(100), icon: z.string().max(64).optional() })).default([]),
  events: z
    .strictObject({
      emits: z.array(z.strictObject({ name: eventName, description: bilingual.optional(), payload: z.custom<z.ZodType>((s) => s instanceof z.ZodType, 'a zod schema of the payload') })).default([]),
      consumes: z.array(eventName).default([]),
      /** What the pack does with an event it consumes: runs once per event and tenant, after the emitter committed. */
      on: z.record(eventName, z.custom<PackEventHandler>((h) => typeof h === 'function', 'a function (payload, services, event)')).default({}),
    })
    .default({ emits: [], consumes: [], on: {} }),
  /** HTTP routes of the pack, served at `/api/ext/<id><path>` for the tenants that have it installed and enabled. */
  routes: z.array(z.custom<PackRoute>((r) => typeof r === 'object' && r !== null && typeof (r as PackRoute).handler === 'function' && typeof (r as PackRoute).path === 'string', 'a route made by defineRoute')).default([]),
  /**
   * Schema changes, applied once per database (tenants share the tables; row-level security keeps them
   * apart) in id order, at the pack's first install and whenever a version with new ones is deployed.
   * Postgres migrations run in the pack's own schema (`pack_<id>`, `-` as `_`); every table there must have
   * `tenant_id` and `tenant_path` columns, and the runtime gives it the tenant policy and the grants.
   */
  migrations: z
    .strictObject({
      postgres: z.array(z.strictObject({ id: z.string().regex(/^\d{4}_[a-z0-9_]+$/, 'NNNN_name'), sql: z.string().min(1) })).default([]),
      analytics: z.array(z.strictObject({ id: z.string().regex(/^\d{4}_[a-z0-9_]+$/, 'NNNN_name'), sql: z.string().min(1) })).default([]),
    })
    .default({ postgres: [], analytics: [] }),
  /** Runs once per tenant after a first install, through the SDK's seeding port. */
  seed: z.custom<PackSeed>((s) => typeof s === 'function', 'a function').optional(),
  /**
   * Demo data for the demo utility `npm start` creates on its first start (households, meters, a year of
   * readings …); never run in a real tenant.
   */
  demo: z.custom<PackDemo>((s) => typeof s === 'function', 'a function').optional(),
});

/** What a pack declares, as its author writes it (defaults filled by `definePack`). */
export type PackManifestInput = z.input<typeof manifestSchema>;
/** A checked manifest: every list present, every cross-reference resolved. */
export type PackManifest = z.output<typeof manifestSchema>;
export type PackEntity = { code: string; name: string; model: EntityContent };
export type PackPage = { code: string; name: string; page: PageContent };

/**
 * What a pack's seed function is given, inside the install transaction: the platform for the tenant it
 * seeds (`transaction` is the install's own), and a way to create records of the pack's entities.
 */
export interface PackSeedContext extends PackServices {
  /** Creates a record of one of the pack's entities (checked like any other); answers its id. */
  createRecord(entity: string, data: Record<string, unknown>): Promise<number>;
}
export type PackSeed = (ctx: PackSeedContext) => Promise<void>;

/** What a pack's demo function is given: the seeding ports, readings into the analytics store, and the demo's "now". */
export interface PackDemoContext extends PackSeedContext {
  /** Writes device readings (exact thousandths, see `Reading`) for the tenant into the analytics store. */
  publishReadings(readings: readonly Reading[]): Promise<void>;
  /** The instant the demo is built at: its data ends here. */
  readonly now: Date;
}
export type PackDemo = (ctx: PackDemoContext) => Promise<void>;

export interface PackIssue {
  path: string;
  message: string;
}

/** A manifest that does not hold together; `issues` names every problem by its path in the manifest. */
export class PackManifestError extends Error {
  override readonly name = 'PackManifestError';
  constructor(
    readonly packId: string,
    readonly issues: PackIssue[],
  ) {
    super(`pack ${packId || '(no id)'}: ${issues.map((i) => `${i.path || '(manifest)'}: ${i.message}`).join('; ')}`);
  }
}

function duplicates<T>(items: T[], key: (item: T) => string, path: string, issues: PackIssue[]) {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) issues.push({ path: `${path}.${i}`, message: `${k} is declared twice (also at ${path}.${seen.get(k)})` });
    else seen.set(k, i);
  });
}

/** The `formId`s a BPMN file's user tasks show (zeebe:formDefinition). */
const formIdsOf = (xml: string) => [...xml.matchAll(/<zeebe:formDefinition\b[^>]*\bformId="([^"]+)"/g)].map((m) => m[1]!);
/** The process ids a BPMN file defines. */
const processIdsOf = (xml: string) => [...xml.matchAll(/<(?:bpmn2?:)?process\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!);

/**
 * Checks what the shape alone cannot: codes unique per kind, each process file defining its own code,
 * forms its user tasks show, menu entries naming pages, roles holding the pack's or the platform's
 * permissions, entity references within the pack, no dependency on itself.
 */
function crossCheck(m: PackManifest): PackIssue[] {
  const issues: PackIssue[] = [];
  duplicates(m.entities, (e) => e.code, 'entities', issues);
  duplicates(m.forms, (f) => f.code, 'forms', issues);
  duplicates(m.processes, (p) => p.code, 'processes', issues);
  duplicates(m.pages, (p) => p.code, 'pages', issues);
  duplicates(m.pages, (p) => p.page.route, 'pages', issues);
  duplicates(m.reports, (r) => r.code, 'reports', issues);
  duplicates(m.roles, (r) => r.code, 'roles', issues);
  duplicates(m.permissions, (p) => p.name, 'permissions', issues);
  duplicates(m.workers, (w) => w.type, 'workers', issues);
  duplicates(m.events.emits, (e) => e.name, 'events.emits', issues);
  if (m.id in m.dependsOn) issues.push({ path: `dependsOn.${m.id}`, message: 'a pack cannot depend on itself' });

  const forms = new Set(m.forms.map((f) => f.code));
  m.processes.forEach((p, i) => {
    const ids = processIdsOf(p.xml);
    if (!ids.includes(p.code)) issues.push({ path: `processes.${i}.xml`, message: `the BPMN file defines ${ids.join(', ') || 'no process'}, not a process with the id ${p.code}` });
    for (const formId of formIdsOf(p.xml)) {
      if (!forms.has(formId)) issues.push({ path: `processes.${i}.xml`, message: `a user task shows the form ${formId}, which the pack does not declare in forms` });
    }
  });
  const pages = new Set(m.pages.map((p) => p.code));
  m.menu.forEach((entry, i) => {
    if (!pages.has(entry.page)) issues.push({ path: `menu.${i}.page`, message: `no page ${entry.page} in the pack` });
  });
  const entities = new Set(m.entities.map((e) => e.code));
  m.entities.forEach((e, i) =>
    e.model.fields.forEach((f, j) => {
      if (f.type === 'reference' && f.reference && !entities.has(f.reference)) {
        issues.push({ path: `entities.${i}.model.fields.${j}.reference`, message: `no entity ${f.reference} in the pack` });
      }
    }),
  );
  m.entityForms.forEach((f, i) => {
    if (!entities.has(f.entity)) issues.push({ path: `entityForms.${i}.entity`, message: `no entity ${f.entity} in the pack` });
  });
  const own = new Set(m.permissions.map((p) => p.name));
  m.permissions.forEach((p, i) => {
    if (!p.name.startsWith(`${m.id}.`)) issues.push({ path: `permissions.${i}.name`, message: `a pack's permission starts with its id: ${m.id}.<resource>:<action>` });
  });
  m.roles.forEach((role, i) =>
    role.permissions.forEach((p, j) => {
      if (p.startsWith(`${m.id}.`) && !own.has(p)) issues.push({ path: `roles.${i}.permissions.${j}`, message: `${p} is not among the pack's permissions` });
    }),
  );
  m.events.emits.forEach((e, i) => {
    if (!e.name.startsWith(`${m.id}.`)) issues.push({ path: `events.emits.${i}.name`, message: `an event the pack emits starts with its id: ${m.id}.…` });
  });
  m.workers.forEach((w, i) => {
    if (!w.type.startsWith(`${m.id}.`)) issues.push({ path: `workers.${i}`, message: `a worker's job type starts with the pack id: ${m.id}.… (it is ${w.type})` });
  });
  Object.keys(m.events.on).forEach((name) => {
    if (!m.events.consumes.includes(name)) issues.push({ path: `events.on.${name}`, message: `${name} is handled but not listed in events.consumes` });
  });
  duplicates(m.routes, (r) => `${r.method} ${r.path}`, 'routes', issues);
  m.routes.forEach((r, i) => {
    if (r.permission.startsWith(`${m.id}.`) && !own.has(r.permission)) issues.push({ path: `routes.${i}.permission`, message: `${r.permission} is not among the pack's permissions` });
  });
  const sorted = (ids: string[]) => ids.every((id, i) => i === 0 || ids[i - 1]! < id);
  if (!sorted(m.migrations.postgres.map((x) => x.id))) issues.push({ path: 'migrations.postgres', message: 'migrations are listed in id order' });
  if (!sorted(m.migrations.analytics.map((x) => x.id))) issues.push({ path: 'migrations.analytics', message: 'migrations are listed in id order' });
  duplicates(m.migrations.postgres, (x) => x.id, 'migrations.postgres', issues);
  duplicates(m.migrations.analytics, (x) => x.id, 'migrations.analytics', issues);
  return issues;
}

/** A domain pack: its checked manifest, frozen. */
export type Pack = Readonly<PackManifest>;

/**
 * Declares a domain pack. The manifest is checked at once — its shape (each entity model, page, role …),
 * then its cross-references — and every problem is thrown together in a {@link PackManifestError}, so a
 * pack that loads is one the runtime can install.
 */
export function definePack(manifest: PackManifestInput): Pack {
  const parsed = manifestSchema.safeParse(manifest);
  const id = typeof (manifest as { id?: unknown })?.id === 'string' ? (manifest as { id: string }).id : '';
  if (!parsed.success) {
    throw new PackManifestError(
      id,
      // An unknown key is named by its own path: zod reports all of an object's unknown keys in one issue.
      parsed.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ path: [...issue.path.map(String), key].join('.'), message: `Unrecognized key: "${key}"` }))
          : [{ path: issue.path.map(String).join('.'), message: issue.message }],
      ),
    );
  }
  const issues = crossCheck(parsed.data);
  if (issues.length > 0) throw new PackManifestError(id, issues);
  return Object.freeze(parsed.data);
}

/** True when `platformVersion` satisfies the pack's platform range. */
export function supportsPlatform(pack: Pack, platformVersion: string): boolean {
  return semver.satisfies(platformVersion, pack.platform, { includePrerelease: true });
}

/** The Postgres schema a pack's tables live in: `pack_<id>`, `-` written `_` (`leak-analysis` → `pack_leak_analysis`). */
export const packSchema = (id: string) => `pack_${id.replace(/-/g, '_')}`;
