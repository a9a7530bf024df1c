import type { AnalyticsStore } from '@shuiyun/analytics';
import { type Database, asSystem, queryRows } from '@shuiyun/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDataset } from '../dataset/dataset.js';
import { ReportError } from '../errors.js';
import { analyticsWithReadings, closeAnalytics, factColumns, postgresWithFacts, readingsDatasets } from '../testing/fixtures.js';
import { f } from '../sql/fragment.js';
import { type ReportContext, type ReportEngine, createReportEngine } from './engine.js';
import { runPostgres } from './executors.js';

const as = (tenantPath: string): ReportContext => ({ tenant: { tenantPath }, timeZone: 'Asia/Shanghai' });

async function refusal(promise: Promise<unknown>): Promise<ReportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ReportError) return error;
    throw error;
  }
  throw new Error('expected the report to be refused, but it ran');
}

const rawColumns = { tenant_path: { type: 'tenantPath' }, device: { type: 'string' }, value: { type: 'decimal', scale: 3 } } as const;
const rawModel = (kind: 'analytics-sql' | 'postgres-sql', text: string) => ({
  id: 'raw',
  label: 'raw',
  source: { kind, sql: text },
  columns: rawColumns,
  dimensions: [
    { id: 'tenant', label: 'tenant', column: 'tenant_path' },
    { id: 'device', label: 'device', column: 'device' },
  ],
  measures: [
    { id: 'rows', label: 'rows', aggregate: 'count' },
    { id: 'total', label: 'total', aggregate: 'sum', column: 'value' },
  ],
});
const everything = { dimensions: ['tenant', 'device'], measures: ['rows', 'total'] };

/** What a run or a dataset definition does with a raw SQL text: the rows, or the refusal's code. */
async function outcome(engine: ReportEngine, kind: 'analytics-sql' | 'postgres-sql', text: string, tenant = '1.2') {
  try {
    const result = await engine.run(parseDataset(rawModel(kind, text)), everything, as(tenant));
    return { rows: result.rows };
  } catch (error) {
    if (error instanceof ReportError) return { refused: error.code };
    throw error;
  }
}

describe.each(['chdb', 'pglite', 'postgres'] as const)('tenant isolation of modelled datasets on %s', (target) => {
  let engine: ReportEngine;
  let store: AnalyticsStore | undefined;
  let database: Database | undefined;
  const dataset = () => (target === 'chdb' ? readingsDatasets.chdb() : readingsDatasets.postgres());
  beforeAll(async () => {
    if (target === 'chdb') store = await analyticsWithReadings();
    else database = await postgresWithFacts(target);
    engine = createReportEngine({ analytics: store, database: database?.db });
  });
  afterAll(async () => {
    await database?.close();
    if (store) await closeAnalytics();
  });

  it('shows each tenant its own subtree only, even where device keys collide', async () => {
    const query = { dimensions: ['tenant', 'device'], measures: ['readings', 'total'] };
    expect((await engine.run(dataset(), query, as('1.2'))).rows).toEqual([
      { tenant: '2', device: 'm1', readings: '4', total: '401.875' },
      { tenant: '2', device: 'm2', readings: '2', total: '100.700' },
      { tenant: '5', device: 'm5', readings: '1', total: '10.000' },
    ]);
    expect((await engine.run(dataset(), query, as('1.3'))).rows).toEqual([
      { tenant: '3', device: 'm1', readings: '1', total: '7.000' },
      { tenant: '3', device: 'm9', readings: '2', total: '2000.499' },
    ]);
    expect((await engine.run(dataset(), query, as('1.2.5'))).rows).toEqual([{ tenant: '5', device: 'm5', readings: '1', total: '10.000' }]);
    // 1.2 is not a prefix of 1.20 or 1.3: the platform root sees both companies.
    expect((await engine.run(dataset(), { measures: ['readings'] }, as('1'))).rows).toEqual([{ readings: '10' }]);
    expect((await engine.run(dataset(), { measures: ['readings'] }, as('1.20'))).rows).toEqual([{ readings: '0' }]);
  });

  it('refuses a tenant-subtree parameter outside the caller’s tenant', async () => {
    for (const outside of ['1.3', '1', '1.20']) {
      const error = await refusal(engine.run(dataset(), { measures: ['readings'], parameters: { tenantScope: outside } }, as('1.2')));
      expect([error.code, error.path]).toEqual(['parameter_out_of_scope', ['parameters', 'tenantScope']]);
    }
  });
});

describe('raw SQL datasets on chDB stay inside the tenant', () => {
  let store: AnalyticsStore;
  let engine: ReportEngine;
  beforeAll(async () => {
    store = await analyticsWithReadings();
    engine = createReportEngine({ analytics: store });
  });
  afterAll(() => closeAnalytics());

  const base = `SELECT tenant_path, device, value FROM {{readings}} WHERE metric = 'cumulative_volume'`;

  it('runs a plain raw query under the tenant predicate', async () => {
    expect(await outcome(engine, 'analytics-sql', base)).toEqual({
      rows: [
        { tenant: '1.2', device: 'm1', rows: '4', total: '401.875' },
        { tenant: '1.2', device: 'm2', rows: '2', total: '100.700' },
        { tenant: '1.2.5', device: 'm5', rows: '1', total: '10.000' },
      ],
    });
  });

  it('a UNION or sub-query over the logical table is scoped on every branch: no foreign rows come back', async () => {
    const attempts = [
      `${base} UNION ALL SELECT tenant_path, device, value FROM {{readings}} WHERE tenant_path = '1.3'`,
      `SELECT tenant_path, device, value FROM (SELECT * FROM {{readings}} WHERE tenant_path NOT LIKE '1.2%') WHERE metric = 'cumulative_volume'`,
      `SELECT tenant_path, device, value FROM {{readings}} WHERE device IN (SELECT device FROM {{readings}} WHERE tenant_path = '1.3')`,
      `WITH other AS (SELECT * FROM {{readings}} WHERE startsWith(tenant_path, '1.3')) SELECT tenant_path, device, value FROM other`,
    ];
    for (const text of attempts) {
      const result = await outcome(engine, 'analytics-sql', text);
      expect(result).toHaveProperty('rows');
      for (const row of result.rows ?? []) expect(row.tenant === '1.2' || row.tenant === '1.2.5').toBe(true);
    }
  });

  it('refuses system tables, physical tables, table functions, other databases and a second statement', async () => {
    const attempts = [
      `${base} UNION ALL SELECT database AS tenant_path, name AS device, 0 AS value FROM system.tables`,
      `SELECT tenant_path, device, value FROM device_readings`,
      `SELECT tenant_path, device, value FROM ${store.database}.device_readings`,
      `SELECT '1.3' AS tenant_path, name AS device, 0 AS value FROM remote('127.0.0.1', 'system', 'tables')`,
      `SELECT '1.3' AS tenant_path, line AS device, 0 AS value FROM file('/etc/passwd', 'LineAsString', 'line String')`,
      `SELECT '1.3' AS tenant_path, c1 AS device, 0 AS value FROM url('http://127.0.0.1/x', CSV)`,
      `SELECT tenant_path, device, value FROM merge('${store.database}', '.*')`,
      `${base}; DROP TABLE ${store.database}.device_readings`,
      `${base} AND tenant_path = {shuiyun_scope_path:String}`,
      `${base} SETTINGS max_threads = 1`,
      `${base} FORMAT JSON`,
      // Closing the wrapper's parenthesis to continue outside it.
      `${base}) AS q UNION ALL SELECT tenant_path, device, value FROM (SELECT * FROM {{readings}}`,
      `SELECT tenant_path, device, value FROM {{nothing}}`,
    ];
    for (const text of attempts) expect([text, await outcome(engine, 'analytics-sql', text)]).toEqual([text, { refused: 'raw_sql_refused' }]);
    // The store is intact.
    expect(await outcome(engine, 'analytics-sql', base)).toHaveProperty('rows.length', 3);
  });

  it('binds raw SQL placeholders: text that looks like SQL is a value', async () => {
    const placeholders = parseDataset({
      ...rawModel('analytics-sql', `${base} AND device = {{param.device}} AND at >= {{param.period.start}} AND at < {{param.period.end}}`),
      parameters: [
        { id: 'device', label: 'device', type: 'text' },
        { id: 'period', label: 'period', type: 'dateRange', required: true },
      ],
    });
    const run = (device: string) => engine.run(placeholders, { ...everything, parameters: { device, period: { from: '2026-03-02', to: '2026-03-02' } } }, as('1.2'));
    // March 2 in Shanghai: m1's readings at 16:30Z on March 1 and 10:00Z on March 2.
    expect((await run('m1')).rows).toEqual([{ tenant: '1.2', device: 'm1', rows: '2', total: '201.625' }]);
    expect((await run("m1' OR '1'='1")).rows).toEqual([]);
  });

  it('keeps a trailing comment inside the wrapper', async () => {
    expect(await outcome(engine, 'analytics-sql', `${base} -- ) AS q UNION ALL SELECT 1`)).toHaveProperty('rows.length', 3);
  });
});

describe.each(['pglite', 'postgres'] as const)('raw SQL datasets on %s stay inside the tenant', (driver) => {
  let database: Database;
  let engine: ReportEngine;
  beforeAll(async () => {
    database = await postgresWithFacts(driver);
    engine = createReportEngine({ database: database.db });
  });
  afterAll(() => database?.close());

  const base = `select tenant_path, device, value from report_readings where metric = 'cumulative_volume'`;
  const ownRows = [
    { tenant: '1.2', device: 'm1', rows: '4', total: '401.875' },
    { tenant: '1.2', device: 'm2', rows: '2', total: '100.700' },
    { tenant: '1.2.5', device: 'm5', rows: '1', total: '10.000' },
  ];
  const readingsLeft = async () =>
    (await asSystem(database.db, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from report_readings`)))[0]?.n;

  it('runs a plain raw query under row-level security', async () => {
    expect(await outcome(engine, 'postgres-sql', base)).toEqual({ rows: ownRows });
  });

  it('a UNION, a sub-query or a security-invoker view over protected tables returns no foreign rows', async () => {
    const attempts = [
      `${base} union all select tenant_path, device_key, 0 from alarms`,
      `${base} union all select tenant_path, device_key, 0 from devices where tenant_path <@ '1.3'`,
      `select tenant_path, device, value from report_readings where device in (select device_key from devices where tenant_id = 3)`,
      `select r.tenant_path, r.device, r.value from report_readings r join tenants t on t.path = '1.3'`,
      `select tenant_path, device, value from report_invoker_view`,
      `select path as tenant_path, code as device, 0 as value from tenants`,
      `with recursive up(path, depth) as (select path, 0 from tenants union all select t.path, up.depth + 1 from tenants t join up on t.path @> up.path and t.path <> up.path where up.depth < 5) select path as tenant_path, 'x' as device, 0 as value from up`,
    ];
    for (const text of attempts) {
      const result = await outcome(engine, 'postgres-sql', text);
      expect([text, result]).toEqual([text, { rows: expect.any(Array) }]);
      for (const row of result.rows ?? []) expect([text, row.tenant === '1.2' || row.tenant === '1.2.5']).toEqual([text, true]);
    }
  });

  it('refuses functions that read files, run SQL from strings or move the tenant, a second statement, and catalogues', async () => {
    const refusedOutright = [
      `select '1.3' as tenant_path, pg_read_file('/etc/passwd') as device, 0 as value`,
      `select tenant_path, device, value from report_readings where set_config('app.tenant', '1', true) is not null`,
      `select tenant_path, device, value from report_readings where "set_config"('app.tenant', '1', true) is not null`,
      `select tenant_path, device, value from report_readings, lateral (select pg_catalog.set_config('role', 'postgres', true)) s`,
      `select '1.3' as tenant_path, query_to_xml('select * from report_readings', true, true, '')::text as device, 0 as value`,
      `select '1.3' as tenant_path, usename as device, 0 as value from pg_catalog.pg_user`,
      `select '1.3' as tenant_path, table_name as device, 0 as value from information_schema.tables`,
      `select '1.3' as tenant_path, x as device, 0 as value from dblink('dbname=postgres', 'select 1') as t(x text)`,
      `select '1.3' as tenant_path, nextval('alarms_id_seq')::text as device, 0 as value`,
      `${base}; drop table report_readings`,
      `${base}; select set_config('app.tenant', '1', false)`,
      `${base}) q union all select tenant_path, device, 0 from report_unprotected --`,
      `select U&"\\0073et_config"('app.tenant', '1', true) as tenant_path, 'x' as device, 0 as value`,
      `delete from report_readings returning tenant_path, device, value`,
    ];
    for (const text of refusedOutright) expect([text, await outcome(engine, 'postgres-sql', text)]).toEqual([text, { refused: 'raw_sql_refused' }]);
    expect(await readingsLeft()).toBe(11);
  });

  it('refuses tables without row-level security and views that read as their owner, however they are reached', async () => {
    const attempts = [
      `select tenant_path, device, 0 as value from report_unprotected`,
      `${base} union all select tenant_path, device, 0 from report_unprotected`,
      `select tenant_path, device, value from report_readings where device in (select device from report_unprotected)`,
      `select tenant_path, device, value from report_owner_view`,
      `select tenant_path, device, value from "report_owner_view"`,
    ];
    for (const text of attempts) expect([text, await outcome(engine, 'postgres-sql', text)]).toEqual([text, { refused: 'relation_not_tenant_scoped' }]);
  });

  it('binds raw SQL placeholders: text that looks like SQL is a value', async () => {
    const placeholders = parseDataset({ ...rawModel('postgres-sql', `${base} and device = {{param.device}}`), parameters: [{ id: 'device', label: 'device', type: 'text' }] });
    const run = (device: string | undefined) => engine.run(placeholders, { ...everything, parameters: device === undefined ? {} : { device } }, as('1.2'));
    expect((await run('m1')).rows).toEqual([ownRows[0]]);
    expect((await run("m1' or '1'='1")).rows).toEqual([]);
    expect((await run(undefined)).rows).toEqual([]);
  });

  it('discards the rows of SQL that moved its own tenant, should anything get past the scanner', async () => {
    const sneaky = f`select set_config('app.tenant', '1', true) as moved, (select count(*) from report_readings)::text as n`;
    const run = runPostgres(database.db, sneaky, { tenant: { tenantPath: '1.2' }, raw: true }, { maxRows: 10, timeoutMs: 5_000 }, 'a test');
    expect((await refusal(run)).code).toBe('raw_sql_refused');
  });

  it('writes nothing: a data-modifying CTE fails and leaves every row in place', async () => {
    const result = await outcome(engine, 'postgres-sql', `with gone as (delete from report_readings returning *) select tenant_path, device, value from gone`);
    expect(result).toHaveProperty('refused');
    expect(await readingsLeft()).toBe(11);
  });

  it('refuses a modelled dataset over a table without row-level security or an owner view; an invoker view is fine', async () => {
    const over = (relation: string) => parseDataset({ ...rawModel('postgres-sql', 'select 1'), source: { kind: 'postgres', relation }, columns: factColumns, measures: [{ id: 'rows', label: 'rows', aggregate: 'count' }] });
    const unprotected = parseDataset({
      id: 'unprotected',
      label: 'u',
      source: { kind: 'postgres', relation: 'report_unprotected' },
      columns: { tenant_path: { type: 'tenantPath' }, device: { type: 'string' } },
      measures: [{ id: 'rows', label: 'rows', aggregate: 'count' }],
    });
    expect((await refusal(engine.run(unprotected, { measures: ['rows'] }, as('1.2')))).code).toBe('relation_not_tenant_scoped');
    expect((await refusal(engine.run(over('report_owner_view'), { measures: ['rows'] }, as('1.2')))).code).toBe('relation_not_tenant_scoped');
    expect((await engine.run(over('report_invoker_view'), { measures: ['rows'] }, as('1.2'))).rows).toEqual([{ rows: '8' }]);
    expect((await engine.run(over('report_invoker_view'), { measures: ['rows'] }, as('1.3'))).rows).toEqual([{ rows: '3' }]);
  });
});
