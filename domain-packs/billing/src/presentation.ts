/**
 * Pages, menu, report datasets and templates, and default roles of the billing pack. The pages are made of
 * the platform's blocks only: `ext-form` and `ext-table` over the pack's routes (`/api/ext/billing/…`;
 * money typed in yuan and sent as exact fen, a search of accounts that fills the amount due, a CSV read in
 * the browser), report tables, KPI cards and charts over the templates of `reports/datasets.ts`.
 *
 * Role codes become `billing-<code>` in the tenant: `billing-approver` is the candidate group of every
 * approval task of the pack's processes (account requests, adjustments, reversals and refunds, waivers and
 * valve closing).
 */
import type { PackManifestInput } from '@shuiyun/sdk';
import { datasets, reports } from './reports/datasets.js';
import { PERMISSIONS as P } from './shared.js';

const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });
/** An HTML attribute value in single quotes: `'` and `&` escaped (a label may contain them). */
const attribute = (text: string) => text.replace(/&/g, '&amp;').replace(/'/g, '&#39;');
const block = (type: string, config: Record<string, unknown>) => `<div data-sy-block="${type}" data-sy-config='${attribute(JSON.stringify(config))}'></div>`;
const page = (code: string, route: string, title: [string, string], kind: 'page' | 'dashboard', html: string[], css = '') => ({
  code,
  name: title[0],
  page: { kind, route, title: l(...title), menu: { show: false, order: 0 }, html: html.join('\n'), css },
});
/** Blocks side by side on a wide screen, one under the other on a narrow one (see `COLUMNS_CSS`). */
const columns = (...cells: string[][]) => `<div class="billing-columns">${cells.map((c) => `<div class="billing-column">${c.join('\n')}</div>`).join('')}</div>`;
const COLUMNS_CSS = `.billing-columns { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.billing-column { flex: 1 1 480px; min-width: 0; }
.billing-column > * + * { margin-top: 16px; }`;

const EXT = '/api/ext/billing';

// ——— the words tables and forms share ———

const ACCOUNT_STATUS = { pending: '待开户', active: '正常', closed: '已销户' };
const NATURES = [
  { value: 'residential', label: l('居民', 'Residential') },
  { value: 'non_residential', label: l('非居民', 'Non-residential') },
  { value: 'special', label: l('特种行业', 'Special industry') },
  { value: 'shared', label: l('合表', 'Shared meter') },
];
const NATURE_LABELS = { residential: '居民', non_residential: '非居民', special: '特种行业', shared: '合表' };
const CHANNEL_LABELS = { cash: '现金', card: '刷卡', bank: '银行代收', wechat: '微信', alipay: '支付宝', credit_note: '贷项调账' };
const REQUEST_KINDS = { open: '开户', transfer: '过户', close: '销户', meter_change: '换表' };
const REQUEST_STATUS = { pending: '待审批', approved: '已批准', rejected: '已驳回', done: '已办结' };
const PAYMENT_STATUS = { booked: '已入账', reversed: '已冲正' };
const BILL_STATUS = { paid: '已缴清', partial: '部分缴费', unpaid: '未缴' };
const RUN_STATUS = { pending: '排队中', running: '计费中', done: '已完成', failed: '失败' };
const VALVE_STATUS = {
  opened: '已立案',
  notified: '已通知',
  awaiting_approval: '待审批',
  rejected: '已驳回',
  closing: '关阀中',
  closed: '已关阀',
  reopening: '开阀中',
  reopened: '已开阀',
  cancelled: '已撤销',
  failed: '失败',
};
const RECEIPT_STATUS = { issued: '有效', voided: '已作废' };

/** The counter's and the 360° view's search of accounts: number, name, phone or address words. */
const accountLookup = {
  kind: 'lookup',
  path: `${EXT}/accounts`,
  param: 'q',
  valueKey: 'id',
  labelKeys: ['accountNo', 'customer.name', 'customer.phone', 'address'],
  detailPath: `${EXT}/accounts/:id/balance`,
  show: [
    { key: 'status', title: '状态', format: 'status', labels: ACCOUNT_STATUS },
    { key: 'outstandingFen', title: '欠费', format: 'fen' },
    { key: 'creditFen', title: '预存', format: 'fen' },
  ],
};

const accountColumns = [
  { key: 'accountNo', title: '户号' },
  { key: 'customer.name', title: '户名' },
  { key: 'customer.phone', title: '电话' },
  { key: 'address.community', title: '小区' },
  { key: 'address.building', title: '楼栋' },
  { key: 'address.unit', title: '单元' },
  { key: 'address.room', title: '房号' },
  { key: 'nature', title: '用水性质', format: 'status', labels: NATURE_LABELS },
  { key: 'tariffCode', title: '水价' },
  { key: 'status', title: '状态', format: 'status', labels: ACCOUNT_STATUS },
];

const billColumns = [
  { key: 'accountNo', title: '户号' },
  { key: 'period', title: '账期' },
  { key: 'volumeL', title: '水量', format: 'litres' },
  { key: 'amountFen', title: '金额', format: 'fen' },
  { key: 'paidFen', title: '已缴', format: 'fen' },
  { key: 'outstandingFen', title: '未缴', format: 'fen' },
  { key: 'status', title: '状态', format: 'status', labels: BILL_STATUS },
  { key: 'overdue', title: '逾期' },
  { key: 'dueDate', title: '到期日', format: 'date' },
];

const paymentColumns = [
  { key: 'id', title: '收费号' },
  { key: 'accountId', title: '账户' },
  { key: 'paidAt', title: '收费时间', format: 'datetime' },
  { key: 'channel', title: '方式', format: 'status', labels: CHANNEL_LABELS },
  { key: 'amountFen', title: '金额', format: 'fen' },
  { key: 'tenderedFen', title: '实收', format: 'fen' },
  { key: 'changeFen', title: '找零', format: 'fen' },
  { key: 'status', title: '状态', format: 'status', labels: PAYMENT_STATUS },
];

const requestColumns = [
  { key: 'id', title: '业务号' },
  { key: 'kind', title: '业务', format: 'status', labels: REQUEST_KINDS },
  { key: 'accountNo', title: '户号' },
  { key: 'status', title: '状态', format: 'status', labels: REQUEST_STATUS },
  { key: 'decisionNote', title: '审批意见' },
  { key: 'createdAt', title: '受理时间', format: 'datetime' },
];

const receiptColumns = [
  { key: 'receiptNo', title: '票据号' },
  { key: 'accountNo', title: '户号' },
  { key: 'customerName', title: '户名' },
  { key: 'channel', title: '方式', format: 'status', labels: CHANNEL_LABELS },
  { key: 'amountFen', title: '金额', format: 'fen' },
  { key: 'status', title: '状态', format: 'status', labels: RECEIPT_STATUS },
  { key: 'issuedAt', title: '开票时间', format: 'datetime' },
  { key: 'voidReason', title: '作废原因' },
];

const valveColumns = [
  { key: 'id', title: '案件号' },
  { key: 'accountNo', title: '户号' },
  { key: 'customerName', title: '户名' },
  { key: 'status', title: '状态', format: 'status', labels: VALVE_STATUS },
  { key: 'arrearsFen', title: '欠费', format: 'fen' },
  { key: 'graceUntil', title: '宽限至', format: 'datetime' },
  { key: 'openedAt', title: '立案时间', format: 'datetime' },
  { key: 'failure', title: '失败原因' },
];

const pages: NonNullable<PackManifestInput['pages']> = [
  // 柜台收费: focus in the search → click the account (the amount due is filled in) → type the cash → 收费.
  page(
    'billing_counter',
    'billing-counter',
    ['柜台收费', 'Counter'],
    'page',
    [
      columns(
        [
          block('ext-form', {
            title: '柜台收费',
            path: `${EXT}/payments`,
            submitLabel: '收费',
            successMessage: '收费成功',
            refreshes: [`${EXT}/receipts`],
            fields: [
              { key: 'accountId', label: '用户（户号、姓名、电话或地址）', required: true, autofocus: true, ...accountLookup, prefill: { amountFen: 'dueFen' } },
              { key: 'amountFen', label: '收费金额', kind: 'money', required: true },
              { key: 'tenderedFen', label: '实收现金', kind: 'money' },
              {
                key: 'channel',
                label: '收费方式',
                kind: 'select',
                required: true,
                default: 'cash',
                options: [
                  { value: 'cash', label: l('现金', 'Cash') },
                  { value: 'card', label: l('刷卡', 'Card') },
                ],
              },
              { key: 'requestKey', kind: 'requestKey' },
            ],
            result: [
              { key: 'receiptNo', title: '票据号' },
              { key: 'payment.amountFen', title: '收费金额', format: 'fen' },
              { key: 'changeFen', title: '找零', format: 'fen' },
              { key: 'balance.outstandingFen', title: '尚欠', format: 'fen' },
              { key: 'balance.creditFen', title: '预存余额', format: 'fen' },
            ],
          }),
        ],
        [
          block('ext-table', {
            title: '今日收费',
            path: `${EXT}/payments`,
            pageSize: 10,
            filters: [{ key: 'day', label: '日期', kind: 'date', default: 'today', required: true }],
            columns: paymentColumns.filter((c) => c.key !== 'accountId'),
          }),
          block('ext-table', {
            title: '今日票据',
            path: `${EXT}/receipts`,
            pageSize: 10,
            filters: [
              { key: 'from', label: '开票日期起', kind: 'date', default: 'today' },
              { key: 'to', label: '开票日期止', kind: 'date', default: 'today' },
            ],
            columns: receiptColumns.slice(0, 7),
          }),
        ],
      ),
    ],
    COLUMNS_CSS,
  ),

  // 用户360: find an account (the search, or 查看 in the list); its bills, payments, receipts, valve cases and requests follow.
  page(
    'billing_account',
    'billing-accounts',
    ['用户360', 'Account 360°'],
    'page',
    [
      block('ext-table', {
        title: '用户账户',
        path: `${EXT}/accounts`,
        pageSize: 10,
        filters: [
          { key: 'q', label: '户号/姓名/电话/地址', kind: 'text' },
          { key: 'status', label: '状态', kind: 'select', options: Object.entries(ACCOUNT_STATUS).map(([value, label]) => ({ value, label })) },
          { key: 'nature', label: '用水性质', kind: 'select', options: NATURES },
          { key: 'community', label: '小区', kind: 'text' },
        ],
        columns: accountColumns,
        rowActions: [{ label: '查看', select: 'account' }],
      }),
      block('ext-form', { title: '用户360', fields: [{ key: 'account', label: '查找用户', ...accountLookup, publish: 'account' }] }),
      columns(
        [
          block('ext-table', { title: '账单', path: `${EXT}/bills`, pageSize: 12, selection: { name: 'account', params: { accountId: 'id' } }, columns: billColumns.slice(1) }),
          block('ext-table', { title: '收费记录', path: `${EXT}/payments`, pageSize: 12, selection: { name: 'account', params: { accountId: 'id' } }, columns: paymentColumns.filter((c) => c.key !== 'accountId') }),
        ],
        [
          block('ext-table', { title: '票据', path: `${EXT}/receipts`, pageSize: 12, selection: { name: 'account', params: { accountId: 'id' } }, columns: receiptColumns.filter((c) => c.key !== 'accountNo' && c.key !== 'customerName') }),
          block('ext-table', { title: '欠费处置（关阀）', path: `${EXT}/arrears/valve-cases`, pageSize: 6, selection: { name: 'account', params: { accountId: 'id' } }, columns: valveColumns.filter((c) => c.key !== 'accountNo' && c.key !== 'customerName') }),
          block('ext-table', { title: '业务办理', path: `${EXT}/requests`, pageSize: 6, selection: { name: 'account', params: { accountId: 'id' } }, columns: requestColumns.filter((c) => c.key !== 'accountNo') }),
        ],
      ),
    ],
    COLUMNS_CSS,
  ),

  // 开户: the request with the customer, the address, the metering household, the tariff and the documents; the approver decides in 待办.
  page('billing_open', 'billing-open', ['开户', 'Open an account'], 'page', [
    columns(
      [
        block('ext-form', {
          title: '开户申请',
          path: `${EXT}/requests/open`,
          submitLabel: '提交开户申请',
          successMessage: '开户申请已提交，待审批',
          fields: [
            {
              key: 'customer.kind',
              label: '用户类型',
              kind: 'select',
              required: true,
              default: 'person',
              options: [
                { value: 'person', label: l('个人', 'Person') },
                { value: 'organisation', label: l('单位', 'Organisation') },
              ],
            },
            { key: 'customer.name', label: '户名', kind: 'text', required: true, autofocus: true },
            {
              key: 'customer.idType',
              label: '证件类型',
              kind: 'select',
              options: [
                { value: 'resident_id', label: l('居民身份证', 'Resident ID') },
                { value: 'passport', label: l('护照', 'Passport') },
                { value: 'credit_code', label: l('统一社会信用代码', 'Credit code') },
                { value: 'other', label: l('其他', 'Other') },
              ],
            },
            { key: 'customer.idNumber', label: '证件号码', kind: 'text' },
            { key: 'customer.phone', label: '联系电话', kind: 'text' },
            { key: 'nature', label: '用水性质', kind: 'select', required: true, default: 'residential', options: NATURES },
            { key: 'householdSize', label: '家庭人口', kind: 'integer', default: 3 },
            { key: 'address.community', label: '小区', kind: 'text', required: true },
            { key: 'address.building', label: '楼栋', kind: 'text' },
            { key: 'address.unit', label: '单元', kind: 'text' },
            { key: 'address.room', label: '房号', kind: 'text' },
            { key: 'householdId', label: '计量户（水表所在户）', kind: 'entity', entity: 'metering_household' },
            { key: 'tariffCode', label: '水价编码', kind: 'text', required: true, default: 'residential' },
            { key: 'idFront', label: '身份证正面', kind: 'photo', listKey: 'documents', documentName: '身份证正面.jpg' },
            { key: 'idBack', label: '身份证反面', kind: 'photo', listKey: 'documents', documentName: '身份证反面.jpg' },
            { key: 'deed', label: '房产证明', kind: 'photo', listKey: 'documents', documentName: '房产证明.jpg' },
            { key: 'note', label: '备注', kind: 'textarea' },
            { key: 'requestKey', kind: 'requestKey' },
          ],
          result: [
            { key: 'id', title: '业务号' },
            { key: 'status', title: '状态', format: 'status', labels: REQUEST_STATUS },
          ],
        }),
      ],
      [
        block('ext-table', {
          title: '业务受理',
          path: `${EXT}/requests`,
          pageSize: 15,
          filters: [
            { key: 'kind', label: '业务', kind: 'select', options: Object.entries(REQUEST_KINDS).map(([value, label]) => ({ value, label })) },
            { key: 'status', label: '状态', kind: 'select', options: Object.entries(REQUEST_STATUS).map(([value, label]) => ({ value, label })) },
          ],
          columns: requestColumns,
        }),
        block('task-list', { title: '待我审批', pageSize: 10 }),
      ],
    ),
  ], COLUMNS_CSS),

  // 计费控制台: the runs (progress while running), start or restart one, the bills.
  page('billing_runs', 'billing-runs', ['计费控制台', 'Billing runs'], 'page', [
    block('ext-table', {
      title: '计费批次',
      path: `${EXT}/runs`,
      pageSize: 12,
      busyStatuses: ['pending', 'running'],
      refreshSeconds: 2,
      progress: { done: 'progress.done', total: 'progress.total', title: '进度' },
      columns: [
        { key: 'period', title: '账期' },
        { key: 'scope', title: '范围' },
        { key: 'status', title: '状态', format: 'status', labels: RUN_STATUS },
        { key: 'bills', title: '出账数' },
        { key: 'skipped', title: '无水量' },
        { key: 'amountFen', title: '金额', format: 'fen' },
        { key: 'startedAt', title: '开始', format: 'datetime' },
        { key: 'finishedAt', title: '完成', format: 'datetime' },
        { key: 'error', title: '错误' },
      ],
      toolbar: [{ label: '计费', path: `${EXT}/runs`, form: [{ key: 'period', label: '账期（已关账的结算期）', kind: 'month', required: true }] }],
      rowActions: [{ label: '重新计费', path: `${EXT}/runs`, rowBody: { period: 'period', scope: 'scope' }, when: { field: 'status', in: ['failed'] } }],
    }),
    block('ext-table', {
      title: '账单',
      path: `${EXT}/bills`,
      pageSize: 20,
      filters: [
        { key: 'period', label: '账期', kind: 'month' },
        { key: 'status', label: '状态', kind: 'select', options: [...Object.entries(BILL_STATUS).map(([value, label]) => ({ value, label })), { value: 'overdue', label: '逾期' }] },
      ],
      columns: billColumns,
    }),
    block('report', { template: 'billing_volume_tiers', title: '分阶梯水量' }),
  ]),

  // 欠费管理: accounts in arrears, valve cases, late fees and dunning.
  page('billing_arrears', 'billing-arrears', ['欠费管理', 'Arrears'], 'page', [
    block('ext-table', {
      title: '欠费户',
      path: `${EXT}/arrears`,
      pageSize: 20,
      filters: [{ key: 'community', label: '小区', kind: 'text' }, { key: 'minDays', label: '逾期天数≥', kind: 'text' }],
      columns: [
        { key: 'accountNo', title: '户号' },
        { key: 'customerName', title: '户名' },
        { key: 'address', title: '地址' },
        { key: 'oldestDueDate', title: '最早到期', format: 'date' },
        { key: 'daysOverdue', title: '逾期天数' },
        { key: 'outstandingFen', title: '欠费', format: 'fen' },
        { key: 'lateFeeFen', title: '其中违约金', format: 'fen' },
        { key: 'valveCase.status', title: '关阀', format: 'status', labels: VALVE_STATUS },
      ],
      toolbar: [
        { label: '计提违约金', path: `${EXT}/arrears/accrue`, confirm: l('按今天计提全部逾期账单的违约金？', 'Accrue late fees on every overdue bill as of today?') },
        { label: '发送催费通知', path: `${EXT}/arrears/dunning/run`, confirm: l('按催费规则向逾期用户发送通知？', 'Send the dunning notices the schedule calls for?') },
      ],
      rowActions: [
        {
          label: '发起关阀',
          path: `${EXT}/arrears/valve-cases`,
          rowBody: { accountId: 'accountId' },
          confirm: l('对该户发起欠费关阀流程（先通知，宽限期后经审批关阀）？', 'Start valve control for this account (notice, grace period, approval, closing)?'),
          when: { field: 'valveCase', in: [null] },
        },
      ],
    }),
    block('ext-table', {
      title: '关阀处置',
      path: `${EXT}/arrears/valve-cases`,
      pageSize: 10,
      busyStatuses: ['closing', 'reopening'],
      refreshSeconds: 5,
      filters: [{ key: 'status', label: '状态', kind: 'select', options: Object.entries(VALVE_STATUS).map(([value, label]) => ({ value, label })) }],
      columns: valveColumns,
      rowActions: [{ label: '复核开阀', path: `${EXT}/arrears/valve-cases/:id/recheck`, when: { field: 'status', in: ['closed'] } }],
    }),
    columns([block('report', { template: 'billing_arrears_ageing', title: '欠费账龄' })], [block('report', { template: 'billing_arrears_summary', title: '欠费汇总' })]),
    block('report', { template: 'billing_arrears_top', title: '欠费大户' }),
  ], COLUMNS_CSS),

  // 财务: finance periods, the daily cash report, reconciliations, receipts, bank files.
  page('billing_finance', 'billing-finance', ['财务', 'Finance'], 'page', [
    columns(
      [
        block('ext-table', {
          title: '会计期',
          path: `${EXT}/finance/periods`,
          pageSize: 12,
          columns: [
            { key: 'period', title: '会计期' },
            { key: 'status', title: '状态', format: 'status', labels: { open: '开放', closed: '已关账' } },
            { key: 'openedAt', title: '开启', format: 'datetime' },
            { key: 'closedAt', title: '关账', format: 'datetime' },
          ],
          rowActions: [
            {
              label: '关账',
              path: `${EXT}/finance/periods/:period/close`,
              confirm: l('关账后本期不再记账，更正记入下一开放期。确定关账？', 'A closed period takes no more postings; corrections go to the next open one. Close it?'),
              when: { field: 'status', in: ['open'] },
            },
          ],
        }),
      ],
      [
        block('ext-table', {
          title: '日收费报表',
          path: `${EXT}/finance/daily`,
          itemsKey: 'rows',
          pageSize: 50,
          filters: [{ key: 'day', label: '日期', kind: 'date', default: 'today', required: true }],
          columns: [
            { key: 'cashierId', title: '收费员' },
            { key: 'channel', title: '方式', format: 'status', labels: CHANNEL_LABELS },
            { key: 'count', title: '笔数' },
            { key: 'amountFen', title: '金额', format: 'fen' },
            { key: 'reversedFen', title: '其中已冲正', format: 'fen' },
            { key: 'tenderedFen', title: '收取现金', format: 'fen' },
            { key: 'changeFen', title: '找零', format: 'fen' },
          ],
        }),
      ],
    ),
    block('ext-table', {
      title: '对账',
      path: `${EXT}/finance/reconciliations`,
      pageSize: 10,
      columns: [
        { key: 'day', title: '日期', format: 'date' },
        { key: 'channel', title: '方式', format: 'status', labels: CHANNEL_LABELS },
        { key: 'cashierId', title: '收费员' },
        { key: 'bookedFen', title: '系统入账', format: 'fen' },
        { key: 'declaredFen', title: '上缴/对账单', format: 'fen' },
        { key: 'differenceFen', title: '差额', format: 'fen' },
        { key: 'status', title: '状态', format: 'status', labels: { open: '未对账', balanced: '相符', discrepant: '有差异', confirmed: '已确认' } },
      ],
      toolbar: [
        {
          label: '现金对账',
          path: `${EXT}/finance/reconciliations`,
          body: { channel: 'cash' },
          form: [
            { key: 'day', label: '日期', kind: 'date', required: true },
            { key: 'cashierId', label: '收费员编号', kind: 'number' },
            { key: 'declaredFen', label: '上缴现金', kind: 'money', required: true },
          ],
        },
      ],
      rowActions: [{ label: '确认', path: `${EXT}/finance/reconciliations/:id/confirm`, when: { field: 'status', in: ['balanced', 'discrepant'] } }],
    }),
    block('ext-table', {
      title: '票据',
      path: `${EXT}/receipts`,
      pageSize: 15,
      filters: [
        { key: 'from', label: '开票日期起', kind: 'date' },
        { key: 'to', label: '开票日期止', kind: 'date' },
        { key: 'status', label: '状态', kind: 'select', options: Object.entries(RECEIPT_STATUS).map(([value, label]) => ({ value, label })) },
      ],
      columns: receiptColumns,
      rowActions: [{ label: '作废', path: `${EXT}/receipts/:id/void`, form: [{ key: 'reason', label: '作废原因', kind: 'textarea', required: true }], when: { field: 'status', in: ['issued'] } }],
    }),
    columns(
      [
        block('ext-form', {
          title: '银行代收文件导入',
          path: `${EXT}/payments/bank-files`,
          submitLabel: '导入',
          successMessage: '银行文件已导入',
          refreshes: [`${EXT}/receipts`],
          fields: [{ key: 'content', label: '代收文件（CSV：银行流水号, 户号, 金额（元）, 缴费时间）', kind: 'file', fileNameKey: 'fileName', required: true }],
          result: [
            { key: 'fileName', title: '文件' },
            { key: 'total', title: '行数' },
            { key: 'booked', title: '入账' },
            { key: 'duplicates', title: '重复' },
            { key: 'rejected', title: '拒收' },
            { key: 'amountFen', title: '入账金额', format: 'fen' },
          ],
        }),
      ],
      [
        block('ext-table', {
          title: '已导入的银行文件',
          path: `${EXT}/payments/bank-files`,
          pageSize: 10,
          columns: [
            { key: 'fileName', title: '文件' },
            { key: 'total', title: '行数' },
            { key: 'booked', title: '入账' },
            { key: 'duplicates', title: '重复' },
            { key: 'rejected', title: '拒收' },
            { key: 'amountFen', title: '金额', format: 'fen' },
            { key: 'createdAt', title: '导入时间', format: 'datetime' },
          ],
        }),
      ],
    ),
    block('report', { template: 'billing_received_summary', title: '实收汇总' }),
    block('report', { template: 'billing_daily_cash', title: '日收费报表（按类型）' }),
  ], COLUMNS_CSS),

  // 营业看板
  page('billing_dashboard', 'billing-dashboard', ['营业看板', 'Billing dashboard'], 'dashboard', [
    columns(
      [block('kpi', { template: 'billing_received_today', measure: 'amountYuan', title: '今日实收', unit: '元' })],
      [block('kpi', { template: 'billing_arrears_total', measure: 'outstandingYuan', title: '欠费总额', unit: '元' })],
    ),
    block('chart', { template: 'billing_received_by_day', chart: 'line', title: '每日实收（元）', height: 300 }),
    columns(
      [block('chart', { template: 'billing_receivable_by_period', chart: 'bar', title: '各期应收与未收（元）', height: 300 })],
      [block('chart', { template: 'billing_arrears_ageing', chart: 'bar', title: '欠费账龄', height: 300 })],
    ),
  ], COLUMNS_CSS),
];

const REPORTS = ['report:read', 'report:run'];

export const presentation: Pick<PackManifestInput, 'datasets' | 'reports' | 'pages' | 'menu' | 'roles'> = {
  datasets,
  reports,
  pages,
  menu: [
    { page: 'billing_dashboard', label: l('营业看板', 'Billing dashboard'), order: 30, icon: 'dashboard' },
    { page: 'billing_counter', label: l('柜台收费', 'Counter'), order: 31, icon: 'wallet' },
    { page: 'billing_account', label: l('用户360', 'Account 360°'), order: 32, icon: 'user' },
    { page: 'billing_open', label: l('开户', 'Open an account'), order: 33, icon: 'form' },
    { page: 'billing_runs', label: l('计费控制台', 'Billing runs'), order: 34, icon: 'calculator' },
    { page: 'billing_arrears', label: l('欠费管理', 'Arrears'), order: 35, icon: 'alert' },
    { page: 'billing_finance', label: l('财务', 'Finance'), order: 36, icon: 'account-book' },
  ],
  /** Role codes become `billing-<code>`: `billing-approver` is the candidate group of the pack's approval tasks. */
  roles: [
    {
      code: 'cashier',
      name: l('收费员', 'Cashier'),
      permissions: ['page:read', ...REPORTS, P.collect, P.paymentsRead, P.accountsRead, P.receipts],
    },
    {
      code: 'clerk',
      name: l('营业员', 'Service clerk'),
      permissions: ['page:read', 'entity:read', 'task:read', P.accountsWrite, P.accountsRead, P.tariffsRead, P.billsRead],
    },
    {
      code: 'approver',
      name: l('审批', 'Approver'),
      permissions: ['page:read', 'entity:read', 'task:read', 'task:claim', 'task:complete', P.accountsApprove, P.adjustApprove, P.paymentsApprove, P.arrearsApprove],
    },
    {
      code: 'billing',
      name: l('计费员', 'Billing clerk'),
      permissions: ['page:read', ...REPORTS, P.billsRun, P.adjust, P.billsRead],
    },
    {
      code: 'finance',
      name: l('财务', 'Finance'),
      permissions: ['page:read', ...REPORTS, P.financeRead, P.financeClose, P.receiptsVoid, P.paymentsRead, P.paymentsApprove, P.collect],
    },
    {
      code: 'collector',
      name: l('催费员', 'Collector'),
      permissions: ['page:read', ...REPORTS, P.arrearsRead, P.arrearsManage],
    },
  ],
};
