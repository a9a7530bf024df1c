import { type AnalyticsStore, type TenantReading, openAnalyticsStore } from '@shuiyun/analytics';
import { type Database, type Tx, asSystem } from '@shuiyun/db';
import { type Driver, testDatabase } from '../../../../runtime/db/src/testing/postgres.js';
import { sql } from 'drizzle-orm';
import { type DatasetDefinition, parseDataset } from '../dataset/dataset.js';

/**
 * The same small fact data in chDB (the analytics store's readings) and in a PostgreSQL table with the
 * same columns under row-level security, so one report definition can run on both and be compared with
 * rows checked by hand.
 *
 * Tenants: 1 (platform) → 2 (company A, path 1.2) → 5 (site, 1.2.5); 3 (company B, 1.3).
 * Times are UTC; in Asia/Shanghai (+08:00) 2026-03-01T16:00Z is already 2026-03-02.
 */
const reading = (tenantId: number, tenantPath: string, device: string, metric: string, at: string, value: string): TenantReading => ({
  tenantId,
  tenantPath,
  reading: { device, metric, at: new Date(at), milli: BigInt(value.replace('.', '')) },
});

export const seedReadings: TenantReading[] = [
  // Company A. Local days: 01:00Z and 15:59:59Z are March 1; 16:30Z and later are March 2.
  reading(2, '1.2', 'm1', 'cumulative_volume', '2026-03-01T01:00:00Z', '100.000'),
  reading(2, '1.2', 'm1', 'cumulative_volume', '2026-03-01T15:59:59Z', '100.250'),
  reading(2, '1.2', 'm1', 'cumulative_volume', '2026-03-01T16:30:00Z', '100.500'),
  reading(2, '1.2', 'm1', 'cumulative_volume', '2026-03-02T10:00:00Z', '101.125'),
  reading(2, '1.2', 'm2', 'cumulative_volume', '2026-03-01T03:00:00Z', '50.000'),
  reading(2, '1.2', 'm2', 'cumulative_volume', '2026-03-02T01:00:00Z', '50.700'),
  reading(2, '1.2', 'm1', 'flow', '2026-03-01T02:00:00Z', '0.125'),
  // A site of company A.
  reading(5, '1.2.5', 'm5', 'cumulative_volume', '2026-03-01T16:10:00Z', '10.000'),
  // Company B, including a device key that company A also uses.
  reading(3, '1.3', 'm9', 'cumulative_volume', '2026-03-01T04:00:00Z', '999.999'),
  reading(3, '1.3', 'm9', 'cumulative_volume', '2026-03-02T04:00:00Z', '1000.500'),
  reading(3, '1.3', 'm1', 'cumulative_volume', '2026-03-01T05:00:00Z', '7.000'),
];

let sharedEngine: Promise<AnalyticsStore> | undefined;
let databases = 0;

/** A fresh, migrated analytics database with the seed readings (one chDB engine per test process). */
export async function analyticsWithReadings(readings: readonly TenantReading[] = seedReadings): Promise<AnalyticsStore> {
  sharedEngine ??= openAnalyticsStore({ dataDir: 'memory://' });
  databases += 1;
  const store = (await sharedEngine).withDatabase(`reports_test_${process.pid}_${databases}`);
  await store.migrate();
  await store.insertReadings(readings);
  return store;
}

export async function closeAnalytics(): Promise<void> {
  if (sharedEngine) await (await sharedEngine).close();
  sharedEngine = undefined;
}

const settings = { timeZone: 'Asia/Shanghai', locale: 'zh-CN', brandingName: null };

/**
 * A migrated database on `driver` with the tenants, a small device registry, alarms, and the table
 * `report_readings` holding the seed readings under the same row-level security as every tenant table.
 */
export async function postgresWithFacts(driver: Driver, readings: readonly TenantReading[] = seedReadings): Promise<Database> {
  const database = await testDatabase(driver);
  await asSystem(database.db, async (tx) => {
    await tx.execute(sql`insert into tenants (id, parent_id, path, code, name, kind, settings) values
      (1, null, '1', 'platform', '平台', 'platform', ${JSON.stringify(settings)}::jsonb),
      (2, 1, '1.2', 'a', '甲水司', 'company', ${JSON.stringify(settings)}::jsonb),
      (3, 1, '1.3', 'b', '乙水司', 'company', ${JSON.stringify(settings)}::jsonb),
      (5, 2, '1.2.5', 'a-site', '甲营业所', 'site', ${JSON.stringify(settings)}::jsonb)`);
    await createFactTable(tx);
    for (const r of readings) {
      await tx.execute(sql`insert into report_readings (tenant_id, tenant_path, device, metric, at, value)
        values (${r.tenantId}, ${r.tenantPath}::ltree, ${r.reading.device}, ${r.reading.metric}, ${r.reading.at.toISOString()}::timestamptz,
        (${r.reading.milli.toString()}::numeric / 1000)::numeric(18, 3))`);
    }
    await seedRegistry(tx);
  });
  return database;
}

async function createFactTable(tx: Tx): Promise<void> {
  await tx.execute(sql`create table report_readings (
    tenant_id bigint not null, tenant_path ltree not null, device text not null, metric text not null,
    at timestamptz not null, value numeric(18, 3) not null)`);
  await tx.execute(sql`alter table report_readings enable row level security`);
  await tx.execute(sql`alter table report_readings force row level security`);
  await tx.execute(sql`create policy tenant_subtree on report_readings using (tenant_path <@ (select shuiyun_tenant()))`);
  await tx.execute(sql`grant select on report_readings to shuiyun_app`);
  // A table without row-level security, and a view that reads as its owner: both must be refused.
  await tx.execute(sql`create table report_unprotected (tenant_path ltree, device text)`);
  await tx.execute(sql`insert into report_unprotected values ('1.3', 'foreign')`);
  await tx.execute(sql`grant select on report_unprotected to shuiyun_app`);
  await tx.execute(sql`create view report_owner_view as select * from report_readings`);
  await tx.execute(sql`grant select on report_owner_view to shuiyun_app`);
  await tx.execute(sql`create view report_invoker_view with (security_invoker = true) as select * from report_readings`);
  await tx.execute(sql`grant select on report_invoker_view to shuiyun_app`);
}

/**
 * Registry of company A: products 10 (NB-IoT) and 11 (mechanical); communities 20 阳光小区 and 21 江畔花园;
 * meters m1 (20, online), m2 (21, offline), m3 (20, online, no readings), m4 (20, retired), m5 at the
 * site (21, offline). Company B: m9 and its own m1. Alarms for both.
 */
async function seedRegistry(tx: Tx): Promise<void> {
  const thing = JSON.stringify({ properties: [] });
  await tx.execute(sql`insert into products (id, tenant_id, tenant_path, code, name, kind, transport, codec, thing_model) values
    (10, 2, '1.2', 'nb', 'NB-IoT 水表', 'water_meter', 'mqtt', 'json', ${thing}::jsonb),
    (11, 2, '1.2', 'mech', '机械表', 'water_meter', 'mqtt', 'json', ${thing}::jsonb),
    (12, 3, '1.3', 'nb', 'B 公司水表', 'water_meter', 'mqtt', 'json', ${thing}::jsonb)`);
  await tx.execute(sql`insert into communities (id, tenant_id, tenant_path, code, name) values
    (20, 2, '1.2', 'sun', '阳光小区'), (21, 2, '1.2', 'river', '江畔花园'), (22, 3, '1.3', 'b', '乙小区')`);
  await tx.execute(sql`insert into devices (id, tenant_id, tenant_path, product_id, meter_number, device_key, community_id, dma_code, state, online) values
    (31, 2, '1.2', 10, 'M1', 'm1', 20, 'DMA-1', 'in_service', true),
    (32, 2, '1.2', 11, 'M2', 'm2', 21, 'DMA-2', 'in_service', false),
    (33, 2, '1.2', 10, 'M3', 'm3', 20, 'DMA-1', 'in_service', true),
    (34, 2, '1.2', 10, 'M4', 'm4', 20, 'DMA-1', 'retired', false),
    (35, 5, '1.2.5', 10, 'M5', 'm5', 21, 'DMA-2', 'in_service', false),
    (39, 3, '1.3', 12, 'M9', 'm9', 22, 'DMA-9', 'in_service', true),
    (40, 3, '1.3', 12, 'M1B', 'm1', 22, 'DMA-9', 'in_service', true)`);
  await tx.execute(sql`insert into alarms (tenant_id, tenant_path, device_id, device_key, kind, rule_id, severity, dedup_key, status, raised_at, detail) values
    (2, '1.2', 31, 'm1', 'continuous_flow', 'r1', 'warning', 'a1', 'active', '2026-03-01T15:30:00Z', '{}'),
    (2, '1.2', 31, 'm1', 'low_battery', 'r2', 'info', 'a2', 'cleared', '2026-03-01T16:30:00Z', '{}'),
    (2, '1.2', 32, 'm2', 'continuous_flow', 'r1', 'warning', 'a3', 'acknowledged', '2026-03-02T02:00:00Z', '{}'),
    (5, '1.2.5', 35, 'm5', 'offline', 'r3', 'critical', 'a5', 'active', '2026-03-02T03:00:00Z', '{}'),
    (3, '1.3', 39, 'm9', 'continuous_flow', 'r9', 'warning', 'a9', 'active', '2026-03-01T15:30:00Z', '{}')`);
}

const label = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** The columns of report_readings, as a Postgres dataset declares them. */
export const factColumns = {
  tenant_id: { type: 'integer' },
  tenant_path: { type: 'tenantPath' },
  device: { type: 'string' },
  metric: { type: 'string' },
  at: { type: 'timestamp' },
  value: { type: 'decimal', scale: 3 },
} as const;

/** One report model over the readings, with the source left to the caller. */
export function readingsModel(source: DatasetDefinition['source'], id = 'readings') {
  return {
    id,
    label: label('抄表读数', 'Meter readings'),
    source,
    ...(source.kind === 'analytics' ? {} : { columns: factColumns }),
    dimensions: [
      { id: 'hour', label: label('小时', 'Hour'), column: 'at', grain: 'hour' },
      { id: 'day', label: label('日期', 'Day'), column: 'at', grain: 'day' },
      { id: 'week', label: label('周', 'Week'), column: 'at', grain: 'week' },
      { id: 'month', label: label('月份', 'Month'), column: 'at', grain: 'month' },
      { id: 'year', label: label('年份', 'Year'), column: 'at', grain: 'year' },
      { id: 'at', label: label('抄表时间', 'Read at'), column: 'at' },
      { id: 'device', label: label('设备', 'Device'), column: 'device' },
      { id: 'metric', label: label('指标', 'Metric'), column: 'metric' },
      { id: 'tenant', label: label('租户', 'Tenant'), column: 'tenant_id' },
      { id: 'value', label: label('读数', 'Reading'), column: 'value' },
    ],
    measures: [
      { id: 'readings', label: label('读数条数', 'Readings'), aggregate: 'count' },
      { id: 'devices', label: label('设备数', 'Devices'), aggregate: 'countDistinct', column: 'device' },
      { id: 'total', label: label('读数合计', 'Sum of readings'), aggregate: 'sum', column: 'value' },
      { id: 'average', label: label('平均读数', 'Average reading'), aggregate: 'avg', column: 'value', scale: 3 },
      { id: 'highest', label: label('最大读数', 'Highest reading'), aggregate: 'max', column: 'value' },
      { id: 'firstAt', label: label('首次抄表', 'First read at'), aggregate: 'min', column: 'at' },
      { id: 'perDevice', label: label('每表读数', 'Per device'), aggregate: 'ratio', numerator: 'total', denominator: 'devices', scale: 3 },
      {
        id: 'bigShare',
        label: label('大读数占比', 'Share of big readings'),
        aggregate: 'ratio',
        numerator: 'bigReadings',
        denominator: 'readings',
        multiplier: '100',
        scale: 2,
      },
      { id: 'bigReadings', label: label('大读数条数', 'Big readings'), aggregate: 'count', where: [{ column: 'value', op: 'gte', value: '100' }] },
    ],
    parameters: [
      { id: 'period', label: label('时间范围', 'Period'), type: 'dateRange', binds: { column: 'at' } },
      {
        id: 'metric',
        label: label('指标', 'Metric'),
        type: 'enum',
        default: 'cumulative_volume',
        options: [
          { value: 'cumulative_volume', label: label('累计水量', 'Cumulative volume') },
          { value: 'flow', label: label('瞬时流量', 'Flow') },
        ],
        binds: { column: 'metric' },
      },
      { id: 'tenantScope', label: label('下级单位', 'Tenant subtree'), type: 'tenantSubtree', binds: { column: 'tenant_path' } },
      { id: 'deviceText', label: label('设备编号', 'Device'), type: 'text', binds: { column: 'device', op: 'eq' } },
      { id: 'minValue', label: label('最小读数', 'Minimum reading'), type: 'number', binds: { column: 'value', op: 'gte' } },
      { id: 'mustPick', label: label('必选', 'Required'), type: 'text', binds: { column: 'device', op: 'startsWith' } },
    ],
  } satisfies DatasetDefinition;
}

/** The readings model over chDB and over PostgreSQL: the same definition, two sources. */
export const readingsDatasets = {
  chdb: () => parseDataset(readingsModel({ kind: 'analytics', table: 'readings' })),
  postgres: () => parseDataset(readingsModel({ kind: 'postgres', relation: 'report_readings' })),
};

export type { Driver };
