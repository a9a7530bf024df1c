import { describe, expect, it } from 'vitest';
import { buildFrame, parseFrame } from './frame.js';
import { checksumOf, hex, sealFrame } from './testing/hand-built-frames.js';

// A read-data request to meter 78330011223344: 68, T, A0…A6 (44 33 22 11 00 33 78), C, L, DI 1F 90, SER.
const readRequest = '68 10 44 33 22 11 00 33 78 01 03 1F 90 00';

function rejectionOf(payload: Uint8Array): { code: string; reason: string } {
  const result = parseFrame(payload);
  if (result.ok) throw new Error('expected a rejection');
  return { code: result.code, reason: result.reason };
}

describe('CJ/T 188 frame parsing', () => {
  it('reads the address low byte first into 14 digits, and hands over the data field', () => {
    const result = parseFrame(sealFrame(readRequest));
    expect(result).toEqual({
      ok: true,
      frame: {
        preambleLength: 0,
        meterType: 0x10,
        address: '78330011223344',
        control: 0x01,
        data: Uint8Array.from([0x1f, 0x90, 0x00]),
        dataOffset: 11,
      },
    });
  });

  it('checks the checksum as the sum of bytes 0x68 through the last data byte, mod 256', () => {
    // 68+10+44+33+22+11+00+33+78+01+03+1F+90+00 = 0x380, so CS = 0x80.
    expect(checksumOf(hex(readRequest))).toBe(0x80);
    expect(parseFrame(Uint8Array.from([...hex(readRequest), 0x80, 0x16])).ok).toBe(true);
    expect(rejectionOf(Uint8Array.from([...hex(readRequest), 0x7f, 0x16]))).toEqual({
      code: 'bad_checksum',
      reason: 'CS (byte 14) is 0x7F, but bytes 0–13 sum to 0x80 mod 256',
    });
  });

  it.each([0, 1, 2, 3, 4])('accepts %i preamble bytes 0xFE', (preambleLength) => {
    const result = parseFrame(sealFrame(readRequest, preambleLength));
    expect(result.ok && result.frame).toMatchObject({ preambleLength, address: '78330011223344', dataOffset: preambleLength + 11 });
  });

  it('refuses a fifth preamble byte', () => {
    expect(rejectionOf(sealFrame(readRequest, 5)).code).toBe('bad_preamble');
  });

  it('refuses an empty payload and a payload of preamble alone as truncated', () => {
    expect(rejectionOf(new Uint8Array())).toEqual({ code: 'truncated', reason: 'the payload is empty' });
    expect(rejectionOf(Uint8Array.from([0xfe, 0xfe])).code).toBe('truncated');
  });

  it('names the offending byte when the start byte is wrong', () => {
    const payload = sealFrame(readRequest, 2);
    payload[2] = 0x69;
    expect(rejectionOf(payload)).toEqual({ code: 'bad_start', reason: 'byte 2 is 0x69, expected the start byte 0x68' });
  });

  it('refuses a frame cut inside its header', () => {
    expect(rejectionOf(Uint8Array.from(hex('68 10 44 33 22'))).code).toBe('truncated');
  });

  it('refuses a frame shorter than its L declares', () => {
    const payload = sealFrame(readRequest);
    const { code, reason } = rejectionOf(payload.subarray(0, payload.length - 1));
    expect(code).toBe('truncated');
    expect(reason).toContain('L (byte 10) is 0x03');
  });

  it('refuses bytes after the end byte as a length mismatch', () => {
    const { code, reason } = rejectionOf(Uint8Array.from([...sealFrame(readRequest), 0x00]));
    expect(code).toBe('bad_length');
    expect(reason).toContain('runs 1 bytes further');
  });

  it('refuses a frame whose end byte is not 0x16', () => {
    const payload = sealFrame(readRequest);
    payload[payload.length - 1] = 0x17;
    expect(rejectionOf(payload).reason).toBe('byte 15 is 0x17, expected the end byte 0x16 (L at byte 10 is 0x03)');
  });

  it('refuses an address byte that is not BCD, even with a good checksum', () => {
    // A3 = 0x1A.
    expect(rejectionOf(sealFrame('68 10 44 33 22 1A 00 33 78 01 03 1F 90 00'))).toEqual({
      code: 'bad_bcd',
      reason: 'address byte A3 (byte 5) is 0x1A, not two BCD digits',
    });
  });

  it('refuses meter types outside the water-meter family, such as a heat meter (0x20)', () => {
    const { code, reason } = rejectionOf(sealFrame('68 20 44 33 22 11 00 33 78 01 03 1F 90 00'));
    expect(code).toBe('unknown_meter_type');
    expect(reason).toContain('meter type T (byte 1) is 0x20');
  });

  it.each([
    { kind: 'cold water', meterType: 0x10 },
    { kind: 'domestic hot water', meterType: 0x11 },
    { kind: 'drinking water', meterType: 0x12 },
    { kind: 'reclaimed water', meterType: 0x13 },
  ])('accepts $kind meters (T = $meterType)', ({ meterType }) => {
    const result = parseFrame(sealFrame([0x68, meterType, ...hex('44 33 22 11 00 33 78 01 03 1F 90 00')]));
    expect(result.ok && result.frame.meterType).toBe(meterType);
  });

  it('refuses a control code CJ/T 188 does not define for water meters', () => {
    expect(rejectionOf(sealFrame('68 10 44 33 22 11 00 33 78 22 00'))).toEqual({
      code: 'unsupported_control',
      reason: 'control code C (byte 9) is 0x22',
    });
  });
});

describe('CJ/T 188 frame building', () => {
  it('writes the same bytes as the hand-built frame, checksum and end byte included', () => {
    const built = buildFrame({ meterType: 0x10, address: '78330011223344', control: 0x01, data: [0x1f, 0x90, 0x00] });
    expect(Array.from(built)).toEqual(Array.from(sealFrame(readRequest)));
  });

  it('puts the requested preamble in front', () => {
    const built = buildFrame({ meterType: 0x10, address: '78330011223344', control: 0x01, data: [0x1f, 0x90, 0x00], preambleLength: 4 });
    expect(Array.from(built)).toEqual(Array.from(sealFrame(readRequest, 4)));
  });

  it('builds a frame without data (L = 0)', () => {
    const built = buildFrame({ meterType: 0x13, address: '00000000000001', control: 0x03 });
    expect(Array.from(built)).toEqual(Array.from(sealFrame('68 13 01 00 00 00 00 00 00 03 00')));
  });

  it('throws on arguments no frame can carry, since only platform code calls it', () => {
    const base = { meterType: 0x10, address: '78330011223344', control: 0x01 };
    expect(() => buildFrame({ ...base, address: '7833001122334' })).toThrow(RangeError);
    expect(() => buildFrame({ ...base, address: '7833001122334A' })).toThrow(RangeError);
    expect(() => buildFrame({ ...base, meterType: 0x100 })).toThrow(RangeError);
    expect(() => buildFrame({ ...base, data: [256] })).toThrow(RangeError);
    expect(() => buildFrame({ ...base, data: new Uint8Array(256) })).toThrow(RangeError);
    expect(() => buildFrame({ ...base, preambleLength: 5 })).toThrow(RangeError);
  });
});
