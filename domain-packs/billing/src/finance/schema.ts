/** 财务: accounting periods (a closed one is immutable), receipt series with gapless numbers, receipts, daily reconciliation. */
export const financeSchema = {
  id: '0003_finance',
  sql: `
-- 会计期: money posts into the open period; a closed one takes nothing more (corrections post in the open one).
create table finance_periods (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  status text not null default 'open' check (status in ('open', 'closed')),
  opened_at timestamptz not null default now(),
  closed_at timestamptz,
  closed_by bigint,
  totals jsonb
);
create unique index finance_periods_key on finance_periods (tenant_id, period);

-- The guard of a closed period, on every table that carries money with a finance_period: an INSERT into a
-- closed period, an UPDATE changing a money column (named in the trigger's arguments) of a row in a closed
-- period or moving one into it, and a DELETE of a row in a closed period are refused. Settlement state a
-- later posting changes (charges.paid_fen, waived_fen; payments.status) is not a money column: the posting
-- that changes it (an allocation, a waiver, a reversal) carries the open period. A posting holds the period's
-- shared advisory lock until it ends and a close takes it exclusively (finance_period_lock_key names it), so a
-- close waits for the postings in flight and a posting after a close sees it closed; postings do not contend.
create function finance_period_lock_key(tenant bigint, period text) returns bigint language sql immutable as $key$
  select hashtextextended('pack_billing.finance_periods/' || tenant::text || '/' || period, 0)
$key$;

create function finance_period_guard() returns trigger language plpgsql as $guard$
declare
  col text;
  changed boolean := tg_op <> 'UPDATE';
  tenant bigint;
  periods text[] := '{}';
  closed text;
  n jsonb;
  o jsonb;
begin
  if tg_op in ('INSERT', 'UPDATE') then
    n := to_jsonb(new);
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    o := to_jsonb(old);
  end if;
  if tg_op = 'UPDATE' then
    foreach col in array tg_argv loop
      if (n -> col) is distinct from (o -> col) then
        changed := true;
      end if;
    end loop;
    if not changed then
      return new;
    end if;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    tenant := old.tenant_id;
    periods := periods || (o ->> 'finance_period');
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    tenant := new.tenant_id;
    periods := periods || (n ->> 'finance_period');
  end if;
  -- hold the periods this posting touches: a concurrent close waits for it, and it sees a close committed first
  foreach col in array periods loop
    if col is not null then
      perform pg_advisory_xact_lock_shared(pack_billing.finance_period_lock_key(tenant, col));
    end if;
  end loop;
  select f.period into closed from pack_billing.finance_periods f
   where f.tenant_id = tenant and f.period = any(periods) and f.status = 'closed'
   order by f.period limit 1;
  if closed is not null then
    raise exception using errcode = 'P0001', message = 'finance_period_closed: ' || tg_table_name || ' in closed finance period ' || closed,
      hint = 'post the correction in the open finance period';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end
$guard$;

create trigger finance_period_guard before insert or update or delete on charges
  for each row execute function finance_period_guard('amount_fen', 'account_id', 'kind', 'finance_period');

-- 票据号段: the next number is taken under the row's lock in the paying transaction, so a rollback takes none
-- and two cashiers never share one: numbers have no gap and no duplicate.
create table receipt_series (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  series text not null check (series ~ '^[A-Z0-9]{1,8}$'),
  kind text not null default 'receipt' check (kind in ('receipt', 'invoice')),
  prefix text not null default '',
  width integer not null default 8 check (width between 4 and 16),
  next_no bigint not null default 1 check (next_no >= 1),
  active boolean not null default true
);
create unique index receipt_series_key on receipt_series (tenant_id, series);

create table receipts (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  series text not null,
  number bigint not null,
  receipt_no text not null,
  payment_id bigint,
  refund_id bigint,
  account_id bigint not null,
  amount_fen bigint not null,
  status text not null default 'issued' check (status in ('issued', 'voided')),
  void_reason text,
  voided_by bigint,
  voided_at timestamptz,
  issued_by bigint,
  issued_at timestamptz not null default now(),
  check (status = 'issued' or (void_reason is not null and length(void_reason) > 0))
);
create unique index receipts_number_key on receipts (tenant_id, series, number);
create index receipts_payment_idx on receipts (tenant_id, payment_id);

-- 对账: a day's booked money per cashier and channel against what was handed in or what the channel settled.
create table reconciliations (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  day date not null,
  channel text not null,
  cashier_id bigint not null default 0,
  booked_fen bigint not null,
  booked_count integer not null,
  declared_fen bigint,
  difference_fen bigint,
  discrepancies jsonb not null default '[]',
  status text not null default 'open' check (status in ('open', 'balanced', 'discrepant', 'confirmed')),
  confirmed_by bigint,
  confirmed_at timestamptz,
  created_at timestamptz not null default now()
);
create unique index reconciliations_key on reconciliations (tenant_id, day, channel, cashier_id);

create trigger audit_row after insert or update or delete on finance_periods for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on receipt_series for each row execute function public.shuiyun_audit_row();
create trigger audit_row after update or delete on receipts for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on reconciliations for each row execute function public.shuiyun_audit_row();
`,
};
