import type { Bilingual, BlockType } from '../artifacts.js';

/** Every block a page can place: the platform's own and the generic ones over a pack's routes (`ext-table`, `ext-form`). */
export type PageBlockType = BlockType;

export const BLOCK_TYPES: PageBlockType[] = ['chart', 'kpi', 'table', 'entity-form', 'task-list', 'process-start', 'device-map', 'report', 'ext-table', 'ext-form'];

/**
 * One setting of a block, as the page designer edits it: plain text, a number, a yes/no, a choice, a
 * list of names (comma-separated in the editor), JSON, or a choice of something the runtime has
 * (report templates, entity models, process definitions).
 */
export interface BlockSetting {
  name: string;
  label: Bilingual;
  kind: 'text' | 'number' | 'checkbox' | 'select' | 'list' | 'json';
  /** Where a select's choices come from; fixed `options` otherwise. */
  source?: 'templates' | 'entities' | 'processes';
  options?: { value: string; label: Bilingual }[];
  required?: boolean;
}

export interface BlockDescription {
  type: PageBlockType;
  label: Bilingual;
  /** What a new block starts with. */
  defaults: Record<string, unknown>;
  settings: BlockSetting[];
}

const title: BlockSetting = { name: 'title', label: { 'zh-CN': '标题', en: 'Title' }, kind: 'text' };
const height: BlockSetting = { name: 'height', label: { 'zh-CN': '高度（像素）', en: 'Height (px)' }, kind: 'number' };
const template: BlockSetting = { name: 'template', label: { 'zh-CN': '报表模板', en: 'Report template' }, kind: 'select', source: 'templates' };
const entity: BlockSetting = { name: 'entity', label: { 'zh-CN': '实体', en: 'Entity' }, kind: 'select', source: 'entities', required: true };
const parameters: BlockSetting = { name: 'parameters', label: { 'zh-CN': '参数（JSON）', en: 'Parameters (JSON)' }, kind: 'json' };
const query: BlockSetting = { name: 'query', label: { 'zh-CN': '即席查询（JSON）', en: 'Ad-hoc query (JSON)' }, kind: 'json' };
const extPath: BlockSetting = { name: 'path', label: { 'zh-CN': '扩展接口路径（/api/ext/…）', en: 'Pack route (/api/ext/…)' }, kind: 'text', required: true };
const pageSize: BlockSetting = { name: 'pageSize', label: { 'zh-CN': '每页条数', en: 'Rows per page' }, kind: 'number' };

const chartTypes: { value: string; label: Bilingual }[] = [
  { value: '', label: { 'zh-CN': '按模板', en: 'As the template' } },
  { value: 'line', label: { 'zh-CN': '折线图', en: 'Line' } },
  { value: 'bar', label: { 'zh-CN': '柱状图', en: 'Bar' } },
  { value: 'stacked', label: { 'zh-CN': '堆叠柱状图', en: 'Stacked bar' } },
  { value: 'pie', label: { 'zh-CN': '饼图', en: 'Pie' } },
  { value: 'scatter', label: { 'zh-CN': '散点图', en: 'Scatter' } },
  { value: 'heatmap', label: { 'zh-CN': '热力图', en: 'Heatmap' } },
  { value: 'gauge', label: { 'zh-CN': '仪表盘', en: 'Gauge' } },
  { value: 'dual-axis', label: { 'zh-CN': '双轴图', en: 'Dual axis' } },
];

/** Every block a page can place, with its settings: the designer's palette and trait panel read this. */
export const BLOCK_CATALOGUE: BlockDescription[] = [
  {
    type: 'chart',
    label: { 'zh-CN': '图表', en: 'Chart' },
    defaults: { height: 320 },
    settings: [template, { name: 'chart', label: { 'zh-CN': '图表类型', en: 'Chart type' }, kind: 'select', options: chartTypes }, title, height, parameters, query],
  },
  {
    type: 'kpi',
    label: { 'zh-CN': '指标卡', en: 'KPI card' },
    defaults: {},
    settings: [template, { name: 'measure', label: { 'zh-CN': '指标', en: 'Measure' }, kind: 'text' }, title, { name: 'unit', label: { 'zh-CN': '单位', en: 'Unit' }, kind: 'text' }, parameters, query],
  },
  {
    type: 'table',
    label: { 'zh-CN': '数据表', en: 'Data table' },
    defaults: { pageSize: 10 },
    settings: [
      entity,
      title,
      { name: 'columns', label: { 'zh-CN': '显示列（逗号分隔）', en: 'Columns (comma-separated)' }, kind: 'list' },
      { name: 'filters', label: { 'zh-CN': '筛选字段（逗号分隔）', en: 'Filter fields (comma-separated)' }, kind: 'list' },
      pageSize,
    ],
  },
  { type: 'entity-form', label: { 'zh-CN': '实体表单', en: 'Entity form' }, defaults: {}, settings: [entity, title] },
  { type: 'task-list', label: { 'zh-CN': '待办列表', en: 'Task list' }, defaults: { pageSize: 10 }, settings: [title, pageSize] },
  {
    type: 'process-start',
    label: { 'zh-CN': '发起流程', en: 'Start process' },
    defaults: {},
    settings: [
      { name: 'processId', label: { 'zh-CN': '流程', en: 'Process' }, kind: 'select', source: 'processes', required: true },
      { name: 'label', label: { 'zh-CN': '按钮文字', en: 'Button text' }, kind: 'text' },
      { name: 'variables', label: { 'zh-CN': '初始变量（JSON）', en: 'Start variables (JSON)' }, kind: 'json' },
    ],
  },
  {
    type: 'device-map',
    label: { 'zh-CN': '设备地图', en: 'Device map' },
    defaults: { height: 420 },
    settings: [title, height, { name: 'product', label: { 'zh-CN': '产品（编码或 ID）', en: 'Product (code or id)' }, kind: 'text' }],
  },
  { type: 'report', label: { 'zh-CN': '报表', en: 'Report' }, defaults: {}, settings: [{ ...template, required: true }, title] },
  {
    type: 'ext-table',
    label: { 'zh-CN': '扩展数据表', en: 'Pack table' },
    defaults: { pageSize: 20 },
    settings: [
      extPath,
      title,
      { name: 'columns', label: { 'zh-CN': '列（JSON：[{key, title, format}]）', en: 'Columns (JSON: [{key, title, format}])' }, kind: 'json' },
      pageSize,
      { name: 'filters', label: { 'zh-CN': '筛选（JSON：[{key, label, kind, options}]）', en: 'Filters (JSON: [{key, label, kind, options}])' }, kind: 'json' },
      { name: 'rowActions', label: { 'zh-CN': '行操作（JSON）', en: 'Row actions (JSON)' }, kind: 'json' },
      { name: 'toolbar', label: { 'zh-CN': '工具栏操作（JSON）', en: 'Toolbar actions (JSON)' }, kind: 'json' },
      { name: 'progress', label: { 'zh-CN': '进度列（JSON：{done, total}）', en: 'Progress column (JSON: {done, total})' }, kind: 'json' },
      { name: 'busyStatuses', label: { 'zh-CN': '处理中状态（逗号分隔）', en: 'Busy statuses (comma-separated)' }, kind: 'list' },
      { name: 'refreshSeconds', label: { 'zh-CN': '自动刷新间隔（秒）', en: 'Auto-refresh (seconds)' }, kind: 'number' },
      {
        name: 'selection',
        label: { 'zh-CN': '跟随本页选择（JSON：{name, params}，路径占位符取自所选行）', en: 'Follow a page selection (JSON: {name, params}; path placeholders from the picked row)' },
        kind: 'json',
      },
    ],
  },
  {
    type: 'ext-form',
    label: { 'zh-CN': '扩展表单', en: 'Pack form' },
    defaults: {},
    settings: [
      extPath,
      title,
      {
        name: 'fields',
        label: {
          'zh-CN': '字段（JSON：[{key, label, kind, required, autofocus, default}]；kind 含 money、lookup、file、requestKey）',
          en: 'Fields (JSON: [{key, label, kind, required, autofocus, default}]; kinds include money, lookup, file, requestKey)',
        },
        kind: 'json',
        required: true,
      },
      { name: 'submitLabel', label: { 'zh-CN': '提交按钮文字', en: 'Submit button text' }, kind: 'text' },
      { name: 'successMessage', label: { 'zh-CN': '提交成功提示', en: 'Success message' }, kind: 'text' },
      { name: 'result', label: { 'zh-CN': '提交后显示的结果（JSON：[{key, title, format}]）', en: 'Result shown after a submit (JSON: [{key, title, format}])' }, kind: 'json' },
      { name: 'resetOnSuccess', label: { 'zh-CN': '提交成功后清空表单（默认是）', en: 'Clear the form after a success (default yes)' }, kind: 'checkbox' },
    ],
  },
];

export function describeBlock(type: string): BlockDescription | undefined {
  return BLOCK_CATALOGUE.find((b) => b.type === type);
}

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The placeholder a page's HTML carries for a block. */
export function blockPlaceholder(type: PageBlockType, config: Record<string, unknown>): string {
  return `<div data-sy-block="${type}" data-sy-config='${escapeAttribute(JSON.stringify(config))}'></div>`;
}
