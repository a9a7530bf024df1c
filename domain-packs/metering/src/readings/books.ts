/**
 * 抄表册: a reader's round. The mobile list is the book's meters (those still on the wall), each with its
 * household's address and its last reading — from the pack's readings or, for a remote meter, the
 * analytics store, whichever is later.
 */
import { defineRoute, PackError } from '@shuiyun/sdk';
import { BOOK, HOUSEHOLD, METER } from '../archive/entities.js';
import { bookById, bookOf, meterOf, type Meter } from './archive.js';
import { toDate } from './context.js';
import { idParam, pathId } from './http.js';
import { requestMessages } from './messages.js';
import { ENTER, READ } from './permissions.js';

interface LastReading {
  readingId: number | null;
  readAt: string;
  valueL: string;
  source: string;
  status: string;
}

const address = (d: Record<string, unknown>) => [d.community, d.building, d.unit, d.room].filter((p) => typeof p === 'string' && p !== '').join(' ');

export const bookRoutes = [
  defineRoute({
    method: 'get',
    path: '/books/:id/meters',
    permission: READ,
    summary: 'The meters of a reading book still in place, with household and last reading, for the reader’s round',
    params: idParam,
    handler: async ({ params }, services) => {
      const id = pathId(params.id, requestMessages.book_not_found);
      const tenantId = services.tenant.id;
      const found = await services.transaction(async (tx) => {
        const book = await bookById(tx, tenantId, id);
        if (!book) throw new PackError('not_found', requestMessages.book_not_found(params.id), 'params.id');
        const meterRows = await tx.query<{ id: string; data: Record<string, unknown> }>(
          `select id, data from public.entity_records
            where entity = '${METER}' and tenant_id = $1 and (data->>'book') = $2 and coalesce(data->>'status', '') not in ('swapped', 'retired')
            order by data->>'meterNo', id`,
          [tenantId, id.toString()],
        );
        const meters = meterRows.map(meterOf);
        const ids = meters.map((m) => m.id.toString());
        const householdIds = [...new Set(meters.flatMap((m) => (m.household === null ? [] : [m.household.toString()])))];
        const households = householdIds.length === 0 ? [] : await tx.query<{ id: string; data: Record<string, unknown> }>(
          `select id, data from public.entity_records where entity = '${HOUSEHOLD}' and tenant_id = $1 and id = any($2::bigint[])`,
          [tenantId, householdIds],
        );
        const last = ids.length === 0 ? [] : await tx.query<{ meter_id: string; id: string; read_at: Date | string; value_l: string; source: string; status: string }>(
          `select distinct on (meter_id) meter_id, id, read_at, value_l, source, status from pack_metering.readings
            where tenant_id = $1 and meter_id = any($2::bigint[]) and status in ('valid', 'review')
            order by meter_id, read_at desc, id desc`,
          [tenantId, ids],
        );
        return { book, meters, households, last };
      });
      const lastOf = new Map<string, LastReading>(
        found.last.map((r) => [r.meter_id, { readingId: Number(r.id), readAt: toDate(r.read_at).toISOString(), valueL: r.value_l, source: r.source, status: r.status }]),
      );
      const devices = found.meters.flatMap((m) => (m.device === null ? [] : [m.device]));
      if (devices.length > 0) {
        const remote = await services.analytics.query<{ device: string; last_milli: string; last_at: string }>(
          `SELECT device, argMax(milli, at) AS last_milli, max(at) AS last_at FROM {{readings}}
           WHERE device IN {devices:Array(String)} AND metric = 'cumulative_volume' GROUP BY device`,
          { devices },
        );
        const byDevice = new Map(remote.map((r) => [r.device, r]));
        for (const m of found.meters) {
          const r = m.device === null ? undefined : byDevice.get(m.device);
          if (!r) continue;
          const at = new Date(`${r.last_at.replace(' ', 'T')}Z`);
          const mine = lastOf.get(m.id.toString());
          if (!mine || new Date(mine.readAt) < at) {
            lastOf.set(m.id.toString(), { readingId: null, readAt: at.toISOString(), valueL: (BigInt(r.last_milli) / 1000n).toString(), source: 'remote', status: 'valid' });
          }
        }
      }
      const householdOf = new Map(found.households.map((h) => [h.id, h.data]));
      const { book } = found;
      return {
        book: { id: Number(book.id), code: book.code, name: book.name, reader: book.reader, community: book.community },
        items: found.meters.map((m: Meter) => {
          const h = m.household === null ? undefined : householdOf.get(m.household.toString());
          return {
            meterId: Number(m.id),
            meterNo: m.meterNo,
            kind: m.kind,
            status: m.status,
            household: h ? { id: Number(m.household), accountNo: h.accountNo ?? null, name: h.name ?? null, address: address(h) } : null,
            lastReading: lastOf.get(m.id.toString()) ?? null,
          };
        }),
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/my-books',
    permission: ENTER,
    summary: 'The reading books whose reader is the signed-in user, with how many meters each holds',
    handler: async (_input, services) =>
      services.transaction(async (tx) => {
        const username = services.user?.username ?? '';
        const rows = await tx.query<{ id: string; data: Record<string, unknown>; meters: number }>(
          `select b.id, b.data,
                  (select count(*)::int from public.entity_records m
                    where m.entity = '${METER}' and m.tenant_id = b.tenant_id and (m.data->>'book') = b.id::text
                      and coalesce(m.data->>'status', '') not in ('swapped', 'retired')) as meters
             from public.entity_records b
            where b.entity = '${BOOK}' and b.tenant_id = $1 and (b.data->>'reader') = $2
            order by b.data->>'code', b.id`,
          [services.tenant.id, username],
        );
        return {
          items: rows.map((r) => {
            const book = bookOf(r);
            return { id: Number(book.id), code: book.code, name: book.name, reader: book.reader, community: book.community, meters: r.meters };
          }),
        };
      }),
  }),
];
