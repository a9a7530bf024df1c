import * as echarts from 'echarts';

export type ChartOption = echarts.EChartsOption;

export interface ChartSize {
  /** SVG pixels; default 800 × 400. */
  width?: number;
  height?: number;
}

/**
 * Renders an ECharts option (the engine's `chartOption`) to SVG on the server with ECharts' own SSR
 * renderer: no DOM, no canvas, no browser. Animation is switched off, since only the final frame counts.
 */
export function renderChartSvg(option: ChartOption, size: ChartSize = {}): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width ?? 800, height: size.height ?? 400 });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
