/**
 * 计费: billing runs, bills with their lines, and the account ledger's receivables (charges: bills, late
 * fees, debit adjustments). Money is fen (bigint), volumes litres (bigint).
 */
export const billingSchema = {
  id: '0002_billing',
  sql: `
-- 计费批次: one per metering period closed (and scope); progress while it runs; resumable.
create table runs (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  scope text not null default '*',
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  status text not null default 'pending' check (status in ('pending', 'running', 'done', 'failed')),
  total integer,
  done integer not null default 0,
  bills integer not null default 0,
  skipped integer not null default 0, -- active accounts of the scope whose household had no meter settled in the period
  failed integer not null default 0, -- accounts that could not be priced (no tariff version in force …): not billed, listed in failures
  failures jsonb not null default '[]', -- the first 100 of them: [{ accountId, accountNo, reason }]
  amount_fen bigint not null default 0,
  cursor_account_id bigint not null default 0, -- keyset: every account with a smaller id is done (a resumed run starts after it)
  heartbeat_at timestamptz, -- the last batch committed
  staged_at timestamptz, -- run_meters holds the period's metered volumes by household (null: not yet, or cleared when done)
  instance text,
  error text,
  requested_by bigint,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now()
);
create unique index runs_period_key on runs (tenant_id, period, scope);

-- 计费批次的水表水量: a run's working copy of the period's settled volumes (and adjustments posted into it), by
-- metering household, staged once per run in one statement so each batch finds its accounts' meters by index
-- (metering's meter records have no index on their household). Cleared when the run is done.
create table run_meters (
  tenant_id bigint not null,
  tenant_path ltree not null,
  run_id bigint not null references runs (id),
  household_id bigint not null,
  meter_id bigint not null,
  meter_no text,
  settled boolean not null,
  volume_l bigint not null default 0,
  start_l bigint,
  end_l bigint,
  source text,
  adjustment_l bigint not null default 0,
  primary key (run_id, meter_id)
);
create index run_meters_household_idx on run_meters (run_id, household_id);

-- 账单: one per account and period; the unique key makes a rerun (or two at once) yield one bill.
create table bills (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint not null,
  period text not null,
  run_id bigint references runs (id),
  period_start timestamptz not null,
  period_end timestamptz not null,
  volume_l bigint not null check (volume_l >= 0),
  cumulative_before_l bigint not null default 0,
  amount_fen bigint not null check (amount_fen >= 0),
  tariff_code text not null,
  meters jsonb not null default '[]',
  due_date date not null,
  finance_period text not null,
  issued_at timestamptz not null default now()
);
create unique index bills_account_period_key on bills (tenant_id, account_id, period);
create index bills_run_idx on bills (tenant_id, run_id);

-- 账单明细: one per component, tier segment and tariff version (a price change inside the period splits).
create table bill_lines (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  bill_id bigint not null references bills (id),
  component text not null,
  component_name text not null, -- zh-CN
  component_name_en text not null default '',
  tier integer not null,
  tariff_version integer not null,
  volume_l bigint not null,
  charged_l bigint not null,
  price_units bigint not null,
  amount_fen bigint not null
);
create index bill_lines_bill_idx on bill_lines (tenant_id, bill_id);

-- 应收: what an account owes, oldest first by due date. A bill makes one; so does a late fee or a debit adjustment.
create table charges (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint not null,
  kind text not null check (kind in ('bill', 'late_fee', 'adjustment')),
  bill_id bigint references bills (id),
  amount_fen bigint not null check (amount_fen > 0),
  paid_fen bigint not null default 0 check (paid_fen >= 0),
  waived_fen bigint not null default 0 check (waived_fen >= 0),
  due_date date not null,
  finance_period text not null,
  created_at timestamptz not null default now(),
  check (paid_fen + waived_fen <= amount_fen)
);
create index charges_open_idx on charges (tenant_id, account_id, due_date, id) where paid_fen + waived_fen < amount_fen;
create unique index charges_bill_key on charges (tenant_id, bill_id) where kind = 'bill';

-- 调账: a debit (a charge) or credit (a credit note booked like a payment) with reason and approval.
create table adjustments (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint not null,
  bill_id bigint references bills (id),
  direction text not null check (direction in ('debit', 'credit')),
  amount_fen bigint not null check (amount_fen > 0),
  reason text not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  instance text,
  decided_by bigint,
  decided_at timestamptz,
  decision_note text,
  -- what applying an approved adjustment posted, once: the debit's charge, or the credit note's payment
  charge_id bigint references charges (id),
  payment_id bigint,
  finance_period text,
  applied_at timestamptz,
  created_by bigint,
  created_at timestamptz not null default now()
);
create index adjustments_account_idx on adjustments (tenant_id, account_id, created_at);

-- 通知: what the notifier port sent (in-app here), per account; the outbox of the SMS and WeChat adapters.
create table notifications (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint,
  channel text not null check (channel in ('inapp', 'sms', 'wechat')),
  kind text not null,
  dedupe_key text not null,
  title text not null, -- zh-CN
  body text not null, -- zh-CN
  title_en text not null default '',
  body_en text not null default '',
  recipient text, -- the phone (sms) or WeChat openid the adapter sends to; null for in-app
  status text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  error text,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create unique index notifications_dedupe_key on notifications (tenant_id, channel, dedupe_key);
create index notifications_account_idx on notifications (tenant_id, account_id, created_at);
create index notifications_queued_idx on notifications (tenant_id, next_attempt_at, id) where status = 'queued';

create trigger audit_row after insert or update or delete on adjustments for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update of status, error, finished_at on runs for each row execute function public.shuiyun_audit_row();
`,
};
