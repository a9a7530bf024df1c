import type { Reading } from '@shuiyun/sdk';
import { describe, expect, it } from 'vitest';
import { cjt188Codec } from './codec.js';
import { buildFrame, parseFrame } from './frame.js';
import { encodeReadMeterDataRequest } from './read-meter-data-request.js';
import { meterDataReplyData } from './testing/hand-built-frames.js';
import { randomMeterDataReplyFields, waterMeterTypeBytes } from './testing/random-frames.js';
import { SeededRandom } from './testing/seeded-random.js';
import { decodeValveControlReply, encodeValveControlCommand } from './valve-control.js';

const SEED = 20_240_315;
const CASES = 2_000;
const receivedAt = new Date('2024-06-01T00:00:00Z');

/** Milli-litres per hundredth of the unit, restated from the unit table: 0x29 L, 0x2C m³. */
const milliPerHundredth: Record<number, bigint> = { 0x29: 10n, 0x2c: 10_000n };

describe('CJ/T 188 round trip', () => {
  it(`decodes what buildFrame wrote, for ${CASES} random metering replies (seed ${SEED})`, () => {
    const random = new SeededRandom(SEED);
    for (let index = 0; index < CASES; index++) {
      const fields = randomMeterDataReplyFields(random);
      const meterType = random.pick(waterMeterTypeBytes);
      const address = random.digits(14);
      const statusLayout = random.pick(['valve-bits-0-1', 'masks-c0-20'] as const);
      const payload = buildFrame({ meterType, address, control: 0x81, data: meterDataReplyData(fields), preambleLength: random.between(0, 4) });

      const result = cjt188Codec.decode(payload, { receivedAt, settings: { statusLayout } });

      // Asia/Shanghai has been UTC+8 all year since 1992, the first year random clocks use.
      const at =
        fields.clock === 'unset'
          ? receivedAt
          : new Date(Date.UTC(fields.clock.year, fields.clock.month - 1, fields.clock.day, fields.clock.hour - 8, fields.clock.minute, fields.clock.second));
      const firstStatusByte = fields.status?.[0] ?? 0;
      const valveBits = statusLayout === 'valve-bits-0-1' ? firstStatusByte & 0b11 : firstStatusByte >> 6;
      const batteryLow = statusLayout === 'valve-bits-0-1' ? (firstStatusByte & 0x04) !== 0 : (firstStatusByte & 0x20) !== 0;
      const expected: Reading[] = [
        { device: address, metric: 'cumulative_volume', at, milli: BigInt(fields.currentHundredths) * milliPerHundredth[fields.currentUnit]! },
        { device: address, metric: 'settlement_volume', at, milli: BigInt(fields.settlementHundredths) * milliPerHundredth[fields.settlementUnit]! },
        { device: address, metric: 'valve_state', at, milli: valveBits === 0 ? 0n : valveBits === 1 ? 1000n : 3000n },
        { device: address, metric: 'battery_low', at, milli: batteryLow ? 1000n : 0n },
      ];
      expect(result, `case ${index} of seed ${SEED}`).toEqual({ ok: true, readings: expected });
    }
  });

  it(`parses every frame buildFrame writes back into its fields, for ${CASES} random frames`, () => {
    const random = new SeededRandom(SEED + 1);
    const controls = [0x01, 0x81, 0xc1, 0x03, 0x83, 0x04, 0x84, 0xc4, 0x15, 0x95, 0x16, 0x96];
    for (let index = 0; index < CASES; index++) {
      const fields = {
        meterType: random.pick(waterMeterTypeBytes),
        address: random.digits(14),
        control: random.pick(controls),
        data: random.bytes(random.int(256)),
        preambleLength: random.between(0, 4),
      };
      const parsed = parseFrame(buildFrame(fields));
      expect(parsed.ok && { ...parsed.frame, data: Array.from(parsed.frame.data) }, `case ${index}`).toEqual({
        preambleLength: fields.preambleLength,
        meterType: fields.meterType,
        address: fields.address,
        control: fields.control,
        data: fields.data,
        dataOffset: fields.preambleLength + 11,
      });
    }
  });

  it('matches a valve command to its acknowledgement by address and serial', () => {
    const random = new SeededRandom(SEED + 2);
    for (let index = 0; index < 200; index++) {
      const target = { meterType: random.pick(waterMeterTypeBytes), address: random.digits(14), serial: random.byte() };
      const command = parseFrame(encodeValveControlCommand({ ...target, operation: random.pick(['open', 'close'] as const) }));
      if (!command.ok) throw new Error(command.reason);
      // The meter answers with the command's DI and SER, and its ST.
      const acknowledgement = buildFrame({ ...target, control: 0x84, data: [...command.frame.data.subarray(0, 3), random.byte(), 0x00] });
      expect(decodeValveControlReply(acknowledgement)).toMatchObject({ ok: true, ...target });
    }
  });

  it('reads back the serial of a read-data request', () => {
    const request = parseFrame(encodeReadMeterDataRequest({ meterType: 0x10, address: '00000000123456', serial: 0xff }));
    expect(request.ok && Array.from(request.frame.data)).toEqual([0x1f, 0x90, 0xff]);
  });
});
