import { createHash } from 'node:crypto';
import { queryRows, type Tx } from '@shuiyun/db';
import { AppError, type Locale } from '@shuiyun/http';
import { type Pack, packSchema } from '@shuiyun/sdk';
import { sql } from 'drizzle-orm';
import { packMessage } from './messages.js';

const checksum = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Where the quoted text, quoted name, comment or dollar-quoted body that starts at `i` ends (the index
 * after it), or `i` when none starts there. Statements are split and `$n` placeholders found outside them.
 */
export function skipLiteral(text: string, i: number): number {
  const c = text[i];
  const after = (end: number, length: number) => (end < 0 ? text.length : end + length);
  if (c === "'" || c === '"') return after(text.indexOf(c, i + 1), 1);
  if (c === '-' && text[i + 1] === '-') return after(text.indexOf('\n', i), 1);
  if (c === '/' && text[i + 1] === '*') return after(text.indexOf('*/', i + 2), 2);
  const tag = c === '$' ? /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64))?.[0] : undefined;
  return tag ? after(text.indexOf(tag, i + tag.length), tag.length) : i;
}

/**
 * Splits a migration into statements at `;` ends outside quotes, comments and dollar-quoted bodies (so a
 * function body stays whole). PGlite's extended protocol takes one statement at a time.
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; ) {
    const skipped = skipLiteral(text, i);
    if (skipped > i) i = skipped;
    else if (text[i] === ';') {
      statements.push(text.slice(start, i));
      start = ++i;
    } else i++;
  }
  statements.push(text.slice(start));
  return statements.map((s) => s.trim()).filter((s) => s.replace(/--[^\n]*/g, '').trim().length > 0);
}

const refuse = (locale: Locale, path: string, code: string, message: string) => new AppError('conflict', { details: [{ path, code, message }] });

/**
 * Applies the pack's pending Postgres migrations inside the caller's transaction, as the owner role (the
 * request works as the application role, which may not change the schema), then puts the role back. The
 * schema is shared by every tenant: a migration runs once per database, and the tables it creates get the
 * tenant policy, the composite tenant key and the application role's grants here, so a pack cannot forget
 * them. Because PostgreSQL's DDL is transactional, a failure later in an install takes the tables with it.
 * Answers the ids applied.
 */
export async function applyPackMigrations(tx: Tx, pack: Pack, locale: Locale): Promise<string[]> {
  if (pack.migrations.analytics.length > 0) {
    throw refuse(locale, 'pack.migrations.analytics', 'analytics_migrations_unsupported', packMessage('analytics_migrations_unsupported', locale, { id: pack.id }));
  }
  const [{ role, path } = { role: 'none', path: '"$user", public' }] = await queryRows<{ role: string; path: string }>(
    tx,
    sql`select current_setting('role') as role, current_setting('search_path') as path`,
  );
  const schema = packSchema(pack.id);
  await tx.execute(sql`select set_config('role', 'none', true)`);
  // The role and search path are put back after success only: a failed statement has aborted the
  // transaction, which then rolls back (settings included) and must not be masked by a second error.
  const restore = () => tx.execute(sql`select set_config('search_path', ${path}, true), set_config('role', ${role}, true)`);
  // One installer at a time per pack and database: two tenants installing at once must not both migrate.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`pack-migrations:${pack.id}`}))`);
  const applied = new Map(
    (await queryRows<{ migration_id: string; checksum: string }>(tx, sql`select migration_id, checksum from pack_migrations where pack_id = ${pack.id} and store = 'postgres'`)).map((r) => [r.migration_id, r.checksum]),
  );
  const declared = new Map(pack.migrations.postgres.map((m, i) => [m.id, { ...m, index: i }]));
  for (const [id, sum] of applied) {
    const migration = declared.get(id);
    if (!migration) throw refuse(locale, 'pack.migrations.postgres', 'migration_missing', packMessage('migration_missing', locale, { id: pack.id, migration: id }));
    if (checksum(migration.sql) !== sum) throw refuse(locale, `pack.migrations.postgres.${migration.index}`, 'migration_changed', packMessage('migration_changed', locale, { id: pack.id, migration: id }));
  }
  const pending = pack.migrations.postgres.map((m, index) => ({ ...m, index })).filter((m) => !applied.has(m.id));
  if (pending.length === 0) {
    await restore();
    return [];
  }
  await tx.execute(sql.raw(`create schema if not exists ${schema}`));
  await tx.execute(sql`select set_config('search_path', ${`${schema}, public`}, true)`);
  for (const migration of pending) {
    for (const statement of splitStatements(migration.sql)) {
      try {
        await tx.execute(sql.raw(statement));
      } catch (error) {
        throw new AppError('validation_failed', {
          details: [{ path: `pack.migrations.postgres.${migration.index}.sql`, code: 'migration_failed', message: packMessage('migration_failed', locale, { migration: migration.id, reason: (error as Error).message }) }],
        });
      }
    }
    await tx.execute(sql`insert into pack_migrations (pack_id, store, migration_id, checksum, pack_version) values (${pack.id}, 'postgres', ${migration.id}, ${checksum(migration.sql)}, ${pack.version})`);
  }
  await secureTables(tx, schema, locale, pending.at(-1)!.index);
  await restore();
  return pending.map((m) => m.id);
}

/**
 * Every table of the pack's schema: tenant columns present, row-level security on and forced with the
 * tenant subtree policy, `(tenant_id, tenant_path)` a key into the tenant tree, and the application role
 * granted what it needs (`DELETE` too: a pack decides what its routes may remove).
 */
async function secureTables(tx: Tx, schema: string, locale: Locale, lastIndex: number): Promise<void> {
  const tables = await queryRows<{ name: string; rls: boolean; columns: string[]; has_fk: boolean }>(
    tx,
    sql`select c.relname as name, c.relrowsecurity as rls,
          array(select a.attname::text from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
          exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'f' and k.confrelid = 'public.tenants'::regclass and array_length(k.conkey, 1) = 2) as has_fk
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p') order by c.relname`,
  );
  for (const table of tables) {
    const missing = ['tenant_id', 'tenant_path'].filter((c) => !table.columns.includes(c));
    if (missing.length > 0) {
      throw new AppError('validation_failed', {
        details: [{ path: `pack.migrations.postgres.${lastIndex}.sql`, code: 'table_not_tenant_scoped', message: packMessage('table_not_tenant_scoped', locale, { table: `${schema}.${table.name}`, columns: missing.join(', ') }) }],
      });
    }
    const name = `${schema}.${table.name}`;
    if (!table.rls) {
      await tx.execute(sql.raw(`alter table ${name} enable row level security`));
      await tx.execute(sql.raw(`alter table ${name} force row level security`));
      await tx.execute(sql.raw(`create policy tenant_subtree on ${name} using (tenant_path <@ (select shuiyun_tenant())) with check (tenant_path <@ (select shuiyun_tenant()))`));
    }
    if (!table.has_fk) {
      await tx.execute(sql.raw(`alter table ${name} add constraint ${table.name.slice(0, 40)}_tenant_fkey foreign key (tenant_id, tenant_path) references public.tenants (id, path)`));
    }
  }
  await tx.execute(sql.raw(`grant usage on schema ${schema} to shuiyun_app`));
  await tx.execute(sql.raw(`grant select, insert, update, delete on all tables in schema ${schema} to shuiyun_app`));
  await tx.execute(sql.raw(`grant usage, select on all sequences in schema ${schema} to shuiyun_app`));
}

/** The pack's tables (for uninstall's `data: delete`), newest first: a later table is the one that references an earlier. */
export async function packTables(tx: Tx, pack: Pack): Promise<string[]> {
  const schema = packSchema(pack.id);
  const rows = await queryRows<{ name: string }>(tx, sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} and c.relkind in ('r', 'p') order by c.oid desc`);
  return rows.map((r) => `${schema}.${r.name}`);
}
