import type { Rejection } from '@shuiyun/sdk';
import { readBcdLowByteFirst } from './bcd.js';
import type { DataIdentifierOrder } from './data-identifiers.js';
import type { Cjt188Frame } from './frame.js';
import { decodeMeterClock, type MeterWallClock } from './meter-clock.js';
import { hexByte, reject } from './rejection.js';
import { hundredthsToMilli, unitConversion } from './volume-units.js';

/*
 * The data field of a read-data reply (C = 0x81) for data identifier 0x901F, L = 0x16:
 *
 *   offset  0  DI (2)
 *           2  SER (1): the serial number of the request being answered
 *           3  current cumulative flow (4 BCD, low byte first, 2 decimals) + unit (1)
 *           8  settlement-day cumulative flow (4 + 1), same encoding
 *          13  real time (7): ss mm hh DD MM YY-low YY-high
 *          20  status ST (2)
 */
export const METER_DATA_REPLY_LENGTH = 0x16;
const SERIAL = 2;
const CURRENT_VOLUME = 3;
const SETTLEMENT_VOLUME = 8;
const CLOCK = 13;
const STATUS = 20;
const VOLUME_DIGIT_BYTES = 4;

export interface MeterDataReply {
  dataIdentifierOrder: DataIdentifierOrder;
  serial: number;
  /** Current cumulative volume in thousandths of a litre. */
  currentVolumeMilli: bigint;
  /** Cumulative volume at the last settlement day, in thousandths of a litre. */
  settlementVolumeMilli: bigint;
  clock: MeterWallClock | 'unset';
  status: readonly [number, number];
}

export function decodeMeterDataReply(
  frame: Cjt188Frame,
  dataIdentifierOrder: DataIdentifierOrder,
): { ok: true; reply: MeterDataReply } | Rejection {
  const { data, dataOffset } = frame;
  if (data.length !== METER_DATA_REPLY_LENGTH) {
    return reject(
      'bad_data_length',
      `a 0x901F metering reply carries ${METER_DATA_REPLY_LENGTH} data bytes (L = 0x16), ` +
        `this one ${data.length} (L = ${hexByte(data.length)})`,
    );
  }
  const currentVolume = readVolume(frame, CURRENT_VOLUME, 'current cumulative flow');
  if (!currentVolume.ok) return currentVolume;
  const settlementVolume = readVolume(frame, SETTLEMENT_VOLUME, 'settlement-day cumulative flow');
  if (!settlementVolume.ok) return settlementVolume;
  const clock = decodeMeterClock(data, CLOCK, dataOffset + CLOCK);
  if (!clock.ok) return clock;

  return {
    ok: true,
    reply: {
      dataIdentifierOrder,
      serial: data[SERIAL] ?? 0,
      currentVolumeMilli: currentVolume.milli,
      settlementVolumeMilli: settlementVolume.milli,
      clock: clock.clock,
      status: [data[STATUS] ?? 0, data[STATUS + 1] ?? 0],
    },
  };
}

function readVolume(
  { data, dataOffset }: Cjt188Frame,
  fieldOffset: number,
  fieldName: string,
): { ok: true; milli: bigint } | Rejection {
  const digits = readBcdLowByteFirst(data, fieldOffset, VOLUME_DIGIT_BYTES);
  if (!digits.ok) {
    return reject(
      'bad_bcd',
      `${fieldName} byte ${dataOffset + digits.badOffset} is ${hexByte(digits.badByte)}, not two BCD digits`,
    );
  }
  const unitOffset = fieldOffset + VOLUME_DIGIT_BYTES;
  const unitCode = data[unitOffset] ?? 0;
  const conversion = unitConversion(unitCode);
  if (conversion === undefined) {
    return reject(
      'bad_unit',
      `${fieldName} unit (byte ${dataOffset + unitOffset}) is ${hexByte(unitCode)}; ` +
        'water meters use 0x29 L, 0x2C m³, 0x32 L/h, 0x35 m³/h',
    );
  }
  if (conversion.quantity !== 'volume') {
    return reject(
      'unit_not_volume',
      `${fieldName} unit (byte ${dataOffset + unitOffset}) is ${hexByte(unitCode)} (${conversion.symbol}), ` +
        'a flow rate, not a volume',
    );
  }
  return { ok: true, milli: hundredthsToMilli(digits.value, conversion) };
}

