import { builtinDatasets, ReportError } from '@shuiyun/reports';
import { describe, expect, it } from 'vitest';
import { artifactChecksum, canonicalJson } from './checksum.js';
import { reportProblem, under } from './errors.js';
import { parametersFromQueryString } from './run.js';
import { ReportFreshness } from './service.js';
import { checkTemplate, type ReportTemplate, reportTemplateSchema } from './template.js';

const readingRate = builtinDatasets().get('reading-rate')!;
const alarms = builtinDatasets().get('alarm-statistics')!;
const context = { tenantPath: '1.2', timeZone: 'Asia/Shanghai', now: new Date('2026-03-10T00:00:00Z') };

const template = (overrides: Record<string, unknown> = {}): ReportTemplate =>
  reportTemplateSchema.parse({
    code: 'daily-reading-rate',
    name: '日抄表率',
    dataset: { code: 'reading-rate' },
    query: { dimensions: ['day', 'communityName'], measures: ['devicesRead', 'devicesDue', 'readingRate'], parameters: { period: 'last7Days' } },
    ...overrides,
  });

/** The ReportError a check throws, as code and path. */
function refusalOf(work: () => void): { code: string; path: string } {
  try {
    work();
  } catch (error) {
    if (error instanceof ReportError) return { code: error.code, path: error.path.join('.') };
    throw error;
  }
  throw new Error('the check passed');
}

describe('checking a report template against its dataset (no query runs)', () => {
  it('accepts a template whose query, views, formats and drill-downs name only the dataset’s fields', () => {
    const complete = template({
      parameterBar: [{ parameter: 'period' }, { parameter: 'community', label: '小区' }],
      view: 'grouped',
      table: { pageSize: 20, columns: ['day', 'readingRate'] },
      grouped: { groupBy: ['day'] },
      pivot: { rows: ['communityName'], columns: ['month'], measures: ['readingRate'] },
      chart: { type: 'line', category: 'day', series: 'communityName', measures: ['readingRate'] },
      formats: [{ field: 'readingRate', op: 'lt', value: '95', style: { color: '#cf1322' } }],
      drillDowns: [{ on: ['day'], target: { report: 'meter-readings', parameters: { period: { field: 'day' }, community: { parameter: 'community' } } } }],
    });
    expect(() => checkTemplate(complete, readingRate, context)).not.toThrow();
  });

  it('leaves required parameters to the viewer but checks the values the template sets', () => {
    expect(() => checkTemplate(template({ query: { measures: ['devicesRead'] } }), readingRate, context)).not.toThrow();
    expect(refusalOf(() => checkTemplate(template({ query: { measures: ['devicesRead'], parameters: { period: { from: '2026-02-30', to: '2026-03-01' } } } }), readingRate, context))).toEqual({
      code: 'invalid_parameter',
      path: 'query.parameters.period.from',
    });
    expect(refusalOf(() => checkTemplate(template({ query: { measures: ['devicesRead'], parameters: { tenantScope: '1.3' } } }), readingRate, context))).toEqual({
      code: 'parameter_out_of_scope',
      path: 'query.parameters.tenantScope',
    });
  });

  it('refuses each unknown field with its path in the template', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ query: { dimensions: ['day', 'street'], measures: ['devicesRead'] } }, 'unknown_field', 'query.dimensions.1'],
      [{ query: { measures: ['litres'] } }, 'unknown_field', 'query.measures.0'],
      [{ query: { measures: ['devicesRead'], parameters: { district: 'x' } } }, 'unknown_field', 'query.parameters.district'],
      [{ parameterBar: [{ parameter: 'period' }, { parameter: 'street' }] }, 'unknown_field', 'parameterBar.1.parameter'],
      [{ table: { columns: ['day', 'productName'] } }, 'unknown_field', 'table.columns.1'],
      [{ grouped: { groupBy: ['communityName'] } }, 'invalid_query', 'grouped.groupBy.0'],
      [{ pivot: { rows: ['street'], columns: ['month'] } }, 'unknown_field', 'pivot.rows.0'],
      [{ pivot: { rows: ['communityName'], columns: ['month'], measures: ['litres'] } }, 'unknown_field', 'pivot.measures.0'],
      [{ chart: { type: 'bar', category: 'day', measures: ['litres'] } }, 'unknown_field', 'chart.measures.0'],
      [{ formats: [{ field: 'litres', op: 'gt', value: '1', style: { color: 'red' } }] }, 'unknown_field', 'formats.0.field'],
      [{ drillDowns: [{ target: { report: 'child', parameters: { period: { field: 'litres' } } } }] }, 'unknown_field', 'drillDowns.0.target.parameters.period.field'],
      [{ drillDowns: [{ target: { report: 'child', parameters: { x: { parameter: 'street' } } } }] }, 'unknown_field', 'drillDowns.0.target.parameters.x.parameter'],
      [{ drillDowns: [{ on: ['street'], target: { report: 'child', parameters: {} } }] }, 'unknown_field', 'drillDowns.0.on.0'],
      [{ view: 'chart' }, 'invalid_query', 'chart'],
    ];
    for (const [overrides, code, path] of cases) {
      expect(refusalOf(() => checkTemplate(template(overrides), readingRate, context)), JSON.stringify(overrides)).toEqual({ code, path });
    }
  });

  it('checks a template against the dataset it names, not another one', () => {
    const onAlarms = template({ dataset: { code: 'alarm-statistics' }, query: { dimensions: ['kind'], measures: ['alarms'] } });
    expect(() => checkTemplate(onAlarms, alarms, context)).not.toThrow();
    expect(refusalOf(() => checkTemplate(onAlarms, readingRate, context))).toEqual({ code: 'unknown_field', path: 'query.dimensions.0' });
  });
});

describe('the report API’s small parts', () => {
  it('reads date ranges and lists from a query string and leaves everything else to the engine', () => {
    expect(parametersFromQueryString({ period: '2026-03-01..2026-03-31', community: ['12', '13'], dma: 'DMA-1' }, readingRate)).toEqual({
      period: { from: '2026-03-01', to: '2026-03-31' },
      community: ['12', '13'],
      dma: 'DMA-1',
    });
    expect(parametersFromQueryString({ 'period.from': '2026-03-01', 'period.to': '2026-03-02' }, readingRate)).toEqual({ period: { from: '2026-03-01', to: '2026-03-02' } });
    expect(parametersFromQueryString({ period: 'last7Days', dma: 'a..b' }, readingRate)).toEqual({ period: 'last7Days', dma: 'a..b' });
  });

  it('gives one checksum per document whatever the key order, ignoring a version sent along', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
    expect(artifactChecksum({ id: 'x', label: 'X', version: 3 })).toBe(artifactChecksum({ label: 'X', id: 'x' }));
    expect(artifactChecksum({ id: 'x', label: 'X' })).not.toBe(artifactChecksum({ id: 'x', label: 'Y' }));
  });

  it('changes the analytics freshness token with every durable reading and every minute, and gives PostgreSQL datasets none', () => {
    let written = 10;
    let now = 120_000;
    const freshness = new ReportFreshness(() => written, 60_000, () => now);
    const first = freshness.token(readingRate);
    expect(first).toBeDefined();
    now += 59_000;
    expect(freshness.token(readingRate)).toBe(first);
    written += 1;
    const afterReading = freshness.token(readingRate);
    expect(afterReading).not.toBe(first);
    now += 1_000;
    expect(freshness.token(readingRate)).not.toBe(afterReading);
    expect(freshness.token(alarms)).toBeUndefined();
  });

  it('turns a ReportError into the API’s error with its status, the engine’s code and the path in the request, in the caller’s language', () => {
    const error = new ReportError('invalid_parameter', 'expected a date YYYY-MM-DD, got "x"', ['parameters', 'period', 'from']);
    const zh = reportProblem(error, 'zh-CN', under('body.query'));
    expect(zh).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(zh.details).toEqual([{ path: 'body.query.parameters.period.from', code: 'invalid_parameter', message: '参数值的类型或格式不正确：expected a date YYYY-MM-DD, got "x"' }]);
    const timeout = reportProblem(new ReportError('query_timeout', 'the report query ran longer than 30000 ms'), 'en', under('body'));
    expect(timeout).toMatchObject({ code: 'not_ready', status: 504 });
    expect(timeout.details![0]!.message).toBe('The query took too long and was cancelled: the report query ran longer than 30000 ms');
    expect(reportProblem(new ReportError('parameter_out_of_scope', 'x', ['parameters', 'tenantScope']), 'en', under('body'))).toMatchObject({ code: 'forbidden_tenant', status: 403 });
    expect(reportProblem(new ReportError('row_limit_exceeded', 'x'), 'en', under('body'))).toMatchObject({ code: 'validation_failed', status: 422 });
  });
});
