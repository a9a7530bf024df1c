import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { ltree } from '@electric-sql/pglite/contrib/ltree';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.js';
import { type NotificationHandler, PostgresListener } from './notifications.js';
import { registerTenantTransaction } from './tenant-scope.js';

export type Schema = typeof schema;
/** The drizzle database, whichever driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle as passed to `db.transaction(tx => …)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Applies pending migrations; safe to call from several runtime nodes at once on PostgreSQL. */
  migrate(): Promise<void>;
  /** A cheap round trip, for readiness probes. */
  ping(): Promise<void>;
  /** Receives NOTIFY payloads on `channel`, including this node's own. */
  subscribe(channel: string, handler: NotificationHandler): Promise<void>;
  /** Called after the notification connection came back from a failure: messages may have been missed. */
  onReconnect(handler: () => void): void;
  /** NOTIFY every runtime node on this database. */
  publish(channel: string, payload: string): Promise<void>;
  /**
   * Takes the session-level advisory lock `key` on a connection of its own, unless another session holds
   * it (`pg_try_advisory_lock`): null then. The lock lasts as long as that connection, so a node that dies
   * or loses the database gives it up by itself; the holder watches `lost`. On PGlite one process owns the
   * database, so the lock is always granted and never lost.
   */
  tryLock(key: number): Promise<SessionLock | null>;
  close(): Promise<void>;
}

/** A session-level advisory lock held on its own connection (see `Database.tryLock`). */
export interface SessionLock {
  /** Resolves when the lock is gone: released, or its connection broke (the server then dropped it). */
  readonly lost: Promise<void>;
  /** A round trip on the lock's connection: false (and `lost` resolved) when the connection is gone. */
  check(): Promise<boolean>;
  release(): Promise<void>;
}

/** The lock of a single-process database: nobody else can want it. */
const uncontendedLock = (): SessionLock => {
  let release: () => void = () => undefined;
  const lost = new Promise<void>((resolve) => (release = resolve));
  return { lost, check: async () => true, release: async () => release() };
};

export interface DatabaseOptions {
  /** `postgres://…` for PostgreSQL; otherwise PGlite. */
  url?: string | undefined;
  /** PGlite data directory; `memory://` for an in-memory database. */
  dataDir?: string | undefined;
  /** PostgreSQL pool size. */
  poolSize?: number | undefined;
}

const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));
const MIGRATION_LOCK = 7_204_311; // pg_advisory_lock key shared by every runtime node

export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  if (options.url && /^postgres(ql)?:\/\//.test(options.url)) return openPostgres(options.url, options.poolSize ?? 10);
  return openPglite(options.dataDir ?? 'memory://');
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.includes('://')) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, { extensions: { ltree } });
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    async migrate() {
      await migratePglite(drizzlePglite({ client, schema }), { migrationsFolder });
    },
    async ping() {
      await client.query('select 1');
    },
    async subscribe(channel, handler) {
      await client.listen(channel, handler);
    },
    // One process owns a PGlite database: its notification path never breaks.
    onReconnect() {},
    async publish(channel, payload) {
      await client.query('select pg_notify($1, $2)', [channel, payload]);
    },
    tryLock: async () => uncontendedLock(),
    async close() {
      await client.close();
    },
  };
}

/** The advisory lock `key` on a new connection of its own, or null when another session holds it. */
async function tryPostgresLock(url: string, key: number, held: Set<pg.Client>): Promise<SessionLock | null> {
  // TCP keepalive, so a connection that died without a word (a dropped network path) is noticed too.
  const client = new pg.Client({ connectionString: url, keepAlive: true });
  let markLost: () => void = () => undefined;
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  const end = () => {
    held.delete(client);
    markLost();
  };
  // Without a listener, a connection the server ends would be an uncaught 'error'.
  client.on('error', end);
  client.on('end', end);
  await client.connect();
  try {
    const { rows } = await client.query<{ held: boolean }>('select pg_try_advisory_lock($1) as held', [key]);
    if (!rows[0]?.held) {
      await client.end();
      return null;
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  held.add(client);
  return {
    lost,
    async check() {
      try {
        await client.query('select 1');
        return true;
      } catch {
        end();
        return false;
      }
    },
    async release() {
      // Ending the session releases its advisory locks; the unlock only makes it immediate.
      await client.query('select pg_advisory_unlock($1)', [key]).catch(() => undefined);
      await client.end().catch(() => undefined);
      end();
    },
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  const listener = new PostgresListener(url);
  const locks = new Set<pg.Client>();
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  registerTenantTransaction(db, async (settings, work) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      // BEGIN and the settings travel as one simple-protocol message: one round trip, not two.
      const calls = settings.map(([name, value]) => `set_config(${client.escapeLiteral(name)}, ${client.escapeLiteral(value)}, true)`);
      await client.query(`begin; select ${calls.join(', ')}`);
      const result = await work(drizzlePg({ client, schema }) as unknown as Tx);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  });
  return {
    kind: 'postgres',
    db,
    async migrate() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        await migratePg(drizzlePg({ client, schema }), { migrationsFolder });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
        await client.end();
      }
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    subscribe: (channel, handler) => listener.subscribe(channel, handler),
    onReconnect: (handler) => listener.onReconnect(handler),
    async publish(channel, payload) {
      await pool.query('select pg_notify($1, $2)', [channel, payload]);
    },
    tryLock: (key) => tryPostgresLock(url, key, locks),
    async close() {
      // A lock its holder forgot must not keep the database open.
      await Promise.all([...locks].map((client) => client.end().catch(() => undefined)));
      await listener.close();
      // pool.end() resolves before its clients have finished closing; one that hears the server meanwhile
      // (a test dropping its database at once: 57P01) would otherwise be an unhandled pool error.
      pool.on('error', () => undefined);
      await pool.end();
    },
  };
}
