/**
 * The metering pack's tables, in the pack's own schema (`pack_metering`). Meters, households, reading
 * books and settlement plans are entity records (the archive: CRUD, forms and lists come from the
 * platform); what is high-volume or needs exact integers and constraints lives here. Volumes and register
 * values are integer litres (`bigint`); times are UTC (`timestamptz`). The runtime adds the tenant policy
 * and grants to every table.
 */
export const postgresMigrations = [
  {
    id: '0001_metering',
    sql: `
-- 抄表记录: hand, imported, estimated and corrected readings, and remote ones held for review. A remote
-- reading that passes validation stays in the analytics store only.
create table readings (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  meter_id bigint not null,
  read_at timestamptz not null,
  value_l bigint not null check (value_l >= 0),
  source text not null check (source in ('remote', 'hand', 'import', 'estimate', 'correction')),
  status text not null default 'valid' check (status in ('valid', 'review', 'rejected', 'replaced')),
  violations text[] not null default '{}',
  photo text,
  latitude numeric(9, 6),
  longitude numeric(9, 6),
  batch_id bigint,
  replaces_id bigint references readings (id),
  review_instance text,
  entered_by bigint,
  note text,
  created_at timestamptz not null default now()
);
create index readings_meter_time_idx on readings (tenant_id, meter_id, read_at);
create index readings_review_idx on readings (tenant_id, status) where status = 'review';

-- 集抄导入: one uploaded concentrator file, with the rows it refused and why.
create table import_batches (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  file_name text not null,
  format text not null check (format in ('csv', 'xlsx')),
  total integer not null,
  accepted integer not null,
  rejected integer not null,
  errors jsonb not null default '[]',
  created_by bigint,
  created_at timestamptz not null default now()
);

-- 换表: the old meter's final reading and the new meter's initial one, so consumption stays continuous.
create table swaps (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  old_meter_id bigint not null,
  new_meter_id bigint not null,
  swapped_at timestamptz not null,
  old_final_l bigint not null check (old_final_l >= 0),
  new_initial_l bigint not null check (new_initial_l >= 0),
  reason text,
  created_by bigint,
  created_at timestamptz not null default now(),
  check (old_meter_id <> new_meter_id)
);
create unique index swaps_old_meter_key on swaps (tenant_id, old_meter_id);
create unique index swaps_new_meter_key on swaps (tenant_id, new_meter_id);

-- 结算期: a month of settlement, from open through settled to closed (locked); per tenant (scope '*') or
-- per community that has a settlement plan of its own (scope: the community's name).
create table periods (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  scope text not null default '*',
  plan_id bigint,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  settlement_day integer not null check (settlement_day between 1 and 28),
  status text not null default 'open' check (status in ('open', 'settling', 'settled', 'closed')),
  total integer,
  done integer not null default 0,
  run_instance text,
  started_at timestamptz,
  finished_at timestamptz,
  closed_at timestamptz,
  closed_by bigint,
  error text,
  check (ends_at > starts_at)
);
create unique index periods_tenant_period_key on periods (tenant_id, period, scope);

-- 结算记录: one per meter and period; the unique key makes settling twice (or twice at once) yield one set.
create table settlements (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  period text not null,
  meter_id bigint not null,
  meter_no text not null,
  start_l bigint not null,
  end_l bigint not null,
  volume_l bigint not null,
  source text not null check (source in ('remote', 'hand', 'estimated', 'missing')),
  start_at timestamptz not null,
  end_at timestamptz not null,
  flags text[] not null default '{}',
  segments jsonb not null default '[]',
  created_at timestamptz not null default now()
);
create unique index settlements_period_meter_key on settlements (tenant_id, period, meter_id);
create index settlements_meter_idx on settlements (tenant_id, meter_id, period);

-- 调整: a correction to a closed period, posted into an open one.
create table adjustments (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  period text not null,
  corrects_period text not null,
  meter_id bigint not null,
  volume_l bigint not null,
  reason text not null,
  reading_id bigint references readings (id),
  created_by bigint,
  created_at timestamptz not null default now()
);
create index adjustments_period_idx on adjustments (tenant_id, period);

-- Who swapped a meter, closed a period, corrected or imported: the platform's audit trail. Readings and
-- settlement records are bulk rows: their own columns say who entered them and which run made them.
create trigger audit_row after insert or update or delete on swaps for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update of status, closed_at, closed_by or delete on periods for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on adjustments for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on import_batches for each row execute function public.shuiyun_audit_row();
`,
  },
];
