/**
 * The meter archive as the readings part reads it: meters, households, books and settlement plans are
 * entity records (`public.entity_records`), read under the tenant's row-level security and limited to
 * the caller's own tenant, as the platform's entity API lists them.
 */
import type { PackTx } from '@shuiyun/sdk';
import { BOOK, HOUSEHOLD, METER, PLAN } from '../archive/entities.js';

export interface Meter {
  id: bigint;
  meterNo: string;
  kind: string;
  device: string | null;
  household: bigint | null;
  book: bigint | null;
  status: string;
  registerDigits: number | null;
  initialReadingL: bigint | null;
  /** `YYYY-MM-DD`. */
  installedAt: string | null;
}

interface RecordRow {
  id: string;
  data: Record<string, unknown>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): bigint | null => (typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : null);

export function meterOf(row: RecordRow): Meter {
  const d = row.data;
  const digits = int(d.registerDigits);
  return {
    id: BigInt(row.id),
    meterNo: text(d.meterNo) ?? '',
    kind: text(d.kind) ?? 'mechanical',
    device: text(d.device),
    household: int(d.household),
    book: int(d.book),
    status: text(d.status) ?? 'installed',
    registerDigits: digits === null ? null : Number(digits),
    initialReadingL: int(d.initialReadingL),
    installedAt: text(d.installedAt),
  };
}

/** Register capacity in litres: 10^digits m³, or null when the archive does not say. */
export function capacityOf(meter: Meter): bigint | null {
  return meter.registerDigits === null ? null : 10n ** BigInt(meter.registerDigits) * 1000n;
}

/** One meter of the tenant; `lock` holds its row until the transaction ends (serializes its readings and swaps). */
export async function meterById(tx: PackTx, tenantId: number, id: bigint, lock = false): Promise<Meter | null> {
  const [row] = await tx.query<RecordRow>(
    `select id, data from public.entity_records where id = $1::bigint and entity = '${METER}' and tenant_id = $2${lock ? ' for update' : ''}`,
    [id.toString(), tenantId],
  );
  return row ? meterOf(row) : null;
}

/** The tenant's meters by meter number; `lock` holds their rows (in id order) until the transaction ends. */
export async function metersByNo(tx: PackTx, tenantId: number, meterNos: readonly string[], lock = false): Promise<Map<string, Meter>> {
  if (meterNos.length === 0) return new Map();
  const rows = await tx.query<RecordRow>(
    `select id, data from public.entity_records where entity = '${METER}' and tenant_id = $1 and data->>'meterNo' = any($2::text[]) order by id${lock ? ' for update' : ''}`,
    [tenantId, [...new Set(meterNos)]],
  );
  return new Map(rows.map((r) => [String(r.data.meterNo), meterOf(r)]));
}

/** The ids of the meters of a household (the meter itself when it has none). */
export async function householdMeterIds(tx: PackTx, tenantId: number, meter: Meter): Promise<bigint[]> {
  if (meter.household === null) return [meter.id];
  const rows = await tx.query<{ id: string }>(
    `select id from public.entity_records where entity = '${METER}' and tenant_id = $1 and (data->>'household') = $2`,
    [tenantId, meter.household.toString()],
  );
  const ids = rows.map((r) => BigInt(r.id));
  return ids.includes(meter.id) ? ids : [...ids, meter.id];
}

export interface ValidationPlan {
  maxRatio: number;
  zeroDays: number;
}

export const DEFAULT_PLAN: ValidationPlan = { maxRatio: 3, zeroDays: 30 };

/**
 * The validation rules of the settlement plan (结算计划) that covers the meter: the plan of its household's
 * community, else the tenant-wide plan (no community), else the defaults (3 × average, 30 days).
 */
export async function planFor(tx: PackTx, tenantId: number, meter: Meter): Promise<ValidationPlan> {
  const plans = await tx.query<{ data: Record<string, unknown> }>(`select data from public.entity_records where entity = '${PLAN}' and tenant_id = $1 order by id`, [tenantId]);
  if (plans.length === 0) return DEFAULT_PLAN;
  let community: string | null = null;
  if (meter.household !== null) {
    const [household] = await tx.query<{ community: string | null }>(
      `select data->>'community' as community from public.entity_records where id = $1::bigint and entity = '${HOUSEHOLD}' and tenant_id = $2`,
      [meter.household.toString(), tenantId],
    );
    community = household?.community ?? null;
  }
  const plan = plans.find((p) => community !== null && text(p.data.community) === community) ?? plans.find((p) => text(p.data.community) === null);
  if (!plan) return DEFAULT_PLAN;
  const maxRatio = int(plan.data.maxRatio);
  const zeroDays = int(plan.data.zeroDays);
  return { maxRatio: maxRatio === null ? DEFAULT_PLAN.maxRatio : Number(maxRatio), zeroDays: zeroDays === null ? DEFAULT_PLAN.zeroDays : Number(zeroDays) };
}

export interface Book {
  id: bigint;
  code: string;
  name: string;
  reader: string | null;
  community: string | null;
}

export const bookOf = (row: RecordRow): Book => ({
  id: BigInt(row.id),
  code: text(row.data.code) ?? '',
  name: text(row.data.name) ?? '',
  reader: text(row.data.reader),
  community: text(row.data.community),
});

export async function bookById(tx: PackTx, tenantId: number, id: bigint): Promise<Book | null> {
  const [row] = await tx.query<RecordRow>(`select id, data from public.entity_records where id = $1::bigint and entity = '${BOOK}' and tenant_id = $2`, [id.toString(), tenantId]);
  return row ? bookOf(row) : null;
}
