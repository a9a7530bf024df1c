import { describe, expect, it } from 'vitest';
import { parseRegisterMap } from './register-map.js';
import { decodeWritePdu, encodeWritePdu, type ModbusWrite, resolveWrite } from './write-request.js';

const services = parseRegisterMap({
  metrics: [{ metric: 'valve_state', function: 'coil', address: 16 }],
  services: {
    valve_open: { function: 'coil', address: 16, value: true },
    valve_close: { function: 'coil', address: 16, value: false },
    valve_set: { function: 'coil', address: 16, param: 'open' },
    set_interval: { function: 'holding_register', address: 100, param: 'minutes' },
    set_offset: { function: 'holding_register', address: 101, type: 'int16', value: -2 },
    set_limit: { function: 'holding_register', address: 200, type: 'uint32', param: 'litres' },
    set_limit_swapped: { function: 'holding_register', address: 202, type: 'int32', wordOrder: 'little', value: -100_000 },
  },
}).services;

describe('Modbus downlink writes', () => {
  it('resolves fixed values and parameters into coil and register writes, 32-bit values in the map’s word order', () => {
    expect(resolveWrite(services.valve_open!, {})).toEqual({ ok: true, write: { function: 'coil', address: 16, value: true } });
    expect(resolveWrite(services.valve_close!, {})).toEqual({ ok: true, write: { function: 'coil', address: 16, value: false } });
    expect(resolveWrite(services.valve_set!, { open: false })).toEqual({ ok: true, write: { function: 'coil', address: 16, value: false } });
    expect(resolveWrite(services.set_interval!, { minutes: 15 })).toEqual({ ok: true, write: { function: 'holding_register', address: 100, words: [15] } });
    expect(resolveWrite(services.set_offset!, {})).toEqual({ ok: true, write: { function: 'holding_register', address: 101, words: [0xfffe] } });
    expect(resolveWrite(services.set_limit!, { litres: 100_000 })).toEqual({ ok: true, write: { function: 'holding_register', address: 200, words: [0x0001, 0x86a0] } });
    // −100 000 = 0xFFFE7960, low word first.
    expect(resolveWrite(services.set_limit_swapped!, {})).toEqual({ ok: true, write: { function: 'holding_register', address: 202, words: [0x7960, 0xfffe] } });
  });

  it('refuses a parameter of the wrong type or out of the register’s range', () => {
    expect(resolveWrite(services.valve_set!, { open: 1 })).toEqual({ ok: false, reason: 'parameter open must be true or false to write a coil' });
    expect(resolveWrite(services.set_interval!, { minutes: 70_000 })).toMatchObject({ ok: false, reason: expect.stringContaining('uint16') });
    expect(resolveWrite(services.set_interval!, { minutes: 1.5 })).toMatchObject({ ok: false });
    expect(resolveWrite(services.set_interval!, {})).toMatchObject({ ok: false });
  });

  it('encodes FC 5, FC 6 and FC 16 PDUs byte for byte as the Modbus specification lays them out, and decodes them back', () => {
    const cases: [ModbusWrite, string][] = [
      [{ function: 'coil', address: 16, value: true }, '05 0010 FF00'],
      [{ function: 'coil', address: 16, value: false }, '05 0010 0000'],
      [{ function: 'holding_register', address: 100, words: [15] }, '06 0064 000F'],
      [{ function: 'holding_register', address: 200, words: [0x0001, 0x86a0] }, '10 00C8 0002 04 0001 86A0'],
    ];
    for (const [write, hex] of cases) {
      const pdu = encodeWritePdu(write);
      expect(Buffer.from(pdu).toString('hex').toUpperCase()).toBe(hex.replaceAll(' ', ''));
      expect(decodeWritePdu(pdu)).toEqual(write);
    }
  });

  it('decodes nothing but well-formed write PDUs', () => {
    for (const hex of ['', '03000000 0A', '05 0010 1234', '05 0010', '06 0064', '10 00C8 0002 03 0001 86A0', '10 00C8 0000 00', '10 00C8 0002 04 0001']) {
      expect(decodeWritePdu(Buffer.from(hex.replaceAll(' ', ''), 'hex')), hex).toBeNull();
    }
  });
});
