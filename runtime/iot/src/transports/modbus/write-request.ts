import { fitsRegisterType, type RegisterWrite } from './register-map.js';

/** One Modbus write request: a coil (FC 5), or holding registers from `address` (FC 6 for one word, FC 16 for more). */
export type ModbusWrite = { function: 'coil'; address: number; value: boolean } | { function: 'holding_register'; address: number; words: number[] };

export type ResolvedWrite = { ok: true; write: ModbusWrite } | { ok: false; reason: string };

/** Function codes of the writes the platform sends (Modbus Application Protocol V1.1b3, §6.5, §6.6, §6.12). */
export const WRITE_SINGLE_COIL = 0x05;
export const WRITE_SINGLE_REGISTER = 0x06;
export const WRITE_MULTIPLE_REGISTERS = 0x10;

/**
 * The write a service of the register map makes for one command: its fixed value, or the command's
 * parameter of the declared name. A 32-bit value is split into two words in the map's word order.
 */
export function resolveWrite(service: RegisterWrite, params: Record<string, unknown>): ResolvedWrite {
  const given = service.param === undefined ? service.value : params[service.param];
  const name = service.param === undefined ? 'the value' : `parameter ${service.param}`;
  if (service.function === 'coil') {
    if (typeof given !== 'boolean') return { ok: false, reason: `${name} must be true or false to write a coil` };
    return { ok: true, write: { function: 'coil', address: service.address, value: given } };
  }
  if (typeof given !== 'number' || !fitsRegisterType(service.type, given)) {
    return { ok: false, reason: `${name} must be a whole number that fits a ${service.type}` };
  }
  if (service.type === 'uint16' || service.type === 'int16') {
    return { ok: true, write: { function: 'holding_register', address: service.address, words: [given & 0xffff] } };
  }
  const raw = BigInt.asUintN(32, BigInt(given));
  const [high, low] = [Number(raw >> 16n), Number(raw & 0xffffn)];
  return { ok: true, write: { function: 'holding_register', address: service.address, words: service.wordOrder === 'big' ? [high, low] : [low, high] } };
}

/** The request's PDU (function code and data, without the MBAP header), as it goes on the wire. */
export function encodeWritePdu(write: ModbusWrite): Uint8Array {
  if (write.function === 'coil') {
    const pdu = Buffer.alloc(5);
    pdu.writeUInt8(WRITE_SINGLE_COIL, 0);
    pdu.writeUInt16BE(write.address, 1);
    pdu.writeUInt16BE(write.value ? 0xff00 : 0x0000, 3);
    return pdu;
  }
  if (write.words.length === 1) {
    const pdu = Buffer.alloc(5);
    pdu.writeUInt8(WRITE_SINGLE_REGISTER, 0);
    pdu.writeUInt16BE(write.address, 1);
    pdu.writeUInt16BE(write.words[0]!, 3);
    return pdu;
  }
  const pdu = Buffer.alloc(6 + 2 * write.words.length);
  pdu.writeUInt8(WRITE_MULTIPLE_REGISTERS, 0);
  pdu.writeUInt16BE(write.address, 1);
  pdu.writeUInt16BE(write.words.length, 3);
  pdu.writeUInt8(2 * write.words.length, 5);
  write.words.forEach((word, i) => pdu.writeUInt16BE(word, 6 + 2 * i));
  return pdu;
}

/** A write PDU made by `encodeWritePdu` back into the write; null for anything else. */
export function decodeWritePdu(bytes: Uint8Array): ModbusWrite | null {
  const pdu = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (pdu[0]) {
    case WRITE_SINGLE_COIL: {
      if (pdu.length !== 5) return null;
      const state = pdu.readUInt16BE(3);
      if (state !== 0xff00 && state !== 0x0000) return null;
      return { function: 'coil', address: pdu.readUInt16BE(1), value: state === 0xff00 };
    }
    case WRITE_SINGLE_REGISTER:
      return pdu.length === 5 ? { function: 'holding_register', address: pdu.readUInt16BE(1), words: [pdu.readUInt16BE(3)] } : null;
    case WRITE_MULTIPLE_REGISTERS: {
      if (pdu.length < 6) return null;
      const count = pdu.readUInt16BE(3);
      if (count < 1 || count > 123 || pdu[5] !== 2 * count || pdu.length !== 6 + 2 * count) return null;
      return { function: 'holding_register', address: pdu.readUInt16BE(1), words: Array.from({ length: count }, (_, i) => pdu.readUInt16BE(6 + 2 * i)) };
    }
    default:
      return null;
  }
}
