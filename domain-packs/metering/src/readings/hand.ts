/**
 * 人工抄表: a reader's hand reading from the field, and the reading lists.
 */
import { defineRoute, PackError, type PackServices, type SqlParam } from '@shuiyun/sdk';
import { meterById } from './archive.js';
import { anyBody, anyQuery, bodyOf, checkQuery, idParam, pagingOf, pathId, queryText } from './http.js';
import { fieldMessages, invalid, parsedMessage, requestMessages } from './messages.js';
import { ENTER, READ, REVIEW } from './permissions.js';
import { presentReading, READING_COLUMNS, readingSources, readingStatuses, recordReading, type ReadingRow } from './store.js';
import { parseReadingTime } from './time.js';
import { parseCoordinate, parseId, parseLitres, parsePhoto, PHOTO_MAX_BYTES } from './values.js';

/** How far ahead of the server's clock a reading time may be (a phone's clock drifts). */
export const CLOCK_SKEW_MS = 10 * 60_000;
const NOTE_MAX = 500;

export interface HandReading {
  meterId: bigint;
  at: Date;
  valueL: bigint;
  photo: string | null;
  latitude: string | null;
  longitude: string | null;
  note: string | null;
}

/** A reading time as sent: text (ISO 8601 or the tenant's wall clock), refused when malformed or in the future. */
export function readingTime(value: unknown, timeZone: string, path: string, now = new Date()): Date {
  if (value === undefined || value === null || value === '') throw invalid(fieldMessages.date_required(), path);
  const at = typeof value === 'string' ? parseReadingTime(value, timeZone) : null;
  if (!at) throw invalid(fieldMessages.date_bad(String(value)), path);
  if (at.getTime() > now.getTime() + CLOCK_SKEW_MS) throw invalid(fieldMessages.date_future(String(value)), path);
  return at;
}

/** The body of `POST /readings`, checked field by field (the first problem is the refusal). */
export function parseHandReading(body: unknown, timeZone: string, now = new Date()): HandReading {
  const b = bodyOf(body, ['meterId', 'readAt', 'valueL', 'photo', 'latitude', 'longitude', 'note']);
  if (b.meterId === undefined || b.meterId === null || b.meterId === '') throw invalid(fieldMessages.meter_required(), 'body.meterId');
  const meterId = parseId(b.meterId);
  if (meterId === null) throw invalid(fieldMessages.meter_id_bad(String(b.meterId)), 'body.meterId');
  const at = readingTime(b.readAt, timeZone, 'body.readAt', now);
  const value = parseLitres(b.valueL);
  if (!value.ok) throw invalid(parsedMessage(value.code, value.text), 'body.valueL');
  let photo: string | null = null;
  if (b.photo !== undefined && b.photo !== null && b.photo !== '') {
    const parsed = parsePhoto(b.photo);
    if (!parsed.ok) throw invalid(parsed.code === 'photo_too_large' ? fieldMessages.photo_too_large(PHOTO_MAX_BYTES / 1024 / 1024) : fieldMessages.photo_bad(), 'body.photo');
    photo = parsed.value;
  }
  const coordinate = (name: 'latitude' | 'longitude', limit: 90 | 180) => {
    const v = b[name];
    if (v === undefined || v === null || v === '') return null;
    const parsed = parseCoordinate(v, limit);
    if (parsed === null) throw invalid(name === 'latitude' ? fieldMessages.latitude_bad() : fieldMessages.longitude_bad(), `body.${name}`);
    return parsed;
  };
  const latitude = coordinate('latitude', 90);
  const longitude = coordinate('longitude', 180);
  let note: string | null = null;
  if (b.note !== undefined && b.note !== null) {
    if (typeof b.note !== 'string' || b.note.length > NOTE_MAX) throw invalid(fieldMessages.note_bad(NOTE_MAX), 'body.note');
    note = b.note.trim() === '' ? null : b.note.trim();
  }
  return { meterId, at, valueL: value.value, photo, latitude, longitude, note };
}

/** The filtered, paged list of the tenant's readings. */
async function listReadings(services: PackServices, query: Record<string, string | string[]>, fixedStatus?: string) {
  checkQuery(query, ['meterId', 'status', 'source', 'from', 'to', 'batchId', 'page', 'pageSize']);
  const paging = pagingOf(query);
  const params: SqlParam[] = [services.tenant.id];
  const where = ['r.tenant_id = $1'];
  const add = (sql: (n: number) => string, value: SqlParam) => {
    params.push(value);
    where.push(sql(params.length));
  };
  for (const name of ['meterId', 'batchId'] as const) {
    const text = queryText(query, name);
    if (text === undefined) continue;
    const id = parseId(text);
    if (id === null) throw invalid(requestMessages.query_bad(name), `query.${name}`);
    add((n) => `r.${name === 'meterId' ? 'meter_id' : 'batch_id'} = $${n}::bigint`, id.toString());
  }
  const status = fixedStatus ?? queryText(query, 'status');
  if (status !== undefined) {
    if (!(readingStatuses as readonly string[]).includes(status)) throw invalid(requestMessages.status_bad(status), 'query.status');
    add((n) => `r.status = $${n}`, status);
  }
  const source = queryText(query, 'source');
  if (source !== undefined) {
    if (!(readingSources as readonly string[]).includes(source)) throw invalid(requestMessages.source_bad(source), 'query.source');
    add((n) => `r.source = $${n}`, source);
  }
  // A bare date as `to` takes in the whole of that local day.
  const bound = (name: 'from' | 'to') => {
    const text = queryText(query, name);
    if (text === undefined) return undefined;
    const wholeDay = name === 'to' && /^\d{4}-\d{2}-\d{2}$/.test(text.trim());
    const at = parseReadingTime(text, services.tenant.timeZone);
    if (!at) throw invalid(requestMessages.query_bad(name), `query.${name}`);
    if (!wholeDay) return { at, strict: false };
    const [y, m, d] = text.trim().split('-').map(Number) as [number, number, number];
    const next = new Date(Date.UTC(y, m - 1, d + 1));
    return { at: parseReadingTime(next.toISOString().slice(0, 10), services.tenant.timeZone)!, strict: true };
  };
  const from = bound('from');
  const to = bound('to');
  if (from && to && from.at > to.at) throw invalid(requestMessages.range_bad(), 'query.from');
  if (from) add((n) => `r.read_at >= $${n}`, from.at);
  if (to) add((n) => `r.read_at ${to.strict ? '<' : '<='} $${n}`, to.at);

  return services.transaction(async (tx) => {
    const filter = where.join(' and ');
    const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_metering.readings r where ${filter}`, params);
    const rows = await tx.query<ReadingRow>(
      `select ${READING_COLUMNS} from pack_metering.readings r
         left join public.entity_records m on m.id = r.meter_id and m.entity = 'metering_meter'
        where ${filter} order by r.read_at desc, r.id desc limit ${paging.pageSize} offset ${paging.offset}`,
      params,
    );
    return { items: rows.map((r) => presentReading(r)), total: Number(count?.n ?? 0), page: paging.page, pageSize: paging.pageSize };
  });
}

export const handRoutes = [
  defineRoute({
    method: 'post',
    path: '/readings',
    permission: ENTER,
    summary: '人工抄表: a hand reading (integer litres), validated against the meter’s history; a repeat answers the reading already recorded',
    body: anyBody,
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const input = parseHandReading(body, services.tenant.timeZone);
        const meter = await meterById(tx, services.tenant.id, input.meterId, true);
        if (!meter) throw new PackError('not_found', fieldMessages.meter_unknown(input.meterId.toString()), 'body.meterId');
        const outcome = await recordReading(tx, services, meter, { ...input, source: 'hand' });
        if (outcome.kind === 'refused') {
          throw new PackError(outcome.code === 'date_before_install' ? 'validation_failed' : 'conflict', outcome.message, `body.${outcome.field}`);
        }
        return { ...presentReading(outcome.row, meter.meterNo), created: outcome.kind === 'created' };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/readings',
    permission: READ,
    summary: 'Readings of the tenant, newest first; filters meterId, status, source, batchId, from, to (ISO or the tenant’s local time; a bare date as to includes that day)',
    query: anyQuery,
    handler: async ({ query }, services) => listReadings(services, query),
  }),
  defineRoute({
    method: 'get',
    path: '/readings/:id',
    permission: READ,
    summary: 'One reading, with its photo',
    params: idParam,
    handler: async ({ params }, services) => {
      const id = pathId(params.id, requestMessages.reading_not_found);
      return services.transaction(async (tx) => {
        const [row] = await tx.query<ReadingRow>(
          `select ${READING_COLUMNS}, r.photo from pack_metering.readings r
             left join public.entity_records m on m.id = r.meter_id and m.entity = 'metering_meter'
            where r.id = $1::bigint and r.tenant_id = $2`,
          [id.toString(), services.tenant.id],
        );
        if (!row) throw new PackError('not_found', requestMessages.reading_not_found(params.id), 'params.id');
        return presentReading(row);
      });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/reviews',
    permission: REVIEW,
    summary: 'Readings waiting for review (复核), with their violations and review process',
    query: anyQuery,
    handler: async ({ query }, services) => listReadings(services, query, 'review'),
  }),
];
