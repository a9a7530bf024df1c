import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { ltree } from '@electric-sql/pglite/contrib/ltree';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { freshPostgresDatabase, type Driver } from './postgres.js';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * A copy of the migrations folder whose journal holds the migrations before `before`, and when `through`
 * is given, also those up to and including it: the database an upgrade starts from, or the state an
 * upgrade test of one migration ends in. `remove()` deletes the copy.
 */
export function migrationsSlice(options: { before: string } | { through: string }): { folder: string; remove: () => void } {
  const folder = mkdtempSync(join(tmpdir(), 'shuiyun-migrations-'));
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const tag = 'before' in options ? options.before : options.through;
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at < 0) throw new Error(`no migration ${tag} in the journal`);
  journal.entries = journal.entries.slice(0, 'before' in options ? at : at + 1);
  writeFileSync(journalPath, JSON.stringify(journal));
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/** A bare database (no openDatabase bookkeeping) that migrates from any folder and runs raw statements. */
export interface RawDatabase {
  migrate(folder: string): Promise<void>;
  rows<T>(statement: ReturnType<typeof sql>): Promise<T[]>;
  close(): Promise<void>;
}

export async function rawDatabase(driver: Driver): Promise<RawDatabase> {
  if (driver === 'pglite') {
    const client = await PGlite.create('memory://', { extensions: { ltree } });
    const db = drizzlePglite({ client });
    return {
      migrate: (folder) => migratePglite(db, { migrationsFolder: folder }),
      rows: async <T,>(statement: ReturnType<typeof sql>) => (await db.execute(statement)).rows as T[],
      close: () => client.close(),
    };
  }
  const fresh = await freshPostgresDatabase();
  const client = new pg.Client({ connectionString: fresh.url });
  await client.connect();
  const db = drizzlePg({ client });
  return {
    migrate: (folder) => migratePg(db, { migrationsFolder: folder }),
    rows: async <T,>(statement: ReturnType<typeof sql>) => (await db.execute(statement)).rows as T[],
    close: async () => {
      await client.end();
      await fresh.drop();
    },
  };
}

export interface UpgradedRole {
  tenant_id: number;
  code: string;
  permissions: string[];
}

/**
 * An upgrade test's set-up: a bare database migrated to just before `before`, two tenants (platform 1 and
 * company 1.2) with a platform `*:*` admin and the company `roles` given, then migrated through `through`.
 * Returns the database (its own tables can be checked next) and every role as the upgrade left it.
 * Cleanup steps go onto `cleanup`, for the caller's afterAll.
 */
export async function upgradeWithRoles(
  driver: Driver,
  options: { before: string; through: string; roles: { code: string; permissions: string[]; builtin: boolean }[] },
  cleanup: (() => Promise<void> | void)[],
): Promise<{ database: RawDatabase; roles: UpgradedRole[] }> {
  const before = migrationsSlice({ before: options.before });
  cleanup.push(before.remove);
  // Up to the upgrade's own migrations: later ones grant further permissions of their own.
  const upgraded = migrationsSlice({ through: options.through });
  cleanup.push(upgraded.remove);
  const database = await rawDatabase(driver);
  cleanup.push(() => database.close());
  await database.migrate(before.folder);
  await database.rows(sql`insert into tenants (id, path, code, name, kind, settings) values
    (1, '1', 'platform', 'p', 'platform', '{}'), (2, '1.2', 'county', 'c', 'company', '{}')`);
  await database.rows(sql`insert into roles (tenant_id, tenant_path, code, name, permissions, builtin) values (1, '1', 'admin', 'a', '{*:*}', true)`);
  for (const role of options.roles) {
    await database.rows(
      sql`insert into roles (tenant_id, tenant_path, code, name, permissions, builtin) values (2, '1.2', ${role.code}, ${role.code}, ${`{${role.permissions.join(',')}}`}::text[], ${role.builtin})`,
    );
  }
  await database.migrate(upgraded.folder);
  const roles = await database.rows<UpgradedRole>(sql`select tenant_id::int, code, permissions from roles order by tenant_id, code`);
  return { database, roles };
}
