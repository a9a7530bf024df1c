import type { ErrorCode } from './messages.js';

const defaultStatus: Partial<Record<ErrorCode, number>> = {
  validation_failed: 400,
  unknown_field: 400,
  malformed_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthenticated: 401,
  token_expired: 401,
  invalid_credentials: 401,
  account_locked: 423,
  account_disabled: 403,
  invalid_refresh_token: 401,
  weak_password: 400,
  wrong_password: 400,
  sso_failed: 401,
  sso_not_linked: 403,
  forbidden: 403,
  forbidden_tenant: 403,
  not_found: 404,
  route_not_found: 404,
  duplicate: 409,
  conflict: 409,
  still_referenced: 409,
  invalid_reference: 400,
  invalid_transition: 409,
  import_rejected: 422,
  rate_limited: 429,
  not_ready: 503,
  internal: 500,
};

export interface ErrorDetail {
  path?: string;
  code?: string;
  message: string;
  /** The BPMN element a deployment error is about, so a modeler can mark it. */
  elementId?: string;
}

/** The one error family the API answers with: a machine code, an HTTP status and optional details. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    options: { status?: number; details?: ErrorDetail[]; message?: string; cause?: unknown } = {},
  ) {
    super(options.message ?? code, { cause: options.cause });
    this.name = 'AppError';
    this.status = options.status ?? defaultStatus[code] ?? 400;
    this.details = options.details;
  }
  readonly details: ErrorDetail[] | undefined;
}

export const notFound = () => new AppError('not_found');
export const forbidden = () => new AppError('forbidden');
