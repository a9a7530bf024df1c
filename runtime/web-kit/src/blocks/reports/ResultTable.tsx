import { ArrowDownOutlined, ArrowUpOutlined, CheckCircleOutlined, WarningOutlined } from '@ant-design/icons';
import { Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { ReactNode } from 'react';
import { formatDecimal } from '../format.js';
import { localized, useBlockText, type Locale } from '../words.js';
import { linkForCell, type DrillStep } from './drill.js';
import type { Cell, CellStyle, DrillLinkTarget, GroupedTableRow, PivotTable, ResultColumn, ResultRow, RunResponse } from './report-api.js';

const numeric = (column: ResultColumn) => column.role === 'measure' || column.type === 'decimal' || column.type === 'integer';

const icons: Record<NonNullable<CellStyle['icon']>, ReactNode> = {
  up: <ArrowUpOutlined />,
  down: <ArrowDownOutlined />,
  warning: <WarningOutlined />,
  ok: <CheckCircleOutlined />,
};

function cellText(column: ResultColumn, value: Cell): string {
  return numeric(column) ? formatDecimal(value, column.scale) : (value ?? '—');
}

function StyledCell({ text, style }: { text: string; style?: CellStyle }) {
  if (!style) return <>{text}</>;
  return (
    <span className="sy-report__cell" style={{ color: style.color, backgroundColor: style.backgroundColor, fontWeight: style.fontWeight }}>
      {style.icon && <span className="sy-report__icon">{icons[style.icon]} </span>}
      {text}
    </span>
  );
}

function DrillableCell({ text, style, link, onDrill, locale }: { text: string; style?: CellStyle; link?: DrillLinkTarget; onDrill: (step: DrillStep) => void; locale: Locale }) {
  const content = <StyledCell text={text} style={style} />;
  if (!link || link.templateId === null) return content;
  return (
    <Typography.Link
      className="sy-report__drill"
      onClick={() => onDrill({ templateId: link.templateId!, parameters: link.parameters, label: link.label ? localized(link.label, locale) : text })}
    >
      {content}
    </Typography.Link>
  );
}

type Row = { key: number; values: ResultRow; kind?: GroupedTableRow['kind']; level?: number };

/** The table and grouped views: formatted cells, conditional styles, drill-down links, paging for the table. */
export function ResultTable({ response, onDrill, onPage }: { response: RunResponse; onDrill: (step: DrillStep) => void; onPage: (page: number, pageSize: number) => void }) {
  const { t, locale } = useBlockText();
  const grouped = response.view === 'grouped' ? response.grouped : undefined;
  const columns = grouped?.columns ?? response.columns;
  const styles = grouped?.styles ?? response.styles;
  const drills = grouped?.drillDowns ?? response.drillDowns;
  const rows: Row[] = grouped ? grouped.rows.map((r, i) => ({ key: i, values: r.values, kind: r.kind, level: r.level })) : response.rows.map((values, i) => ({ key: i, values }));

  // A subtotal or total names itself in its first empty dimension cell.
  const labelColumn = (row: Row) => columns.find((c) => c.role === 'dimension' && (row.values[c.id] ?? null) === null)?.id;
  const tableColumns: ColumnsType<Row> = columns.map((column) => ({
    key: column.id,
    dataIndex: ['values', column.id],
    title: localized(column.label, locale),
    align: numeric(column) ? 'right' : 'left',
    render: (_: unknown, row: Row) => {
      const value = row.values[column.id] ?? null;
      if (row.kind && row.kind !== 'row' && labelColumn(row) === column.id) return <strong>{row.kind === 'total' ? t('report.total') : t('report.subtotal')}</strong>;
      const text = cellText(column, value);
      return <DrillableCell text={text} style={styles[row.key]?.[column.id]} link={linkForCell(drills[row.key], column.id)} onDrill={onDrill} locale={locale} />;
    },
  }));

  return (
    <Table<Row>
      className="sy-report__table"
      data-testid="report-table"
      size="small"
      columns={tableColumns}
      dataSource={rows}
      rowClassName={(row) => (row.kind === 'total' ? 'sy-report__total' : row.kind === 'subtotal' ? 'sy-report__subtotal' : '')}
      scroll={{ x: 'max-content' }}
      pagination={
        grouped
          ? false
          : {
              current: response.page.page,
              pageSize: response.page.pageSize,
              total: response.page.total,
              showSizeChanger: true,
              showTotal: (total) => t('total', { count: total }),
              onChange: onPage,
            }
      }
    />
  );
}

interface HeaderNode {
  title: string;
  path: number[];
  children: HeaderNode[];
}

/** Column headers as a tree: consecutive column tuples sharing a first value share a header above them. */
function headerTree(tuples: Cell[][], depth: number, indices: number[], level = 0): HeaderNode[] {
  const nodes: HeaderNode[] = [];
  for (const index of indices) {
    const title = tuples[index]?.[level] ?? '—';
    const last = nodes[nodes.length - 1];
    if (last && last.title === title && level < depth - 1) last.path.push(index);
    else nodes.push({ title, path: [index], children: [] });
  }
  if (level < depth - 1) for (const node of nodes) node.children = headerTree(tuples, depth, node.path, level + 1);
  return nodes;
}

type PivotRow = { key: string; headers: Cell[]; cells: Cell[][]; totals: Cell[]; total?: boolean };

/** The pivot view: row headers, nested column headers, each measure per cell, row and column totals. */
export function PivotView({ pivot }: { pivot: PivotTable }) {
  const { t, locale } = useBlockText();
  const measures = pivot.measures;
  const leaf = (columnIndex: number | 'total', title: string) => {
    const read = (row: PivotRow, m: number) => (columnIndex === 'total' ? row.totals[m] : row.cells[columnIndex]?.[m]) ?? null;
    if (measures.length === 1) {
      return { key: `c${columnIndex}`, title, align: 'right' as const, render: (_: unknown, row: PivotRow) => formatDecimal(read(row, 0), measures[0]!.scale) };
    }
    return {
      key: `c${columnIndex}`,
      title,
      children: measures.map((m, i) => ({
        key: `c${columnIndex}-${m.id}`,
        title: localized(m.label, locale),
        align: 'right' as const,
        render: (_: unknown, row: PivotRow) => formatDecimal(read(row, i), m.scale),
      })),
    };
  };
  const build = (nodes: HeaderNode[]): ColumnsType<PivotRow> =>
    nodes.map((node) => (node.children.length > 0 ? { key: `g${node.path.join('-')}-${node.title}`, title: node.title, children: build(node.children) } : leaf(node.path[0]!, node.title)));

  const depth = pivot.columnDimensions.length;
  const columns: ColumnsType<PivotRow> = [
    ...pivot.rowDimensions.map((d, i) => ({
      key: `r${d.id}`,
      title: localized(d.label, locale),
      fixed: 'left' as const,
      render: (_: unknown, row: PivotRow) => (row.total ? (i === 0 ? <strong>{t('report.total')}</strong> : '') : (row.headers[i] ?? '—')),
    })),
    ...build(headerTree(pivot.columns, depth, pivot.columns.map((_, i) => i))),
    leaf('total', t('report.total')),
  ];
  const data: PivotRow[] = [
    ...pivot.rows.map((headers, i) => ({ key: `r${i}`, headers, cells: pivot.cells[i] ?? [], totals: pivot.rowTotals[i] ?? [] })),
    { key: 'total', headers: [], cells: pivot.columnTotals, totals: pivot.grandTotal, total: true },
  ];
  return (
    <Table<PivotRow>
      className="sy-report__pivot"
      data-testid="report-pivot"
      size="small"
      bordered
      columns={columns}
      dataSource={data}
      rowClassName={(row) => (row.total ? 'sy-report__total' : '')}
      scroll={{ x: 'max-content' }}
      pagination={false}
    />
  );
}
