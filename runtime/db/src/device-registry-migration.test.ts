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
import { afterAll, describe, expect, it } from 'vitest';
import { drivers, freshPostgresDatabase, type Driver } from './testing/postgres.js';

const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

/** A copy of the migrations folder that stops before the device registry (0004). */
function migrationsBeforeRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shuiyun-migrations-'));
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === '0004_device_registry');
  expect(cut).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, cut);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

interface RawDatabase {
  migrate(folder: string): Promise<void>;
  rows<T>(statement: ReturnType<typeof sql>): Promise<T[]>;
  close(): Promise<void>;
}

async function rawDatabase(driver: Driver): Promise<RawDatabase> {
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

describe.each(drivers)('upgrading to the device registry on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('gives the built-in roles of existing tenants the registry permissions (administrators all, viewers the reads), and leaves other roles alone', async () => {
    const before = migrationsBeforeRegistry();
    cleanup.push(() => rmSync(before, { recursive: true, force: true }));
    const database = await rawDatabase(driver);
    cleanup.push(() => database.close());
    await database.migrate(before);

    await database.rows(sql`insert into tenants (id, path, code, name, kind, settings) values
      (1, '1', 'platform', 'p', 'platform', '{}'), (2, '1.2', 'county', 'c', 'company', '{}')`);
    await database.rows(sql`insert into roles (tenant_id, tenant_path, code, name, permissions, builtin) values
      (1, '1', 'admin', 'a', '{*:*}', true),
      (2, '1.2', 'admin', 'a', '{community:read,community:create}', true),
      (2, '1.2', 'viewer', 'v', '{community:read}', true),
      (2, '1.2', 'meter-reader', 'm', '{community:read}', false)`);

    await database.migrate(migrationsFolder);
    const roles = await database.rows<{ tenant_id: number; code: string; permissions: string[] }>(
      sql`select tenant_id::int, code, permissions from roles order by tenant_id, code`,
    );
    expect(roles).toEqual([
      { tenant_id: 1, code: 'admin', permissions: ['*:*'] },
      {
        tenant_id: 2,
        code: 'admin',
        permissions: [
          'community:create',
          'community:read',
          'device:create',
          'device:delete',
          'device:export',
          'device:import',
          'device:read',
          'device:rotate-secret',
          'device:transition',
          'device:update',
          'product:create',
          'product:delete',
          'product:read',
          'product:update',
        ],
      },
      { tenant_id: 2, code: 'meter-reader', permissions: ['community:read'] },
      { tenant_id: 2, code: 'viewer', permissions: ['community:read', 'device:read', 'product:read'] },
    ]);
  });
});
