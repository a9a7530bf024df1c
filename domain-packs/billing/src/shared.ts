/**
 * What every part of the billing pack shares: bilingual text, `$n` parameter building, money and volume
 * on the wire, paging, and the pack's permission names. Money is integer fen (`bigint`, decimal text on the
 * wire); volumes are integer litres (`bigint`); instants are UTC (`timestamptz`, ISO text on the wire).
 */
import { PackError, type PackTx, type SqlParam } from '@shuiyun/sdk';
import { z } from 'zod';

export const PACK = 'billing';
export const SCHEMA = 'pack_billing';

export const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** `$1`, `$2` … for a statement built in pieces: `p.add(value)` answers the placeholder of the value. */
export class Params {
  readonly values: SqlParam[] = [];
  add(value: SqlParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A period name: a calendar month `YYYY-MM` (the month of metering's settlement period). */
export const PERIOD_PATTERN = /^[1-9][0-9]{3}-(0[1-9]|1[0-2])$/;
export const periodText = z.string().regex(PERIOD_PATTERN, 'a period YYYY-MM');

/** Fen on the wire: an integer, or its digits as text (past 2^53). Never a float. */
export const fenInput = z
  .union([z.string().regex(/^-?[0-9]{1,18}$/, 'whole fen, as digits'), z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER)])
  .transform((v) => BigInt(v));
export const positiveFen = fenInput.refine((v) => v > 0n, 'more than 0 fen');
/** Litres on the wire, as fen. */
export const litresInput = z.union([z.string().regex(/^[0-9]{1,18}$/), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]).transform((v) => BigInt(v));

/** A bigint (or Postgres int8/numeric text) as the wire's decimal text. */
export const text = (value: bigint | string | number | null | undefined): string => (value === null || value === undefined ? '0' : BigInt(value).toString());

export const page = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
};
export const idParams = z.object({ id: z.coerce.number().int().positive() });

export const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
export const iso = (value: Date | string | null | undefined): string | null => (value === null || value === undefined ? null : toDate(value).toISOString());

/** The pack's permissions, by area. A route declares one; roles in presentation.ts grant them. */
export const PERMISSIONS = {
  accountsRead: 'billing.accounts:read',
  accountsWrite: 'billing.accounts:write',
  accountsApprove: 'billing.accounts:approve',
  tariffsRead: 'billing.tariffs:read',
  tariffsWrite: 'billing.tariffs:write',
  billsRead: 'billing.bills:read',
  billsRun: 'billing.bills:run',
  adjust: 'billing.bills:adjust',
  adjustApprove: 'billing.bills:approve',
  collect: 'billing.payments:collect',
  paymentsRead: 'billing.payments:read',
  paymentsApprove: 'billing.payments:approve',
  arrearsRead: 'billing.arrears:read',
  arrearsManage: 'billing.arrears:manage',
  arrearsApprove: 'billing.arrears:approve',
  financeRead: 'billing.finance:read',
  financeClose: 'billing.finance:close',
  receipts: 'billing.receipts:issue',
  receiptsVoid: 'billing.receipts:void',
} as const;

export const notFound = (what: { 'zh-CN': string; en: string }, path?: string) => new PackError('not_found', what, path);
export const conflict = (what: { 'zh-CN': string; en: string }, path?: string) => new PackError('conflict', what, path);
export const invalid = (what: { 'zh-CN': string; en: string }, path?: string) => new PackError('validation_failed', what, path);

/**
 * One page of a pack table's rows, newest first, with the total: `where` conditions joined by `and`, their
 * values already in `p`. Answers the paged list every list route answers.
 */
export async function pageOf<Row, Item>(
  tx: PackTx,
  options: { table: string; columns: string; where: string[]; p: Params; query: { page: number; pageSize: number }; present: (row: Row) => Item; order?: string },
): Promise<{ items: Item[]; total: number; page: number; pageSize: number }> {
  const { table, columns, where, p, query } = options;
  const filter = where.join(' and ');
  const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from ${table} where ${filter}`, p.values);
  const rows = await tx.query<Row>(
    `select ${columns} from ${table} where ${filter} order by ${options.order ?? 'id desc'} limit ${p.add(query.pageSize)} offset ${p.add((query.page - 1) * query.pageSize)}`,
    p.values,
  );
  return { items: rows.map(options.present), total: count!.n, page: query.page, pageSize: query.pageSize };
}
