import type {} from 'pino-http';
import { type Db, inTenant, type DataScope, type Tx } from '@shuiyun/db';
import { AppError, negotiateLocale, type Locale } from '@shuiyun/http';
import type { Request } from 'express';
import type { ClientMeta } from '../identity/sign-in.js';
import type { Principal } from '../identity/tokens.js';

/** Set on `res.locals` by the guard once the caller is known. */
export interface Caller {
  principal: Principal;
  dataScope: DataScope;
}

/** What every handler gets: who calls, in which language, and a transaction bound to the caller's tenant. */
export interface RequestContext {
  requestId: string;
  locale: Locale;
  meta: ClientMeta;
  caller: Caller | null;
  /** The signed-in caller; throws `unauthenticated` on a public route without one. */
  principal(): Principal;
  /** Runs `work` in one transaction scoped by row-level security to the caller's tenant and data scope. */
  tx<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * A handler context for a known caller: the transaction is scoped by row-level security to the caller's
 * tenant and data scope. Requests get theirs from {@link contextFactory}; work done on a user's behalf
 * outside a request (a report schedule runs as its owner) builds the same scope here.
 */
export function callerContext(db: Db, caller: Caller | null, request: { requestId: string; locale: Locale; meta: ClientMeta }): RequestContext {
  const principal = () => {
    if (!caller) throw new AppError('unauthenticated');
    return caller.principal;
  };
  return {
    ...request,
    caller,
    principal,
    tx: (work) => {
      const p = principal();
      return inTenant(
        db,
        {
          tenantPath: p.tenantPath,
          userId: p.userId,
          userName: p.username,
          dataScope: caller!.dataScope,
          orgPath: p.orgPath,
          requestId: request.requestId,
        },
        work,
      );
    },
  };
}

export function contextFactory(db: Db) {
  return (req: Request): RequestContext => {
    const caller = (req.res?.locals.caller as Caller | undefined) ?? null;
    const requestId = String(req.id);
    return callerContext(db, caller, {
      requestId,
      locale: negotiateLocale(req.headers['accept-language']),
      meta: { ip: req.ip, userAgent: req.headers['user-agent'], requestId },
    });
  };
}
