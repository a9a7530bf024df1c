import { describe, expect, it } from 'vitest';
import { decodeMeterStatus } from './status-layouts.js';

describe('ST status layouts', () => {
  it.each([
    { bits: 0b00, valve: 0 },
    { bits: 0b01, valve: 1 },
    { bits: 0b11, valve: 3 },
    { bits: 0b10, valve: 3 },
  ] as const)('valve-bits-0-1 reads valve bits $bits as $valve', ({ bits, valve }) => {
    expect(decodeMeterStatus(bits, 'valve-bits-0-1')).toEqual({ valve, batteryLow: false });
    expect(decodeMeterStatus(bits << 6, 'masks-c0-20')).toEqual({ valve, batteryLow: false });
  });

  it('reads the battery flag from bit 2 or from mask 0x20', () => {
    expect(decodeMeterStatus(0x04, 'valve-bits-0-1').batteryLow).toBe(true);
    expect(decodeMeterStatus(0x20, 'valve-bits-0-1').batteryLow).toBe(false);
    expect(decodeMeterStatus(0x20, 'masks-c0-20').batteryLow).toBe(true);
    expect(decodeMeterStatus(0x04, 'masks-c0-20').batteryLow).toBe(false);
  });

  it('ignores the bits each layout leaves to the manufacturer', () => {
    expect(decodeMeterStatus(0xf8, 'valve-bits-0-1')).toEqual({ valve: 0, batteryLow: false });
    expect(decodeMeterStatus(0x1f, 'masks-c0-20')).toEqual({ valve: 0, batteryLow: false });
  });
});
