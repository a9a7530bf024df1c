import type {} from 'pino-http';
import { AppError, type AnyRoute } from '@shuiyun/http';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { SignInService } from '../identity/sign-in.js';
import type { TokenSigner } from '../identity/tokens.js';
import type { PermissionModel } from '../permissions/permission-model.js';
import type { Caller, RequestContext } from './context.js';

export interface GuardDeps {
  signer: TokenSigner;
  signIn: SignInService;
  permissions: PermissionModel;
  tenantRateLimit: number;
}

/** Builds the middleware that enforces what each route declares in its `permission`. */
export function guardFactory(deps: GuardDeps) {
  const authenticate: RequestHandler = async (req, res, next) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw new AppError('unauthenticated');
    const principal = await deps.signer.verify(token);
    if (deps.signIn.isRevoked(principal.sessionId)) throw new AppError('unauthenticated');
    const dataScope = deps.permissions.dataScopeOf(principal.userId, principal.tenantId) ?? 'own';
    res.locals.caller = { principal, dataScope } satisfies Caller;
    req.log?.setBindings?.({ tenant: principal.tenantId, user: principal.userId });
    next();
  };

  const perTenant = rateLimit({
    windowMs: 60_000,
    limit: deps.tenantRateLimit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => `tenant:${(res.locals.caller as Caller).principal.tenantId}`,
    handler: () => {
      throw new AppError('rate_limited');
    },
  });

  return (route: AnyRoute<RequestContext>): RequestHandler[] => {
    if (route.permission === 'public') return [];
    const steps: RequestHandler[] = [authenticate, perTenant];
    if (route.permission !== 'authenticated') {
      const permission = route.permission;
      steps.push((_req, res, next) => {
        const { principal } = res.locals.caller as Caller;
        if (!deps.permissions.can(principal.userId, principal.tenantId, permission)) throw new AppError('forbidden');
        next();
      });
    }
    return steps;
  };
}
