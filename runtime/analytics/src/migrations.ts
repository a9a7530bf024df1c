import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalyticsEngine } from './engine.js';
import { AnalyticsError } from './errors.js';
import { LEDGER_TABLE } from './scoped-query.js';
import { splitStatements } from './sql-lexer.js';

/** `0001_readings.sql`: four digits fix the order, the rest says what it does. */
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  name: string;
  checksum: string;
  statements: string[];
}

export interface MigrationOutcome {
  /** Files applied by this call, in order. */
  applied: string[];
  /** Files the ledger already had, unchanged. */
  unchanged: string[];
}

const conflict = (message: string) => new AnalyticsError('analytics_migration_conflict', message);

/** Reads a migrations folder: numbered .sql files, `{{database}}` standing for the analytics database. */
export async function readMigrations(folder: string, database: string): Promise<MigrationFile[]> {
  const names = (await readdir(folder)).filter((name) => name.endsWith('.sql')).sort();
  const seen = new Map<string, string>();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = MIGRATION_FILE.exec(name);
    if (!match) throw conflict(`analytics migration ${name} must be named NNNN_words.sql (four digits, lower-case words)`);
    const other = seen.get(match[1]!);
    if (other) throw conflict(`analytics migrations ${other} and ${name} share the number ${match[1]}`);
    seen.set(match[1]!, name);
    // Line endings are normalised so a checkout with CRLF does not look like an edit.
    const text = (await readFile(join(folder, name), 'utf8')).replace(/\r\n/g, '\n');
    const statements = splitStatements(text).map((statement) => statement.replaceAll('{{database}}', `\`${database}\``));
    if (statements.length === 0) throw conflict(`analytics migration ${name} has no statement`);
    files.push({ name, checksum: createHash('sha256').update(text).digest('hex'), statements });
  }
  return files;
}

/**
 * Applies the folder's pending migrations in order and records each in the ledger with its checksum.
 * Refuses, before running anything, when an applied file changed or disappeared. ClickHouse DDL is not
 * transactional: a file that fails halfway is re-run from its start next time, so every statement in a
 * migration must be safe to repeat (IF NOT EXISTS, IF EXISTS). Two nodes migrating at the same moment
 * both run the same idempotent statements; the ledger then holds the name twice, which reads as applied.
 */
export async function applyMigrations(engine: AnalyticsEngine, database: string, folder: string): Promise<MigrationOutcome> {
  const files = await readMigrations(folder, database);
  const ledger = `\`${database}\`.${LEDGER_TABLE}`;
  await engine.command(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  await engine.command(
    `CREATE TABLE IF NOT EXISTS ${ledger} (name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ` +
      `ENGINE = MergeTree ORDER BY name`,
  );
  const recorded = new Map(
    (await engine.rows<{ name: string; checksum: string }>(`SELECT name, any(checksum) AS checksum FROM ${ledger} GROUP BY name`)).map(
      (row) => [row.name, row.checksum],
    ),
  );

  const byName = new Map(files.map((file) => [file.name, file]));
  for (const [name, checksum] of recorded) {
    const file = byName.get(name);
    if (!file) throw conflict(`analytics migration ${name} was applied but is missing from ${folder}; restore it`);
    if (file.checksum !== checksum) {
      throw conflict(
        `analytics migration ${name} changed after it was applied (applied sha256 ${checksum.slice(0, 12)}…, file ${file.checksum.slice(0, 12)}…); ` +
          'restore the applied text and put the change in a new numbered migration',
      );
    }
  }

  const outcome: MigrationOutcome = { applied: [], unchanged: [] };
  for (const file of files) {
    if (recorded.has(file.name)) {
      outcome.unchanged.push(file.name);
      continue;
    }
    for (const statement of file.statements) await engine.command(statement);
    await engine.command(`INSERT INTO ${ledger} (name, checksum) SELECT {name:String}, {checksum:String}`, {
      name: file.name,
      checksum: file.checksum,
    });
    outcome.applied.push(file.name);
  }
  return outcome;
}
