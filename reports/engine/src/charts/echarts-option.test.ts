import * as echarts from 'echarts';
import { describe, expect, it } from 'vitest';
import type { ReportResult } from '../engine/result.js';
import { ReportError } from '../errors.js';
import { type ChartSpec, chartOption } from './echarts-option.js';

const column = (id: string, role: 'dimension' | 'measure', zh: string, en: string, type: 'string' | 'decimal' = role === 'measure' ? 'decimal' : 'string') => ({
  id,
  role,
  label: { 'zh-CN': zh, en },
  type,
});

const result: ReportResult = {
  dataset: { id: 'daily-consumption', version: 1 },
  kind: 'aggregate',
  columns: [
    { ...column('day', 'dimension', '日期', 'Day'), grain: 'day' },
    column('community', 'dimension', '小区', 'Community'),
    { ...column('consumption', 'measure', '用水量', 'Consumption'), scale: 3 },
    { ...column('rate', 'measure', '抄表率', 'Reading rate'), scale: 2 },
  ],
  rows: [
    { day: '2026-03-01', community: '阳光小区', consumption: '1250.500', rate: '98.50' },
    { day: '2026-03-01', community: '江畔花园', consumption: '80.125', rate: '75.00' },
    { day: '2026-03-02', community: '阳光小区', consumption: '990.000', rate: null },
  ],
  parts: [],
  partModels: {},
  derivations: {},
  page: { offset: 0, limit: null, hasMore: false },
  cached: false,
};

const perDay: ReportResult = {
  ...result,
  columns: [result.columns[0]!, result.columns[2]!, result.columns[3]!],
  rows: [
    { day: '2026-03-01', consumption: '1330.625', rate: '86.75' },
    { day: '2026-03-02', consumption: '990.000', rate: '90.10' },
  ],
};

/** Renders an option with ECharts' own server-side SVG renderer: ECharts must accept it. */
function renderSvg(option: echarts.EChartsOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 600, height: 400 });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

describe('ECharts options from report results', () => {
  it('a line chart per measure over the days, values kept as exact decimal strings', () => {
    const option = chartOption({ type: 'line', category: 'day', measures: ['consumption', 'rate'], smooth: true, title: '日用水量' }, perDay);
    expect(option).toEqual({
      title: { text: '日用水量' },
      tooltip: { trigger: 'axis' },
      legend: { data: ['用水量', '抄表率'] },
      xAxis: { type: 'category', data: ['2026-03-01', '2026-03-02'] },
      yAxis: { type: 'value' },
      series: [
        { name: '用水量', type: 'line', smooth: true, data: ['1330.625', '990.000'] },
        { name: '抄表率', type: 'line', smooth: true, data: ['86.75', '90.10'] },
      ],
    });
    expect(renderSvg(option)).toContain('<svg');
  });

  it('a stacked bar split into one series per community, gaps as null, English labels', () => {
    const option = chartOption({ type: 'stackedBar', category: 'day', series: 'community', measures: ['consumption'] }, result, { locale: 'en' });
    expect(option).toEqual({
      tooltip: { trigger: 'axis' },
      legend: { data: ['阳光小区', '江畔花园'] },
      xAxis: { type: 'category', data: ['2026-03-01', '2026-03-02'] },
      yAxis: { type: 'value' },
      series: [
        { name: '阳光小区', type: 'bar', stack: 'total', data: ['1250.500', '990.000'] },
        { name: '江畔花园', type: 'bar', stack: 'total', data: ['80.125', null] },
      ],
    });
    expect(renderSvg(option)).toContain('<svg');
  });

  it('a horizontal bar swaps the axes', () => {
    const option = chartOption({ type: 'bar', category: 'day', measures: ['consumption'], horizontal: true }, perDay);
    expect(option).toMatchObject({ xAxis: { type: 'value' }, yAxis: { type: 'category', data: ['2026-03-01', '2026-03-02'] }, series: [{ type: 'bar', data: ['1330.625', '990.000'] }] });
  });

  it('a pie of one measure by category', () => {
    const option = chartOption({ type: 'pie', category: 'community', measures: ['consumption'] }, { ...result, rows: result.rows.slice(0, 2) });
    expect(option).toEqual({
      tooltip: { trigger: 'item' },
      legend: { data: ['阳光小区', '江畔花园'] },
      series: [
        {
          name: '用水量',
          type: 'pie',
          radius: '60%',
          data: [
            { name: '阳光小区', value: '1250.500' },
            { name: '江畔花园', value: '80.125' },
          ],
        },
      ],
    });
    expect(renderSvg(option)).toContain('<svg');
  });

  it('a scatter of two measures, points named by a dimension, rows with a missing value left out', () => {
    const option = chartOption({ type: 'scatter', category: 'community', measures: ['consumption', 'rate'] }, result);
    expect(option).toEqual({
      tooltip: { trigger: 'item' },
      xAxis: { type: 'value', name: '用水量' },
      yAxis: { type: 'value', name: '抄表率' },
      series: [
        {
          name: '用水量 / 抄表率',
          type: 'scatter',
          data: [
            { name: '阳光小区', value: ['1250.500', '98.50'] },
            { name: '江畔花园', value: ['80.125', '75.00'] },
          ],
        },
      ],
    });
    expect(renderSvg(option)).toContain('<svg');
  });

  it('a heatmap of days by community, the colour scale spanning the exact extremes', () => {
    const option = chartOption({ type: 'heatmap', category: 'day', yCategory: 'community', measures: ['consumption'] }, result);
    expect(option).toEqual({
      tooltip: { position: 'top' },
      xAxis: { type: 'category', data: ['2026-03-01', '2026-03-02'], splitArea: { show: true } },
      yAxis: { type: 'category', data: ['阳光小区', '江畔花园'], splitArea: { show: true } },
      visualMap: { min: 80.125, max: 1250.5, calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
      series: [
        {
          name: '用水量',
          type: 'heatmap',
          label: { show: true },
          data: [
            [0, 0, '1250.500'],
            [0, 1, '80.125'],
            [1, 0, '990.000'],
          ],
        },
      ],
    });
    expect(renderSvg(option)).toContain('<svg');
  });

  it('a gauge of a single value', () => {
    const option = chartOption({ type: 'gauge', measures: ['rate'], max: '100' }, { ...perDay, rows: [perDay.rows[1]!] });
    expect(option).toEqual({
      series: [{ name: '抄表率', type: 'gauge', min: 0, max: 100, detail: { formatter: '{value}' }, data: [{ name: '抄表率', value: '90.10' }] }],
    });
    expect(renderSvg(option)).toContain('90.1');
  });

  it('a dual-axis chart: bars on the left, lines on the right', () => {
    const option = chartOption({ type: 'dualAxis', category: 'day', measures: ['consumption'], secondary: ['rate'] }, perDay);
    expect(option).toEqual({
      tooltip: { trigger: 'axis' },
      legend: { data: ['用水量', '抄表率'] },
      xAxis: { type: 'category', data: ['2026-03-01', '2026-03-02'] },
      yAxis: [
        { type: 'value', name: '用水量' },
        { type: 'value', name: '抄表率' },
      ],
      series: [
        { name: '用水量', type: 'bar', yAxisIndex: 0, data: ['1330.625', '990.000'] },
        { name: '抄表率', type: 'line', yAxisIndex: 1, data: ['86.75', '90.10'] },
      ],
    });
    expect(renderSvg(option)).toContain('<svg');
  });

  it('refuses specs that name unknown fields or miss what the chart type needs', () => {
    const bad: ChartSpec[] = [
      { type: 'line', category: 'nope', measures: ['consumption'] },
      { type: 'line', measures: ['consumption'] },
      { type: 'bar', category: 'day', measures: ['day'] },
      { type: 'heatmap', category: 'day', measures: ['consumption'] },
      { type: 'gauge', measures: ['rate'] },
      { type: 'scatter', measures: ['rate'] },
      { type: 'stackedBar', category: 'day', series: 'community', measures: ['consumption', 'rate'] },
    ];
    for (const spec of bad) expect(() => chartOption(spec, result)).toThrow(ReportError);
  });
});
