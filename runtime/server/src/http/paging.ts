import type { Tx } from '@shuiyun/db';
import type { Page } from '@shuiyun/http';
import type { SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';

/** One page of a table under the transaction's row-level security, with the total for the pager. */
export async function listPage<T extends PgTable>(
  tx: Tx,
  table: T,
  where: SQL | undefined,
  orderBy: (SQL | PgColumn)[],
  paging: { page: number; pageSize: number },
): Promise<Page<T['$inferSelect']>> {
  const [items, total] = await Promise.all([
    tx
      .select()
      .from(table as PgTable)
      .where(where)
      .orderBy(...orderBy)
      .limit(paging.pageSize)
      .offset((paging.page - 1) * paging.pageSize),
    tx.$count(table, where),
  ]);
  return { items: items as T['$inferSelect'][], total, page: paging.page, pageSize: paging.pageSize };
}
