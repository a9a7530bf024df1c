import type { Rejection } from '@shuiyun/sdk';
import { readBcdLowByteFirst, toBcdByte } from './bcd.js';
import { isKnownControlCode, type ControlCode } from './control-codes.js';
import { isWaterMeterType, type WaterMeterType } from './meter-types.js';
import { hexByte, reject } from './rejection.js';

/*
 * The CJ/T 188 frame:
 *
 *   [0xFE …]  0x68  T  A0 … A6  C  L  DATA(L bytes)  CS  0x16
 *
 * The 0xFE preamble wakes the receiver and is not part of the frame proper. The address is 7 packed-BCD
 * bytes, low byte first (A0 holds the two lowest digits). CS is the sum, mod 256, of every byte from the
 * start byte 0x68 through the last data byte.
 */

export const PREAMBLE_BYTE = 0xfe;
export const START_BYTE = 0x68;
export const END_BYTE = 0x16;
/** More wake-up bytes than this is not a CJ/T 188 preamble but noise in front of the frame. */
export const MAX_PREAMBLE_BYTES = 4;
export const ADDRESS_BYTES = 7;
export const ADDRESS_DIGITS = ADDRESS_BYTES * 2;
/** 0x68, T, A0…A6, C, L. */
const HEADER_BYTES = 11;
const METER_TYPE_OFFSET = 1;
const ADDRESS_OFFSET = 2;
const CONTROL_OFFSET = 9;
const LENGTH_OFFSET = 10;
const MAX_DATA_BYTES = 0xff;

/**
 * Codes for payloads refused before the checksum is trusted; every other code means the frame's
 * envelope held and a later layer refused its contents.
 */
export const envelopeRejectionCodes: ReadonlySet<string> = new Set([
  'bad_preamble',
  'bad_start',
  'truncated',
  'bad_length',
  'bad_end',
  'bad_checksum',
]);

export interface Cjt188Frame {
  preambleLength: number;
  meterType: WaterMeterType;
  /** 14 decimal digits, most significant first (A6 … A0). */
  address: string;
  control: ControlCode;
  /** The L data bytes, a view into the payload. */
  data: Uint8Array;
  /** Where `data` starts in the payload, so later layers can name absolute byte offsets. */
  dataOffset: number;
}

export type FrameParseResult = { ok: true; frame: Cjt188Frame } | Rejection;

/** Sum mod 256 of `bytes[from]` up to, not including, `bytes[to]`. */
export function frameChecksum(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let index = from; index < to; index++) sum = (sum + (bytes[index] ?? 0)) & 0xff;
  return sum;
}

export function parseFrame(payload: Uint8Array): FrameParseResult {
  let start = 0;
  while (start < payload.length && payload[start] === PREAMBLE_BYTE) start++;
  if (start > MAX_PREAMBLE_BYTES) {
    return reject(
      'bad_preamble',
      `${start} preamble bytes 0xFE precede the frame; CJ/T 188 frames carry at most ${MAX_PREAMBLE_BYTES}`,
    );
  }
  if (start === payload.length) {
    return reject(
      'truncated',
      payload.length === 0 ? 'the payload is empty' : `the payload holds only ${start} preamble bytes 0xFE`,
    );
  }
  if (payload[start] !== START_BYTE) {
    return reject('bad_start', `byte ${start} is ${hexByte(payload[start])}, expected the start byte 0x68`);
  }
  if (payload.length < start + HEADER_BYTES) {
    return reject(
      'truncated',
      `the frame header needs ${HEADER_BYTES} bytes from byte ${start}, ` +
        `the payload ends after ${payload.length - start}`,
    );
  }

  const lengthOffset = start + LENGTH_OFFSET;
  const dataLength = payload[lengthOffset] ?? 0;
  const dataOffset = start + HEADER_BYTES;
  const checksumOffset = dataOffset + dataLength;
  const endOffset = checksumOffset + 1;
  if (payload.length <= endOffset) {
    return reject(
      'truncated',
      `L (byte ${lengthOffset}) is ${hexByte(dataLength)}, so the frame ends at byte ${endOffset}, ` +
        `but the payload has only ${payload.length} bytes`,
    );
  }
  if (payload.length > endOffset + 1) {
    return reject(
      'bad_length',
      `L (byte ${lengthOffset}) is ${hexByte(dataLength)}, so the frame ends at byte ${endOffset}, ` +
        `but the payload runs ${payload.length - endOffset - 1} bytes further`,
    );
  }
  if (payload[endOffset] !== END_BYTE) {
    return reject(
      'bad_end',
      `byte ${endOffset} is ${hexByte(payload[endOffset])}, expected the end byte 0x16 ` +
        `(L at byte ${lengthOffset} is ${hexByte(dataLength)})`,
    );
  }
  const expectedChecksum = frameChecksum(payload, start, checksumOffset);
  if (payload[checksumOffset] !== expectedChecksum) {
    return reject(
      'bad_checksum',
      `CS (byte ${checksumOffset}) is ${hexByte(payload[checksumOffset])}, but bytes ${start}–${checksumOffset - 1} ` +
        `sum to ${hexByte(expectedChecksum)} mod 256`,
    );
  }

  const address = readBcdLowByteFirst(payload, start + ADDRESS_OFFSET, ADDRESS_BYTES);
  if (!address.ok) {
    const addressByte = address.badOffset - start - ADDRESS_OFFSET;
    return reject(
      'bad_bcd',
      `address byte A${addressByte} (byte ${address.badOffset}) is ${hexByte(address.badByte)}, not two BCD digits`,
    );
  }
  const meterType = payload[start + METER_TYPE_OFFSET] ?? 0;
  if (!isWaterMeterType(meterType)) {
    return reject(
      'unknown_meter_type',
      `meter type T (byte ${start + METER_TYPE_OFFSET}) is ${hexByte(meterType)}; ` +
        'water meters are 0x10 cold, 0x11 domestic hot, 0x12 drinking, 0x13 reclaimed',
    );
  }
  const control = payload[start + CONTROL_OFFSET] ?? 0;
  if (!isKnownControlCode(control)) {
    return reject('unsupported_control', `control code C (byte ${start + CONTROL_OFFSET}) is ${hexByte(control)}`);
  }

  return {
    ok: true,
    frame: {
      preambleLength: start,
      meterType,
      address: address.value.toString().padStart(ADDRESS_DIGITS, '0'),
      control,
      data: payload.subarray(dataOffset, checksumOffset),
      dataOffset,
    },
  };
}

export interface FrameFields {
  /** Any byte: tests build frames for meters this codec refuses. */
  meterType: number;
  /** 14 decimal digits, most significant first. */
  address: string;
  control: number;
  data?: Uint8Array | readonly number[];
  /** Wake-up bytes 0xFE before the frame, 0–4. */
  preambleLength?: number;
}

/**
 * Builds a frame with its length and checksum. Its callers are this platform's own code (downlink
 * commands, tests), so a wrong argument is a programming error and throws a RangeError.
 */
export function buildFrame(fields: FrameFields): Uint8Array {
  const { meterType, address, control, data = [], preambleLength = 0 } = fields;
  assertByte('meterType', meterType);
  assertByte('control', control);
  if (!/^\d{14}$/.test(address)) {
    throw new RangeError(`address must be ${ADDRESS_DIGITS} decimal digits, got "${address}"`);
  }
  if (data.length > MAX_DATA_BYTES) {
    throw new RangeError(`data holds ${data.length} bytes, a frame carries at most ${MAX_DATA_BYTES}`);
  }
  data.forEach((byte, index) => assertByte(`data[${index}]`, byte));
  if (!Number.isInteger(preambleLength) || preambleLength < 0 || preambleLength > MAX_PREAMBLE_BYTES) {
    throw new RangeError(`preambleLength must be 0–${MAX_PREAMBLE_BYTES}, got ${preambleLength}`);
  }

  const frame = new Uint8Array(preambleLength + HEADER_BYTES + data.length + 2);
  frame.fill(PREAMBLE_BYTE, 0, preambleLength);
  const start = preambleLength;
  frame[start] = START_BYTE;
  frame[start + METER_TYPE_OFFSET] = meterType;
  for (let addressByte = 0; addressByte < ADDRESS_BYTES; addressByte++) {
    // A0 carries the last two digits of the written address.
    const digitsFrom = ADDRESS_DIGITS - 2 * (addressByte + 1);
    frame[start + ADDRESS_OFFSET + addressByte] = toBcdByte(Number(address.slice(digitsFrom, digitsFrom + 2)));
  }
  frame[start + CONTROL_OFFSET] = control;
  frame[start + LENGTH_OFFSET] = data.length;
  frame.set(data, start + HEADER_BYTES);
  const checksumOffset = start + HEADER_BYTES + data.length;
  frame[checksumOffset] = frameChecksum(frame, start, checksumOffset);
  frame[checksumOffset + 1] = END_BYTE;
  return frame;
}

function assertByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new RangeError(`${name} must be a byte, got ${value}`);
  }
}
