/**
 * Late corrections (调整/补差) of a closed period: the corrected volume of one meter, minus what was
 * settled and already adjusted for it, is posted into the oldest period of the same scope that is not
 * closed (open, settling or settled), or into a new open period row after the latest one.
 *
 * - With `readingL`, the corrected END reading of the closed period: the volume is recomputed by the
 *   domain's `settleMeter` from the record's opening, the swaps inside the period and the corrected reading
 *   (stored as a 'correction' reading at the period's last millisecond); the next period then opens from
 *   it (see settle.ts). Refused while the meter already has a settlement in a later period: that record
 *   opened from the old reading, so the register chain would count the difference twice; correct such a
 *   meter by `volumeL`.
 * - With `volumeL`, the corrected volume itself: the register chain is untouched.
 * The delta is the domain's `adjustmentFor(settled + earlier adjustments, corrected)`.
 */
import { PackError, type PackServices, type PackTx } from '@shuiyun/sdk';
import { adjustmentFor, nextPeriod, settleMeter } from '../domain/index.js';
import { capacityOf, chainSwaps } from './settle.js';
import { l, litres, lockPeriod, findOrCreatePeriod, METER, scopeOfMeter, toDate, type PeriodRow } from './shared.js';

export interface AdjustmentInput {
  meterId: number;
  correctsPeriod: string;
  readingL?: bigint | undefined;
  volumeL?: bigint | undefined;
  reason: string;
}

export interface AdjustmentRow {
  id: string;
  period: string;
  corrects_period: string;
  meter_id: string;
  volume_l: string;
  reason: string;
  reading_id: string | null;
  created_by: string | null;
  created_at: Date | string;
}

export const presentAdjustment = (row: AdjustmentRow & { meter_no?: string | null }) => ({
  id: Number(row.id),
  period: row.period,
  correctsPeriod: row.corrects_period,
  meterId: Number(row.meter_id),
  ...(row.meter_no !== undefined ? { meterNo: row.meter_no } : {}),
  volumeL: litres(row.volume_l),
  reason: row.reason,
  readingId: row.reading_id === null ? null : Number(row.reading_id),
  createdBy: row.created_by === null ? null : Number(row.created_by),
  createdAt: toDate(row.created_at).toISOString(),
});

interface RecordRow {
  start_l: string;
  end_l: string;
  volume_l: string;
  start_at: Date | string;
  end_at: Date | string;
  meter_no: string;
}

/** Posts one correction; answers the adjustment with the figures it was computed from. */
export async function postAdjustment(services: PackServices, input: AdjustmentInput) {
  const tenantId = services.tenant.id;
  const meterId = String(input.meterId);
  return services.transaction(async (tx) => {
    const [meter] = await tx.query<{ id: string; digits: string | null }>(
      `select id, data->>'registerDigits' as digits from entity_records where tenant_id = $1 and entity = '${METER}' and id = $2::bigint`,
      [tenantId, meterId],
    );
    if (!meter) throw new PackError('not_found', l(`没有水表 ${meterId}`, `no meter ${meterId}`), 'body.meterId');

    const scope = await scopeOfMeter(tx, tenantId, meterId);
    const closed = await lockPeriod(tx, tenantId, input.correctsPeriod, scope);
    if (!closed || closed.status !== 'closed') {
      throw new PackError(
        'conflict',
        l(`结算期 ${input.correctsPeriod} 未关账：关账前请重新结算，不用调整单`, `the period ${input.correctsPeriod} is not closed: adjustments correct closed periods only`),
        'body.correctsPeriod',
      );
    }
    const [record] = await tx.query<RecordRow>(
      `select start_l, end_l, volume_l, start_at, end_at, meter_no from pack_metering.settlements where tenant_id = $1 and period = $2 and meter_id = $3::bigint`,
      [tenantId, input.correctsPeriod, meterId],
    );
    if (!record) {
      throw new PackError('not_found', l(`水表 ${meterId} 在 ${input.correctsPeriod} 没有结算记录`, `meter ${meterId} has no settlement in ${input.correctsPeriod}`), 'body.meterId');
    }
    const [earlier] = await tx.query<{ volume_l: string }>(
      `select coalesce(sum(volume_l), 0)::text as volume_l from pack_metering.adjustments where tenant_id = $1 and corrects_period = $2 and meter_id = $3::bigint`,
      [tenantId, input.correctsPeriod, meterId],
    );
    const settledL = BigInt(record.volume_l) + BigInt(earlier!.volume_l);

    let correctedL: bigint;
    let readingId: string | null = null;
    if (input.readingL !== undefined) {
      const [later] = await tx.query<{ period: string }>(
        `select period from pack_metering.settlements where tenant_id = $1 and meter_id = $2::bigint and period > $3 order by period limit 1`,
        [tenantId, meterId, input.correctsPeriod],
      );
      if (later) {
        throw new PackError(
          'conflict',
          l(
            `水表 ${record.meter_no} 已在 ${later.period} 结算（以原止码为起码）：请按水量更正（volumeL）`,
            `meter ${record.meter_no} is already settled in ${later.period} from the old reading: correct it by volume (volumeL)`,
          ),
          'body.readingL',
        );
      }
      const startsAt = toDate(closed.starts_at);
      const endsAt = toDate(closed.ends_at);
      const at = new Date(endsAt.getTime() - 1);
      const corrected = settleMeter({
        periodStart: startsAt,
        periodEnd: endsAt,
        opening: { valueL: BigInt(record.start_l), at: toDate(record.start_at), source: 'hand' },
        readings: [{ at, valueL: input.readingL, source: 'correction' }],
        swaps: await chainSwaps(tx, tenantId, meterId, startsAt, endsAt),
        capacityL: capacityOf(meter.digits),
        averageDailyL: null,
        endToleranceMs: endsAt.getTime() - startsAt.getTime(),
        timeZone: services.tenant.timeZone,
      });
      correctedL = corrected.volumeL;
      const [reading] = await tx.query<{ id: string }>(
        `insert into pack_metering.readings (tenant_id, tenant_path, meter_id, read_at, value_l, source, status, entered_by, note)
         values ($1, $2::ltree, $3::bigint, $4::timestamptz, $5::bigint, 'correction', 'valid', $6::bigint, $7) returning id`,
        [tenantId, services.tenant.path, meterId, at, input.readingL, services.user?.id ?? null, input.reason],
      );
      readingId = reading!.id;
    } else {
      correctedL = input.volumeL!;
    }
    const deltaL = adjustmentFor({ volumeL: settledL }, { volumeL: correctedL });

    const target = await targetPeriod(tx, services, closed);
    const [row] = await tx.query<AdjustmentRow>(
      `insert into pack_metering.adjustments (tenant_id, tenant_path, period, corrects_period, meter_id, volume_l, reason, reading_id, created_by)
       values ($1, $2::ltree, $3, $4, $5::bigint, $6::bigint, $7, $8::bigint, $9::bigint)
       returning id, period, corrects_period, meter_id, volume_l, reason, reading_id, created_by, created_at`,
      [tenantId, services.tenant.path, target.period, input.correctsPeriod, meterId, deltaL, input.reason, readingId, services.user?.id ?? null],
    );
    return {
      ...presentAdjustment({ ...row!, meter_no: record.meter_no }),
      scope,
      settledVolumeL: settledL.toString(),
      correctedVolumeL: correctedL.toString(),
      ...(input.readingL !== undefined ? { readingL: input.readingL.toString(), previousReadingL: litres(record.end_l) } : {}),
    };
  });
}

/** The oldest period of the scope after `closed` that is not closed; a new open one after the latest when there is none. */
async function targetPeriod(tx: PackTx, services: PackServices, closed: PeriodRow): Promise<PeriodRow> {
  const tenantId = services.tenant.id;
  const [open] = await tx.query<{ period: string }>(
    `select period from pack_metering.periods where tenant_id = $1 and scope = $2 and period > $3 and status <> 'closed' order by period limit 1`,
    [tenantId, closed.scope, closed.period],
  );
  if (open) return (await lockPeriod(tx, tenantId, open.period, closed.scope))!;
  const [latest] = await tx.query<{ period: string | null }>(`select max(period) as period from pack_metering.periods where tenant_id = $1 and scope = $2`, [tenantId, closed.scope]);
  const next = nextPeriod(latest?.period ?? closed.period);
  return findOrCreatePeriod(tx, services, next, closed.scope, { settlementDay: closed.settlement_day, planId: closed.plan_id });
}
