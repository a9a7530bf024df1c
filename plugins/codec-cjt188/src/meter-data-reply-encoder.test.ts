import { describe, expect, it } from 'vitest';
import { cjt188Codec } from './codec.js';
import { encodeMeterDataReply } from './meter-data-reply-encoder.js';

const receivedAt = new Date('2026-11-28T00:00:00Z');

describe('meter-side reply encoder (for simulators)', () => {
  it('encodes a reply that the codec reads back to the same volume (in 10 L steps), time and status', () => {
    const at = new Date('2026-11-27T16:30:15Z'); // 00:30:15 on the 28th in Asia/Shanghai
    const frame = encodeMeterDataReply({ address: '10000000000042', cumulativeLitres: 1_234_567, settlementLitres: 1_200_000, at, status: [0x01, 0x00], preambleLength: 2 });
    const result = cjt188Codec.decode(frame, { receivedAt });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const byMetric = Object.fromEntries(result.readings.map((r) => [r.metric, r]));
    expect(byMetric.cumulative_volume).toMatchObject({ device: '10000000000042', at, milli: 1_234_560_000n });
    expect(byMetric.settlement_volume!.milli).toBe(1_200_000_000n);
    expect(byMetric.valve_state!.milli).toBe(1000n);
  });

  it('refuses what a register cannot hold', () => {
    expect(() => encodeMeterDataReply({ address: '10000000000042', cumulativeLitres: -1, at: receivedAt })).toThrow(RangeError);
    expect(() => encodeMeterDataReply({ address: '10000000000042', cumulativeLitres: 1.5, at: receivedAt })).toThrow(RangeError);
    expect(() => encodeMeterDataReply({ address: '10000000000042', cumulativeLitres: 1_000_000_000_000, at: receivedAt })).toThrow(RangeError);
  });
});
