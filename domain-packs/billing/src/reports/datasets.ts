/**
 * The billing pack's report datasets and templates: SQL over `pack_billing` joined to accounts and
 * customers, run by the report builder read-only under the tenant's row-level security. Money measures
 * come twice: integer fen (`…Fen`, exact sums of bigint) and yuan (`…Yuan`, `fen / 100.0` — an exact
 * numeric in PostgreSQL — summed as a decimal of scale 2). Volumes are litres, and m³ as `litres / 1000.0`.
 * Days, months and ages are the tenant's local ones (`{{timeZone}}`, and the engine's time grains).
 *
 * The receipt (收费票据) is a template over `billing-receipt-layout`: one receipt as numbered lines (收款单位,
 * 票据号, 户号, 户名, 地址, 金额 in figures and in capitals …), so its PDF export (the platform's
 * `POST /api/reports/exports?format=pdf`) prints it as a two-column slip. The capitals are computed in the
 * SQL (`capitalAmountSql`, the twin of `capitalAmount`).
 */
import { capitalAmountSql } from './capital.js';

const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** Display names of the stored codes, in SQL: reports show what the counter says. */
const natureName = (col: string) =>
  `case ${col} when 'residential' then '居民' when 'non_residential' then '非居民' when 'special' then '特种行业' when 'shared' then '合表' else ${col} end`;
const channelName = (col: string) =>
  `case ${col} when 'cash' then '现金' when 'card' then '刷卡' when 'bank' then '银行代收' when 'wechat' then '微信' when 'alipay' then '支付宝'
    when 'credit_note' then '贷项调账' when 'original' then '原路退回' else ${col} end`;
const chargeKindName = (col: string) => `case ${col} when 'bill' then '水费账单' when 'late_fee' then '违约金' when 'adjustment' then '调增' else ${col} end`;
const address = (a: string) => `concat_ws(' ', nullif(${a}.community, ''), nullif(${a}.building, ''), nullif(${a}.unit, ''), nullif(${a}.room, ''))`;
/** A user's name as reports show it: the display name, else `#id` (a user the caller may not see), else 系统. */
const userName = (id: string, u: string) => `coalesce(${u}.display_name, case when ${id} is null then '系统' else '#' || ${id}::text end)`;
const today = `(now() at time zone {{timeZone}})::date`;

const money = (id: string, column: string, [zh, en]: [string, string]) => [
  { id: `${id}Fen`, label: l(`${zh}（分）`, `${en} (fen)`), aggregate: 'sum', column: `${column}_fen` },
  { id: `${id}Yuan`, label: l(`${zh}（元）`, `${en} (yuan)`), aggregate: 'sum', column: `${column}_yuan` },
];
const moneyColumns = (column: string) => ({ [`${column}_fen`]: { type: 'integer' }, [`${column}_yuan`]: { type: 'decimal', scale: 2 } });

// ——— 应收: charges (bills, late fees, debit adjustments) with what was paid, waived and is outstanding ———

const receivableSql = `select ch.tenant_path, coalesce(b.period, ch.finance_period) as period, ch.finance_period, ${chargeKindName('ch.kind')} as kind,
  a.id as account_id, a.account_no, cu.name as customer_name, a.community, ${natureName('a.nature')} as nature, coalesce(b.tariff_code, a.tariff_code) as tariff_code,
  ch.due_date, ch.created_at,
  ch.amount_fen, ch.amount_fen / 100.0 as amount_yuan,
  ch.paid_fen, ch.paid_fen / 100.0 as paid_yuan,
  ch.waived_fen, ch.waived_fen / 100.0 as waived_yuan,
  ch.amount_fen - ch.paid_fen - ch.waived_fen as outstanding_fen, (ch.amount_fen - ch.paid_fen - ch.waived_fen) / 100.0 as outstanding_yuan,
  case when ch.kind = 'bill' then b.volume_l else 0 end as volume_l, case when ch.kind = 'bill' then b.volume_l else 0 end / 1000.0 as volume_m3
from pack_billing.charges ch
join pack_billing.accounts a on a.id = ch.account_id
join pack_billing.customers cu on cu.id = a.customer_id
left join pack_billing.bills b on b.id = ch.bill_id`;

export const receivableDataset = {
  id: 'billing-receivable',
  label: l('应收', 'Receivables'),
  description: l('每笔应收一行（水费账单、违约金、调增）：金额、已收、减免、未收，分与元', 'One row per charge (bill, late fee, debit adjustment): amount, paid, waived, outstanding, in fen and yuan'),
  source: { kind: 'postgres-sql', sql: receivableSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    period: { type: 'string' },
    finance_period: { type: 'string' },
    kind: { type: 'string' },
    account_id: { type: 'integer' },
    account_no: { type: 'string' },
    customer_name: { type: 'string' },
    community: { type: 'string' },
    nature: { type: 'string' },
    tariff_code: { type: 'string' },
    due_date: { type: 'date' },
    created_at: { type: 'timestamp' },
    ...moneyColumns('amount'),
    ...moneyColumns('paid'),
    ...moneyColumns('waived'),
    ...moneyColumns('outstanding'),
    volume_l: { type: 'integer' },
    volume_m3: { type: 'decimal', scale: 3 },
  },
  dimensions: [
    { id: 'period', label: l('账期', 'Billing period'), column: 'period' },
    { id: 'financePeriod', label: l('会计期', 'Finance period'), column: 'finance_period' },
    { id: 'kind', label: l('应收类型', 'Charge kind'), column: 'kind' },
    { id: 'community', label: l('小区', 'Community'), column: 'community' },
    { id: 'nature', label: l('用水性质', 'Nature'), column: 'nature' },
    { id: 'tariff', label: l('水价', 'Tariff'), column: 'tariff_code' },
    { id: 'accountNo', label: l('户号', 'Account no.'), column: 'account_no' },
    { id: 'dueMonth', label: l('到期月份', 'Due month'), column: 'due_date', grain: 'month' },
  ],
  measures: [
    { id: 'charges', label: l('笔数', 'Charges'), aggregate: 'count' },
    { id: 'accounts', label: l('户数', 'Accounts'), aggregate: 'countDistinct', column: 'account_id' },
    ...money('amount', 'amount', ['应收金额', 'Amount']),
    ...money('paid', 'paid', ['已收', 'Paid']),
    ...money('waived', 'waived', ['减免', 'Waived']),
    ...money('outstanding', 'outstanding', ['未收', 'Outstanding']),
    { id: 'volumeM3', label: l('计费水量（m³）', 'Billed volume (m³)'), aggregate: 'sum', column: 'volume_m3' },
  ],
  parameters: [{ id: 'period', label: l('账期', 'Billing period'), type: 'text', binds: { column: 'period', op: 'eq' } }],
};

// ——— 实收: payments, less reversals and refunds (negative), where and when the money moved ———

const receivedSql = `select p.tenant_path, '收费' as movement, p.paid_at as at, p.finance_period, ${channelName('p.channel')} as channel, p.cashier_id,
  ${userName('p.cashier_id', 'u')} as cashier, a.account_no, a.community, ${natureName('a.nature')} as nature,
  case p.status when 'reversed' then '已冲正' else '有效' end as status, 1 as payments,
  p.amount_fen, p.amount_fen / 100.0 as amount_yuan,
  coalesce(p.tendered_fen, p.amount_fen) as tendered_fen, coalesce(p.tendered_fen, p.amount_fen) / 100.0 as tendered_yuan,
  coalesce(p.change_fen, 0) as change_fen, coalesce(p.change_fen, 0) / 100.0 as change_yuan
from pack_billing.payments p
join pack_billing.accounts a on a.id = p.account_id
left join public.users u on u.id = p.cashier_id
union all
select r.tenant_path, '冲正', coalesce(r.decided_at, r.created_at), coalesce(r.finance_period, p.finance_period), ${channelName('p.channel')}, r.requested_by,
  ${userName('r.requested_by', 'u')}, a.account_no, a.community, ${natureName('a.nature')}, '有效', 0,
  -r.amount_fen, -r.amount_fen / 100.0, 0, 0.0, 0, 0.0
from pack_billing.reversals r
join pack_billing.payments p on p.id = r.payment_id
join pack_billing.accounts a on a.id = p.account_id
left join public.users u on u.id = r.requested_by
where r.status = 'approved'
union all
select f.tenant_path, '退费', coalesce(f.decided_at, f.created_at), f.finance_period, ${channelName('f.method')}, f.requested_by,
  ${userName('f.requested_by', 'u')}, a.account_no, a.community, ${natureName('a.nature')}, '有效', 0,
  -f.amount_fen, -f.amount_fen / 100.0, 0, 0.0, 0, 0.0
from pack_billing.refunds f
join pack_billing.accounts a on a.id = f.account_id
left join public.users u on u.id = f.requested_by
where f.status = 'approved'`;

export const receivedDataset = {
  id: 'billing-received',
  label: l('实收', 'Money received'),
  description: l('收费（正）与已批准的冲正、退费（负）：日期、会计期、渠道、收费员', 'Payments (positive) and approved reversals and refunds (negative): day, finance period, channel, cashier'),
  source: { kind: 'postgres-sql', sql: receivedSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    movement: { type: 'string' },
    at: { type: 'timestamp' },
    finance_period: { type: 'string' },
    channel: { type: 'string' },
    cashier_id: { type: 'integer' },
    cashier: { type: 'string' },
    account_no: { type: 'string' },
    community: { type: 'string' },
    nature: { type: 'string' },
    status: { type: 'string' },
    payments: { type: 'integer' },
    ...moneyColumns('amount'),
    ...moneyColumns('tendered'),
    ...moneyColumns('change'),
  },
  dimensions: [
    { id: 'day', label: l('日期', 'Day'), column: 'at', grain: 'day' },
    { id: 'month', label: l('月份', 'Month'), column: 'at', grain: 'month' },
    { id: 'financePeriod', label: l('会计期', 'Finance period'), column: 'finance_period' },
    { id: 'movement', label: l('类型', 'Movement'), column: 'movement' },
    { id: 'channel', label: l('渠道', 'Channel'), column: 'channel' },
    { id: 'cashier', label: l('收费员', 'Cashier'), column: 'cashier' },
    { id: 'community', label: l('小区', 'Community'), column: 'community' },
    { id: 'nature', label: l('用水性质', 'Nature'), column: 'nature' },
    { id: 'status', label: l('状态', 'Status'), column: 'status' },
  ],
  measures: [
    { id: 'payments', label: l('收费笔数', 'Payments'), aggregate: 'sum', column: 'payments' },
    { id: 'entries', label: l('笔数（含冲正、退费）', 'Entries (with reversals, refunds)'), aggregate: 'count' },
    ...money('amount', 'amount', ['实收净额', 'Net received']),
    ...money('tendered', 'tendered', ['收取现金', 'Tendered']),
    ...money('change', 'change', ['找零', 'Change']),
  ],
  parameters: [{ id: 'period', label: l('日期范围', 'Days'), type: 'dateRange', binds: { column: 'at' } }],
};

// ——— 欠费: charges past due, not paid or waived, with their age in days ———

const ageDays = `(${today} - ch.due_date)`;
const arrearsSql = `select ch.tenant_path, a.id as account_id, a.account_no, cu.name as customer_name, a.community, ${address('a')} as address,
  ${natureName('a.nature')} as nature, ${chargeKindName('ch.kind')} as kind, ch.due_date, ${ageDays} as days_overdue,
  case when ${ageDays} <= 30 then 0 when ${ageDays} <= 90 then 31 when ${ageDays} <= 180 then 91 when ${ageDays} <= 365 then 181 else 366 end as age_from,
  case when ${ageDays} <= 30 then '1–30天' when ${ageDays} <= 90 then '31–90天' when ${ageDays} <= 180 then '91–180天' when ${ageDays} <= 365 then '181–365天' else '一年以上' end as age_bucket,
  ch.amount_fen - ch.paid_fen - ch.waived_fen as outstanding_fen, (ch.amount_fen - ch.paid_fen - ch.waived_fen) / 100.0 as outstanding_yuan
from pack_billing.charges ch
join pack_billing.accounts a on a.id = ch.account_id
join pack_billing.customers cu on cu.id = a.customer_id
where ch.paid_fen + ch.waived_fen < ch.amount_fen and ch.due_date < ${today}`;

export const arrearsDataset = {
  id: 'billing-arrears',
  label: l('欠费', 'Arrears'),
  description: l('逾期未缴的应收（截至今天，租户时区）：小区、用水性质、账龄', 'Charges past due and unpaid (as of today in the tenant’s zone): community, nature, age'),
  source: { kind: 'postgres-sql', sql: arrearsSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    account_id: { type: 'integer' },
    account_no: { type: 'string' },
    customer_name: { type: 'string' },
    community: { type: 'string' },
    address: { type: 'string' },
    nature: { type: 'string' },
    kind: { type: 'string' },
    due_date: { type: 'date' },
    days_overdue: { type: 'integer' },
    age_from: { type: 'integer' },
    age_bucket: { type: 'string' },
    ...moneyColumns('outstanding'),
  },
  dimensions: [
    { id: 'community', label: l('小区', 'Community'), column: 'community' },
    { id: 'nature', label: l('用水性质', 'Nature'), column: 'nature' },
    { id: 'kind', label: l('欠费类型', 'Kind'), column: 'kind' },
    { id: 'ageFrom', label: l('账龄起（天）', 'Age from (days)'), column: 'age_from' },
    { id: 'ageBucket', label: l('账龄', 'Age'), column: 'age_bucket' },
    { id: 'accountNo', label: l('户号', 'Account no.'), column: 'account_no' },
    { id: 'customerName', label: l('户名', 'Customer'), column: 'customer_name' },
    { id: 'dueMonth', label: l('到期月份', 'Due month'), column: 'due_date', grain: 'month' },
  ],
  measures: [
    { id: 'accounts', label: l('欠费户数', 'Accounts'), aggregate: 'countDistinct', column: 'account_id' },
    { id: 'charges', label: l('欠费笔数', 'Charges'), aggregate: 'count' },
    ...money('outstanding', 'outstanding', ['欠费金额', 'Arrears']),
    { id: 'maxDays', label: l('最长逾期（天）', 'Longest overdue (days)'), aggregate: 'max', column: 'days_overdue' },
  ],
  parameters: [{ id: 'community', label: l('小区', 'Community'), type: 'text', binds: { column: 'community', op: 'eq' } }],
};

/** Accounts in arrears, one row each, ranked by what they owe (1 = the largest). */
const arrearsAccountsSql = `select o.tenant_path, dense_rank() over (order by o.outstanding_fen desc, o.account_id)::int as rank, o.account_id, a.account_no, cu.name as customer_name, cu.phone,
  a.community, ${address('a')} as address, ${natureName('a.nature')} as nature, o.oldest_due, (${today} - o.oldest_due) as days_overdue, o.charges,
  o.outstanding_fen, o.outstanding_fen / 100.0 as outstanding_yuan
from (select ch.tenant_path, ch.account_id, min(ch.due_date) as oldest_due, count(*)::int as charges, sum(ch.amount_fen - ch.paid_fen - ch.waived_fen) as outstanding_fen
        from pack_billing.charges ch
       where ch.paid_fen + ch.waived_fen < ch.amount_fen and ch.due_date < ${today}
       group by ch.tenant_path, ch.account_id) o
join pack_billing.accounts a on a.id = o.account_id
join pack_billing.customers cu on cu.id = a.customer_id`;

export const arrearsAccountsDataset = {
  id: 'billing-arrears-accounts',
  label: l('欠费户', 'Accounts in arrears'),
  description: l('每个欠费账户一行，按欠费金额排名（1 为最大）', 'One row per account in arrears, ranked by its arrears (1 = the largest)'),
  source: { kind: 'postgres-sql', sql: arrearsAccountsSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    rank: { type: 'integer' },
    account_id: { type: 'integer' },
    account_no: { type: 'string' },
    customer_name: { type: 'string' },
    phone: { type: 'string' },
    community: { type: 'string' },
    address: { type: 'string' },
    nature: { type: 'string' },
    oldest_due: { type: 'date' },
    days_overdue: { type: 'integer' },
    charges: { type: 'integer' },
    ...moneyColumns('outstanding'),
  },
  dimensions: [
    { id: 'rank', label: l('排名', 'Rank'), column: 'rank' },
    { id: 'accountNo', label: l('户号', 'Account no.'), column: 'account_no' },
    { id: 'customerName', label: l('户名', 'Customer'), column: 'customer_name' },
    { id: 'phone', label: l('电话', 'Phone'), column: 'phone' },
    { id: 'community', label: l('小区', 'Community'), column: 'community' },
    { id: 'address', label: l('地址', 'Address'), column: 'address' },
    { id: 'nature', label: l('用水性质', 'Nature'), column: 'nature' },
    { id: 'oldestDue', label: l('最早到期', 'Oldest due'), column: 'oldest_due' },
    { id: 'daysOverdue', label: l('逾期天数', 'Days overdue'), column: 'days_overdue' },
    { id: 'chargesOpen', label: l('欠费笔数', 'Charges'), column: 'charges' },
    { id: 'outstandingYuanValue', label: l('欠费金额（元）', 'Arrears (yuan)'), column: 'outstanding_yuan' },
    { id: 'outstandingFenValue', label: l('欠费金额（分）', 'Arrears (fen)'), column: 'outstanding_fen' },
  ],
  measures: [
    { id: 'accounts', label: l('户数', 'Accounts'), aggregate: 'count' },
    ...money('outstanding', 'outstanding', ['欠费金额', 'Arrears']),
  ],
};

// ——— 分阶梯水量: bill lines by tier and component ———

const tiersSql = `select bl.tenant_path, b.period, bl.tier, '第' || bl.tier::text || '阶梯' as tier_name, bl.component, bl.component_name, bl.tariff_version,
  b.tariff_code, a.community, ${natureName('a.nature')} as nature,
  bl.volume_l, bl.volume_l / 1000.0 as volume_m3, bl.charged_l, bl.charged_l / 1000.0 as charged_m3,
  bl.amount_fen, bl.amount_fen / 100.0 as amount_yuan
from pack_billing.bill_lines bl
join pack_billing.bills b on b.id = bl.bill_id
join pack_billing.accounts a on a.id = b.account_id`;

export const tiersDataset = {
  id: 'billing-volume-tiers',
  label: l('分阶梯水量', 'Volume by tier'),
  description: l('账单明细：每个收费项目、阶梯与水价版本一行（同一水量按各项目各计一次，按项目分组）', 'Bill lines: one per component, tier and tariff version (a volume appears once per component: group by component)'),
  source: { kind: 'postgres-sql', sql: tiersSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    period: { type: 'string' },
    tier: { type: 'integer' },
    tier_name: { type: 'string' },
    component: { type: 'string' },
    component_name: { type: 'string' },
    tariff_version: { type: 'integer' },
    tariff_code: { type: 'string' },
    community: { type: 'string' },
    nature: { type: 'string' },
    volume_l: { type: 'integer' },
    volume_m3: { type: 'decimal', scale: 3 },
    charged_l: { type: 'integer' },
    charged_m3: { type: 'decimal', scale: 3 },
    ...moneyColumns('amount'),
  },
  dimensions: [
    { id: 'period', label: l('账期', 'Billing period'), column: 'period' },
    { id: 'tier', label: l('阶梯', 'Tier'), column: 'tier' },
    { id: 'tierName', label: l('阶梯名称', 'Tier name'), column: 'tier_name' },
    { id: 'component', label: l('收费项目', 'Component'), column: 'component_name' },
    { id: 'componentCode', label: l('项目编码', 'Component code'), column: 'component' },
    { id: 'tariff', label: l('水价', 'Tariff'), column: 'tariff_code' },
    { id: 'tariffVersion', label: l('水价版本', 'Tariff version'), column: 'tariff_version' },
    { id: 'community', label: l('小区', 'Community'), column: 'community' },
    { id: 'nature', label: l('用水性质', 'Nature'), column: 'nature' },
  ],
  measures: [
    { id: 'lines', label: l('明细数', 'Lines'), aggregate: 'count' },
    { id: 'volumeL', label: l('水量（升）', 'Volume (L)'), aggregate: 'sum', column: 'volume_l' },
    { id: 'volumeM3', label: l('水量（m³）', 'Volume (m³)'), aggregate: 'sum', column: 'volume_m3' },
    { id: 'chargedM3', label: l('计费水量（m³）', 'Charged volume (m³)'), aggregate: 'sum', column: 'charged_m3' },
    ...money('amount', 'amount', ['金额', 'Amount']),
  ],
};

// ——— 票据: receipts, and one receipt as printed ———

const receiptsFrom = `from pack_billing.receipts r
join pack_billing.accounts a on a.id = r.account_id
join pack_billing.customers cu on cu.id = a.customer_id
left join pack_billing.payments p on p.id = r.payment_id
left join public.users u on u.id = r.issued_by
left join public.tenants t on t.id = r.tenant_id`;

const receiptsSql = `select r.tenant_path, t.name as company, r.series, r.receipt_no, r.issued_at, case r.status when 'voided' then '已作废' else '有效' end as status,
  r.void_reason, a.account_no, cu.name as customer_name, ${address('a')} as address, ${channelName('p.channel')} as channel,
  ${userName('r.issued_by', 'u')} as cashier,
  r.amount_fen, r.amount_fen / 100.0 as amount_yuan, ${capitalAmountSql('r.amount_fen')} as amount_capital
${receiptsFrom}`;

export const receiptsDataset = {
  id: 'billing-receipts',
  label: l('票据', 'Receipts'),
  description: l('每张票据一行：票号、户号、户名、地址、金额（小写与大写）、状态', 'One row per receipt: number, account, customer, address, amount in figures and capitals, status'),
  source: { kind: 'postgres-sql', sql: receiptsSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    company: { type: 'string' },
    series: { type: 'string' },
    receipt_no: { type: 'string' },
    issued_at: { type: 'timestamp' },
    status: { type: 'string' },
    void_reason: { type: 'string' },
    account_no: { type: 'string' },
    customer_name: { type: 'string' },
    address: { type: 'string' },
    channel: { type: 'string' },
    cashier: { type: 'string' },
    ...moneyColumns('amount'),
    amount_capital: { type: 'string' },
  },
  dimensions: [
    { id: 'receiptNo', label: l('票据号', 'Receipt no.'), column: 'receipt_no' },
    { id: 'issuedAt', label: l('开票日期', 'Issued'), column: 'issued_at', grain: 'day' },
    { id: 'series', label: l('号段', 'Series'), column: 'series' },
    { id: 'status', label: l('状态', 'Status'), column: 'status' },
    { id: 'accountNo', label: l('户号', 'Account no.'), column: 'account_no' },
    { id: 'customerName', label: l('户名', 'Customer'), column: 'customer_name' },
    { id: 'address', label: l('地址', 'Address'), column: 'address' },
    { id: 'channel', label: l('收费方式', 'Channel'), column: 'channel' },
    { id: 'cashier', label: l('收费员', 'Cashier'), column: 'cashier' },
    { id: 'amountYuanValue', label: l('金额（元）', 'Amount (yuan)'), column: 'amount_yuan' },
    { id: 'amountCapital', label: l('金额大写', 'Amount in capitals'), column: 'amount_capital' },
    { id: 'company', label: l('收款单位', 'Payee'), column: 'company' },
  ],
  measures: [{ id: 'receipts', label: l('张数', 'Receipts'), aggregate: 'count' }, ...money('amount', 'amount', ['金额', 'Amount'])],
  parameters: [
    { id: 'issued', label: l('开票日期', 'Issued'), type: 'dateRange', binds: { column: 'issued_at' } },
    { id: 'receiptNo', label: l('票据号', 'Receipt no.'), type: 'text', binds: { column: 'receipt_no', op: 'eq' } },
  ],
};

const receiptLayoutSql = `select r.tenant_path, r.receipt_no, x.line, x.item, x.value
${receiptsFrom}
cross join lateral (values
  (1, '收款单位', t.name),
  (2, '票据号', r.receipt_no),
  (3, '开票时间', to_char(r.issued_at at time zone {{timeZone}}, 'YYYY-MM-DD HH24:MI')),
  (4, '户号', a.account_no),
  (5, '户名', cu.name),
  (6, '地址', ${address('a')}),
  (7, '收费方式', ${channelName('p.channel')}),
  (8, '金额（小写）', '¥' || to_char(r.amount_fen / 100.0, 'FM999,999,999,999,999,990.00')),
  (9, '金额（大写）', '人民币' || ${capitalAmountSql('r.amount_fen')}),
  (10, '实收', case when p.tendered_fen is not null then '¥' || to_char(p.tendered_fen / 100.0, 'FM999,999,999,999,999,990.00') end),
  (11, '找零', case when p.change_fen is not null then '¥' || to_char(p.change_fen / 100.0, 'FM999,999,999,999,999,990.00') end),
  (12, '收费员', ${userName('r.issued_by', 'u')}),
  (13, '状态', case r.status when 'voided' then '已作废（' || coalesce(r.void_reason, '') || '）' else '有效' end)
) as x(line, item, value)
where x.value is not null`;

export const receiptLayoutDataset = {
  id: 'billing-receipt-layout',
  label: l('收费票据（版式）', 'Receipt (layout)'),
  description: l('一张票据按行排版：收款单位、票据号、户号、户名、地址、金额小写与大写……', 'One receipt as lines: payee, receipt no., account, customer, address, amount in figures and capitals …'),
  source: { kind: 'postgres-sql', sql: receiptLayoutSql },
  columns: {
    tenant_path: { type: 'tenantPath' },
    receipt_no: { type: 'string' },
    line: { type: 'integer' },
    item: { type: 'string' },
    value: { type: 'string' },
  },
  dimensions: [
    { id: 'line', label: l('序', 'No.'), column: 'line' },
    { id: 'item', label: l('项目', 'Item'), column: 'item' },
    { id: 'value', label: l('内容', 'Value'), column: 'value' },
  ],
  measures: [{ id: 'lines', label: l('行数', 'Lines'), aggregate: 'count' }],
  parameters: [{ id: 'receiptNo', label: l('票据号', 'Receipt no.'), type: 'text', required: true, binds: { column: 'receipt_no', op: 'eq' } }],
};

export const datasets = [receivableDataset, receivedDataset, arrearsDataset, arrearsAccountsDataset, tiersDataset, receiptsDataset, receiptLayoutDataset].map((definition) => ({
  definition: definition as unknown as Record<string, unknown>,
}));

const template = (dataset: string, [zh, en]: [string, string], query: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  description: `${zh} / ${en}`,
  dataset: { code: dataset },
  query,
  ...more,
});

/** The reports the pack ships: templates the tenant may edit (an upgrade keeps its edits). All export as xlsx, csv and pdf. */
export const reports = [
  {
    code: 'billing_receivable_summary',
    name: '应收汇总',
    template: template('billing-receivable', ['应收汇总（按账期、小区、用水性质、水价）', 'Receivables by period, community, nature and tariff'], {
      dimensions: ['period', 'community', 'nature', 'tariff'],
      measures: ['charges', 'amountYuan', 'paidYuan', 'waivedYuan', 'outstandingYuan', 'amountFen', 'outstandingFen', 'volumeM3'],
      sort: [{ field: 'period', direction: 'desc' }],
    }),
  },
  {
    code: 'billing_receivable_by_period',
    name: '各期应收',
    template: template('billing-receivable', ['各期应收与未收', 'Billed and outstanding by period'], {
      dimensions: ['period'],
      measures: ['amountYuan', 'outstandingYuan'],
      sort: [{ field: 'period', direction: 'asc' }],
    }),
  },
  {
    code: 'billing_received_summary',
    name: '实收汇总',
    template: template('billing-received', ['实收汇总（按收费员、渠道，本月）', 'Money received by cashier and channel (this month)'], {
      dimensions: ['cashier', 'channel'],
      measures: ['payments', 'amountYuan', 'amountFen'],
      parameters: { period: 'thisMonth' },
    }),
  },
  {
    code: 'billing_received_by_day',
    name: '每日实收',
    template: template('billing-received', ['每日实收（最近 30 天）', 'Money received per day (last 30 days)'], {
      dimensions: ['day'],
      measures: ['amountYuan'],
      parameters: { period: 'last30Days' },
    }),
  },
  {
    code: 'billing_received_today',
    name: '今日实收',
    template: template('billing-received', ['今日实收', 'Received today'], { dimensions: [], measures: ['amountYuan', 'payments'], parameters: { period: 'today' } }),
  },
  {
    code: 'billing_daily_cash',
    name: '日收费报表',
    template: template('billing-received', ['日收费报表（按收费员、渠道、类型；默认今天）', 'Daily cash report by cashier, channel and movement (today unless told)'], {
      dimensions: ['day', 'cashier', 'channel', 'movement'],
      measures: ['entries', 'amountYuan', 'tenderedYuan', 'changeYuan', 'amountFen'],
      parameters: { period: 'today' },
    }),
  },
  {
    code: 'billing_arrears_summary',
    name: '欠费汇总',
    template: template('billing-arrears', ['欠费汇总（按小区、用水性质）', 'Arrears by community and nature'], {
      dimensions: ['community', 'nature'],
      measures: ['accounts', 'charges', 'outstandingYuan', 'outstandingFen'],
    }),
  },
  {
    code: 'billing_arrears_total',
    name: '欠费总额',
    template: template('billing-arrears', ['欠费总额', 'Total arrears'], { dimensions: [], measures: ['outstandingYuan', 'accounts'] }),
  },
  {
    code: 'billing_arrears_ageing',
    name: '欠费账龄',
    template: template('billing-arrears', ['欠费账龄（按逾期天数分段）', 'Arrears by days overdue'], {
      dimensions: ['ageFrom', 'ageBucket'],
      measures: ['accounts', 'charges', 'outstandingYuan', 'outstandingFen'],
      sort: [{ field: 'ageFrom', direction: 'asc' }],
    }),
  },
  {
    code: 'billing_arrears_top',
    name: '欠费大户',
    template: template('billing-arrears-accounts', ['欠费大户（前 50 户）', 'Largest arrears (top 50 accounts)'], {
      kind: 'detail',
      dimensions: ['rank', 'accountNo', 'customerName', 'phone', 'address', 'nature', 'oldestDue', 'daysOverdue', 'outstandingYuanValue'],
      filters: [{ field: 'rank', op: 'lte', value: 50 }],
      sort: [{ field: 'rank', direction: 'asc' }],
    }),
  },
  {
    code: 'billing_volume_tiers',
    name: '分阶梯水量',
    template: template('billing-volume-tiers', ['分阶梯水量与金额（按账期、收费项目、阶梯）', 'Volume and amount by period, component and tier'], {
      dimensions: ['period', 'component', 'tier'],
      measures: ['volumeM3', 'chargedM3', 'amountYuan', 'amountFen'],
      sort: [{ field: 'period', direction: 'desc' }],
    }),
  },
  {
    code: 'billing_receipts',
    name: '票据清单',
    template: template('billing-receipts', ['票据清单（本月）', 'Receipts issued (this month)'], {
      kind: 'detail',
      dimensions: ['receiptNo', 'issuedAt', 'status', 'accountNo', 'customerName', 'channel', 'cashier', 'amountYuanValue', 'amountCapital'],
      parameters: { issued: 'thisMonth' },
    }),
  },
  {
    code: 'billing_receipt',
    name: '收费票据',
    template: template(
      'billing-receipt-layout',
      ['收费票据（一张票据的版式；按票据号打印 PDF）', 'Receipt (one receipt’s layout; print it as PDF by its number)'],
      { kind: 'detail', dimensions: ['line', 'item', 'value'] },
      { table: { pageSize: 50 } },
    ),
  },
];
