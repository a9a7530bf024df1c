import { toBcdByte } from './bcd.js';
import { controlCodes } from './control-codes.js';
import { dataIdentifiers, type DataIdentifierOrder, encodeDataIdentifier } from './data-identifiers.js';
import { buildFrame } from './frame.js';
import { waterMeterTypes, type WaterMeterType } from './meter-types.js';
import { METER_DATA_REPLY_LENGTH } from './meter-data-reply.js';
import { unitCodes } from './volume-units.js';

export interface MeterDataReplyFields {
  address: string;
  meterType?: WaterMeterType;
  serial?: number;
  /** Whole litres on the register; sent in m³ with two decimals, i.e. in steps of 10 L (rounded down). */
  cumulativeLitres: number;
  settlementLitres?: number;
  /** When the meter read itself; written as the meter's local wall clock in `timeZone`. */
  at: Date;
  timeZone?: string;
  /** The two status bytes as the meter sends them (valve, battery…); 0, 0 = open valve, battery fine. */
  status?: readonly [number, number];
  dataIdentifierOrder?: DataIdentifierOrder;
  preambleLength?: number;
}

/**
 * A read-data reply (C = 0x81, DI 0x901F) as a meter would send it: for the meter simulator and device
 * emulators. The decoder never depends on this: its tests build frames from the standard's rules.
 */
export function encodeMeterDataReply(fields: MeterDataReplyFields): Uint8Array {
  const volume = (litres: number) => {
    if (!Number.isInteger(litres) || litres < 0) throw new RangeError(`a register holds whole, non-negative litres, got ${litres}`);
    const hundredthsOfM3 = Math.floor(litres / 10);
    if (hundredthsOfM3 > 99_999_999) throw new RangeError(`${litres} L exceeds the 8-digit register`);
    const bytes: number[] = [];
    let rest = hundredthsOfM3;
    for (let i = 0; i < 4; i++) {
      bytes.push(toBcdByte(rest % 100));
      rest = Math.floor(rest / 100);
    }
    return [...bytes, unitCodes.cubicMetre];
  };
  const local = wallClock(fields.at, fields.timeZone ?? 'Asia/Shanghai');
  const data = [
    ...encodeDataIdentifier(dataIdentifiers.meterData, fields.dataIdentifierOrder ?? 'low-byte-first'),
    (fields.serial ?? 0) & 0xff,
    ...volume(fields.cumulativeLitres),
    ...volume(fields.settlementLitres ?? fields.cumulativeLitres),
    toBcdByte(local.second),
    toBcdByte(local.minute),
    toBcdByte(local.hour),
    toBcdByte(local.day),
    toBcdByte(local.month),
    toBcdByte(local.year % 100),
    toBcdByte(Math.floor(local.year / 100)),
    ...(fields.status ?? [0, 0]),
  ];
  if (data.length !== METER_DATA_REPLY_LENGTH) throw new Error('internal: reply length');
  return buildFrame({
    meterType: fields.meterType ?? waterMeterTypes.coldWater,
    address: fields.address,
    control: controlCodes.readDataReply,
    data,
    preambleLength: fields.preambleLength ?? 0,
  });
}

function wallClock(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute'), second: part('second') };
}
