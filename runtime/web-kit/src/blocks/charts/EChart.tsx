import { BarChart, GaugeChart, HeatmapChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Only what the report engine's chart options and the device map use: the rest of ECharts stays out of the bundle.
echarts.use([
  BarChart,
  LineChart,
  PieChart,
  ScatterChart,
  HeatmapChart,
  GaugeChart,
  TitleComponent,
  TooltipComponent,
  LegendComponent,
  GridComponent,
  VisualMapComponent,
  DataZoomComponent,
  CanvasRenderer,
]);

/** What a click on a chart element says (a subset of ECharts' event params). */
export interface ChartClick {
  componentType: string;
  seriesIndex?: number;
  seriesName?: string;
  dataIndex: number;
  name: string;
  value: unknown;
}

export interface EChartProps {
  /** A plain-JSON ECharts option, as the runtime's report runs return it. */
  option: Record<string, unknown>;
  height?: number;
  dark?: boolean;
  onClick?: (click: ChartClick) => void;
  ariaLabel?: string;
}

/** One ECharts instance in a div, resized with its box, disposed on unmount. */
export function EChart({ option, height = 320, dark, onClick, ariaLabel }: EChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const instance = echarts.init(element, dark ? 'dark' : undefined, { renderer: 'canvas' });
    chart.current = instance;
    instance.on('click', (params) => clickRef.current?.(params as unknown as ChartClick));
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => instance.resize());
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, [dark]);

  useEffect(() => {
    const themed = dark ? { backgroundColor: 'transparent', ...option } : option;
    chart.current?.setOption(themed as echarts.EChartsCoreOption, true);
  }, [option, dark]);

  return <div ref={box} className="sy-echart" style={{ width: '100%', height }} role="img" aria-label={ariaLabel} />;
}

export default EChart;
