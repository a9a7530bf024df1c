/**
 * Hand readings (人工抄表) and their review (复核) on a running runtime: validation against the meter's
 * history (pack readings, installation base, remote reads in analytics, the household's settled average),
 * the review process with its three outcomes, idempotence, and refusals in zh-CN and en.
 *
 * Tenant zone Asia/Shanghai (UTC+8). The pack's seed gives the tenant a plan with maxRatio 3, zeroDays 30.
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metering } from '../index.js';
import { applyReview } from './review.js';

/** Local Shanghai wall time → ISO instant. */
const sh = (local: string) => new Date(`${local.replace(' ', 'T')}+08:00`).toISOString();

describe('hand readings and their review', () => {
  let kit: PackTestKit;
  let reviewer: string;
  let reader: string;
  let viewer: string;
  const meters = { A: 0, B: 0, C: 0 };

  const ok = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await kit.request(method, path, { body, ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const record = async (entity: string, data: Record<string, unknown>) => (await ok('POST', `/api/entities/${entity}/records`, { data })).id as number;
  const post = (body: unknown, token?: string) => kit.request('POST', '/api/ext/metering/readings', { body, ...(token ? { token } : {}) });
  const rowsOf = (meterId: number) =>
    kit.services('metering').transaction((tx) =>
      tx.query<{ id: string; read_at: Date | string; value_l: string; source: string; status: string; violations: string[]; replaces_id: string | null }>(
        `select id, read_at, value_l, source, status, violations, replaces_id from pack_metering.readings where meter_id = $1::bigint order by read_at, id`,
        [String(meterId)],
      ),
    );
  /** Completes the review task of a flagged reading as the reviewer and answers the finished instance's variables. */
  const review = async (reading: { reviewInstance: string | null }, variables: Record<string, unknown>) => {
    const instanceId = Number(reading.reviewInstance);
    const task = await kit.waitForTask({ processId: 'metering_review', instanceId });
    expect(task.elementId).toBe('review');
    await kit.completeTask(task.id, variables, { token: reviewer });
    return kit.waitForInstance(instanceId);
  };

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering] });
    reviewer = await kit.createUser({ username: 'reviewer.readings', roles: ['metering-reviewer'] });
    reader = await kit.createUser({ username: 'reader.readings', roles: ['metering-reader'] });
    viewer = await kit.createUser({ username: 'viewer.readings', roles: ['viewer'] });
    const household = await record('metering_household', { accountNo: 'H-0001', name: '张三', community: '阳光小区', building: '1', unit: '2', room: '301' });
    const quiet = await record('metering_household', { accountNo: 'H-0002', name: '李四', community: '阳光小区' });
    meters.A = await record('metering_meter', { meterNo: 'A-001', kind: 'mechanical', household, installedAt: '2024-01-01', initialReadingL: 0, status: 'in_service' });
    meters.B = await record('metering_meter', { meterNo: 'B-001', kind: 'mechanical', household: quiet, installedAt: '2024-06-01', initialReadingL: 5_000, status: 'in_service' });
    meters.C = await record('metering_meter', { meterNo: 'C-001', kind: 'remote', device: 'NB-C-001', installedAt: '2024-01-01', status: 'in_service' });
    // The household's settled January: 31_000 L over 31 days → 1_000 L a day.
    await kit.services('metering').transaction((tx) =>
      tx.query(
        `insert into pack_metering.settlements (tenant_id, tenant_path, period, meter_id, meter_no, start_l, end_l, volume_l, source, start_at, end_at)
         values ($1, $2::ltree, '2025-01', $3::bigint, 'A-001', 469000, 500000, 31000, 'hand', $4, $5)`,
        [kit.tenant.id, kit.tenant.path, String(meters.A), new Date(sh('2025-01-01 00:00')), new Date(sh('2025-02-01 00:00'))],
      ),
    );
    await kit.publishReadings([{ device: 'NB-C-001', metric: 'cumulative_volume', at: new Date(sh('2025-02-01 00:00')), milli: 100_000_000n }]);
  });
  afterAll(() => kit?.close());

  it('stores a clean hand reading as valid, with what the reader sent', async () => {
    const res = await post({ meterId: meters.A, readAt: '2025-02-10 09:00', valueL: '500000', latitude: 30.25, longitude: 120.16, note: '表井积水', photo: 'https://files.example.cn/a.jpg' }, reader);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ meterId: meters.A, meterNo: 'A-001', readAt: sh('2025-02-10 09:00'), valueL: '500000', source: 'hand', status: 'valid', violations: [], hasPhoto: true, latitude: 30.25, longitude: 120.16, note: '表井积水', reviewInstance: null, created: true });
    const second = await post({ meterId: String(meters.A), readAt: '2025-02-20T01:00:00Z', valueL: 510_000 }, reader);
    expect(second.body).toMatchObject({ readAt: sh('2025-02-20 09:00'), valueL: '510000', status: 'valid', created: true });
    const one = await ok('GET', `/api/ext/metering/readings/${res.body.id}`);
    expect(one).toMatchObject({ id: res.body.id, photo: 'https://files.example.cn/a.jpg', enteredBy: expect.any(Number) });
  });

  it('answers a repeated submission with the reading already recorded, and refuses another value at the same time', async () => {
    const again = await post({ meterId: meters.A, readAt: '2025-02-20 09:00', valueL: 510000 }, reader);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ valueL: '510000', created: false });
    expect((await rowsOf(meters.A)).filter((r) => r.value_l === '510000')).toHaveLength(1);
    const other = await kit.request('POST', '/api/ext/metering/readings', { body: { meterId: meters.A, readAt: '2025-02-20 09:00', valueL: 510001 }, locale: 'en' });
    expect(other.status).toBe(409);
    expect(other.body.error.details[0]).toMatchObject({ path: 'body.readAt', message: `The meter already has a different reading at that time: 510000 L (reading ${again.body.id})` });
  });

  it('flags use above 3 × the household average, and an approval makes the reading valid', async () => {
    // 90_000 L in 9 days = 10_000 L a day > 3 × 1_000.
    const res = await post({ meterId: meters.A, readAt: '2025-03-01 09:00', valueL: 600000 }, reader);
    expect(res.body).toMatchObject({ status: 'review', violations: ['above_average'], reviewInstance: expect.any(String), created: true });
    const task = await kit.waitForTask({ processId: 'metering_review', instanceId: Number(res.body.reviewInstance) });
    expect(task.variables).toMatchObject({ readingId: res.body.id, meterNo: 'A-001', valueL: '600000', previousL: '510000', previousAt: '2025-02-20 09:00', averageDailyL: '1000', violations: ['above_average'] });
    // The reviewer sees it among the tasks of the group (role metering-reviewer); someone outside the group does not.
    const mine = await ok('GET', `/api/tasks?scope=candidate&instanceId=${task.instanceId}`, undefined, reviewer);
    expect(mine.items.map((t: { id: number }) => t.id)).toEqual([task.id]);
    expect((await ok('GET', `/api/tasks?scope=candidate&instanceId=${task.instanceId}`, undefined, viewer)).items).toEqual([]);
    expect((await kit.request('POST', `/api/tasks/${task.id}/complete`, { token: viewer, body: { variables: { outcome: 'approve' } } })).status).toBe(403);
    const waiting = await ok('GET', '/api/ext/metering/reviews', undefined, reviewer);
    expect(waiting.items.map((r: { id: number }) => r.id)).toContain(res.body.id);

    const variables = await review(res.body, { outcome: 'approve', comment: '用户家中漏水已修复' });
    expect(variables).toMatchObject({ readingStatus: 'valid', resultReadingId: res.body.id, resultValueL: '600000' });
    expect(await ok('GET', `/api/ext/metering/readings/${res.body.id}`)).toMatchObject({ status: 'valid', violations: ['above_average'] });
  });

  it('flags a register that went back; a correction replaces it with a new valid reading, once', async () => {
    const res = await post({ meterId: meters.A, readAt: '2025-03-05 09:00', valueL: 590000 }, reader);
    expect(res.body).toMatchObject({ status: 'review', violations: ['negative'] });
    // The form refuses a correction without its value (shown only for outcome = correct).
    const task = await kit.waitForTask({ processId: 'metering_review', instanceId: Number(res.body.reviewInstance) });
    const missing = await kit.request('POST', `/api/tasks/${task.id}/complete`, { token: reviewer, body: { variables: { outcome: 'correct' } } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].path).toBe('body.variables.correctedL');
    const fraction = await kit.request('POST', `/api/tasks/${task.id}/complete`, { token: reviewer, body: { variables: { outcome: 'correct', correctedL: '604000.5' } } });
    expect(fraction.status).toBe(400);

    const variables = await review(res.body, { outcome: 'correct', correctedL: '604000', comment: '抄表员误读' });
    expect(variables).toMatchObject({ readingStatus: 'replaced', resultValueL: '604000' });
    const rows = (await rowsOf(meters.A)).filter((r) => new Date(r.read_at).getTime() === new Date(sh('2025-03-05 09:00')).getTime());
    expect(rows.map((r) => ({ value: r.value_l, source: r.source, status: r.status, replaces: r.replaces_id }))).toEqual([
      { value: '590000', source: 'hand', status: 'replaced', replaces: null },
      { value: '604000', source: 'correction', status: 'valid', replaces: String(res.body.id) },
    ]);
    expect(variables.resultReadingId).toBe(Number(rows[1]!.id));

    // A redelivered job (the worker's work done, its completion lost) changes nothing a second time.
    const services = kit.services('metering');
    const redelivered = await services.transaction((tx) => applyReview(tx, services, { readingId: BigInt(res.body.id), outcome: 'correct', correctedL: '604000' }, res.body.reviewInstance));
    expect(redelivered).toEqual({ readingStatus: 'replaced', resultReadingId: Number(rows[1]!.id), resultValueL: '604000' });
    expect((await rowsOf(meters.A)).filter((r) => r.source === 'correction')).toHaveLength(1);
    // A repeat of the replaced hand reading is that reading, not a new review.
    expect((await post({ meterId: meters.A, readAt: '2025-03-05 09:00', valueL: 590000 }, reader)).body).toMatchObject({ id: res.body.id, status: 'replaced', created: false });
  });

  it('estimates (估抄) from the previous valid reading and the household average', async () => {
    // 96_000 L in 5 days after the correction (604_000 at 03-05 09:00).
    const res = await post({ meterId: meters.A, readAt: '2025-03-10 09:00', valueL: 700000 }, reader);
    expect(res.body).toMatchObject({ status: 'review', violations: ['above_average'] });
    const variables = await review(res.body, { outcome: 'estimate', correctedL: '1', comment: '表盘模糊，估抄' });
    // 604_000 + 1_000 L/day × 5 days; the hidden correctedL is dropped.
    expect(variables).toMatchObject({ readingStatus: 'rejected', resultValueL: '609000' });
    expect(variables.correctedL).toBeUndefined();
    const rows = (await rowsOf(meters.A)).filter((r) => new Date(r.read_at).getTime() === new Date(sh('2025-03-10 09:00')).getTime());
    expect(rows.map((r) => ({ value: r.value_l, source: r.source, status: r.status, replaces: r.replaces_id }))).toEqual([
      { value: '700000', source: 'hand', status: 'rejected', replaces: null },
      { value: '609000', source: 'estimate', status: 'valid', replaces: String(res.body.id) },
    ]);
    // The whole history of the meter, in integer litres.
    expect((await rowsOf(meters.A)).map((r) => `${r.value_l} ${r.source} ${r.status}`)).toEqual([
      '500000 hand valid',
      '510000 hand valid',
      '600000 hand valid',
      '590000 hand replaced',
      '604000 correction valid',
      '700000 hand rejected',
      '609000 estimate valid',
    ]);
    const list = await ok('GET', `/api/ext/metering/readings?meterId=${meters.A}&status=valid&from=2025-03-01&to=2025-03-31 23:59&pageSize=2`);
    expect(list).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(list.items.map((r: { valueL: string }) => r.valueL)).toEqual(['609000', '604000']);
    expect((await ok('GET', `/api/ext/metering/readings?meterId=${meters.A}&source=estimate`)).items).toHaveLength(1);
    // A bare date as `to` takes in that whole local day.
    const day = await ok('GET', `/api/ext/metering/readings?meterId=${meters.A}&from=2025-03-10&to=2025-03-10`);
    expect(day.items.map((r: { valueL: string; status: string }) => `${r.valueL} ${r.status}`)).toEqual(['609000 valid', '700000 rejected']);
    const bad = await kit.request('GET', `/api/ext/metering/readings?status=done`, { locale: 'en' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: 'query.status', message: '"done" is not a reading status' });
  });

  it('flags a register that has not moved for 30 days, from the installation base', async () => {
    const res = await post({ meterId: meters.B, readAt: '2025-01-01 10:00', valueL: 5000 }, reader);
    expect(res.body).toMatchObject({ status: 'review', violations: ['zero_for_days'] });
    expect(await review(res.body, { outcome: 'approve' })).toMatchObject({ readingStatus: 'valid' });
    // Ten days on, unchanged still: the register last moved before its installation, over 30 days ago.
    expect((await post({ meterId: meters.B, readAt: '2025-01-11 10:00', valueL: 5000 }, reader)).body.violations).toEqual(['zero_for_days']);
    // A moving register is fine.
    expect((await post({ meterId: meters.B, readAt: '2025-01-21 10:00', valueL: 5300 }, reader)).body).toMatchObject({ status: 'valid', violations: [] });
    expect((await post({ meterId: meters.B, readAt: '2025-01-31 10:00', valueL: 5300 }, reader)).body).toMatchObject({ status: 'valid', violations: [] });
  });

  it('validates a hand reading of a remote meter against its last remote read in analytics', async () => {
    const res = await post({ meterId: meters.C, readAt: '2025-02-05 09:00', valueL: 90000 }, reader);
    expect(res.body).toMatchObject({ status: 'review', violations: ['negative'] });
    const task = await kit.waitForTask({ processId: 'metering_review', instanceId: Number(res.body.reviewInstance) });
    expect(task.variables).toMatchObject({ previousL: '100000', previousAt: '2025-02-01 00:00' });
    expect((await post({ meterId: meters.C, readAt: '2025-02-06 09:00', valueL: 100400 }, reader)).body).toMatchObject({ status: 'valid' });
  });

  it('refuses malformed readings field by field, in zh-CN and in en', async () => {
    const refusal = async (body: unknown, locale: 'zh-CN' | 'en') => {
      const res = await kit.request('POST', '/api/ext/metering/readings', { body, locale, token: reader });
      return { status: res.status, ...(res.body.error.details[0] as { path: string; message: string }) };
    };
    const base = { meterId: meters.A, readAt: '2025-04-01 09:00', valueL: 700000 };
    expect(await refusal({ ...base, valueL: 700000.5 }, 'zh-CN')).toMatchObject({ status: 400, path: 'body.valueL', message: '读数 700000.5 必须是整数升' });
    expect(await refusal({ ...base, valueL: '700000.5' }, 'en')).toMatchObject({ status: 400, path: 'body.valueL', message: 'The reading 700000.5 must be a whole number of litres' });
    expect(await refusal({ ...base, valueL: -5 }, 'en')).toMatchObject({ status: 400, message: 'The reading -5 must not be negative' });
    expect(await refusal({ ...base, readAt: '2025-02-30 09:00' }, 'zh-CN')).toMatchObject({ status: 400, path: 'body.readAt', message: '抄表时间「2025-02-30 09:00」格式不正确，应为 ISO 8601 或 YYYY-MM-DD HH:mm' });
    expect(await refusal({ ...base, readAt: '2099-01-01 09:00' }, 'en')).toMatchObject({ status: 400, path: 'body.readAt', message: 'The reading time 2099-01-01 09:00 is in the future' });
    expect(await refusal({ ...base, readAt: '2023-12-31 09:00' }, 'en')).toMatchObject({ status: 400, path: 'body.readAt', message: 'The reading time is before the meter was installed (2024-01-01)' });
    expect(await refusal({ ...base, meterId: 99_999_999 }, 'zh-CN')).toMatchObject({ status: 404, path: 'body.meterId', message: '水表 99999999 不存在' });
    expect(await refusal({ ...base, meterId: 'A-001' }, 'en')).toMatchObject({ status: 400, path: 'body.meterId', message: 'The meter id "A-001" is not a positive integer' });
    expect(await refusal({ ...base, photo: 'data:image/png;base64,%%%' }, 'en')).toMatchObject({ status: 400, path: 'body.photo', message: 'The photo must be a data:image/… base64 URL or an http(s) URL' });
    expect(await refusal({ ...base, latitude: 123 }, 'zh-CN')).toMatchObject({ status: 400, path: 'body.latitude', message: '纬度应为 -90 到 90 之间的数字' });
    expect(await refusal({ ...base, value: 1 }, 'en')).toMatchObject({ status: 400, path: 'body.value', message: 'Unknown field value' });
    expect(await refusal({ readAt: base.readAt, valueL: 1 }, 'zh-CN')).toMatchObject({ status: 400, path: 'body.meterId', message: '请填写表号' });
    // Pack routes take bodies up to 16 MB (photos, files): a 3 MB photo reaches the pack's own 2 MB cap,
    // and a body past 16 MB is the platform's 413.
    const big = await kit.request('POST', '/api/ext/metering/readings', { body: { ...base, photo: `data:image/jpeg;base64,${Buffer.alloc(3 * 1024 * 1024).toString('base64')}` }, locale: 'en', token: reader });
    expect(big.status).toBe(400);
    expect(big.body.error.details[0]).toMatchObject({ path: 'body.photo', message: 'The photo must not exceed 2 MB' });
    const huge = await kit.request('POST', '/api/ext/metering/readings', { body: { ...base, photo: `data:image/jpeg;base64,${Buffer.alloc(13 * 1024 * 1024).toString('base64')}` }, locale: 'en', token: reader });
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toBe('The request body is too large');
    expect((await rowsOf(meters.A)).filter((r) => new Date(r.read_at).getTime() >= new Date(sh('2025-04-01 00:00')).getTime())).toEqual([]);
  });

  it('keeps readings to their tenant and their permission holders', async () => {
    const [own] = (await ok('GET', `/api/ext/metering/readings?meterId=${meters.A}&pageSize=1`)).items;
    const other = kit.otherTenant.token;
    expect((await kit.request('GET', `/api/ext/metering/readings/${own.id}`, { token: other })).status).toBe(404);
    expect((await kit.request('GET', '/api/ext/metering/readings', { token: other })).body).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', '/api/ext/metering/reviews', { token: other })).body).toMatchObject({ items: [], total: 0 });
    const foreign = await kit.request('POST', '/api/ext/metering/readings', { token: other, body: { meterId: meters.A, readAt: '2025-04-01 09:00', valueL: 700000 } });
    expect(foreign.status).toBe(404);
    expect((await kit.request('GET', `/api/ext/metering/readings?meterId=${meters.A}`, { token: other })).body.total).toBe(0);
    // A reader may not see the review list; a reviewer may not enter readings; a user without the pack's permissions sees nothing.
    expect((await kit.request('GET', '/api/ext/metering/reviews', { token: reader })).status).toBe(403);
    expect((await kit.request('POST', '/api/ext/metering/readings', { token: reviewer, body: { meterId: meters.A, readAt: '2025-04-01 09:00', valueL: 700000 } })).status).toBe(403);
    expect((await kit.request('GET', '/api/ext/metering/readings', { token: viewer })).status).toBe(403);
    expect((await kit.request('GET', `/api/ext/metering/readings/${own.id}`, { token: viewer })).status).toBe(403);
  });
});
