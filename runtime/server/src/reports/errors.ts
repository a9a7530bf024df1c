import { AppError, type ErrorCode, type Locale } from '@shuiyun/http';
import { ReportError, type ReportErrorCode } from '@shuiyun/reports';
import type { z } from 'zod';

/**
 * The API's error code and HTTP status for each of the engine's refusals. The API's codes are a closed
 * catalogue (runtime/http messages.ts, each with its zh-CN and en text), so the engine's own code rides
 * in the detail (`details[].code`) with its localized text, and the top-level code is the closest one:
 * input the caller can fix is `validation_failed` (or `unknown_field`), a tenant-subtree parameter
 * outside the caller's subtree is `forbidden_tenant`, and a store that failed, timed out or is missing
 * is `not_ready` with the engine's status (502, 504, 503).
 */
const apiError: Record<ReportErrorCode, { code: ErrorCode; status?: number }> = {
  invalid_dataset: { code: 'validation_failed' },
  invalid_query: { code: 'validation_failed' },
  unknown_field: { code: 'unknown_field' },
  invalid_parameter: { code: 'validation_failed' },
  missing_parameter: { code: 'validation_failed' },
  parameter_out_of_scope: { code: 'forbidden_tenant' },
  raw_sql_refused: { code: 'validation_failed' },
  relation_not_tenant_scoped: { code: 'validation_failed' },
  measure_not_supported: { code: 'validation_failed' },
  // Too many rows is the caller's to fix (narrow the query, page through it), but no malformed request.
  row_limit_exceeded: { code: 'validation_failed', status: 422 },
  query_timeout: { code: 'not_ready', status: 504 },
  query_failed: { code: 'not_ready', status: 502 },
  source_unavailable: { code: 'not_ready', status: 503 },
};

/** Where an engine path (`['parameters', 'period', 'from']`) lives in the request the caller sent. */
export type Locate = (path: readonly (string | number)[]) => string;

/** A request field prefix for every path: `body.query` + `dimensions.2` → `body.query.dimensions.2`. */
export const under =
  (prefix: string): Locate =>
  (path) =>
    [prefix, ...path.map(String)].filter((part) => part !== '').join('.');

/** The AppError for a ReportError: the API's code, the engine's status, and its code, path and text in the details. */
export function reportProblem(error: ReportError, locale: Locale, locate: Locate): AppError {
  const mapped = apiError[error.code];
  const separator = locale === 'zh-CN' ? '：' : ': ';
  return new AppError(mapped.code, {
    status: mapped.status ?? error.status,
    cause: error,
    details: [{ path: locate(error.path), code: error.code, message: `${error.messages[locale]}${separator}${error.detail}` }],
  });
}

/** Runs `work`; a ReportError it throws becomes the API's error with the path located in the request. */
export async function answering<T>(locale: Locale, locate: Locate, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReportError) throw reportProblem(error, locale, locate);
    throw error;
  }
}

/** The API's 400 for a zod failure inside a body field (a template, a definition): every issue with its path. */
export function zodProblem(error: z.ZodError, prefix: string): AppError {
  const unknownOnly = error.issues.every((issue) => issue.code === 'unrecognized_keys');
  return new AppError(unknownOnly ? 'unknown_field' : 'validation_failed', {
    details: error.issues.map((issue) => ({
      path: [prefix, ...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])].join('.'),
      code: issue.code,
      message: issue.message,
    })),
  });
}

/** A refusal of the report API's own (see messages.ts) naming one request field. */
export function refusal(code: ErrorCode, path: string, detailCode: string, message: string, status?: number): AppError {
  return new AppError(code, { ...(status ? { status } : {}), details: [{ path, code: detailCode, message }] });
}
