import { packInstallations, type Tx } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import type { Pack } from '@shuiyun/sdk';
import { packId } from '@shuiyun/sdk';
import { eq } from 'drizzle-orm';
import semver from 'semver';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { route } from '../http/route.js';
import { resolveTenant } from '../http/scoped-queries.js';
import type { PublishDeps } from './lifecycle.js';
import type { PermissionModel } from '../permissions/permission-model.js';
import { dependentsOf, installationOf, installPack, uninstallPack, upgradePack } from './lifecycle.js';
import type { PackRegistry } from './registry.js';
import { packMessage } from './messages.js';

const tags = ['Packs 领域包'];
const PATH = '/api/packs';
const packParams = z.object({ pack: packId });
const tenantBody = z.strictObject({ tenantId: z.number().int().positive().optional() });

export interface PackOptions {
  packs: PackRegistry;
  permissions: PermissionModel;
  /** The platform version packs declare their range against. */
  platformVersion: string;
  deps: PublishDeps;
}

function present(pack: Pack, platformVersion: string) {
  return {
    id: pack.id,
    version: pack.version,
    name: pack.name,
    description: pack.description ?? null,
    platform: pack.platform,
    supported: semver.satisfies(platformVersion, pack.platform, { includePrerelease: true }),
    dependsOn: pack.dependsOn,
    contents: {
      entities: pack.entities.map((e) => e.code),
      forms: pack.forms.map((f) => f.code),
      processes: pack.processes.map((p) => p.code),
      reports: pack.reports.map((r) => r.code),
      pages: pack.pages.map((p) => p.code),
      workers: pack.workers.map((w) => w.type),
    },
  };
}

/**
 * 领域包: the packs this runtime carries and, per tenant, their installation — install (every artifact in
 * one transaction), disable and enable (its pages leave and return to the app menu), uninstall (entity
 * data kept for a later install, or deleted).
 */
export function packRoutes({ packs, permissions, platformVersion, deps }: PackOptions) {
  const known = (id: string, locale: RequestContext['locale']): Pack => {
    const pack = packs.get(id);
    if (!pack) throw new AppError('not_found', { details: [{ path: 'params.pack', code: 'unknown_pack', message: packMessage('unknown_pack', locale, { id }) }] });
    return pack;
  };
  const installed = async (tx: Tx, ctx: RequestContext, id: string, tenantId: number) => {
    const row = await installationOf(tx, tenantId, id);
    if (!row) throw new AppError('not_found', { details: [{ path: 'params.pack', code: 'not_installed', message: packMessage('not_installed', ctx.locale, { id }) }] });
    return row;
  };
  const setStatus = (status: 'installed' | 'disabled') => async ({ params, body }: { params: { pack: string }; body: { tenantId?: number | undefined } }, ctx: RequestContext) =>
    ctx.tx(async (tx) => {
      known(params.pack, ctx.locale);
      const tenant = await resolveTenant(tx, ctx, body.tenantId);
      const row = await installed(tx, ctx, params.pack, tenant.id);
      if (row.status === status) throw new AppError('conflict', { details: [{ path: 'params.pack', code: 'already_in_state', message: packMessage('already_in_state', ctx.locale, { status }) }] });
      const [updated] = await tx.update(packInstallations).set({ status, updatedAt: new Date() }).where(eq(packInstallations.id, row.id)).returning();
      return updated;
    });

  return [
    route({
      method: 'get',
      path: PATH,
      permission: 'pack:read',
      summary: 'The packs this runtime carries, each with its installation in the caller’s tenant (or ?tenantId=)',
      tags,
      query: z.object({ tenantId: z.coerce.number().int().positive().optional() }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const tenant = await resolveTenant(tx, ctx, query.tenantId);
          const rows = await tx.select().from(packInstallations).where(eq(packInstallations.tenantId, tenant.id));
          const byPack = new Map(rows.map((r) => [r.packId, r]));
          return {
            tenantId: tenant.id,
            items: packs.list().map((pack) => {
              const row = byPack.get(pack.id);
              return {
                ...present(pack, platformVersion),
                installation: row ? { version: row.version, status: row.status, installedAt: row.installedAt, installedBy: row.installedBy, upgradable: semver.gt(pack.version, row.version) } : null,
              };
            }),
          };
        }),
    }),
    route({
      method: 'post',
      path: `${PATH}/:pack/install`,
      permission: 'pack:install',
      summary: 'Install a pack in the caller’s tenant (or one below it): every artifact is created and published in one transaction, or nothing is',
      tags,
      params: packParams,
      body: tenantBody,
      status: 201,
      handler: async ({ params, body }, ctx) => {
        const installed = await ctx.tx(async (tx) => {
          const pack = known(params.pack, ctx.locale);
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          return installPack(tx, ctx, deps, pack, { tenantId: tenant.id, tenantPath: tenant.path }, platformVersion, permissions);
        });
        // The pack's roles and permissions take effect (every node reloads on the cluster's news), and its alarm rules.
        await permissions.changed();
        await deps.reloadAlarmRules?.();
        return installed;
      },
    }),
    route({
      method: 'post',
      path: `${PATH}/:pack/upgrade`,
      permission: 'pack:install',
      summary: 'Upgrade a tenant’s installation to the version the runtime carries: artifacts the tenant did not change take the new content; edited ones are kept and the new content is offered as a diff (GET /api/design/artifacts/:id/diff?to=pack)',
      tags,
      params: packParams,
      body: tenantBody,
      handler: async ({ params, body }, ctx) => {
        const upgraded = await ctx.tx(async (tx) => {
          const pack = known(params.pack, ctx.locale);
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          const row = await installed(tx, ctx, params.pack, tenant.id);
          return upgradePack(tx, ctx, deps, pack, row, platformVersion, permissions);
        });
        await permissions.changed();
        await deps.reloadAlarmRules?.();
        return upgraded;
      },
    }),
    route({
      method: 'post',
      path: `${PATH}/:pack/disable`,
      permission: 'pack:manage',
      summary: 'Disable an installed pack: its pages leave the app shell; its artifacts and data stay',
      tags,
      params: packParams,
      body: tenantBody,
      handler: setStatus('disabled'),
    }),
    route({
      method: 'post',
      path: `${PATH}/:pack/enable`,
      permission: 'pack:manage',
      summary: 'Enable a disabled pack again',
      tags,
      params: packParams,
      body: tenantBody,
      handler: setStatus('installed'),
    }),
    route({
      method: 'post',
      path: `${PATH}/:pack/uninstall`,
      permission: 'pack:uninstall',
      summary: 'Uninstall a pack: its artifacts go; its entity records are kept for a later install (data: keep) or deleted (data: delete)',
      tags,
      params: packParams,
      body: tenantBody.extend({ data: z.enum(['keep', 'delete']) }),
      handler: async ({ params, body }, ctx) => {
        const removed = await ctx.tx(async (tx) => {
          const pack = known(params.pack, ctx.locale);
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          const row = await installed(tx, ctx, params.pack, tenant.id);
          const dependents = await dependentsOf(tx, tenant.id, pack.id, packs.byId());
          if (dependents.length > 0) {
            throw new AppError('conflict', { details: [{ path: 'params.pack', code: 'required_by', message: packMessage('required_by', ctx.locale, { dependents: dependents.join(', ') }) }] });
          }
          return uninstallPack(tx, pack, row, body.data);
        });
        await permissions.changed();
        await deps.reloadAlarmRules?.();
        return removed;
      },
    }),
  ];
}
