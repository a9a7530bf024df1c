import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Descriptions, Input, List, Pagination, Select, Space, Table, Typography } from 'antd';
import type { ColumnsType, SorterResult } from 'antd/es/table/interface';
import { useState, type ReactNode } from 'react';
import type { EntityContent, EntityField, TableBlockConfig } from '../../artifacts.js';
import { formatDateTime, formatDecimal } from '../format.js';
import { NARROW_WIDTH, useRemote, useWidth } from '../remote.js';
import { BlockEmpty, BlockError, BlockLoading, BlockNotConfigured } from '../status.js';
import { localized, useBlockText, type Locale } from '../words.js';
import { listRecords, loadEntityModel, type EntityRecord } from './entity-api.js';

/** A record's value shown by its field's type. */
export function fieldText(field: EntityField, value: unknown, locale: Locale, yesNo: [string, string]): ReactNode {
  if (value === undefined || value === null || value === '') return '—';
  switch (field.type) {
    case 'boolean':
      return value ? yesNo[0] : yesNo[1];
    case 'enum':
      return localized(field.options?.find((o) => o.value === value)?.label ?? String(value), locale);
    case 'decimal':
      return formatDecimal(String(value), field.scale);
    case 'datetime':
      return formatDateTime(String(value), locale);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

export interface EntityTableProps {
  config: TableBlockConfig;
  /** Offered as a 新建 button when given. */
  onCreate?: () => void;
  /** Offered as an 编辑 action per record when given. */
  onEdit?: (record: EntityRecord, model: EntityContent) => void;
  /** Changing it reloads the records (after a save elsewhere). */
  refreshKey?: number;
}

/** 数据表: an entity's records with search, filters, sorting and paging; cards on narrow widths. */
export function EntityTable({ config, onCreate, onEdit, refreshKey = 0 }: EntityTableProps) {
  const { t, locale } = useBlockText();
  const [box, width] = useWidth<HTMLDivElement>();
  const pageSizeDefault = Math.max(1, Math.min(200, Number(config.pageSize) || 10));
  const [query, setQuery] = useState({ page: 1, pageSize: pageSizeDefault, q: '', sort: undefined as string | undefined, filters: {} as Record<string, string | undefined> });
  const [search, setSearch] = useState('');
  const model = useRemote((signal) => loadEntityModel(config.entity, signal), config.entity ?? '');
  const records = useRemote(
    (signal) => (config.entity ? listRecords(config.entity, query, signal) : Promise.reject(new Error('no entity'))),
    `${config.entity}:${JSON.stringify(query)}:${refreshKey}`,
  );
  const yesNo: [string, string] = [t('yes'), t('no')];

  if (!config.entity) return <BlockNotConfigured what={t('block.table')} />;
  if (model.status === 'error') return <BlockError error={model.error} onRetry={model.reload} />;
  if (!model.data) return <BlockLoading />;
  const entity = model.data;
  const byName = new Map(entity.fields.map((f) => [f.name, f]));
  const shown = (config.columns?.length ? config.columns : entity.fields.filter((f) => f.type !== 'text').map((f) => f.name)).map((n) => byName.get(n)).filter((f): f is EntityField => Boolean(f));
  const columns = config.columns?.length ? shown : shown.slice(0, 8);
  const filterFields = (config.filters ?? []).map((n) => byName.get(n)).filter((f): f is EntityField => Boolean(f));
  const narrow = width > 0 && width < NARROW_WIDTH;
  const titleField = entity.titleField ? byName.get(entity.titleField) : columns[0];

  const tableColumns: ColumnsType<EntityRecord> = [
    ...columns.map((field) => ({
      key: field.name,
      title: localized(field.label, locale),
      dataIndex: ['data', field.name],
      sorter: true,
      sortOrder: query.sort === field.name ? ('ascend' as const) : query.sort === `-${field.name}` ? ('descend' as const) : null,
      align: field.type === 'decimal' || field.type === 'integer' ? ('right' as const) : ('left' as const),
      render: (_: unknown, record: EntityRecord) => fieldText(field, record.data[field.name], locale, yesNo),
    })),
    ...(onEdit
      ? [
          {
            key: '_actions',
            title: t('actions'),
            width: 90,
            render: (_: unknown, record: EntityRecord) => (
              <Typography.Link onClick={() => onEdit(record, entity)} data-testid="entity-edit">
                {t('edit')}
              </Typography.Link>
            ),
          },
        ]
      : []),
  ];

  const page = records.data;
  const toolbar = (
    <Space wrap className="sy-entity-table__toolbar">
      <Input.Search
        allowClear
        placeholder={t('searchPlaceholder')}
        aria-label={t('search')}
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        onSearch={(q) => setQuery((s) => ({ ...s, q: q.trim(), page: 1 }))}
        style={{ width: 220 }}
      />
      {filterFields.map((field) => {
        const label = localized(field.label, locale);
        const set = (value: string | undefined) => setQuery((s) => ({ ...s, page: 1, filters: { ...s.filters, [field.name]: value || undefined } }));
        if (field.type === 'enum' || field.type === 'boolean') {
          const options = field.type === 'boolean' ? [{ value: 'true', label: yesNo[0] }, { value: 'false', label: yesNo[1] }] : (field.options ?? []).map((o) => ({ value: o.value, label: localized(o.label, locale) }));
          return <Select key={field.name} allowClear placeholder={label} aria-label={label} style={{ minWidth: 140 }} value={query.filters[field.name]} onChange={set} options={options} />;
        }
        return <Input.Search key={field.name} allowClear placeholder={label} aria-label={label} style={{ width: 160 }} onSearch={(v) => set(v.trim())} />;
      })}
      <Button icon={<ReloadOutlined />} onClick={records.reload} aria-label={t('refresh')} />
      {onCreate && (
        <Button type="primary" icon={<PlusOutlined />} onClick={onCreate} data-testid="entity-create">
          {t('create')}
        </Button>
      )}
    </Space>
  );

  let body;
  if (records.status === 'error') body = <BlockError error={records.error} onRetry={records.reload} />;
  else if (narrow) {
    body = (
      <>
        <List
          loading={records.status === 'loading'}
          dataSource={page?.items ?? []}
          locale={{ emptyText: <BlockEmpty /> }}
          renderItem={(record) => (
            <List.Item key={record.id}>
              <Card
                size="small"
                style={{ width: '100%' }}
                title={titleField ? fieldText(titleField, record.data[titleField.name], locale, yesNo) : `#${record.id}`}
                extra={onEdit ? <Typography.Link onClick={() => onEdit(record, entity)}>{t('edit')}</Typography.Link> : undefined}
              >
                <Descriptions size="small" column={1} items={columns.filter((f) => f !== titleField).map((f) => ({ key: f.name, label: localized(f.label, locale), children: fieldText(f, record.data[f.name], locale, yesNo) }))} />
              </Card>
            </List.Item>
          )}
        />
        {page && page.total > query.pageSize && (
          <Pagination simple current={query.page} pageSize={query.pageSize} total={page.total} onChange={(p, size) => setQuery((s) => ({ ...s, page: p, pageSize: size }))} />
        )}
      </>
    );
  } else {
    body = (
      <Table<EntityRecord>
        rowKey="id"
        size="small"
        columns={tableColumns}
        dataSource={page?.items ?? []}
        loading={records.status === 'loading'}
        locale={{ emptyText: <BlockEmpty /> }}
        scroll={{ x: 'max-content' }}
        onChange={(pagination, _filters, sorter) => {
          const s = (Array.isArray(sorter) ? sorter[0] : sorter) as SorterResult<EntityRecord> | undefined;
          const key = typeof s?.columnKey === 'string' && s.order ? (s.order === 'descend' ? `-${s.columnKey}` : s.columnKey) : undefined;
          setQuery((q) => ({ ...q, page: key !== q.sort ? 1 : (pagination.current ?? 1), pageSize: pagination.pageSize ?? q.pageSize, sort: key }));
        }}
        pagination={{ current: query.page, pageSize: query.pageSize, total: page?.total ?? 0, showSizeChanger: true, showTotal: (total) => t('total', { count: total }) }}
      />
    );
  }
  return (
    <div ref={box} className="sy-entity-table" data-testid="entity-table">
      {toolbar}
      {body}
    </div>
  );
}

export function TableBlock({ config }: { config: TableBlockConfig }) {
  const { locale } = useBlockText();
  return (
    <Card className="sy-block sy-block--table" data-testid="block-table" size="small" title={config.title ?? undefined} variant="outlined">
      <EntityTable config={config} key={`${config.entity}:${locale}`} />
    </Card>
  );
}

export default TableBlock;
