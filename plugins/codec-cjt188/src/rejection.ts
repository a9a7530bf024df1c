import type { Rejection } from '@shuiyun/sdk';

/**
 * Every code this codec refuses a payload with. The codes are stable (operators count them per product
 * and alert on them); the `reason` beside each one is free text for people.
 */
export const cjt188RejectionCodes = [
  /** The product's codec settings are unusable (unknown status layout or time zone). */
  'bad_settings',
  // The frame envelope, checked before the checksum is trusted.
  'bad_preamble',
  'bad_start',
  'truncated',
  'bad_length',
  'bad_end',
  'bad_checksum',
  // The frame's fields, checked once the checksum holds.
  'bad_bcd',
  'unknown_meter_type',
  'unsupported_control',
  // The data field of a well-formed frame.
  'unsupported_data_identifier',
  'bad_data_length',
  'bad_unit',
  'unit_not_volume',
  'bad_clock',
  /** The meter answered with an error reply (control code with D6 set, e.g. 0xC1). */
  'meter_error_reply',
] as const;

export type Cjt188RejectionCode = (typeof cjt188RejectionCodes)[number];

export function reject(code: Cjt188RejectionCode, reason: string): Rejection {
  return { ok: false, code, reason };
}

/** `0x1F`: how bytes are named in reasons, the way the standard's tables write them. */
export function hexByte(byte: number | undefined): string {
  if (byte === undefined) return 'nothing';
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}
