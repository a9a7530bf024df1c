import { asSystem, inTenant, queryRows, type Tx } from '@shuiyun/db';
import { AppError, type Locale, type Permission } from '@shuiyun/http';
import { type Pack, PackError, type PackRoute } from '@shuiyun/sdk';
import { sql } from 'drizzle-orm';
import type { Request } from 'express';
import type { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { route, type RuntimeRoute } from '../http/route.js';
import { installationOf } from './lifecycle.js';
import { packMessage } from './messages.js';
import type { PackRegistry } from './registry.js';
import { packServices, type ServiceDeps, tenantOf } from './services.js';

/** Where a pack's routes are served: `/api/ext/<pack id><route path>`. */
export const EXT_PREFIX = '/api/ext';
/** Where a pack's public routes are served: `/api/ext-public/<tenant code>/<pack id><route path>`. */
export const EXT_PUBLIC_PREFIX = '/api/ext-public';
/** A public route's body is kept raw (for the caller's signature) and refused past this size. */
export const EXT_PUBLIC_BODY_LIMIT = 1024 * 1024;

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
    pack.routes.filter((r) => r.permission !== 'public').map((declared: PackRoute) =>
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
        handler: async (input, ctx: RequestContext) => {
          const afterCommit: (() => void)[] = [];
          const result = await ctx.tx(async (tx) => {
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
              afterCommit,
            });
            return serving.handler(input as never, services).catch((error: unknown) => fromPackError(error, ctx.locale));
          });
          // Device commands a handler queued go out once the request's transaction has committed.
          for (const after of afterCommit) after();
          return result;
        },
      }),
    ),
  );
}

/** A part of a public request checked by the route's schema: the API's 400 with every issue's path. */
function checked<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new AppError('validation_failed', { details: result.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })) });
}

function rawRequest(req: Request) {
  const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return { body, headers };
}

/**
 * A pack's public routes (`permission: 'public'`): called without sign-in by another system, a payment
 * platform's callback say, at `/api/ext-public/<tenant code>/<pack id><path>`. The handler gets the body's
 * exact text and the headers to check the caller's signature itself, and runs in one transaction of the
 * tenant named in the path, with no user (`can` is always false), where the tenant has the pack enabled.
 * An unknown tenant code answers 404 like a tenant without the pack.
 */
export function packPublicRoutes(registry: PackRegistry, deps: ServiceDeps): RuntimeRoute[] {
  return registry.list().flatMap((pack) =>
    pack.routes
      .filter((r) => r.permission === 'public')
      .map((declared: PackRoute) =>
        route({
          method: declared.method,
          path: `${EXT_PUBLIC_PREFIX}/:tenantCode/${pack.id}${declared.path}`,
          permission: 'public',
          summary: `${declared.summary} (public: the caller signs; the body is checked raw)`,
          tags: [`Pack ${pack.id}`],
          ...(declared.status ? { status: declared.status } : {}),
          handler: async (_input, ctx: RequestContext, req) => {
            const { tenantCode, ...pathParams } = req.params as Record<string, string>;
            const raw = rawRequest(req);
            const params = checked(declared.params, pathParams, 'params');
            const query = checked(declared.query, req.query, 'query');
            let parsed: unknown = undefined;
            if (raw.body.trim().length > 0 && /json/i.test(raw.headers['content-type'] ?? 'application/json')) {
              try {
                parsed = JSON.parse(raw.body);
              } catch {
                throw new AppError('validation_failed', { details: [{ path: 'body', message: 'the body is not JSON' }] });
              }
            }
            const body = checked(declared.body, parsed, 'body');
            const [tenant] = await asSystem(deps.db, (tx) => queryRows<{ id: string | number }>(tx, sql`select id from tenants where code = ${tenantCode ?? ''}`));
            if (!tenant) throw new AppError('not_found', { details: [{ path: 'params.tenantCode', message: `no tenant ${tenantCode}` }] });
            const scope = await asSystem(deps.db, (tx) => tenantOf(tx, Number(tenant.id)));
            const afterCommit: (() => void)[] = [];
            const result = await inTenant(deps.db, { tenantPath: scope.path, userId: null, userName: `pack:${pack.id}:public`, requestId: ctx.requestId }, async (tx) => {
              const current = registry.get(pack.id) ?? pack;
              const serving = current.routes.find((r) => r.method === declared.method && r.path === declared.path) ?? declared;
              await assertEnabled(tx, scope.id, current, ctx.locale);
              const services = packServices(deps, current, { tenant: scope, user: null, anonymous: true, locale: ctx.locale, tx, requestId: ctx.requestId, afterCommit });
              return serving.handler({ params, query, body, raw } as never, services).catch((error: unknown) => fromPackError(error, ctx.locale));
            });
            for (const after of afterCommit) after();
            return result;
          },
        }),
      ),
  );
}
