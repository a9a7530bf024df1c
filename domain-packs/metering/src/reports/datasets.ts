/**
 * The metering pack's report datasets: SQL over the pack's tables and the archive's entity records, run by
 * the report builder under the tenant's row-level security. Volumes are integer litres; the m³ measures
 * divide exactly (decimal, 3 places). `metering-daily` reads the analytics store's daily freezes of the
 * remote meters; the others are the settlement's and the readings' view (read vs estimated or missing).
 */
import { dailyDataset } from './daily.js';

const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** Settlement records with the meter's kind and the household's address. */
const settlementSql = `select s.tenant_path, s.period, s.source, s.meter_no, s.volume_l, s.volume_l / 1000.0 as volume_m3,
  case when s.source in ('remote', 'hand') then 1 else 0 end as is_read,
  case when cardinality(s.flags) > 0 then 1 else 0 end as is_flagged, array_to_string(s.flags, ',') as flags,
  m.data->>'kind' as kind, coalesce(h.data->>'community', '') as community, coalesce(h.data->>'building', '') as building,
  coalesce(h.data->>'accountNo', '') as account_no
from pack_metering.settlements s
join entity_records m on m.id = s.meter_id and m.entity = 'metering_meter'
left join entity_records h on h.id = (m.data->>'household')::bigint and h.entity = 'metering_household'`;

const dims = {
  period: { id: 'period', label: l('结算期', 'Period'), column: 'period' },
  source: { id: 'source', label: l('读数来源', 'Reading source'), column: 'source' },
  kind: { id: 'kind', label: l('表类型', 'Meter kind'), column: 'kind' },
  community: { id: 'community', label: l('小区', 'Community'), column: 'community' },
  building: { id: 'building', label: l('楼栋', 'Building'), column: 'building' },
  meterNo: { id: 'meterNo', label: l('表号', 'Meter no.'), column: 'meter_no' },
  accountNo: { id: 'accountNo', label: l('户号', 'Account no.'), column: 'account_no' },
  flags: { id: 'flags', label: l('异常标记', 'Flags'), column: 'flags' },
};

export const settlementDataset = {
  id: 'metering-settlement',
  label: l('结算记录', 'Settlement records'),
  description: l('每表每期一条结算记录：起止读数、水量（升）与来源', 'One record per meter and period: start and end readings, volume in litres, source'),
  source: { kind: 'postgres-sql', sql: settlementSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    period: { type: 'string' },
    source: { type: 'string' },
    meter_no: { type: 'string' },
    volume_l: { type: 'integer' },
    volume_m3: { type: 'decimal', scale: 3 },
    is_read: { type: 'integer' },
    is_flagged: { type: 'integer' },
    flags: { type: 'string' },
    kind: { type: 'string' },
    community: { type: 'string' },
    building: { type: 'string' },
    account_no: { type: 'string' },
  },
  dimensions: Object.values(dims),
  measures: [
    { id: 'meters', label: l('结算表数', 'Meters settled'), aggregate: 'count' },
    { id: 'metersRead', label: l('已抄表数', 'Meters read'), aggregate: 'sum', column: 'is_read' },
    { id: 'readingRate', label: l('抄表率 (%)', 'Reading rate (%)'), aggregate: 'ratio', numerator: 'metersRead', denominator: 'meters', multiplier: '100', scale: 2 },
    { id: 'volumeL', label: l('水量（升）', 'Volume (L)'), aggregate: 'sum', column: 'volume_l' },
    { id: 'volumeM3', label: l('水量（m³）', 'Volume (m³)'), aggregate: 'sum', column: 'volume_m3' },
    { id: 'flagged', label: l('异常数', 'Flagged'), aggregate: 'sum', column: 'is_flagged' },
  ],
};

/** Readings entered, imported, estimated or held for review, with the meter's address. */
const readingsSql = `select r.tenant_path, r.read_at, r.source, r.status, r.value_l, array_to_string(r.violations, ',') as violations,
  case when r.status in ('review', 'rejected') or cardinality(r.violations) > 0 then 1 else 0 end as is_abnormal,
  m.data->>'meterNo' as meter_no, m.data->>'kind' as kind, coalesce(h.data->>'community', '') as community, coalesce(h.data->>'building', '') as building
from pack_metering.readings r
join entity_records m on m.id = r.meter_id and m.entity = 'metering_meter'
left join entity_records h on h.id = (m.data->>'household')::bigint and h.entity = 'metering_household'`;

export const readingsDataset = {
  id: 'metering-readings',
  label: l('抄表记录', 'Readings'),
  description: l('人工、导入、估抄与待审核的读数', 'Hand, imported, estimated and held-for-review readings'),
  source: { kind: 'postgres-sql', sql: readingsSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    read_at: { type: 'timestamp' },
    source: { type: 'string' },
    status: { type: 'string' },
    value_l: { type: 'integer' },
    violations: { type: 'string' },
    is_abnormal: { type: 'integer' },
    meter_no: { type: 'string' },
    kind: { type: 'string' },
    community: { type: 'string' },
    building: { type: 'string' },
  },
  dimensions: [
    { id: 'day', label: l('日期', 'Day'), column: 'read_at', grain: 'day' },
    { id: 'month', label: l('月份', 'Month'), column: 'read_at', grain: 'month' },
    { id: 'source', label: l('来源', 'Source'), column: 'source' },
    { id: 'status', label: l('状态', 'Status'), column: 'status' },
    { id: 'violations', label: l('校验结果', 'Violations'), column: 'violations' },
    { id: 'meterNo', label: l('表号', 'Meter no.'), column: 'meter_no' },
    { id: 'kind', label: l('表类型', 'Meter kind'), column: 'kind' },
    { id: 'community', label: l('小区', 'Community'), column: 'community' },
    { id: 'building', label: l('楼栋', 'Building'), column: 'building' },
  ],
  measures: [
    { id: 'readings', label: l('读数条数', 'Readings'), aggregate: 'count' },
    { id: 'abnormal', label: l('异常条数', 'Abnormal'), aggregate: 'sum', column: 'is_abnormal' },
  ],
};

export const datasets = [{ definition: settlementDataset }, { definition: readingsDataset }, { definition: dailyDataset as unknown as Record<string, unknown> }];

const template = (dataset: string, [zh, en]: [string, string], query: Record<string, unknown>) => ({
  description: `${zh} / ${en}`,
  dataset: { code: dataset },
  query,
});

/** The reports the pack ships: each a template the tenant may edit (an upgrade keeps its edits). */
export const reports = [
  {
    code: 'metering_reading_rate',
    name: '抄表率',
    template: template('metering-settlement', ['抄表率（按表类型、小区、楼栋）', 'Reading rate by meter kind, community and building'], {
      dimensions: ['period', 'kind', 'community', 'building'],
      measures: ['meters', 'metersRead', 'readingRate'],
    }),
  },
  {
    code: 'metering_consumption_month',
    name: '月用水量',
    template: template('metering-settlement', ['月用水量', 'Consumption by month'], { dimensions: ['period', 'community'], measures: ['volumeM3', 'meters'] }),
  },
  {
    code: 'metering_volume_by_period',
    name: '各期结算水量',
    template: template('metering-settlement', ['各期结算水量（最近在前）', 'Settled volume by period, newest first'], {
      dimensions: ['period'],
      measures: ['volumeM3', 'meters'],
      sort: [{ field: 'period', direction: 'desc' }],
    }),
  },
  {
    code: 'metering_settlement_summary',
    name: '结算汇总',
    template: template('metering-settlement', ['结算汇总', 'Settlement summary'], { dimensions: ['period', 'source'], measures: ['meters', 'volumeL', 'volumeM3', 'flagged'] }),
  },
  {
    code: 'metering_unread',
    name: '未抄表清单',
    template: template('metering-settlement', ['未抄表清单（估抄与缺抄）', 'Unread meters (estimated or missing)'], {
      kind: 'detail',
      dimensions: ['period', 'meterNo', 'accountNo', 'community', 'building', 'source'],
      filters: [{ field: 'source', op: 'in', values: ['estimated', 'missing'] }],
    }),
  },
  {
    code: 'metering_abnormal',
    name: '异常读数',
    template: template('metering-readings', ['异常读数', 'Abnormal readings'], {
      kind: 'detail',
      dimensions: ['day', 'meterNo', 'community', 'source', 'status', 'violations'],
      filters: [{ field: 'status', op: 'in', values: ['review', 'rejected'] }],
    }),
  },
  {
    code: 'metering_consumption_day',
    name: '日用水量',
    template: template('metering-daily', ['日用水量（远传表）', 'Daily consumption (remote meters)'], { dimensions: ['day'], measures: ['consumption'] }),
  },
  {
    code: 'metering_reading_rate_day',
    name: '日抄表率',
    template: template('metering-daily', ['日抄表率（远传表，按表类型）', 'Daily reading rate of remote meters by kind'], {
      dimensions: ['day', 'kind'],
      measures: ['devicesRead', 'metersDue', 'readingRate'],
    }),
  },
];
