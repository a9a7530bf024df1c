/**
 * The counter's side of the accounts part on a running runtime (metering + billing in two tenants):
 * settings, customers, the account search by number, name, phone and address, the 360° view, tariff
 * versions and the quote on the seeded Beijing-style residential tariff — with tenant isolation,
 * permissions and bad input for every route.
 *
 * Quote fixture (hand-computed): residential, 3 persons, 175 m³ billed this year (bills of Jan–Mar), 10 m³
 * more crosses the 180 m³ bound: 水费 5 m³ × 2.07 + 5 m³ × 4.07 = 10.35 + 20.35; 水资源 10 m³ × 1.57 = 15.70;
 * 污水 10 m³ × 1.36 = 13.60; total 60.00 元 = 5 m³ × 5 元 + 5 m³ × 7 元 = 6000 fen, last litre in tier 2.
 */
import { definePack } from '@shuiyun/sdk';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import metering from '@shuiyun/pack-metering';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing, { billingManifest, localDate } from '../index.js';
import { Params } from '../shared.js';
import { searchCondition } from './accounts.js';
import { residentialTariff, seedAccounts } from './seed.js';

const B = '/api/ext/billing';
const billingPack = billingManifest.seed ? billing : definePack({ ...billingManifest, seed: seedAccounts });
const RESIDENT_ID = '11010519491231002X';
const CREDIT_CODE = '91350100M000100Y43';

describe('the counter: settings, customers, search, 360° view, tariffs and quotes', () => {
  let kit: PackTestKit;
  let reader: string;
  const acc: Record<string, { id: number; accountNo: string }> = {};
  let householdId = 0;
  let meterId = 0;
  let today = '';
  let year = '';

  const ok = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await kit.request(method, path, { ...(body === undefined ? {} : { body }), ...(token ? { token } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const detail = (res: { body: any }) => res.body.error.details[0] as { path: string; message: string };
  const search = async (q: string, extra = '') => (await ok('GET', `${B}/accounts?q=${encodeURIComponent(q)}${extra}`)).items.map((a: { accountNo: string }) => a.accountNo).sort();

  async function open(key: string, body: Record<string, unknown>) {
    const request = await ok('POST', `${B}/requests/open`, { tariffCode: 'residential', nature: 'residential', householdSize: 3, ...body });
    const task = await kit.waitForTask({ instanceId: Number(request.instance), elementId: 'approve' });
    await kit.completeTask(task.id, { decision: 'approve' });
    const vars = await kit.waitForInstance(Number(request.instance));
    acc[key] = { id: request.accountId, accountNo: vars.accountNo as string };
  }

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering, billingPack] });
    reader = await kit.createUser({ username: 'reader.counter', roles: ['metering-reader'] });
    today = localDate(new Date(), 'Asia/Shanghai');
    year = today.slice(0, 4);
    householdId = (await ok('POST', '/api/entities/metering_household/records', { data: { accountNo: 'H-1', name: '张三', community: '阳光小区', building: '3', unit: '1', room: '502' } })).id;
    meterId = (await ok('POST', '/api/entities/metering_meter/records', { data: { meterNo: 'C-01', kind: 'mechanical', household: householdId, installedAt: '2024-01-01', status: 'in_service' } })).id;
    await open('zhang', { customer: { kind: 'person', name: '张三', phone: '13800138000', idNumber: RESIDENT_ID }, householdId, address: { community: '阳光小区', building: '3', unit: '1', room: '502' } });
    await open('li', { customer: { kind: 'person', name: '李四', phone: '13912345678' }, address: { community: '阳光小区', building: '5', unit: '2', room: '1201' } });
    await open('zhangwei', { customer: { kind: 'person', name: '张伟', phone: '+8613700001111' }, householdSize: 7, address: { community: '河畔花园', building: '1', unit: '1', room: '101' } });
    await open('factory', { customer: { kind: 'organisation', name: '北京某某食品厂', idNumber: CREDIT_CODE }, nature: 'non_residential', tariffCode: 'non_residential', address: { community: '工业园', building: 'A' } });
    // Volume billed this year: 175 m³ for 张三 (three bills), 10 m³ last year (not counted).
    await kit.services('billing').transaction(async (tx) => {
      const bills: [string, number][] = [[`${year}-01`, 60_000], [`${year}-02`, 55_000], [`${year}-03`, 60_000], [`${Number(year) - 1}-12`, 10_000]];
      for (const [period, volume] of bills) {
        await tx.query(
          `insert into pack_billing.bills (tenant_id, tenant_path, account_id, period, period_start, period_end, volume_l, amount_fen, tariff_code, due_date, finance_period)
           values ($1, $2::ltree, $3, $4, now(), now(), $5, 100, 'residential', '2026-01-31', $4)`,
          [kit.tenant.id, kit.tenant.path, acc.zhang!.id, period, volume],
        );
      }
    });
  }, 300_000);
  afterAll(() => kit?.close());

  describe('settings', () => {
    it('answers the seeded settings and changes what is given', async () => {
      const seeded = await ok('GET', `${B}/settings`);
      expect(seeded).toMatchObject({
        accountNumber: { prefix: '', width: 8, nextSeq: '5', next: '00000005' },
        dueDays: 30,
        lateFee: { dailyRatePpm: 1000, graceDays: 0, capBp: 10000, rounding: 'half_up' },
        valve: { enabled: false },
        notify: { channels: ['inapp'] },
      });
      expect(seeded.dunning).toHaveLength(3);
      const changed = await ok('PUT', `${B}/settings`, {
        dueDays: 20,
        lateFee: { dailyRatePpm: 3000, graceDays: 5, capBp: 3000, rounding: 'half_up' },
        dunning: [{ step: 1, daysOverdue: 3, channels: ['sms'] }],
        valve: { enabled: true, afterDays: 60, minArrearsFen: '50000', reopenOnPayment: true },
        notify: { channels: ['inapp', 'sms'] },
      });
      expect(changed).toMatchObject({ accountNumber: { prefix: '', width: 8 }, dueDays: 20, lateFee: { dailyRatePpm: 3000, capBp: 3000 }, dunning: [{ step: 1, daysOverdue: 3 }], valve: { enabled: true, minArrearsFen: '50000' }, notify: { channels: ['inapp', 'sms'] } });
      expect(await ok('GET', `${B}/settings`)).toMatchObject({ dueDays: 20, valve: { afterDays: 60, graceDuration: 'P3D' } });
      // The SMS gateway's secret is stored, never shown; sending the mask back keeps it.
      const sms = { url: 'https://sms.example/send', appKey: 'k1', secret: 's3cret-value' };
      const withSms = await ok('PUT', `${B}/settings`, { notify: { channels: ['inapp', 'sms'], sms }, valve: { enabled: true, graceDuration: 'P5D' } });
      expect(withSms.notify).toMatchObject({ channels: ['inapp', 'sms'], sms: { url: sms.url, appKey: 'k1', secret: '********' } });
      expect(withSms.valve).toMatchObject({ enabled: true, graceDuration: 'P5D', afterDays: 90 });
      expect(JSON.stringify(await ok('GET', `${B}/settings`))).not.toContain('s3cret');
      await ok('PUT', `${B}/settings`, { notify: { channels: ['sms'], sms: { ...sms, secret: '********' } } });
      const stored = await kit.services('billing').transaction((tx) => tx.query<{ notify: { channels: string[]; sms: { secret: string } } }>(`select notify from pack_billing.settings where tenant_id = $1`, [kit.tenant.id]));
      expect(stored[0]!.notify).toMatchObject({ channels: ['sms'], sms: { secret: 's3cret-value' } });
      await ok('PUT', `${B}/settings`, { notify: { channels: ['inapp', 'sms'] } });
      // The other tenant's settings are its own.
      expect((await kit.request('GET', `${B}/settings`, { token: kit.otherTenant.token })).body).toMatchObject({ dueDays: 30, notify: { channels: ['inapp'] } });
    });

    it('refuses bad settings naming the field, and a change without the permission', async () => {
      const bad = async (body: unknown, field: string) => {
        const res = await kit.request('PUT', `${B}/settings`, { body, locale: 'en' });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      };
      await bad({ accountNumber: { prefix: 'bj', width: 8 } }, 'body.accountNumber.prefix');
      await bad({ accountNumber: { prefix: 'BJ', width: 3 } }, 'body.accountNumber.width');
      await bad({ dueDays: -1 }, 'body.dueDays');
      await bad({ lateFee: { dailyRatePpm: 20000 } }, 'body.lateFee.dailyRatePpm');
      await bad({ dunning: [{ step: 2, daysOverdue: 10, channels: ['sms'] }, { step: 1, daysOverdue: 5, channels: ['sms'] }] }, 'body.dunning.1.step');
      await bad({ valve: { enabled: true, afterDays: 0, minArrearsFen: '1' } }, 'body.valve.afterDays');
      await bad({ notify: { channels: ['pigeon'] } }, 'body.notify.channels.0');
      await bad({ notify: { channels: ['wechat'], wechat: { url: 'https://wx.example', accessToken: '********', templateId: 't' } } }, 'body.notify.wechat.accessToken');
      await bad({ valve: { graceDuration: 'P1M' } }, 'body.valve.graceDuration');
      await bad({ accountNumber: { prefix: 'BJ', width: 8 }, extra: true }, 'body');
      expect((await kit.request('PUT', `${B}/settings`, { body: { dueDays: 10 }, token: reader })).status).toBe(403);
      expect((await kit.request('GET', `${B}/settings`, { token: reader })).status).toBe(403);
      expect((await kit.request('GET', `${B}/settings`, { token: null })).status).toBe(401);
      expect((await kit.request('PUT', `${B}/settings`, { body: { dueDays: 10 }, token: null })).status).toBe(401);
    });
  });

  describe('customers', () => {
    it('registers a person and an organisation, identity numbers checked and masked', async () => {
      const person = await ok('POST', `${B}/customers`, { kind: 'person', name: '王小明', idNumber: '110101199003070011', phone: '139 1111 2222' });
      expect(person).toMatchObject({ kind: 'person', name: '王小明', idType: 'resident_id', idMasked: '110101********0011', phone: '13911112222' });
      expect(JSON.stringify(person)).not.toContain('19900307');
      const spaced = await ok('POST', `${B}/customers`, { kind: 'person', name: '空格', idNumber: ' 440304 19851120 1235 ' });
      expect(spaced.idMasked).toBe('440304********1235');
      const org = await ok('POST', `${B}/customers`, { kind: 'organisation', name: '某某科技公司', idNumber: '91110108ma01abcden' });
      expect(org).toMatchObject({ idType: 'credit_code', idMasked: '911101********CDEN' });
      expect(await ok('POST', `${B}/customers`, { kind: 'organisation', name: '无证件单位' })).toMatchObject({ idType: null, idMasked: null, phone: null });
      const twice = await kit.request('POST', `${B}/customers`, { body: { kind: 'person', name: '重复', idNumber: RESIDENT_ID }, locale: 'en' });
      expect(twice.status).toBe(409);
      expect(detail(twice).path).toBe('body.idNumber');
    });

    it('lists customers paged and finds them by name, phone suffix or whole identity number', async () => {
      const page = await ok('GET', `${B}/customers?pageSize=2`);
      expect(page).toMatchObject({ page: 1, pageSize: 2, total: 8 });
      expect(page.items).toHaveLength(2);
      expect(await ok('GET', `${B}/customers?pageSize=2&page=9`)).toMatchObject({ items: [], total: 8 });
      expect((await ok('GET', `${B}/customers?q=${encodeURIComponent('张')}`)).items.map((c: { name: string }) => c.name).sort()).toEqual(['张三', '张伟']);
      expect((await ok('GET', `${B}/customers?q=5678`)).items.map((c: { name: string }) => c.name)).toEqual(['李四']);
      const byId = await ok('GET', `${B}/customers?q=${RESIDENT_ID}`);
      expect(byId.items).toEqual([expect.objectContaining({ name: '张三', idMasked: '110105********002X' })]);
      expect(JSON.stringify(byId)).not.toContain(RESIDENT_ID);
      expect((await kit.request('GET', `${B}/customers`, { token: kit.otherTenant.token })).body.total).toBe(0);
    });

    it('refuses bad customers naming the field; guards the routes', async () => {
      const bad = async (body: unknown, field: string, message?: string) => {
        const res = await kit.request('POST', `${B}/customers`, { body, locale: 'en' });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(detail(res).path).toBe(field);
        if (message) expect(detail(res).message).toBe(message);
      };
      await bad({ kind: 'person', name: '甲', idNumber: '110105194912310021' }, 'body.idNumber', 'The resident id check digit is wrong (GB 11643)');
      await bad({ kind: 'person', name: '甲', idNumber: '110105194902300028' }, 'body.idNumber', 'The birth date inside the resident id is not a real date');
      await bad({ kind: 'person', name: '甲', idNumber: '12345' }, 'body.idNumber');
      await bad({ kind: 'organisation', name: '乙', idNumber: '91350100M000100Y44' }, 'body.idNumber', 'The credit code check character is wrong (GB 32100)');
      await bad({ kind: 'person', name: '甲', phone: 'call me' }, 'body.phone');
      await bad({ kind: 'robot', name: '甲' }, 'body.kind');
      await bad({ kind: 'person', name: '' }, 'body.name');
      expect((await kit.request('POST', `${B}/customers`, { body: { kind: 'person', name: '甲' }, token: reader })).status).toBe(403);
      expect((await kit.request('GET', `${B}/customers`, { token: reader })).status).toBe(403);
      expect((await kit.request('GET', `${B}/customers`, { token: null })).status).toBe(401);
      expect((await kit.request('POST', `${B}/customers`, { body: { kind: 'person', name: '甲' }, token: null })).status).toBe(401);
    });
  });

  describe('account search', () => {
    it('finds accounts by number prefix, name, phone (exact or suffix) and address words', async () => {
      expect(acc.zhang!.accountNo).toBe('00000001');
      expect(await search('00000001')).toEqual(['00000001']);
      expect(await search('0000000')).toEqual(['00000001', '00000002', '00000003', '00000004']);
      expect(await search('张')).toEqual([acc.zhang!.accountNo, acc.zhangwei!.accountNo].sort());
      expect(await search('张三')).toEqual([acc.zhang!.accountNo]);
      expect(await search('13912345678')).toEqual([acc.li!.accountNo]);
      expect(await search('5678')).toEqual([acc.li!.accountNo]);
      expect(await search('+8613700001111')).toEqual([acc.zhangwei!.accountNo]);
      expect(await search('1111')).toEqual([acc.zhangwei!.accountNo]);
      expect(await search('阳光小区')).toEqual([acc.zhang!.accountNo, acc.li!.accountNo].sort());
      expect(await search('阳光小区 1201')).toEqual([acc.li!.accountNo]);
      expect(await search('河畔 张伟')).toEqual([acc.zhangwei!.accountNo]);
      expect(await search('食品')).toEqual([acc.factory!.accountNo]);
      expect(await search('不存在的人')).toEqual([]);
      expect(await search('100%')).toEqual([]);
    });

    it('filters by status, nature and community, paged by account number', async () => {
      expect(await search('', '&nature=non_residential')).toEqual([acc.factory!.accountNo]);
      expect(await search('', '&community=' + encodeURIComponent('阳光小区'))).toEqual([acc.zhang!.accountNo, acc.li!.accountNo].sort());
      expect(await search('张', '&community=' + encodeURIComponent('河畔花园'))).toEqual([acc.zhangwei!.accountNo]);
      expect(await search('', '&status=pending')).toEqual([]);
      const page = await ok('GET', `${B}/accounts?pageSize=3&page=2`);
      expect(page).toMatchObject({ total: 4, page: 2, pageSize: 3, items: [expect.objectContaining({ accountNo: '00000004', customer: expect.objectContaining({ name: '北京某某食品厂' }) })] });
    });

    it('looks each arm of the search up by an index, under row-level security (20 000 more accounts, rolled back)', async () => {
      // Under forced row-level security only leakproof comparisons become index conditions (LIKE, array @>,
      // strpos and reverse() do not): each arm must be an index lookup by its own condition.
      const rollback = new Error('rollback');
      let plans: Record<string, string> = {};
      await kit
        .services('billing')
        .transaction(async (tx) => {
          const { id, path } = kit.tenant;
          await tx.query(
            `with c as (
               insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone)
               select $1, $2::ltree, 'person', 'P' || g, '139' || lpad(g::text, 8, '0') from generate_series(1, 20000) g returning id, name
             ), a as (
               insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, tariff_code, status, search_text)
               select $1, $2::ltree, 'X' || lpad(substr(c.name, 2), 8, '0'), c.id, 'residential', 'residential', 'active', lower(c.name) from c returning id
             )
             insert into pack_billing.account_grams (tenant_id, tenant_path, gram, account_id)
             select $1, $2::ltree, x.gram, a.id from a, lateral (values ('p'), ((a.id % 997)::text)) x(gram)`,
            [id, path],
          );
          const explain = async (q: string) => {
            const p = new Params();
            const tenant = p.add(id);
            const rows = await tx.query<{ 'QUERY PLAN': string }>(`explain select a.id from pack_billing.accounts a where a.tenant_id = ${tenant} and ${searchCondition(p, tenant, q)}`, p.values as never[]);
            return rows.map((r) => r['QUERY PLAN']).join('\n');
          };
          plans = { digits: await explain('1380'), words: await explain('阳光小区') };
          throw rollback;
        })
        .catch((e: unknown) => {
          if (e !== rollback) throw e;
        });
      const cond = (index: string, condition: RegExp) => new RegExp(`${index}[^\\n]*\\n\\s*Index Cond: [^\\n]*${condition.source}`);
      // '1380': an account number by prefix, a phone (exact, or ending in 1380), or a name or address containing it.
      expect(plans.digits).toMatch(cond('accounts_no_prefix_idx', /account_no ~>=~ '1380'.*account_no ~<~ '1381'/));
      expect(plans.digits).toMatch(cond('customers_phone_idx', /phone = '1380'/));
      expect(plans.digits).toMatch(cond('customers_phone_suffix_idx', /phone_reversed ~>=~ '0831'.*phone_reversed ~<~ '0832'/));
      expect(plans.digits).toMatch(cond('account_grams_pkey', /gram = ANY/));
      expect(plans.words).toMatch(cond('account_grams_pkey', /gram = ANY \('\{阳光,光小,小区\}'/));
      expect(plans.words).not.toContain('Seq Scan');
      expect((await ok('GET', `${B}/accounts`)).total).toBe(4);
    });

    it('is the tenant’s own, with the permission; bad filters are 400', async () => {
      expect((await kit.request('GET', `${B}/accounts?q=${encodeURIComponent('张')}`, { token: kit.otherTenant.token })).body).toMatchObject({ total: 0, items: [] });
      expect((await kit.request('GET', `${B}/accounts`, { token: kit.otherTenant.token })).body.total).toBe(0);
      expect((await kit.request('GET', `${B}/accounts`, { token: reader })).status).toBe(403);
      expect((await kit.request('GET', `${B}/accounts`, { token: null })).status).toBe(401);
      const bad = await kit.request('GET', `${B}/accounts?status=sleeping`);
      expect(bad.status).toBe(400);
      expect(detail(bad).path).toBe('query.status');
      expect(detail(await kit.request('GET', `${B}/accounts?pageSize=1000`)).path).toBe('query.pageSize');
    });
  });

  describe('the 360° view', () => {
    it('answers the account, customer, meters, settlements, bills, payments, charges, requests and balance', async () => {
      await kit.services('billing').transaction(async (tx) => {
        await tx.query(
          `insert into pack_metering.settlements (tenant_id, tenant_path, period, meter_id, meter_no, start_l, end_l, volume_l, source, start_at, end_at)
           select $1, $2::ltree, p, $3, 'C-01', 0, 1000, 1000, 'hand', now(), now() from unnest($4::text[]) p`,
          [kit.tenant.id, kit.tenant.path, meterId, [...Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`), '2024-11', '2024-12']],
        );
        await tx.query(
          `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, amount_fen, paid_fen, due_date, finance_period)
           values ($1, $2::ltree, $3, 'adjustment', 5000, 1000, '2026-02-28', '2026-02'), ($1, $2::ltree, $3, 'adjustment', 700, 700, '2026-01-31', '2026-01')`,
          [kit.tenant.id, kit.tenant.path, acc.zhang!.id],
        );
        await tx.query(
          `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, finance_period) values ($1, $2::ltree, $3, 'cash', 1700, '2026-02')`,
          [kit.tenant.id, kit.tenant.path, acc.zhang!.id],
        );
        await tx.query(
          `insert into pack_billing.allocations (tenant_id, tenant_path, payment_id, charge_id, amount_fen, finance_period)
           select $1, $2::ltree, p.id, c.id, c.paid_fen, '2026-02' from pack_billing.payments p, pack_billing.charges c where p.account_id = $3 and c.account_id = $3`,
          [kit.tenant.id, kit.tenant.path, acc.zhang!.id],
        );
      });
      const view = await ok('GET', `${B}/accounts/${acc.zhang!.id}`);
      expect(view.account).toMatchObject({ id: acc.zhang!.id, accountNo: '00000001', status: 'active', nature: 'residential', householdId, address: { community: '阳光小区', building: '3', unit: '1', room: '502' }, tariffCode: 'residential' });
      expect(view.customer).toMatchObject({ name: '张三', idType: 'resident_id', idMasked: '110105********002X', phone: '13800138000' });
      expect(JSON.stringify(view)).not.toContain(RESIDENT_ID);
      expect(view.meters).toEqual([{ id: meterId, meterNo: 'C-01', kind: 'mechanical', status: 'in_service', device: null, installedAt: '2024-01-01' }]);
      expect(view.settlements.total).toBe(14);
      expect(view.settlements.items).toHaveLength(12);
      expect(view.settlements.items[0]).toMatchObject({ period: '2025-12', meterNo: 'C-01', volumeL: '1000', source: 'hand' });
      expect(view.bills.total).toBe(4);
      expect(view.bills.items.map((b: { period: string }) => b.period)).toEqual([`${year}-03`, `${year}-02`, `${year}-01`, `${Number(year) - 1}-12`]);
      expect(view.bills.items[0]).toMatchObject({ volumeL: '60000', amountFen: '100', dueDate: '2026-01-31' });
      expect(view.payments).toMatchObject({ total: 1, items: [{ channel: 'cash', amountFen: '1700', status: 'booked' }] });
      expect(view.payments.items[0].paidAt).toMatch(/Z$/);
      expect(view.charges).toMatchObject({ total: 1, items: [{ kind: 'adjustment', amountFen: '5000', outstandingFen: '4000', dueDate: '2026-02-28' }] });
      expect(view.requests).toEqual({ items: [], total: 0 });
      expect(view.balance).toMatchObject({ chargesFen: '5700', paidFen: '1700', outstandingFen: '4000', creditFen: '0', paymentsFen: '1700', dueFen: '4000', netYuan: '-40.00' });
    });

    it('is 404 for another tenant’s account or an unknown one; guarded', async () => {
      expect((await kit.request('GET', `${B}/accounts/${acc.zhang!.id}`, { token: kit.otherTenant.token })).status).toBe(404);
      expect((await kit.request('GET', `${B}/accounts/99999999`)).status).toBe(404);
      expect(detail(await kit.request('GET', `${B}/accounts/abc`)).path).toBe('params.id');
      expect((await kit.request('GET', `${B}/accounts/${acc.zhang!.id}`, { token: reader })).status).toBe(403);
      expect((await kit.request('GET', `${B}/accounts/${acc.zhang!.id}`, { token: null })).status).toBe(401);
    });
  });

  describe('tariffs', () => {
    it('lists the seeded tariffs and their versions', async () => {
      const list = await ok('GET', `${B}/tariffs`);
      expect(list.items.map((t: { code: string }) => t.code)).toEqual(['non_residential', 'residential', 'shared', 'special']);
      expect(list.items.find((t: { code: string }) => t.code === 'residential')).toMatchObject({ version: 1, effectiveFrom: '2014-05-01', versions: 1, versionInForce: 1, definition: residentialTariff });
      const one = await ok('GET', `${B}/tariffs/residential`);
      expect(one).toMatchObject({ code: 'residential', versionInForce: 1, versions: [{ version: 1, definition: { boundsL: ['180000', '260000'] } }] });
    });

    it('adds versions: the next number, after the last date and not in the past', async () => {
      const definition = { ...residentialTariff, components: residentialTariff.components.map((c) => (c.code === 'water' ? { ...c, prices: ['21700', '41700', '61700'] } : c)) };
      const past = await kit.request('POST', `${B}/tariffs/residential/versions`, { body: { name: '调价', effectiveFrom: '2020-01-01', definition }, locale: 'en' });
      expect(past.status).toBe(400);
      expect(detail(past)).toMatchObject({ path: 'body.effectiveFrom' });
      expect(detail(past).message).toContain('cannot reach back to days already past');
      const future = '2099-07-01';
      const v2 = await kit.request('POST', `${B}/tariffs/residential/versions`, { body: { name: '2099 调价', effectiveFrom: future, definition } });
      expect(v2.status).toBe(201);
      expect(v2.body).toMatchObject({ code: 'residential', version: 2, effectiveFrom: future, name: '2099 调价' });
      const same = await kit.request('POST', `${B}/tariffs/residential/versions`, { body: { name: '又调', effectiveFrom: future, definition }, locale: 'en' });
      expect(same.status).toBe(400);
      expect(detail(same).message).toBe(`Effective from ${future} must come after version 2's date (${future}): versions take effect one after another`);
      const fresh = await ok('POST', `${B}/tariffs/summer-special/versions`, { name: '夏季', effectiveFrom: today, definition: { accounting: { period: 'month' }, boundsL: [], components: [{ code: 'water', name: { 'zh-CN': '水费', en: 'Water' }, prices: ['30000'] }] } });
      expect(fresh).toMatchObject({ version: 1, effectiveFrom: today, definition: { rounding: 'half_up', components: [{ shareBp: 10000 }] } });
      const one = await ok('GET', `${B}/tariffs/residential`);
      expect(one.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
      expect(one.versionInForce).toBe(1);
      expect((await ok('GET', `${B}/tariffs`)).items.find((t: { code: string }) => t.code === 'residential')).toMatchObject({ version: 2, versions: 2, versionInForce: 1 });
    });

    it('refuses a bad definition naming the field; is the tenant’s own and guarded', async () => {
      const bad = async (definition: unknown, field: string) => {
        const res = await kit.request('POST', `${B}/tariffs/residential/versions`, { body: { name: 'x', effectiveFrom: '2099-12-01', definition }, locale: 'en' });
        expect(res.status, JSON.stringify(definition)).toBe(400);
        expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      };
      await bad({ ...residentialTariff, boundsL: ['260000', '180000'] }, 'body.definition.boundsL.1');
      await bad({ ...residentialTariff, components: [{ code: 'water', name: { 'zh-CN': '水费', en: 'Water' }, prices: ['1', '2'] }] }, 'body.definition.components.0.prices');
      await bad({ ...residentialTariff, components: [{ code: 'water', name: { 'zh-CN': '水费', en: 'Water' }, prices: ['2.07'] }] }, 'body.definition.components.0.prices.0');
      const code = await kit.request('POST', `${B}/tariffs/Bad Code/versions`, { body: { name: 'x', effectiveFrom: '2099-12-01', definition: residentialTariff } });
      expect(code.status).toBe(400);
      const other = kit.otherTenant.token;
      expect((await kit.request('GET', `${B}/tariffs/summer-special`, { token: other })).status).toBe(404);
      expect((await kit.request('GET', `${B}/tariffs`, { token: other })).body.items.find((t: { code: string }) => t.code === 'residential')).toMatchObject({ version: 1 });
      expect((await kit.request('GET', `${B}/tariffs/nope`)).status).toBe(404);
      for (const [method, path] of [['GET', '/tariffs'], ['GET', '/tariffs/residential']] as const) {
        expect((await kit.request(method, `${B}${path}`, { token: reader })).status).toBe(403);
        expect((await kit.request(method, `${B}${path}`, { token: null })).status).toBe(401);
      }
      const post = { name: 'x', effectiveFrom: '2099-12-01', definition: residentialTariff };
      expect((await kit.request('POST', `${B}/tariffs/residential/versions`, { body: post, token: reader })).status).toBe(403);
      expect((await kit.request('POST', `${B}/tariffs/residential/versions`, { body: post, token: null })).status).toBe(401);
    });
  });

  describe('quote', () => {
    it('prices 10 m³ after 175 m³ billed this year across the 180 m³ bound: 60.00 元', async () => {
      const q = await ok('POST', `${B}/quote`, { accountId: acc.zhang!.id, volumeM3: '10' });
      expect(q).toMatchObject({ accountNo: '00000001', tariffCode: 'residential', tariffVersion: 1, date: today, accountingYear: year, cumulativeBeforeL: '175000', cumulativeAfterL: '185000', tier: 2, amountFen: '6000', amountYuan: '60.00', volumeL: '10000' });
      expect(q.lines).toEqual([
        { component: 'water', componentName: { 'zh-CN': '水费', en: 'Water supply' }, tier: 1, volumeL: '5000', chargedL: '5000', shareBp: 10000, priceUnits: '20700', priceYuan: '2.07', amountFen: '1035', amountYuan: '10.35' },
        { component: 'water', componentName: { 'zh-CN': '水费', en: 'Water supply' }, tier: 2, volumeL: '5000', chargedL: '5000', shareBp: 10000, priceUnits: '40700', priceYuan: '4.07', amountFen: '2035', amountYuan: '20.35' },
        { component: 'resource', componentName: { 'zh-CN': '水资源税', en: 'Water resource tax' }, tier: 1, volumeL: '10000', chargedL: '10000', shareBp: 10000, priceUnits: '15700', priceYuan: '1.57', amountFen: '1570', amountYuan: '15.70' },
        { component: 'sewage', componentName: { 'zh-CN': '污水处理费', en: 'Sewage treatment' }, tier: 1, volumeL: '10000', chargedL: '10000', shareBp: 10000, priceUnits: '13600', priceYuan: '1.36', amountFen: '1360', amountYuan: '13.60' },
      ]);
      // The same by account number and in litres.
      expect(await ok('POST', `${B}/quote`, { accountNo: '00000001', volumeL: '10000' })).toMatchObject({ amountFen: '6000', tier: 2 });
      // A date last year: nothing billed in that year but the December bill (10 m³).
      expect(await ok('POST', `${B}/quote`, { accountId: acc.zhang!.id, volumeM3: '10', date: `${Number(year) - 1}-06-15` })).toMatchObject({ cumulativeBeforeL: '10000', tier: 1, amountFen: '5000' });
      // Each line rounded once, half up: 0.5 m³ in tier 1 = 103.5 → 104 + 78.5 → 79 + 68 fen = 251 fen (not 250).
      expect(await ok('POST', `${B}/quote`, { accountId: acc.zhang!.id, volumeM3: '0.5' })).toMatchObject({ volumeL: '500', tier: 1, amountFen: '251' });
      // 1 litre: under half a fen on every line.
      expect(await ok('POST', `${B}/quote`, { accountId: acc.zhang!.id, volumeM3: '0.001' })).toMatchObject({ volumeL: '1', tier: 1, amountFen: '0' });
    });

    it('moves the tier bounds for a household of 7 (Beijing: +30 m³ per person from the 6th)', async () => {
      // 7 persons: bounds 180 + 60 = 240 and 260 + 60 = 320 m³; 240 m³ is all tier 1, the next litre tier 2.
      expect(await ok('POST', `${B}/quote`, { accountId: acc.zhangwei!.id, volumeM3: '240' })).toMatchObject({ tier: 1, amountFen: '120000' });
      expect(await ok('POST', `${B}/quote`, { accountId: acc.zhangwei!.id, volumeM3: '240.001' })).toMatchObject({ tier: 2 });
    });

    it('prices a flat tariff and uses the version in force on the date', async () => {
      // 12.5 m³ flat, each line rounded half up once: 75.875 → 75.88 + 19.625 → 19.63 + 17.00 = 112.51 元.
      expect(await ok('POST', `${B}/quote`, { accountId: acc.factory!.id, volumeM3: '12.5' })).toMatchObject({ tier: 1, amountFen: '11251', accountingYear: today.slice(0, 7) });
      // Version 2 of residential (added above) is in force from 2099-07-01: 5 m³ × (2.17 + 1.57 + 1.36) = 25.50 元.
      expect(await ok('POST', `${B}/quote`, { accountId: acc.li!.id, volumeM3: '5', date: '2099-07-01' })).toMatchObject({ tariffVersion: 2, amountFen: '2550' });
      expect(await ok('POST', `${B}/quote`, { accountId: acc.li!.id, volumeM3: '5', date: '2099-06-30' })).toMatchObject({ tariffVersion: 1, amountFen: '2500' });
      const before = await kit.request('POST', `${B}/quote`, { body: { accountId: acc.li!.id, volumeM3: '5', date: '2000-01-01' }, locale: 'en' });
      expect(before.status).toBe(409);
      expect(detail(before)).toMatchObject({ path: 'body.date', message: "The account's tariff residential has no version in force on 2000-01-01" });
    });

    it('refuses bad input naming the field; is the tenant’s own and guarded', async () => {
      const bad = async (body: unknown, field: string, status = 400) => {
        const res = await kit.request('POST', `${B}/quote`, { body, locale: 'en' });
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      };
      await bad({ accountId: acc.zhang!.id, volumeM3: '1.2345' }, 'body.volumeM3');
      await bad({ accountId: acc.zhang!.id, volumeM3: '-1' }, 'body.volumeM3');
      await bad({ accountId: acc.zhang!.id, volumeL: '1.5' }, 'body.volumeL');
      await bad({ accountId: acc.zhang!.id, volumeL: 1.5 }, 'body.volumeL');
      await bad({ accountId: acc.zhang!.id }, 'body.volumeL');
      await bad({ accountId: acc.zhang!.id, volumeL: 1, volumeM3: '1' }, 'body.volumeL');
      await bad({ volumeL: 1 }, 'body.accountId');
      await bad({ accountId: acc.zhang!.id, volumeL: 1, date: '2026-02-30' }, 'body.date');
      await bad({ accountId: 99_999_999, volumeL: 1 }, 'body.accountId', 404);
      await bad({ accountNo: 'NOPE', volumeL: 1 }, 'body.accountNo', 404);
      const other = await kit.request('POST', `${B}/quote`, { body: { accountId: acc.zhang!.id, volumeL: 1 }, token: kit.otherTenant.token });
      expect(other.status).toBe(404);
      expect((await kit.request('POST', `${B}/quote`, { body: { accountId: acc.zhang!.id, volumeL: 1 }, token: reader })).status).toBe(403);
      expect((await kit.request('POST', `${B}/quote`, { body: { accountId: acc.zhang!.id, volumeL: 1 }, token: null })).status).toBe(401);
    });
  });
});
