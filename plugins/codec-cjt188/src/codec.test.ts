import type { DecodeContext, DecodeResult, Reading } from '@shuiyun/sdk';
import { describe, expect, it } from 'vitest';
import { cjt188Codec } from './codec.js';
import { cjt188RejectionCodes } from './rejection.js';
import {
  checksumOf,
  frameWithoutChecksum,
  hex,
  meterDataReplyData,
  sealFrame,
  type MeterDataReplyFields,
} from './testing/hand-built-frames.js';

const receivedAt = new Date('2024-06-01T00:00:00Z');
const shanghai: DecodeContext = { receivedAt };

/*
 * The fields of a published example of a cold-water meter's metering reply: meter 78330011223344,
 * 556 677.00 m³ now and at the settlement day, clock 2015-05-11 22:01:31, ST 21 84. The page prints
 * CS 0x08, which its own bytes do not sum to (they sum to 0x13), so the test seals the frame by the rule.
 */
const publishedReply =
  '68 10 44 33 22 11 00 33 78 81 16 ' +
  '1F 90 00 ' + // DI, SER
  '00 77 66 55 2C ' + // current cumulative flow 556677.00 m³
  '00 77 66 55 2C ' + // settlement-day cumulative flow
  '31 01 22 11 05 15 20 ' + // ss mm hh DD MM YY-low YY-high
  '21 84'; // ST

const address = '78330011223344';

function replyData(fields: Partial<MeterDataReplyFields> = {}): number[] {
  return meterDataReplyData({
    currentHundredths: 12_345_67,
    currentUnit: 0x2c,
    settlementHundredths: 12_000_00,
    settlementUnit: 0x2c,
    clock: { year: 2024, month: 3, day: 15, hour: 8, minute: 30, second: 0 },
    ...fields,
  });
}

function reply(data: readonly number[], overrides: { control?: number; meterType?: number; preambleLength?: number } = {}): Uint8Array {
  const frame = frameWithoutChecksum({ meterType: overrides.meterType ?? 0x10, address, control: overrides.control ?? 0x81, data });
  return sealFrame(frame, overrides.preambleLength ?? 0);
}

function readings(result: DecodeResult): Reading[] {
  if (!result.ok) throw new Error(`rejected: ${result.code}: ${result.reason}`);
  return result.readings;
}

function valueOf(result: DecodeResult, metric: string): bigint | undefined {
  return readings(result).find((reading) => reading.metric === metric)?.milli;
}

function rejection(result: DecodeResult): { code: string; reason: string } {
  if (result.ok) throw new Error('expected a rejection');
  return { code: result.code, reason: result.reason };
}

describe('CJ/T 188 codec: metering replies (DI 0x901F)', () => {
  it('decodes the published cold-water meter reply into four readings dated in UTC', () => {
    const payload = sealFrame(publishedReply, 4);
    expect(checksumOf(hex(publishedReply))).toBe(0x13);

    const at = new Date('2015-05-11T14:01:31Z');
    expect(cjt188Codec.decode(payload, shanghai)).toEqual({
      ok: true,
      readings: [
        { device: address, metric: 'cumulative_volume', at, milli: 556_677_000_000n },
        { device: address, metric: 'settlement_volume', at, milli: 556_677_000_000n },
        // ST first byte 0x21: valve bits 01 = closed, battery bit 2 clear.
        { device: address, metric: 'valve_state', at, milli: 1000n },
        { device: address, metric: 'battery_low', at, milli: 0n },
      ],
    });
  });

  it('accepts the data identifier written 90 1F as well as 1F 90', () => {
    const lowFirst = cjt188Codec.decode(reply(replyData({ dataIdentifierBytes: 'low-byte-first' })), shanghai);
    const highFirst = cjt188Codec.decode(reply(replyData({ dataIdentifierBytes: 'high-byte-first' })), shanghai);
    expect(readings(highFirst)).toEqual(readings(lowFirst));
    expect(valueOf(highFirst, 'cumulative_volume')).toBe(12_345_670_000n);
  });

  it('converts cubic metres to exact milli-litres: 12 345.67 m³ is 12 345 670 L', () => {
    const result = cjt188Codec.decode(reply(replyData({ currentHundredths: 12_345_67, currentUnit: 0x2c })), shanghai);
    expect(valueOf(result, 'cumulative_volume')).toBe(12_345_670_000n);
  });

  it('converts litres to exact milli-litres: 1 234.56 L is 1 234 560 mL', () => {
    const result = cjt188Codec.decode(reply(replyData({ settlementHundredths: 1_234_56, settlementUnit: 0x29 })), shanghai);
    expect(valueOf(result, 'settlement_volume')).toBe(1_234_560n);
  });

  it('keeps the 8-digit maximum exact: 999 999.99 m³ and 999 999.99 L', () => {
    const result = cjt188Codec.decode(
      reply(replyData({ currentHundredths: 99_999_999, currentUnit: 0x2c, settlementHundredths: 99_999_999, settlementUnit: 0x29 })),
      shanghai,
    );
    expect(valueOf(result, 'cumulative_volume')).toBe(999_999_990_000n);
    expect(valueOf(result, 'settlement_volume')).toBe(999_999_990n);
  });

  it('reads a zero volume as zero', () => {
    const result = cjt188Codec.decode(reply(replyData({ currentHundredths: 0, settlementHundredths: 0 })), shanghai);
    expect(valueOf(result, 'cumulative_volume')).toBe(0n);
  });

  it.each([
    { unit: 0x32, symbol: 'L/h', field: 'currentUnit' },
    { unit: 0x35, symbol: 'm³/h', field: 'settlementUnit' },
  ] as const)('refuses the flow-rate unit $symbol in a volume field', ({ unit, symbol, field }) => {
    const { code, reason } = rejection(cjt188Codec.decode(reply(replyData({ [field]: unit })), shanghai));
    expect(code).toBe('unit_not_volume');
    expect(reason).toContain(`(${symbol}), a flow rate, not a volume`);
  });

  it('refuses a unit code water meters do not use, naming its byte', () => {
    // Unit of the current flow: data byte 7, payload byte 11 + 7 = 18. 0x05 is kWh, a heat-meter unit.
    expect(rejection(cjt188Codec.decode(reply(replyData({ currentUnit: 0x05 })), shanghai))).toEqual({
      code: 'bad_unit',
      reason: 'current cumulative flow unit (byte 18) is 0x05; water meters use 0x29 L, 0x2C m³, 0x32 L/h, 0x35 m³/h',
    });
  });

  it('refuses a volume digit that is not BCD, naming its byte', () => {
    const data = replyData();
    data[9] = 0x3f; // third byte of the settlement flow
    expect(rejection(cjt188Codec.decode(reply(data), shanghai))).toEqual({
      code: 'bad_bcd',
      reason: 'settlement-day cumulative flow byte 20 is 0x3F, not two BCD digits',
    });
  });

  it.each([
    { kind: 'domestic hot water', meterType: 0x11 },
    { kind: 'drinking water', meterType: 0x12 },
    { kind: 'reclaimed water', meterType: 0x13 },
  ])('decodes $kind meters the same way', ({ meterType }) => {
    const result = cjt188Codec.decode(reply(replyData(), { meterType }), shanghai);
    expect(valueOf(result, 'cumulative_volume')).toBe(12_345_670_000n);
  });

  it.each([0, 1, 2, 3, 4])('decodes a reply behind %i preamble bytes', (preambleLength) => {
    const result = cjt188Codec.decode(reply(replyData(), { preambleLength }), shanghai);
    expect(readings(result).map((reading) => reading.device)).toEqual([address, address, address, address]);
  });
});

describe('CJ/T 188 codec: the meter clock', () => {
  it('reads the clock as Asia/Shanghai local time by default: 08:30 there is 00:30 UTC', () => {
    const result = cjt188Codec.decode(reply(replyData()), shanghai);
    expect(readings(result).map((reading) => reading.at.toISOString())).toEqual(Array(4).fill('2024-03-15T00:30:00.000Z'));
  });

  it("reads the clock in the product's time zone when it names one", () => {
    const clock = { year: 2024, month: 7, day: 1, hour: 12, minute: 0, second: 0 };
    const result = cjt188Codec.decode(reply(replyData({ clock })), { receivedAt, settings: { timeZone: 'Europe/Berlin' } });
    expect(readings(result)[0]?.at.toISOString()).toBe('2024-07-01T10:00:00.000Z');
  });

  it('dates readings at receivedAt when the meter clock is all zeros', () => {
    const result = cjt188Codec.decode(reply(replyData({ clock: 'unset' })), shanghai);
    expect(readings(result).every((reading) => reading.at.getTime() === receivedAt.getTime())).toBe(true);
  });

  it.each([
    { impossibility: 'month 13', clock: { year: 2024, month: 13, day: 1, hour: 0, minute: 0, second: 0 } },
    { impossibility: 'month 0', clock: { year: 2024, month: 0, day: 1, hour: 0, minute: 0, second: 0 } },
    { impossibility: '30 February', clock: { year: 2024, month: 2, day: 30, hour: 0, minute: 0, second: 0 } },
    { impossibility: '29 February 2023', clock: { year: 2023, month: 2, day: 29, hour: 0, minute: 0, second: 0 } },
    { impossibility: 'hour 24', clock: { year: 2024, month: 1, day: 1, hour: 24, minute: 0, second: 0 } },
    { impossibility: 'minute 60', clock: { year: 2024, month: 1, day: 1, hour: 0, minute: 60, second: 0 } },
    { impossibility: 'second 60', clock: { year: 2024, month: 1, day: 1, hour: 0, minute: 0, second: 60 } },
    { impossibility: 'the year 1969', clock: { year: 1969, month: 1, day: 1, hour: 0, minute: 0, second: 0 } },
  ])('refuses a clock reading $impossibility', ({ clock }) => {
    expect(rejection(cjt188Codec.decode(reply(replyData({ clock })), shanghai)).code).toBe('bad_clock');
  });

  it('names the clock bytes and the impossible value', () => {
    const clock = { year: 2024, month: 13, day: 1, hour: 0, minute: 0, second: 0 };
    expect(rejection(cjt188Codec.decode(reply(replyData({ clock })), shanghai)).reason).toBe(
      'meter clock (bytes 24–30) reads 2024-13-01 00:00:00: there is no month 13',
    );
  });

  it('refuses a clock byte with a nibble above 9', () => {
    const data = replyData();
    data[14] = 0x3a; // minutes
    expect(rejection(cjt188Codec.decode(reply(data), shanghai))).toEqual({
      code: 'bad_bcd',
      reason: 'meter clock minute (byte 25) is 0x3A, not two BCD digits',
    });
  });

  it('accepts 29 February of a leap year', () => {
    const clock = { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59 };
    const result = cjt188Codec.decode(reply(replyData({ clock })), shanghai);
    expect(readings(result)[0]?.at.toISOString()).toBe('2024-02-29T15:59:59.000Z');
  });
});

describe('CJ/T 188 codec: the status word', () => {
  const statusCases = [
    { layout: 'valve-bits-0-1', first: 0x00, valve: 0n, battery: 0n },
    { layout: 'valve-bits-0-1', first: 0x01, valve: 1000n, battery: 0n },
    { layout: 'valve-bits-0-1', first: 0x03, valve: 3000n, battery: 0n },
    { layout: 'valve-bits-0-1', first: 0x04, valve: 0n, battery: 1000n },
    { layout: 'valve-bits-0-1', first: 0xf8, valve: 0n, battery: 0n },
    { layout: 'masks-c0-20', first: 0x00, valve: 0n, battery: 0n },
    { layout: 'masks-c0-20', first: 0x40, valve: 1000n, battery: 0n },
    { layout: 'masks-c0-20', first: 0xc0, valve: 3000n, battery: 0n },
    { layout: 'masks-c0-20', first: 0x20, valve: 0n, battery: 1000n },
    { layout: 'masks-c0-20', first: 0x1f, valve: 0n, battery: 0n },
  ] as const;

  it.each(statusCases)('reads ST $first under $layout as valve $valve, battery_low $battery', ({ layout, first, valve, battery }) => {
    const result = cjt188Codec.decode(reply(replyData({ status: [first, 0xff] })), { receivedAt, settings: { statusLayout: layout } });
    expect(valueOf(result, 'valve_state')).toBe(valve);
    expect(valueOf(result, 'battery_low')).toBe(battery);
  });

  it('reads the same ST byte differently under the two layouts', () => {
    // 0x21: closed valve under valve-bits-0-1; open valve with a low battery under masks-c0-20.
    const payload = reply(replyData({ status: [0x21, 0x00] }));
    const standard = cjt188Codec.decode(payload, shanghai);
    const masks = cjt188Codec.decode(payload, { receivedAt, settings: { statusLayout: 'masks-c0-20' } });
    expect([valueOf(standard, 'valve_state'), valueOf(standard, 'battery_low')]).toEqual([1000n, 0n]);
    expect([valueOf(masks, 'valve_state'), valueOf(masks, 'battery_low')]).toEqual([0n, 1000n]);
  });
});

describe('CJ/T 188 codec: other replies', () => {
  it('refuses an error reply 0xC1 and passes on its SER and ST', () => {
    expect(rejection(cjt188Codec.decode(reply([0x07, 0x03, 0x00], { control: 0xc1 }), shanghai))).toEqual({
      code: 'meter_error_reply',
      reason: 'meter 78330011223344 answered with error reply 0xC1 to request 0x01: SER 0x07, ST 0x03 0x00',
    });
  });

  it('accepts a valve-control acknowledgement (0x84) without producing readings', () => {
    expect(cjt188Codec.decode(reply([0x17, 0xa0, 0x01, 0x00, 0x00], { control: 0x84 }), shanghai)).toEqual({ ok: true, readings: [] });
  });

  it('refuses a read-data reply for another data identifier, naming it', () => {
    const { code, reason } = rejection(cjt188Codec.decode(reply([0x7f, 0x90, 0x00, 0x00]), shanghai));
    expect(code).toBe('unsupported_data_identifier');
    expect(reason).toContain('is 0x907F');
  });

  it('refuses a metering reply whose L is not 0x16', () => {
    const { code, reason } = rejection(cjt188Codec.decode(reply(replyData().slice(0, 21)), shanghai));
    expect(code).toBe('bad_data_length');
    expect(reason).toContain('this one 21 (L = 0x15)');
  });

  it.each([
    { kind: 'a read-data request (0x01)', control: 0x01, data: [0x1f, 0x90, 0x00] },
    { kind: 'a read-address reply (0x83)', control: 0x83, data: [0x0a, 0x81, 0x00] },
    { kind: 'a synchronisation reply (0x96)', control: 0x96, data: [0x16, 0xa0, 0x00] },
  ])('refuses $kind as carrying no readings', ({ control, data }) => {
    expect(rejection(cjt188Codec.decode(reply(data, { control }), shanghai)).code).toBe('unsupported_control');
  });
});

describe('CJ/T 188 codec: settings', () => {
  it.each([
    { problem: 'an unknown status layout', settings: { statusLayout: 'bits-2-3' }, mentions: 'statusLayout' },
    { problem: 'an unknown time zone', settings: { timeZone: 'Mars/Olympus_Mons' }, mentions: 'timeZone' },
    { problem: 'a time zone that is not text', settings: { timeZone: 8 }, mentions: 'timeZone' },
  ])('refuses $problem before reading the payload', ({ settings, mentions }) => {
    const { code, reason } = rejection(cjt188Codec.decode(reply(replyData()), { receivedAt, settings }));
    expect(code).toBe('bad_settings');
    expect(reason).toContain(mentions);
  });

  it('ignores settings it does not know', () => {
    const result = cjt188Codec.decode(reply(replyData()), { receivedAt, settings: { dashboardColour: 'blue' } });
    expect(readings(result)).toHaveLength(4);
  });
});

describe('CJ/T 188 codec: rejection codes', () => {
  const payload = reply(replyData());
  const withByte = (offset: number, byte: number) => {
    const copy = Uint8Array.from(payload);
    copy[offset] = byte;
    return copy;
  };
  const cases: Array<{ code: string; payload: Uint8Array; settings?: Record<string, unknown> }> = [
    { code: 'bad_settings', payload, settings: { statusLayout: 'unknown' } },
    { code: 'bad_preamble', payload: Uint8Array.from([0xfe, 0xfe, 0xfe, 0xfe, 0xfe, ...payload]) },
    { code: 'bad_start', payload: withByte(0, 0x10) },
    { code: 'truncated', payload: payload.subarray(0, 20) },
    { code: 'bad_length', payload: Uint8Array.from([...payload, 0x16]) },
    { code: 'bad_end', payload: withByte(payload.length - 1, 0x00) },
    { code: 'bad_checksum', payload: withByte(payload.length - 2, (payload[payload.length - 2]! + 1) & 0xff) },
    { code: 'bad_bcd', payload: sealFrame([0x68, 0x10, 0xaa, ...hex('33 22 11 00 33 78 81'), 0x16, ...replyData()]) },
    { code: 'unknown_meter_type', payload: reply(replyData(), { meterType: 0x30 }) },
    { code: 'unsupported_control', payload: reply(replyData(), { control: 0x95 }) },
    { code: 'unsupported_data_identifier', payload: reply([0x10, 0xa0, 0x00], { control: 0x84 }) },
    { code: 'bad_data_length', payload: reply([0x1f], { control: 0x81 }) },
    { code: 'bad_unit', payload: reply(replyData({ settlementUnit: 0x2d })) },
    { code: 'unit_not_volume', payload: reply(replyData({ currentUnit: 0x35 })) },
    { code: 'bad_clock', payload: reply(replyData({ clock: { year: 2024, month: 4, day: 31, hour: 0, minute: 0, second: 0 } })) },
    { code: 'meter_error_reply', payload: reply([0x00, 0x00, 0x00], { control: 0xc4 }) },
  ];

  it.each(cases)('reaches $code', ({ code, payload: casePayload, settings }) => {
    const { code: actual, reason } = rejection(cjt188Codec.decode(casePayload, { receivedAt, settings }));
    expect(actual).toBe(code);
    expect(reason.length).toBeGreaterThan(0);
  });

  it('has a case above for every code the codec declares', () => {
    expect(new Set(cases.map(({ code }) => code))).toEqual(new Set(cjt188RejectionCodes));
  });
});
