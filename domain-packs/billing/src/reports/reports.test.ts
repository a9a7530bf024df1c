/**
 * The billing pack's reports on real rows: a few accounts, bills with their lines and charges, payments,
 * a reversal, a refund and receipts inserted straight into `pack_billing` (the parts that write them have
 * tests of their own), then every template run on the kit and its numbers checked by hand — in fen and in
 * yuan, exactly. The receipt prints as a PDF through the platform's background export, with its number and
 * its amount in capitals; the capitals' SQL agrees with `capitalAmount` on PostgreSQL. Another tenant sees
 * none of it; a role without report permissions is refused.
 *
 * Fixture (Asia/Shanghai, days relative to today):
 *   RPT-001 张三, 阳光小区 3号楼 1单元 101, residential: bill 2026-01 64.00 (paid, due −45 d); bill 2026-02 25.00 (unpaid, due −10 d)
 *   RPT-002 李四商行, 阳光小区 临街 2号, non-residential (tariff commercial): bill 2026-01 500.00, 100.00 paid (due −400 d)
 *   RPT-003 王五, 锦绣花园 8号楼 2单元 302, residential: bill 2026-02 15.00 (due +5 d: not yet due); late fee 1.23 (due −45 d)
 *   today: cash 64.00 by the administrator (tendered 100.00, change 36.00, receipt T00000001), card 100.00 by the
 *   administrator (receipt T00000002, voided), cash 5.00 without a cashier, reversed (−5.00); a cash refund of 2.00.
 */
import { definePack } from '@shuiyun/sdk';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import metering from '@shuiyun/pack-metering';
import fc from 'fast-check';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingManifest } from '../index.js';
import { presentation } from '../presentation.js';
import { capitalAmount, capitalAmountSql } from './capital.js';

const billing = definePack({ ...billingManifest, ...presentation });

/** A local date (Asia/Shanghai) `days` from today, as YYYY-MM-DD. */
const localDay = (days: number) => new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
const currentPeriod = () => localDay(0).slice(0, 7);

describe('billing reports on real rows', () => {
  let kit: PackTestKit;
  let admin: { id: number; displayName: string };
  const run = (code: string, parameters?: Record<string, unknown>) => kit.runReport(code, parameters);
  /** The rows as [dimension…, measure…] tuples, in the report's order. */
  const tuples = (rows: Record<string, unknown>[], keys: string[]) => rows.map((r) => keys.map((k) => r[k]));

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering, billing] });
    const me = await kit.request('GET', '/api/auth/me');
    expect(me.status).toBe(200);
    admin = { id: Number(me.body.id ?? me.body.user?.id), displayName: String(me.body.displayName ?? me.body.user?.displayName) };
    const { id: tenantId, path } = kit.tenant;
    const finance = currentPeriod();
    await kit.services('billing').transaction(async (tx) => {
      const customer = async (kind: string, name: string, phone: string) =>
        (await tx.query<{ id: string }>(`insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone) values ($1, $2::ltree, $3, $4, $5) returning id::text`, [tenantId, path, kind, name, phone]))[0]!.id;
      const account = async (no: string, customerId: string, nature: string, tariff: string, [community, building, unit, room]: [string, string, string, string]) =>
        (
          await tx.query<{ id: string }>(
            `insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, community, building, unit, room, tariff_code, status, opened_at)
             values ($1, $2::ltree, $3, $4::bigint, $5, $6, $7, $8, $9, $10, 'active', now()) returning id::text`,
            [tenantId, path, no, customerId, nature, community, building, unit, room, tariff],
          )
        )[0]!.id;
      const a1 = await account('RPT-001', await customer('person', '张三', '13800000001'), 'residential', 'residential', ['阳光小区', '3号楼', '1单元', '101']);
      const a2 = await account('RPT-002', await customer('organisation', '李四商行', '13800000002'), 'non_residential', 'commercial', ['阳光小区', '临街', '', '2号']);
      const a3 = await account('RPT-003', await customer('person', '王五', '13800000003'), 'residential', 'residential', ['锦绣花园', '8号楼', '2单元', '302']);

      /** A bill with its lines ([component, name, tier, litres, fen]) and its charge. */
      const bill = async (accountId: string, period: string, tariff: string, lines: [string, string, number, number, number][], paid: number, dueDays: number) => {
        const amount = lines.reduce((s, l) => s + l[4], 0);
        const volume = lines.filter((l) => l[0] === 'water').reduce((s, l) => s + l[3], 0);
        const [b] = await tx.query<{ id: string }>(
          `insert into pack_billing.bills (tenant_id, tenant_path, account_id, period, period_start, period_end, volume_l, amount_fen, tariff_code, due_date, finance_period)
           values ($1, $2::ltree, $3::bigint, $4, ($4 || '-01')::date::timestamp at time zone 'Asia/Shanghai', (($4 || '-01')::date + interval '1 month') at time zone 'Asia/Shanghai',
                   $5, $6, $7, $8::date, $9) returning id::text`,
          [tenantId, path, accountId, period, volume, amount, tariff, localDay(dueDays), finance],
        );
        for (const [component, name, tier, litres, fen] of lines) {
          await tx.query(
            `insert into pack_billing.bill_lines (tenant_id, tenant_path, bill_id, component, component_name, tier, tariff_version, volume_l, charged_l, price_units, amount_fen)
             values ($1, $2::ltree, $3::bigint, $4, $5, $6, 1, $7, $7, 0, $8)`,
            [tenantId, path, b!.id, component, name, tier, litres, fen],
          );
        }
        await tx.query(
          `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, bill_id, amount_fen, paid_fen, due_date, finance_period)
           values ($1, $2::ltree, $3::bigint, 'bill', $4::bigint, $5, $6, $7::date, $8)`,
          [tenantId, path, accountId, b!.id, amount, paid, localDay(dueDays), finance],
        );
      };
      const water = '水费';
      const tax = '水资源税';
      const sewage = '污水处理费';
      await bill(a1, '2026-01', 'residential', [['water', water, 1, 10_000, 2070], ['water', water, 2, 2_000, 814], ['resource', tax, 1, 12_000, 1884], ['sewage', sewage, 1, 12_000, 1632]], 6400, -45);
      await bill(a1, '2026-02', 'residential', [['water', water, 1, 5_000, 1035], ['resource', tax, 1, 5_000, 785], ['sewage', sewage, 1, 5_000, 680]], 0, -10);
      await bill(a2, '2026-01', 'commercial', [['water', water, 1, 100_000, 20_700], ['resource', tax, 1, 100_000, 15_700], ['sewage', sewage, 1, 100_000, 13_600]], 10_000, -400);
      await bill(a3, '2026-02', 'residential', [['water', water, 1, 3_000, 621], ['resource', tax, 1, 3_000, 471], ['sewage', sewage, 1, 3_000, 408]], 0, 5);
      await tx.query(
        `insert into pack_billing.charges (tenant_id, tenant_path, account_id, kind, amount_fen, due_date, finance_period) values ($1, $2::ltree, $3::bigint, 'late_fee', 123, $4::date, '2026-02')`,
        [tenantId, path, a3, localDay(-45)],
      );

      const payment = async (accountId: string, channel: string, fen: number, tendered: number | null, cashier: number | null) =>
        (
          await tx.query<{ id: string }>(
            `insert into pack_billing.payments (tenant_id, tenant_path, account_id, channel, amount_fen, tendered_fen, change_fen, cashier_id, finance_period)
             values ($1, $2::ltree, $3::bigint, $4, $5, $6::bigint, $6::bigint - $5, $7::bigint, $8) returning id::text`,
            [tenantId, path, accountId, channel, fen, tendered, cashier, finance],
          )
        )[0]!.id;
      const p1 = await payment(a1, 'cash', 6400, 10_000, admin.id);
      const p2 = await payment(a2, 'card', 10_000, null, admin.id);
      const p3 = await payment(a3, 'cash', 500, 500, null);
      await tx.query(`update pack_billing.payments set status = 'reversed' where id = $1::bigint`, [p3]);
      await tx.query(
        `insert into pack_billing.reversals (tenant_id, tenant_path, payment_id, reason, status, amount_fen, finance_period, decided_at) values ($1, $2::ltree, $3::bigint, '收错户', 'approved', 500, $4, now())`,
        [tenantId, path, p3, finance],
      );
      await tx.query(
        `insert into pack_billing.refunds (tenant_id, tenant_path, account_id, amount_fen, method, reason, status, finance_period, decided_at) values ($1, $2::ltree, $3::bigint, 200, 'cash', '多缴', 'approved', $4, now())`,
        [tenantId, path, a3, finance],
      );
      // A refund still waiting for approval moves no money.
      await tx.query(`insert into pack_billing.refunds (tenant_id, tenant_path, account_id, amount_fen, method, reason, finance_period) values ($1, $2::ltree, $3::bigint, 999, 'cash', '待批', $4)`, [tenantId, path, a3, finance]);
      await tx.query(
        `insert into pack_billing.receipts (tenant_id, tenant_path, series, number, receipt_no, payment_id, account_id, amount_fen, issued_by)
         values ($1, $2::ltree, 'T', 1, 'T00000001', $3::bigint, $4::bigint, 6400, $5), ($1, $2::ltree, 'T', 2, 'T00000002', $6::bigint, $7::bigint, 10000, $5)`,
        [tenantId, path, p1, a1, admin.id, p2, a2],
      );
      await tx.query(`update pack_billing.receipts set status = 'voided', void_reason = '打印错误', voided_at = now() where tenant_id = $1 and receipt_no = 'T00000002'`, [tenantId]);
    });
  }, 600_000);
  afterAll(() => kit?.close());

  it('sums the receivables by period, community, nature and tariff, in fen and in yuan', async () => {
    const rows = await run('billing_receivable_summary');
    expect(tuples(rows, ['period', 'community', 'nature', 'tariff', 'charges', 'amountFen', 'amountYuan', 'paidYuan', 'outstandingYuan', 'outstandingFen', 'volumeM3'])).toEqual([
      ['2026-02', '锦绣花园', '居民', 'residential', '2', '1623', '16.23', '0.00', '16.23', '1623', '3.000'],
      ['2026-02', '阳光小区', '居民', 'residential', '1', '2500', '25.00', '0.00', '25.00', '2500', '5.000'],
      ['2026-01', '阳光小区', '居民', 'residential', '1', '6400', '64.00', '64.00', '0.00', '0', '12.000'],
      ['2026-01', '阳光小区', '非居民', 'commercial', '1', '50000', '500.00', '100.00', '400.00', '40000', '100.000'],
    ]);
    const byPeriod = await run('billing_receivable_by_period');
    expect(tuples(byPeriod, ['period', 'amountYuan', 'outstandingYuan'])).toEqual([
      ['2026-01', '564.00', '400.00'],
      ['2026-02', '41.23', '41.23'],
    ]);
    // The period parameter narrows it.
    expect((await run('billing_receivable_summary', { period: '2026-01' })).map((r) => r.period)).toEqual(['2026-01', '2026-01']);
  });

  it('gives money received by cashier and channel, reversals and refunds taken off', async () => {
    const rows = await run('billing_received_summary');
    expect(tuples(rows, ['cashier', 'channel', 'payments', 'amountYuan', 'amountFen'])).toEqual([
      [admin.displayName, '刷卡', '1', '100.00', '10000'],
      [admin.displayName, '现金', '1', '64.00', '6400'],
      ['系统', '现金', '1', '-2.00', '-200'],
    ]);
    const today = await run('billing_received_today');
    expect(tuples(today, ['amountYuan', 'payments'])).toEqual([['162.00', '3']]);
    const byDay = await run('billing_received_by_day');
    expect(tuples(byDay, ['day', 'amountYuan'])).toEqual([[localDay(0), '162.00']]);
  });

  it('gives the daily cash report of a day: payments, reversals and refunds per cashier and channel', async () => {
    const rows = await run('billing_daily_cash');
    expect(tuples(rows, ['day', 'cashier', 'channel', 'movement', 'entries', 'amountYuan', 'tenderedYuan', 'changeYuan'])).toEqual([
      [localDay(0), admin.displayName, '刷卡', '收费', '1', '100.00', '100.00', '0.00'],
      [localDay(0), admin.displayName, '现金', '收费', '1', '64.00', '100.00', '36.00'],
      [localDay(0), '系统', '现金', '冲正', '1', '-5.00', '0.00', '0.00'],
      [localDay(0), '系统', '现金', '收费', '1', '5.00', '5.00', '0.00'],
      [localDay(0), '系统', '现金', '退费', '1', '-2.00', '0.00', '0.00'],
    ]);
    // Yesterday took nothing.
    expect(await run('billing_daily_cash', { period: { from: localDay(-1), to: localDay(-1) } })).toEqual([]);
  });

  it('sums the arrears past due by community and nature, leaving what is not yet due out', async () => {
    const rows = await run('billing_arrears_summary');
    expect(tuples(rows, ['community', 'nature', 'accounts', 'charges', 'outstandingYuan', 'outstandingFen'])).toEqual([
      ['锦绣花园', '居民', '1', '1', '1.23', '123'],
      ['阳光小区', '居民', '1', '1', '25.00', '2500'],
      ['阳光小区', '非居民', '1', '1', '400.00', '40000'],
    ]);
    expect(tuples(await run('billing_arrears_total'), ['outstandingYuan', 'accounts'])).toEqual([['426.23', '3']]);
    expect(tuples(await run('billing_arrears_summary', { community: '锦绣花园' }), ['community', 'outstandingFen'])).toEqual([['锦绣花园', '123']]);
  });

  it('ages the arrears by days overdue', async () => {
    const rows = await run('billing_arrears_ageing');
    expect(tuples(rows, ['ageFrom', 'ageBucket', 'accounts', 'charges', 'outstandingYuan'])).toEqual([
      ['0', '1–30天', '1', '1', '25.00'],
      ['31', '31–90天', '1', '1', '1.23'],
      ['366', '一年以上', '1', '1', '400.00'],
    ]);
  });

  it('ranks the largest arrears', async () => {
    const rows = await run('billing_arrears_top');
    expect(tuples(rows, ['rank', 'accountNo', 'customerName', 'address', 'nature', 'oldestDue', 'daysOverdue', 'outstandingYuanValue'])).toEqual([
      ['1', 'RPT-002', '李四商行', '阳光小区 临街 2号', '非居民', localDay(-400), '400', '400.00'],
      ['2', 'RPT-001', '张三', '阳光小区 3号楼 1单元 101', '居民', localDay(-10), '10', '25.00'],
      ['3', 'RPT-003', '王五', '锦绣花园 8号楼 2单元 302', '居民', localDay(-45), '45', '1.23'],
    ]);
  });

  it('gives the volume and amount by component and tier', async () => {
    const rows = await run('billing_volume_tiers');
    expect(tuples(rows, ['period', 'component', 'tier', 'volumeM3', 'amountYuan', 'amountFen'])).toEqual([
      ['2026-02', '水费', '1', '8.000', '16.56', '1656'],
      ['2026-02', '水资源税', '1', '8.000', '12.56', '1256'],
      ['2026-02', '污水处理费', '1', '8.000', '10.88', '1088'],
      ['2026-01', '水费', '1', '110.000', '227.70', '22770'],
      ['2026-01', '水费', '2', '2.000', '8.14', '814'],
      ['2026-01', '水资源税', '1', '112.000', '175.84', '17584'],
      ['2026-01', '污水处理费', '1', '112.000', '152.32', '15232'],
    ]);
  });

  it('lists the receipts with their amounts in capitals', async () => {
    const rows = await run('billing_receipts');
    expect(tuples(rows, ['receiptNo', 'status', 'accountNo', 'customerName', 'channel', 'cashier', 'amountYuanValue', 'amountCapital'])).toEqual([
      ['T00000001', '有效', 'RPT-001', '张三', '现金', admin.displayName, '64.00', '陆拾肆元整'],
      ['T00000002', '已作废', 'RPT-002', '李四商行', '刷卡', admin.displayName, '100.00', '壹佰元整'],
    ]);
  });

  it('lays one receipt out line by line', async () => {
    const rows = await run('billing_receipt', { receiptNo: 'T00000001' });
    const [company] = await kit.services('billing').transaction((tx) => tx.query<{ name: string }>(`select name from public.tenants where id = $1`, [kit.tenant.id]));
    expect(tuples(rows, ['line', 'item', 'value'])).toEqual([
      ['1', '收款单位', company!.name],
      ['2', '票据号', 'T00000001'],
      ['3', '开票时间', expect.stringMatching(new RegExp(`^${localDay(0)} \\d{2}:\\d{2}$`))],
      ['4', '户号', 'RPT-001'],
      ['5', '户名', '张三'],
      ['6', '地址', '阳光小区 3号楼 1单元 101'],
      ['7', '收费方式', '现金'],
      ['8', '金额（小写）', '¥64.00'],
      ['9', '金额（大写）', '人民币陆拾肆元整'],
      ['10', '实收', '¥100.00'],
      ['11', '找零', '¥36.00'],
      ['12', '收费员', admin.displayName],
      ['13', '状态', '有效'],
    ]);
    const voided = await run('billing_receipt', { receiptNo: 'T00000002' });
    expect(voided.at(-1)).toMatchObject({ item: '状态', value: '已作废（打印错误）' });
    expect(voided.find((r) => r.item === '找零')).toBeUndefined();
    // The receipt number is required.
    const missing = await kit.request('POST', '/api/reports/run', { body: { template: 'billing_receipt' } });
    expect(missing.status).toBe(400);
  });

  it('prints the receipt as a PDF through the platform’s export', async () => {
    const submitted = await kit.request('POST', '/api/reports/exports?format=pdf', { body: { template: 'billing_receipt', parameters: { receiptNo: 'T00000001' } } });
    expect(submitted.status).toBe(202);
    const job = await kit.until(
      async () => {
        const res = await kit.request('GET', `/api/reports/exports/${submitted.body.id}`);
        if (res.body.status === 'failed') throw new Error(`the export failed: ${JSON.stringify(res.body.error)}`);
        return res.body.status === 'succeeded' ? res.body : undefined;
      },
      { timeoutMs: 60_000, what: 'the receipt PDF' },
    );
    const file = await fetch(`${kit.baseUrl}${job.file.url}`, { headers: { authorization: `Bearer ${kit.tenant.token}` } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('application/pdf');
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const { text } = await extractText(await getDocumentProxy(bytes), { mergePages: true });
    expect(text).toContain('收费票据');
    expect(text).toContain('T00000001');
    expect(text).toContain('人民币陆拾肆元整');
    expect(text).toContain('¥64.00');
  });

  it('exports every template as CSV and XLSX', async () => {
    for (const code of presentation.reports!.map((r) => r.code)) {
      const parameters = code === 'billing_receipt' ? { receiptNo: 'T00000001' } : undefined;
      for (const format of ['csv', 'xlsx'] as const) {
        const res = await fetch(`${kit.baseUrl}/api/reports/export?format=${format}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${kit.tenant.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ template: code, ...(parameters ? { parameters } : {}) }),
        });
        expect(res.status, `${code} as ${format}`).toBe(200);
        const bytes = Buffer.from(await res.arrayBuffer());
        if (format === 'xlsx') expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
        else expect(bytes.length).toBeGreaterThan(0);
      }
    }
  });

  it('writes the capitals in SQL exactly as capitalAmount does', async () => {
    const edge = [0n, 1n, 9n, 10n, 99n, 100n, 101n, 110n, 1000n, 100000n, 1000000n, 1000100n, 100000000n, 10000000000n, 10001000000n, 100000001000000n, 9223372036854775807n, -1n, -123456n];
    const random = fc.sample(fc.bigInt({ min: -(10n ** 18n), max: 9223372036854775807n }), { numRuns: 400, seed: 42 });
    const small = fc.sample(fc.bigInt({ min: 0n, max: 100_000_000n }), { numRuns: 300, seed: 7 });
    const values = [...edge, ...random, ...small];
    const rows = await kit.services('billing').transaction((tx) =>
      tx.query<{ v: string; capital: string }>(`select v::text as v, ${capitalAmountSql('v')} as capital from unnest($1::bigint[]) with ordinality as x(v, i) order by i`, [values.map(String)]),
    );
    expect(rows).toHaveLength(values.length);
    const wrong = rows.filter((r) => r.capital !== capitalAmount(BigInt(r.v)));
    expect(wrong).toEqual([]);
    const [nothing] = await kit.services('billing').transaction((tx) => tx.query<{ capital: string | null }>(`select ${capitalAmountSql('null::bigint')} as capital`));
    expect(nothing!.capital).toBeNull();
  });

  it('shows another tenant none of it, and refuses users without report permissions', async () => {
    const other = await kit.request('POST', '/api/reports/run', { token: kit.otherTenant.token, body: { template: 'billing_arrears_summary', pageSize: 100 } });
    expect(other.status).toBe(200);
    expect(other.body.rows).toEqual([]);
    const otherReceipt = await kit.request('POST', '/api/reports/run', { token: kit.otherTenant.token, body: { template: 'billing_receipt', parameters: { receiptNo: 'T00000001' } } });
    expect(otherReceipt.status).toBe(200);
    expect(otherReceipt.body.rows).toEqual([]);

    const collector = await kit.createUser({ username: 'rpt-collector', roles: ['billing-collector'] });
    const allowed = await kit.request('POST', '/api/reports/run', { token: collector, body: { template: 'billing_arrears_top' } });
    expect(allowed.status).toBe(200);
    expect(allowed.body.rows.map((r: Record<string, unknown>) => r.accountNo)).toEqual(['RPT-002', 'RPT-001', 'RPT-003']);
    const clerk = await kit.createUser({ username: 'rpt-clerk', roles: ['billing-clerk'] });
    expect((await kit.request('POST', '/api/reports/run', { token: clerk, body: { template: 'billing_arrears_top' } })).status).toBe(403);
    expect((await kit.request('POST', '/api/reports/run', { token: null, body: { template: 'billing_arrears_top' } })).status).toBe(401);
  });
});
