import {
  frameWithoutChecksum,
  meterDataReplyData,
  sealFrame,
  type MeterDataReplyFields,
  type WallClockFields,
} from './hand-built-frames.js';
import type { SeededRandom } from './seeded-random.js';

export const waterMeterTypeBytes = [0x10, 0x11, 0x12, 0x13] as const;
export const volumeUnitBytes = [0x29, 0x2c] as const;

/** A valid wall clock, in years where Asia/Shanghai has been UTC+8 all year round. */
export function randomWallClock(random: SeededRandom): WallClockFields {
  const year = random.between(1992, 2099);
  const month = random.between(1, 12);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return {
    year,
    month,
    day: random.between(1, daysInMonth),
    hour: random.between(0, 23),
    minute: random.between(0, 59),
    second: random.between(0, 59),
  };
}

/** Volumes spread over all magnitudes, the 8-digit extremes included. */
export function randomHundredths(random: SeededRandom): number {
  if (random.chance(0.05)) return random.pick([0, 99_999_999]);
  return random.int(10 ** random.between(1, 8));
}

export function randomMeterDataReplyFields(random: SeededRandom): MeterDataReplyFields {
  return {
    dataIdentifierBytes: random.pick(['low-byte-first', 'high-byte-first'] as const),
    serial: random.byte(),
    currentHundredths: randomHundredths(random),
    currentUnit: random.pick(volumeUnitBytes),
    settlementHundredths: randomHundredths(random),
    settlementUnit: random.pick(volumeUnitBytes),
    clock: random.chance(0.05) ? 'unset' : randomWallClock(random),
    status: [random.byte(), random.byte()],
  };
}

/**
 * A frame a meter could send: mostly metering replies, some valve acknowledgements and error replies,
 * and the odd request a misrouted downlink would echo.
 */
export function randomValidPayload(random: SeededRandom): Uint8Array {
  const meterType = random.pick(waterMeterTypeBytes);
  const address = random.digits(14);
  const roll = random.int(100);
  let control = 0x81;
  let data: number[];
  if (roll < 80) {
    data = meterDataReplyData(randomMeterDataReplyFields(random));
  } else if (roll < 90) {
    control = 0x84;
    data = [0x17, 0xa0, random.byte(), ...(random.chance(0.5) ? [random.byte(), random.byte()] : [])];
  } else if (roll < 95) {
    control = 0xc1;
    data = [random.byte(), random.byte(), random.byte()];
  } else {
    control = 0x04;
    data = [0x17, 0xa0, random.byte(), random.pick([0x55, 0x99])];
  }
  return sealFrame(frameWithoutChecksum({ meterType, address, control, data }), random.between(0, 4));
}
