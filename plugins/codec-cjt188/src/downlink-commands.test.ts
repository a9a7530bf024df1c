import { describe, expect, it } from 'vitest';
import { parseFrame } from './frame.js';
import { encodeReadMeterDataRequest } from './read-meter-data-request.js';
import { frameWithoutChecksum, sealFrame } from './testing/hand-built-frames.js';
import { decodeValveControlReply, encodeValveControlCommand } from './valve-control.js';

const address = '78330011223344';
const target = { meterType: 0x10, address, serial: 0x2a } as const;

function hand(control: number, data: number[], preambleLength: number, meterType = 0x10): number[] {
  return Array.from(sealFrame(frameWithoutChecksum({ meterType, address, control, data }), preambleLength));
}

describe('read-data request', () => {
  it('asks for DI 0x901F with the serial, written 1F 90 behind two wake-up bytes by default', () => {
    expect(Array.from(encodeReadMeterDataRequest(target))).toEqual(hand(0x01, [0x1f, 0x90, 0x2a], 2));
  });

  it('writes 90 1F and another preamble for firmware that wants them', () => {
    const request = encodeReadMeterDataRequest({ ...target, meterType: 0x12, dataIdentifierOrder: 'high-byte-first', preambleLength: 0 });
    expect(Array.from(request)).toEqual(hand(0x01, [0x90, 0x1f, 0x2a], 0, 0x12));
  });

  it('refuses a serial that does not fit SER', () => {
    expect(() => encodeReadMeterDataRequest({ ...target, serial: 256 })).toThrow(RangeError);
  });
});

describe('valve control', () => {
  it('opens with write-data 0x04, DI A0 17 written 17 A0, the serial and 0x55', () => {
    expect(Array.from(encodeValveControlCommand({ ...target, operation: 'open' }))).toEqual(hand(0x04, [0x17, 0xa0, 0x2a, 0x55], 2));
  });

  it('closes with 0x99', () => {
    const command = encodeValveControlCommand({ ...target, operation: 'close', dataIdentifierOrder: 'high-byte-first' });
    const parsed = parseFrame(command);
    expect(parsed.ok && Array.from(parsed.frame.data)).toEqual([0xa0, 0x17, 0x2a, 0x99]);
  });

  it('reports success from an acknowledgement carrying ST', () => {
    expect(decodeValveControlReply(sealFrame(frameWithoutChecksum({ meterType: 0x10, address, control: 0x84, data: [0x17, 0xa0, 0x2a, 0x01, 0x00] })))).toEqual({
      ok: true,
      meterType: 0x10,
      address,
      serial: 0x2a,
      status: [0x01, 0x00],
    });
  });

  it('reports success from an acknowledgement with DI written A0 17 and no ST', () => {
    const payload = sealFrame(frameWithoutChecksum({ meterType: 0x11, address, control: 0x84, data: [0xa0, 0x17, 0x2a] }), 3);
    expect(decodeValveControlReply(payload)).toEqual({ ok: true, meterType: 0x11, address, serial: 0x2a });
  });

  it('reports the meter refusing the command (error reply 0xC4)', () => {
    const payload = sealFrame(frameWithoutChecksum({ meterType: 0x10, address, control: 0xc4, data: [0x2a, 0x03, 0x00] }));
    expect(decodeValveControlReply(payload)).toMatchObject({ ok: false, code: 'meter_error_reply' });
  });

  it.each([
    { problem: 'a metering reply', control: 0x81, data: [0x1f, 0x90, 0x2a], code: 'unsupported_control' },
    { problem: 'an acknowledgement of another write', control: 0x84, data: [0x15, 0xa0, 0x2a], code: 'unsupported_data_identifier' },
    { problem: 'an acknowledgement of 4 data bytes', control: 0x84, data: [0x17, 0xa0, 0x2a, 0x00], code: 'bad_data_length' },
    { problem: 'an acknowledgement without a DI', control: 0x84, data: [0x17], code: 'bad_data_length' },
  ])('refuses $problem', ({ control, data, code }) => {
    expect(decodeValveControlReply(sealFrame(frameWithoutChecksum({ meterType: 0x10, address, control, data })))).toMatchObject({ ok: false, code });
  });

  it('refuses a damaged frame like the codec does', () => {
    const payload = sealFrame(frameWithoutChecksum({ meterType: 0x10, address, control: 0x84, data: [0x17, 0xa0, 0x2a] }));
    payload[12] = 0x00;
    expect(decodeValveControlReply(payload)).toMatchObject({ ok: false, code: 'bad_checksum' });
  });
});
