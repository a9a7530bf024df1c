import pg from 'pg';
import { openDatabase, type Database } from '../connect.js';

/** The PostgreSQL server the tests run against (trust auth on the project machine). */
export const postgresAdminUrl = () => process.env.SHUIYUN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh PostgreSQL database for one test file, created next to the run's database and dropped
 * at the end, so test files never see each other's rows.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(postgresAdminUrl());
  const name = `shuiyun_t_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The two systems of record every data-layer and API test runs on. */
export const drivers = ['pglite', 'postgres'] as const;
export type Driver = (typeof drivers)[number];

/**
 * A database on the given driver (in-memory PGlite, or a fresh PostgreSQL database that `close`
 * drops), migrated unless `migrate: false`.
 */
export async function testDatabase(driver: Driver, options: { migrate?: boolean } = {}): Promise<Database & { url?: string }> {
  const migrate = options.migrate ?? true;
  if (driver === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://' });
    if (migrate) await database.migrate();
    return database;
  }
  const fresh = await freshPostgresDatabase();
  const database = await openDatabase({ url: fresh.url, poolSize: 5 });
  try {
    if (migrate) await database.migrate();
  } catch (error) {
    await database.close();
    await fresh.drop();
    throw error;
  }
  return {
    ...database,
    url: fresh.url,
    close: async () => {
      await database.close();
      await fresh.drop();
    },
  };
}
