import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Reading } from '@shuiyun/sdk';
import { AnalyticsError } from './errors.js';
import { assertTenantPath } from './scoped-query.js';

/** A reading with the tenant it belongs to, as the ingestion pipeline hands it over. */
export interface TenantReading {
  tenantId: number | bigint;
  /** The tenant's path (tenants.path), e.g. `1.2.3`. */
  tenantPath: string;
  reading: Reading;
}

/** Decimal(18, 3) holds |milli| up to 10^18 − 1. */
const MAX_MILLI = 999_999_999_999_999_999n;
/** DateTime64's range. */
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
const MAX_UINT64 = 2n ** 64n - 1n;
/** Rows serialised between two turns of the event loop. */
const ROWS_PER_TURN = 5_000;

export const READING_COLUMNS = ['tenant_id', 'tenant_path', 'device', 'metric', 'at', 'value'] as const;

/** 123_450n → "123.450": the decimal text of a milli value, exactly. */
export function milliToDecimal(milli: bigint): string {
  const sign = milli < 0n ? '-' : '';
  const abs = milli < 0n ? -milli : milli;
  return `${sign}${abs / 1000n}.${String(abs % 1000n).padStart(3, '0')}`;
}

/**
 * "123.450" (a Decimal as the store returns it) → 123_450n. Refuses digits beyond the thousandth that are
 * not zero, rather than rounding them away.
 */
export function decimalToMilli(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!match) throw new AnalyticsError('analytics_bad_input', `${JSON.stringify(text)} is not a decimal number`);
  const [, sign, whole, fraction = ''] = match;
  if (/[1-9]/.test(fraction.slice(3))) throw new AnalyticsError('analytics_bad_input', `${text} has more than three decimals`);
  const milli = BigInt(whole!) * 1000n + BigInt(fraction.slice(0, 3).padEnd(3, '0'));
  return sign ? -milli : milli;
}

const invalid = (index: number, message: string) =>
  new AnalyticsError('analytics_invalid_reading', `reading ${index}: ${message}; nothing of this batch was written`);

function readingLine(row: TenantReading, index: number): string {
  const { tenantId, tenantPath, reading } = row;
  const id = typeof tenantId === 'bigint' ? tenantId : Number.isSafeInteger(tenantId) ? BigInt(tenantId) : -1n;
  if (id < 1n || id > MAX_UINT64) throw invalid(index, `tenantId ${String(tenantId)} is not a positive integer`);
  try {
    assertTenantPath(tenantPath);
  } catch (error) {
    throw invalid(index, (error as Error).message);
  }
  if (!reading || typeof reading.device !== 'string' || reading.device.length === 0) throw invalid(index, 'device is empty');
  if (typeof reading.metric !== 'string' || reading.metric.length === 0) throw invalid(index, 'metric is empty');
  if (typeof reading.milli !== 'bigint') throw invalid(index, `milli must be a bigint, got ${typeof reading.milli}`);
  if (reading.milli > MAX_MILLI || reading.milli < -MAX_MILLI) throw invalid(index, `milli ${reading.milli} is beyond ±(10^18 − 1)`);
  const at = reading.at instanceof Date ? reading.at.getTime() : Number.NaN;
  if (!(at >= EARLIEST && at <= LATEST)) throw invalid(index, 'at must be a valid Date between 1900 and 2299');
  // The column is DateTime64(3, 'UTC'), so this text is read as UTC on any server.
  const atText = new Date(at).toISOString().replace('T', ' ').replace('Z', '');
  return (
    `{"tenant_id":"${id}","tenant_path":"${tenantPath}","device":${JSON.stringify(reading.device)},` +
    `"metric":${JSON.stringify(reading.metric)},"at":"${atText}","value":"${milliToDecimal(reading.milli)}"}\n`
  );
}

/**
 * Validates a whole batch and serialises it as JSONEachRow. A large batch is serialised in slices with a
 * turn of the event loop between them, so other requests are not held up while it is built.
 */
export async function serialiseReadings(rows: readonly TenantReading[]): Promise<Buffer[]> {
  const slices: Buffer[] = [];
  for (let from = 0; from < rows.length; from += ROWS_PER_TURN) {
    if (from > 0) await nextTurn();
    let text = '';
    const to = Math.min(rows.length, from + ROWS_PER_TURN);
    for (let index = from; index < to; index += 1) text += readingLine(rows[index]!, index);
    slices.push(Buffer.from(text, 'utf8'));
  }
  return slices;
}
