import type { Tx } from '@shuiyun/db';
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

/**
 * A table of versioned tenant artifacts (process definitions, forms, report datasets and templates): one
 * row per tenant, key and version, where saving an unchanged artifact adds no version.
 */
export type VersionedTable = PgTable & { tenantId: PgColumn; version: PgColumn };

/** The newest version of `key` in one tenant. */
export async function newestVersion<T extends VersionedTable>(tx: Tx, table: T, keyColumn: PgColumn, tenantId: number, key: string): Promise<T['$inferSelect'] | undefined> {
  const [row] = await tx
    .select()
    .from(table as PgTable)
    .where(and(eq(table.tenantId, tenantId), eq(keyColumn, key)))
    .orderBy(desc(table.version))
    .limit(1);
  return row as T['$inferSelect'] | undefined;
}

/** A list condition that keeps each key's newest version in its tenant. */
export function onlyNewestVersions(table: VersionedTable, keyColumn: PgColumn): SQL {
  return sql`${table.version} = (select max(v.${sql.identifier(table.version.name)}) from ${table} v
    where v.${sql.identifier(table.tenantId.name)} = ${table.tenantId} and v.${sql.identifier(keyColumn.name)} = ${keyColumn})`;
}
