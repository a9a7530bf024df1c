import type { Tx } from '@shuiyun/db';
import { AppError, type Locale, type Permission } from '@shuiyun/http';
import { type Pack, PackError, type PackRoute } from '@shuiyun/sdk';
import type { RequestContext } from '../http/context.js';
import { route, type RuntimeRoute } from '../http/route.js';
import { installationOf } from './lifecycle.js';
import { packMessage } from './messages.js';
import type { PackRegistry } from './registry.js';
import { packServices, type ServiceDeps, tenantOf } from './services.js';

/** Where a pack's routes are served: `/api/ext/<pack id><route path>`. */
export const EXT_PREFIX = '/api/ext';

/** A pack's refusal as the API's error, in the caller's language. */
export function fromPackError(error: unknown, locale: Locale): never {
  if (error instanceof PackError) {
    throw new AppError(error.code, { details: [{ ...(error.path ? { path: error.path } : {}), code: error.code, message: error.messages[locale] }] });
  }
  throw error;
}

/** The caller's tenant has the pack installed and enabled: else 404 (not installed) or 409 (disabled). */
export async function assertEnabled(tx: Tx, tenantId: number, pack: Pack, locale: Locale): Promise<void> {
  const installation = await installationOf(tx, tenantId, pack.id);
  if (!installation) throw new AppError('not_found', { details: [{ path: 'pack', code: 'not_installed', message: packMessage('not_installed', locale, { id: pack.id }) }] });
  if (installation.status === 'disabled') throw new AppError('conflict', { details: [{ path: 'pack', code: 'pack_disabled', message: packMessage('pack_disabled', locale, { id: pack.id }) }] });
}

/**
 * The HTTP routes of every pack the runtime carries, each a runtime route like the platform's own
 * (permission declared and enforced, OpenAPI-listed). The handler runs in the caller's tenant transaction,
 * and only where the tenant has the pack installed and enabled: a pack's route is a view of one's own tenant.
 * The version deployed when a request arrives serves it, so an upgrade's changed handler takes effect at once.
 */
export function packExtRoutes(registry: PackRegistry, deps: ServiceDeps): RuntimeRoute[] {
  return registry.list().flatMap((pack) =>
    pack.routes.map((declared: PackRoute) =>
      route({
        method: declared.method,
        path: `${EXT_PREFIX}/${pack.id}${declared.path}`,
        permission: declared.permission as Permission,
        summary: declared.summary,
        tags: [`Pack ${pack.id}`],
        ...(declared.params ? { params: declared.params } : {}),
        ...(declared.query ? { query: declared.query } : {}),
        ...(declared.body ? { body: declared.body } : {}),
        ...(declared.status ? { status: declared.status } : {}),
        handler: (input, ctx: RequestContext) =>
          ctx.tx(async (tx) => {
            const current = registry.get(pack.id) ?? pack;
            const serving = current.routes.find((r) => r.method === declared.method && r.path === declared.path) ?? declared;
            const principal = ctx.principal();
            await assertEnabled(tx, principal.tenantId, current, ctx.locale);
            const services = packServices(deps, current, {
              tenant: await tenantOf(tx, principal.tenantId),
              user: { id: principal.userId, username: principal.username },
              locale: ctx.locale,
              tx,
              requestId: ctx.requestId,
            });
            return serving.handler(input as never, services).catch((error: unknown) => fromPackError(error, ctx.locale));
          }),
      }),
    ),
  );
}
