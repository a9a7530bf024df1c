import { lazy, Suspense } from 'react';
import type { EChartProps } from './EChart.js';
import { BlockLoading } from '../status.js';

const EChart = lazy(() => import('./EChart.js'));

/** The ECharts wrapper, loaded only when a chart is on screen. */
export function LazyEChart(props: EChartProps) {
  return (
    <Suspense fallback={<div style={{ height: props.height ?? 320 }}><BlockLoading /></div>}>
      <EChart {...props} />
    </Suspense>
  );
}
