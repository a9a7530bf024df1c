import type { AnalyticsStore } from '@shuiyun/analytics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReportContext, type ReportEngine, createReportEngine } from '../engine/engine.js';
import type { ReportResult } from '../engine/result.js';
import { ReportError } from '../errors.js';
import { analyticsWithReadings, closeAnalytics, readingsDatasets } from '../testing/fixtures.js';
import { cellStyles } from './conditional-format.js';
import { drillDown } from './drill-down.js';
import { groupedTable } from './grouped-table.js';
import { pivotTable } from './pivot.js';

const companyA: ReportContext = { tenant: { tenantPath: '1.2' }, timeZone: 'Asia/Shanghai' };

describe('tables shaped from seeded readings (chDB)', () => {
  let store: AnalyticsStore;
  let engine: ReportEngine;
  const dataset = readingsDatasets.chdb();
  beforeAll(async () => {
    store = await analyticsWithReadings();
    engine = createReportEngine({ analytics: store });
  });
  afterAll(() => closeAnalytics());

  it('a grouped table with a subtotal per day and a grand total, averages recomputed from sums and counts', async () => {
    const result = await engine.run(dataset, { dimensions: ['day', 'device'], measures: ['readings', 'total', 'average'] }, companyA);
    expect(groupedTable(result, { groupBy: ['day'] })).toEqual({
      columns: result.columns,
      groupBy: ['day'],
      rows: [
        { kind: 'row', level: 1, values: { day: '2026-03-01', device: 'm1', readings: '2', total: '200.250', average: '100.125' } },
        { kind: 'row', level: 1, values: { day: '2026-03-01', device: 'm2', readings: '1', total: '50.000', average: '50.000' } },
        // 250.250 / 3 = 83.41666… → 83.417, not the average of the averages (75.063).
        { kind: 'subtotal', level: 1, values: { day: '2026-03-01', device: null, readings: '3', total: '250.250', average: '83.417' } },
        { kind: 'row', level: 1, values: { day: '2026-03-02', device: 'm1', readings: '2', total: '201.625', average: '100.813' } },
        { kind: 'row', level: 1, values: { day: '2026-03-02', device: 'm2', readings: '1', total: '50.700', average: '50.700' } },
        { kind: 'row', level: 1, values: { day: '2026-03-02', device: 'm5', readings: '1', total: '10.000', average: '10.000' } },
        { kind: 'subtotal', level: 1, values: { day: '2026-03-02', device: null, readings: '4', total: '262.325', average: '65.581' } },
        { kind: 'total', level: 0, values: { day: null, device: null, readings: '7', total: '512.575', average: '73.225' } },
      ],
    });
  });

  it('a pivot of devices by day with row, column and grand totals; count distinct totals come from the database', async () => {
    const pivot = await engine.pivot(
      dataset,
      { measures: ['readings', 'total', 'devices', 'perDevice'] },
      { rows: ['device'], columns: ['day'] },
      companyA,
    );
    expect({ ...pivot, rowDimensions: pivot.rowDimensions.map((c) => c.id), columnDimensions: pivot.columnDimensions.map((c) => c.id), measures: pivot.measures.map((c) => c.id) }).toEqual({
      rowDimensions: ['device'],
      columnDimensions: ['day'],
      measures: ['readings', 'total', 'devices', 'perDevice'],
      rows: [['m1'], ['m2'], ['m5']],
      columns: [['2026-03-01'], ['2026-03-02']],
      cells: [
        [
          ['2', '200.250', '1', '200.250'],
          ['2', '201.625', '1', '201.625'],
        ],
        [
          ['1', '50.000', '1', '50.000'],
          ['1', '50.700', '1', '50.700'],
        ],
        [
          [null, null, null, null],
          ['1', '10.000', '1', '10.000'],
        ],
      ],
      rowTotals: [
        ['4', '401.875', '1', '401.875'],
        ['2', '100.700', '1', '100.700'],
        ['1', '10.000', '1', '10.000'],
      ],
      columnTotals: [
        ['3', '250.250', '2', '125.125'],
        ['4', '262.325', '3', '87.442'],
      ],
      // Three distinct devices over both days, not 2 + 3.
      grandTotal: ['7', '512.575', '3', '170.858'],
    });
  });

  it('leaves totals of count distinct empty rather than wrong when the coarser grains were not run', async () => {
    const result = await engine.run(dataset, { dimensions: ['device', 'day'], measures: ['readings', 'devices', 'perDevice'] }, companyA);
    const pivot = pivotTable(result, { rows: ['device'], columns: ['day'] });
    expect(pivot.grandTotal).toEqual(['7', null, null]);
    expect(pivot.rowTotals[0]).toEqual(['4', null, null]);
  });

  it('refuses a pivot whose axes are not the query’s dimensions, and a grouped table whose groups are not its leading dimensions', async () => {
    const result = await engine.run(dataset, { dimensions: ['device', 'day'], measures: ['readings'] }, companyA);
    expect(() => pivotTable(result, { rows: ['device'], columns: ['month'] })).toThrow(ReportError);
    expect(() => groupedTable(result, { groupBy: ['day'] })).toThrow(/leading dimensions/);
  });
});

/** A small result, written out, for the presentation rules. */
const consumption: ReportResult = {
  dataset: { id: 'daily-consumption', version: 1 },
  kind: 'aggregate',
  columns: [
    { id: 'day', role: 'dimension', label: { 'zh-CN': '日期', en: 'Day' }, type: 'string', grain: 'day' },
    { id: 'community', role: 'dimension', label: { 'zh-CN': '小区', en: 'Community' }, type: 'integer' },
    { id: 'consumption', role: 'measure', label: { 'zh-CN': '用水量', en: 'Consumption' }, type: 'decimal', scale: 3 },
    { id: 'rate', role: 'measure', label: { 'zh-CN': '抄表率', en: 'Reading rate' }, type: 'decimal', scale: 2 },
  ],
  rows: [
    { day: '2026-03-01', community: '20', consumption: '1250.500', rate: '98.50' },
    { day: '2026-03-01', community: '21', consumption: '80.125', rate: '75.00' },
    { day: '2026-03-02', community: '20', consumption: '990.000', rate: null },
  ],
  parts: [],
  partModels: {},
  derivations: {},
  page: { offset: 0, limit: null, hasMore: false },
  cached: false,
};

describe('conditional formatting', () => {
  it('compares numbers exactly and styles cells or whole rows; later rules win', () => {
    const styles = cellStyles(
      [
        { field: 'consumption', op: 'gt', value: '1000', style: { color: '#cf1322', fontWeight: 'bold' } },
        { field: 'rate', op: 'lt', value: 80, style: { backgroundColor: '#fff1f0' }, target: 'row' },
        { field: 'rate', op: 'isNull', style: { icon: 'warning' } },
        // 80.125 and 80.1250 are the same number.
        { field: 'consumption', op: 'eq', value: '80.1250', style: { color: 'blue' } },
      ],
      consumption.columns,
      consumption.rows,
    );
    expect(styles).toEqual([
      { consumption: { color: '#cf1322', fontWeight: 'bold' } },
      {
        day: { backgroundColor: '#fff1f0' },
        community: { backgroundColor: '#fff1f0' },
        consumption: { backgroundColor: '#fff1f0', color: 'blue' },
        rate: { backgroundColor: '#fff1f0' },
      },
      { rate: { icon: 'warning' } },
    ]);
  });

  it('refuses a rule on an unknown column, a non-number threshold and a colour that is CSS code', () => {
    expect(() => cellStyles([{ field: 'nope', op: 'gt', value: '1', style: {} }], consumption.columns, consumption.rows)).toThrow(/nope/);
    expect(() => cellStyles([{ field: 'rate', op: 'gt', value: 'high', style: {} }], consumption.columns, consumption.rows)).toThrow(ReportError);
    expect(() => cellStyles([{ field: 'rate', op: 'gt', value: '1', style: { color: 'red;background:url(x)' } }], consumption.columns, consumption.rows)).toThrow(ReportError);
  });
});

describe('drill-down', () => {
  it('passes the clicked row’s values and the current parameters to the child report; a day becomes its date range', () => {
    const target = drillDown(
      {
        report: 'community-daily-detail',
        parameters: {
          period: { field: 'day' },
          community: { field: 'community' },
          product: { parameter: 'product' },
          metric: { value: 'cumulative_volume' },
        },
      },
      consumption.columns,
      consumption.rows[1]!,
      { product: ['10'] },
    );
    expect(target).toEqual({
      report: 'community-daily-detail',
      parameters: { period: { from: '2026-03-01', to: '2026-03-01' }, community: '21', product: ['10'], metric: 'cumulative_volume' },
    });
  });

  it('turns a month or an ISO week into the days it covers', () => {
    const month = [{ id: 'month', role: 'dimension' as const, label: { 'zh-CN': '月', en: 'Month' }, type: 'string' as const, grain: 'month' as const }];
    expect(drillDown({ report: 'r', parameters: { period: { field: 'month' } } }, month, { month: '2024-02' }).parameters).toEqual({ period: { from: '2024-02-01', to: '2024-02-29' } });
    const week = [{ id: 'week', role: 'dimension' as const, label: { 'zh-CN': '周', en: 'Week' }, type: 'string' as const, grain: 'week' as const }];
    expect(drillDown({ report: 'r', parameters: { period: { field: 'week' } } }, week, { week: '2026-02-23' }).parameters).toEqual({ period: { from: '2026-02-23', to: '2026-03-01' } });
  });
});
