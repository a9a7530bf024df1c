import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { inTenant } from '@shuiyun/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markOffline } from '../devices/index.js';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

const thingModel = {
  properties: [{ identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 2, access: 'r' }],
  events: [],
  services: [],
};

/** Asia/Shanghai wall-clock time → the instant (China has kept UTC+8 without daylight saving since 1991). */
const shanghai = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);

interface Meter {
  id: number;
  key: string;
  secret: string;
}

describe.each(drivers)('device statistics on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let group: string;
  let countyA: number;
  let countyB: number;
  let productA: number;
  let productB: number;
  const community: Record<string, number> = {};
  const building: Record<string, number> = {};
  let communityB: number;
  const m: Record<string, Meter> = {};

  const ok = async (method: string, path: string, body?: unknown, token = adminA) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const get = (path: string, token = adminA) => ok('GET', path, undefined, token);

  /** A CJ/T 188 read-data reply, as the meter would send it, through the runtime's ingestion pipeline. */
  const feed = async (meter: Meter, litres: number, local: string) => {
    const identity = await t.runtime.iot!.directory.authenticate(meter.key, meter.secret);
    expect(identity).not.toBeNull();
    const frame = encodeMeterDataReply({ address: meter.key, cumulativeLitres: litres, at: shanghai(local) });
    const outcome = await t.runtime.iot!.pipeline.ingest(identity!, frame, new Date());
    expect(outcome).toMatchObject({ ok: true });
  };

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    group = await t.login('admin@demo-group');
    countyA = (await get('/api/auth/me')).tenant.id;
    countyB = (await get('/api/auth/me', adminB)).tenant.id;
    for (const c of (await get(`/api/communities?tenantId=${countyA}`)).items) {
      community[c.code] = c.id;
      for (const b of (await get(`/api/buildings?communityId=${c.id}`)).items) building[b.code] = b.id;
    }
    communityB = (await get(`/api/communities?tenantId=${countyB}`, adminB)).items.find((c: { code: string }) => c.code === 'C001').id;
    const buildingB = (await get(`/api/buildings?communityId=${communityB}`, adminB)).items[0].id;
    const product = { code: 'CJT-STAT', name: 'CJ/T 188 远传水表', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel };
    productA = (await ok('POST', '/api/products', product)).id;
    productB = (await ok('POST', '/api/products', product, adminB)).id;

    const register = async (name: string, token: string, body: Record<string, unknown>, state: 'accepted' | 'in_service' = 'in_service') => {
      const created = await ok('POST', '/api/devices', { meterNumber: `S-${name}`, ...body }, token);
      for (const to of state === 'accepted' ? ['accepted'] : ['accepted', 'in_service']) await ok('POST', `/api/devices/${created.id}/transition`, { to }, token);
      m[name] = { id: created.id, key: created.deviceKey, secret: created.mqttCredentials.secret };
    };
    await register('a1', adminA, { productId: productA, deviceKey: '10000000000001', communityId: community.C001, buildingId: building['C001-B01'] });
    await register('a2', adminA, { productId: productA, deviceKey: '10000000000002', communityId: community.C001, buildingId: building['C001-B01'] });
    await register('a3', adminA, { productId: productA, deviceKey: '10000000000003', communityId: community.C001, buildingId: building['C001-B02'] });
    await register('a4', adminA, { productId: productA, deviceKey: '10000000000004', communityId: community.C002, buildingId: building['C002-B01'] });
    await register('a5', adminA, { productId: productA, deviceKey: '10000000000005', communityId: community.C002 }, 'accepted');
    // Two utilities' meters may carry the same CJ/T 188 address: b1 shares a1's.
    await register('b1', adminB, { productId: productB, deviceKey: '10000000000001', communityId: communityB, buildingId: buildingB });

    // a1: a baseline in February; on 1 March a reading at 23:30 local (15:30 UTC, still 1 March) and one at
    // 00:30 local on 2 March (16:30 UTC on 1 March); silent on 3 March.
    await feed(m.a1!, 1000, '2026-02-28 20:00');
    await feed(m.a1!, 1100, '2026-03-01 08:00');
    await feed(m.a1!, 1500, '2026-03-01 23:30');
    await feed(m.a1!, 1600, '2026-03-02 00:30');
    await feed(m.a1!, 1800, '2026-03-02 10:00');
    await feed(m.a1!, 2400, '2026-03-04 09:00');
    await feed(m.a1!, 2500, '2026-03-05 09:00');
    // a2: swapped on 2 March (the new register starts near zero); one reading at 00:30 local on 1 April.
    await feed(m.a2!, 5000, '2026-02-28 12:00');
    await feed(m.a2!, 5200, '2026-03-01 12:00');
    await feed(m.a2!, 90, '2026-03-02 12:00');
    await feed(m.a2!, 150, '2026-03-03 12:00');
    await feed(m.a2!, 250, '2026-03-04 12:00');
    await feed(m.a2!, 300, '2026-03-05 12:00');
    await feed(m.a2!, 400, '2026-04-01 00:30');
    // a3: first heard at 00:30 local on 2 March (16:30 UTC on 1 March); on 5 March the register dips
    // inside the day (reverse flow) although the day ends above where it started.
    await feed(m.a3!, 7000, '2026-03-02 00:30');
    await feed(m.a3!, 7040, '2026-03-03 09:00');
    await feed(m.a3!, 7100, '2026-03-04 09:00');
    await feed(m.a3!, 7200, '2026-03-05 08:00');
    await feed(m.a3!, 7150, '2026-03-05 12:00');
    await feed(m.a3!, 7300, '2026-03-05 20:00');
    // a4 never reports. a5 reports but is not in service yet.
    await feed(m.a5!, 10, '2026-03-01 10:00');
    // b1 reports under county-b, on days a1 is silent too.
    await feed(m.b1!, 100_000, '2026-03-01 12:00');
    await feed(m.b1!, 100_500, '2026-03-02 12:00');
    await feed(m.b1!, 100_700, '2026-03-03 12:00');
    await t.runtime.iot!.settle();
  });
  afterAll(() => t?.close());

  describe('reading rate', () => {
    const rate = (query: string, token = adminA) => get(`/api/device-statistics/reading-rate?${query}`, token);
    const figures = (groups: { code: string | null; due: number; read: number; unread: number; ratePercent: string | null }[]) =>
      groups.map(({ code, due, read, unread, ratePercent }) => ({ code, due, read, unread, ratePercent }));

    it('counts a day in the tenant’s time zone by community: a 00:30 local reading belongs to the next day though it is the same UTC date', async () => {
      const body = await rate('period=2026-03-01&groupBy=community');
      expect(body).toMatchObject({ metric: 'cumulative_volume', granularity: 'day', period: '2026-03-01', timeZone: 'Asia/Shanghai', groupBy: 'community' });
      // a3's first reading (16:30 UTC on 1 March) is 2 March in Shanghai; a5 reported but is not in service.
      expect(body.totals).toEqual({ due: 4, read: 2, unread: 2, ratePercent: '50.00' });
      expect(figures(body.groups)).toEqual([
        { code: 'C001', due: 3, read: 2, unread: 1, ratePercent: '66.67' },
        { code: 'C002', due: 1, read: 0, unread: 1, ratePercent: '0.00' },
      ]);
      expect(body.groups[0]).toMatchObject({ id: community.C001, tenantId: countyA, name: '东湖县锦绣花园' });
      // The same day counted in UTC takes a3's reading in.
      const utc = await rate('period=2026-03-01&groupBy=community&timeZone=utc');
      expect(utc.timeZone).toBe('UTC');
      expect(utc.totals).toEqual({ due: 4, read: 3, unread: 1, ratePercent: '75.00' });
    });

    it('groups by building and by product, with one meter unread', async () => {
      const byBuilding = await rate('period=2026-03-02&groupBy=building');
      expect(figures(byBuilding.groups)).toEqual([
        { code: 'C001-B01', due: 2, read: 2, unread: 0, ratePercent: '100.00' },
        { code: 'C001-B02', due: 1, read: 1, unread: 0, ratePercent: '100.00' },
        { code: 'C002-B01', due: 1, read: 0, unread: 1, ratePercent: '0.00' },
      ]);
      const byProduct = await rate('period=2026-03-02');
      expect(byProduct.groupBy).toBe('product');
      expect(byProduct.totals).toEqual({ due: 4, read: 3, unread: 1, ratePercent: '75.00' });
      expect(byProduct.groups).toEqual([{ id: productA, tenantId: countyA, code: 'CJT-STAT', name: 'CJ/T 188 远传水表', due: 4, read: 3, unread: 1, ratePercent: '75.00' }]);
    });

    it('counts months in the tenant’s time zone: 00:30 on 1 April local is April, though it is 31 March in UTC', async () => {
      expect((await rate('period=2026-02')).totals).toEqual({ due: 4, read: 2, unread: 2, ratePercent: '50.00' });
      expect((await rate('period=2026-03')).totals).toEqual({ due: 4, read: 3, unread: 1, ratePercent: '75.00' });
      const april = await rate('period=2026-04&groupBy=community');
      expect(april).toMatchObject({ granularity: 'month', period: '2026-04' });
      expect(april.totals).toEqual({ due: 4, read: 1, unread: 3, ratePercent: '25.00' });
      expect((await rate('period=2026-05')).totals).toEqual({ due: 4, read: 0, unread: 4, ratePercent: '0.00' });
    });

    it('narrows to one community, and answers an invisible one with 404', async () => {
      const body = await rate(`period=2026-03-02&groupBy=building&communityId=${community.C001}`);
      expect(body.totals).toEqual({ due: 3, read: 3, unread: 0, ratePercent: '100.00' });
      const foreign = await t.request('GET', `/api/device-statistics/reading-rate?period=2026-03-02&communityId=${communityB}`, { token: adminA });
      expect(foreign.status).toBe(404);
    });

    it('keeps tenants apart although two meters share an address; a group admin sees both counties', async () => {
      // On 3 March only county-b's twin of a1 reported: a1 stays unread for county-a.
      const a = await rate('period=2026-03-03&groupBy=building');
      expect(figures(a.groups)[0]).toEqual({ code: 'C001-B01', due: 2, read: 1, unread: 1, ratePercent: '50.00' });
      expect(a.totals).toEqual({ due: 4, read: 2, unread: 2, ratePercent: '50.00' });
      const b = await rate('period=2026-03-03', adminB);
      expect(b.totals).toEqual({ due: 1, read: 1, unread: 0, ratePercent: '100.00' });
      expect(b.groups.map((g: { id: number }) => g.id)).toEqual([productB]);

      const both = await rate('period=2026-03-03', group);
      expect(both.totals).toEqual({ due: 5, read: 3, unread: 2, ratePercent: '60.00' });
      expect(both.groups.map((g: { id: number; tenantId: number; due: number; read: number }) => [g.tenantId, g.id, g.due, g.read])).toEqual([
        [countyA, productA, 4, 2],
        [countyB, productB, 1, 1],
      ]);
      const onlyB = await rate(`period=2026-03-03&tenantId=${countyB}`, group);
      expect(onlyB.totals).toEqual({ due: 1, read: 1, unread: 0, ratePercent: '100.00' });
    });

    it('follows the caller’s data scope: a clerk of the service department counts only its community’s meters', async () => {
      const orgUnits = (await get(`/api/org-units?tenantId=${countyA}`)).items as { code: string; id: number }[];
      const role = await ok('POST', '/api/roles', { code: 'stat-clerk', name: '统计员', permissions: ['device:read'], dataScope: 'org' });
      await ok('POST', '/api/users', {
        username: 'stat.clerk',
        displayName: '统计员',
        password: TEST_PASSWORD,
        orgUnitId: orgUnits.find((o) => o.code === 'service')!.id,
        roleIds: [role.id],
      });
      const clerk = await t.login('stat.clerk');
      const body = await rate('period=2026-03-02&groupBy=community', clerk);
      expect(body.totals).toEqual({ due: 1, read: 0, unread: 1, ratePercent: '0.00' });
      expect(figures(body.groups)).toEqual([{ code: 'C002', due: 1, read: 0, unread: 1, ratePercent: '0.00' }]);
    });

    it('takes the tenant’s own time zone by default', async () => {
      await ok('PATCH', `/api/tenants/${countyA}`, { settings: { timeZone: 'UTC' } });
      try {
        const body = await rate('period=2026-03-01');
        expect(body.timeZone).toBe('UTC');
        expect(body.totals.read).toBe(3);
      } finally {
        await ok('PATCH', `/api/tenants/${countyA}`, { settings: { timeZone: 'Asia/Shanghai' } });
      }
    });
  });

  describe('consumption', () => {
    const consumption = (query: string, token = adminA) => get(`/api/device-statistics/consumption?${query}`, token);
    const brief = (periods: { period: string; status: string; consumption: string | null; spans: number | null }[]) =>
      periods.map(({ period, status, consumption, spans }) => [period, status, consumption, spans]);

    it('gives a meter’s daily use as last reading minus the last reading before, in local days, across a silent day', async () => {
      const body = await consumption(`deviceId=${m.a1!.id}&from=2026-03-01&to=2026-03-06`);
      expect(body).toMatchObject({
        subject: { kind: 'device', id: m.a1!.id, tenantId: countyA, meterNumber: 'S-a1', deviceKey: '10000000000001' },
        metric: 'cumulative_volume',
        unit: 'L',
        granularity: 'day',
        from: '2026-03-01',
        to: '2026-03-06',
        timeZone: 'Asia/Shanghai',
      });
      expect(brief(body.periods)).toEqual([
        // 1500 (23:30 local) − 1000 (28 February); the 00:30 reading of 2 March is not 1 March's.
        ['2026-03-01', 'measured', '500.000', 1],
        ['2026-03-02', 'measured', '300.000', 1],
        ['2026-03-03', 'no_reading', null, null],
        ['2026-03-04', 'measured', '600.000', 2],
        ['2026-03-05', 'measured', '100.000', 1],
        ['2026-03-06', 'no_reading', null, null],
      ]);
      expect(body.periods[2]).toMatchObject({ coveredBy: '2026-03-04', readings: 0, lastReading: null });
      expect(body.periods[3]).toMatchObject({ spanStart: '2026-03-03', delta: '600.000', readings: 1, lastReading: '2400.000' });
      expect(body.periods[5].coveredBy).toBeNull();
      expect(body.periods[0]).toMatchObject({ readings: 2, lastReading: '1500.000', spanStart: '2026-03-01' });
      expect(body.total).toEqual({ consumption: '1500.000', measuredPeriods: 4, unreadPeriods: 2, noBaselinePeriods: 0, backwardsPeriods: 0 });
      // Twin b1 of county-b (same address) reported on 3 March; none of it is a1's.
    });

    it('flags a register that went backwards at a meter swap instead of summing a negative use', async () => {
      const body = await consumption(`deviceId=${m.a2!.id}&from=2026-03-01&to=2026-03-05`);
      expect(brief(body.periods)).toEqual([
        ['2026-03-01', 'measured', '200.000', 1],
        ['2026-03-02', 'register_backwards', null, 1],
        ['2026-03-03', 'measured', '60.000', 1],
        ['2026-03-04', 'measured', '100.000', 1],
        ['2026-03-05', 'measured', '50.000', 1],
      ]);
      expect(body.periods[1]).toMatchObject({ delta: '-5110.000', minStep: '-5110.000', lastReading: '90.000' });
      expect(body.total).toMatchObject({ consumption: '410.000', measuredPeriods: 4, backwardsPeriods: 1 });
    });

    it('flags a dip inside a day although the day ends higher, and marks the first reading without a baseline', async () => {
      const body = await consumption(`deviceId=${m.a3!.id}&from=2026-03-01&to=2026-03-05`);
      expect(brief(body.periods)).toEqual([
        ['2026-03-01', 'no_reading', null, null],
        ['2026-03-02', 'no_baseline', null, null],
        ['2026-03-03', 'measured', '40.000', 1],
        ['2026-03-04', 'measured', '60.000', 1],
        ['2026-03-05', 'register_backwards', null, 1],
      ]);
      expect(body.periods[4]).toMatchObject({ delta: '200.000', minStep: '-50.000', readings: 3 });
      expect(body.total).toMatchObject({ consumption: '100.000', measuredPeriods: 2, noBaselinePeriods: 1, backwardsPeriods: 1, unreadPeriods: 1 });
    });

    it('sums a community per day, counting unread, spanning, baseline-less and flagged meters, and lists the flags', async () => {
      const body = await consumption(`communityId=${community.C001}&from=2026-03-01&to=2026-03-05`);
      expect(body.subject).toEqual({ kind: 'community', id: community.C001, tenantId: countyA, code: 'C001', name: '东湖县锦绣花园', devices: 3 });
      expect(body.periods).toEqual([
        { period: '2026-03-01', consumption: '700.000', devicesRead: 2, devicesUnread: 1, devicesMeasured: 2, devicesSpanning: 0, devicesNoBaseline: 0, devicesBackwards: 0 },
        { period: '2026-03-02', consumption: '300.000', devicesRead: 3, devicesUnread: 0, devicesMeasured: 1, devicesSpanning: 0, devicesNoBaseline: 1, devicesBackwards: 1 },
        { period: '2026-03-03', consumption: '100.000', devicesRead: 2, devicesUnread: 1, devicesMeasured: 2, devicesSpanning: 0, devicesNoBaseline: 0, devicesBackwards: 0 },
        { period: '2026-03-04', consumption: '760.000', devicesRead: 3, devicesUnread: 0, devicesMeasured: 3, devicesSpanning: 1, devicesNoBaseline: 0, devicesBackwards: 0 },
        { period: '2026-03-05', consumption: '150.000', devicesRead: 3, devicesUnread: 0, devicesMeasured: 2, devicesSpanning: 0, devicesNoBaseline: 0, devicesBackwards: 1 },
      ]);
      expect(body.flags).toEqual([
        { period: '2026-03-02', deviceId: m.a2!.id, meterNumber: 'S-a2', deviceKey: '10000000000002', status: 'register_backwards', delta: '-5110.000', minStep: '-5110.000' },
        { period: '2026-03-05', deviceId: m.a3!.id, meterNumber: 'S-a3', deviceKey: '10000000000003', status: 'register_backwards', delta: '200.000', minStep: '-50.000' },
      ]);
      expect(body.total).toEqual({ consumption: '2010.000', measuredDevicePeriods: 10, noBaselineDevicePeriods: 1, backwardsDevicePeriods: 2 });
      const b01 = await consumption(`buildingId=${building['C001-B01']}&from=2026-03-04&to=2026-03-04`);
      expect(b01.periods).toEqual([
        { period: '2026-03-04', consumption: '700.000', devicesRead: 2, devicesUnread: 0, devicesMeasured: 2, devicesSpanning: 1, devicesNoBaseline: 0, devicesBackwards: 0 },
      ]);
    });

    it('gives month totals in local months, per meter and per product', async () => {
      const a1 = await consumption(`deviceId=${m.a1!.id}&from=2026-02&to=2026-04`);
      expect(a1.granularity).toBe('month');
      expect(brief(a1.periods)).toEqual([
        ['2026-02', 'no_baseline', null, null],
        ['2026-03', 'measured', '1500.000', 1],
        ['2026-04', 'no_reading', null, null],
      ]);
      const a2 = await consumption(`deviceId=${m.a2!.id}&from=2026-03&to=2026-04`);
      expect(brief(a2.periods)).toEqual([
        ['2026-03', 'register_backwards', null, 1],
        // 400 at 00:30 on 1 April (31 March in UTC) − 300, March's last.
        ['2026-04', 'measured', '100.000', 1],
      ]);
      const product = await consumption(`productId=${productA}&from=2026-02&to=2026-04`);
      expect(product.subject).toMatchObject({ kind: 'product', id: productA, devices: 5 });
      expect(product.periods).toEqual([
        { period: '2026-02', consumption: null, devicesRead: 2, devicesUnread: 3, devicesMeasured: 0, devicesSpanning: 0, devicesNoBaseline: 2, devicesBackwards: 0 },
        { period: '2026-03', consumption: '1500.000', devicesRead: 4, devicesUnread: 1, devicesMeasured: 1, devicesSpanning: 0, devicesNoBaseline: 2, devicesBackwards: 1 },
        { period: '2026-04', consumption: '100.000', devicesRead: 1, devicesUnread: 4, devicesMeasured: 1, devicesSpanning: 0, devicesNoBaseline: 0, devicesBackwards: 0 },
      ]);
      expect(product.flags.map((f: { period: string; deviceId: number }) => [f.period, f.deviceId])).toEqual([['2026-03', m.a2!.id]]);
    });

    it('keeps each tenant’s meters to itself, though two share an address', async () => {
      const b1 = await consumption(`deviceId=${m.b1!.id}&from=2026-03-01&to=2026-03-03`, adminB);
      expect(brief(b1.periods)).toEqual([
        ['2026-03-01', 'no_baseline', null, null],
        ['2026-03-02', 'measured', '500.000', 1],
        ['2026-03-03', 'measured', '200.000', 1],
      ]);
      for (const [path, token] of [
        [`deviceId=${m.b1!.id}`, adminA],
        [`deviceId=${m.a1!.id}`, adminB],
        [`communityId=${communityB}`, adminA],
        [`productId=${productA}`, adminB],
      ] as const) {
        const res = await t.request('GET', `/api/device-statistics/consumption?${path}&from=2026-03-01&to=2026-03-03`, { token });
        expect(res.status, path).toBe(404);
      }
      const fromGroup = await consumption(`deviceId=${m.b1!.id}&from=2026-03-01&to=2026-03-03`, group);
      expect(fromGroup.periods).toEqual(b1.periods);
      const a1FromGroup = await consumption(`deviceId=${m.a1!.id}&from=2026-03-01&to=2026-03-03`, group);
      expect(brief(a1FromGroup.periods).map((p) => p[2])).toEqual(['500.000', '300.000', null]);
    });

    it('refuses bad ranges and subjects with 400 naming the field', async () => {
      for (const [query, field] of [
        [`deviceId=${m.a1!.id}&from=2026-03-01&to=2026-03`, 'query.to'],
        [`deviceId=${m.a1!.id}&from=2026-03-05&to=2026-03-01`, 'query.to'],
        [`deviceId=${m.a1!.id}&from=2026-01-01&to=2027-01-02`, 'query.to'],
        [`deviceId=${m.a1!.id}&from=2026-02-30&to=2026-03-01`, 'query.from'],
        [`deviceId=${m.a1!.id}&communityId=${community.C001}&from=2026-03-01&to=2026-03-02`, 'query.communityId'],
        ['from=2026-03-01&to=2026-03-02', 'query'],
        [`deviceId=${m.a1!.id}&from=2026-03-01&to=2026-03-02&timeZone=Mars/Olympus`, 'query.timeZone'],
      ] as const) {
        const res = await t.request('GET', `/api/device-statistics/consumption?${query}`, { token: adminA });
        expect(res.status, query).toBe(400);
        expect(res.body.error.code).toBe('validation_failed');
        expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      }
      const year = await t.request('GET', `/api/device-statistics/consumption?deviceId=${m.a1!.id}&from=2026-01-01&to=2026-12-31`, { token: adminA });
      expect(year.status).toBe(200);
      expect(year.body.periods).toHaveLength(365);
      const badPeriod = await t.request('GET', '/api/device-statistics/reading-rate?period=2026-13', { token: adminA });
      expect(badPeriod.status).toBe(400);
      const badGroup = await t.request('GET', '/api/device-statistics/reading-rate?period=2026-03&groupBy=dma', { token: adminA });
      expect(badGroup.status).toBe(400);
    });
  });

  describe('online rate', () => {
    it('divides in-service devices online by those in service, by community, per tenant', async () => {
      // a3 goes offline after its last contact; a5 is online but not in service.
      await inTenant(t.database.db, { tenantPath: (await get('/api/auth/me')).tenant.path }, (tx) => markOffline(tx, m.a3!.id, new Date('2026-04-02T00:00:00Z')));
      const body = await get('/api/device-statistics/online-rate?groupBy=community');
      expect(body.groupBy).toBe('community');
      expect(body.totals).toEqual({ inService: 4, online: 2, offline: 2, ratePercent: '50.00' });
      expect(body.groups.map(({ code, inService, online, offline, ratePercent }: Record<string, unknown>) => ({ code, inService, online, offline, ratePercent }))).toEqual([
        { code: 'C001', inService: 3, online: 2, offline: 1, ratePercent: '66.67' },
        { code: 'C002', inService: 1, online: 0, offline: 1, ratePercent: '0.00' },
      ]);
      expect((await get('/api/device-statistics/online-rate', adminB)).totals).toEqual({ inService: 1, online: 1, offline: 0, ratePercent: '100.00' });
      expect((await get('/api/device-statistics/online-rate', group)).totals).toEqual({ inService: 5, online: 3, offline: 2, ratePercent: '60.00' });
      const byBuilding = await get(`/api/device-statistics/online-rate?groupBy=building&buildingId=${building['C001-B02']}`);
      expect(byBuilding.groups).toEqual([
        { id: building['C001-B02'], tenantId: countyA, code: 'C001-B02', name: '2号楼', inService: 1, online: 0, offline: 1, ratePercent: '0.00' },
      ]);
    });
  });

  it('refuses every statistic to a user without device:read (403)', async () => {
    const role = await ok('POST', '/api/roles', { code: 'no-devices', name: '无设备权限', permissions: ['community:read'], dataScope: 'tenant' });
    await ok('POST', '/api/users', { username: 'no.devices', displayName: '无设备权限', password: TEST_PASSWORD, roleIds: [role.id] });
    const token = await t.login('no.devices');
    for (const path of [
      '/api/device-statistics/reading-rate?period=2026-03-01',
      '/api/device-statistics/online-rate',
      `/api/device-statistics/consumption?deviceId=${m.a1!.id}&from=2026-03-01&to=2026-03-02`,
    ]) {
      const res = await t.request('GET', path, { token });
      expect(res.status, path).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await t.request('GET', '/api/device-statistics/online-rate')).status).toBe(401);
  });
});
