import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Input, Select, Space, Table, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import type { ColumnsType } from 'antd/es/table/interface';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { onChange } from './changes.js';
import { useRemote } from '../remote.js';
import { BlockEmpty, BlockError, BlockNotConfigured } from '../status.js';
import { localized, useBlockText } from '../words.js';
import { cell, ProgressCell } from './cells.js';
import { anyBusy, filterDefault, isExtPath, linkedPath, readTableConfig, valueAt, type ExtColumn, type ExtTableConfig } from './config.js';
import { listExt, type ExtRow } from './ext-api.js';
import { ActionError, RowActions, Toolbar, useActionDialog, useExtActions } from './ExtActions.js';
import { useExtText } from './ext-words.js';
import { useSelection } from './selection.js';

/** Without configured columns: the first row's plain fields, at most eight. */
function guessColumns(rows: ExtRow[]): ExtColumn[] {
  const first = rows[0] ?? {};
  return Object.keys(first)
    .filter((k) => first[k] === null || typeof first[k] !== 'object')
    .slice(0, 8)
    .map((key) => ({ key, format: key === 'status' ? 'status' : 'text' }));
}

const RIGHT = ['litres', 'm3', 'fen', 'percent'];

/**
 * 扩展数据表: a paged table over a domain pack's list route (`{items, total, page, pageSize}`), with
 * filters sent as query parameters, row and toolbar actions that call the pack's routes (or pick a row
 * for the page), a progress column, and refreshing while some row is busy (a settlement running, say).
 * A table that follows a selection (`selection: {name, params}`) lists what belongs to the row picked
 * under that name: its path's placeholders and the `params` come from the row; before a pick it waits.
 */
export function ExtTable({ config }: { config: ExtTableConfig }) {
  const { t, locale } = useBlockText();
  const { tx } = useExtText();
  const selected = useSelection(config.selection?.name);
  const source = config.selection ? (selected ? linkedPath(config.path, selected, config.selection.params) : null) : config.path;
  const waiting = !!config.selection && source === null;
  const valid = isExtPath(config.path);
  const [query, setQuery] = useState(() => ({
    page: 1,
    pageSize: config.pageSize,
    filters: Object.fromEntries(config.filters.map((f) => [f.key, filterDefault(f)])) as Record<string, string | undefined>,
  }));
  // Another row picked: its first page.
  const [shownSource, setShownSource] = useState(source);
  if (shownSource !== source) {
    setShownSource(source);
    setQuery((q) => ({ ...q, page: 1 }));
  }
  // An automatic refresh keeps the rows in view without the loading veil.
  const quiet = useRef(false);
  const list = useRemote(
    (signal) =>
      !valid ? Promise.reject(new Error(t('ext.badPath')))
      : source === null ? Promise.resolve({ items: [], total: 0 })
      : listExt(source, { page: query.page, pageSize: query.pageSize, ...query.filters }, signal, config.itemsKey),
    `${source ?? ''}:${JSON.stringify(query)}`,
  );
  const { reload } = list;
  const loud = useCallback(() => {
    quiet.current = false;
    reload();
  }, [reload]);
  const runner = useExtActions(loud);
  const dialog = useActionDialog(runner);
  // A form on the page that wrote to the same resource (POST /readings → GET /readings) refreshes the list.
  useEffect(() => onChange(config.path, loud), [config.path, loud]);
  const rows = useMemo(() => list.data?.items ?? [], [list.data]);
  const busy = anyBusy(rows, config.busyStatuses);
  const seconds = config.refreshSeconds;
  const refreshing = seconds !== undefined && (config.busyStatuses.length === 0 || busy);

  useEffect(() => {
    if (!refreshing || !seconds || list.status !== 'done') return;
    const timer = setTimeout(() => {
      quiet.current = true;
      reload();
    }, seconds * 1000);
    return () => clearTimeout(timer);
  }, [refreshing, seconds, list.status, list.data, reload]);

  if (!valid) return <BlockNotConfigured what={`${t('block.ext-table')} — ${t('ext.badPath')}`} />;

  const setPage = (next: Partial<typeof query>) => {
    quiet.current = false;
    setQuery((q) => ({ ...q, ...next }));
  };
  const ctx = { locale, t, busyStatuses: config.busyStatuses };
  const shown = config.columns.length ? config.columns : guessColumns(rows);
  const keys = new Map(rows.map((r, i) => [r, `${i}:${String(r.id ?? '')}`]));
  const columns: ColumnsType<ExtRow> = shown.map((column) => ({
    key: column.key,
    title: localized(column.title, locale) || column.key,
    align: RIGHT.includes(column.format ?? 'text') ? 'right' : 'left',
    render: (_: unknown, row: ExtRow) => cell(column, valueAt(row, column.key), ctx),
  }));
  const { progress } = config;
  if (progress) {
    columns.push({
      key: '_progress',
      title: localized(progress.title, locale) || t('ext.progress'),
      render: (_: unknown, row: ExtRow) => <ProgressCell done={valueAt(row, progress.done)} total={valueAt(row, progress.total)} busy={config.busyStatuses.includes(String(row.status))} />,
    });
  }
  if (config.rowActions.length) {
    columns.push({
      key: '_actions',
      title: t('actions'),
      fixed: 'right',
      render: (_: unknown, row: ExtRow) => <RowActions actions={config.rowActions} row={row} rowKey={keys.get(row) ?? ''} runner={runner} dialog={dialog} />,
    });
  }

  const filters = config.filters.map((filter) => {
    const label = localized(filter.label, locale) || filter.key;
    const set = (value: string | undefined) => setPage({ page: 1, filters: { ...query.filters, [filter.key]: value?.trim() || undefined } });
    if (filter.kind === 'select') {
      const options = filter.options.map((o) => ({ value: o.value, label: localized(o.label, locale) }));
      return <Select key={filter.key} allowClear placeholder={label} aria-label={label} style={{ minWidth: 140 }} value={query.filters[filter.key]} onChange={set} options={options} />;
    }
    if (filter.kind === 'date' || filter.kind === 'month') {
      const format = filter.kind === 'month' ? 'YYYY-MM' : 'YYYY-MM-DD';
      const current = query.filters[filter.key];
      return (
        <DatePicker
          key={filter.key}
          picker={filter.kind === 'month' ? 'month' : 'date'}
          allowClear={!filter.required}
          placeholder={label}
          aria-label={label}
          value={current ? dayjs(current, format) : null}
          onChange={(value: Dayjs | null) => {
            if (value || !filter.required) set(value ? value.format(format) : undefined);
          }}
          data-testid={`ext-filter-${filter.key}`}
        />
      );
    }
    return <Input.Search key={filter.key} allowClear placeholder={label} aria-label={label} style={{ width: 180 }} defaultValue={filterDefault(filter)} onSearch={set} data-testid={`ext-filter-${filter.key}`} />;
  });

  return (
    <div className="sy-ext-table" data-testid="ext-table" data-busy={busy || undefined}>
      <Space wrap style={{ marginBottom: 12 }}>
        {filters}
        <Button icon={<ReloadOutlined />} onClick={loud} aria-label={t('refresh')} />
        <Toolbar actions={config.toolbar} runner={runner} dialog={dialog} />
        {refreshing && (
          <Typography.Text type="secondary" data-testid="ext-table-refreshing">
            {t('ext.autoRefresh', { seconds })}
          </Typography.Text>
        )}
      </Space>
      {runner.error !== null && <ActionError error={runner.error} onClose={runner.clearError} />}
      {dialog.element}
      {waiting ? (
        <BlockEmpty description={tx('selectFirst')} />
      ) : list.status === 'error' ? (
        <BlockError error={list.error} onRetry={loud} />
      ) : (
        <Table<ExtRow>
          rowKey={(row) => keys.get(row) ?? ''}
          size="small"
          columns={columns}
          dataSource={rows}
          loading={list.status === 'loading' && !quiet.current}
          locale={{ emptyText: <BlockEmpty /> }}
          scroll={{ x: 'max-content' }}
          onChange={(pagination) => setPage({ page: pagination.current ?? 1, pageSize: pagination.pageSize ?? query.pageSize })}
          pagination={{ current: query.page, pageSize: query.pageSize, total: list.data?.total ?? 0, showSizeChanger: true, showTotal: (total) => t('total', { count: total }) }}
        />
      )}
    </div>
  );
}

export function ExtTableBlock({ config: raw }: { config: Record<string, unknown> }) {
  const { locale } = useBlockText();
  const config = useMemo(() => readTableConfig(raw), [raw]);
  return (
    <Card className="sy-block sy-block--ext-table" data-testid="block-ext-table" size="small" title={localized(config.title, locale) || undefined} variant="outlined">
      <ExtTable config={config} key={`${config.path}:${locale}`} />
    </Card>
  );
}

export default ExtTableBlock;
