import { fileURLToPath } from 'node:url';
import { openChdbEngine } from './chdb-engine.js';
import { openClickHouseEngine } from './clickhouse-engine.js';
import { type AnalyticsEngine, type Row, exactJsonSettings } from './engine.js';
import { AnalyticsError } from './errors.js';
import { type MigrationOutcome, applyMigrations } from './migrations.js';
import type { QueryParams } from './params.js';
import { READING_COLUMNS, type TenantReading, serialiseReadings } from './readings.js';
import { type AnalyticsScope, compileScopedQuery, logicalTables } from './scoped-query.js';

export interface AnalyticsStore {
  readonly kind: 'chdb' | 'clickhouse';
  /** The ClickHouse database holding the store's tables. */
  readonly database: string;
  /** Applies pending analytics migrations; refuses when an applied one changed. */
  migrate(): Promise<MigrationOutcome>;
  /**
   * Writes a batch of readings in one INSERT. The whole batch is validated first: one bad reading
   * refuses the batch and nothing is written. Delivering the same reading again is harmless.
   */
  insertReadings(rows: readonly TenantReading[]): Promise<{ written: number }>;
  /** Runs a query over logical tables within the scope's subtree; the whole result is held in memory. */
  query<T extends Row = Row>(scope: AnalyticsScope, sql: string, params?: QueryParams): Promise<T[]>;
  /**
   * The same, read row by row as the engine produces them; leave the loop early to cancel. A refused
   * query throws here, before anything runs.
   */
  stream<T extends Row = Row>(scope: AnalyticsScope, sql: string, params?: QueryParams): AsyncGenerator<T, void, undefined>;
  /** A cheap round trip, for readiness probes. */
  ping(): Promise<void>;
  /** Waits for running work, then releases the engine. */
  close(): Promise<void>;
  /**
   * The same engine with its tables in another database (migrate it before use). Closing the view
   * leaves the engine open: chDB serves one data directory per process, so runtimes that share a
   * process (tests, several tenants' sandboxes) share one engine and keep their tables apart this way.
   */
  withDatabase(database: string): AnalyticsStore;
}

export interface AnalyticsStoreOptions {
  /** `http[s]://…` for a ClickHouse server (CLICKHOUSE_URL); otherwise chDB in this process. */
  url?: string | undefined;
  /** chDB data directory, e.g. `<dataDir>/chdb`; `memory://` (the default) for a temporary one. */
  dataDir?: string | undefined;
  /** The ClickHouse database for the store's tables. */
  database?: string | undefined;
  /** The analytics migrations to apply; the package's own by default (tests point elsewhere). */
  migrationsFolder?: string | undefined;
}

export const DEFAULT_DATABASE = 'shuiyun';
const packageMigrations = fileURLToPath(new URL('../migrations', import.meta.url));

export async function openAnalyticsStore(options: AnalyticsStoreOptions = {}): Promise<AnalyticsStore> {
  const database = options.database ?? DEFAULT_DATABASE;
  assertDatabaseName(database);
  let engine: AnalyticsEngine;
  if (options.url) {
    if (!/^https?:\/\//.test(options.url)) {
      throw new AnalyticsError('analytics_unavailable', 'the ClickHouse URL must start with http:// or https://');
    }
    engine = openClickHouseEngine({ url: options.url, settings: exactJsonSettings });
  } else {
    engine = openChdbEngine({ dataDir: options.dataDir ?? 'memory://', settings: exactJsonSettings });
  }
  return createAnalyticsStore(engine, database, options.migrationsFolder ?? packageMigrations);
}

function assertDatabaseName(database: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) {
    throw new AnalyticsError('analytics_bad_input', `database ${JSON.stringify(database)} must be lower-case letters, digits and _`);
  }
}

export function createAnalyticsStore(engine: AnalyticsEngine, database: string, migrationsFolder: string): AnalyticsStore {
  const readingsTable = `${database}.${logicalTables.readings.physical}`; // both validated identifiers: chDB's insert takes no quotes
  return {
    kind: engine.kind,
    database,
    migrate: () => applyMigrations(engine, database, migrationsFolder),
    async insertReadings(rows) {
      if (rows.length === 0) return { written: 0 };
      const payload = await serialiseReadings(rows);
      await engine.insertJsonEachRow(readingsTable, READING_COLUMNS, payload);
      return { written: rows.length };
    },
    async query<T extends Row>(scope: AnalyticsScope, sql: string, params: QueryParams = {}) {
      const compiled = compileScopedQuery(sql, scope, params, database);
      return engine.rows<T>(compiled.sql, compiled.params);
    },
    stream<T extends Row>(scope: AnalyticsScope, sql: string, params: QueryParams = {}) {
      const compiled = compileScopedQuery(sql, scope, params, database);
      return engine.stream<T>(compiled.sql, compiled.params);
    },
    ping: () => engine.ping(),
    close: () => engine.close(),
    withDatabase(other: string) {
      assertDatabaseName(other);
      return { ...createAnalyticsStore(engine, other, migrationsFolder), close: async () => undefined };
    },
  };
}
