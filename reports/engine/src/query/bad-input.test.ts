import { readFileSync } from 'node:fs';
import type { AnalyticsStore } from '@shuiyun/analytics';
import type { Database } from '@shuiyun/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinDatasets } from '../builtin-datasets.js';
import { type DatasetDefinition, parseDataset } from '../dataset/dataset.js';
import { type ReportContext, type ReportEngine, createReportEngine } from '../engine/engine.js';
import { ReportError } from '../errors.js';
import { analyticsWithReadings, closeAnalytics, factColumns, postgresWithFacts, readingsDatasets, readingsModel } from '../testing/fixtures.js';

const companyA: ReportContext = { tenant: { tenantPath: '1.2' }, timeZone: 'Asia/Shanghai' };

async function refusal(promise: Promise<unknown>): Promise<{ code: string; path: readonly (string | number)[]; zh: string; en: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ReportError) return { code: error.code, path: error.path, zh: error.messages['zh-CN'], en: error.messages.en };
    throw error;
  }
  throw new Error('expected a ReportError, but the report ran');
}

const definitionRefusal = (definition: unknown) => refusal(Promise.resolve().then(() => parseDataset(definition)));

describe('bad report queries are refused with a code, both languages and the path of the input', () => {
  // No store at all: every one of these is refused before any SQL is written.
  const engine = createReportEngine({});
  const dataset = readingsDatasets.chdb();
  const run = (query: Record<string, unknown>, context: ReportContext = companyA) => engine.run(dataset, query, context);

  it('unknown dimensions, measures, parameters and query keys', async () => {
    expect(await refusal(run({ dimensions: ['day', 'colour'] }))).toEqual({
      code: 'unknown_field',
      path: ['dimensions', 1],
      zh: '报表查询引用了数据集中不存在的字段',
      en: 'The report query names a field the dataset does not have',
    });
    expect((await refusal(run({ measures: ['profit'] }))).path).toEqual(['measures', 0]);
    expect(await refusal(run({ measures: ['readings'], parameters: { colour: 'red' } }))).toMatchObject({ code: 'unknown_field', path: ['parameters', 'colour'] });
    expect(await refusal(run({ dimension: ['day'] }))).toMatchObject({ code: 'unknown_field', path: ['dimension'] });
    expect(await refusal(run({ measures: ['readings'], filters: [{ field: 'colour', op: 'eq', value: 'x' }] }))).toMatchObject({ code: 'unknown_field', path: ['filters', 0, 'field'] });
    expect(await refusal(run({ measures: ['readings'], sort: [{ field: 'colour' }] }))).toMatchObject({ code: 'unknown_field', path: ['sort', 0, 'field'] });
  });

  it('parameter values of the wrong type or format', async () => {
    const cases: [unknown, (string | number)[]][] = [
      [{ period: { from: '2026-02-30', to: '2026-03-01' } }, ['parameters', 'period', 'from']],
      [{ period: { from: '2026-03-02', to: '2026-03-01' } }, ['parameters', 'period', 'to']],
      [{ period: 'last99Days' }, ['parameters', 'period']],
      [{ period: '2026-03-01' }, ['parameters', 'period']],
      [{ metric: 'water' }, ['parameters', 'metric']],
      [{ metric: ['cumulative_volume', 'flow'] }, ['parameters', 'metric']],
      [{ minValue: 'abc' }, ['parameters', 'minValue']],
      [{ minValue: '1e5' }, ['parameters', 'minValue']],
      [{ minValue: '1.0000000001' }, ['parameters', 'minValue']],
      [{ minValue: { gt: 1 } }, ['parameters', 'minValue']],
      [{ tenantScope: "1.2' OR 1=1 --" }, ['parameters', 'tenantScope']],
      [{ deviceText: 42 }, ['parameters', 'deviceText']],
      [{ deviceText: 'x'.repeat(1_001) }, ['parameters', 'deviceText']],
    ];
    for (const [parameters, path] of cases) {
      expect([parameters, await refusal(run({ measures: ['readings'], parameters }))]).toMatchObject([parameters, { code: 'invalid_parameter', path }]);
    }
    expect(await refusal(run({ measures: ['readings'], parameters: { period: { from: '2026-03-01', to: '2026-03-02', tz: 'UTC' } } }))).toMatchObject({
      code: 'unknown_field',
      path: ['parameters', 'period', 'tz'],
    });
  });

  it('filter values that do not fit the field, operators that do not apply, and a bad time zone', async () => {
    expect(await refusal(run({ measures: ['readings'], filters: [{ field: 'tenant', op: 'eq', value: 'abc' }] }))).toMatchObject({ code: 'invalid_parameter', path: ['filters', 0, 'value'] });
    expect(await refusal(run({ measures: ['readings'], filters: [{ field: 'tenant', op: 'contains', value: '1' }] }))).toMatchObject({ code: 'invalid_parameter', path: ['filters', 0, 'op'] });
    expect(await refusal(run({ measures: ['readings'], filters: [{ field: 'device', op: 'in', values: [] }] }))).toMatchObject({ code: 'invalid_parameter', path: ['filters', 0, 'values'] });
    expect(await refusal(run({ measures: ['readings'], filters: [{ field: 'day', op: 'between', values: ['2026-03-01'] }] }))).toMatchObject({ code: 'invalid_parameter', path: ['filters', 0, 'values'] });
    expect(await refusal(run({ measures: ['readings'], filters: [{ field: 'value', op: 'gt', value: '1; DROP TABLE x' }] }))).toMatchObject({ code: 'invalid_parameter', path: ['filters', 0, 'value'] });
    expect(await refusal(run({ dimensions: ['device'], measures: ['readings'], filters: [{ field: 'firstAt', op: 'gt', value: '1' }] }))).toMatchObject({ code: 'invalid_query' });
    expect(await refusal(run({ measures: ['readings'] }, { ...companyA, timeZone: 'Mars/Olympus' }))).toMatchObject({ code: 'invalid_parameter', path: ['timeZone'] });
    expect(await refusal(run({ measures: ['readings'] }, { ...companyA, timeZone: "UTC'); DROP TABLE x; --" }))).toMatchObject({ code: 'invalid_parameter', path: ['timeZone'] });
  });

  it('a missing required parameter', async () => {
    const strict = parseDataset({ ...readingsModel({ kind: 'analytics', table: 'readings' }), parameters: [{ id: 'period', label: 'Period', type: 'dateRange', required: true, binds: { column: 'at' } }] });
    expect(await refusal(engine.run(strict, { measures: ['readings'] }, companyA))).toMatchObject({ code: 'missing_parameter', path: ['parameters', 'period'], zh: '缺少必填参数' });
  });

  it('queries that cannot be answered as asked', async () => {
    expect(await refusal(run({ kind: 'detail', dimensions: ['device'], measures: ['readings'] }))).toMatchObject({ code: 'invalid_query', path: ['measures'] });
    expect(await refusal(run({ dimensions: ['device'], measures: ['readings'], sort: [{ field: 'day' }] }))).toMatchObject({ code: 'invalid_query', path: ['sort', 0, 'field'] });
    expect(await refusal(run({ dimensions: ['device', 'device'] }))).toMatchObject({ code: 'invalid_query', path: ['dimensions', 1] });
    expect(await refusal(run({ measures: ['readings'], limit: 0 }))).toMatchObject({ code: 'invalid_query', path: ['limit'] });
    expect(await refusal(run({ measures: ['readings'], limit: 10_001 }))).toMatchObject({ code: 'row_limit_exceeded', path: ['limit'] });
    expect(await refusal(run({ measures: ['readings'] }))).toMatchObject({ code: 'source_unavailable' });
  });

  it('count distinct of a column that is not the lookup key cannot be regrouped through the registry', async () => {
    const readingRate = JSON.parse(readFileSync(new URL('../../builtin/reading-rate.json', import.meta.url), 'utf8')) as DatasetDefinition;
    const broken = parseDataset({
      ...readingRate,
      measures: [...(readingRate.measures ?? []), { id: 'metrics', label: 'metrics', aggregate: 'countDistinct', column: 'metric' }],
    });
    expect(await refusal(engine.run(broken, { dimensions: ['communityName'], measures: ['metrics'] }, companyA))).toMatchObject({ code: 'measure_not_supported' });
  });
});

describe('bad dataset definitions are refused when saved', () => {
  const valid = readingsModel({ kind: 'postgres', relation: 'report_readings' });
  it('names that are not allow-listed identifiers never reach SQL', async () => {
    expect(await definitionRefusal({ ...valid, source: { kind: 'postgres', relation: 'report_readings; drop table x' } })).toMatchObject({ code: 'invalid_dataset', path: ['source', 'relation'] });
    expect(await definitionRefusal({ ...valid, source: { kind: 'postgres', relation: 'pg_authid' } })).toMatchObject({ code: 'invalid_dataset', path: ['source', 'relation'] });
    expect(await definitionRefusal({ ...valid, columns: { ...factColumns, 'value" from x; --': { type: 'string' } } })).toMatchObject({ code: 'invalid_dataset', path: ['columns', 'value" from x; --'] });
    expect(await definitionRefusal({ ...valid, dimensions: [{ id: 'x', label: 'x', column: 'colour' }] })).toMatchObject({ code: 'invalid_dataset', path: ['dimensions', 0, 'column'] });
  });

  it('measures, parameters and filters that do not fit their columns', async () => {
    const base: DatasetDefinition = { ...valid, measures: [], parameters: [], dimensions: [] };
    expect(await definitionRefusal({ ...base, measures: [{ id: 'm', label: 'm', aggregate: 'sum', column: 'device' }] })).toMatchObject({ path: ['measures', 0, 'column'] });
    expect(
      await definitionRefusal({
        ...base,
        measures: [
          { id: 'a', label: 'a', aggregate: 'count' },
          { id: 'r', label: 'r', aggregate: 'ratio', numerator: 'a', denominator: 'a' },
          { id: 'rr', label: 'rr', aggregate: 'ratio', numerator: 'r', denominator: 'a' },
        ],
      }),
    ).toMatchObject({ path: ['measures', 2, 'numerator'] });
    expect(await definitionRefusal({ ...base, parameters: [{ id: 'p', label: 'p', type: 'dateRange', binds: { column: 'device' } }] })).toMatchObject({ path: ['parameters', 0, 'binds', 'column'] });
    expect(await definitionRefusal({ ...base, parameters: [{ id: 'p', label: 'p', type: 'enum', options: [{ value: 'a', label: 'a' }], default: 'b', binds: { column: 'device' } }] })).toMatchObject({
      path: ['parameters', 0, 'default'],
    });
    expect(await definitionRefusal({ ...base, defaultFilters: [{ column: 'value', op: 'gt', value: 'lots' }] })).toMatchObject({ path: ['defaultFilters', 0, 'value'] });
    expect(await definitionRefusal({ ...base, dimensions: [{ id: 'd', label: 'd', column: 'device', grain: 'day' }] })).toMatchObject({ path: ['dimensions', 0, 'grain'] });
  });

  it('raw SQL that is not one SELECT', async () => {
    const raw = (text: string) => ({ ...valid, source: { kind: 'postgres-sql', sql: text } });
    expect(await definitionRefusal(raw('select 1; select 2'))).toMatchObject({ code: 'raw_sql_refused', path: ['source', 'sql'] });
    expect(await definitionRefusal(raw('update report_readings set value = 0'))).toMatchObject({ code: 'raw_sql_refused' });
    expect(await definitionRefusal(raw("select * from report_readings where device = '"))).toMatchObject({ code: 'raw_sql_refused' });
    expect(await definitionRefusal(raw('select * from report_readings where device = {{param.nope}}'))).toMatchObject({ code: 'invalid_dataset', path: ['source', 'sql'] });
  });
});

describe.each(['chdb', 'pglite', 'postgres'] as const)('row limits and time limits on %s', (target) => {
  let store: AnalyticsStore | undefined;
  let database: Database | undefined;
  let engine: ReportEngine;
  const dataset = () => (target === 'chdb' ? readingsDatasets.chdb() : readingsDatasets.postgres());
  beforeAll(async () => {
    if (target === 'chdb') store = await analyticsWithReadings();
    else database = await postgresWithFacts(target);
    engine = createReportEngine({ analytics: store, database: database?.db, limits: { maxRows: 3 } });
  });
  afterAll(async () => {
    await database?.close();
    if (store) await closeAnalytics();
  });

  it('refuses a result with more rows than the limit, and pages within it', async () => {
    const tooMany = await refusal(engine.run(dataset(), { dimensions: ['day', 'device'], measures: ['readings'] }, companyA));
    expect(tooMany).toMatchObject({ code: 'row_limit_exceeded', zh: '结果行数超过上限，请缩小查询范围或分页查询' });
    const page = await engine.run(dataset(), { dimensions: ['day', 'device'], measures: ['readings'], limit: 3 }, companyA);
    expect([page.rows.length, page.page.hasMore]).toEqual([3, true]);
    expect(await refusal(engine.run(dataset(), { dimensions: ['device'], measures: ['readings'], limit: 4 }, companyA))).toMatchObject({ code: 'row_limit_exceeded', path: ['limit'] });
    // Sorting by a ratio happens in JS, after reading every group: the limit holds there too.
    expect(await refusal(engine.run(dataset(), { dimensions: ['day', 'device'], measures: ['perDevice'], sort: [{ field: 'perDevice' }], limit: 1 }, companyA))).toMatchObject({
      code: 'row_limit_exceeded',
    });
    const detail = await engine.run(dataset(), { kind: 'detail', dimensions: ['at', 'device'] }, companyA);
    expect([detail.rows.length, detail.page.hasMore]).toEqual([3, true]);
  });

  it('cancels a query that runs past the time limit with a clear error; the next query runs', async () => {
    const slow =
      target === 'chdb'
        ? `SELECT '1.2' AS tenant_path, toString(count()) AS device, 0 AS value FROM numbers(1000000000) WHERE cityHash64(number) % 7 = 0`
        : `select '1.2'::ltree as tenant_path, count(*)::text as device, 0 as value from generate_series(1, ${target === 'pglite' ? 1_000_000 : 50_000_000}) g where md5(g::text) like '0%'`;
    const slowDataset = parseDataset({
      id: 'slow',
      label: 'slow',
      source: { kind: target === 'chdb' ? 'analytics-sql' : 'postgres-sql', sql: slow },
      columns: { tenant_path: { type: 'tenantPath' }, device: { type: 'string' }, value: { type: 'integer' } },
      dimensions: [{ id: 'device', label: 'device', column: 'device' }],
      measures: [{ id: 'rows', label: 'rows', aggregate: 'count' }],
    });
    const impatient = createReportEngine({ analytics: store, database: database?.db, limits: { timeoutMs: 100 } });
    expect(await refusal(impatient.run(slowDataset, { dimensions: ['device'], measures: ['rows'] }, companyA))).toMatchObject({
      code: 'query_timeout',
      zh: '查询超时，已取消',
    });
    expect((await engine.run(dataset(), { measures: ['readings'] }, companyA)).rows).toEqual([{ readings: '7' }]);
  });
});

describe('registry lookups are bounded too', () => {
  let store: AnalyticsStore;
  let database: Database;
  beforeAll(async () => {
    store = await analyticsWithReadings();
    database = await postgresWithFacts('pglite');
  });
  afterAll(async () => {
    await database?.close();
    await closeAnalytics();
  });

  it('refuses a lookup with more registry rows than allowed', async () => {
    const engine = createReportEngine({ analytics: store, database: database.db, limits: { maxLookupRows: 2 } });
    const result = refusal(engine.run(builtinDatasets().get('reading-rate')!, { measures: ['devicesRead'], parameters: { period: { from: '2026-03-01', to: '2026-03-02' } } }, companyA));
    expect(await result).toMatchObject({ code: 'row_limit_exceeded' });
  });

  it('reads the registry keys in slices without counting a meter twice', async () => {
    const engine = createReportEngine({ analytics: store, database: database.db, limits: { lookupKeysPerQuery: 1 } });
    const result = await engine.run(builtinDatasets().get('reading-rate')!, { dimensions: ['day'], measures: ['devicesRead', 'devicesDue'], parameters: { period: { from: '2026-03-01', to: '2026-03-02' } } }, companyA);
    expect(result.rows).toEqual([
      { day: '2026-03-01', devicesRead: '2', devicesDue: '4' },
      { day: '2026-03-02', devicesRead: '3', devicesDue: '4' },
    ]);
  });
});
