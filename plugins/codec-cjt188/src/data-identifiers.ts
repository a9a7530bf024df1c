/**
 * Data identifiers (DI) that open the data field of read and write frames. CJ/T 188 writes multi-byte
 * fields low byte first, which puts 0x901F on the wire as `1F 90`; many meters nevertheless send
 * `90 1F`. Decoding accepts both orders; encoding follows the product's choice.
 */
export const dataIdentifiers = {
  /** Metering data: current and settlement-day totals, the meter's clock, the status word. */
  meterData: 0x901f,
  /** Valve control: one byte, 0x55 open, 0x99 close. */
  valveControl: 0xa017,
} as const;

export type DataIdentifier = (typeof dataIdentifiers)[keyof typeof dataIdentifiers];

export type DataIdentifierOrder = 'low-byte-first' | 'high-byte-first';

export const DATA_IDENTIFIER_BYTES = 2;

const knownDataIdentifiers: ReadonlySet<number> = new Set(Object.values(dataIdentifiers));

export type ReadDataIdentifier =
  | { known: true; identifier: DataIdentifier; order: DataIdentifierOrder }
  | { known: false; lowByteFirst: number };

/** Reads the DI at the start of `data`, which must hold at least two bytes. */
export function readDataIdentifier(data: Uint8Array): ReadDataIdentifier {
  const first = data[0] ?? 0;
  const second = data[1] ?? 0;
  const lowByteFirst = (second << 8) | first;
  if (knownDataIdentifiers.has(lowByteFirst)) {
    return { known: true, identifier: lowByteFirst as DataIdentifier, order: 'low-byte-first' };
  }
  const highByteFirst = (first << 8) | second;
  if (knownDataIdentifiers.has(highByteFirst)) {
    return { known: true, identifier: highByteFirst as DataIdentifier, order: 'high-byte-first' };
  }
  return { known: false, lowByteFirst };
}

export function encodeDataIdentifier(identifier: DataIdentifier, order: DataIdentifierOrder): [number, number] {
  const low = identifier & 0xff;
  const high = identifier >> 8;
  return order === 'low-byte-first' ? [low, high] : [high, low];
}

export function formatDataIdentifier(identifier: number): string {
  return `0x${identifier.toString(16).toUpperCase().padStart(4, '0')}`;
}
