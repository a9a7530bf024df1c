import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './connect.js';
import * as schema from './schema.js';
import { tenants } from './schema.js';
import { asSystem, queryRows } from './tenant-scope.js';
import { drivers, freshPostgresDatabase, testDatabase } from './testing/postgres.js';

const journal = JSON.parse(readFileSync(new URL('../migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: { tag: string }[] };

/** Every table and column the drizzle schema declares, as `table.column`. */
const declaredColumns = (Object.values(schema) as unknown[])
  .filter((value): value is PgTable => value instanceof PgTable)
  .flatMap((table) => {
    const config = getTableConfig(table);
    return config.columns.map((c) => `${config.name}.${c.name}`);
  })
  .sort();

/** What a migration run leaves behind: tables and columns, indexes, policies, triggers, functions, grants, and the ledger. */
async function schemaSnapshot(database: Database) {
  return asSystem(database.db, async (tx) => ({
    columns: await queryRows<{ c: string }>(
      tx,
      sql`select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as c
          from information_schema.columns where table_schema = 'public' order by 1`,
    ),
    indexes: await queryRows(tx, sql`select indexname, indexdef from pg_indexes where schemaname = 'public' order by 1`),
    policies: await queryRows(
      tx,
      sql`select tablename, policyname, permissive, cmd, qual, with_check from pg_policies where schemaname = 'public' order by 1, 2`,
    ),
    security: await queryRows(
      tx,
      sql`select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind = 'r' order by 1`,
    ),
    triggers: await queryRows(tx, sql`select tgrelid::regclass::text as rel, tgname from pg_trigger where not tgisinternal order by 1, 2`),
    functions: await queryRows(
      tx,
      sql`select p.proname, pg_get_function_identity_arguments(p.oid) as args from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = 'public' and p.proname like 'shuiyun_%' order by 1, 2`,
    ),
    grants: await queryRows(
      tx,
      sql`select table_name, privilege_type from information_schema.role_table_grants where grantee = 'shuiyun_app' order by 1, 2`,
    ),
    ledger: await queryRows<{ hash: string; created_at: string }>(tx, sql`select hash, created_at::text from drizzle.__drizzle_migrations order by id`),
  }));
}

function expectComplete(snapshot: Awaited<ReturnType<typeof schemaSnapshot>>) {
  const present = new Set(snapshot.columns.map((r) => r.c.split(' ')[0]));
  expect(declaredColumns.filter((c) => !present.has(c))).toEqual([]);
  expect(snapshot.ledger).toHaveLength(journal.entries.length);
  expect(snapshot.policies.length).toBeGreaterThanOrEqual(11);
  expect(snapshot.triggers).toEqual(
    expect.arrayContaining([
      { rel: 'audit_log', tgname: 'audit_log_append_only' },
      { rel: 'audit_log', tgname: 'audit_log_no_truncate' },
      { rel: 'tenants', tgname: 'audit_row' },
    ]),
  );
}

describe.each(drivers)('migrations on %s', (driver) => {
  const opened: Database[] = [];
  afterAll(async () => {
    for (const database of opened) await database.close();
  });

  it('migrating an already migrated database is a no-op that keeps schema, ledger and rows', async () => {
    const database = await testDatabase(driver, { migrate: false });
    opened.push(database);
    await database.migrate();
    const first = await schemaSnapshot(database);
    expectComplete(first);
    await asSystem(database.db, (tx) =>
      tx.insert(tenants).values({ path: '1', code: 'kept', name: 'kept', kind: 'platform', settings: { timeZone: 'UTC', locale: 'en', brandingName: null } }),
    );

    await database.migrate();
    await database.migrate();

    expect(await schemaSnapshot(database)).toEqual(first);
    const kept = await asSystem(database.db, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from tenants where code = 'kept'`));
    expect(kept[0]!.n).toBe(1);
  });
});

describe('migrations on postgres from several runtime nodes at once', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('lets three nodes migrate the same fresh database in parallel: all succeed, the migrations apply once, the schema is complete', async () => {
    const fresh = await freshPostgresDatabase();
    cleanup.push(fresh.drop);
    const nodes = await Promise.all([1, 2, 3].map(() => openDatabase({ url: fresh.url, poolSize: 2 })));
    for (const node of nodes) cleanup.push(() => node.close());

    const outcomes = await Promise.allSettled(nodes.map((node) => node.migrate()));
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok']);

    const parallel = await schemaSnapshot(nodes[0]!);
    expectComplete(parallel);

    // The same schema as one node migrating alone.
    const reference = await testDatabase('postgres');
    cleanup.push(() => reference.close());
    const alone = await schemaSnapshot(reference);
    expect(parallel.columns).toEqual(alone.columns);
    expect(parallel.policies).toEqual(alone.policies);
    expect(parallel.triggers).toEqual(alone.triggers);
    expect(parallel.functions).toEqual(alone.functions);
    expect(parallel.grants).toEqual(alone.grants);
    expect(parallel.ledger).toEqual(alone.ledger);
  });
});
