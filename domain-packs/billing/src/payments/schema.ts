/**
 * 收费: payments (counter, bank file, online, credit notes), their allocation to charges oldest first,
 * online payment orders, bank-file imports, reversals and refunds. A payment row's money never changes:
 * a reversal is a row of its own, posted in the open finance period.
 */
export const paymentsSchema = {
  id: '0004_payments',
  sql: `
create table payments (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint not null,
  channel text not null check (channel in ('cash', 'card', 'bank', 'wechat', 'alipay', 'credit_note')),
  amount_fen bigint not null check (amount_fen > 0),
  tendered_fen bigint,
  change_fen bigint,
  external_ref text,
  cashier_id bigint,
  status text not null default 'booked' check (status in ('booked', 'reversed')),
  finance_period text not null,
  paid_at timestamptz not null default now(),
  note text,
  check (change_fen is null or (tendered_fen is not null and tendered_fen - amount_fen = change_fen and change_fen >= 0))
);
-- A channel's reference books once: a callback delivered twice (or twice at once) finds the first payment.
create unique index payments_external_key on payments (tenant_id, channel, external_ref) where external_ref is not null;
-- A counter request key books once whatever channel the resubmit names (cash or card).
create unique index payments_counter_key on payments (tenant_id, external_ref) where external_ref like 'counter:%';
create index payments_account_idx on payments (tenant_id, account_id, paid_at);
create index payments_day_idx on payments (tenant_id, paid_at, channel, cashier_id);

-- 分配: payment money set against a charge; a reversal or refund releases with a negative row.
create table allocations (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  payment_id bigint not null references payments (id),
  charge_id bigint not null,
  amount_fen bigint not null check (amount_fen <> 0),
  finance_period text not null,
  created_at timestamptz not null default now()
);
create index allocations_payment_idx on allocations (tenant_id, payment_id);
-- An account's balance sums all its charges (paid ones too): billing's charges_open_idx covers open charges only.
-- (An index on the billing part's table; it belongs in 0002 if that migration is still unreleased.)
create index charges_account_idx on charges (tenant_id, account_id);
create index allocations_charge_idx on allocations (tenant_id, charge_id);

create table reversals (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  payment_id bigint not null references payments (id),
  reason text not null,
  -- failed: approved, but the apply found it could no longer be done (failure says why).
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'failed')),
  amount_fen bigint not null check (amount_fen > 0),
  finance_period text,
  instance text,
  requested_by bigint,
  decided_by bigint,
  decided_at timestamptz,
  decision_note text,
  failure text,
  created_at timestamptz not null default now()
);
create unique index reversals_payment_key on reversals (tenant_id, payment_id) where status in ('pending', 'approved');

-- 退费: prepaid credit paid back, with approval.
create table refunds (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint not null,
  amount_fen bigint not null check (amount_fen > 0),
  method text not null check (method in ('cash', 'bank', 'original')),
  reason text not null,
  -- failed: approved, but at apply time the account's credit no longer covered it (failure says why).
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'failed')),
  finance_period text,
  instance text,
  requested_by bigint,
  decided_by bigint,
  decided_at timestamptz,
  decision_note text,
  failure text,
  created_at timestamptz not null default now()
);
create index refunds_account_idx on refunds (tenant_id, account_id, status);

-- 线上支付单: an order handed to the payment port; its callback books the payment once.
create table payment_orders (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint not null,
  channel text not null check (channel in ('wechat', 'alipay')),
  out_trade_no text not null,
  amount_fen bigint not null check (amount_fen > 0),
  status text not null default 'created' check (status in ('created', 'paid', 'closed')),
  prepay_id text,
  payment_id bigint references payments (id),
  code_url text,
  transaction_id text,
  created_by bigint,
  created_at timestamptz not null default now(),
  paid_at timestamptz
);
create unique index payment_orders_trade_key on payment_orders (tenant_id, out_trade_no);

-- 支付渠道: the gateway a channel's orders go to, the merchant, the API key (HMAC secret here; the
-- platform certificate and merchant private key of WeChat Pay v3 in a real adapter) and the callback URL.
create table payment_channels (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  channel text not null check (channel in ('wechat', 'alipay')),
  gateway_url text not null,
  merchant_id text not null,
  app_id text not null default '',
  api_key text not null check (length(api_key) >= 16),
  notify_url text not null,
  enabled boolean not null default true,
  updated_by bigint,
  updated_at timestamptz not null default now()
);
create unique index payment_channels_key on payment_channels (tenant_id, channel);
-- No audit trigger here: the audit trail would copy the API key (updated_by and updated_at say who and when).

-- 银行代收文件: one imported file, with the rows it refused and why.
create table bank_imports (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  file_name text not null,
  total integer not null,
  booked integer not null,
  duplicates integer not null,
  rejected integer not null,
  amount_fen bigint not null,
  errors jsonb not null default '[]',
  created_by bigint,
  created_at timestamptz not null default now()
);

-- A closed finance period takes no posting (finance/schema.ts defines the guard): corrections post in the open one.
create trigger finance_period_guard before insert or update or delete on payments
  for each row execute function finance_period_guard('amount_fen', 'account_id', 'channel', 'finance_period', 'tendered_fen', 'change_fen', 'external_ref');
create trigger finance_period_guard before insert or update or delete on allocations
  for each row execute function finance_period_guard('amount_fen', 'payment_id', 'charge_id', 'finance_period');
create trigger finance_period_guard before insert or update or delete on reversals
  for each row execute function finance_period_guard('payment_id', 'amount_fen', 'status', 'finance_period');
create trigger finance_period_guard before insert or update or delete on refunds
  for each row execute function finance_period_guard('account_id', 'amount_fen', 'status', 'finance_period');

create trigger audit_row after insert or update or delete on reversals for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on refunds for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on bank_imports for each row execute function public.shuiyun_audit_row();
`,
};
