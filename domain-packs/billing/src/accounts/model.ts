/**
 * Accounts and customers as the accounts part stores and shows them: row types, the columns read, how a
 * row goes on the wire (ids as numbers, instants as ISO UTC text, identity numbers masked), and the
 * counter's search text of an account (the customer's name and the address, with their characters and
 * character pairs for the GIN index).
 */
import type { PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { iso, l, notFound, type Params } from '../shared.js';

/** An id on the wire: a positive integer, or its digits as text. Answers the digits. */
export const idInput = z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9][0-9]{0,17}$/, 'an id: digits')]).transform((v) => String(v));
export const idParams = z.object({ id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'an id: digits') });

export const NATURES = ['residential', 'non_residential', 'special', 'shared'] as const;
export type Nature = (typeof NATURES)[number];
export const ACCOUNT_STATUSES = ['pending', 'active', 'closed'] as const;

export const natureNames: Record<Nature, { 'zh-CN': string; en: string }> = {
  residential: l('居民', 'Residential'),
  non_residential: l('非居民', 'Non-residential'),
  special: l('特种行业', 'Special industry'),
  shared: l('合表', 'Shared meter'),
};

export interface CustomerRow {
  id: string;
  kind: string;
  name: string;
  id_type: string | null;
  id_masked: string | null;
  phone: string | null;
  created_at: Date | string;
}

export const CUSTOMER_COLUMNS = 'c.id, c.kind, c.name, c.id_type, c.id_masked, c.phone, c.created_at';

export const presentCustomer = (c: CustomerRow) => ({
  id: Number(c.id),
  kind: c.kind,
  name: c.name,
  idType: c.id_type,
  idMasked: c.id_masked,
  phone: c.phone,
  createdAt: iso(c.created_at),
});

export interface AccountRow {
  id: string;
  account_no: string | null;
  customer_id: string;
  nature: Nature;
  household_size: number;
  household_id: string | null;
  community: string;
  building: string;
  unit: string;
  room: string;
  tariff_code: string;
  status: 'pending' | 'active' | 'closed';
  opened_at: Date | string | null;
  closed_at: Date | string | null;
  created_at: Date | string;
}

export const ACCOUNT_COLUMNS = `a.id, a.account_no, a.customer_id, a.nature, a.household_size, a.household_id, a.community, a.building, a.unit, a.room,
  a.tariff_code, a.status, a.opened_at, a.closed_at, a.created_at`;

export interface Address {
  community: string;
  building: string;
  unit: string;
  room: string;
}

export const addressText = (a: Address): string => [a.community, a.building, a.unit, a.room].filter((s) => s !== '').join(' ');

export const presentAccount = (a: AccountRow) => ({
  id: Number(a.id),
  accountNo: a.account_no,
  status: a.status,
  nature: a.nature,
  householdSize: a.household_size,
  householdId: a.household_id === null ? null : Number(a.household_id),
  address: { community: a.community, building: a.building, unit: a.unit, room: a.room },
  tariffCode: a.tariff_code,
  openedAt: iso(a.opened_at),
  closedAt: iso(a.closed_at),
  createdAt: iso(a.created_at),
});

/**
 * Prefix search as a range of leakproof comparisons (usable as index conditions under row-level security):
 * the text after every text starting with `prefix`, for ASCII prefixes (its last character moved up by one).
 */
export const prefixEnd = (prefix: string): string => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

/** Lower-cased, whitespace removed: what the search compares. */
export const searchNormal = (s: string): string => s.toLowerCase().replace(/\s+/g, '');

/** The characters and character pairs of `text` (code points, distinct). */
export function gramsOf(text: string): string[] {
  const chars = Array.from(text);
  const grams = new Set<string>(chars);
  for (let i = 0; i + 1 < chars.length; i++) grams.add(chars[i]! + chars[i + 1]!);
  return [...grams];
}

/** The grams a search token needs (a single character, or its pairs), at most 16 of them (the substring check does the rest). */
export function tokenGrams(token: string): string[] {
  const chars = Array.from(token);
  if (chars.length === 1) return chars;
  const grams = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) grams.add(chars[i]! + chars[i + 1]!);
  return [...grams].slice(0, 16);
}

/**
 * An account's search text: the customer's name, then the address without separators, after a separator
 * that no typed text contains (so a match never spans the name and the address); and its grams.
 */
export function searchFieldsOf(customerName: string, address: Address): { text: string; grams: string[] } {
  const text = `${searchNormal(customerName)}\u0001${searchNormal(address.community + address.building + address.unit + address.room)}`;
  return { text, grams: gramsOf(text).filter((g) => !g.includes('\u0001')) };
}

/** Writes an account's search text and replaces its grams in `account_grams`. */
export async function writeSearch(tx: PackTx, tenant: { id: number; path: string }, accountId: string, customerName: string, address: Address): Promise<void> {
  const fields = searchFieldsOf(customerName, address);
  await tx.query(`update pack_billing.accounts set search_text = $1 where id = $2::bigint`, [fields.text, accountId]);
  await tx.query(`delete from pack_billing.account_grams where tenant_id = $1 and account_id = $2::bigint`, [tenant.id, accountId]);
  await tx.query(
    `insert into pack_billing.account_grams (tenant_id, tenant_path, gram, account_id) select $1, $2::ltree, g, $3::bigint from unnest($4::text[]) g`,
    [tenant.id, tenant.path, accountId, fields.grams],
  );
}

/** The tenant's account, optionally locked (the pack's lock order: the account row first). */
export async function accountById(tx: PackTx, tenantId: number, id: string, lock = false): Promise<AccountRow | null> {
  const [row] = await tx.query<AccountRow>(`select ${ACCOUNT_COLUMNS} from pack_billing.accounts a where a.id = $1::bigint and a.tenant_id = $2${lock ? ' for update' : ''}`, [id, tenantId]);
  return row ?? null;
}

export async function requireAccount(tx: PackTx, tenantId: number, id: string, path: string, lock = false): Promise<AccountRow> {
  const account = await accountById(tx, tenantId, id, lock);
  if (!account) throw notFound(l(`没有账户 ${id}`, `No account ${id}`), path);
  return account;
}

export async function customerById(tx: PackTx, tenantId: number, id: string): Promise<CustomerRow | null> {
  const [row] = await tx.query<CustomerRow>(`select ${CUSTOMER_COLUMNS} from pack_billing.customers c where c.id = $1::bigint and c.tenant_id = $2`, [id, tenantId]);
  return row ?? null;
}

/** Rewrites an account's search text after its customer changed (过户). */
export async function refreshSearch(tx: PackTx, tenant: { id: number; path: string }, accountId: string): Promise<void> {
  const [row] = await tx.query<{ name: string; community: string; building: string; unit: string; room: string }>(
    `select c.name, a.community, a.building, a.unit, a.room from pack_billing.accounts a join pack_billing.customers c on c.id = a.customer_id where a.id = $1::bigint`,
    [accountId],
  );
  if (row) await writeSearch(tx, tenant, accountId, row.name, row);
}

/**
 * One page of `select` (a statement without order or limit, its parameters in `p`), ordered by `order`,
 * (in the names of its output columns) and the total it would list (a window count; counted again when the page is past the end).
 */
export async function pageRows<T>(tx: PackTx, select: string, order: string, p: Params, query: { page: number; pageSize: number }): Promise<{ rows: T[]; total: number }> {
  const filters = p.values.length;
  const rows = await tx.query<T & { full_count: number }>(
    `select x.*, count(*) over ()::int as full_count from (${select}) x order by ${order}
      limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
    p.values,
  );
  let total = rows[0]?.full_count ?? 0;
  if (rows.length === 0 && query.page > 1) {
    const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from (${select}) x`, p.values.slice(0, filters));
    total = count!.n;
  }
  return { rows, total };
}
