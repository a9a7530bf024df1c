/** Reports, datasets, pages, menu and default roles of the metering pack. */
import type { PackManifestInput } from '@shuiyun/sdk';
import { BOOK, HOUSEHOLD, METER } from './archive/entities.js';
import { datasets, reports } from './reports/datasets.js';

const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });
const block = (type: string, config: Record<string, unknown>) => `<div data-sy-block="${type}" data-sy-config='${JSON.stringify(config)}'></div>`;
const page = (code: string, route: string, title: [string, string], kind: 'page' | 'dashboard', html: string[]) => ({
  code,
  name: title[0],
  page: { kind, route, title: l(...title), menu: { show: false, order: 0 }, html: html.join('\n'), css: '' },
});

const EXT = '/api/ext/metering';

const pages: NonNullable<PackManifestInput['pages']> = [
  page('metering_archive', 'metering-archive', ['水表档案', 'Meter archive'], 'page', [
    block('table', { entity: METER, title: '水表', pageSize: 20, filters: ['meterNo', 'kind', 'status'] }),
    block('entity-form', { entity: METER, title: '新建水表' }),
    block('table', { entity: HOUSEHOLD, title: '用户', pageSize: 20, filters: ['accountNo', 'community'] }),
    block('entity-form', { entity: HOUSEHOLD, title: '新建用户' }),
    block('table', { entity: BOOK, title: '抄表册', pageSize: 20 }),
    block('ext-form', {
      title: '换表',
      path: `${EXT}/swaps`,
      submitLabel: '登记换表',
      successMessage: '已登记换表：旧表止码与新表底数已记录',
      fields: [
        { key: 'oldMeterId', label: '旧表', kind: 'entity', entity: METER, required: true },
        { key: 'newMeterId', label: '新表', kind: 'entity', entity: METER, required: true },
        { key: 'swappedAt', label: '换表时间', kind: 'datetime', required: true },
        { key: 'oldFinalL', label: '旧表止码', kind: 'litres', required: true },
        { key: 'newInitialL', label: '新表底数', kind: 'litres', required: true },
        { key: 'reason', label: '原因', kind: 'textarea' },
      ],
    }),
  ]),
  page('metering_entry', 'metering-entry', ['抄表录入', 'Reading entry'], 'page', [
    block('ext-table', { title: '我的抄表册', path: `${EXT}/my-books`, pageSize: 10 }),
    block('ext-form', {
      title: '人工抄表',
      path: `${EXT}/readings`,
      submitLabel: '提交读数',
      successMessage: '读数已保存（异常读数已转审核）',
      fields: [
        { key: 'meterId', label: '水表', kind: 'entity', entity: METER, required: true },
        { key: 'readAt', label: '抄表时间', kind: 'datetime', required: true },
        { key: 'valueL', label: '读数', kind: 'litres', required: true },
        { key: 'photo', label: '表盘照片', kind: 'photo' },
        { key: 'location', label: '位置', kind: 'location' },
        { key: 'note', label: '备注', kind: 'textarea' },
      ],
    }),
    block('ext-table', {
      title: '最近读数',
      path: `${EXT}/readings`,
      pageSize: 10,
      columns: [
        { key: 'meterNo', title: '表号' },
        { key: 'readAt', title: '抄表时间', format: 'datetime' },
        { key: 'valueL', title: '读数', format: 'litres' },
        { key: 'source', title: '来源', format: 'status', labels: { remote: '远传', hand: '人工', import: '导入', estimate: '估抄', correction: '更正' } },
        { key: 'status', title: '状态', format: 'status', labels: { valid: '有效', review: '待审核', rejected: '已驳回', replaced: '已更正' } },
      ],
    }),
  ]),
  page('metering_review', 'metering-review', ['抄表审核', 'Reading review'], 'page', [
    block('task-list', { title: '待审核读数', pageSize: 20 }),
    block('ext-table', { title: '待审核读数明细', path: `${EXT}/reviews`, pageSize: 20 }),
    block('report', { template: 'metering_abnormal', title: '异常读数' }),
  ]),
  page('metering_settlement', 'metering-settlement', ['结算', 'Settlement'], 'page', [
    block('ext-table', {
      title: '结算控制台',
      path: `${EXT}/periods`,
      pageSize: 12,
      busyStatuses: ['settling'],
      refreshSeconds: 2,
      progress: { done: 'progress.done', total: 'progress.total', title: '进度' },
      columns: [
        { key: 'period', title: '结算期' },
        { key: 'scope', title: '范围' },
        { key: 'status', title: '状态', format: 'status', labels: { open: '未结算', settling: '结算中', settled: '已结算', closed: '已关账' } },
        { key: 'startsAt', title: '开始', format: 'datetime' },
        { key: 'endsAt', title: '结束', format: 'datetime' },
        { key: 'error', title: '错误' },
      ],
      toolbar: [{ label: '结算', path: `${EXT}/periods/:period/settle`, form: [{ key: 'period', label: '结算期', kind: 'month', required: true }] }],
      rowActions: [
        { label: '重新结算', path: `${EXT}/periods/:period/settle`, when: { field: 'status', in: ['open', 'settled'] } },
        { label: '关账', path: `${EXT}/periods/:period/close`, confirm: { 'zh-CN': '关账后本期不可再改，更正将记入下一期。确定关账？', en: 'A closed period is locked; corrections go to the next period. Close it?' }, when: { field: 'status', in: ['settled'] } },
      ],
    }),
    block('report', { template: 'metering_settlement_summary', title: '结算汇总' }),
    block('report', { template: 'metering_unread', title: '未抄表清单' }),
    block('ext-table', { title: '调整记录', path: `${EXT}/adjustments`, pageSize: 10 }),
  ]),
  page('metering_dashboard', 'metering-dashboard', ['计量看板', 'Metering dashboard'], 'dashboard', [
    block('kpi', { template: 'metering_volume_by_period', measure: 'volumeM3', title: '最近结算期水量', unit: 'm³' }),
    block('chart', { template: 'metering_consumption_month', chart: 'bar', title: '月用水量', height: 320 }),
    block('chart', { template: 'metering_reading_rate', chart: 'bar', title: '抄表率', height: 320 }),
    block('chart', { template: 'metering_consumption_day', chart: 'line', title: '日用水量（远传）', height: 320 }),
  ]),
];

export const presentation: Pick<PackManifestInput, 'datasets' | 'reports' | 'pages' | 'menu' | 'roles'> = {
  datasets,
  reports,
  pages,
  menu: [
    { page: 'metering_dashboard', label: l('计量看板', 'Metering dashboard'), order: 20, icon: 'dashboard' },
    { page: 'metering_archive', label: l('水表档案', 'Meter archive'), order: 21, icon: 'database' },
    { page: 'metering_entry', label: l('抄表录入', 'Reading entry'), order: 22, icon: 'form' },
    { page: 'metering_review', label: l('抄表审核', 'Reading review'), order: 23, icon: 'audit' },
    { page: 'metering_settlement', label: l('结算', 'Settlement'), order: 24, icon: 'calculator' },
  ],
  /** Role codes become `metering-<code>`: `metering-reviewer` is the review task's candidate group. */
  roles: [
    {
      code: 'reader',
      name: l('抄表员', 'Meter reader'),
      permissions: ['entity:read', 'page:read', 'metering.reading:read', 'metering.reading:enter'],
    },
    {
      code: 'reviewer',
      name: l('抄表审核员', 'Reading reviewer'),
      permissions: ['entity:read', 'page:read', 'task:read', 'task:claim', 'task:complete', 'report:read', 'report:run', 'metering.reading:read', 'metering.reading:review'],
    },
    {
      code: 'operator',
      name: l('抄表管理员', 'Metering operator'),
      permissions: ['entity:read', 'entity:create', 'entity:update', 'page:read', 'metering.reading:read', 'metering.reading:enter', 'metering.reading:import', 'metering.swap:create'],
    },
    {
      code: 'settler',
      name: l('结算员', 'Settlement clerk'),
      permissions: ['entity:read', 'page:read', 'report:read', 'report:run', 'metering.settlement:read', 'metering.settlement:run', 'metering.settlement:close', 'metering.settlement:adjust'],
    },
  ],
};
