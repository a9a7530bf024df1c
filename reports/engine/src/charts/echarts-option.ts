import type { EChartsOption } from 'echarts';
import { z } from 'zod';
import { zodFailure } from '../dataset/dataset.js';
import { FIELD_ID } from '../dataset/identifiers.js';
import { compareDecimals, isDecimalText } from '../decimal.js';
import { ReportError } from '../errors.js';
import type { Cell, ReportResult, ResultColumn } from '../engine/result.js';

export const chartTypes = ['line', 'bar', 'stackedBar', 'pie', 'scatter', 'heatmap', 'gauge', 'dualAxis'] as const;
export type ChartType = (typeof chartTypes)[number];

const id = z.string().regex(FIELD_ID);
export const chartSpecSchema = z
  .object({
    type: z.enum(chartTypes),
    title: z.string().max(200).optional(),
    /** The category axis (line, bar, stacked bar, dual axis, heatmap x) or the slice names (pie). */
    category: id.optional(),
    /** One series per value of this dimension (line, bar, stacked bar), with one measure. */
    series: id.optional(),
    /** Plotted measures: one series each; pie, gauge and heatmap take the first, scatter x then y. */
    measures: z.array(id).min(1).max(10),
    /** Dual axis: the measures on the right-hand axis (drawn as lines). */
    secondary: z.array(id).max(10).optional(),
    /** Heatmap: the y axis. */
    yCategory: id.optional(),
    /** Gauge: the scale's maximum (default 100). */
    max: z.string().refine(isDecimalText, 'a decimal number').optional(),
    horizontal: z.boolean().optional(),
    smooth: z.boolean().optional(),
  })
  .strict();
export type ChartSpec = z.input<typeof chartSpecSchema>;

export type Locale = 'zh-CN' | 'en';

/**
 * Builds a plain-JSON ECharts option from a chart spec and a report result. Values stay the exact
 * decimal strings of the result (ECharts reads numeric strings), so nothing is rounded on the way; the
 * same option renders in the browser and in ECharts SSR.
 */
export function chartOption(specInput: ChartSpec, result: ReportResult, options: { locale?: Locale } = {}): EChartsOption {
  const parsed = chartSpecSchema.safeParse(specInput);
  if (!parsed.success) throw zodFailure(parsed.error, 'invalid_query', ['chart']);
  const spec = parsed.data;
  const locale = options.locale ?? 'zh-CN';
  const byId = new Map(result.columns.map((c) => [c.id, c]));
  const column = (name: string, role: ResultColumn['role'], path: (string | number)[]) => {
    const found = byId.get(name);
    if (!found || found.role !== role) throw new ReportError('unknown_field', `${name} is not a ${role} of the result`, ['chart', ...path]);
    return found;
  };
  const measures = spec.measures.map((m, i) => column(m, 'measure', ['measures', i]));
  const secondary = (spec.secondary ?? []).map((m, i) => column(m, 'measure', ['secondary', i]));
  const label = (c: ResultColumn) => c.label[locale];
  const title = spec.title ? { title: { text: spec.title } } : {};
  const rows = result.rows;
  const distinct = (dimension: string) => [...new Set(rows.map((r) => r[dimension] ?? null))];
  const requireCategory = () => {
    if (!spec.category) throw new ReportError('invalid_query', `a ${spec.type} chart needs a category dimension`, ['chart', 'category']);
    return column(spec.category, 'dimension', ['category']);
  };
  const name = (cell: Cell) => cell ?? '—';

  switch (spec.type) {
    case 'line':
    case 'bar':
    case 'stackedBar': {
      const category = requireCategory();
      const categories = distinct(category.id);
      const seriesType = spec.type === 'line' ? 'line' : 'bar';
      const stack = spec.type === 'stackedBar' ? { stack: 'total' } : {};
      const smooth = spec.type === 'line' && spec.smooth ? { smooth: true } : {};
      let series: { name: string; type: 'line' | 'bar'; data: Cell[] }[];
      if (spec.series) {
        const split = column(spec.series, 'dimension', ['series']);
        if (measures.length !== 1) throw new ReportError('invalid_query', 'a chart split into series by a dimension plots one measure', ['chart', 'measures']);
        const measure = measures[0]!;
        const cells = new Map<string, Cell>();
        for (const r of rows) cells.set(JSON.stringify([r[category.id] ?? null, r[split.id] ?? null]), r[measure.id] ?? null);
        series = distinct(split.id).map((value) => ({
          name: name(value),
          type: seriesType,
          ...stack,
          ...smooth,
          data: categories.map((c) => cells.get(JSON.stringify([c, value])) ?? null),
        }));
      } else {
        // One row per category is expected; with more, the first one is plotted.
        const first = new Map<Cell, (typeof rows)[number]>();
        for (const r of rows) if (!first.has(r[category.id] ?? null)) first.set(r[category.id] ?? null, r);
        series = measures.map((m) => ({
          name: label(m),
          type: seriesType,
          ...stack,
          ...smooth,
          data: categories.map((c) => first.get(c)?.[m.id] ?? null),
        }));
      }
      const categoryAxis = { type: 'category' as const, data: categories.map(name) };
      const valueAxis = { type: 'value' as const };
      return {
        ...title,
        tooltip: { trigger: 'axis' },
        legend: { data: series.map((s) => s.name) },
        xAxis: spec.horizontal ? valueAxis : categoryAxis,
        yAxis: spec.horizontal ? categoryAxis : valueAxis,
        series,
      } as EChartsOption;
    }
    case 'dualAxis': {
      const category = requireCategory();
      if (secondary.length === 0) throw new ReportError('invalid_query', 'a dual-axis chart names its right-hand measures in secondary', ['chart', 'secondary']);
      const series = [
        ...measures.map((m) => ({ name: label(m), type: 'bar' as const, yAxisIndex: 0, data: rows.map((r) => r[m.id] ?? null) })),
        ...secondary.map((m) => ({ name: label(m), type: 'line' as const, yAxisIndex: 1, data: rows.map((r) => r[m.id] ?? null) })),
      ];
      return {
        ...title,
        tooltip: { trigger: 'axis' },
        legend: { data: series.map((s) => s.name) },
        xAxis: { type: 'category', data: rows.map((r) => name(r[category.id] ?? null)) },
        yAxis: [
          { type: 'value', name: measures.map(label).join(' / ') },
          { type: 'value', name: secondary.map(label).join(' / ') },
        ],
        series,
      } as EChartsOption;
    }
    case 'pie': {
      const category = requireCategory();
      const measure = measures[0]!;
      const data = rows.map((r) => ({ name: name(r[category.id] ?? null), value: r[measure.id] ?? null }));
      return {
        ...title,
        tooltip: { trigger: 'item' },
        legend: { data: data.map((d) => d.name) },
        series: [{ name: label(measure), type: 'pie', radius: '60%', data }],
      } as EChartsOption;
    }
    case 'scatter': {
      if (measures.length !== 2) throw new ReportError('invalid_query', 'a scatter chart plots two measures: x then y', ['chart', 'measures']);
      const [x, y] = measures as [ResultColumn, ResultColumn];
      const point = spec.category ? column(spec.category, 'dimension', ['category']) : undefined;
      return {
        ...title,
        tooltip: { trigger: 'item' },
        xAxis: { type: 'value', name: label(x) },
        yAxis: { type: 'value', name: label(y) },
        series: [
          {
            name: `${label(x)} / ${label(y)}`,
            type: 'scatter',
            data: rows
              .filter((r) => r[x.id] != null && r[y.id] != null)
              .map((r) => ({ ...(point ? { name: name(r[point.id] ?? null) } : {}), value: [r[x.id]!, r[y.id]!] })),
          },
        ],
      } as EChartsOption;
    }
    case 'heatmap': {
      const category = requireCategory();
      if (!spec.yCategory) throw new ReportError('invalid_query', 'a heatmap needs a yCategory dimension', ['chart', 'yCategory']);
      const yCategory = column(spec.yCategory, 'dimension', ['yCategory']);
      const measure = measures[0]!;
      const xs = distinct(category.id);
      const ys = distinct(yCategory.id);
      const values = rows.map((r) => r[measure.id] ?? null).filter((v): v is string => v !== null);
      const low = values.reduce<string | null>((m, v) => (m === null || compareDecimals(v, m) < 0 ? v : m), null);
      const high = values.reduce<string | null>((m, v) => (m === null || compareDecimals(v, m) > 0 ? v : m), null);
      return {
        ...title,
        tooltip: { position: 'top' },
        xAxis: { type: 'category', data: xs.map(name), splitArea: { show: true } },
        yAxis: { type: 'category', data: ys.map(name), splitArea: { show: true } },
        // The colour scale's ends are the only numbers: ECharts needs them as numbers, and they only pick colours.
        visualMap: { min: Number(low ?? 0), max: Number(high ?? 0), calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
        series: [
          {
            name: label(measure),
            type: 'heatmap',
            label: { show: true },
            data: rows.map((r) => [xs.indexOf(r[category.id] ?? null), ys.indexOf(r[yCategory.id] ?? null), r[measure.id] ?? '-']),
          },
        ],
      } as EChartsOption;
    }
    case 'gauge': {
      const measure = measures[0]!;
      if (rows.length !== 1) throw new ReportError('invalid_query', `a gauge shows one value; the query returned ${rows.length} rows`, ['chart']);
      return {
        ...title,
        series: [
          {
            name: label(measure),
            type: 'gauge',
            min: 0,
            max: Number(spec.max ?? '100'),
            detail: { formatter: '{value}' },
            data: [{ name: label(measure), value: rows[0]![measure.id] ?? null }],
          },
        ],
      } as EChartsOption;
    }
  }
}
