import type { ChartBlockConfig } from '../../artifacts.js';
import type { ResultColumn } from '../reports/report-api.js';

/** The block's chart names (artifacts.ts) as the report engine's chart types. */
const engineType: Record<NonNullable<ChartBlockConfig['chart']>, string> = {
  line: 'line',
  bar: 'bar',
  stacked: 'stackedBar',
  pie: 'pie',
  scatter: 'scatter',
  heatmap: 'heatmap',
  gauge: 'gauge',
  'dual-axis': 'dualAxis',
};

/**
 * A chart spec for the engine from a query's shape, when neither the template nor the block has one:
 * the first dimension is the category, a second one splits series (one measure) or is the heatmap's y.
 */
export function chartSpecFor(type: ChartBlockConfig['chart'] | undefined, dimensions: string[], measures: string[], title?: string): Record<string, unknown> {
  const kind = engineType[type ?? 'bar'] ?? 'bar';
  const spec: Record<string, unknown> = { type: kind, measures: measures.slice(0, 10) };
  if (title) spec.title = title.slice(0, 200);
  if (dimensions[0] && kind !== 'gauge') spec.category = dimensions[0];
  if (kind === 'heatmap' && dimensions[1]) spec.yCategory = dimensions[1];
  else if (['line', 'bar', 'stackedBar'].includes(kind) && dimensions[1] && measures.length === 1) spec.series = dimensions[1];
  if (kind === 'dualAxis' && measures.length > 1) {
    spec.measures = measures.slice(0, -1);
    spec.secondary = measures.slice(-1);
  }
  if (kind === 'pie' || kind === 'gauge') spec.measures = measures.slice(0, 1);
  if (kind === 'scatter') spec.measures = measures.slice(0, 2);
  return spec;
}

/** The block's chart type over the template's own spec (which keeps its fields). */
export function overrideType(spec: Record<string, unknown>, type: ChartBlockConfig['chart'] | undefined): Record<string, unknown> {
  if (!type) return spec;
  return { ...spec, type: engineType[type] ?? spec.type };
}

export function idsOf(columns: ResultColumn[], role: ResultColumn['role']): string[] {
  return columns.filter((c) => c.role === role).map((c) => c.id);
}
