import type { ChartClick } from '../charts/EChart.js';
import type { DrillLinkTarget, ResultRow, RunResponse } from './report-api.js';

/** Where the report viewer goes on a drill-down: the child template and the values the click gave it. */
export interface DrillStep {
  templateId: number;
  parameters: Record<string, unknown>;
  label: string;
}

/** The drill-down link a click on a cell of `column` in row `index` follows (links with `on` need that column). */
export function linkForCell(links: DrillLinkTarget[] | undefined, column: string): DrillLinkTarget | undefined {
  return links?.find((link) => link.templateId !== null && (link.on === null || link.on.includes(column)));
}

/** The result row a chart click is about: the category (and series) values it shows, else its data index. */
export function rowForChartClick(response: RunResponse, click: ChartClick): number {
  const dimensions = response.columns.filter((c) => c.role === 'dimension').map((c) => c.id);
  const matches = (row: ResultRow, value: string | undefined) => value !== undefined && dimensions.some((d) => (row[d] ?? '—') === value);
  const name = click.name === undefined || click.name === null ? undefined : String(click.name);
  const byName = response.rows.map((row, i) => [row, i] as const).filter(([row]) => matches(row, name));
  if (byName.length === 1) return byName[0]![1];
  if (byName.length > 1 && click.seriesName) {
    const both = byName.find(([row]) => matches(row, click.seriesName));
    if (both) return both[1];
  }
  if (byName.length > 0) return byName[0]![1];
  return click.dataIndex >= 0 && click.dataIndex < response.rows.length ? click.dataIndex : -1;
}

/** The first drill-down of a clicked chart point, if the template has one that leads somewhere. */
export function chartDrill(response: RunResponse, click: ChartClick, locale: 'zh-CN' | 'en'): DrillStep | null {
  const index = rowForChartClick(response, click);
  if (index < 0) return null;
  const link = response.drillDowns[index]?.find((l) => l.templateId !== null);
  if (!link || link.templateId === null) return null;
  return { templateId: link.templateId, parameters: link.parameters, label: link.label?.[locale] ?? `${click.name}` };
}
