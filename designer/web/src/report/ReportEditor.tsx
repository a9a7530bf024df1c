import { DeleteOutlined, PlayCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { ApiError, useTranslation } from '@shuiyun/web-kit';
import { Alert, Button, Card, Checkbox, Col, Empty, Form, Input, InputNumber, Radio, Row, Select, Space, Spin, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { JsonTab } from '../common/JsonTab.js';
import { localized } from '../common/format.js';
import type { KindEditorProps } from '../editor/types.js';
import { fieldOf, messageOf } from '../lib/errors.js';
import { ChartPreview } from './ChartPreview.js';
import { ParameterInput } from './ParameterInput.js';
import { CHART_TYPES, VIEWS, reportsApi, type ChartSpec, type DatasetChoice, type DatasetDef, type ReportContent, type ReportQuery, type ResultColumn, type RunResponse } from './types.js';

/** Dataset choices: the tenant's own (which shadow a built-in one of the same code), then the built-in ones. */
function useDatasets() {
  const [choices, setChoices] = useState<DatasetChoice[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.allSettled([reportsApi.builtinDatasets(), reportsApi.datasets()])
      .then(([builtin, tenant]) => {
        const own = tenant.status === 'fulfilled' ? tenant.value.items.map((d): DatasetChoice => ({ code: d.code, label: d.label, origin: 'tenant', id: d.id })) : [];
        const codes = new Set(own.map((d) => d.code));
        const shared = builtin.status === 'fulfilled' ? builtin.value.items.filter((d) => !codes.has(d.id)).map((d): DatasetChoice => ({ code: d.id, label: d.label, origin: 'builtin', definition: d })) : [];
        setChoices([...own, ...shared]);
        const failed = [builtin, tenant].find((r) => r.status === 'rejected');
        if (failed && failed.status === 'rejected') setError(messageOf(failed.reason, ''));
      })
      .catch((e: unknown) => setError(messageOf(e, '')));
  }, []);
  return { choices, error };
}

function useDefinition(choices: DatasetChoice[] | null, code: string | undefined) {
  const [definitions, setDefinitions] = useState<Map<string, DatasetDef>>(new Map());
  const choice = choices?.find((c) => c.code === code);
  useEffect(() => {
    if (!choice || choice.definition || definitions.has(choice.code) || choice.id === undefined) return;
    reportsApi
      .dataset(choice.id)
      .then(({ definition }) => setDefinitions((m) => new Map(m).set(choice.code, definition)))
      .catch(() => undefined);
  }, [choice, definitions]);
  return choice ? (choice.definition ?? definitions.get(choice.code) ?? null) : null;
}

function ErrorList({ errors }: { errors: KindEditorProps['errors'] }) {
  const { t } = useTranslation();
  if (errors.length === 0) return null;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 12 }}
      message={t('report.errors')}
      description={
        <ul className="sy-plain-list">
          {errors.map((e, i) => (
            <li key={i}>
              {e.path && <Typography.Text code>{fieldOf(e)?.replace(/^content\./, '') ?? e.path}</Typography.Text>} {e.message}
            </li>
          ))}
        </ul>
      }
    />
  );
}

/** 报表模板设计: dataset, query, parameters, view and chart; a JSON tab; a preview that runs the draft. */
export default function ReportEditor({ artifact, value, onChange, readOnly, errors }: KindEditorProps<ReportContent>) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const report = value;
  const query: ReportQuery = report.query ?? {};
  const { choices, error: catalogueError } = useDatasets();
  const definition = useDefinition(choices, report.dataset?.code);
  const [tab, setTab] = useState('design');

  const set = (patch: Partial<ReportContent>) => {
    const next: ReportContent = { ...report, ...patch };
    for (const key of Object.keys(patch)) if (next[key] === undefined) delete next[key];
    onChange(next);
  };
  const setQuery = (patch: Partial<ReportQuery>) => {
    const next: ReportQuery = { ...query, ...patch };
    for (const key of Object.keys(patch)) if (next[key] === undefined) delete next[key];
    set({ query: next });
  };

  const dims = useMemo(() => (definition?.dimensions ?? []).map((d) => ({ value: d.id, label: `${localized(d.label, lang)} (${d.id})` })), [definition, lang]);
  const measures = useMemo(() => (definition?.measures ?? []).map((m) => ({ value: m.id, label: `${localized(m.label, lang)} (${m.id})` })), [definition, lang]);
  const selectedDims = query.dimensions ?? [];
  const selectedMeasures = query.measures ?? [];
  const queryDims = dims.filter((d) => selectedDims.includes(d.value));
  const queryMeasures = measures.filter((m) => selectedMeasures.includes(m.value));
  const columns = [...queryDims, ...queryMeasures];
  const view = report.view ?? 'table';
  const chart = report.chart;
  const setChart = (patch: Partial<ChartSpec>) => {
    const next = { ...(chart ?? { type: 'bar', measures: [] }), ...patch } as ChartSpec;
    for (const key of Object.keys(patch) as (keyof ChartSpec)[]) if (next[key] === undefined || next[key] === '') delete next[key];
    set({ chart: next });
  };

  const parameters = definition?.parameters ?? [];
  const bar = report.parameterBar;
  const shown = (id: string) => (bar ? bar.some((entry) => entry.parameter === id && !entry.hidden) : true);
  const toggleShown = (id: string, visible: boolean) => {
    const entries = bar ?? parameters.map((p) => ({ parameter: p.id }));
    set({ parameterBar: entries.map((entry) => (entry.parameter === id ? { ...entry, hidden: !visible } : entry)) });
  };

  const design = (
    <div className="sy-scroll">
      <div className="sy-report" data-testid="report-editor">
        <ErrorList errors={errors} />
        {catalogueError && <Alert type="warning" showIcon message={t('report.catalogueFailed', { reason: catalogueError })} style={{ marginBottom: 12 }} />}
        <Form layout="vertical" size="small" disabled={readOnly}>
          <Card size="small" title={t('report.dataset')}>
            <Row gutter={16}>
              <Col span={12}>
                <Form.Item label={t('report.dataset')} required>
                  <Select
                    showSearch
                    optionFilterProp="label"
                    loading={choices === null}
                    value={report.dataset?.code}
                    placeholder={t('report.chooseDataset')}
                    options={(choices ?? []).map((c) => ({
                      value: c.code,
                      label: `${localized(c.label, lang)} (${c.code})${c.origin === 'builtin' ? ' · ' + t('report.builtin') : ''}`,
                    }))}
                    onChange={(code: string) =>
                      set({ dataset: { code }, query: { kind: query.kind ?? 'aggregate', dimensions: [], measures: [] }, parameterBar: undefined, grouped: undefined, pivot: undefined, chart: undefined, table: undefined, view: 'table' })
                    }
                    data-testid="report-dataset"
                  />
                </Form.Item>
              </Col>
              <Col span={12}>{definition?.description && <Typography.Paragraph type="secondary">{localized(definition.description, lang)}</Typography.Paragraph>}</Col>
            </Row>
          </Card>

          {!report.dataset?.code ? (
            <Empty style={{ marginTop: 24 }} description={t('report.noDataset')} />
          ) : !definition ? (
            <Spin style={{ marginTop: 24 }} />
          ) : (
            <>
              <Card size="small" title={t('report.query')} style={{ marginTop: 12 }}>
                <Row gutter={16}>
                  <Col span={6}>
                    <Form.Item label={t('report.queryKind')}>
                      <Radio.Group value={query.kind ?? 'aggregate'} onChange={(e) => setQuery({ kind: e.target.value as ReportQuery['kind'], ...(e.target.value === 'detail' ? { measures: [] } : {}) })} optionType="button">
                        <Radio.Button value="aggregate">{t('report.aggregate')}</Radio.Button>
                        <Radio.Button value="detail">{t('report.detail')}</Radio.Button>
                      </Radio.Group>
                    </Form.Item>
                  </Col>
                  <Col span={9}>
                    <Form.Item label={t('report.dimensions')} help={t('report.dimensionsHelp')}>
                      <Select mode="multiple" value={selectedDims} options={dims} onChange={(dimensions: string[]) => setQuery({ dimensions })} data-testid="report-dimensions" />
                    </Form.Item>
                  </Col>
                  <Col span={9}>
                    <Form.Item label={t('report.measures')}>
                      <Select mode="multiple" value={selectedMeasures} options={measures} disabled={query.kind === 'detail' || readOnly} onChange={(next: string[]) => setQuery({ measures: next })} data-testid="report-measures" />
                    </Form.Item>
                  </Col>
                </Row>
                <Form.Item label={t('report.sort')}>
                  <Space direction="vertical" style={{ width: '100%' }}>
                    {(query.sort ?? []).map((s, i) => (
                      <Space key={i}>
                        <Select style={{ width: 240 }} value={s.field} options={columns} onChange={(field: string) => setQuery({ sort: query.sort!.map((x, k) => (k === i ? { ...x, field } : x)) })} />
                        <Select
                          style={{ width: 110 }}
                          value={s.direction ?? 'asc'}
                          options={[
                            { value: 'asc', label: t('report.asc') },
                            { value: 'desc', label: t('report.desc') },
                          ]}
                          onChange={(direction: 'asc' | 'desc') => setQuery({ sort: query.sort!.map((x, k) => (k === i ? { ...x, direction } : x)) })}
                        />
                        <Button type="text" danger icon={<DeleteOutlined />} onClick={() => setQuery({ sort: query.sort!.filter((_, k) => k !== i) })} aria-label={t('entity.remove')} />
                      </Space>
                    ))}
                    <Button size="small" icon={<PlusOutlined />} disabled={columns.length === 0 || readOnly} onClick={() => setQuery({ sort: [...(query.sort ?? []), { field: columns[0]!.value, direction: 'asc' }] })}>
                      {t('report.addSort')}
                    </Button>
                  </Space>
                </Form.Item>
              </Card>

              <Card size="small" title={t('report.parameters')} style={{ marginTop: 12 }}>
                {parameters.length === 0 ? (
                  <Typography.Text type="secondary">{t('report.noParameters')}</Typography.Text>
                ) : (
                  <Table
                    size="small"
                    pagination={false}
                    rowKey="id"
                    dataSource={parameters}
                    columns={[
                      {
                        title: t('report.parameter'),
                        render: (_: unknown, p) => (
                          <Space>
                            {localized(p.label, lang)}
                            <Typography.Text type="secondary" code>
                              {p.id}
                            </Typography.Text>
                            {p.required && <Tag color="red">{t('report.required')}</Tag>}
                          </Space>
                        ),
                      },
                      { title: t('report.parameterType'), width: 110, render: (_: unknown, p) => t(`report.paramTypes.${p.type}`) },
                      {
                        title: t('report.defaultValue'),
                        width: 360,
                        render: (_: unknown, p) => (
                          <ParameterInput
                            parameter={p}
                            value={query.parameters?.[p.id] ?? undefined}
                            onChange={(v) => {
                              const next = { ...(query.parameters ?? {}) };
                              if (v === undefined) delete next[p.id];
                              else next[p.id] = v;
                              setQuery({ parameters: Object.keys(next).length > 0 ? next : undefined });
                            }}
                            testId={`report-param-${p.id}`}
                          />
                        ),
                      },
                      {
                        title: t('report.inBar'),
                        width: 100,
                        align: 'center',
                        render: (_: unknown, p) => <Checkbox checked={shown(p.id)} disabled={readOnly} onChange={(e) => toggleShown(p.id, e.target.checked)} />,
                      },
                    ]}
                  />
                )}
              </Card>

              <Card size="small" title={t('report.view')} style={{ marginTop: 12 }}>
                <Form.Item label={t('report.defaultView')}>
                  <Radio.Group
                    value={view}
                    optionType="button"
                    onChange={(e) => {
                      const next = e.target.value as ReportContent['view'];
                      const patch: Partial<ReportContent> = { view: next };
                      if (next === 'grouped' && !report.grouped) patch.grouped = { groupBy: selectedDims.slice(0, 1) };
                      if (next === 'pivot' && !report.pivot) patch.pivot = { rows: selectedDims.slice(0, 1), columns: selectedDims.slice(1, 2) };
                      if (next === 'chart' && !report.chart) patch.chart = { type: 'bar', ...(selectedDims[0] ? { category: selectedDims[0] } : {}), measures: selectedMeasures.slice(0, 1) };
                      set(patch);
                    }}
                    options={VIEWS.map((v) => ({ value: v, label: t(`report.views.${v}`) }))}
                    data-testid="report-view"
                  />
                </Form.Item>
                {view === 'table' && (
                  <Row gutter={16}>
                    <Col span={6}>
                      <Form.Item label={t('report.pageSize')}>
                        <InputNumber min={1} max={10000} value={report.table?.pageSize} placeholder="50" onChange={(pageSize) => set({ table: pageSize ? { ...report.table, pageSize } : { ...report.table, pageSize: undefined } })} style={{ width: '100%' }} />
                      </Form.Item>
                    </Col>
                    <Col span={18}>
                      <Form.Item label={t('report.columns')} help={t('report.columnsHelp')}>
                        <Select mode="multiple" value={report.table?.columns ?? []} options={columns} onChange={(cols: string[]) => set({ table: { ...report.table, columns: cols.length > 0 ? cols : undefined } })} />
                      </Form.Item>
                    </Col>
                  </Row>
                )}
                {view === 'grouped' && (
                  <Row gutter={16}>
                    <Col span={16}>
                      <Form.Item label={t('report.groupBy')} help={t('report.groupByHelp')}>
                        <Select mode="multiple" value={report.grouped?.groupBy ?? []} options={queryDims} onChange={(groupBy: string[]) => set({ grouped: { ...report.grouped, groupBy } })} />
                      </Form.Item>
                    </Col>
                    <Col span={8}>
                      <Form.Item label={t('report.grandTotal')}>
                        <Switch checked={report.grouped?.grandTotal ?? true} onChange={(grandTotal) => set({ grouped: { groupBy: report.grouped?.groupBy ?? [], grandTotal } })} />
                      </Form.Item>
                    </Col>
                  </Row>
                )}
                {view === 'pivot' && (
                  <Row gutter={16}>
                    <Col span={8}>
                      <Form.Item label={t('report.pivotRows')}>
                        <Select mode="multiple" value={report.pivot?.rows ?? []} options={dims} onChange={(rows: string[]) => set({ pivot: { columns: report.pivot?.columns ?? [], ...report.pivot, rows } })} />
                      </Form.Item>
                    </Col>
                    <Col span={8}>
                      <Form.Item label={t('report.pivotColumns')}>
                        <Select mode="multiple" value={report.pivot?.columns ?? []} options={dims} onChange={(cols: string[]) => set({ pivot: { rows: report.pivot?.rows ?? [], ...report.pivot, columns: cols } })} />
                      </Form.Item>
                    </Col>
                    <Col span={8}>
                      <Form.Item label={t('report.pivotMeasures')}>
                        <Select mode="multiple" value={report.pivot?.measures ?? []} options={queryMeasures} onChange={(m: string[]) => set({ pivot: { rows: report.pivot?.rows ?? [], columns: report.pivot?.columns ?? [], ...(m.length > 0 ? { measures: m } : {}) } })} />
                      </Form.Item>
                    </Col>
                  </Row>
                )}
              </Card>

              <Card
                size="small"
                title={t('report.chart')}
                style={{ marginTop: 12 }}
                extra={
                  <Switch
                    checked={Boolean(chart)}
                    disabled={readOnly || view === 'chart'}
                    onChange={(on) => set({ chart: on ? { type: 'bar', ...(selectedDims[0] ? { category: selectedDims[0] } : {}), measures: selectedMeasures.slice(0, 1) } : undefined })}
                    data-testid="report-chart-toggle"
                  />
                }
              >
                {!chart ? (
                  <Typography.Text type="secondary">{t('report.noChart')}</Typography.Text>
                ) : (
                  <Row gutter={16}>
                    <Col span={6}>
                      <Form.Item label={t('report.chartType')}>
                        <Select value={chart.type} options={CHART_TYPES.map((c) => ({ value: c, label: t(`report.charts.${c}`) }))} onChange={(type: ChartSpec['type']) => setChart({ type })} data-testid="report-chart-type" />
                      </Form.Item>
                    </Col>
                    <Col span={6}>
                      <Form.Item label={t('report.chartTitle')}>
                        <Input value={chart.title ?? ''} onChange={(e) => setChart({ title: e.target.value || undefined })} />
                      </Form.Item>
                    </Col>
                    {chart.type !== 'gauge' && chart.type !== 'scatter' && (
                      <Col span={6}>
                        <Form.Item label={chart.type === 'pie' ? t('report.slices') : t('report.category')}>
                          <Select allowClear value={chart.category} options={queryDims} onChange={(category?: string) => setChart({ category })} />
                        </Form.Item>
                      </Col>
                    )}
                    {['line', 'bar', 'stackedBar'].includes(chart.type) && (
                      <Col span={6}>
                        <Form.Item label={t('report.series')} help={t('report.seriesHelp')}>
                          <Select allowClear value={chart.series} options={queryDims} onChange={(series?: string) => setChart({ series })} />
                        </Form.Item>
                      </Col>
                    )}
                    {chart.type === 'heatmap' && (
                      <Col span={6}>
                        <Form.Item label={t('report.yCategory')}>
                          <Select allowClear value={chart.yCategory} options={queryDims} onChange={(yCategory?: string) => setChart({ yCategory })} />
                        </Form.Item>
                      </Col>
                    )}
                    <Col span={12}>
                      <Form.Item label={t('report.chartMeasures')} help={t(`report.chartMeasuresHelp.${chart.type}`, { defaultValue: '' }) || undefined}>
                        <Select mode="multiple" value={chart.measures} options={queryMeasures} onChange={(m: string[]) => setChart({ measures: m })} data-testid="report-chart-measures" />
                      </Form.Item>
                    </Col>
                    {chart.type === 'dualAxis' && (
                      <Col span={12}>
                        <Form.Item label={t('report.secondary')}>
                          <Select mode="multiple" value={chart.secondary ?? []} options={queryMeasures} onChange={(m: string[]) => setChart({ secondary: m.length > 0 ? m : undefined })} />
                        </Form.Item>
                      </Col>
                    )}
                    {chart.type === 'gauge' && (
                      <Col span={6}>
                        <Form.Item label={t('report.gaugeMax')}>
                          <Input value={chart.max ?? ''} placeholder="100" onChange={(e) => setChart({ max: e.target.value.trim() || undefined })} />
                        </Form.Item>
                      </Col>
                    )}
                    {['bar', 'stackedBar'].includes(chart.type) && (
                      <Col span={4}>
                        <Form.Item label={t('report.horizontal')}>
                          <Switch checked={Boolean(chart.horizontal)} onChange={(horizontal) => setChart({ horizontal: horizontal || undefined })} />
                        </Form.Item>
                      </Col>
                    )}
                    {['line', 'dualAxis'].includes(chart.type) && (
                      <Col span={4}>
                        <Form.Item label={t('report.smooth')}>
                          <Switch checked={Boolean(chart.smooth)} onChange={(smooth) => setChart({ smooth: smooth || undefined })} />
                        </Form.Item>
                      </Col>
                    )}
                  </Row>
                )}
              </Card>
            </>
          )}
        </Form>
      </div>
    </div>
  );

  return (
    <Tabs
      className="sy-kind-tabs"
      activeKey={tab}
      onChange={setTab}
      items={[
        { key: 'design', label: <span data-testid="report-design-tab">{t('report.design')}</span>, children: design },
        {
          key: 'preview',
          label: <span data-testid="report-preview-tab">{t('report.preview')}</span>,
          children: tab === 'preview' && <Preview report={report} definition={definition} code={artifact.code} />,
        },
        { key: 'json', label: <span data-testid="report-json-tab">JSON</span>, children: <JsonTab value={report} onChange={(next) => onChange(next as ReportContent)} readOnly={readOnly} /> },
      ]}
    />
  );
}

function columnTitle(column: ResultColumn, lang: string) {
  return localized(column.label, lang) || column.id;
}

function cell(value: unknown) {
  if (value === null || value === undefined) return <Typography.Text type="secondary">—</Typography.Text>;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Runs the draft (not a published version) through `POST /api/reports/run` and shows what a viewer would see. */
function Preview({ report, definition }: { report: ReportContent; definition: DatasetDef | null; code: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [values, setValues] = useState<Record<string, unknown>>(() => ({ ...(report.query?.parameters ?? {}) }));
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<{ message: string; details: string[] } | null>(null);
  const [result, setResult] = useState<{ table: RunResponse; chart?: RunResponse; view?: RunResponse } | null>(null);
  const [page, setPage] = useState(1);

  const body = (view: string, extra: Record<string, unknown> = {}) => {
    const { limit: _limit, ...query } = report.query ?? {};
    const request: Record<string, unknown> = {
      dataset: report.dataset!.code,
      query: { ...query, parameters: { ...(query.parameters ?? {}), ...values } },
      view,
      ...extra,
    };
    for (const key of ['grouped', 'pivot', 'chart', 'formats', 'drillDowns'] as const) if (report[key] !== undefined) request[key] = report[key];
    return request;
  };

  const run = async (pageNo = 1) => {
    if (!report.dataset?.code) return;
    setRunning(true);
    setError(null);
    try {
      const pageSize = report.table?.pageSize ?? 50;
      const view = report.view ?? 'table';
      const [table, chart, shaped] = await Promise.all([
        reportsApi.run(body('table', { page: pageNo, pageSize })),
        report.chart ? reportsApi.run(body('chart')) : Promise.resolve(undefined),
        view === 'grouped' || view === 'pivot' ? reportsApi.run(body(view)) : Promise.resolve(undefined),
      ]);
      setPage(pageNo);
      setResult({ table, ...(chart ? { chart } : {}), ...(shaped ? { view: shaped } : {}) });
    } catch (e) {
      setResult(null);
      setError({
        message: e instanceof ApiError ? e.message : messageOf(e, t('kit:unknownError')),
        details: e instanceof ApiError ? e.details.map((d) => `${d.path ? d.path + ': ' : ''}${d.message}`) : [],
      });
    } finally {
      setRunning(false);
    }
  };

  if (!report.dataset?.code) return <Empty description={t('report.noDataset')} />;
  const table = result?.table;
  const shownColumns = report.table?.columns?.length ? table?.columns.filter((c) => report.table!.columns!.includes(c.id)) : table?.columns;

  return (
    <div className="sy-scroll">
      <div className="sy-report-preview" data-testid="report-preview">
        <Card size="small">
          <Form layout="inline" size="small">
            {(definition?.parameters ?? []).map((p) => (
              <Form.Item key={p.id} label={localized(p.label, lang)} required={p.required} style={{ marginBottom: 8, minWidth: 260 }}>
                <ParameterInput
                  parameter={p}
                  value={values[p.id]}
                  onChange={(v) =>
                    setValues((old) => {
                      const next = { ...old };
                      if (v === undefined) delete next[p.id];
                      else next[p.id] = v;
                      return next;
                    })
                  }
                />
              </Form.Item>
            ))}
            <Form.Item>
              <Button type="primary" icon={<PlayCircleOutlined />} loading={running} onClick={() => void run(1)} data-testid="report-preview-run">
                {t('report.run')}
              </Button>
            </Form.Item>
          </Form>
        </Card>
        {error && (
          <Alert
            type="error"
            showIcon
            style={{ marginTop: 12 }}
            message={error.message}
            description={error.details.length > 0 && <ul className="sy-plain-list">{error.details.map((d, i) => <li key={i}>{d}</li>)}</ul>}
            data-testid="report-preview-error"
          />
        )}
        {!result && !error && !running && <Empty style={{ marginTop: 24 }} description={t('report.runHint')} />}
        {result?.chart?.chart && (
          <Card size="small" title={t('report.chart')} style={{ marginTop: 12 }}>
            <ChartPreview option={result.chart.chart} />
          </Card>
        )}
        {result?.view?.grouped && (
          <Card size="small" title={t('report.views.grouped')} style={{ marginTop: 12 }}>
            <Table
              size="small"
              rowKey={(_, i) => String(i)}
              pagination={false}
              scroll={{ x: true }}
              dataSource={result.view.grouped.rows}
              rowClassName={(row) => (row.kind === 'row' ? '' : 'sy-subtotal')}
              columns={result.view.grouped.columns.map((c, ci) => ({
                title: columnTitle(c, lang),
                key: c.id,
                align: c.role === 'measure' ? ('right' as const) : undefined,
                render: (_: unknown, row) => (ci === 0 && row.kind === 'total' ? t('report.total') : ci === row.level && row.kind === 'subtotal' && c.role === 'dimension' ? t('report.subtotal') : cell(row.values[c.id])),
              }))}
            />
          </Card>
        )}
        {result?.view?.pivot && <PivotPreview pivot={result.view.pivot} />}
        {table && (
          <Card
            size="small"
            title={
              <Space>
                {t('report.views.table')}
                {table.cached && <Tag>{t('report.cached')}</Tag>}
              </Space>
            }
            style={{ marginTop: 12 }}
          >
            <Table
              size="small"
              rowKey={(_, i) => String(i)}
              dataSource={table.rows}
              scroll={{ x: true }}
              data-testid="report-table"
              pagination={{ current: page, pageSize: table.page.pageSize || 50, total: table.page.total, showSizeChanger: false, onChange: (p) => void run(p), showTotal: (total) => t('kit:total', { count: total }) }}
              columns={(shownColumns ?? []).map((c) => ({ title: columnTitle(c, lang), dataIndex: c.id, align: c.role === 'measure' ? ('right' as const) : undefined, render: cell }))}
            />
          </Card>
        )}
      </div>
    </div>
  );
}

function PivotPreview({ pivot }: { pivot: NonNullable<RunResponse['pivot']> }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return (
    <Card size="small" title={t('report.views.pivot')} style={{ marginTop: 12 }}>
      <div style={{ overflow: 'auto' }}>
        <table className="sy-pivot">
          <thead>
            <tr>
              {pivot.rowDimensions.map((d) => (
                <th key={d.id}>{columnTitle(d, lang)}</th>
              ))}
              {pivot.columns.map((header, i) =>
                pivot.measures.map((m) => (
                  <th key={`${i}-${m.id}`}>
                    {header.map((h) => String(h ?? '—')).join(' / ')}
                    {pivot.measures.length > 1 ? ` · ${columnTitle(m, lang)}` : ''}
                  </th>
                )),
              )}
            </tr>
          </thead>
          <tbody>
            {pivot.rows.map((header, r) => (
              <tr key={r}>
                {header.map((h, i) => (
                  <th key={i}>{String(h ?? '—')}</th>
                ))}
                {pivot.columns.map((_, c) => pivot.measures.map((m, k) => <td key={`${c}-${m.id}`}>{cell(pivot.cells[r]?.[c]?.[k])}</td>))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
