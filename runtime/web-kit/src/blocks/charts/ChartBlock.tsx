import { Card, Modal } from 'antd';
import { lazy, Suspense, useState } from 'react';
import type { ChartBlockConfig } from '../../artifacts.js';
import { useBlockContext } from '../context.js';
import { chartDrill, type DrillStep } from '../reports/drill.js';
import { findTemplate, loadTemplate, runReport, TemplateMissing, type RunResponse } from '../reports/report-api.js';
import { useRemote } from '../remote.js';
import { BlockEmpty, BlockError, BlockLoading, BlockNotConfigured } from '../status.js';
import { useBlockText } from '../words.js';
import { chartSpecFor, idsOf, overrideType } from './chart-spec.js';
import { LazyEChart } from './LazyEChart.js';

const ReportViewer = lazy(() => import('../reports/ReportViewer.js'));

/**
 * Runs the chart's source as a chart view: the template's own chart spec (its type replaced by the
 * block's when set), else a spec from the query's dimensions and measures. The ECharts option comes from
 * the server.
 */
async function runChart(config: ChartBlockConfig, signal: AbortSignal): Promise<RunResponse> {
  const parameters = config.parameters;
  if (config.template) {
    const found = await findTemplate(config.template, signal);
    if (!found) throw new TemplateMissing(config.template);
    const { template } = await loadTemplate(found.id, signal);
    let chart = template.chart ? overrideType(template.chart, config.chart) : undefined;
    if (!chart) {
      const probe = await runReport({ template: found.id, parameters, view: 'table', pageSize: 1 }, signal);
      chart = chartSpecFor(config.chart, idsOf(probe.columns, 'dimension'), idsOf(probe.columns, 'measure'));
    }
    return runReport({ template: found.id, parameters, view: 'chart', chart: config.chart || !template.chart ? chart : undefined }, signal);
  }
  const { dataset, ...query } = config.query ?? {};
  const dimensions = Array.isArray(query.dimensions) ? (query.dimensions as string[]) : [];
  const measures = Array.isArray(query.measures) ? (query.measures as string[]) : [];
  return runReport({ dataset: dataset as string, query, parameters, view: 'chart', chart: chartSpecFor(config.chart, dimensions, measures) }, signal);
}

export function ChartBlock({ config }: { config: ChartBlockConfig }) {
  const { t, locale } = useBlockText();
  const ctx = useBlockContext();
  const [drill, setDrill] = useState<DrillStep | null>(null);
  const configured = Boolean(config.template || config.query?.dataset);
  const remote = useRemote((signal) => runChart(config, signal), JSON.stringify(config));
  const height = Math.max(120, Math.min(2000, Number(config.height) || 320));

  let body;
  if (!configured) body = <BlockNotConfigured what={t('block.chart')} />;
  else if (remote.status === 'error') {
    body = remote.error instanceof TemplateMissing ? <BlockEmpty description={t('templateMissing', { code: remote.error.code })} /> : <BlockError error={remote.error} onRetry={remote.reload} />;
  } else if (!remote.data) body = <div style={{ height }}><BlockLoading /></div>;
  else if (remote.data.rows.length === 0 || !remote.data.chart) body = <div style={{ height }}><BlockEmpty /></div>;
  else {
    const response = remote.data;
    body = (
      <LazyEChart
        option={response.chart!}
        height={height}
        dark={ctx.dark}
        ariaLabel={config.title ?? response.template?.name}
        onClick={(click) => {
          const step = chartDrill(response, click, locale);
          if (step) setDrill(step);
        }}
      />
    );
  }

  const title = config.title ?? remote.data?.template?.name;
  return (
    <Card className="sy-block sy-block--chart" data-testid="block-chart" size="small" title={title} variant="outlined">
      {body}
      <Modal open={drill !== null} onCancel={() => setDrill(null)} footer={null} width="min(1100px, 96vw)" title={drill?.label} destroyOnHidden>
        {drill && (
          <Suspense fallback={<BlockLoading />}>
            <ReportViewer templateId={drill.templateId} parameters={drill.parameters} />
          </Suspense>
        )}
      </Modal>
    </Card>
  );
}

export default ChartBlock;
