import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChdbEngine } from './chdb-engine.js';
import { type AnalyticsEngine, exactJsonSettings } from './engine.js';
import { AnalyticsError } from './errors.js';
import { applyMigrations } from './migrations.js';
import { splitStatements } from './sql-lexer.js';

const packageMigrations = fileURLToPath(new URL('../migrations', import.meta.url));
const folders: string[] = [];
/** A copy of the package's migrations that a test may edit. */
function migrationsCopy(): string {
  const folder = mkdtempSync(join(tmpdir(), 'shuiyun-analytics-migrations-'));
  cpSync(packageMigrations, folder, { recursive: true });
  folders.push(folder);
  return folder;
}
let database = 0;
/** Each test migrates its own database in the one chDB engine this process may hold. */
const freshDatabase = () => `migrations_t${++database}`;

let engine: AnalyticsEngine;
beforeAll(() => {
  engine = openChdbEngine({ dataDir: 'memory://', settings: exactJsonSettings });
});
afterAll(async () => {
  await engine?.close();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const ledger = (db: string) => engine.rows<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${db}.analytics_migrations ORDER BY name`);
const conflict = (message: RegExp) => (e: unknown) => e instanceof AnalyticsError && e.code === 'analytics_migration_conflict' && message.test(e.message);

describe('analytics migrations', () => {
  it('apply every file once, in order, and record name and checksum', async () => {
    const db = freshDatabase();
    const files = readdirSync(packageMigrations).filter((f) => f.endsWith('.sql')).sort();
    const first = await applyMigrations(engine, db, packageMigrations);
    expect(first).toEqual({ applied: files, unchanged: [] });

    const rows = await ledger(db);
    expect(rows.map((r) => r.name)).toEqual(files);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
    const [table] = await engine.rows<{ engine: string; sorting_key: string; partition_key: string }>(
      `SELECT engine, sorting_key, partition_key FROM system.tables WHERE database = {db:String} AND name = 'device_readings'`,
      { db },
    );
    expect(table).toEqual({ engine: 'ReplacingMergeTree', sorting_key: 'tenant_path, device, metric, at', partition_key: 'toYYYYMM(at)' });
    const columns = await engine.rows<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = 'device_readings' ORDER BY position`,
      { db },
    );
    expect(columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'tenant_id UInt64',
      'tenant_path String',
      'device String',
      'metric LowCardinality(String)',
      "at DateTime64(3, 'UTC')",
      'value Decimal(18, 3)',
      "received_at DateTime64(3, 'UTC')",
    ]);
  });

  it('are idempotent: a second run applies nothing and records nothing', async () => {
    const db = freshDatabase();
    await applyMigrations(engine, db, packageMigrations);
    const again = await applyMigrations(engine, db, packageMigrations);
    expect(again.applied).toEqual([]);
    expect(again.unchanged.length).toBeGreaterThan(0);
    expect((await ledger(db)).length).toBe(again.unchanged.length);
  });

  it('apply only the new file when one is added later', async () => {
    const db = freshDatabase();
    const folder = migrationsCopy();
    await applyMigrations(engine, db, folder);
    writeFileSync(
      join(folder, '9000_device_daily.sql'),
      `-- a later migration with two statements\nCREATE TABLE IF NOT EXISTS {{database}}.t1 (x UInt8) ENGINE = MergeTree ORDER BY x;\n` +
        `CREATE TABLE IF NOT EXISTS {{database}}.t2 (s String DEFAULT 'a;b') ENGINE = MergeTree ORDER BY s;\n`,
    );
    const outcome = await applyMigrations(engine, db, folder);
    expect(outcome.applied).toEqual(['9000_device_daily.sql']);
    const tables = await engine.rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name`, { db });
    expect(tables.map((t) => t.name)).toEqual(['analytics_migrations', 'device_readings', 't1', 't2']);
  });

  it('refuse an applied file that changed, before running anything', async () => {
    const db = freshDatabase();
    const folder = migrationsCopy();
    await applyMigrations(engine, db, folder);
    appendFileSync(join(folder, '0001_device_readings.sql'), '\n-- edited after it was applied\n');
    writeFileSync(join(folder, '9001_would_run.sql'), 'CREATE TABLE {{database}}.must_not_exist (x UInt8) ENGINE = MergeTree ORDER BY x;');

    await expect(applyMigrations(engine, db, folder)).rejects.toSatisfy(conflict(/0001_device_readings\.sql changed after it was applied/));
    const tables = await engine.rows(`SELECT name FROM system.tables WHERE database = {db:String} AND name = 'must_not_exist'`, { db });
    expect(tables).toEqual([]);
  });

  it('refuse when an applied file disappeared, and badly named or duplicate-numbered files', async () => {
    const db = freshDatabase();
    const folder = migrationsCopy();
    await applyMigrations(engine, db, folder);
    rmSync(join(folder, '0001_device_readings.sql'));
    await expect(applyMigrations(engine, db, folder)).rejects.toSatisfy(conflict(/0001_device_readings\.sql was applied but is missing/));

    const named = migrationsCopy();
    writeFileSync(join(named, 'add-index.sql'), 'SELECT 1');
    await expect(applyMigrations(engine, freshDatabase(), named)).rejects.toSatisfy(conflict(/must be named NNNN_words\.sql/));

    const twins = migrationsCopy();
    writeFileSync(join(twins, '0001_other.sql'), 'SELECT 1');
    await expect(applyMigrations(engine, freshDatabase(), twins)).rejects.toSatisfy(conflict(/share the number 0001/));
  });

  it('treat a CRLF checkout of the same text as unchanged', async () => {
    const db = freshDatabase();
    const folder = migrationsCopy();
    await applyMigrations(engine, db, folder);
    const file = join(folder, '0001_device_readings.sql');
    const { readFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
    await expect(applyMigrations(engine, db, folder)).resolves.toMatchObject({ applied: [] });
  });
});

describe('statement splitting', () => {
  it('splits at top-level semicolons only', () => {
    expect(splitStatements("SELECT ';' AS a; -- no; split\nSELECT `x;y` /* ; */ ;;\n SELECT 3")).toEqual([
      "SELECT ';' AS a",
      '-- no; split\nSELECT `x;y` /* ; */',
      'SELECT 3',
    ]);
  });
});
