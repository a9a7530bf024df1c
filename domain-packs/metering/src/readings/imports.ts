/**
 * 集中器导入: a concentrator's (or a reading contractor's) file of readings, CSV or XLSX. Good rows are
 * recorded like hand readings (source `import`, validated, flagged ones to review); bad rows are
 * reported with their row number and field in zh-CN and en. The batch and its report are kept in
 * `import_batches`.
 */
import { defineRoute, PackError, type PackServices, type PackTx } from '@shuiyun/sdk';
import { metersByNo, type Meter } from './archive.js';
import { CLOCK_SKEW_MS } from './hand.js';
import { anyBody, anyQuery, bodyOf, checkQuery, idParam, pagingOf, pathId } from './http.js';
import { type Bilingual, fieldMessages, type FieldCode, invalid, parsedMessage, requestMessages } from './messages.js';
import { IMPORT, READ } from './permissions.js';
import { readCsv, readXlsx, type Cell, type SheetRow } from './sheet.js';
import { recordReading } from './store.js';
import { parseReadingTime, wallToInstant } from './time.js';
import { parseCubicMetres, parseLitres, type Parsed } from './values.js';
import { toDate } from './context.js';

export const IMPORT_MAX_BYTES = 10 * 1024 * 1024;
export const IMPORT_MAX_ROWS = 20_000;

type Column = 'meterNo' | 'readAt' | 'valueL' | 'valueM3';

/** Header names a file may use for each column (compared without case, spaces, and with full-width brackets folded). */
const headerNames: Record<Column, readonly string[]> = {
  meterNo: ['meterno', 'meter_no', 'meter', '表号', '水表号', '水表编号'],
  readAt: ['readat', 'read_at', 'readtime', '抄表时间', '读数时间', '时间'],
  valueL: ['valuel', 'value_l', 'litres', 'liters', '读数(升)', '读数(l)', '表码(升)'],
  valueM3: ['valuem3', 'value_m3', '读数(m³)', '读数(m3)', '表码(m³)', '表码(m3)', '读数'],
};

const foldHeader = (text: string) => text.toLowerCase().replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')');

export interface RowError {
  row: number;
  field: Column | 'file';
  code: FieldCode;
  messages: Bilingual;
}

const FIELD_ORDER: Record<RowError['field'], number> = { file: 0, meterNo: 1, readAt: 2, valueL: 3, valueM3: 3 };

/** A row error's message, prefixed with its row: 「第 3 行：…」 / "Row 3: …". */
function rowError(row: number, field: RowError['field'], code: FieldCode, message: Bilingual): RowError {
  return { row, field, code, messages: { 'zh-CN': `第 ${row} 行：${message['zh-CN']}`, en: `Row ${row}: ${message.en}` } };
}

const cellText = (cell: Cell | undefined): string => {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) return cell.toISOString();
  return String(cell).trim();
};

/** An XLSX date cell holds the wall-clock time typed: its UTC fields, read in the tenant's zone. */
function cellTime(cell: Cell | undefined, timeZone: string): Date | null {
  if (cell instanceof Date) {
    return wallToInstant(
      { year: cell.getUTCFullYear(), month: cell.getUTCMonth() + 1, day: cell.getUTCDate(), hour: cell.getUTCHours(), minute: cell.getUTCMinutes(), second: cell.getUTCSeconds(), millisecond: cell.getUTCMilliseconds() },
      timeZone,
    );
  }
  return typeof cell === 'string' ? parseReadingTime(cell, timeZone) : null;
}

interface CheckedRow {
  row: number;
  meterNo: string;
  at: Date | null;
  valueL: bigint | null;
  errors: RowError[];
}

type GoodRow = CheckedRow & { at: Date; valueL: bigint };

/** Rows of a file checked on their own (fields, repeats within the file); meters are resolved after. */
export function checkRows(rows: SheetRow[], timeZone: string, now = new Date()): { rows: CheckedRow[] } | { missing: string[] } {
  const [head, ...data] = rows;
  const header: Record<Column, number | undefined> = { meterNo: undefined, readAt: undefined, valueL: undefined, valueM3: undefined };
  (head?.cells ?? []).forEach((cell, i) => {
    const name = foldHeader(cellText(cell));
    for (const column of Object.keys(headerNames) as Column[]) {
      if (header[column] === undefined && headerNames[column].includes(name)) header[column] = i;
    }
  });
  const missing = [
    ...(header.meterNo === undefined ? ['meterNo'] : []),
    ...(header.readAt === undefined ? ['readAt'] : []),
    ...(header.valueL === undefined && header.valueM3 === undefined ? ['valueL / valueM3'] : []),
  ];
  if (missing.length > 0) return { missing };

  const checked: CheckedRow[] = [];
  const firstRowOf = new Map<string, number>();
  for (const { row, cells } of data) {
    const errors: RowError[] = [];
    const fail = (field: Column, code: FieldCode, message: Bilingual) => errors.push(rowError(row, field, code, message));

    const meterNo = cellText(cells[header.meterNo!]);
    if (meterNo === '') fail('meterNo', 'meter_required', fieldMessages.meter_required());

    const timeCell = cells[header.readAt!];
    let at: Date | null = null;
    if (cellText(timeCell) === '') fail('readAt', 'date_required', fieldMessages.date_required());
    else {
      at = cellTime(timeCell, timeZone);
      if (!at) fail('readAt', 'date_bad', fieldMessages.date_bad(cellText(timeCell)));
      else if (at.getTime() > now.getTime() + CLOCK_SKEW_MS) {
        fail('readAt', 'date_future', fieldMessages.date_future(cellText(timeCell)));
        at = null;
      }
    }

    const litresCell = header.valueL === undefined ? undefined : cells[header.valueL];
    const cubicCell = header.valueM3 === undefined ? undefined : cells[header.valueM3];
    const hasLitres = cellText(litresCell) !== '';
    const hasCubic = cellText(cubicCell) !== '';
    let value: Parsed<bigint>;
    let valueField: Column = header.valueL === undefined ? 'valueM3' : 'valueL';
    if (hasLitres && hasCubic) value = { ok: false, code: 'value_ambiguous', text: '' };
    else if (hasCubic) {
      valueField = 'valueM3';
      value = parseCubicMetres(typeof cubicCell === 'number' ? cubicCell : cellText(cubicCell));
    } else value = parseLitres(typeof litresCell === 'number' ? litresCell : cellText(litresCell));
    if (!value.ok) fail(valueField, value.code, parsedMessage(value.code, value.text));

    if (meterNo !== '' && at) {
      const key = `${meterNo}\u0000${at.getTime()}`;
      const first = firstRowOf.get(key);
      if (first !== undefined) fail('readAt', 'duplicate_row', fieldMessages.duplicate_row(first));
      else firstRowOf.set(key, row);
    }
    checked.push({ row, meterNo, at, valueL: value.ok ? value.value : null, errors });
  }
  return { rows: checked };
}

function presentErrors(errors: RowError[], locale: PackServices['locale']) {
  return errors.map((e) => ({ row: e.row, field: e.field, code: e.code, message: e.messages[locale], messages: e.messages }));
}

interface BatchRow {
  id: string;
  file_name: string;
  format: string;
  total: number;
  accepted: number;
  rejected: number;
  errors: RowError[] | string;
  created_by: string | null;
  created_at: Date | string;
  review?: number | null;
}

function presentBatch(row: BatchRow, locale: PackServices['locale'], withErrors = true) {
  const errors = typeof row.errors === 'string' ? (JSON.parse(row.errors) as RowError[]) : row.errors;
  return {
    batchId: Number(row.id),
    fileName: row.file_name,
    format: row.format,
    total: row.total,
    accepted: row.accepted,
    rejected: row.rejected,
    review: Number(row.review ?? 0),
    createdBy: row.created_by === null ? null : Number(row.created_by),
    createdAt: toDate(row.created_at).toISOString(),
    ...(withErrors ? { errors: presentErrors(errors, locale) } : {}),
  };
}

/** The file of a `POST /imports` body, decoded and size-checked. */
export function fileOf(body: unknown): { fileName: string; format: 'csv' | 'xlsx'; bytes: Uint8Array } {
  const b = bodyOf(body, ['fileName', 'format', 'content']);
  if (typeof b.fileName !== 'string' || b.fileName.trim() === '' || b.fileName.length > 255) throw invalid(requestMessages.file_name_bad(), 'body.fileName');
  if (b.format !== 'csv' && b.format !== 'xlsx') throw invalid(requestMessages.format_bad(), 'body.format');
  if (typeof b.content !== 'string') throw invalid(requestMessages.content_bad(), 'body.content');
  const content = b.content.replace(/\s+/g, '');
  if (Math.floor((content.length * 3) / 4) - (content.endsWith('==') ? 2 : content.endsWith('=') ? 1 : 0) > IMPORT_MAX_BYTES) {
    throw invalid(requestMessages.content_too_large(IMPORT_MAX_BYTES / 1024 / 1024), 'body.content');
  }
  if (content.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) throw invalid(requestMessages.content_bad(), 'body.content');
  return { fileName: b.fileName.trim(), format: b.format, bytes: new Uint8Array(Buffer.from(content, 'base64')) };
}

/**
 * Resolves the rows' meters (an unknown one is a row error), then records the rows without errors meter by
 * meter in time order, so each is validated against the one before it. Answers every row error, sorted.
 */
async function recordRows(tx: PackTx, services: PackServices, rows: CheckedRow[], batchId: bigint): Promise<{ accepted: number; review: number; errors: RowError[] }> {
  const meters: Map<string, Meter> = await metersByNo(tx, services.tenant.id, rows.filter((r) => r.meterNo !== '').map((r) => r.meterNo), true);
  for (const r of rows) {
    if (r.meterNo !== '' && !meters.has(r.meterNo)) r.errors.unshift(rowError(r.row, 'meterNo', 'meter_unknown', fieldMessages.meter_unknown(r.meterNo)));
  }
  const errors = rows.flatMap((r) => r.errors);
  const good = rows.filter((r): r is GoodRow => r.errors.length === 0 && r.at !== null && r.valueL !== null);
  good.sort((a, b) => (a.meterNo < b.meterNo ? -1 : a.meterNo > b.meterNo ? 1 : a.at.getTime() - b.at.getTime() || a.row - b.row));
  let accepted = 0;
  let review = 0;
  for (const g of good) {
    const outcome = await recordReading(tx, services, meters.get(g.meterNo)!, { at: g.at, valueL: g.valueL, source: 'import', batchId });
    if (outcome.kind === 'created') {
      accepted++;
      if (outcome.row.status === 'review') review++;
    } else if (outcome.kind === 'existing') {
      errors.push(rowError(g.row, 'readAt', 'exists', fieldMessages.exists(Number(outcome.row.id))));
    } else {
      errors.push(rowError(g.row, outcome.field === 'meterId' ? 'meterNo' : 'readAt', outcome.code, outcome.message));
    }
  }
  errors.sort((a, b) => a.row - b.row || FIELD_ORDER[a.field] - FIELD_ORDER[b.field]);
  return { accepted, review, errors };
}

export const importRoutes = [
  defineRoute({
    method: 'post',
    path: '/imports',
    permission: IMPORT,
    summary: '集中器导入: a CSV or XLSX file (base64) of meterNo, readAt, valueL or valueM3; answers the batch with every refused row',
    body: anyBody,
    status: 201,
    handler: async ({ body }, services) => {
      const file = fileOf(body);
      const sheet = file.format === 'csv' ? readCsv(file.bytes, IMPORT_MAX_ROWS) : await readXlsx(file.bytes, IMPORT_MAX_ROWS);
      if (!sheet.ok) throw invalid(sheet.reason === 'too_many_rows' ? requestMessages.too_many_rows(IMPORT_MAX_ROWS) : requestMessages.file_unreadable(file.format.toUpperCase()), 'body.content');
      const checked = checkRows(sheet.rows, services.tenant.timeZone);
      if ('missing' in checked) throw invalid(requestMessages.columns_missing(checked.missing.join(', ')), 'body.content');
      if (checked.rows.length === 0) throw invalid(requestMessages.file_empty(), 'body.content');
      return services.transaction(async (tx) => {
        const [batch] = await tx.query<{ id: string }>(
          `insert into pack_metering.import_batches (tenant_id, tenant_path, file_name, format, total, accepted, rejected, created_by)
           values ($1, $2::ltree, $3, $4, $5, 0, 0, $6::bigint) returning id`,
          [services.tenant.id, services.tenant.path, file.fileName, file.format, checked.rows.length, services.user ? String(services.user.id) : null],
        );
        const batchId = BigInt(batch!.id);
        const { accepted, review, errors } = await recordRows(tx, services, checked.rows, batchId);
        const rejected = new Set(errors.map((e) => e.row)).size;
        const [row] = await tx.query<BatchRow>(
          `update pack_metering.import_batches set accepted = $1, rejected = $2, errors = $3::jsonb where id = $4::bigint returning *`,
          [accepted, rejected, JSON.stringify(errors), batchId.toString()],
        );
        return presentBatch({ ...row!, review }, services.locale);
      });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/imports',
    permission: READ,
    summary: 'Import batches of the tenant, newest first (without their row errors)',
    query: anyQuery,
    handler: async ({ query }, services) => {
      checkQuery(query, ['page', 'pageSize']);
      const paging = pagingOf(query);
      return services.transaction(async (tx) => {
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_metering.import_batches where tenant_id = $1`, [services.tenant.id]);
        const rows = await tx.query<BatchRow>(
          `select b.*, (select count(*)::int from pack_metering.readings r where r.tenant_id = b.tenant_id and r.batch_id = b.id and cardinality(r.violations) > 0) as review
             from pack_metering.import_batches b where b.tenant_id = $1 order by b.id desc limit ${paging.pageSize} offset ${paging.offset}`,
          [services.tenant.id],
        );
        return { items: rows.map((r) => presentBatch(r, services.locale, false)), total: Number(count?.n ?? 0), page: paging.page, pageSize: paging.pageSize };
      });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/imports/:id',
    permission: READ,
    summary: 'One import batch with every refused row, in the caller’s language',
    params: idParam,
    handler: async ({ params }, services) => {
      const id = pathId(params.id, requestMessages.import_not_found);
      return services.transaction(async (tx) => {
        const [row] = await tx.query<BatchRow>(
          `select b.*, (select count(*)::int from pack_metering.readings r where r.tenant_id = b.tenant_id and r.batch_id = b.id and cardinality(r.violations) > 0) as review
             from pack_metering.import_batches b where b.id = $1::bigint and b.tenant_id = $2`,
          [id.toString(), services.tenant.id],
        );
        if (!row) throw new PackError('not_found', requestMessages.import_not_found(params.id), 'params.id');
        return presentBatch(row, services.locale);
      });
    },
  }),
];
