/*
 * Frames written out by hand for tests, deliberately without the package's own encoder: the checksum
 * and BCD rules are restated here from CJ/T 188 so the tests hold the codec to the standard rather
 * than to itself.
 */

/** "68 10 44" → [0x68, 0x10, 0x44]. */
export function hex(text: string): number[] {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 2 !== 0 || /[^0-9a-f]/i.test(compact)) throw new Error(`not hex bytes: ${text}`);
  const pairs = compact.match(/../g) ?? [];
  return pairs.map((pair) => parseInt(pair, 16));
}

/** The checksum rule: the sum of every byte from 0x68 through the last data byte, mod 256. */
export function checksumOf(frameWithoutChecksum: readonly number[]): number {
  return frameWithoutChecksum.reduce((sum, byte) => sum + byte, 0) % 256;
}

/** Appends CS and 0x16 to `68 T A0…A6 C L DATA` and puts `preambleLength` bytes 0xFE in front. */
export function sealFrame(frameWithoutChecksum: string | readonly number[], preambleLength = 0): Uint8Array {
  const body = typeof frameWithoutChecksum === 'string' ? hex(frameWithoutChecksum) : [...frameWithoutChecksum];
  return Uint8Array.from([...Array<number>(preambleLength).fill(0xfe), ...body, checksumOf(body), 0x16]);
}

/** `68 T A0…A6 C L DATA` with L counted from the data. */
export function frameWithoutChecksum(parts: {
  meterType: number;
  address: string;
  control: number;
  data: readonly number[];
}): number[] {
  return [0x68, parts.meterType, ...addressBytes(parts.address), parts.control, parts.data.length, ...parts.data];
}

/** "78330011223344" → 44 33 22 11 00 33 78: BCD, low byte (last two digits) first. */
export function addressBytes(address: string): number[] {
  const pairs = address.match(/\d\d/g) ?? [];
  return pairs.reverse().map((pair) => parseInt(pair, 16));
}

/** `value` as `byteCount` packed-BCD bytes, low byte first. */
export function bcdLowByteFirst(value: number, byteCount: number): number[] {
  const digits = value.toString().padStart(byteCount * 2, '0');
  if (digits.length > byteCount * 2) throw new RangeError(`${value} does not fit ${byteCount} BCD bytes`);
  return (digits.match(/\d\d/g) ?? []).reverse().map((pair) => parseInt(pair, 16));
}

export interface WallClockFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface MeterDataReplyFields {
  /** `1F 90` (low byte first) or `90 1F`. */
  dataIdentifierBytes?: 'low-byte-first' | 'high-byte-first';
  serial?: number;
  currentHundredths: number;
  currentUnit: number;
  settlementHundredths: number;
  settlementUnit: number;
  clock: WallClockFields | 'unset';
  status?: readonly [number, number];
}

/** The 22 data bytes of a 0x901F metering reply. */
export function meterDataReplyData(fields: MeterDataReplyFields): number[] {
  const identifier = fields.dataIdentifierBytes === 'high-byte-first' ? [0x90, 0x1f] : [0x1f, 0x90];
  const clock =
    fields.clock === 'unset'
      ? [0, 0, 0, 0, 0, 0, 0]
      : [
          ...bcdLowByteFirst(fields.clock.second, 1),
          ...bcdLowByteFirst(fields.clock.minute, 1),
          ...bcdLowByteFirst(fields.clock.hour, 1),
          ...bcdLowByteFirst(fields.clock.day, 1),
          ...bcdLowByteFirst(fields.clock.month, 1),
          ...bcdLowByteFirst(fields.clock.year, 2),
        ];
  return [
    ...identifier,
    fields.serial ?? 0,
    ...bcdLowByteFirst(fields.currentHundredths, 4),
    fields.currentUnit,
    ...bcdLowByteFirst(fields.settlementHundredths, 4),
    fields.settlementUnit,
    ...clock,
    ...(fields.status ?? [0, 0]),
  ];
}
