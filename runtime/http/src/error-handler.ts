import type { ErrorRequestHandler, RequestHandler } from 'express';
import type {} from 'pino-http';
import type { Logger } from 'pino';
import { AppError } from './app-error.js';
import { errorMessages, negotiateLocale } from './messages.js';

function sqlState(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  let e: unknown = error;
  const parts: string[] = [];
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    parts.push(e.message);
    e = e.cause;
  }
  return parts.join(' | ');
}

/** Maps what lower layers throw (body parser, PostgreSQL) onto the API's error codes. */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return new AppError('malformed_json', { cause: error });
  if (type === 'entity.too.large') return new AppError('payload_too_large', { cause: error });
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return new AppError('unsupported_media_type', { cause: error });
  const state = sqlState(error);
  // Class 22 is PostgreSQL's "data exception": a value the column cannot hold (a NUL character,
  // an untranslatable character, an out-of-range number). That is bad input, never a server fault.
  if (state?.startsWith('22')) return new AppError('validation_failed', { cause: error });
  switch (state) {
    case '23505':
      return new AppError('duplicate', { cause: error });
    case '23503':
      return /update or delete on table/.test(messageOf(error))
        ? new AppError('still_referenced', { cause: error })
        : new AppError('invalid_reference', { cause: error });
    case '42501':
      // Row-level security refused the row: it names a tenant outside the caller's subtree.
      return new AppError('forbidden_tenant', { cause: error });
    case '23514':
    case '23502':
      return new AppError('validation_failed', { cause: error });
    case '40001':
    case '40P01':
      return new AppError('conflict', { cause: error });
    default:
      return undefined;
  }
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const requestId = String(req.id ?? '');
    const locale = negotiateLocale(req.headers['accept-language']);
    const known = toAppError(error);
    const appError = known ?? new AppError('internal');
    if (!known) (req.log ?? logger).error({ err: error, requestId }, 'unhandled error');
    if (res.headersSent) return;
    res.status(appError.status).json({
      error: {
        code: appError.code,
        message: errorMessages[appError.code][locale],
        ...(appError.details ? { details: appError.details } : {}),
        requestId,
      },
    });
  };
}

export const routeNotFound: RequestHandler = () => {
  throw new AppError('route_not_found');
};
