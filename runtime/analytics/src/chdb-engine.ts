import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Chdb from 'chdb';
import { type AnalyticsEngine, InFlight, type Row, joinSlices } from './engine.js';
import { AnalyticsError } from './errors.js';
import type { WireParams } from './params.js';

export interface ChdbEngineOptions {
  /** A directory that keeps the data across restarts, or `memory://` for a temporary one removed on close. */
  dataDir: string;
  /** Engine settings for every query (the store sends exactJsonSettings). */
  settings?: Record<string, string | number>;
}

const parseJsonEachRow = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);

/**
 * ClickHouse in this process. Every call runs on libuv's thread pool (queryAsync, queryBindAsync, the raw
 * async insert, stream fetches), so the event loop keeps turning while the engine works. chDB binds one
 * data directory per process: a second store on another directory is refused until the first is closed.
 */
/**
 * chDB's native library is ~200 MB resident once loaded: load it when a store opens, not when a module
 * that merely names the analytics types (reports, exports) is imported.
 */
const loadChdb = (): typeof Chdb => createRequire(import.meta.url)('chdb') as typeof Chdb;

export function openChdbEngine(options: ChdbEngineOptions): AnalyticsEngine {
  const { Session, drainPending } = loadChdb();
  const temporary = options.dataDir === 'memory://';
  if (!temporary) mkdirSync(options.dataDir, { recursive: true });
  // Settings must be given when the connection opens; chDB has no per-request settings.
  const connectionArgs = Object.entries(options.settings ?? {}).map(([name, value]) => `--${name}=${value}`);
  const connect = (path: string) => {
    try {
      return new Session(path, { connectionArgs });
    } catch (cause) {
      throw new AnalyticsError(
        'analytics_unavailable',
        `cannot open chDB at ${path || 'a temporary directory'}: ${(cause as Error).message} ` +
          '(chDB serves one data directory per process; close the other analytics store first)',
        { cause },
      );
    }
  };
  const session = connect(temporary ? '' : options.dataDir);
  const inFlight = new InFlight();
  let closed = false;
  const open = () => {
    if (closed) throw new AnalyticsError('analytics_unavailable', 'the analytics store is closed');
  };
  const run = (sql: string, params: WireParams | undefined, format: string) =>
    inFlight.track(
      params && Object.keys(params).length > 0 ? session.queryBindAsync(sql, params, { format }) : session.queryAsync(sql, { format }),
    );

  return {
    kind: 'chdb',
    async command(sql, params) {
      open();
      await run(sql, params, 'CSV');
    },
    async rows<T extends Row>(sql: string, params?: WireParams) {
      open();
      const result = await run(sql, params, 'JSONEachRow');
      return parseJsonEachRow<T>(result.text());
    },
    async *stream<T extends Row>(sql: string, params?: WireParams) {
      open();
      // One stream per connection: each stream gets its own connection to the same directory, so streams
      // and queries run side by side.
      const own = connect(session.path);
      const stream = (() => {
        try {
          return params && Object.keys(params).length > 0 ? own.queryStreamBind(sql, params) : own.queryStream(sql);
        } catch (error) {
          own.close();
          throw error;
        }
      })();
      // Session.close() cancels the stream first and waits for a fetch in flight before releasing.
      const end = inFlight.openStream(() => own.close());
      try {
        for await (const chunk of stream) {
          for (const row of chunk.rows<T>()) yield row;
        }
      } finally {
        end();
      }
    },
    async insertJsonEachRow(table, columns, payload) {
      open();
      // One raw INSERT of the whole batch: parsed and written on a libuv thread (chDB's stream insert
      // would cut the batch into several INSERTs).
      const values = await joinSlices(payload);
      await inFlight.track(session.insert({ table, columns, values, format: 'JSONEachRow' }));
    },
    async ping() {
      open();
      await run('SELECT 1', undefined, 'CSV');
    },
    async close() {
      if (closed) return;
      closed = true;
      inFlight.endStreams();
      await inFlight.drain();
      session.close();
      // Lets another directory open in this process (tests, a restart of the store) without a race.
      await drainPending();
    },
  };
}
