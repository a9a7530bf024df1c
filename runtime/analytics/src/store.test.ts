import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChdbEngine } from './chdb-engine.js';
import { type AnalyticsEngine, exactJsonSettings } from './engine.js';
import { AnalyticsError } from './errors.js';
import { decimalToMilli } from './readings.js';
import { type AnalyticsStore, DEFAULT_DATABASE, createAnalyticsStore } from './store.js';
import { series, tenantReading, tenants } from './testing/readings.js';
import { fileURLToPath } from 'node:url';

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));
const outside = mkdtempSync(join(tmpdir(), 'shuiyun-analytics-outside-'));

let engine: AnalyticsEngine;
let store: AnalyticsStore;
/** Rows physically in the table, duplicates included: what the store must never show. */
const physicalCount = async () =>
  Number((await engine.rows<{ n: string }>(`SELECT count() AS n FROM ${DEFAULT_DATABASE}.device_readings`))[0]!.n);
const refusal = (promise: Promise<unknown>) =>
  expect(promise).rejects.toSatisfy((e) => e instanceof AnalyticsError && e.code === 'analytics_query_refused');

beforeAll(async () => {
  engine = openChdbEngine({ dataDir: 'memory://', settings: exactJsonSettings });
  store = createAnalyticsStore(engine, DEFAULT_DATABASE, migrations);
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  rmSync(outside, { recursive: true, force: true });
});

describe('readings on chDB', () => {
  it('stores milli values exactly, including beyond 2^53 and at the Decimal(18,3) limits', async () => {
    const values = [0n, 1n, -1n, 123_450n, 2n ** 53n + 1n, -(2n ** 53n + 3n), 2n ** 59n + 11n, 999_999_999_999_999_999n, -999_999_999_999_999_999n];
    const at = new Date('2025-02-03T04:05:06.789Z');
    await store.insertReadings(values.map((milli, i) => tenantReading('companyB', { device: `exact-${i}`, at, milli })));

    const rows = await store.query<{ device: string; value: string; milli: string; at: string }>(
      tenants.companyB,
      `SELECT device, value, milli, at FROM {{readings}} WHERE startsWith(device, 'exact-') ORDER BY toUInt32(substring(device, 7))`,
    );
    expect(rows.map((r) => BigInt(r.milli))).toEqual(values);
    expect(rows.map((r) => decimalToMilli(r.value))).toEqual(values);
    expect(rows[4]!.value).toBe('9007199254740.993');
    expect(rows.every((r) => r.at === '2025-02-03 04:05:06.789')).toBe(true);

    // Sums stay exact too: Decimal(18,3) sums into Decimal(38,3).
    const [total] = await store.query<{ total: string }>(
      tenants.companyB,
      `SELECT sum(value) AS total FROM {{readings}} WHERE device IN ({a:String}, {b:String})`,
      { a: 'exact-4', b: 'exact-7' },
    );
    expect(decimalToMilli(total!.total)).toBe(2n ** 53n + 1n + 999_999_999_999_999_999n);
  });

  it('refuses a whole batch when one reading cannot be stored exactly, and writes none of it', async () => {
    const before = await physicalCount();
    const batch = [tenantReading('companyA', { device: 'fine', milli: 1n }), tenantReading('companyA', { device: 'too-big', milli: 10n ** 18n })];
    await expect(store.insertReadings(batch)).rejects.toMatchObject({ code: 'analytics_invalid_reading', message: /reading 1: milli/ });
    await expect(store.insertReadings([{ ...tenants.companyA, reading: { device: 'd', metric: 'm', at: new Date('x'), milli: 1n } }])).rejects.toMatchObject({
      code: 'analytics_invalid_reading',
    });
    await expect(
      store.insertReadings([{ tenantId: 2, tenantPath: "1.2' OR 1=1", reading: { device: 'd', metric: 'm', at: new Date(), milli: 1n } }]),
    ).rejects.toMatchObject({ code: 'analytics_invalid_reading' });
    await expect(
      store.insertReadings([{ ...tenants.companyA, reading: { device: 'd', metric: 'm', at: new Date(), milli: 1.5 as unknown as bigint } }]),
    ).rejects.toMatchObject({ code: 'analytics_invalid_reading' });
    expect(await physicalCount()).toBe(before);
  });

  it('counts a redelivered batch once: the physical table holds it twice, every read sees it once', async () => {
    const batch = series('companyA', 'redelivered', 500);
    const expected = batch.reduce((sum, r) => sum + r.reading.milli, 0n);
    const before = await physicalCount();
    await store.insertReadings(batch);
    await store.insertReadings(batch); // the same messages again, as an MQTT redelivery would bring them

    expect(await physicalCount()).toBe(before + 1000); // two parts, not yet merged: dedup is the read path's job
    const [row] = await store.query<{ n: string; total: string }>(
      tenants.companyA,
      `SELECT count() AS n, sum(value) AS total FROM {{readings}} WHERE device = {device:String}`,
      { device: 'redelivered' },
    );
    expect(row!.n).toBe('500');
    expect(decimalToMilli(row!.total)).toBe(expected);

    let streamed = 0n;
    for await (const r of store.stream<{ milli: string }>(tenants.group, `SELECT milli FROM {{readings}} WHERE device = 'redelivered'`)) {
      streamed += BigInt(r.milli);
    }
    expect(streamed).toBe(expected);
  });

  it('keeps the latest delivery when a reading is delivered again with a corrected value', async () => {
    const at = new Date('2025-04-01T08:00:00Z');
    await store.insertReadings([tenantReading('companyA', { device: 'corrected', at, milli: 100n })]);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later received_at
    await store.insertReadings([tenantReading('companyA', { device: 'corrected', at, milli: 105n })]);
    const rows = await store.query<{ milli: string }>(tenants.companyA, `SELECT milli FROM {{readings}} WHERE device = 'corrected'`);
    expect(rows).toEqual([{ milli: '105' }]);
  });

  describe('tenant isolation', () => {
    beforeAll(async () => {
      await store.insertReadings(
        (['group', 'companyA', 'companyB', 'siteA3', 'siteA30'] as const).map((t) => tenantReading(t, { device: `iso-${t}`, milli: 1_000n })),
      );
    });
    const devicesSeenBy = async (tenantPath: string) =>
      (await store.query<{ device: string }>({ tenantPath }, `SELECT DISTINCT device FROM {{readings}} WHERE startsWith(device, 'iso-') ORDER BY device`)).map(
        (r) => r.device,
      );

    it('a company sees its own subtree and never the other company', async () => {
      expect(await devicesSeenBy('1.2')).toEqual(['iso-companyA', 'iso-siteA3', 'iso-siteA30']);
      expect(await devicesSeenBy('1.3')).toEqual(['iso-companyB']);
    });

    it('the group sees both companies', async () => {
      expect(await devicesSeenBy('1')).toEqual(['iso-companyA', 'iso-companyB', 'iso-group', 'iso-siteA3', 'iso-siteA30']);
    });

    it('site 1.2.3 does not see site 1.2.30', async () => {
      expect(await devicesSeenBy('1.2.3')).toEqual(['iso-siteA3']);
      expect(await devicesSeenBy('1.2.30')).toEqual(['iso-siteA30']);
    });

    it('a caller cannot widen its scope from inside the query', async () => {
      // OR-ing a condition onto the caller's WHERE still runs inside the scoped subquery.
      const rows = await store.query<{ device: string }>(
        tenants.companyB,
        `SELECT DISTINCT device FROM {{readings}} WHERE startsWith(device, 'iso-') OR tenant_path = '1.2' OR 1 = 1 ORDER BY device`,
      );
      expect(rows.map((r) => r.device).filter((d) => d.startsWith('iso-'))).toEqual(['iso-companyB']);
      const stream = store.stream<{ device: string }>(tenants.companyB, `SELECT DISTINCT device FROM {{readings}} WHERE startsWith(device, 'iso-')`);
      const streamed: string[] = [];
      for await (const r of stream) streamed.push(r.device);
      expect(streamed).toEqual(['iso-companyB']);
    });

    it('refuses a malformed scope before running anything', async () => {
      await expect(store.query({ tenantPath: "1.2' OR '1'='1" }, 'SELECT 1')).rejects.toMatchObject({ code: 'analytics_bad_input' });
      await expect(store.query({ tenantPath: '' }, 'SELECT 1')).rejects.toMatchObject({ code: 'analytics_bad_input' });
    });
  });

  describe('queries that leave the logical tables', () => {
    const refused = [
      `SELECT count() FROM ${DEFAULT_DATABASE}.device_readings`,
      'SELECT count() FROM device_readings',
      'SELECT count() FROM `shuiyun`.`device_readings`',
      'SELECT * FROM system.tables',
      'SELECT * FROM "system"."tables"',
      'SELECT * FROM system . one',
      'SELECT * FROM INFORMATION_SCHEMA.TABLES',
      `SELECT name FROM ${DEFAULT_DATABASE}.analytics_migrations`,
      'SELECT * FROM {{readings}} AS r JOIN system.one AS o ON 1 = 1',
      'SELECT * FROM {{readings}}, system.one',
      "SELECT * FROM merge('shuiyun', '.*')",
      "SELECT * FROM remote('127.0.0.1', 'shuiyun', 'device_readings')",
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "SELECT file('/etc/passwd')",
      'SELECT * FROM {t:Identifier}',
      'SELECT count() FROM {{readings}} WHERE device IN other_table',
      'SELECT count() FROM {{readings}} WHERE device IN (other_table)',
      'SELECT count() FROM {{readings}} WHERE device IN ((other_table))',
      'SELECT in(1, other_table)',
      'SELECT notIn(1, other_table)',
      'SELECT count() FROM {{readings}} AS r CROSS JOIN other_table',
      'SELECT 1; DROP TABLE shuiyun.device_readings',
      "INSERT INTO shuiyun.device_readings (device) VALUES ('x')",
      'DROP TABLE shuiyun.device_readings',
      'SELECT count() FROM {{readings}} SETTINGS max_threads = 1',
      'SELECT count() FROM {{readings}} FORMAT CSV',
      'SELECT * FROM {{meters}}',
      'SELECT 1 /* */ FROM system.one',
      'SELECT 1 -- hidden?\nFROM system.one',
      "SELECT 1 # comment\nFROM {{readings}}",
      'SELECT $$ x $$',
      'SELECT * FROM\u200Bsystem.one',
      'SELECT * FROM {{readings}} AS r JOIN\u00A0system.one AS o ON 1 = 1',
      'WITH x AS (SELECT * FROM system.one) SELECT * FROM x',
    ];
    it.each(refused)('refuses %s', async (sql) => {
      await refusal(store.query(tenants.group, sql));
      expect(() => store.stream(tenants.group, sql)).toThrow(AnalyticsError);
    });

    it('refuses INTO OUTFILE before anything runs: no file appears', async () => {
      const target = join(outside, 'leak.csv');
      await refusal(store.query(tenants.group, `SELECT * FROM {{readings}} INTO OUTFILE '${target}'`));
      expect(existsSync(target)).toBe(false);
    });

    const allowed: [string, Record<string, unknown>?][] = [
      ['SELECT device, count() AS n FROM {{readings}} GROUP BY device WITH TOTALS;'],
      ['SELECT number FROM numbers(3) ORDER BY number WITH FILL FROM 0 TO 5'],
      ['SELECT device, a, b FROM {{readings}} ARRAY JOIN [1, 2] AS a, [3, 4] AS b LIMIT 2'],
      ['SELECT r.device FROM {{readings}} AS r JOIN {{readings}} AS s USING device, metric, at LIMIT 1'],
      ['SELECT device, sum(value) OVER w AS running FROM {{readings}} WINDOW w AS (PARTITION BY device ORDER BY at) LIMIT 3'],
      ["WITH recent AS (SELECT * FROM {{readings}} WHERE at > {from:DateTime64(3, 'UTC')}) SELECT count() FROM recent", { from: new Date(0) }],
      ['SELECT count() FROM {{readings}} WHERE device IN (SELECT device FROM {{readings}} LIMIT 1)'],
      ["SELECT trim(BOTH 'x' FROM 'xax') AS t, substring('hello' FROM 2 FOR 2) AS s, extract(YEAR FROM at) AS y FROM {{readings}} LIMIT 1"],
      ["SELECT count() FROM {{readings}} WHERE device IN ('a', 'b') OR device IN ({d:String}) OR device IN {ds:Array(String)}", { d: 'x', ds: ['y'] }],
      ['SELECT device, at FROM {{readings}} ORDER BY at DESC LIMIT 1 BY device'],
      ['SELECT 1 IS NOT DISTINCT FROM 1 AS same'],
      ['SELECT device AS `设备`, count() AS "数量" FROM {{readings}} AS `读数` GROUP BY `设备`'],
      ['SELECT count() FROM {{readings}} -- a trailing comment'],
      ['SELECT count() FROM {{readings}} /* inner */ WHERE value >= 0 -- comment\n AND milli >= 0'],
    ];
    it.each(allowed)('runs %s', async (sql, params) => {
      await expect(store.query(tenants.group, sql, (params ?? {}) as never)).resolves.toBeInstanceOf(Array);
    });

    it('still runs the queries the contract allows', async () => {
      const [row] = await store.query<{ n: string; days: string; d: number; pos: string }>(
        tenants.companyA,
        `WITH per_device AS (SELECT device, count() AS c FROM {{readings}} GROUP BY device)
         SELECT sum(c) AS n, (SELECT count() FROM numbers(3)) AS days,
                extract(DAY FROM toDate('2025-03-04')) AS d, position('c' IN 'abc') AS pos
         FROM per_device AS p JOIN {{readings}} AS r USING device
         WHERE r.device IN (SELECT device FROM {{readings}}) AND r.device IN {devices:Array(String)}`,
        { devices: ['redelivered', 'corrected'] },
      );
      expect(row).toMatchObject({ days: '3', d: 4, pos: '3' });
      expect(Number(row!.n)).toBeGreaterThan(0);
    });
  });

  describe('parameters', () => {
    it('binds a malicious string as a value: it is neither executed nor matched', async () => {
      const hostile = "x' OR 1=1 OR device = '";
      const rows = await store.query(tenants.group, 'SELECT device FROM {{readings}} WHERE device = {device:String}', { device: hostile });
      expect(rows).toEqual([]);
      const drop = "'); DROP TABLE shuiyun.device_readings; --\\";
      const [echo] = await store.query<{ s: string }>(tenants.group, 'SELECT {s:String} AS s', { s: drop });
      expect(echo!.s).toBe(drop);
      expect(await physicalCount()).toBeGreaterThan(0);
    });

    it('binds Dates to the millisecond and bigints exactly', async () => {
      const start = Date.UTC(2025, 5, 1);
      await store.insertReadings(series('siteA3', 'dated', 10, start));
      const [row] = await store.query<{ n: string; big: string }>(
        tenants.siteA3,
        `SELECT count() AS n, {big:Int64} AS big FROM {{readings}} WHERE device = 'dated' AND at > {from:DateTime64(3, 'UTC')}`,
        { from: new Date(start + 3 * 60_000 - 1), big: 2n ** 63n - 1n },
      );
      expect(row).toEqual({ n: '7', big: '9223372036854775807' });
    });

    it('binds Dates as the same instant, before 1970 and with milliseconds too', async () => {
      const instants = ['2025-06-01T12:34:56.789Z', '1970-01-01T00:00:00.000Z', '1970-01-01T00:00:05.000Z', '1969-12-31T23:59:59.500Z', '1950-07-01T00:00:00.001Z'];
      for (const iso of instants) {
        const [row] = await store.query<{ t: string }>(tenants.group, "SELECT toString({t:DateTime64(3, 'UTC')}) AS t", { t: new Date(iso) });
        expect(row!.t).toBe(iso.replace('T', ' ').replace('Z', ''));
      }
    });

    it('refuses parameter names the port reserves and unsafe numbers', async () => {
      await expect(store.query(tenants.group, 'SELECT 1', { shuiyun_scope_path: '1' })).rejects.toMatchObject({ code: 'analytics_bad_input' });
      await expect(store.query(tenants.group, 'SELECT {n:UInt64}', { n: 2 ** 60 })).rejects.toMatchObject({ code: 'analytics_bad_input' });
      await refusal(store.query(tenants.group, "SELECT {shuiyun_scope_path:String}"));
    });
  });

  it('streams a large result in chunks and stops cleanly when the reader leaves early', async () => {
    await store.insertReadings(series('companyB', 'streamed', 50_000));
    let n = 0;
    for await (const row of store.stream<{ milli: string }>(tenants.companyB, `SELECT milli FROM {{readings}} WHERE device = 'streamed' ORDER BY at`)) {
      expect(row.milli).toBe(String(BigInt(n) * 1_000n + 7n));
      n += 1;
    }
    expect(n).toBe(50_000);

    let seen = 0;
    for await (const _ of store.stream(tenants.companyB, `SELECT milli FROM {{readings}} WHERE device = 'streamed'`)) {
      seen += 1;
      if (seen === 10) break;
    }
    expect(seen).toBe(10);
    // Two streams at once, and a query beside them.
    const a = store.stream<{ n: string }>(tenants.companyB, `SELECT count() AS n FROM {{readings}} WHERE device = 'streamed'`);
    const b = store.stream<{ n: string }>(tenants.companyA, `SELECT count() AS n FROM {{readings}} WHERE device = 'streamed'`);
    const [ra, rb, rq] = await Promise.all([a.next(), b.next(), store.query(tenants.group, 'SELECT 1 AS one')]);
    expect([ra.value, rb.value, rq]).toEqual([{ n: '50000' }, { n: '0' }, [{ one: 1 }]]);
    await Promise.all([a.return(), b.return()]);
  });

  it('answers a ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
