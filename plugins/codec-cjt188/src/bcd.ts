/**
 * Packed BCD as CJ/T 188 writes numbers: two decimal digits per byte, the high nibble the higher digit,
 * and multi-byte numbers low byte first.
 */

/** The byte's value 0–99, or undefined when a nibble is above 9. */
export function bcdByteValue(byte: number): number | undefined {
  const high = byte >> 4;
  const low = byte & 0x0f;
  if (high > 9 || low > 9) return undefined;
  return high * 10 + low;
}

export function toBcdByte(value: number): number {
  return ((Math.trunc(value / 10) % 10) << 4) | value % 10;
}

export type BcdNumber = { ok: true; value: number } | { ok: false; badOffset: number; badByte: number };

/**
 * Reads `length` BCD bytes low byte first. Up to 7 bytes (14 digits) stay exact in a JS number, and
 * the standard's longest number field is 4 bytes.
 */
export function readBcdLowByteFirst(bytes: Uint8Array, offset: number, length: number): BcdNumber {
  let value = 0;
  for (let index = length - 1; index >= 0; index--) {
    const byte = bytes[offset + index] ?? 0xff;
    const digits = bcdByteValue(byte);
    if (digits === undefined) return { ok: false, badOffset: offset + index, badByte: byte };
    value = value * 100 + digits;
  }
  return { ok: true, value };
}
