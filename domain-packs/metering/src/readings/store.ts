/**
 * Recording a reading (hand or imported) in `pack_metering.readings`: idempotent for a repeat of the
 * same reading, refused where the meter cannot have it, validated by the domain, and sent to review
 * (the `metering_review` process) when it breaks a rule.
 */
import type { PackServices, PackTx } from '@shuiyun/sdk';
import type { Violation } from '../domain/index.js';
import type { Meter } from './archive.js';
import { contextFor, installedAtInstant, toDate, violationsOf } from './context.js';
import { type Bilingual, fieldMessages, type FieldCode } from './messages.js';
import { localText } from './time.js';

export const REVIEW_PROCESS = 'metering_review';

export const readingStatuses = ['valid', 'review', 'rejected', 'replaced'] as const;
export const readingSources = ['remote', 'hand', 'import', 'estimate', 'correction'] as const;

export interface ReadingRow {
  id: string;
  meter_id: string;
  meter_no?: string | null;
  read_at: Date | string;
  value_l: string;
  source: string;
  status: string;
  violations: string[] | null;
  photo?: string | null;
  has_photo?: boolean | null;
  latitude: string | null;
  longitude: string | null;
  batch_id: string | null;
  replaces_id: string | null;
  review_instance: string | null;
  entered_by: string | null;
  note: string | null;
  created_at: Date | string;
}

/** Columns of a reading as the API shows it; `photo` itself only for one reading. */
export const READING_COLUMNS = `r.id, r.meter_id, m.data->>'meterNo' as meter_no, r.read_at, r.value_l, r.source, r.status, r.violations,
  (r.photo is not null) as has_photo, r.latitude, r.longitude, r.batch_id, r.replaces_id, r.review_instance, r.entered_by, r.note, r.created_at`;

const num = (v: string | null): number | null => (v === null ? null : Number(v));

export function presentReading(row: ReadingRow, meterNo?: string) {
  return {
    id: Number(row.id),
    meterId: Number(row.meter_id),
    meterNo: meterNo ?? row.meter_no ?? null,
    readAt: toDate(row.read_at).toISOString(),
    valueL: row.value_l,
    source: row.source,
    status: row.status,
    violations: row.violations ?? [],
    hasPhoto: row.has_photo ?? (row.photo !== null && row.photo !== undefined),
    ...(row.photo !== undefined ? { photo: row.photo } : {}),
    latitude: num(row.latitude),
    longitude: num(row.longitude),
    batchId: num(row.batch_id),
    replacesId: num(row.replaces_id),
    reviewInstance: row.review_instance,
    enteredBy: num(row.entered_by),
    note: row.note,
    createdAt: toDate(row.created_at).toISOString(),
  };
}

export type PresentedReading = ReturnType<typeof presentReading>;

export interface NewReading {
  at: Date;
  valueL: bigint;
  source: 'hand' | 'import';
  photo?: string | null;
  latitude?: string | null;
  longitude?: string | null;
  note?: string | null;
  batchId?: bigint | null;
}

export type RecordOutcome =
  | { kind: 'created'; row: ReadingRow; violations: Violation[] }
  | { kind: 'existing'; row: ReadingRow }
  | { kind: 'refused'; code: FieldCode; message: Bilingual; field: 'readAt' | 'meterId' };

/** Violation names in both languages, for the reviewer. */
export const violationLabels: Record<Violation, Bilingual> = {
  negative: { 'zh-CN': '读数倒走', en: 'register went back' },
  rollover: { 'zh-CN': '满度翻转', en: 'register rolled over' },
  above_average: { 'zh-CN': '用量超过均值倍数', en: 'use above the average limit' },
  zero_for_days: { 'zh-CN': '长期零用量', en: 'no use for too long' },
  missing: { 'zh-CN': '缺抄', en: 'missing' },
};

/**
 * Records one reading of a meter whose row the caller has locked (`meterById(…, lock = true)`), so two
 * submissions of the same reading cannot both insert.
 *
 * - The same value at the same instant already there (entered, imported, or the valid result of a
 *   review): that reading (`existing`), nothing written.
 * - Another live value (valid or in review) at the same instant: refused as a conflict.
 * - A retired meter, a time after the meter was swapped out or before it was installed: refused.
 * - Otherwise inserted, status `valid`; with violations, status `review` and a `metering_review` process.
 */
export async function recordReading(tx: PackTx, services: PackServices, meter: Meter, input: NewReading): Promise<RecordOutcome> {
  const tenantId = services.tenant.id;
  const timeZone = services.tenant.timeZone;
  const same = await tx.query<ReadingRow>(
    `select r.*, (r.photo is not null) as has_photo from pack_metering.readings r where r.tenant_id = $1 and r.meter_id = $2::bigint and r.read_at = $3 order by r.id`,
    [tenantId, meter.id.toString(), input.at],
  );
  const repeat = same.find((r) => BigInt(r.value_l) === input.valueL && (r.source === 'hand' || r.source === 'import' || r.status === 'valid' || r.status === 'review'));
  if (repeat) return { kind: 'existing', row: { ...repeat, photo: undefined } };
  const other = same.find((r) => r.status === 'valid' || r.status === 'review');
  if (other) return { kind: 'refused', code: 'conflict', message: fieldMessages.conflict(Number(other.id), other.value_l), field: 'readAt' };

  if (meter.status === 'retired') return { kind: 'refused', code: 'meter_retired', message: fieldMessages.meter_retired(meter.meterNo), field: 'meterId' };
  const [swap] = await tx.query<{ swapped_at: Date | string }>(`select swapped_at from pack_metering.swaps where tenant_id = $1 and old_meter_id = $2::bigint`, [tenantId, meter.id.toString()]);
  if (swap && input.at > toDate(swap.swapped_at)) {
    return { kind: 'refused', code: 'meter_swapped', message: fieldMessages.meter_swapped(meter.meterNo, localText(toDate(swap.swapped_at), timeZone)), field: 'readAt' };
  }
  const installed = installedAtInstant(meter, timeZone);
  if (installed && input.at < installed) return { kind: 'refused', code: 'date_before_install', message: fieldMessages.date_before_install(meter.installedAt!), field: 'readAt' };

  const context = await contextFor(tx, services, meter, input.at);
  const violations = await violationsOf(services, context, input.at, input.valueL);
  const [row] = await tx.query<ReadingRow>(
    `insert into pack_metering.readings (tenant_id, tenant_path, meter_id, read_at, value_l, source, status, violations, photo, latitude, longitude, batch_id, entered_by, note)
     values ($1, $2::ltree, $3::bigint, $4, $5::bigint, $6, $7, $8::text[], $9, $10::numeric, $11::numeric, $12::bigint, $13::bigint, $14)
     returning *, (photo is not null) as has_photo`,
    [
      tenantId,
      services.tenant.path,
      meter.id.toString(),
      input.at,
      input.valueL,
      input.source,
      violations.length > 0 ? 'review' : 'valid',
      violations,
      input.photo ?? null,
      input.latitude ?? null,
      input.longitude ?? null,
      input.batchId === undefined || input.batchId === null ? null : input.batchId.toString(),
      services.user ? String(services.user.id) : null,
      input.note ?? null,
    ],
  );
  let created = row!;
  if (violations.length > 0) {
    const instance = await tx.startProcess(REVIEW_PROCESS, {
      businessKey: `reading-${created.id}`,
      variables: {
        readingId: Number(created.id),
        meterId: Number(meter.id),
        meterNo: meter.meterNo,
        readAt: input.at.toISOString(),
        readAtLocal: localText(input.at, timeZone),
        valueL: input.valueL.toString(),
        source: input.source,
        previousL: context.previous ? context.previous.valueL.toString() : null,
        previousAt: context.previous ? localText(context.previous.at, timeZone) : null,
        averageDailyL: context.averageDailyL === null ? null : context.averageDailyL.toString(),
        violations,
        violationText: violations.map((v) => `${violationLabels[v]['zh-CN']} (${violationLabels[v].en})`).join('；'),
      },
    });
    const [updated] = await tx.query<ReadingRow>(
      `update pack_metering.readings set review_instance = $1 where id = $2::bigint returning *, (photo is not null) as has_photo`,
      [instance, created.id],
    );
    created = updated!;
  }
  return { kind: 'created', row: { ...created, photo: undefined }, violations };
}
