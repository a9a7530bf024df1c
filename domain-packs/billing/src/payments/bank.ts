/**
 * 银行代收文件: a bank's collection file booked row by row. The file is CSV text with the columns
 * `bank_ref, account_no, amount, paid_at` (a header line naming them is skipped): the bank's reference,
 * the account number, the amount in yuan with at most 2 decimals, and when it was paid (ISO 8601 with an
 * offset, or the tenant's local `YYYY-MM-DD HH:mm[:ss]`). Each row books a bank payment once — the bank
 * reference is its external reference, so a file imported twice books nothing the second time: those rows
 * count as duplicates. Bad rows (unknown or closed account, bad amount or time, missing fields) are listed
 * with their line and a zh-CN and en message; the others are booked. Rows are booked in account order
 * (the pack's lock order), one `bank_imports` row records the counts.
 */
import { parse } from 'csv-parse/sync';
import { defineRoute, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { compareIds, parseYuan } from '../domain/index.js';
import { idParams, invalid, iso, l, notFound, page, Params, PERMISSIONS, text } from '../shared.js';
import { bookPayment } from './book.js';
import { periodClosedRefusal } from './counter.js';

type Bilingual = { 'zh-CN': string; en: string };

/** Why a row of a bank file is refused, in both languages. */
export const bankRowMessages = {
  columns: (n: number) => l(`应有 4 列（银行流水号、户号、金额、缴费时间），实有 ${n} 列`, `Expected 4 columns (bank reference, account number, amount, paid at), found ${n}`),
  ref_required: () => l('缺少银行流水号', 'The bank reference is missing'),
  ref_bad: (ref: string) => l(`银行流水号「${ref}」过长或含非法字符`, `The bank reference "${ref}" is too long or has characters not allowed`),
  account_required: () => l('缺少户号', 'The account number is missing'),
  account_unknown: (no: string) => l(`户号 ${no} 不存在`, `There is no account ${no}`),
  account_closed: (no: string) => l(`户号 ${no} 已销户，不能入账`, `Account ${no} is closed and takes no payments`),
  amount_bad: (text: string) => l(`金额「${text}」不是最多两位小数的元金额`, `The amount "${text}" is not yuan with at most 2 decimals`),
  amount_not_positive: (text: string) => l(`金额 ${text} 必须大于 0`, `The amount ${text} must be more than 0`),
  paid_at_bad: (text: string) => l(`缴费时间「${text}」格式不正确，应为 ISO 8601 或 YYYY-MM-DD HH:mm[:ss]`, `The payment time "${text}" is not ISO 8601 or YYYY-MM-DD HH:mm[:ss]`),
  repeated_in_file: (line: number) => l(`与第 ${line} 行银行流水号重复`, `Repeats the bank reference of line ${line}`),
} as const;

export interface BankRowError {
  line: number;
  bankRef: string | null;
  code: keyof typeof bankRowMessages;
  message: Bilingual;
}

interface GoodRow {
  line: number;
  bankRef: string;
  accountNo: string;
  amountFen: bigint;
  paidAtText: string;
  /** Local wall time (no offset): converted in the tenant's zone. */
  local: boolean;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/;
const REF = /^[A-Za-z0-9_.:/-]{1,64}$/;

/** Reads the file's rows: the good ones, and the errors of the others (line numbers are the file's, 1-based). */
export function readBankFile(content: string): { rows: GoodRow[]; errors: BankRowError[]; total: number } {
  const records = parse(content.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, trim: true, info: true }) as { record: string[]; info: { lines: number } }[];
  const rows: GoodRow[] = [];
  const errors: BankRowError[] = [];
  const seen = new Map<string, number>();
  let total = 0;
  records.forEach(({ record, info }, index) => {
    if (index === 0 && /^bank[_ ]?ref$|^银行流水号$/i.test(record[0] ?? '')) return;
    total += 1;
    const line = info.lines;
    const fail = (code: keyof typeof bankRowMessages, message: Bilingual, bankRef: string | null) => errors.push({ line, bankRef, code, message });
    if (record.length !== 4) return fail('columns', bankRowMessages.columns(record.length), record[0] ?? null);
    const [bankRef, accountNo, amount, paidAt] = record as [string, string, string, string];
    if (!bankRef) return fail('ref_required', bankRowMessages.ref_required(), null);
    if (!REF.test(bankRef)) return fail('ref_bad', bankRowMessages.ref_bad(bankRef.slice(0, 80)), bankRef.slice(0, 80));
    if (!accountNo) return fail('account_required', bankRowMessages.account_required(), bankRef);
    let amountFen: bigint;
    try {
      amountFen = parseYuan(amount);
    } catch {
      return fail('amount_bad', bankRowMessages.amount_bad(amount.slice(0, 40)), bankRef);
    }
    if (amountFen <= 0n) return fail('amount_not_positive', bankRowMessages.amount_not_positive(amount), bankRef);
    const iso8601 = ISO_WITH_OFFSET.test(paidAt);
    if ((!iso8601 && !LOCAL_TIME.test(paidAt)) || (iso8601 && Number.isNaN(new Date(paidAt).getTime())) || (!iso8601 && Number.isNaN(new Date(`${paidAt.replace(' ', 'T')}Z`).getTime()))) {
      return fail('paid_at_bad', bankRowMessages.paid_at_bad(paidAt.slice(0, 40)), bankRef);
    }
    const first = seen.get(bankRef);
    if (first !== undefined) return fail('repeated_in_file', bankRowMessages.repeated_in_file(first), bankRef);
    seen.set(bankRef, line);
    rows.push({ line, bankRef, accountNo, amountFen, paidAtText: paidAt, local: !iso8601 });
  });
  return { rows, errors, total };
}

interface ImportRow {
  id: string;
  file_name: string;
  total: number;
  booked: number;
  duplicates: number;
  rejected: number;
  amount_fen: string;
  errors: BankRowError[];
  created_by: string | null;
  created_at: Date | string;
}
const IMPORT_COLUMNS = `id::text, file_name, total, booked, duplicates, rejected, amount_fen::text, errors, created_by::text, created_at`;
const presentImport = (r: ImportRow, withErrors = true) => ({
  id: Number(r.id),
  fileName: r.file_name,
  total: r.total,
  booked: r.booked,
  duplicates: r.duplicates,
  rejected: r.rejected,
  amountFen: text(r.amount_fen),
  ...(withErrors ? { errors: r.errors } : { errorCount: r.errors.length }),
  createdBy: r.created_by === null ? null : Number(r.created_by),
  createdAt: iso(r.created_at),
});

/** Books a bank file in the caller's transaction; answers the import row. */
export async function importBankFile(tx: PackTx, services: PackServices, fileName: string, content: string): Promise<ImportRow> {
  const tenant = services.tenant;
  const { rows, errors, total } = readBankFile(content);
  const numbers = [...new Set(rows.map((r) => r.accountNo))];
  const accounts = numbers.length
    ? await tx.query<{ id: string; account_no: string; status: string }>(`select id::text, account_no, status from pack_billing.accounts where tenant_id = $1 and account_no = any($2::text[])`, [tenant.id, numbers])
    : [];
  const byNo = new Map(accounts.map((a) => [a.account_no, a]));
  // Local wall times → instants in the tenant's zone, all at once.
  const times = rows.length
    ? await tx.query<{ at: Date | string }>(
        `select case when l = 'local' then (t::timestamp at time zone $3) else t::timestamptz end as at from unnest($1::text[], $2::text[]) with ordinality as x(t, l, o) order by o`,
        [rows.map((r) => r.paidAtText.replace(' ', 'T')), rows.map((r) => (r.local ? 'local' : 'offset')), tenant.timeZone],
      )
    : [];
  const bookable: (GoodRow & { accountId: string; paidAt: Date })[] = [];
  rows.forEach((r, i) => {
    const account = byNo.get(r.accountNo);
    if (!account) errors.push({ line: r.line, bankRef: r.bankRef, code: 'account_unknown', message: bankRowMessages.account_unknown(r.accountNo) });
    else if (account.status === 'closed') errors.push({ line: r.line, bankRef: r.bankRef, code: 'account_closed', message: bankRowMessages.account_closed(r.accountNo) });
    else bookable.push({ ...r, accountId: account.id, paidAt: new Date(times[i]!.at) });
  });
  // Every account of the file locked first, in id order, before any receipt number is taken: the pack's lock
  // order (accounts, then charges, then the receipt series), so a file and the counter cannot deadlock.
  bookable.sort((a, b) => compareIds(a.accountId, b.accountId) || a.line - b.line);
  const lockIds = [...new Set(bookable.map((r) => r.accountId))];
  if (lockIds.length) await tx.query(`select id from pack_billing.accounts where id = any($1::bigint[]) order by id for update`, [lockIds]);
  let booked = 0;
  let duplicates = 0;
  let amount = 0n;
  for (const r of bookable) {
    const outcome = await bookPayment(tx, tenant, {
      accountId: r.accountId,
      channel: 'bank',
      amountFen: r.amountFen,
      externalRef: r.bankRef,
      cashierId: services.user?.id ?? null,
      note: `${fileName}:${r.line}`,
      paidAt: r.paidAt,
    }).catch(periodClosedRefusal);
    if (outcome.kind === 'booked') {
      booked += 1;
      amount += r.amountFen;
    } else if (outcome.kind === 'replayed') duplicates += 1;
    else errors.push({ line: r.line, bankRef: r.bankRef, code: 'account_closed', message: bankRowMessages.account_closed(r.accountNo) });
  }
  errors.sort((a, b) => a.line - b.line);
  const [row] = await tx.query<ImportRow>(
    `insert into pack_billing.bank_imports (tenant_id, tenant_path, file_name, total, booked, duplicates, rejected, amount_fen, errors, created_by)
     values ($1, $2::ltree, $3, $4, $5, $6, $7, $8::bigint, $9::jsonb, $10::bigint) returning ${IMPORT_COLUMNS}`,
    [tenant.id, tenant.path, fileName, total, booked, duplicates, errors.length, amount.toString(), JSON.stringify(errors), services.user?.id ?? null],
  );
  return row!;
}

export const bankRoutes = [
  defineRoute({
    method: 'post',
    path: '/payments/bank-files',
    permission: PERMISSIONS.collect,
    summary: "Import a bank's collection file (CSV: bank_ref, account_no, amount in yuan, paid_at): each row booked once, errors per row",
    status: 201,
    body: z.object({ fileName: z.string().max(255).optional(), content: z.string().max(10_000_000).optional() }),
    handler: async ({ body }, services: PackServices) =>
      services.transaction(async (tx) => {
        const fileName = body.fileName?.trim();
        if (!fileName) throw invalid(l('请填写文件名（不超过 255 字）', 'The file name is required (at most 255 characters)'), 'fileName');
        if (!body.content?.trim()) throw invalid(l('文件内容为空', 'The file is empty'), 'content');
        let row: ImportRow;
        try {
          row = await importBankFile(tx, services, fileName, body.content);
        } catch (error) {
          if (error instanceof Error && 'code' in error && String((error as { code?: unknown }).code).startsWith('CSV_')) {
            throw invalid(l(`CSV 格式错误：${error.message}`, `The CSV cannot be read: ${error.message}`), 'content');
          }
          throw error;
        }
        return presentImport(row);
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/payments/bank-files',
    permission: PERMISSIONS.paymentsRead,
    summary: 'Bank files imported, newest first, with their counts',
    query: z.object({ ...page }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const filter = `tenant_id = ${p.add(services.tenant.id)}`;
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.bank_imports where ${filter}`, p.values);
        const rows = await tx.query<ImportRow>(
          `select ${IMPORT_COLUMNS} from pack_billing.bank_imports where ${filter} order by id desc limit ${p.add(query.pageSize)} offset ${p.add((query.page - 1) * query.pageSize)}`,
          p.values,
        );
        return { items: rows.map((r) => presentImport(r, false)), total: count!.n, page: query.page, pageSize: query.pageSize };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/payments/bank-files/:id',
    permission: PERMISSIONS.paymentsRead,
    summary: 'One imported bank file with its row errors',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<ImportRow>(`select ${IMPORT_COLUMNS} from pack_billing.bank_imports where tenant_id = $1 and id = $2`, [services.tenant.id, params.id]);
        if (!row) throw notFound(l(`没有银行文件导入 ${params.id}`, `No bank file import ${params.id}`), 'id');
        return presentImport(row);
      }),
  }),
];
