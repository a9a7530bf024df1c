import { Readable } from 'node:stream';
import { type ClickHouseClient, type ClickHouseSettings, ClickHouseLogLevel, createClient, drainStream } from '@clickhouse/client';
import { type AnalyticsEngine, InFlight, type Row } from './engine.js';
import { AnalyticsError } from './errors.js';
import type { WireParams } from './params.js';

export interface ClickHouseEngineOptions {
  /** `http[s]://[user:password@]host:port[/database]` */
  url: string;
  /** Settings sent with every request (the store sends exactJsonSettings). */
  settings?: ClickHouseSettings;
  requestTimeoutMs?: number;
}

/** A ClickHouse server over HTTP. Parameters travel as `param_<name>` request parameters, never in the SQL. */
export function openClickHouseEngine(options: ClickHouseEngineOptions): AnalyticsEngine {
  let client: ClickHouseClient;
  try {
    client = createClient({
      url: options.url,
      clickhouse_settings: options.settings ?? {},
      request_timeout: options.requestTimeoutMs ?? 300_000,
      // Failures reach the caller as rejected promises; the client's own console logging would only repeat them.
      log: { level: ClickHouseLogLevel.OFF },
    });
  } catch (cause) {
    throw new AnalyticsError('analytics_unavailable', `cannot use ClickHouse URL: ${(cause as Error).message}`, { cause });
  }
  const inFlight = new InFlight();
  let closed = false;
  const open = () => {
    if (closed) throw new AnalyticsError('analytics_unavailable', 'the analytics store is closed');
  };

  return {
    kind: 'clickhouse',
    async command(sql, params) {
      open();
      await inFlight.track(client.command({ query: sql, query_params: params ?? {} }));
    },
    async rows<T extends Row>(sql: string, params?: WireParams) {
      open();
      return inFlight.track(
        (async () => {
          const result = await client.query({ query: sql, query_params: params ?? {}, format: 'JSONEachRow' });
          return result.json<T>();
        })(),
      );
    },
    async *stream<T extends Row>(sql: string, params?: WireParams) {
      open();
      const result = await inFlight.track(client.query({ query: sql, query_params: params ?? {}, format: 'JSONEachRow' }));
      const end = inFlight.openStream(() => result.close());
      try {
        for await (const batch of result.stream<T>()) {
          for (const row of batch) yield row.json();
        }
      } finally {
        end();
      }
    },
    async insertJsonEachRow(table, columns, payload) {
      open();
      await inFlight.track(
        (async () => {
          const result = await client.exec({
            query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT JSONEachRow`,
            // The slices go out as one request body: one INSERT, never joined in memory.
            values: Readable.from(payload, { objectMode: false }),
          });
          await drainStream(result.stream);
        })(),
      );
    },
    async ping() {
      open();
      const result = await client.ping();
      if (!result.success) throw new AnalyticsError('analytics_unavailable', `ClickHouse does not answer: ${result.error.message}`, { cause: result.error });
    },
    async close() {
      if (closed) return;
      closed = true;
      inFlight.endStreams();
      await inFlight.drain();
      await client.close();
    },
  };
}
