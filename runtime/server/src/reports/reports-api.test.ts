import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { asSystem, queryRows } from '@shuiyun/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

const thingModel = {
  properties: [{ identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 2, access: 'r' }],
  events: [],
  services: [],
};

/** Asia/Shanghai wall-clock time → the instant (no daylight saving since 1991). */
const shanghai = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const march = (from: number, to: number) => ({ from: `2026-03-0${from}`, to: `2026-03-0${to}` });

interface Meter {
  id: number;
  key: string;
  secret: string;
}

/**
 * The report API on the same meters and readings as the device-statistics tests (statistics-routes.test.ts):
 * county-a's in-service meters a1–a4 (a4 silent, a5 only accepted), county-b's b1 sharing a1's address.
 * Built-in datasets are compared with hand-checked rows and with /api/device-statistics/* for the same data.
 */
describe.each(drivers)('the report API on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let group: string;
  let platform: string;
  let viewer: string;
  let countyA: { id: number; path: string };
  let countyB: { id: number; path: string };
  const community: Record<string, { id: number; name: string }> = {};
  const m: Record<string, Meter> = {};

  const call = (method: string, path: string, body?: unknown, token = adminA, headers?: Record<string, string>) => t.request(method, path, { token, body, headers });
  const ok = async (method: string, path: string, body?: unknown, token = adminA) => {
    const res = await call(method, path, body, token);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const run = (body: Record<string, unknown>, token = adminA) => ok('POST', '/api/reports/run', body, token);
  const statistics = (path: string, token = adminA) => ok('GET', `/api/device-statistics/${path}`, undefined, token);
  const count = async (query: ReturnType<typeof sql>) => (await asSystem(t.database.db, (tx) => queryRows<{ n: number }>(tx, query)))[0]!.n;

  const feed = async (meter: Meter, litres: number, local: string) => {
    const identity = await t.runtime.iot!.directory.authenticate(meter.key, meter.secret);
    const frame = encodeMeterDataReply({ address: meter.key, cumulativeLitres: litres, at: shanghai(local) });
    expect(await t.runtime.iot!.pipeline.ingest(identity!, frame, new Date())).toMatchObject({ ok: true });
  };

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    group = await t.login('admin@demo-group');
    platform = await t.login('admin@shuiyun');
    const me = async (token: string) => (await ok('GET', '/api/auth/me', undefined, token)).tenant;
    countyA = await me(adminA);
    countyB = await me(adminB);
    for (const c of (await ok('GET', `/api/communities?tenantId=${countyA.id}`)).items) community[c.code] = { id: c.id, name: c.name };
    const building: Record<string, number> = {};
    for (const c of Object.values(community)) for (const b of (await ok('GET', `/api/buildings?communityId=${c.id}`)).items) building[b.code] = b.id;
    const communityB = (await ok('GET', `/api/communities?tenantId=${countyB.id}`, undefined, adminB)).items.find((c: { code: string }) => c.code === 'C001').id;

    const roles = (await ok('GET', `/api/roles?tenantId=${countyA.id}`)).items as { code: string; id: number }[];
    await ok('POST', '/api/users', { username: 'report.viewer', displayName: '报表查看', password: TEST_PASSWORD, roleIds: [roles.find((r) => r.code === 'viewer')!.id] });
    viewer = await t.login('report.viewer');

    const product = { code: 'CJT-RPT', name: 'CJ/T 188 远传水表', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel };
    const productA = (await ok('POST', '/api/products', product)).id;
    const productB = (await ok('POST', '/api/products', product, adminB)).id;
    const register = async (name: string, token: string, body: Record<string, unknown>, state: 'accepted' | 'in_service' = 'in_service') => {
      const created = await ok('POST', '/api/devices', { meterNumber: `R-${name}`, ...body }, token);
      for (const to of state === 'accepted' ? ['accepted'] : ['accepted', 'in_service']) await ok('POST', `/api/devices/${created.id}/transition`, { to }, token);
      m[name] = { id: created.id, key: created.deviceKey, secret: created.mqttCredentials.secret };
    };
    await register('a1', adminA, { productId: productA, deviceKey: '10000000000001', communityId: community.C001!.id, buildingId: building['C001-B01'] });
    await register('a2', adminA, { productId: productA, deviceKey: '10000000000002', communityId: community.C001!.id, buildingId: building['C001-B01'] });
    await register('a3', adminA, { productId: productA, deviceKey: '10000000000003', communityId: community.C001!.id, buildingId: building['C001-B02'] });
    await register('a4', adminA, { productId: productA, deviceKey: '10000000000004', communityId: community.C002!.id, buildingId: building['C002-B01'] });
    await register('a5', adminA, { productId: productA, deviceKey: '10000000000005', communityId: community.C002!.id }, 'accepted');
    await register('b1', adminB, { productId: productB, deviceKey: '10000000000001', communityId: communityB });

    for (const [litres, local] of [[1000, '2026-02-28 20:00'], [1100, '2026-03-01 08:00'], [1500, '2026-03-01 23:30'], [1600, '2026-03-02 00:30'], [1800, '2026-03-02 10:00'], [2400, '2026-03-04 09:00'], [2500, '2026-03-05 09:00']] as const) {
      await feed(m.a1!, litres, local);
    }
    for (const [litres, local] of [[5000, '2026-02-28 12:00'], [5200, '2026-03-01 12:00'], [90, '2026-03-02 12:00'], [150, '2026-03-03 12:00'], [250, '2026-03-04 12:00'], [300, '2026-03-05 12:00'], [400, '2026-04-01 00:30']] as const) {
      await feed(m.a2!, litres, local);
    }
    for (const [litres, local] of [[7000, '2026-03-02 00:30'], [7040, '2026-03-03 09:00'], [7100, '2026-03-04 09:00'], [7200, '2026-03-05 08:00'], [7150, '2026-03-05 12:00'], [7300, '2026-03-05 20:00']] as const) {
      await feed(m.a3!, litres, local);
    }
    await feed(m.a5!, 10, '2026-03-01 10:00');
    for (const [litres, local] of [[100_000, '2026-03-01 12:00'], [100_500, '2026-03-02 12:00'], [100_700, '2026-03-03 12:00']] as const) await feed(m.b1!, litres, local);
    await t.runtime.iot!.settle();
  });
  afterAll(() => t?.close());

  const rateMeasures = ['devicesRead', 'devicesDue', 'readingRate'];

  describe('the built-in reading rate (抄表率)', () => {
    it('per local day: the hand-checked rows, and the same figures as /api/device-statistics/reading-rate for each day', async () => {
      const body = await run({ dataset: 'reading-rate', query: { dimensions: ['day'], measures: rateMeasures, parameters: { period: march(1, 5) } } });
      expect(body.dataset).toEqual({ code: 'reading-rate', version: 1, origin: 'builtin', id: null });
      expect(body.timeZone).toBe('Asia/Shanghai');
      // Due: a1–a4 in service (a5 only accepted). 1 March: a1, a2 (a3's 00:30 reading of 2 March is 16:30 UTC on 1 March).
      expect(body.rows).toEqual([
        { day: '2026-03-01', devicesRead: '2', devicesDue: '4', readingRate: '50.00' },
        { day: '2026-03-02', devicesRead: '3', devicesDue: '4', readingRate: '75.00' },
        { day: '2026-03-03', devicesRead: '2', devicesDue: '4', readingRate: '50.00' },
        { day: '2026-03-04', devicesRead: '3', devicesDue: '4', readingRate: '75.00' },
        { day: '2026-03-05', devicesRead: '3', devicesDue: '4', readingRate: '75.00' },
      ]);
      expect(body.columns.map((c: { id: string; role: string }) => `${c.role}:${c.id}`)).toEqual(['dimension:day', 'measure:devicesRead', 'measure:devicesDue', 'measure:readingRate']);
      for (const row of body.rows) {
        const { totals } = await statistics(`reading-rate?period=${row.day}`);
        expect({ devicesRead: String(totals.read), devicesDue: String(totals.due), readingRate: totals.ratePercent }, row.day).toEqual({
          devicesRead: row.devicesRead,
          devicesDue: row.devicesDue,
          readingRate: row.readingRate,
        });
      }
    });

    it('per community for a day and a month, as the statistics count them; a community without readings has no row (the statistics show 0 %)', async () => {
      for (const period of [march(1, 1), { from: '2026-03-01', to: '2026-03-31' }]) {
        const body = await run({ dataset: 'reading-rate', query: { dimensions: ['community', 'communityName'], measures: rateMeasures, parameters: { period } } });
        const label = period.to === '2026-03-01' ? '2026-03-01' : '2026-03';
        const { groups } = await statistics(`reading-rate?period=${label}&groupBy=community`);
        const expected = groups
          .filter((g: { read: number }) => g.read > 0)
          .map((g: { id: number; name: string; read: number; due: number; ratePercent: string }) => ({
            community: String(g.id),
            communityName: g.name,
            devicesRead: String(g.read),
            devicesDue: String(g.due),
            readingRate: g.ratePercent,
          }));
        expect(body.rows, label).toEqual(expected);
        expect(groups.find((g: { code: string }) => g.code === 'C002'), label).toMatchObject({ read: 0, due: 1, ratePercent: '0.00' });
      }
      const day = await run({ dataset: 'reading-rate', query: { dimensions: ['communityName'], measures: rateMeasures, parameters: { period: march(1, 1) } } });
      expect(day.rows).toEqual([{ communityName: '东湖县锦绣花园', devicesRead: '2', devicesDue: '3', readingRate: '66.67' }]);
    });

    it('keeps county-b’s twin of a1 (same address) apart; the group administrator sees both counties, as the statistics do', async () => {
      const query = { dimensions: ['day'], measures: rateMeasures, parameters: { period: march(3, 3) } };
      expect((await run({ dataset: 'reading-rate', query })).rows).toEqual([{ day: '2026-03-03', devicesRead: '2', devicesDue: '4', readingRate: '50.00' }]);
      expect((await run({ dataset: 'reading-rate', query }, adminB)).rows).toEqual([{ day: '2026-03-03', devicesRead: '1', devicesDue: '1', readingRate: '100.00' }]);
      const both = (await run({ dataset: 'reading-rate', query }, group)).rows;
      const { totals } = await statistics('reading-rate?period=2026-03-03', group);
      expect(both).toEqual([{ day: '2026-03-03', devicesRead: String(totals.read), devicesDue: String(totals.due), readingRate: totals.ratePercent }]);
      expect(both[0].readingRate).toBe('60.00');
    });
  });

  describe('the built-in daily consumption', () => {
    const consumptionMeasures = ['consumption', 'devicesRead', 'devicesMeasured', 'noBaseline', 'registerBackwards'];

    it('sums community C001 per local day: the hand-checked rows, and the same as /api/device-statistics/consumption', async () => {
      const body = await run({
        dataset: 'daily-consumption',
        query: { dimensions: ['day'], measures: consumptionMeasures, parameters: { period: march(1, 5), community: [community.C001!.id] } },
      });
      expect(body.rows).toEqual([
        // a1 1500 − 1000 and a2 5200 − 5000; a3 unheard.
        { day: '2026-03-01', consumption: '700.000', devicesRead: '2', devicesMeasured: '2', noBaseline: '0', registerBackwards: '0' },
        // a1 300; a2 swapped (90 after 5200): backwards, not summed; a3's first reading has no baseline.
        { day: '2026-03-02', consumption: '300.000', devicesRead: '3', devicesMeasured: '1', noBaseline: '1', registerBackwards: '1' },
        { day: '2026-03-03', consumption: '100.000', devicesRead: '2', devicesMeasured: '2', noBaseline: '0', registerBackwards: '0' },
        // a1's 600 covers the silent 3 March.
        { day: '2026-03-04', consumption: '760.000', devicesRead: '3', devicesMeasured: '3', noBaseline: '0', registerBackwards: '0' },
        // a3 dipped inside the day: flagged.
        { day: '2026-03-05', consumption: '150.000', devicesRead: '3', devicesMeasured: '2', noBaseline: '0', registerBackwards: '1' },
      ]);
      const stats = await statistics(`consumption?communityId=${community.C001!.id}&from=2026-03-01&to=2026-03-05`);
      expect(
        stats.periods.map((p: { period: string; consumption: string | null; devicesRead: number; devicesMeasured: number; devicesNoBaseline: number; devicesBackwards: number }) => ({
          day: p.period,
          consumption: p.consumption,
          devicesRead: String(p.devicesRead),
          devicesMeasured: String(p.devicesMeasured),
          noBaseline: String(p.devicesNoBaseline),
          registerBackwards: String(p.devicesBackwards),
        })),
      ).toEqual(body.rows);
    });

    it('gives each meter-day with its status through a saved template run by GET, matching the per-meter statistics', async () => {
      const saved = await ok('POST', '/api/reports/templates', {
        template: {
          code: 'meter-days',
          name: '表日用水',
          dataset: { code: 'daily-consumption' },
          query: { dimensions: ['day', 'device', 'status'], measures: ['consumption'] },
          parameterBar: [{ parameter: 'period' }, { parameter: 'community' }],
        },
      });
      const body = await ok('GET', `/api/reports/templates/${saved.id}/run?period=2026-03-01..2026-03-05&community=${community.C001!.id}&pageSize=100`);
      expect(body.template).toEqual({ id: saved.id, code: 'meter-days', version: 1, name: '表日用水' });
      expect(body.parameterBar.map((p: { id: string; value: unknown }) => [p.id, p.value])).toEqual([
        ['period', { from: '2026-03-01', to: '2026-03-05' }],
        ['community', String(community.C001!.id)],
      ]);
      for (const meter of ['a1', 'a2', 'a3']) {
        const rows = body.rows.filter((r: { device: string }) => r.device === m[meter]!.key);
        const { periods } = await statistics(`consumption?deviceId=${m[meter]!.id}&from=2026-03-01&to=2026-03-05`);
        const heard = periods.filter((p: { status: string }) => p.status !== 'no_reading');
        expect(
          rows.map((r: { day: string; status: string; consumption: string | null }) => [r.day, r.status, r.consumption]),
          meter,
        ).toEqual(heard.map((p: { period: string; status: string; consumption: string | null }) => [p.period, p.status, p.consumption]));
      }
      expect(body.rows.filter((r: { device: string }) => r.device === m.a1!.key).map((r: { consumption: string }) => r.consumption)).toEqual([
        '500.000',
        '300.000',
        '600.000',
        '100.000',
      ]);
      expect(body.page).toMatchObject({ page: 1, pageSize: 100, hasMore: false, total: body.rows.length });
    });
  });

  describe('report templates', () => {
    const rateTemplate = {
      code: 'rate-by-day',
      name: '日抄表率',
      dataset: { code: 'reading-rate' },
      query: { dimensions: ['communityName', 'day'], measures: rateMeasures, parameters: { period: march(1, 2) } },
      view: 'grouped',
      grouped: { groupBy: ['communityName'] },
      pivot: { rows: ['communityName'], columns: ['day'], measures: ['readingRate'] },
      formats: [{ field: 'readingRate', op: 'lt', value: '80', style: { color: '#cf1322', fontWeight: 'bold' } }],
      drillDowns: [{ on: ['day'], target: { report: 'meter-days', parameters: { period: { field: 'day' }, community: { parameter: 'community' } } } }],
    };

    it('refuses a template naming what its dataset does not have, with the path, and writes nothing', async () => {
      const cases: [Record<string, unknown>, number, string, string][] = [
        [{ query: { ...rateTemplate.query, dimensions: ['day', 'street'] } }, 400, 'unknown_field', 'body.template.query.dimensions.1'],
        [{ chart: { type: 'bar', category: 'day', measures: ['litres'] } }, 400, 'unknown_field', 'body.template.chart.measures.0'],
        [{ grouped: { groupBy: ['day'] } }, 400, 'validation_failed', 'body.template.grouped.groupBy.0'],
        [{ query: { ...rateTemplate.query, parameters: { period: { from: '2026-03-01', to: 'tomorrow' } } } }, 400, 'validation_failed', 'body.template.query.parameters.period.to'],
        [{ dataset: { code: 'no-such-dataset' } }, 400, 'invalid_reference', 'body.template.dataset.code'],
        [{ dataset: { code: 'reading-rate', version: 7 } }, 400, 'invalid_reference', 'body.template.dataset.version'],
        [{ view: 'chart' }, 400, 'validation_failed', 'body.template.chart'],
        [{ colour: 'red' }, 400, 'unknown_field', 'body.template.colour'],
      ];
      for (const [change, status, code, path] of cases) {
        const res = await call('POST', '/api/reports/templates', { template: { ...rateTemplate, code: 'refused', ...change } }, adminA, { 'accept-language': 'en' });
        expect(res.status, JSON.stringify(change)).toBe(status);
        expect(res.body.error.code, JSON.stringify(res.body)).toBe(code);
        expect(res.body.error.details[0].path, JSON.stringify(res.body)).toBe(path);
      }
      const zh = await call('POST', '/api/reports/templates', { template: { ...rateTemplate, code: 'refused', query: { measures: ['litres'] } } });
      expect(zh.body.error).toMatchObject({ code: 'unknown_field', message: '请求包含未知字段' });
      expect(zh.body.error.details[0].message).toMatch(/^报表查询引用了数据集中不存在的字段：the dataset reading-rate has no measure litres/);
      expect(await count(sql`select count(*)::int as n from report_templates where code = 'refused'`)).toBe(0);
    });

    it('versions a template: the same document twice is one version, a change is the next; versions are listed and each runs as saved', async () => {
      const first = await call('POST', '/api/reports/templates', { template: rateTemplate });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ code: 'rate-by-day', version: 1, isNew: true, tenantId: countyA.id, datasetCode: 'reading-rate', datasetVersion: null });
      // Key order does not matter: the same template again is no new version.
      const again = await call('POST', '/api/reports/templates', { template: Object.fromEntries(Object.entries(rateTemplate).reverse()) });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: first.body.id, version: 1, isNew: false });
      const changed = { ...rateTemplate, name: '日抄表率（按小区）', view: 'table' };
      const conflict = await call('POST', '/api/reports/templates', { template: changed });
      expect(conflict.status).toBe(409);
      expect(conflict.body.error).toMatchObject({ code: 'duplicate', details: [expect.objectContaining({ path: 'body.template.code', code: 'code_taken' })] });
      const second = await call('PUT', `/api/reports/templates/${first.body.id}`, { template: changed });
      expect(second.status).toBe(201);
      expect(second.body).toMatchObject({ code: 'rate-by-day', version: 2, isNew: true, name: '日抄表率（按小区）' });
      const same = await call('PUT', `/api/reports/templates/${first.body.id}`, { template: changed });
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ id: second.body.id, version: 2, isNew: false });
      const renamed = await call('PUT', `/api/reports/templates/${first.body.id}`, { template: { ...changed, code: 'other' } });
      expect(renamed.status).toBe(400);
      expect(renamed.body.error.details[0]).toMatchObject({ path: 'body.template.code', code: 'code_changed' });

      const versions = await ok('GET', '/api/reports/templates?code=rate-by-day');
      expect(versions.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
      expect(versions.items[0]).not.toHaveProperty('template');
      const newest = await ok('GET', '/api/reports/templates');
      expect(newest.items.filter((v: { code: string }) => v.code === 'rate-by-day').map((v: { version: number }) => v.version)).toEqual([2]);
      expect((await ok('GET', `/api/reports/templates/${first.body.id}`)).template).toMatchObject({ view: 'grouped', name: '日抄表率' });
      // Each version runs as it was saved: version 1 opens grouped, version 2 as a table.
      expect((await ok('GET', `/api/reports/templates/${first.body.id}/run`)).view).toBe('grouped');
      expect((await ok('GET', `/api/reports/templates/${second.body.id}/run`)).view).toBe('table');
      // The audit trail has the save, once.
      expect(await count(sql`select count(*)::int as n from audit_log where entity = 'report_templates' and entity_id = ${String(first.body.id)}`)).toBe(1);
    });

    it('runs the grouped view with exact subtotals, the pivot with totals, and a chart as an ECharts option', async () => {
      const [v1] = (await ok('GET', '/api/reports/templates?code=rate-by-day')).items.filter((v: { version: number }) => v.version === 1);
      const grouped = await run({ template: v1.id });
      expect(grouped.view).toBe('grouped');
      expect(grouped.grouped.rows.map((r: { kind: string; values: Record<string, string | null> }) => [r.kind, r.values.communityName, r.values.day, r.values.devicesRead, r.values.devicesDue, r.values.readingRate])).toEqual([
        ['row', '东湖县锦绣花园', '2026-03-01', '2', '3', '66.67'],
        ['row', '东湖县锦绣花园', '2026-03-02', '3', '3', '100.00'],
        // Meters read on either day counted once (not 2 + 3), read again from the database at the community's grain.
        ['subtotal', '东湖县锦绣花园', null, '3', '3', '100.00'],
        // Every in-service meter is due, a4 of C002 too (it has no row: it read nothing), as the statistics count them.
        ['total', null, null, '3', '4', '75.00'],
      ]);
      // Conditional format (readingRate < 80) and drill-downs follow the grouped rows.
      expect(grouped.grouped.styles.map((s: Record<string, unknown>) => s.readingRate ?? null)).toEqual([
        { color: '#cf1322', fontWeight: 'bold' },
        null,
        null,
        { color: '#cf1322', fontWeight: 'bold' },
      ]);
      const meterDays = (await ok('GET', '/api/reports/templates?code=meter-days')).items[0];
      expect(grouped.grouped.drillDowns[0]).toEqual([
        { label: null, on: ['day'], report: 'meter-days', templateId: meterDays.id, parameters: { period: { from: '2026-03-01', to: '2026-03-01' }, community: null } },
      ]);
      expect(grouped.grouped.drillDowns[2]).toEqual([]);

      const pivot = await run({ template: v1.id, view: 'pivot', parameters: { community: [community.C001!.id] } });
      expect(pivot.pivot).toMatchObject({
        rows: [['东湖县锦绣花园']],
        columns: [['2026-03-01'], ['2026-03-02']],
        cells: [[['66.67'], ['100.00']]],
        rowTotals: [['100.00']],
        columnTotals: [['66.67'], ['100.00']],
        grandTotal: ['100.00'],
      });
      // The drill-down takes the current parameters along.
      expect(pivot.drillDowns[0][0].parameters).toEqual({ period: { from: '2026-03-01', to: '2026-03-01' }, community: [community.C001!.id] });

      const chart = await run({ template: v1.id, view: 'chart', query: { dimensions: ['day'] }, chart: { type: 'bar', category: 'day', measures: ['readingRate', 'devicesRead'] } }, viewer);
      expect(chart.chart.xAxis).toEqual({ type: 'category', data: ['2026-03-01', '2026-03-02'] });
      expect(chart.chart.series.map((s: { name: string; data: string[] }) => [s.name, s.data])).toEqual([
        ['抄表率 (%)', ['50.00', '75.00']],
        ['已抄表数', ['2', '3']],
      ]);
      const english = await call('POST', '/api/reports/run', { template: v1.id, view: 'chart', query: { dimensions: ['day'] }, chart: { type: 'bar', category: 'day', measures: ['readingRate'] } }, adminA, { 'accept-language': 'en' });
      expect(english.body.chart.series[0].name).toBe('Reading rate (%)');
    });

    it('pages the table view with a total', async () => {
      const first = await run({ dataset: 'daily-consumption', query: { dimensions: ['day', 'device'], measures: ['consumption'], parameters: { period: march(1, 5) } }, page: 1, pageSize: 4 });
      const second = await run({ dataset: 'daily-consumption', query: { dimensions: ['day', 'device'], measures: ['consumption'], parameters: { period: march(1, 5) } }, page: 2, pageSize: 4 });
      // Meter-days of a1 (silent on 3 March), a2, a3 (from 2 March) and a5 (1 March only): 4 + 5 + 4 + 1.
      expect(first.page).toEqual({ page: 1, pageSize: 4, hasMore: true, total: 14 });
      expect(first.rows).toHaveLength(4);
      expect(second.rows).toHaveLength(4);
      expect(second.rows[0]).not.toEqual(first.rows[3]);
      expect([...first.rows, ...second.rows].map((r: { day: string }) => r.day)).toEqual([...first.rows, ...second.rows].map((r: { day: string }) => r.day).sort());
    });
  });

  describe('raw-SQL datasets', () => {
    const readingsSql = {
      id: 'raw-readings',
      label: '原始读数',
      source: { kind: 'analytics-sql', sql: "SELECT tenant_path, device, at, value FROM {{readings}} WHERE metric = 'cumulative_volume'" },
      columns: { tenant_path: { type: 'tenantPath' }, device: { type: 'string' }, at: { type: 'timestamp' }, value: { type: 'decimal', scale: 3 } },
      dimensions: [
        { id: 'device', label: '设备', column: 'device' },
        { id: 'tenant', label: '租户', column: 'tenant_path' },
      ],
      measures: [{ id: 'readings', label: '读数', aggregate: 'count' }],
    };

    it('refuses a county administrator’s SQL, in the source or in a lookup, with 403 and writes nothing', async () => {
      const res = await call('POST', '/api/reports/datasets', { definition: readingsSql }, adminA, { 'accept-language': 'en' });
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'forbidden', details: [{ path: 'body.definition.source.sql', code: 'raw_sql_platform_only' }] });
      expect(res.body.error.details[0].message).toContain('Only platform administrators');
      const builtinCopy = (await ok('GET', '/api/reports/builtin-datasets')).items.find((d: { id: string }) => d.id === 'reading-rate');
      const { shadowedBy: _shadowedBy, ...copy } = builtinCopy;
      const lookup = await call('POST', '/api/reports/datasets', { definition: { ...copy, id: 'my-reading-rate' } });
      expect(lookup.status).toBe(403);
      expect(lookup.body.error.details[0]).toMatchObject({ path: 'body.definition.lookups', code: 'raw_sql_platform_only' });
      expect(await count(sql`select count(*)::int as n from report_datasets where code in ('raw-readings', 'my-reading-rate')`)).toBe(0);
    });

    it('takes the platform administrator’s SQL for county-a; county-a’s run sees only county-a’s readings, never its twin’s in county-b', async () => {
      const saved = await call('POST', '/api/reports/datasets', { tenantId: countyA.id, definition: readingsSql }, platform);
      expect(saved.status).toBe(201);
      expect(saved.body).toMatchObject({ code: 'raw-readings', version: 1, tenantId: countyA.id, sourceKind: 'analytics-sql', rawSql: true });
      const body = await run({ dataset: 'raw-readings', query: { dimensions: ['tenant', 'device'], measures: ['readings'] } });
      expect(body.dataset).toMatchObject({ origin: 'tenant', id: saved.body.id });
      expect(body.rows).toEqual([
        { tenant: countyA.path, device: '10000000000001', readings: '7' },
        { tenant: countyA.path, device: '10000000000002', readings: '7' },
        { tenant: countyA.path, device: '10000000000003', readings: '6' },
        { tenant: countyA.path, device: '10000000000005', readings: '1' },
      ]);
      // County-b has no such dataset; by id, county-a's is not visible to it.
      expect((await call('POST', '/api/reports/run', { dataset: 'raw-readings', query: { measures: ['readings'] } }, adminB)).status).toBe(404);
      expect((await call('POST', '/api/reports/run', { dataset: saved.body.id, query: { measures: ['readings'] } }, adminB)).status).toBe(404);
      // A county administrator may still replace it with a dataset without SQL, but not with other SQL.
      const edited = await call('PUT', `/api/reports/datasets/${saved.body.id}`, { definition: { ...readingsSql, label: '改过的' } });
      expect(edited.status).toBe(403);
    });

    it('refuses SQL that tries to leave the tenant (physical tables, table functions, tenant settings): at save or at run, and never returns a row', async () => {
      const attempts: [string, string][] = [
        ['analytics-sql', "SELECT tenant_path, device, at, value FROM {{readings}} UNION ALL SELECT tenant_path, device, at, value FROM device_readings"],
        ['analytics-sql', "SELECT tenant_path, device, at, value FROM remote('127.0.0.1', 'shuiyun', 'device_readings')"],
        ['analytics-sql', "SELECT tenant_path, device, at, value FROM {{readings}} WHERE device IN (SELECT device FROM shuiyun.device_readings)"],
        ['postgres-sql', "select tenant_path, device_key as device, created_at as at, 1 as value from devices where set_config('app.tenant', '1', true) is not null"],
        ['postgres-sql', 'select tenant_path, device_key as device, created_at as at, 1 as value from devices; select 1'],
      ];
      for (const [index, [kind, text]] of attempts.entries()) {
        const code = `escape-${index}`;
        const definition = { ...readingsSql, id: code, source: { kind, sql: text } };
        const saved = await call('POST', '/api/reports/datasets', { tenantId: countyA.id, definition }, platform);
        let refusedWith: string;
        if (saved.status === 201) {
          const res = await call('POST', '/api/reports/run', { dataset: code, query: { dimensions: ['tenant', 'device'], measures: ['readings'] } });
          expect(res.status, `${text} → ${JSON.stringify(res.body)}`).toBe(400);
          refusedWith = res.body.error.details[0].code;
        } else {
          expect(saved.status, `${text} → ${JSON.stringify(saved.body)}`).toBe(400);
          refusedWith = saved.body.error.details[0].code;
        }
        expect(['raw_sql_refused', 'relation_not_tenant_scoped'], text).toContain(refusedWith);
      }
    });

    it('runs a platform administrator’s PostgreSQL SQL under the caller’s row-level security', async () => {
      const definition = {
        id: 'raw-devices',
        label: '设备 SQL',
        source: { kind: 'postgres-sql', sql: 'select d.tenant_path, d.device_key, d.state from devices d' },
        columns: { tenant_path: { type: 'tenantPath' }, device_key: { type: 'string' }, state: { type: 'string' } },
        dimensions: [
          { id: 'tenant', label: '租户', column: 'tenant_path' },
          { id: 'device', label: '设备', column: 'device_key' },
        ],
        measures: [{ id: 'devices', label: '设备数', aggregate: 'count' }],
      };
      for (const tenant of [countyA, countyB]) expect((await call('POST', '/api/reports/datasets', { tenantId: tenant.id, definition }, platform)).status).toBe(201);
      const query = { dimensions: ['tenant'], measures: ['devices'] };
      expect((await run({ dataset: 'raw-devices', query })).rows).toEqual([{ tenant: countyA.path, devices: '5' }]);
      expect((await run({ dataset: 'raw-devices', query }, adminB)).rows).toEqual([{ tenant: countyB.path, devices: '1' }]);
    });
  });

  describe('tenancy of datasets and templates', () => {
    const alarmsByKind = {
      id: 'alarm-statistics',
      label: '告警（本司口径）',
      source: { kind: 'postgres', relation: 'alarms' },
      columns: { tenant_path: { type: 'tenantPath' }, kind: { type: 'string' }, raised_at: { type: 'timestamp' } },
      dimensions: [{ id: 'kind', label: '类型', column: 'kind' }],
      measures: [{ id: 'alarms', label: '告警数', aggregate: 'count' }],
    };

    it('lets a county shadow a built-in dataset for itself only, and falls back to the built-in one when its own is deleted', async () => {
      const saved = await ok('POST', '/api/reports/datasets', { definition: alarmsByKind });
      expect(saved).toMatchObject({ code: 'alarm-statistics', version: 1, sourceKind: 'postgres', rawSql: false });
      const query = { dimensions: ['kind'], measures: ['alarms'] };
      expect((await run({ dataset: 'alarm-statistics', query })).dataset).toEqual({ code: 'alarm-statistics', version: 1, origin: 'tenant', id: saved.id });
      expect((await run({ dataset: 'alarm-statistics', query }, adminB)).dataset).toMatchObject({ origin: 'builtin', id: null });
      const shadowed = (who: string) => ok('GET', '/api/reports/builtin-datasets', undefined, who).then((b) => b.items.find((d: { id: string }) => d.id === 'alarm-statistics').shadowedBy);
      expect(await shadowed(adminA)).toBe(saved.id);
      expect(await shadowed(adminB)).toBeNull();
      // A definition for another tenant's dataset list is no new version there.
      expect((await ok('GET', '/api/reports/datasets?code=alarm-statistics', undefined, adminB)).items).toEqual([]);
      expect((await call('DELETE', `/api/reports/datasets/${saved.id}`)).status).toBe(204);
      expect((await run({ dataset: 'alarm-statistics', query })).dataset.origin).toBe('builtin');
    });

    it('versions datasets like templates, and refuses deleting one a template still reads', async () => {
      const saved = await ok('POST', '/api/reports/datasets', { definition: { ...alarmsByKind, id: 'my-alarms' } });
      const again = await call('POST', '/api/reports/datasets', { definition: { ...alarmsByKind, id: 'my-alarms', version: 1 } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: saved.id, version: 1, isNew: false });
      const next = await call('PUT', `/api/reports/datasets/${saved.id}`, { definition: { ...alarmsByKind, id: 'my-alarms', label: '告警 v2' } });
      expect(next.status).toBe(201);
      expect(next.body).toMatchObject({ version: 2, label: { 'zh-CN': '告警 v2', en: '告警 v2' } });
      expect((await ok('GET', `/api/reports/datasets/${next.body.id}`)).definition).toMatchObject({ id: 'my-alarms', version: 2, label: '告警 v2' });
      // A template pinned to version 1 keeps reading version 1.
      const pinned = await ok('POST', '/api/reports/templates', { template: { code: 'alarms-v1', name: '告警', dataset: { code: 'my-alarms', version: 1 }, query: { dimensions: ['kind'], measures: ['alarms'] } } });
      expect((await ok('GET', `/api/reports/templates/${pinned.id}/run`)).dataset).toMatchObject({ code: 'my-alarms', version: 1, id: saved.id });
      const refused = await call('DELETE', `/api/reports/datasets/${saved.id}`);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'still_referenced', details: [expect.objectContaining({ code: 'dataset_in_use' })] });
      expect(await count(sql`select count(*)::int as n from report_datasets where code = 'my-alarms'`)).toBe(2);
    });

    it('keeps county-a’s datasets and templates from county-b: 404 by id, absent from its lists, and not runnable', async () => {
      const template = (await ok('GET', '/api/reports/templates?code=meter-days')).items[0];
      const dataset = (await ok('GET', '/api/reports/datasets?code=my-alarms')).items[0];
      for (const path of [`/api/reports/templates/${template.id}`, `/api/reports/templates/${template.id}/run`, `/api/reports/datasets/${dataset.id}`]) {
        const res = await call('GET', path, undefined, adminB);
        expect(res.status, path).toBe(404);
      }
      expect((await call('POST', '/api/reports/run', { template: template.id }, adminB)).status).toBe(404);
      expect((await call('POST', '/api/reports/run', { template: 'meter-days' }, adminB)).status).toBe(404);
      for (const list of ['/api/reports/templates', '/api/reports/datasets']) {
        const items = (await ok('GET', `${list}?pageSize=200`, undefined, adminB)).items as { tenantId: number }[];
        expect(items.filter((i) => i.tenantId !== countyB.id), list).toEqual([]);
        const groupSees = (await ok('GET', `${list}?tenantId=${countyA.id}&pageSize=200`, undefined, group)).items as { tenantId: number }[];
        expect(groupSees.length, list).toBeGreaterThan(0);
      }
      // The group administrator runs county-a's template and sees county-a's rows.
      const asGroup = await ok('GET', `/api/reports/templates/${template.id}/run?period=2026-03-03..2026-03-03`, undefined, group);
      expect(new Set(asGroup.rows.map((r: { device: string }) => r.device))).toEqual(new Set([m.a2!.key, m.a3!.key, m.b1!.key]));
    });
  });

  describe('permissions', () => {
    it('lets a viewer read and run reports, and refuses it every change (403), writing nothing', async () => {
      const template = (await ok('GET', '/api/reports/templates?code=meter-days', undefined, viewer)).items[0];
      expect((await ok('GET', '/api/reports/datasets', undefined, viewer)).items.length).toBeGreaterThan(0);
      expect((await ok('GET', `/api/reports/templates/${template.id}/run?period=2026-03-02..2026-03-02`, undefined, viewer)).rows.length).toBeGreaterThan(0);
      expect((await run({ dataset: 'reading-rate', query: { measures: ['devicesRead'], parameters: { period: march(2, 2) } } }, viewer)).rows).toEqual([{ devicesRead: '3' }]);
      const dataset = (await ok('GET', '/api/reports/datasets?code=my-alarms', undefined, viewer)).items[0];
      const writes: [string, string, unknown][] = [
        ['POST', '/api/reports/datasets', { definition: { id: 'viewer-made', label: 'x', source: { kind: 'analytics', table: 'readings' }, measures: [{ id: 'n', label: 'n', aggregate: 'count' }] } }],
        ['PUT', `/api/reports/datasets/${dataset.id}`, { definition: { id: 'my-alarms', label: 'x', source: { kind: 'analytics', table: 'readings' } } }],
        ['DELETE', `/api/reports/datasets/${dataset.id}`, undefined],
        ['POST', '/api/reports/templates', { template: { code: 'viewer-made', name: 'x', dataset: { code: 'reading-rate' } } }],
        ['PUT', `/api/reports/templates/${template.id}`, { template: { code: 'meter-days', name: 'x', dataset: { code: 'reading-rate' } } }],
        ['DELETE', `/api/reports/templates/${template.id}`, undefined],
      ];
      for (const [method, path, body] of writes) {
        const res = await call(method, path, body, viewer);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      expect(await count(sql`select count(*)::int as n from report_datasets where code = 'viewer-made' or label->>'zh-CN' = 'x'`)).toBe(0);
      expect(await count(sql`select count(*)::int as n from report_templates where code = 'viewer-made' or name = 'x'`)).toBe(0);
    });
  });

  describe('bad input', () => {
    it('answers a wrong parameter type with 400 and the parameter’s path, in the body or in the query string', async () => {
      const wrong = await call('POST', '/api/reports/run', { dataset: 'reading-rate', query: { measures: ['devicesRead'], parameters: { period: 42 } } });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.query.parameters.period', code: 'invalid_parameter' }] });
      const template = (await ok('GET', '/api/reports/templates?code=meter-days')).items[0];
      const badRange = await call('GET', `/api/reports/templates/${template.id}/run?period=2026-03-05..2026-03-01`);
      expect(badRange.status).toBe(400);
      expect(badRange.body.error.details[0]).toMatchObject({ path: 'query.period.to', code: 'invalid_parameter' });
      const badCommunity = await call('POST', '/api/reports/run', { template: template.id, parameters: { community: ['C001'] } });
      expect(badCommunity.body.error.details[0]).toMatchObject({ path: 'body.parameters.community.0', code: 'invalid_parameter' });
      const unknown = await call('GET', `/api/reports/templates/${template.id}/run?street=1`);
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toMatchObject({ code: 'unknown_field', details: [{ path: 'query.street', code: 'unknown_field' }] });
      const field = await call('POST', '/api/reports/run', { dataset: 'reading-rate', query: { dimensions: ['street'], measures: ['devicesRead'] } }, adminA, { 'accept-language': 'en' });
      expect(field.body.error).toMatchObject({ code: 'unknown_field', message: 'The request contains unknown fields', details: [{ path: 'body.query.dimensions.0' }] });
      const both = await call('POST', '/api/reports/run', { dataset: 'reading-rate', template: template.id });
      expect(both.status).toBe(400);
      expect(both.body.error.details[0].path).toBe('body.dataset');
      // A view without its spec, or a spec naming what the result lacks: the path says whose spec it is.
      const adHoc = await call('POST', '/api/reports/run', { dataset: 'reading-rate', view: 'grouped', query: { dimensions: ['day'], measures: ['devicesRead'] } });
      expect(adHoc.body.error.details[0]).toMatchObject({ path: 'body.grouped', code: 'invalid_query' });
      const noChart = await call('POST', '/api/reports/run', { template: template.id, view: 'chart', parameters: { period: march(1, 1) } });
      expect(noChart.body.error.details[0]).toMatchObject({ path: 'template.chart', code: 'invalid_query' });
      const badChart = await call('POST', '/api/reports/run', { template: template.id, view: 'chart', chart: { type: 'bar', category: 'day', measures: ['litres'] }, parameters: { period: march(1, 1) } });
      expect(badChart.body.error).toMatchObject({ code: 'unknown_field', details: [{ path: 'body.chart.measures.0', code: 'unknown_field' }] });
      expect((await call('POST', '/api/reports/run', { dataset: 'no-such-dataset' })).status).toBe(404);
      expect((await call('POST', '/api/reports/run', { dataset: 'reading-rate', pageSize: 0 })).status).toBe(400);
    });

    it('treats SQL in a parameter or filter value as data: nothing matches, nothing breaks', async () => {
      const injection = "10000000000001' OR '1'='1";
      const byDma = await run({ dataset: 'reading-rate', query: { measures: ['devicesRead'], parameters: { period: march(1, 5), dma: injection } } });
      expect(byDma.rows).toEqual([]);
      const byDevice = await run({ dataset: 'daily-consumption', query: { dimensions: ['device'], measures: ['consumption'], parameters: { period: march(1, 5) }, filters: [{ field: 'device', op: 'eq', value: injection }] } });
      expect(byDevice.rows).toEqual([]);
      const dropping = await run({ dataset: 'alarm-statistics', query: { measures: ['alarms'], filters: [{ field: 'device', op: 'in', values: ["x'); drop table alarms; --", "' or 1=1 --"] }] } });
      expect(dropping.rows).toEqual([{ alarms: '0' }]);
      const real = await run({ dataset: 'daily-consumption', query: { dimensions: ['device'], measures: ['consumption'], parameters: { period: march(1, 5) }, filters: [{ field: 'device', op: 'eq', value: '10000000000001' }] } });
      expect(real.rows).toEqual([{ device: '10000000000001', consumption: '1500.000' }]);
      expect(await count(sql`select count(*)::int as n from information_schema.tables where table_name = 'alarms'`)).toBe(1);
    });
  });

  describe('the result cache', () => {
    it('answers a repeated analytics run from the cache until a reading arrives, and never caches a PostgreSQL dataset', async () => {
      const query = { dataset: 'reading-rate', query: { dimensions: ['day'], measures: rateMeasures, parameters: { period: { from: '2026-05-01', to: '2026-05-01' } } } };
      const first = await run(query);
      expect(first).toMatchObject({ rows: [], cached: false });
      expect((await run(query)).cached).toBe(true);
      // Another tenant's identical query is its own entry.
      expect((await run(query, adminB)).cached).toBe(false);
      await feed(m.a4!, 10, '2026-05-01 09:00');
      await t.runtime.iot!.settle();
      const after = await run(query);
      expect(after).toMatchObject({ cached: false, rows: [{ day: '2026-05-01', devicesRead: '1', devicesDue: '4', readingRate: '25.00' }] });
      expect((await run(query)).cached).toBe(true);
      const alarmsQuery = { dataset: 'alarm-statistics', query: { measures: ['alarms'] } };
      await run(alarmsQuery);
      expect((await run(alarmsQuery)).cached).toBe(false);
    });
  });

  describe('exports', () => {
    const exportBody = { dataset: 'reading-rate', query: { dimensions: ['day'], measures: rateMeasures, parameters: { period: march(1, 5) } } };
    const download = async (format: string, body: unknown, token = adminA) => {
      const res = await fetch(`${t.baseUrl}/api/reports/export?format=${format}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'zh-CN' },
        body: JSON.stringify(body),
      });
      return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), bytes: Buffer.from(await res.arrayBuffer()) };
    };

    it('streams the rows a run shows as CSV (UTF-8 with BOM) and XLSX, each readable back', async () => {
      const shown = await run({ ...exportBody, pageSize: 100 });
      const csv = await download('csv', exportBody);
      expect(csv.status).toBe(200);
      expect(csv.type).toContain('text/csv');
      expect(csv.disposition).toMatch(/attachment; filename="reading-rate-\d{4}-\d{2}-\d{2}\.csv"/);
      const text = csv.bytes.toString('utf8');
      expect(text.charCodeAt(0)).toBe(0xfeff);
      const lines = text.slice(1).trim().split(/\r?\n/);
      expect(lines).toHaveLength(shown.rows.length + 1);
      const ids = shown.columns.map((c: { id: string }) => c.id);
      for (const [i, row] of shown.rows.entries()) expect(lines[i + 1]).toBe(ids.map((id: string) => row[id] ?? '').join(','));

      const xlsx = await download('xlsx', exportBody);
      expect(xlsx.status).toBe(200);
      const { default: ExcelJS } = await import('exceljs');
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(xlsx.bytes as never);
      const sheet = book.worksheets[0]!;
      expect(sheet.rowCount).toBe(shown.rows.length + 1);
    });

    it('keeps the subtotals of a grouped view, refuses an unknown format, and exports nothing of another county', async () => {
      const grouped = await download('xlsx', { ...exportBody, view: 'grouped', grouped: { groupBy: ['day'], grandTotal: true } });
      expect(grouped.status).toBe(200);
      expect((await download('docx', exportBody)).status).toBe(400);
      const template = await ok('POST', '/api/reports/templates', { template: { code: 'rate-export', name: '抄表率导出', dataset: { code: 'reading-rate' }, query: exportBody.query } });
      expect((await download('csv', { template: template.id }, adminB)).status).toBe(404);
      expect((await download('csv', { template: template.id }, viewer)).status).toBe(200);
    });
  });
});
