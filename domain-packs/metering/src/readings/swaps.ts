/**
 * 换表: a meter swap. The old meter's final reading and the new meter's initial one are kept in
 * `pack_metering.swaps` so consumption stays continuous across the swap (settlement reads them); the
 * archive's statuses follow: the old meter `swapped`, the new one `in_service`.
 */
import { defineRoute, PackError, type PackServices, type PackTx, type SqlParam } from '@shuiyun/sdk';
import { METER } from '../archive/entities.js';
import { meterById, type Meter } from './archive.js';
import { previousOf, toDate } from './context.js';
import { readingTime } from './hand.js';
import { anyBody, anyQuery, bodyOf, checkQuery, idParam, pagingOf, pathId, queryText } from './http.js';
import { fieldMessages, invalid, parsedMessage, requestMessages } from './messages.js';
import { READ, SWAP } from './permissions.js';
import { parseId, parseLitres } from './values.js';

interface SwapRow {
  id: string;
  old_meter_id: string;
  old_meter_no: string | null;
  new_meter_id: string;
  new_meter_no: string | null;
  swapped_at: Date | string;
  old_final_l: string;
  new_initial_l: string;
  reason: string | null;
  created_by: string | null;
  created_at: Date | string;
}

const SWAP_COLUMNS = `s.id, s.old_meter_id, o.data->>'meterNo' as old_meter_no, s.new_meter_id, n.data->>'meterNo' as new_meter_no,
  s.swapped_at, s.old_final_l, s.new_initial_l, s.reason, s.created_by, s.created_at`;
const SWAP_FROM = `pack_metering.swaps s
  left join public.entity_records o on o.id = s.old_meter_id and o.entity = '${METER}'
  left join public.entity_records n on n.id = s.new_meter_id and n.entity = '${METER}'`;

const presentSwap = (row: SwapRow) => ({
  id: Number(row.id),
  oldMeterId: Number(row.old_meter_id),
  oldMeterNo: row.old_meter_no,
  newMeterId: Number(row.new_meter_id),
  newMeterNo: row.new_meter_no,
  swappedAt: toDate(row.swapped_at).toISOString(),
  oldFinalL: row.old_final_l,
  newInitialL: row.new_initial_l,
  reason: row.reason,
  createdBy: row.created_by === null ? null : Number(row.created_by),
  createdAt: toDate(row.created_at).toISOString(),
});

export interface SwapInput {
  oldMeterId: bigint;
  newMeterId: bigint;
  swappedAt: Date;
  oldFinalL: bigint;
  newInitialL: bigint;
  reason: string;
}

export function parseSwap(body: unknown, timeZone: string): SwapInput {
  const b = bodyOf(body, ['oldMeterId', 'newMeterId', 'swappedAt', 'oldFinalL', 'newInitialL', 'reason']);
  const id = (name: 'oldMeterId' | 'newMeterId') => {
    const v = b[name];
    if (v === undefined || v === null || v === '') throw invalid(fieldMessages.meter_required(), `body.${name}`);
    const parsed = parseId(v);
    if (parsed === null) throw invalid(fieldMessages.meter_id_bad(String(v)), `body.${name}`);
    return parsed;
  };
  const oldMeterId = id('oldMeterId');
  const newMeterId = id('newMeterId');
  if (oldMeterId === newMeterId) throw invalid(requestMessages.swap_same_meter(), 'body.newMeterId');
  const swappedAt = readingTime(b.swappedAt, timeZone, 'body.swappedAt');
  const litres = (name: 'oldFinalL' | 'newInitialL') => {
    const parsed = parseLitres(b[name]);
    if (!parsed.ok) throw invalid(parsedMessage(parsed.code, parsed.text), `body.${name}`);
    return parsed.value;
  };
  const oldFinalL = litres('oldFinalL');
  const newInitialL = litres('newInitialL');
  if (typeof b.reason !== 'string' || b.reason.trim() === '' || b.reason.length > 500) throw invalid(requestMessages.reason_bad(), 'body.reason');
  return { oldMeterId, newMeterId, swappedAt, oldFinalL, newInitialL, reason: b.reason.trim() };
}

/** Merges `patch` into a meter's archive record (a new revision, as an edit in the entity API would make). */
async function patchMeter(tx: PackTx, services: PackServices, meter: Meter, patch: Record<string, unknown>): Promise<void> {
  await tx.query(
    `update public.entity_records set data = data || $1::jsonb, revision = revision + 1, updated_at = now(), updated_by = $2::bigint
      where id = $3::bigint and entity = '${METER}' and tenant_id = $4`,
    [patch, services.user ? String(services.user.id) : null, meter.id.toString(), services.tenant.id],
  );
}

async function recordSwap(tx: PackTx, services: PackServices, input: SwapInput) {
  const tenantId = services.tenant.id;
  // Both rows locked in id order: two swaps naming the same meters wait for each other, never deadlock.
  const [first, second] = input.oldMeterId < input.newMeterId ? [input.oldMeterId, input.newMeterId] : [input.newMeterId, input.oldMeterId];
  const locked = new Map<bigint, Meter | null>();
  locked.set(first, await meterById(tx, tenantId, first, true));
  locked.set(second, await meterById(tx, tenantId, second, true));
  const oldMeter = locked.get(input.oldMeterId);
  if (!oldMeter) throw new PackError('not_found', fieldMessages.meter_unknown(input.oldMeterId.toString()), 'body.oldMeterId');
  const newMeter = locked.get(input.newMeterId);
  if (!newMeter) throw new PackError('not_found', fieldMessages.meter_unknown(input.newMeterId.toString()), 'body.newMeterId');

  const [already] = await tx.query<{ id: string }>(`select id from pack_metering.swaps where tenant_id = $1 and old_meter_id = $2::bigint`, [tenantId, oldMeter.id.toString()]);
  if (already || oldMeter.status === 'swapped') throw new PackError('conflict', requestMessages.swap_again(oldMeter.meterNo), 'body.oldMeterId');
  if (oldMeter.status === 'retired') throw new PackError('conflict', fieldMessages.meter_retired(oldMeter.meterNo), 'body.oldMeterId');
  const [used] = await tx.query<{ id: string }>(`select id from pack_metering.swaps where tenant_id = $1 and new_meter_id = $2::bigint`, [tenantId, newMeter.id.toString()]);
  if (used) throw new PackError('conflict', requestMessages.swap_new_used(newMeter.meterNo), 'body.newMeterId');
  if (newMeter.status === 'swapped' || newMeter.status === 'retired') throw new PackError('conflict', requestMessages.swap_new_unavailable(newMeter.meterNo, newMeter.status), 'body.newMeterId');

  // The last known state of the old register at the swap (its readings, the remote store, its installation base).
  const { previous } = await previousOf(tx, services, oldMeter, new Date(input.swappedAt.getTime() + 1));
  if (previous && input.oldFinalL < previous.valueL) {
    throw new PackError('conflict', requestMessages.swap_final_below(input.oldFinalL.toString(), previous.valueL.toString()), 'body.oldFinalL');
  }

  const [row] = await tx.query<{ id: string }>(
    `insert into pack_metering.swaps (tenant_id, tenant_path, old_meter_id, new_meter_id, swapped_at, old_final_l, new_initial_l, reason, created_by)
     values ($1, $2::ltree, $3::bigint, $4::bigint, $5, $6::bigint, $7::bigint, $8, $9::bigint) returning id`,
    [tenantId, services.tenant.path, oldMeter.id.toString(), newMeter.id.toString(), input.swappedAt, input.oldFinalL, input.newInitialL, input.reason, services.user ? String(services.user.id) : null],
  );
  await patchMeter(tx, services, oldMeter, { status: 'swapped' });
  // The new meter takes the old one's place: its household and reading book unless the archive already gives them.
  const takesOver: Record<string, unknown> = { status: 'in_service' };
  if (newMeter.household === null && oldMeter.household !== null) takesOver.household = Number(oldMeter.household);
  if (newMeter.book === null && oldMeter.book !== null) takesOver.book = Number(oldMeter.book);
  await patchMeter(tx, services, newMeter, takesOver);
  return swapById(tx, tenantId, BigInt(row!.id));
}

async function swapById(tx: PackTx, tenantId: number, id: bigint) {
  const [row] = await tx.query<SwapRow>(`select ${SWAP_COLUMNS} from ${SWAP_FROM} where s.id = $1::bigint and s.tenant_id = $2`, [id.toString(), tenantId]);
  return row ? presentSwap(row) : null;
}

export const swapRoutes = [
  defineRoute({
    method: 'post',
    path: '/swaps',
    permission: SWAP,
    summary: '换表: the old meter’s final and the new meter’s initial reading; the old meter becomes swapped, the new one in service',
    body: anyBody,
    status: 201,
    handler: async ({ body }, services) => {
      const input = parseSwap(body, services.tenant.timeZone);
      return services.transaction((tx) => recordSwap(tx, services, input));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/swaps',
    permission: READ,
    summary: 'Meter swaps of the tenant, newest first; meterId matches the old or the new meter',
    query: anyQuery,
    handler: async ({ query }, services) => {
      checkQuery(query, ['meterId', 'page', 'pageSize']);
      const paging = pagingOf(query);
      const params: SqlParam[] = [services.tenant.id];
      let filter = 's.tenant_id = $1';
      const meterText = queryText(query, 'meterId');
      if (meterText !== undefined) {
        const meterId = parseId(meterText);
        if (meterId === null) throw invalid(requestMessages.query_bad('meterId'), 'query.meterId');
        params.push(meterId.toString());
        filter += ' and (s.old_meter_id = $2::bigint or s.new_meter_id = $2::bigint)';
      }
      return services.transaction(async (tx) => {
        const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_metering.swaps s where ${filter}`, params);
        const rows = await tx.query<SwapRow>(`select ${SWAP_COLUMNS} from ${SWAP_FROM} where ${filter} order by s.swapped_at desc, s.id desc limit ${paging.pageSize} offset ${paging.offset}`, params);
        return { items: rows.map(presentSwap), total: Number(count?.n ?? 0), page: paging.page, pageSize: paging.pageSize };
      });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/swaps/:id',
    permission: READ,
    summary: 'One meter swap',
    params: idParam,
    handler: async ({ params }, services) => {
      const id = pathId(params.id, requestMessages.swap_not_found);
      return services.transaction(async (tx) => {
        const swap = await swapById(tx, services.tenant.id, id);
        if (!swap) throw new PackError('not_found', requestMessages.swap_not_found(params.id), 'params.id');
        return swap;
      });
    },
  }),
];
