import { tenants, type Tx } from '@shuiyun/db';
import type { Locale } from '@shuiyun/http';
import type { Dataset } from '@shuiyun/reports';
import { eq } from 'drizzle-orm';
import { refusal } from './errors.js';
import { reportMessage } from './messages.js';

/** True when a definition carries SQL of its own: a raw source, or a lookup written as SQL. */
export const hasRawSql = (dataset: Dataset) =>
  dataset.source.kind === 'analytics-sql' || dataset.source.kind === 'postgres-sql' || dataset.lookups.some((lookup) => 'sql' in lookup.source);

/**
 * Platform administrators are the users of the platform tenant (the root of the tree, kind `platform`,
 * seeded as PLATFORM_TENANT_CODE): the operators of the whole installation, who answer for raw SQL
 * running in every tenant. A tenant's own administrators, however many permissions they hold, are not.
 */
export async function isPlatformUser(tx: Tx, tenantId: number): Promise<boolean> {
  const [tenant] = await tx.select({ kind: tenants.kind }).from(tenants).where(eq(tenants.id, tenantId));
  return tenant?.kind === 'platform';
}

/**
 * Tables that exist to hold sign-in material, and credential columns wherever they are. Row-level security
 * would show a tenant only its own rows, but no report should show a password hash or a client secret
 * at all, so a dataset may not declare them. Raw SQL could rename a column; only platform
 * administrators write it, and they answer for it.
 */
const credentialRelations = new Set(['sessions', 'user_identities', 'oidc_login_states', 'system_secrets']);
const credentialColumns = new Set(['password_hash', 'client_secret', 'mqtt_secret_hash', 'token', 'aes_key', 'api_secret', 'refresh_digest', 'previous_digest']);

/** Refuses what the caller may not save: raw SQL unless a platform administrator, credential tables and columns for everyone. */
export function checkDatasetPolicy(dataset: Dataset, platformUser: boolean, locale: Locale, field: string): void {
  if (hasRawSql(dataset) && !platformUser) {
    const at = dataset.source.kind.endsWith('-sql') ? `${field}.source.sql` : `${field}.lookups`;
    throw refusal('forbidden', at, 'raw_sql_platform_only', reportMessage('raw_sql_platform_only', locale));
  }
  const relations = [
    ...(dataset.source.kind === 'postgres' ? [{ name: dataset.source.relation, at: `${field}.source.relation` }] : []),
    ...dataset.lookups.flatMap((lookup, i) => ('relation' in lookup.source ? [{ name: lookup.source.relation, at: `${field}.lookups.${i}.source.relation` }] : [])),
  ];
  for (const relation of relations) {
    if (credentialRelations.has(relation.name)) {
      throw refusal('validation_failed', relation.at, 'credential_relation', reportMessage('credential_relation', locale, { relation: relation.name }));
    }
  }
  const columns = [
    ...Object.keys(dataset.columns).map((name) => ({ name, at: `${field}.columns.${name}` })),
    ...dataset.lookups.flatMap((lookup, i) => Object.keys(lookup.columns).map((name) => ({ name, at: `${field}.lookups.${i}.columns.${name}` }))),
  ];
  for (const column of columns) {
    if (credentialColumns.has(column.name)) {
      throw refusal('validation_failed', column.at, 'credential_column', reportMessage('credential_column', locale, { column: column.name }));
    }
  }
}
