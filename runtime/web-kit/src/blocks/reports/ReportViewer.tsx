import { DownloadOutlined } from '@ant-design/icons';
import { App, Breadcrumb, Button, Dropdown, Segmented, Space, Tag, Typography } from 'antd';
import { useMemo, useRef, useState } from 'react';
import { LazyEChart } from '../charts/LazyEChart.js';
import { useBlockContext } from '../context.js';
import { useRemote } from '../remote.js';
import { BlockEmpty, BlockError, BlockLoading } from '../status.js';
import { useBlockText } from '../words.js';
import { chartDrill, type DrillStep } from './drill.js';
import { ParameterBar } from './ParameterBar.js';
import { downloadExport, findTemplate, loadTemplate, runReport, TemplateMissing, type ExportFormat, type ReportView, type RunRequest, type TemplateRow } from './report-api.js';
import { PivotView, ResultTable } from './ResultTable.js';

export interface ReportViewerProps {
  /** The template by code (the newest visible version) … */
  template?: string;
  /** … or a template version by id. */
  templateId?: number;
  /** Parameters of the first run (a drill-down's values); the template's defaults fill the rest. */
  parameters?: Record<string, unknown>;
  /** Shown instead of the template's name. */
  title?: string;
}

interface Step {
  templateId: number | null;
  code?: string;
  parameters: Record<string, unknown>;
  label?: string;
}

async function resolveTemplate(step: Step, signal: AbortSignal): Promise<TemplateRow> {
  let id = step.templateId;
  if (id === null) {
    const found = await findTemplate(step.code!, signal);
    if (!found) throw new TemplateMissing(step.code!);
    id = found.id;
  }
  return loadTemplate(id, signal);
}

/**
 * 报表查看器: the template's parameter bar, its views (rows, subtotals, pivot, chart), paging, drill-down
 * into child reports (a breadcrumb leads back) and CSV/XLSX/PDF exports of what is shown.
 */
export function ReportViewer({ template, templateId, parameters, title }: ReportViewerProps) {
  const { t, locale } = useBlockText();
  const { message } = App.useApp();
  const ctx = useBlockContext();
  const [trail, setTrail] = useState<Step[]>(() => [{ templateId: templateId ?? null, code: template, parameters: parameters ?? {} }]);
  const step = trail[trail.length - 1]!;
  const stepKey = `${trail.length}:${step.templateId ?? step.code}:${JSON.stringify(step.parameters)}`;

  const [run, setRun] = useState<{ key: string; parameters: Record<string, unknown>; view?: ReportView; page: number; pageSize?: number }>({
    key: stepKey,
    parameters: step.parameters,
    page: 1,
  });
  // A new step (drill-down or back) starts from its own parameters.
  const current = run.key === stepKey ? run : { key: stepKey, parameters: step.parameters, page: 1 };

  const doc = useRemote((signal) => resolveTemplate(step, signal), `${step.templateId ?? step.code}`);
  // Each step's template name once known, for the breadcrumb back up the drill-down.
  const names = useRef(new Map<number, string>());
  if (doc.data && doc.status === 'done') names.current.set(trail.length - 1, doc.data.name);
  const request: RunRequest | null = doc.data && doc.status !== 'error' ? { template: doc.data.id, parameters: current.parameters, view: current.view, page: current.page, pageSize: current.pageSize } : null;
  const result = useRemote((signal) => (request ? runReport(request, signal) : new Promise<never>(() => {})), request ? JSON.stringify(request) : 'pending');
  const [exporting, setExporting] = useState<ExportFormat | null>(null);

  const views = useMemo<ReportView[]>(() => {
    const document = doc.data?.template;
    if (!document) return [];
    return (['table', 'grouped', 'pivot', 'chart'] as const).filter((v) => v === 'table' || document[v] !== undefined);
  }, [doc.data]);

  const drill = (next: DrillStep) => setTrail((t) => [...t, { templateId: next.templateId, parameters: next.parameters, label: next.label }]);

  const exportAs = async (format: ExportFormat) => {
    if (!request || exporting) return;
    setExporting(format);
    try {
      await downloadExport(request, format);
    } catch (error) {
      void message.error(error instanceof Error ? error.message : String(error));
    } finally {
      setExporting(null);
    }
  };

  if (doc.status === 'error') {
    return doc.error instanceof TemplateMissing ? <BlockEmpty description={t('templateMissing', { code: doc.error.code })} /> : <BlockError error={doc.error} onRetry={doc.reload} />;
  }
  if (!doc.data) return <BlockLoading />;

  const response = result.data;
  const view = current.view ?? response?.view ?? doc.data.template.view ?? 'table';
  let body;
  if (result.status === 'error') body = <BlockError error={result.error} onRetry={result.reload} />;
  else if (!response) body = <BlockLoading />;
  else if (response.view === 'pivot' && response.pivot) body = response.pivot.rows.length === 0 ? <BlockEmpty /> : <PivotView pivot={response.pivot} />;
  else if (response.view === 'chart') {
    body =
      response.rows.length === 0 || !response.chart ? (
        <BlockEmpty />
      ) : (
        <LazyEChart
          option={response.chart}
          height={420}
          dark={ctx.dark}
          onClick={(click) => {
            const next = chartDrill(response, click, locale);
            if (next) drill(next);
          }}
        />
      );
  } else if (response.rows.length === 0 && !response.grouped?.rows.length) body = <BlockEmpty />;
  else body = <ResultTable response={response} onDrill={drill} onPage={(page, pageSize) => setRun({ ...current, page, pageSize })} />;

  const exportMenu = {
    items: (['csv', 'xlsx', 'pdf'] as const).map((format) => ({ key: format, label: <span data-testid={`report-export-${format}`}>{format.toUpperCase()}</span> })),
    onClick: ({ key }: { key: string }) => void exportAs(key as ExportFormat),
  };

  return (
    <div className="sy-report" data-testid="report-viewer">
      <div className="sy-report__head">
        {trail.length > 1 ? (
          <Breadcrumb
            items={trail.map((s, i) => ({
              key: i,
              title:
                i < trail.length - 1 ? (
                  <Typography.Link onClick={() => setTrail((all) => all.slice(0, i + 1))}>{i === 0 ? (title ?? names.current.get(0)) : (names.current.get(i) ?? s.label)}</Typography.Link>
                ) : (
                  `${doc.data!.name}${s.label ? ` · ${s.label}` : ''}`
                ),
            }))}
          />
        ) : (
          <Typography.Title level={4} style={{ margin: 0 }}>
            {title ?? doc.data.name}
          </Typography.Title>
        )}
        <Space wrap>
          {trail.length > 1 && <Button onClick={() => setTrail((all) => all.slice(0, -1))} data-testid="report-back">{t('report.back')}</Button>}
          {views.length > 1 && (
            <Segmented
              value={view}
              onChange={(v) => setRun({ ...current, view: v as ReportView, page: 1 })}
              options={views.map((v) => ({ value: v, label: t(`report.views.${v}`) }))}
            />
          )}
          {response?.cached && <Tag>{t('report.cached')}</Tag>}
        </Space>
      </div>
      <ParameterBar
        fields={response?.parameterBar ?? []}
        values={Object.fromEntries((response?.parameterBar ?? []).map((f) => [f.id, f.value ?? undefined]))}
        busy={result.status === 'loading'}
        onRun={(values) => setRun({ ...current, parameters: values, page: 1 })}
        extra={
          <Dropdown menu={exportMenu} disabled={!response || exporting !== null}>
            <Button icon={<DownloadOutlined />} loading={exporting !== null} data-testid="report-export">
              {exporting ? t('report.exporting') : t('report.export')}
            </Button>
          </Dropdown>
        }
      />
      <div className="sy-report__body">{body}</div>
    </div>
  );
}

export default ReportViewer;
