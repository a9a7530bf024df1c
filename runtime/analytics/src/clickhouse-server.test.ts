import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickHouseEngine } from './clickhouse-engine.js';
import type { AnalyticsEngine } from './engine.js';
import { openAnalyticsStore } from './store.js';
import { type TestClickHouseServer, startClickHouseServer } from './testing/clickhouse-server.js';

/**
 * The server adapter against a real ClickHouse server. The only server this machine can install is
 * Debian's 18.16 (2018): it predates DateTime64, Decimal JSON quoting and query parameters, so the store's
 * own SQL cannot run on it. These tests prove the transport — connection, statements, the insert path,
 * reads and streams, and that parameters leave as request parameters — with SQL 18.16 understands.
 */
let server: TestClickHouseServer;
let engine: AnalyticsEngine;

beforeAll(async () => {
  server = await startClickHouseServer();
  // 18.16 knows this setting (and defaults it on); the store's second one, for decimals, came later.
  engine = openClickHouseEngine({ url: server.url, settings: { output_format_json_quote_64bit_integers: 1 } });
});
afterAll(async () => {
  await engine?.close();
  await server?.stop();
});

describe('ClickHouse server adapter (transport, on Debian clickhouse-server 18.16)', () => {
  it('connects and runs a query', async () => {
    await engine.ping();
    const [row] = await engine.rows<{ v: string; one: number }>('SELECT version() AS v, 1 AS one');
    expect(row).toEqual({ v: server.version, one: 1 });
    expect(server.version).toMatch(/^18\.16\./);
  });

  it('sends parameters beside the SQL as param_<name>, never inside it', async () => {
    // 18.16 has no query parameters, so it names the request parameter it was sent and refuses it: the
    // value never became part of the statement. A current server binds it (the chDB tests run the same path).
    await expect(engine.rows('SELECT {x:String} AS x', { x: "'); DROP DATABASE default; --" })).rejects.toThrow(/Unknown setting param_x/);
    const [still] = await engine.rows<{ n: string }>("SELECT count() AS n FROM system.databases WHERE name = 'default'");
    expect(still).toEqual({ n: '1' });
  });

  it('creates a table, inserts JSONEachRow in one request and reads the rows back exactly', async () => {
    await engine.command('CREATE DATABASE IF NOT EXISTS shuiyun_t');
    await engine.command(
      'CREATE TABLE IF NOT EXISTS shuiyun_t.readings (device String, at DateTime, milli Int64) ENGINE = MergeTree() ORDER BY (device, at)',
    );
    const hostile = "meter'); DROP TABLE shuiyun_t.readings; --\\";
    const rows = [
      { device: hostile, at: '2025-01-01 00:00:00', milli: String(2n ** 53n + 1n) },
      { device: '水表-1', at: '2025-01-01 00:15:00', milli: String(-(2n ** 63n)) },
      { device: 'meter-2', at: '2025-01-01 00:30:00', milli: '123450' },
    ];
    await engine.insertJsonEachRow('shuiyun_t.readings', ['device', 'at', 'milli'], rows.map((r) => Buffer.from(`${JSON.stringify(r)}\n`)));

    const back = await engine.rows<{ device: string; at: string; milli: string }>('SELECT device, toString(at) AS at, milli FROM shuiyun_t.readings ORDER BY at');
    expect(back).toEqual(rows);

    const streamed: string[] = [];
    for await (const row of engine.stream<{ milli: string }>('SELECT milli FROM shuiyun_t.readings ORDER BY at')) streamed.push(row.milli);
    expect(streamed).toEqual(rows.map((r) => r.milli));
  });

  it('streams a result larger than one block and can be left early', async () => {
    let n = 0;
    for await (const row of engine.stream<{ number: string }>('SELECT number FROM system.numbers LIMIT 200000')) {
      expect(row.number).toBe(String(n));
      n += 1;
    }
    expect(n).toBe(200_000);
    let seen = 0;
    for await (const _ of engine.stream('SELECT number FROM system.numbers LIMIT 10000000')) if (++seen === 5) break;
    expect(seen).toBe(5);
    await engine.ping();
  });

  it('is what openAnalyticsStore returns for an http URL', async () => {
    const store = await openAnalyticsStore({ url: server.url });
    try {
      expect(store.kind).toBe('clickhouse');
      await store.ping();
    } finally {
      await store.close();
    }
  });
});
