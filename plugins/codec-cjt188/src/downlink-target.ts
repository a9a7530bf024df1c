import type { DataIdentifierOrder } from './data-identifiers.js';
import type { WaterMeterType } from './meter-types.js';

/** The meter a downlink command goes to, and how that meter's firmware wants frames written. */
export interface DownlinkTarget {
  meterType: WaterMeterType;
  /** 14 decimal digits, most significant first. */
  address: string;
  /** SER, 0–255: the meter echoes it in its reply, which matches the reply to its request. */
  serial: number;
  /**
   * How the DI goes on the wire. Default `low-byte-first` (0x901F as `1F 90`), the order CJ/T 188 uses
   * for every multi-byte field; set `high-byte-first` for firmware that expects `90 1F`.
   */
  dataIdentifierOrder?: DataIdentifierOrder;
  /** 0xFE wake-up bytes ahead of the frame, 0–4; default 2. Receivers skip them. */
  preambleLength?: number;
}

export const DEFAULT_DOWNLINK_PREAMBLE_BYTES = 2;

export function assertSerial(serial: number): void {
  if (!Number.isInteger(serial) || serial < 0 || serial > 0xff) {
    throw new RangeError(`serial (SER) must be 0–255, got ${serial}`);
  }
}
