import { alarmRules, designArtifacts, devices, queryRows, entityRecords, packInstallations, products, reportDatasets, reportTemplates, roles, type Tx } from '@shuiyun/db';
import { AppError, type ErrorDetail, type Locale } from '@shuiyun/http';
import type { ArtifactKind, Pack, PackSeedContext } from '@shuiyun/sdk';
import { parseDataset } from '@shuiyun/reports';
import { answering, under } from '../reports/errors.js';
import { newestDataset, saveDatasetVersion, templatesUsing } from '../reports/store.js';
import { createEntityRecord } from '../design/entity-routes.js';
import { applyPackMigrations, packTables } from './migrations.js';
import { packServices, type ServiceDeps, tenantOf } from './services.js';
import { and, eq, inArray, sql } from 'drizzle-orm';
import semver from 'semver';
import type { RequestContext } from '../http/context.js';
import { artifactChecksum } from '../reports/checksum.js';
import { publishArtifact } from '../design/artifact-routes.js';
import { kindNames } from '../design/messages.js';
import type { PublishDeps as ArtifactDeps } from '../design/publishers.js';

/** What installing a pack writes through: the publishers of its artifacts, and the services its seed gets. */
export type PublishDeps = ArtifactDeps & {
  services: ServiceDeps;
  /** Tells the alarm engine that alarm rules changed (after the transaction that changed them committed). */
  reloadAlarmRules?: (() => Promise<void>) | undefined;
};
import { packMessage } from './messages.js';
import { assertGrantable } from '../permissions/grants.js';
import { productDefinition } from '../devices/product-routes.js';
import { assertProductModbus } from '../devices/modbus-settings.js';
import { validateAlarmRule } from '../iot/alarm-rule-routes.js';
import { isKnownPermission } from '../permissions/catalogue.js';
import type { PermissionModel } from '../permissions/permission-model.js';

/** A pack's default role in a tenant: `<pack>-<role>` (role codes take no `_`). */
export const packRoleCode = (pack: Pack, code: string) => `${pack.id}-${code.replace(/_/g, '-')}`.slice(0, 63);

export type InstallationRow = typeof packInstallations.$inferSelect;

export interface Target {
  tenantId: number;
  tenantPath: string;
}

/** One artifact of a manifest, where it sits in the manifest, and the content it publishes. */
interface Step {
  kind: ArtifactKind;
  code: string;
  name: string;
  path: string;
  content: Record<string, unknown>;
}

/**
 * The artifacts of a pack in the order they can be published: entity models (referenced by pages and
 * forms), task forms (named by processes), report templates, processes, then pages (with the manifest's
 * menu entries applied: a page without one stays out of the menu).
 */
export function installSteps(pack: Pack): Step[] {
  const menu = new Map(pack.menu.map((entry) => [entry.page, entry]));
  return [
    ...pack.entities.map((e, i) => {
      // An entity form the pack ships replaces the generated one.
      const form = pack.entityForms.find((f) => f.entity === e.code)?.schema;
      const model = form ? { ...e.model, form } : e.model;
      return { kind: 'entity' as const, code: e.code, name: e.name, path: `entities.${i}.model`, content: model as unknown as Record<string, unknown> };
    }),
    ...pack.forms.map((f, i) => ({ kind: 'form' as const, code: f.code, name: f.name, path: `forms.${i}`, content: { schema: f.schema } })),
    ...pack.reports.map((r, i) => ({ kind: 'report' as const, code: r.code, name: r.name, path: `reports.${i}.template`, content: r.template })),
    ...pack.processes.map((p, i) => ({ kind: 'process' as const, code: p.code, name: p.name, path: `processes.${i}`, content: { xml: p.xml } })),
    ...pack.pages.map((p, i) => {
      const entry = menu.get(p.code);
      const page = { ...p.page, menu: entry ? { show: true, order: entry.order, ...(entry.icon ? { icon: entry.icon } : {}) } : { ...p.page.menu, show: false } };
      return { kind: 'page' as const, code: p.code, name: p.name, path: `pages.${i}.page`, content: page as unknown as Record<string, unknown> };
    }),
  ];
}

/** A refusal of the publish step, its paths moved from the artifact's `content` to the manifest. */
function atManifest(error: unknown, step: Step, locale: Locale): never {
  if (error instanceof AppError && error.status < 500) {
    const details: ErrorDetail[] = (error.details ?? [{ message: error.message }]).map((d) => ({
      ...d,
      path: `pack.${step.path}${(d.path ?? '').replace(/^content/, '')}`,
    }));
    throw new AppError(error.code, {
      status: error.status,
      details: [{ path: `pack.${step.path}`, code: 'install_step_failed', message: packMessage('install_step_failed', locale, { step: `${step.kind} ${step.code}` }) }, ...details],
    });
  }
  throw error;
}

export async function installationOf(tx: Tx, tenantId: number, id: string): Promise<InstallationRow | undefined> {
  const [row] = await tx
    .select()
    .from(packInstallations)
    .where(and(eq(packInstallations.tenantId, tenantId), eq(packInstallations.packId, id)));
  return row;
}

/**
 * Installs a pack in a tenant inside the caller's transaction: the platform range and the dependencies
 * are checked, every artifact is created and published (deployed, saved as a template, served as a page,
 * its entity model given its API), and the installation is recorded. Any refusal throws, and the caller's
 * transaction rolls back everything the steps before it wrote.
 */
export async function installPack(tx: Tx, ctx: RequestContext, deps: PublishDeps, pack: Pack, target: Target, platformVersion: string, model: PermissionModel) {
  const locale = ctx.locale;
  checkPrerequisites(pack, platformVersion, locale);
  const existing = await installationOf(tx, target.tenantId, pack.id);
  if (existing) throw new AppError('duplicate', { details: [{ path: 'params.pack', code: 'already_installed', message: packMessage('already_installed', locale, { id: pack.id, version: existing.version }) }] });
  for (const [dependency, range] of Object.entries(pack.dependsOn)) {
    const installed = await installationOf(tx, target.tenantId, dependency);
    if (!installed) throw new AppError('conflict', { details: [{ path: `pack.dependsOn.${dependency}`, code: 'dependency_missing', message: packMessage('dependency_missing', locale, { dependency, range }) }] });
    if (!semver.satisfies(installed.version, range, { includePrerelease: true })) {
      throw new AppError('conflict', { details: [{ path: `pack.dependsOn.${dependency}`, code: 'dependency_version', message: packMessage('dependency_version', locale, { dependency, range, version: installed.version }) }] });
    }
  }
  const userId = ctx.principal().userId;
  const migrations = await applyPackMigrations(tx, pack, locale);
  const datasets = await installDatasets(tx, pack, { ...target, userId }, locale);
  const published: { kind: ArtifactKind; code: string; version: number }[] = [];
  for (const step of installSteps(pack)) {
    const [taken] = await tx
      .select({ id: designArtifacts.id })
      .from(designArtifacts)
      .where(and(eq(designArtifacts.tenantId, target.tenantId), eq(designArtifacts.kind, step.kind), eq(designArtifacts.code, step.code)));
    if (taken) {
      throw new AppError('duplicate', { details: [{ path: `pack.${step.path}`, code: 'code_taken', message: packMessage('code_taken', locale, { code: step.code, kind: kindNames[step.kind]![locale] }) }] });
    }
    const [row] = await tx
      .insert(designArtifacts)
      .values({
        tenantId: target.tenantId,
        tenantPath: target.tenantPath,
        kind: step.kind,
        code: step.code,
        name: step.name,
        draft: step.content,
        draftChecksum: artifactChecksum(step.content),
        draftSavedBy: userId,
        createdBy: userId,
        packId: pack.id,
        packVersion: pack.version,
      })
      .returning();
    const result = await publishArtifact(tx, ctx, deps, row!, step.content, `${pack.id} ${pack.version}`).catch((error: unknown) => atManifest(error, step, locale));
    await markPackContent(tx, row!.id);
    published.push({ kind: step.kind, code: step.code, version: result.version });
  }
  const createdRoles = await installRolesAndPermissions(tx, ctx, pack, target, model);
  const devicesAndRules = await installProductsAndRules(tx, ctx, pack, target);
  const [installation] = await tx
    .insert(packInstallations)
    .values({ tenantId: target.tenantId, tenantPath: target.tenantPath, packId: pack.id, version: pack.version, installedBy: userId })
    .returning();
  if (pack.seed && !(await keptData(tx, pack, target.tenantId))) await seedPack(tx, ctx, deps.services, pack, target.tenantId);
  return { installation: installation!, migrations, datasets, artifacts: published, roles: createdRoles, ...devicesAndRules };
}

/**
 * Saves the pack's report datasets in the tenant (a changed definition as the dataset's next version).
 * A pack is code the runtime ships, so its datasets may carry SQL of their own like a platform
 * administrator's; they still run under the tenant's row-level security.
 */
async function installDatasets(tx: Tx, pack: Pack, author: { tenantId: number; tenantPath: string; userId: number }, locale: Locale): Promise<string[]> {
  const saved: string[] = [];
  for (const [i, { definition }] of pack.datasets.entries()) {
    const dataset = await answering(locale, under(`pack.datasets.${i}.definition`), () => parseDataset(definition));
    const outcome = await saveDatasetVersion(tx, author, dataset, definition, await newestDataset(tx, author.tenantId, dataset.id));
    if (outcome.isNew) saved.push(dataset.id);
  }
  return saved;
}

/** True when an earlier installation left entity records of the pack (uninstalled with `data: keep`): the seed then does not run again. */
async function keptData(tx: Tx, pack: Pack, tenantId: number): Promise<boolean> {
  if (pack.entities.length === 0) return false;
  const [row] = await tx
    .select({ id: entityRecords.id })
    .from(entityRecords)
    .where(and(eq(entityRecords.tenantId, tenantId), inArray(entityRecords.entity, pack.entities.map((e) => e.code))))
    .limit(1);
  return row !== undefined;
}

/** Runs the pack's seed in the install's transaction, as the installing user, with entity records checked like the API's. */
async function seedPack(tx: Tx, ctx: RequestContext, services: ServiceDeps, pack: Pack, tenantId: number): Promise<void> {
  const principal = ctx.principal();
  const base = packServices(services, pack, { tenant: await tenantOf(tx, tenantId), user: { id: principal.userId, username: principal.username }, locale: ctx.locale, tx, requestId: ctx.requestId });
  const seed: PackSeedContext = { ...base, createRecord: async (entity, data) => (await createEntityRecord(tx, ctx, tenantId, entity, data, principal.userId)).id };
  await pack.seed!(seed);
}

/** Remembers the content the pack published as the pack's own, so a later upgrade can tell a tenant's edit from it. */
async function markPackContent(tx: Tx, id: number): Promise<void> {
  await tx.execute(sql`update design_artifacts set pack_checksum = published_checksum, pack_offer = null, pack_offer_version = null where id = ${id}`);
}

/**
 * The pack's own permissions go to the tenant's administrators (who may then grant them like any
 * other), and its default roles are created unless the tenant has them; answers the roles created.
 */
async function installRolesAndPermissions(tx: Tx, ctx: RequestContext, pack: Pack, target: Target, model: PermissionModel): Promise<string[]> {
  const locale = ctx.locale;
  const userId = ctx.principal().userId;
  if (pack.permissions.length > 0) {
    await tx.execute(sql`update roles set permissions = array(select distinct p from unnest(permissions || array[${sql.join(pack.permissions.map((p) => sql`${p.name}`), sql`, `)}]::text[]) as p order by p)
      where tenant_id = ${target.tenantId} and builtin and code = 'admin' and not ('*:*' = any (permissions))`);
  }
  // Default roles: the platform's permissions they hold must be ones the installer may grant.
  const createdRoles: string[] = [];
  for (const [i, role] of pack.roles.entries()) {
    const platform = role.permissions.filter((p) => !p.startsWith(`${pack.id}.`));
    const unknown = platform.map((p, j) => ({ p, j })).filter(({ p }) => !isKnownPermission(p));
    if (unknown.length > 0) {
      throw new AppError('validation_failed', { details: unknown.map(({ p }) => ({ path: `pack.roles.${i}.permissions`, code: 'unknown_permission', message: `${p} is not a platform permission` })) });
    }
    assertGrantable(model, ctx.principal(), platform, `pack.roles.${i}.permissions`);
    const code = packRoleCode(pack, role.code);
    const [taken] = await tx.select({ id: roles.id, packId: roles.packId }).from(roles).where(and(eq(roles.tenantId, target.tenantId), eq(roles.code, code)));
    // An upgrade keeps the roles an earlier version made (the tenant may have changed them).
    if (taken?.packId === pack.id) continue;
    if (taken) throw new AppError('duplicate', { details: [{ path: `pack.roles.${i}`, code: 'code_taken', message: packMessage('code_taken', locale, { code, kind: locale === 'zh-CN' ? '角色' : 'role' }) }] });
    await tx.insert(roles).values({
      tenantId: target.tenantId,
      tenantPath: target.tenantPath,
      code,
      name: role.name[locale],
      description: role.name[locale === 'zh-CN' ? 'en' : 'zh-CN'],
      permissions: role.permissions,
      packId: pack.id,
      createdBy: userId,
    });
    createdRoles.push(code);
  }
  return createdRoles;
}

/**
 * The pack's device products and alarm rules, checked as the device and alarm APIs check them, created in
 * the tenant unless an earlier version made them (an upgrade adds only the new ones; the tenant may have
 * changed the old). A code the tenant's own product or rule holds is refused.
 */
async function installProductsAndRules(tx: Tx, ctx: RequestContext, pack: Pack, target: Target): Promise<{ products: string[]; alarmRules: string[] }> {
  const locale = ctx.locale;
  const userId = ctx.principal().userId;
  const created = { products: [] as string[], alarmRules: [] as string[] };
  for (const [i, product] of pack.products.entries()) {
    const path = `pack.products.${i}.definition`;
    const parsed = productDefinition.safeParse(product.definition);
    if (!parsed.success) {
      throw new AppError('validation_failed', { details: parsed.error.issues.map((issue) => ({ path: [path, ...issue.path.map(String)].join('.'), code: issue.code, message: issue.message })) });
    }
    assertProductModbus({ ...parsed.data, code: product.code }, locale);
    const [taken] = await tx.select({ id: products.id }).from(products).where(and(eq(products.tenantId, target.tenantId), eq(products.code, product.code)));
    if (taken) {
      if (await madeByPack(tx, 'products', taken.id, pack)) continue;
      throw new AppError('duplicate', { details: [{ path: `pack.products.${i}`, code: 'code_taken', message: packMessage('code_taken', locale, { code: product.code, kind: locale === 'zh-CN' ? '产品' : 'product' }) }] });
    }
    const { manufacturer, model, ...rest } = parsed.data;
    await tx.insert(products).values({ tenantId: target.tenantId, tenantPath: target.tenantPath, code: product.code, name: product.name, manufacturer: manufacturer ?? null, model: model ?? null, ...rest, createdBy: userId, packId: pack.id });
    created.products.push(product.code);
  }
  for (const [i, rule] of pack.alarmRules.entries()) {
    const fields = { ruleId: rule.ruleId, kind: rule.kind, params: rule.params, severity: rule.severity ?? null, productCode: rule.productCode ?? null };
    validateAlarmRule(fields, `pack.alarmRules.${i}`);
    const [taken] = await tx.select({ id: alarmRules.id }).from(alarmRules).where(and(eq(alarmRules.tenantId, target.tenantId), eq(alarmRules.ruleId, rule.ruleId)));
    if (taken) {
      if (await madeByPack(tx, 'alarm_rules', taken.id, pack)) continue;
      throw new AppError('duplicate', { details: [{ path: `pack.alarmRules.${i}`, code: 'code_taken', message: packMessage('code_taken', locale, { code: rule.ruleId, kind: locale === 'zh-CN' ? '告警规则' : 'alarm rule' }) }] });
    }
    await tx.insert(alarmRules).values({ tenantId: target.tenantId, tenantPath: target.tenantPath, ...fields, createdBy: userId, packId: pack.id });
    created.alarmRules.push(rule.ruleId);
  }
  return created;
}

async function madeByPack(tx: Tx, table: 'products' | 'alarm_rules', id: number, pack: Pack): Promise<boolean> {
  const [row] = await queryRows<{ pack_id: string | null }>(tx, sql`select pack_id from ${sql.raw(table)} where id = ${id}`);
  return row?.pack_id === pack.id;
}

/** Platform range and dependencies: what a pack needs of the tenant before it is installed or upgraded. */
function checkPrerequisites(pack: Pack, platformVersion: string, locale: Locale) {
  if (!semver.satisfies(platformVersion, pack.platform, { includePrerelease: true })) {
    throw new AppError('conflict', { details: [{ path: 'pack.platform', code: 'platform_unsupported', message: packMessage('platform_unsupported', locale, { id: pack.id, range: pack.platform, platform: platformVersion }) }] });
  }
}

/**
 * Upgrades a tenant's installation to the pack version the runtime now carries, in the caller's
 * transaction. An artifact the tenant never changed takes the new version's content (a new published
 * version); one the tenant edited (its published or draft content differs from what the pack last
 * published) is kept, and the new content is offered beside it (`GET /api/design/artifacts/:id/diff?to=pack`).
 * Artifacts new in this version are installed; new roles and permissions are added.
 */
export async function upgradePack(tx: Tx, ctx: RequestContext, deps: PublishDeps, pack: Pack, installation: InstallationRow, platformVersion: string, model: PermissionModel) {
  const locale = ctx.locale;
  if (!semver.gt(pack.version, installation.version)) {
    throw new AppError('conflict', { details: [{ path: 'params.pack', code: 'up_to_date', message: packMessage('up_to_date', locale, { id: pack.id, version: installation.version }) }] });
  }
  checkPrerequisites(pack, platformVersion, locale);
  const target = { tenantId: installation.tenantId, tenantPath: installation.tenantPath };
  const userId = ctx.principal().userId;
  const migrations = await applyPackMigrations(tx, pack, locale);
  const datasets = await installDatasets(tx, pack, { ...target, userId }, locale);
  const outcome = { migrations, datasets, updated: [] as string[], kept: [] as string[], added: [] as string[] };
  for (const step of installSteps(pack)) {
    const [row] = await tx
      .select()
      .from(designArtifacts)
      .where(and(eq(designArtifacts.tenantId, target.tenantId), eq(designArtifacts.kind, step.kind), eq(designArtifacts.code, step.code)))
      .for('update');
    const name = `${step.kind}:${step.code}`;
    if (row && row.packId !== pack.id) {
      throw new AppError('duplicate', { details: [{ path: `pack.${step.path}`, code: 'code_taken', message: packMessage('code_taken', locale, { code: step.code, kind: kindNames[step.kind]![locale] }) }] });
    }
    if (!row) {
      const [created] = await tx
        .insert(designArtifacts)
        .values({ tenantId: target.tenantId, tenantPath: target.tenantPath, kind: step.kind, code: step.code, name: step.name, draft: step.content, draftChecksum: artifactChecksum(step.content), draftSavedBy: userId, createdBy: userId, packId: pack.id, packVersion: pack.version })
        .returning();
      await publishArtifact(tx, ctx, deps, created!, step.content, `${pack.id} ${pack.version}`).catch((error: unknown) => atManifest(error, step, locale));
      await markPackContent(tx, created!.id);
      outcome.added.push(name);
      continue;
    }
    const edited = row.publishedChecksum !== row.packChecksum || row.draftChecksum !== row.packChecksum;
    if (edited) {
      await tx.update(designArtifacts).set({ packOffer: step.content, packOfferVersion: pack.version }).where(eq(designArtifacts.id, row.id));
      outcome.kept.push(name);
      continue;
    }
    const result = await publishArtifact(tx, ctx, deps, row, step.content, `${pack.id} ${pack.version}`).catch((error: unknown) => atManifest(error, step, locale));
    // The draft follows the pack's new content, as the tenant had not changed it.
    await tx.execute(sql`update design_artifacts set draft = v.content, draft_checksum = v.checksum, draft_revision = draft_revision + 1, pack_version = ${pack.version}
      from design_artifact_versions v where v.artifact_id = design_artifacts.id and v.version = ${result.version} and design_artifacts.id = ${row.id}`);
    await markPackContent(tx, row.id);
    outcome.updated.push(name);
  }
  const roles = await installRolesAndPermissions(tx, ctx, pack, target, model);
  const devicesAndRules = await installProductsAndRules(tx, ctx, pack, target);
  const [upgraded] = await tx
    .update(packInstallations)
    .set({ version: pack.version, updatedAt: new Date() })
    .where(eq(packInstallations.id, installation.id))
    .returning();
  return { installation: upgraded!, from: installation.version, ...outcome, roles, ...devicesAndRules };
}

/**
 * Removes a pack from a tenant: its artifacts (the tenant's drafts of them too) and the report templates
 * they published go; deployed process versions stay, because instances that ran on them keep their
 * history. Entity records are kept for a later install unless `data` is `delete`.
 */
export async function uninstallPack(tx: Tx, pack: Pack, installation: InstallationRow, data: 'keep' | 'delete') {
  const owned = await tx
    .select({ id: designArtifacts.id, kind: designArtifacts.kind, code: designArtifacts.code })
    .from(designArtifacts)
    .where(and(eq(designArtifacts.tenantId, installation.tenantId), eq(designArtifacts.packId, pack.id)));
  const reports = owned.filter((a) => a.kind === 'report').map((a) => a.code);
  if (reports.length > 0) await tx.delete(reportTemplates).where(and(eq(reportTemplates.tenantId, installation.tenantId), inArray(reportTemplates.code, reports)));
  const entities = owned.filter((a) => a.kind === 'entity').map((a) => a.code);
  let deletedRecords = 0;
  if (data === 'delete' && entities.length > 0) {
    deletedRecords = (await tx.delete(entityRecords).where(and(eq(entityRecords.tenantId, installation.tenantId), inArray(entityRecords.entity, entities))).returning({ id: entityRecords.id })).length;
  }
  // The pack's own tables keep the tenant's rows for a later install, or lose them (newest table first).
  if (data === 'delete') {
    for (const table of await packTables(tx, pack)) {
      const result = (await tx.execute(sql`delete from ${sql.raw(table)} where tenant_id = ${installation.tenantId}`)) as unknown as { rowCount?: number | null; affectedRows?: number };
      deletedRecords += result.rowCount ?? result.affectedRows ?? 0;
    }
  }
  // Its datasets go with it, unless a report of the tenant's own still reads one.
  for (const { definition } of pack.datasets) {
    const code = String(definition.id);
    if ((await templatesUsing(tx, installation.tenantId, code)).length === 0) {
      await tx.delete(reportDatasets).where(and(eq(reportDatasets.tenantId, installation.tenantId), eq(reportDatasets.code, code)));
    }
  }
  if (owned.length > 0) await tx.delete(designArtifacts).where(inArray(designArtifacts.id, owned.map((a) => a.id)));
  // Its default roles go, and with them their assignments; its permissions leave every role of the tenant.
  const removedRoles = (await tx.delete(roles).where(and(eq(roles.tenantId, installation.tenantId), eq(roles.packId, pack.id))).returning({ id: roles.id })).length;
  await tx.execute(sql`update roles set permissions = array(select p from unnest(permissions) as p where p not like ${`${pack.id}.%`} order by p)
    where tenant_id = ${installation.tenantId} and exists (select 1 from unnest(permissions) as p where p like ${`${pack.id}.%`})`);
  // Its alarm rules go; its products go unless devices of the tenant are still registered under them.
  await tx.delete(alarmRules).where(and(eq(alarmRules.tenantId, installation.tenantId), eq(alarmRules.packId, pack.id)));
  await tx.execute(sql`delete from products p where p.tenant_id = ${installation.tenantId} and p.pack_id = ${pack.id}
    and not exists (select 1 from ${devices} d where d.product_id = p.id)`);
  await tx.delete(packInstallations).where(eq(packInstallations.id, installation.id));
  return { removedArtifacts: owned.length, removedRoles, deletedRecords };
}

/** Packs installed in the tenant that name `id` among their dependencies. */
export async function dependentsOf(tx: Tx, tenantId: number, id: string, available: ReadonlyMap<string, Pack>): Promise<string[]> {
  const installed = await tx
    .select({ packId: packInstallations.packId })
    .from(packInstallations)
    .where(eq(packInstallations.tenantId, tenantId));
  return installed.map((i) => i.packId).filter((other) => other !== id && available.get(other)?.dependsOn[id] !== undefined);
}
