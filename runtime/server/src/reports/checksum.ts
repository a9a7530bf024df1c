import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level: the same document always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * What decides whether a save makes a new version: the document, whatever order its keys came in
 * (PostgreSQL's jsonb reorders them anyway), without the version number a client may have sent along.
 */
export function artifactChecksum(document: Record<string, unknown>): string {
  const { version: _version, ...rest } = document;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
