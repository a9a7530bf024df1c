/** 欠费: late-fee accruals and waivers, dunning notices sent, and valve-control cases with each valve command's delivery. */
export const arrearsSchema = {
  id: '0005_arrears',
  sql: `
-- 违约金减免: a request to waive part of a late-fee charge, decided in the billing_late_fee_waiver process.
-- failed: approved, but at apply time the charge no longer had that much outstanding (failure says why).
create table waivers (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  charge_id bigint not null,
  account_id bigint not null,
  amount_fen bigint not null check (amount_fen > 0),
  reason text not null check (length(reason) between 1 and 500),
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'failed')),
  instance text,
  requested_by bigint,
  decided_by bigint,
  decided_at timestamptz,
  decision_note text,
  failure text,
  created_at timestamptz not null default now()
);
create index waivers_charge_idx on waivers (tenant_id, charge_id, status);
create index waivers_status_idx on waivers (tenant_id, status, id);

-- 违约金 accrual: one per bill charge, the fee accrued up to accrued_to (inclusive) on its outstanding principal.
-- fee_charge_id is the late-fee charge that grows; once its finance period is closed the next increment is a
-- new late-fee charge in the open period, and fee_charge_id moves to it (amount_fen stays the total of them all).
create table late_fee_accruals (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  bill_charge_id bigint not null,
  account_id bigint not null,
  fee_charge_id bigint,
  accrued_to date not null,
  amount_fen bigint not null default 0 check (amount_fen >= 0),
  updated_at timestamptz not null default now()
);
create unique index late_fee_accruals_key on late_fee_accruals (tenant_id, bill_charge_id);
create index late_fee_accruals_fee_idx on late_fee_accruals (tenant_id, fee_charge_id);

-- 催费: one notice per account, step and oldest unpaid charge. superseded: a lower step that fell due together
-- with a higher one (a missed run, a new schedule): recorded, not sent, so it never goes out afterwards.
create table dunning_notices (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint not null,
  step integer not null,
  charge_id bigint not null,
  arrears_fen bigint not null,
  days_overdue integer not null default 0,
  status text not null default 'sent' check (status in ('sent', 'superseded')),
  as_of date,
  notification_id bigint,
  sent_at timestamptz not null default now()
);
create unique index dunning_notices_key on dunning_notices (tenant_id, account_id, step, charge_id);
create index dunning_notices_account_idx on dunning_notices (tenant_id, account_id, sent_at);

-- 欠费关阀: the process of one account's arrears, and each valve command it sent with its delivery status.
--   opened → notified (notice sent, grace running) → awaiting_approval → closing → closed → reopening → reopened;
--   or cancelled (paid in time), rejected (at approval), failed (no valve could be closed or reopened: failure says why).
create table valve_cases (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_id bigint not null,
  status text not null default 'opened' check (status in ('opened', 'notified', 'awaiting_approval', 'rejected', 'closing', 'closed', 'reopening', 'reopened', 'cancelled', 'failed')),
  arrears_fen bigint not null,
  origin text not null default 'manual' check (origin in ('manual', 'dunning')),
  grace_duration text not null,
  grace_until timestamptz,
  instance text,
  decided_by bigint,
  decided_at timestamptz,
  decision_note text,
  failure text,
  started_by bigint,
  opened_at timestamptz not null default now(),
  notified_at timestamptz,
  closed_at timestamptz,
  cleared_at timestamptz,
  reopened_at timestamptz,
  updated_at timestamptz not null default now()
);
create unique index valve_cases_open_key on valve_cases (tenant_id, account_id) where status not in ('reopened', 'cancelled', 'rejected', 'failed');
create index valve_cases_status_idx on valve_cases (tenant_id, status, id);

create table valve_commands (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  case_id bigint not null references valve_cases (id),
  meter_id bigint not null,
  meter_no text not null default '',
  device text not null,
  action text not null check (action in ('close', 'open')),
  command_id bigint,
  status text not null default 'queued' check (status in ('queued', 'sent', 'acknowledged', 'failed', 'expired')),
  failure_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index valve_commands_case_idx on valve_commands (tenant_id, case_id);
create unique index valve_commands_key on valve_commands (tenant_id, case_id, action, meter_id);

create trigger audit_row after insert or update or delete on waivers for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update of status on valve_cases for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update of status on valve_commands for each row execute function public.shuiyun_audit_row();
`,
};
