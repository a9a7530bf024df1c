/**
 * 换表 and 抄表册 on a running runtime: a swap keeps both register values and moves the archive's statuses;
 * a reader's books list the meters still in place with their last reading. Tenant zone Asia/Shanghai.
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metering } from '../index.js';

const sh = (local: string) => new Date(`${local.replace(' ', 'T')}+08:00`).toISOString();

describe('meter swaps and reading books', () => {
  let kit: PackTestKit;
  let reader: string;
  let viewer: string;
  const ids = { household: 0, book: 0, otherBook: 0, old: 0, new: 0, remote: 0, retired: 0, spare: 0 };

  const ok = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await kit.request(method, path, { body, ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const record = async (entity: string, data: Record<string, unknown>) => (await ok('POST', `/api/entities/${entity}/records`, { data })).id as number;
  const meter = (id: number) => ok('GET', `/api/entities/metering_meter/records/${id}`);
  const swap = (body: Record<string, unknown>, o: { token?: string; locale?: 'zh-CN' | 'en' } = {}) => kit.request('POST', '/api/ext/metering/swaps', { body, ...o });
  const detail = (res: { body: any }) => res.body.error.details[0] as { path: string; message: string };

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering] });
    reader = await kit.createUser({ username: 'reader.swaps', roles: ['metering-reader'] });
    viewer = await kit.createUser({ username: 'viewer.swaps', roles: ['viewer'] });
    ids.household = await record('metering_household', { accountNo: 'S-0001', name: '王五', community: '阳光小区', building: '3', unit: '1', room: '502' });
    ids.book = await record('metering_book', { code: 'B-01', name: '阳光小区一册', reader: 'reader.swaps', community: '阳光小区' });
    ids.otherBook = await record('metering_book', { code: 'B-02', name: '二册', reader: 'someone.else' });
    ids.old = await record('metering_meter', { meterNo: 'S-OLD', kind: 'mechanical', household: ids.household, book: ids.book, installedAt: '2024-01-01', initialReadingL: 0, status: 'in_service' });
    ids.new = await record('metering_meter', { meterNo: 'S-NEW', kind: 'mechanical', installedAt: '2025-03-15', initialReadingL: 0, status: 'installed' });
    ids.remote = await record('metering_meter', { meterNo: 'S-R', kind: 'remote', device: 'NB-S-R', book: ids.book, installedAt: '2024-01-01', status: 'in_service' });
    ids.retired = await record('metering_meter', { meterNo: 'S-X', kind: 'mechanical', book: ids.book, installedAt: '2020-01-01', status: 'retired' });
    ids.spare = await record('metering_meter', { meterNo: 'S-SPARE', kind: 'mechanical', installedAt: '2025-01-01', status: 'installed' });
    await ok('POST', '/api/ext/metering/readings', { meterId: ids.old, readAt: '2025-03-01 08:00', valueL: 120000 });
    await kit.publishReadings([
      { device: 'NB-S-R', metric: 'cumulative_volume', at: new Date(sh('2025-03-01 00:00')), milli: 77_000_000n },
      { device: 'NB-S-R', metric: 'cumulative_volume', at: new Date(sh('2025-03-02 00:00')), milli: 77_450_500n },
    ]);
  });
  afterAll(() => kit?.close());

  it('refuses a swap that does not hold together', async () => {
    const good = { oldMeterId: ids.old, newMeterId: ids.new, swappedAt: '2025-03-15 10:00', oldFinalL: 123456, newInitialL: '0', reason: '表停走' };
    const below = await swap({ ...good, oldFinalL: 100000 }, { locale: 'en' });
    expect(below.status).toBe(409);
    expect(detail(below)).toMatchObject({ path: 'body.oldFinalL', message: "The old meter's final reading 100000 L is below its last known reading 120000 L" });
    const unknown = await swap({ ...good, newMeterId: 99_999_999 }, { locale: 'zh-CN' });
    expect(unknown.status).toBe(404);
    expect(detail(unknown)).toMatchObject({ path: 'body.newMeterId', message: '水表 99999999 不存在' });
    const same = await swap({ ...good, newMeterId: ids.old }, { locale: 'zh-CN' });
    expect(same.status).toBe(400);
    expect(detail(same)).toMatchObject({ path: 'body.newMeterId', message: '新旧水表不能相同' });
    expect((await swap({ ...good, oldFinalL: 1.5 }, { locale: 'en' })).body.error.details[0]).toMatchObject({ path: 'body.oldFinalL', message: 'The reading 1.5 must be a whole number of litres' });
    expect(detail(await swap({ ...good, reason: ' ' }, { locale: 'en' }))).toMatchObject({ path: 'body.reason', message: 'The reason is required (at most 500 characters)' });
    expect(detail(await swap({ ...good, newMeterId: ids.retired }, { locale: 'en' }))).toMatchObject({ path: 'body.newMeterId', message: 'The new meter S-X is retired; it cannot be put in' });
    expect((await ok('GET', '/api/ext/metering/swaps')).total).toBe(0);
  });

  it('records a swap: both register values kept, the old meter swapped, the new one in service in its place', async () => {
    const res = await swap({ oldMeterId: ids.old, newMeterId: String(ids.new), swappedAt: '2025-03-15 10:00', oldFinalL: 123456, newInitialL: '0', reason: '表停走' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      oldMeterId: ids.old,
      oldMeterNo: 'S-OLD',
      newMeterId: ids.new,
      newMeterNo: 'S-NEW',
      swappedAt: sh('2025-03-15 10:00'),
      oldFinalL: '123456',
      newInitialL: '0',
      reason: '表停走',
      createdBy: expect.any(Number),
      createdAt: expect.any(String),
    });
    const rows = await kit.services('metering').transaction((tx) => tx.query(`select old_final_l, new_initial_l, tenant_id from pack_metering.swaps`));
    expect(rows).toEqual([{ old_final_l: '123456', new_initial_l: '0', tenant_id: String(kit.tenant.id) }]);
    expect(await meter(ids.old)).toMatchObject({ revision: 2, data: { meterNo: 'S-OLD', status: 'swapped', household: ids.household, book: ids.book } });
    expect(await meter(ids.new)).toMatchObject({ revision: 2, data: { meterNo: 'S-NEW', status: 'in_service', household: ids.household, book: ids.book } });
    expect(await ok('GET', `/api/ext/metering/swaps/${res.body.id}`)).toEqual(res.body);
    expect((await ok('GET', `/api/ext/metering/swaps?meterId=${ids.new}`)).items).toEqual([res.body]);

    // Once only: the old meter is out, and the new one is taken.
    const again = await swap({ oldMeterId: ids.old, newMeterId: ids.spare, swappedAt: '2025-03-16 10:00', oldFinalL: 123456, newInitialL: 0, reason: '重复' }, { locale: 'zh-CN' });
    expect(again.status).toBe(409);
    expect(detail(again)).toMatchObject({ path: 'body.oldMeterId', message: '水表 S-OLD 已换下，不能再次换表' });
    const taken = await swap({ oldMeterId: ids.spare, newMeterId: ids.new, swappedAt: '2025-03-16 10:00', oldFinalL: 0, newInitialL: 0, reason: '重复' }, { locale: 'en' });
    expect(taken.status).toBe(409);
    expect(detail(taken).message).toBe('The new meter S-NEW is already used by another swap');
    expect((await ok('GET', '/api/ext/metering/swaps')).total).toBe(1);
  });

  it('continues the readings across the swap', async () => {
    // The old meter takes no reading after it came off the wall; an earlier one still counts.
    const late = await kit.request('POST', '/api/ext/metering/readings', { body: { meterId: ids.old, readAt: '2025-03-16 08:00', valueL: 123456 }, locale: 'en' });
    expect(late.status).toBe(409);
    expect(detail(late).message).toBe('Meter S-OLD was swapped out at 2025-03-15 10:00; it takes no later readings');
    expect((await ok('POST', '/api/ext/metering/readings', { meterId: ids.old, readAt: '2025-03-10 08:00', valueL: 122000 })).status).toBe('valid');
    // The new meter's first reading is checked against its initial value at the swap.
    expect(await ok('POST', '/api/ext/metering/readings', { meterId: ids.new, readAt: '2025-03-20 08:00', valueL: 500 }, reader)).toMatchObject({ status: 'valid', violations: [] });
  });

  it('lists a reader’s books and each book’s meters still in place with their last reading', async () => {
    expect(await ok('GET', '/api/ext/metering/my-books', undefined, reader)).toEqual({
      items: [{ id: ids.book, code: 'B-01', name: '阳光小区一册', reader: 'reader.swaps', community: '阳光小区', meters: 2 }],
    });
    expect((await ok('GET', '/api/ext/metering/my-books')).items).toEqual([]);
    const round = await ok('GET', `/api/ext/metering/books/${ids.book}/meters`, undefined, reader);
    expect(round.book).toEqual({ id: ids.book, code: 'B-01', name: '阳光小区一册', reader: 'reader.swaps', community: '阳光小区' });
    expect(round.items).toEqual([
      {
        meterId: ids.new,
        meterNo: 'S-NEW',
        kind: 'mechanical',
        status: 'in_service',
        household: { id: ids.household, accountNo: 'S-0001', name: '王五', address: '阳光小区 3 1 502' },
        lastReading: { readingId: expect.any(Number), readAt: sh('2025-03-20 08:00'), valueL: '500', source: 'hand', status: 'valid' },
      },
      {
        meterId: ids.remote,
        meterNo: 'S-R',
        kind: 'remote',
        status: 'in_service',
        household: null,
        lastReading: { readingId: null, readAt: sh('2025-03-02 00:00'), valueL: '77450', source: 'remote', status: 'valid' },
      },
    ]);
    expect((await kit.request('GET', '/api/ext/metering/books/99999999/meters')).status).toBe(404);
  });

  it('keeps swaps and books to their tenant and permission holders', async () => {
    const [own] = (await ok('GET', '/api/ext/metering/swaps')).items;
    const other = kit.otherTenant.token;
    expect((await kit.request('GET', '/api/ext/metering/swaps', { token: other })).body).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', `/api/ext/metering/swaps/${own.id}`, { token: other })).status).toBe(404);
    expect((await kit.request('GET', `/api/ext/metering/books/${ids.book}/meters`, { token: other })).status).toBe(404);
    expect((await kit.request('GET', '/api/ext/metering/my-books', { token: other })).body).toEqual({ items: [] });
    const foreign = await swap({ oldMeterId: ids.spare, newMeterId: ids.remote, swappedAt: '2025-03-16 10:00', oldFinalL: 0, newInitialL: 0, reason: '越权' }, { token: other });
    expect(foreign.status).toBe(404);
    expect(await meter(ids.spare)).toMatchObject({ revision: 1, data: { status: 'installed' } });
    // A reader does not swap meters; a viewer sees no books.
    expect((await swap({ oldMeterId: ids.spare, newMeterId: ids.remote, swappedAt: '2025-03-16 10:00', oldFinalL: 0, newInitialL: 0, reason: 'x' }, { token: reader })).status).toBe(403);
    expect((await kit.request('GET', '/api/ext/metering/my-books', { token: viewer })).status).toBe(403);
    expect((await kit.request('GET', `/api/ext/metering/books/${ids.book}/meters`, { token: viewer })).status).toBe(403);
    expect((await kit.request('GET', '/api/ext/metering/swaps', { token: viewer })).status).toBe(403);
  });
});
