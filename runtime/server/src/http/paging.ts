import type { Tx } from '@shuiyun/db';
import type { Page } from '@shuiyun/http';
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

/**
 * One page of a table under the transaction's row-level security, with the total for the pager.
 * The total rides on the page's own rows (`count(*) over ()`), so a page costs one round trip; only
 * a page past the end needs a second query to learn the total.
 */
export async function listPage<T extends PgTable>(
  tx: Tx,
  table: T,
  where: SQL | undefined,
  orderBy: (SQL | PgColumn)[],
  paging: { page: number; pageSize: number },
): Promise<Page<T['$inferSelect']>> {
  const rows = await tx
    .select({ ...getTableColumns(table), __total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(table as PgTable)
    .where(where)
    .orderBy(...orderBy)
    .limit(paging.pageSize)
    .offset((paging.page - 1) * paging.pageSize);
  const total = rows.length > 0 ? rows[0]!.__total : paging.page === 1 ? 0 : await tx.$count(table, where);
  const items = rows.map(({ __total: _, ...item }) => item) as T['$inferSelect'][];
  return { items, total, page: paging.page, pageSize: paging.pageSize };
}
