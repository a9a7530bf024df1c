import { ApiError, type ErrorDetail } from '@shuiyun/web-kit';

/** The field a detail's path names, without the request part (`body.code` → `code`). */
export function fieldOf(detail: ErrorDetail): string | null {
  if (!detail.path) return null;
  const parts = detail.path.split('.');
  if (parts[0] === 'body' || parts[0] === 'query' || parts[0] === 'params') parts.shift();
  return parts.length > 0 ? parts.join('.') : null;
}

/** Field errors for an antd Form from an API error: `[{name, errors}]`, and what is left over. */
export function formFieldErrors(error: unknown, fields: readonly string[]): { fields: { name: string; errors: string[] }[]; rest: string[] } {
  if (!(error instanceof ApiError)) return { fields: [], rest: [error instanceof Error ? error.message : String(error)] };
  const byField = new Map<string, string[]>();
  const rest: string[] = [];
  for (const detail of error.details) {
    const field = fieldOf(detail);
    const name = field ? fields.find((f) => field === f || field.startsWith(`${f}.`)) : undefined;
    if (name) byField.set(name, [...(byField.get(name) ?? []), detail.message]);
    else rest.push(detail.message);
  }
  if (byField.size === 0 && rest.length === 0) {
    // A duplicate code answers without details on some routes.
    if (error.code === 'duplicate' && fields.includes('code')) byField.set('code', [error.message]);
    else rest.push(error.message);
  }
  return { fields: [...byField].map(([name, errors]) => ({ name, errors })), rest };
}

/** One line for a notification. */
export function messageOf(error: unknown, fallback: string): string {
  if (error instanceof ApiError) return error.details.length > 0 ? `${error.message}: ${error.details.map((d) => d.message).join('；')}` : error.message;
  if (error instanceof Error && error.message) return error.message;
  return fallback;
}
