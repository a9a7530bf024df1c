/**
 * Settlement guards: idempotency (twice in a row, twice at once, resumed after a crash), community
 * scopes with a plan of their own, tenant isolation of every route, permissions, and state refusals.
 *
 * Fixture (Asia/Shanghai): six remote meters in 阳光小区 (tenant-wide plan: day 1) and two in 河畔小区,
 * which has its own plan (day 25). Every meter was installed 2026-04-01 with initial reading 1_000 × n
 * and read remotely once near the end of May and of June:
 *   tenant-wide 2026-05 = [05-01, 06-01) local: S0n read 1_000 × n + 100 × n on 05-31 09:00 → volume 100 × n;
 *   2026-06 = [06-01, 07-01): read 1_000 × n + 300 × n on 06-30 09:00 → volume 200 × n;
 *   河畔小区 2026-05 = [04-25, 05-25) local: R0n read 1_000 × n + 10 × n on 05-24 09:00 → volume 10 × n.
 * Σ May (tenant-wide) = 100 × (1 + … + 6) = 2_100; Σ June = 200 × 21 = 4_200; Σ May 河畔小区 = 10 × (1 + 2) = 30.
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metering } from '../index.js';
import { settlePeriod } from './index.js';

const sh = (local: string) => new Date(`${local.replace(' ', 'T')}+08:00`);
const BASE = '/api/ext/metering';
const RIVER = '河畔小区';

describe('settlement guards: idempotency, scopes, tenant isolation, permissions', () => {
  let kit: PackTestKit;
  const ids = new Map<string, number>();

  async function ok(method: string, path: string, body?: unknown, token?: string) {
    const res = await kit.request(method, path, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function settled(period: string, scope = '*', token?: string) {
    return kit.until(
      async () => {
        const res = await kit.request('GET', `${BASE}/periods/${period}?scope=${encodeURIComponent(scope)}`, token ? { token } : {});
        if (res.body?.error) throw new Error(`settlement of ${period} failed: ${res.body.error}`);
        return res.status === 200 && res.body.status === 'settled' ? res.body : undefined;
      },
      { timeoutMs: 60_000, what: `${period} (${scope}) settled` },
    );
  }

  /** The records of a period straight from the table: ids, meters and the exact sum. */
  async function recordSet(period: string) {
    const rows = await kit
      .services('metering')
      .transaction((tx) => tx.query<{ id: string; meter_no: string; volume_l: string }>(`select id, meter_no, volume_l from pack_metering.settlements where period = $1 order by meter_no`, [period]));
    return { count: rows.length, ids: rows.map((r) => r.id), meters: rows.map((r) => r.meter_no), sum: rows.reduce((s, r) => s + BigInt(r.volume_l), 0n) };
  }

  beforeAll(async () => {
    // PGlite by default; SHUIYUN_SETTLEMENT_TEST_DRIVER=postgres runs the same on the PostgreSQL server (real concurrency).
    kit = await startPackTestKit({ packs: [metering], driver: process.env.SHUIYUN_SETTLEMENT_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
    await ok('POST', '/api/entities/metering_plan/records', { data: { name: '河畔小区结算', dayOfMonth: 25, community: RIVER, toleranceDays: 3 } });
    const sunny = await ok('POST', '/api/entities/metering_household/records', { data: { accountNo: 'G-1', name: '李四', community: '阳光小区' } });
    const river = await ok('POST', '/api/entities/metering_household/records', { data: { accountNo: 'G-2', name: '王五', community: RIVER } });
    const readings = [];
    for (let n = 1; n <= 6; n++) {
      const no = `S0${n}`;
      const created = await ok('POST', '/api/entities/metering_meter/records', {
        data: { meterNo: no, kind: 'remote', household: sunny.id, device: `G-${no}`, initialReadingL: 1_000 * n, installedAt: '2026-04-01', status: 'in_service' },
      });
      ids.set(no, created.id);
      readings.push({ device: `G-${no}`, metric: 'cumulative_volume', at: sh('2026-05-31 09:00'), milli: BigInt(1_100 * n) * 1000n });
      readings.push({ device: `G-${no}`, metric: 'cumulative_volume', at: sh('2026-06-30 09:00'), milli: BigInt(1_300 * n) * 1000n });
    }
    for (let n = 1; n <= 2; n++) {
      const no = `R0${n}`;
      const created = await ok('POST', '/api/entities/metering_meter/records', {
        data: { meterNo: no, kind: 'remote', household: river.id, device: `G-${no}`, initialReadingL: 1_000 * n, installedAt: '2026-04-01', status: 'in_service' },
      });
      ids.set(no, created.id);
      readings.push({ device: `G-${no}`, metric: 'cumulative_volume', at: sh('2026-05-24 09:00'), milli: BigInt(1_010 * n) * 1000n });
    }
    await kit.publishReadings(readings);
  });
  afterAll(() => kit?.close());

  it('settles twice at once as one run and one set of records', async () => {
    const [a, b] = await Promise.all([kit.request('POST', `${BASE}/periods/2026-05/settle`, { body: {} }), kit.request('POST', `${BASE}/periods/2026-05/settle`, { body: {} })]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.id).toBe(b.body.id);
    expect(a.body.runInstance).toBe(b.body.runInstance); // the second answered the run in progress
    const summary = await settled('2026-05');
    expect(summary).toMatchObject({ records: 6, totalVolumeL: '2100', progress: { done: 6, total: 6 } });
    const set = await recordSet('2026-05');
    expect(set).toMatchObject({ count: 6, meters: ['S01', 'S02', 'S03', 'S04', 'S05', 'S06'], sum: 2_100n });
    const instances = await kit.services('metering').transaction((tx) => tx.query<{ n: number }>(`select count(*)::int as n from workflow_instances where process_id = 'metering_settle'`));
    expect(instances[0]!.n).toBe(1);
  });

  it('settles a settled (not closed) period again: a new run, the same records and sums', async () => {
    const before = await recordSet('2026-05');
    const again = await kit.request('POST', `${BASE}/periods/2026-05/settle`, { body: {} });
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('settling');
    const summary = await settled('2026-05');
    expect(summary).toMatchObject({ records: 6, totalVolumeL: '2100' });
    expect(await recordSet('2026-05')).toEqual(before);
  });

  it('resumes a run that stopped halfway, and a third run writes nothing (settlePeriod called directly)', async () => {
    const services = kit.services('metering');
    const stop = new AbortController();
    const seen: [number, number][] = [];
    await expect(
      settlePeriod(services, { period: '2026-06', scope: '*' }, (done, total) => {
        seen.push([done, total]);
        if (done >= 2) stop.abort('simulated crash');
      }, { batchSize: 2, concurrency: 1, signal: stop.signal }),
    ).rejects.toThrow(/stopped/);
    expect(seen).toEqual([[0, 6], [2, 6]]);
    expect((await recordSet('2026-06')).count).toBe(2);
    expect((await ok('GET', `${BASE}/periods/2026-06`)).status).toBe('settling');

    const resumed = await settlePeriod(services, { period: '2026-06', scope: '*' }, undefined, { batchSize: 4 });
    // June: 1_300n − 1_100n = 200n for meter n; Σ 200 × 21 = 4_200.
    expect(resumed).toEqual({ meters: 6, volumeL: '4200', written: 4, skipped: [] });
    const set = await recordSet('2026-06');
    expect(set).toMatchObject({ count: 6, sum: 4_200n });
    const third = await settlePeriod(services, { period: '2026-06', scope: '*' });
    expect(third).toEqual({ meters: 6, volumeL: '4200', written: 0, skipped: [] });
    expect(await recordSet('2026-06')).toEqual(set);
    expect(await ok('GET', `${BASE}/periods/2026-06`)).toMatchObject({ status: 'settled', progress: { done: 6, total: 6 } });
  });

  it('settles a community with a plan of its own in its own scope and bounds (day 25); the tenant-wide scope leaves it out', async () => {
    const started = await kit.request('POST', `${BASE}/periods/2026-05/settle`, { body: { scope: RIVER } });
    expect(started.status).toBe(202);
    // Day 25: '2026-05' = [2026-04-25 00:00, 2026-05-25 00:00) local.
    expect(started.body).toMatchObject({ scope: RIVER, settlementDay: 25, startsAt: '2026-04-24T16:00:00.000Z', endsAt: '2026-05-24T16:00:00.000Z' });
    const summary = await settled('2026-05', RIVER);
    // R01: 1_010 − 1_000 = 10; R02: 2_020 − 2_000 = 20.
    expect(summary).toMatchObject({ records: 2, totalVolumeL: '30', bySource: { remote: 2 } });
    expect((await ok('GET', `${BASE}/periods/2026-05`)).records).toBe(6);
    const river = await ok('GET', `${BASE}/periods/2026-05/records?scope=${encodeURIComponent(RIVER)}`);
    expect(river.items.map((r: { meterNo: string; volumeL: string }) => [r.meterNo, r.volumeL])).toEqual([['R01', '10'], ['R02', '20']]);
    const list = await ok('GET', `${BASE}/periods?pageSize=2&page=2`);
    expect(list.total).toBe(3);
    expect(list.items.map((p: { period: string; scope: string }) => `${p.period} ${p.scope}`)).toEqual([`2026-05 ${RIVER}`]);
    const first = await ok('GET', `${BASE}/periods?pageSize=2`);
    expect(first.items.map((p: { period: string; scope: string }) => `${p.period} ${p.scope}`)).toEqual(['2026-06 *', '2026-05 *']);
    const unknown = await kit.request('POST', `${BASE}/periods/2026-05/settle`, { body: { scope: '无此小区' } });
    expect(unknown.status).toBe(404);
  });

  it('keeps every route inside the tenant: the other tenant sees nothing of it and settles in its own namespace', async () => {
    const other = kit.otherTenant.token;
    const periods = await kit.request('GET', `${BASE}/periods`, { token: other });
    expect(periods.status).toBe(200);
    expect(periods.body).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', `${BASE}/periods/2026-05`, { token: other })).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/periods/2026-05?scope=${encodeURIComponent(RIVER)}`, { token: other })).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/periods/2026-05/records`, { token: other })).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/periods/2026-05/close`, { token: other, body: {} })).status).toBe(404);

    // Close ours, correct one of our meters; the other tenant cannot see or touch either.
    expect((await kit.request('POST', `${BASE}/periods/2026-05/close`, { body: {} })).status).toBe(200);
    const adjusted = await kit.request('POST', `${BASE}/adjustments`, { body: { meterId: ids.get('S01'), correctsPeriod: '2026-05', volumeL: '150', reason: '核增' } });
    expect(adjusted.status).toBe(201);
    // S01 settled 100, corrected 150 → +50, into the oldest period not closed after May: June (settled).
    expect(adjusted.body).toMatchObject({ period: '2026-06', volumeL: '50' });
    expect(await ok('GET', `${BASE}/adjustments`, undefined, other)).toMatchObject({ items: [], total: 0 });
    const foreign = await kit.request('POST', `${BASE}/adjustments`, { token: other, body: { meterId: ids.get('S01'), correctsPeriod: '2026-05', volumeL: '1', reason: 'x' } });
    expect(foreign.status).toBe(404);

    // Settling "2026-05" as the other tenant makes its own period (its own plan, no meters): ours stays closed.
    const theirs = await kit.request('POST', `${BASE}/periods/2026-05/settle`, { token: other, body: {} });
    expect(theirs.status).toBe(202);
    const theirSummary = await settled('2026-05', '*', other);
    expect(theirSummary).toMatchObject({ records: 0, totalVolumeL: '0', progress: { done: 0, total: 0 } });
    expect((await ok('GET', `${BASE}/periods/2026-05`)).status).toBe('closed');
    expect((await recordSet('2026-05')).count).toBe(8); // 6 tenant-wide + 2 of 河畔小区, all ours
    const theirRows = await kit.services('metering', { tenant: 'other' }).transaction((tx) => tx.query(`select id from pack_metering.settlements`));
    expect(theirRows).toEqual([]);
  });

  it('enforces the pack permissions: a viewer gets 403, no token 401', async () => {
    const roles = await ok('GET', '/api/roles?pageSize=100');
    expect(roles.items.map((r: { code: string }) => r.code)).toContain('viewer');
    const viewer = await kit.createUser({ username: 'settlement-viewer', roles: ['viewer'] });
    const attempts: [string, string, unknown][] = [
      ['GET', `${BASE}/periods`, undefined],
      ['GET', `${BASE}/periods/2026-05`, undefined],
      ['GET', `${BASE}/periods/2026-05/records`, undefined],
      ['GET', `${BASE}/adjustments`, undefined],
      ['POST', `${BASE}/periods/2026-07/settle`, {}],
      ['POST', `${BASE}/periods/2026-06/close`, {}],
      ['POST', `${BASE}/adjustments`, { meterId: ids.get('S01'), correctsPeriod: '2026-05', volumeL: '1', reason: 'x' }],
    ];
    for (const [method, path, body] of attempts) {
      const res = await kit.request(method, path, { token: viewer, ...(body === undefined ? {} : { body }) });
      expect(res.status, `${method} ${path}`).toBe(403);
      const anonymous = await kit.request(method, path, { token: null, ...(body === undefined ? {} : { body }) });
      expect(anonymous.status, `${method} ${path} without a token`).toBe(401);
    }
    // Nothing happened: June is still settled, no July period.
    expect((await ok('GET', `${BASE}/periods/2026-06`)).status).toBe('settled');
    expect((await kit.request('GET', `${BASE}/periods/2026-07`)).status).toBe(404);
  });

  it('refuses by state: closing an unsettled period, settling one that has not ended, closing twice', async () => {
    const future = await kit.request('POST', `${BASE}/periods/2099-01/settle`, { body: {}, locale: 'en' });
    expect(future.status).toBe(409);
    expect(future.body.error.details[0].message).toContain('has not ended');
    expect((await kit.request('GET', `${BASE}/periods/2099-01`)).status).toBe(404); // refused: nothing created

    // No July period yet: closing it is a 404.
    expect((await kit.request('POST', `${BASE}/periods/2026-07/close`, { body: {} })).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/periods/2026-06/close`, { body: {} })).status).toBe(200);
    const twice = await kit.request('POST', `${BASE}/periods/2026-06/close`, { body: {}, locale: 'zh-CN' });
    expect(twice.status).toBe(409);
    expect(twice.body.error.details[0].message).toContain('已关账');
    // The correction posted into June before it closed stays there; a new one goes to a new July row.
    const next = await ok('POST', `${BASE}/adjustments`, { meterId: ids.get('S02'), correctsPeriod: '2026-06', volumeL: '0', reason: '表停' });
    // S02 June settled 400 (2_600 − 2_200), corrected 0 → −400, into 2026-07, created open.
    expect(next).toMatchObject({ period: '2026-07', volumeL: '-400', settledVolumeL: '400' });
    const july = await ok('GET', `${BASE}/periods/2026-07`);
    expect(july).toMatchObject({ status: 'open', settlementDay: 1 });
    const closeOpen = await kit.request('POST', `${BASE}/periods/2026-07/close`, { body: {} });
    expect(closeOpen.status).toBe(409);
  });
});
