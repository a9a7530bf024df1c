/**
 * 开户管理 and 水价: customers, accounts, account-lifecycle requests, versioned tariffs, the tenant's billing
 * settings.
 *
 * The counter's search runs under the tables' forced row-level security, where the planner uses a condition
 * as an index condition only if its operators are leakproof (=, <, ~>=~ … on text and integers are; LIKE,
 * array @>, strpos, reverse() are not), and PGlite has no pg_trgm. So: account numbers by prefix as a range
 * (~>=~ / ~<~ on a text_pattern_ops index); phones exactly, or by suffix as a prefix range of the stored
 * reversed phone; names and addresses through `account_grams` (an inverted index by hand: each character and
 * character pair of the account's `search_text`, btree), the exact substring checked on `search_text`.
 */
export const accountsSchema = {
  id: '0001_accounts',
  sql: `
-- The tenant's billing settings: account-number rule, late-fee rule, dunning schedule, valve control.
create table settings (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_prefix text not null default '',
  account_width integer not null default 8 check (account_width between 4 and 16),
  next_account_seq bigint not null default 1,
  due_days integer not null default 30 check (due_days between 0 and 365),
  late_fee jsonb not null default '{}',
  dunning jsonb not null default '[]',
  valve jsonb not null default '{}',
  notify jsonb not null default '{"channels":["inapp"]}',
  updated_at timestamptz not null default now()
);
create unique index settings_tenant_key on settings (tenant_id);

-- 用户: the billing party, a person or an organisation. The identity number is kept whole for the
-- counter's look-up by the holder; lists show id_masked only.
create table customers (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  kind text not null check (kind in ('person', 'organisation')),
  name text not null check (length(name) between 1 and 100),
  id_type text check (id_type in ('resident_id', 'passport', 'credit_code', 'other')),
  id_number text,
  id_masked text,
  phone text,
  phone_reversed text generated always as (reverse(phone)) stored,
  created_by bigint,
  created_at timestamptz not null default now()
);
create index customers_name_idx on customers (tenant_id, name);
create index customers_phone_idx on customers (tenant_id, phone);
create index customers_phone_suffix_idx on customers (tenant_id, phone_reversed text_pattern_ops);
create unique index customers_id_number_key on customers (tenant_id, id_type, id_number) where id_number is not null;

-- 账户: one account, one customer, the metering household whose meters it pays for. A pending account (its
-- 开户 request not yet approved) has no number: numbers are taken at approval, gapless per tenant.
create table accounts (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  account_no text,
  customer_id bigint not null references customers (id),
  nature text not null check (nature in ('residential', 'non_residential', 'special', 'shared')),
  household_size integer not null default 3 check (household_size between 1 and 50),
  household_id bigint,
  community text not null default '',
  building text not null default '',
  unit text not null default '',
  room text not null default '',
  tariff_code text not null,
  status text not null default 'pending' check (status in ('pending', 'active', 'closed')),
  opened_at timestamptz,
  closed_at timestamptz,
  -- The customer's name and the address, lower-cased, for the counter's search (its grams: account_grams).
  search_text text not null default '',
  created_at timestamptz not null default now(),
  check (status <> 'active' or account_no is not null)
);
create unique index accounts_no_key on accounts (tenant_id, account_no);
create index accounts_no_prefix_idx on accounts (tenant_id, account_no text_pattern_ops);
create index accounts_customer_idx on accounts (tenant_id, customer_id);
create index accounts_household_idx on accounts (tenant_id, household_id);
-- One household, one account that is not closed.
create unique index accounts_household_key on accounts (tenant_id, household_id) where household_id is not null and status <> 'closed';
create index accounts_address_idx on accounts (tenant_id, community, building, unit, room);

-- The characters and character pairs of each account's search_text: the search looks its words' grams up here.
create table account_grams (
  tenant_id bigint not null,
  tenant_path ltree not null,
  gram text not null,
  account_id bigint not null references accounts (id),
  primary key (tenant_id, gram, account_id)
);
create index account_grams_account_idx on account_grams (account_id);

-- 开户 / 过户 / 销户 / 换表 requests: each runs a BPMN process with approval; documents are attached files.
create table account_requests (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  kind text not null check (kind in ('open', 'transfer', 'close', 'meter_change')),
  account_id bigint references accounts (id),
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'done')),
  request jsonb not null,
  documents jsonb not null default '[]',
  instance text,
  decided_by bigint,
  decided_at timestamptz,
  decision_note text,
  -- The client's key of the submit: a second identical submit answers the first request.
  request_key text check (request_key is null or length(request_key) between 1 and 100),
  created_by bigint,
  created_at timestamptz not null default now()
);
create index account_requests_account_idx on account_requests (tenant_id, account_id, id);
create index account_requests_status_idx on account_requests (tenant_id, status, id);
create unique index account_requests_key on account_requests (tenant_id, request_key) where request_key is not null;
-- One running request (pending approval, or approved and waiting for the field swap) per account.
create unique index account_requests_running_key on account_requests (tenant_id, account_id) where status in ('pending', 'approved');

-- 水价: a tariff's versions; a version is effective from its date until the next one's.
create table tariffs (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  code text not null check (code ~ '^[a-z][a-z0-9_-]{0,39}$'),
  version integer not null check (version >= 1),
  name text not null,
  effective_from date not null,
  definition jsonb not null,
  created_by bigint,
  created_at timestamptz not null default now()
);
create unique index tariffs_version_key on tariffs (tenant_id, code, version);
create unique index tariffs_effective_key on tariffs (tenant_id, code, effective_from);

create trigger audit_row after insert or update or delete on settings for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on accounts for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on customers for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on account_requests for each row execute function public.shuiyun_audit_row();
create trigger audit_row after insert or update or delete on tariffs for each row execute function public.shuiyun_audit_row();
`,
};
