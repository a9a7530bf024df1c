/**
 * The status word ST (2 bytes) that closes a CJ/T 188 metering reply. Meters agree that its first byte
 * carries the valve state and a low-battery flag, but not where:
 *
 * - `valve-bits-0-1`: the standard's layout. Valve in D1–D0 (00 open, 01 closed, 11 fault), battery
 *   undervoltage in D2; D3–D7 and the second byte are left to the manufacturer.
 * - `masks-c0-20`: valve under mask 0xC0 (same two-bit code, in D7–D6), battery under mask 0x20.
 *
 * Which layout a meter uses is a per-product setting.
 */
export const statusLayouts = ['valve-bits-0-1', 'masks-c0-20'] as const;
export type StatusLayout = (typeof statusLayouts)[number];
export const DEFAULT_STATUS_LAYOUT: StatusLayout = 'valve-bits-0-1';

export const STATUS_BYTES = 2;

/** The platform's `valve_state` values: 0 open, 1 closed, 3 fault. */
export type ValveState = 0 | 1 | 3;

export interface MeterStatus {
  valve: ValveState;
  batteryLow: boolean;
}

interface StatusBitPositions {
  valveShift: number;
  batteryMask: number;
}

const positions: Record<StatusLayout, StatusBitPositions> = {
  'valve-bits-0-1': { valveShift: 0, batteryMask: 0x04 },
  'masks-c0-20': { valveShift: 6, batteryMask: 0x20 },
};

export function decodeMeterStatus(firstStatusByte: number, layout: StatusLayout): MeterStatus {
  const { valveShift, batteryMask } = positions[layout];
  const valveBits = (firstStatusByte >> valveShift) & 0b11;
  return {
    // 10 is not a valve state the standard defines; a valve reporting it is not known to be open or
    // closed, which is what the fault state tells the operator.
    valve: valveBits === 0b00 ? 0 : valveBits === 0b01 ? 1 : 3,
    batteryLow: (firstStatusByte & batteryMask) !== 0,
  };
}
