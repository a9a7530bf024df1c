import { encodeWritePdu, planReads, type RegisterMap, RegisterMapError, resolveWrite } from '@shuiyun/iot';
import { registerMapOf } from '../devices/modbus-settings.js';
import type { CommandCodec } from './command-codecs.js';

const READ_NOW = 'read_now';

/** The read requests of one poll as PDUs (function code, first address, count), one after the other. */
function readRequests(map: RegisterMap): Uint8Array {
  const codes = { coil: 0x01, discrete_input: 0x02, holding_register: 0x03, input_register: 0x04 } as const;
  const reads = planReads(map);
  const pdu = Buffer.alloc(5 * reads.length);
  reads.forEach((read, i) => {
    pdu.writeUInt8(codes[read.function], 5 * i);
    pdu.writeUInt16BE(read.address, 5 * i + 1);
    pdu.writeUInt16BE(read.length, 5 * i + 3);
  });
  return pdu;
}

/**
 * Modbus devices (codec `modbus`): a service is the write its product's register map declares for it
 * (`registerMap.services`: a coil with FC 5, holding registers with FC 6 or FC 16), stored as the request's
 * PDU; `read_now`, unless the map declares a write for it, is a poll made at once (the PDUs of its reads).
 * The device answers in the same exchange, so there is no reply to read off its uplinks: the poller's
 * delivery path records the outcome (see ModbusPolling.execute and DeviceCommands' direct transports).
 */
export const modbusCommands: CommandCodec = {
  encode(command) {
    let map: RegisterMap | null;
    try {
      map = registerMapOf(command);
    } catch (error) {
      if (error instanceof RegisterMapError) return { ok: false, reason: `the product’s register map is invalid: ${error.message}` };
      throw error;
    }
    if (!map) return { ok: false, reason: 'the product has no register map' };
    const write = map.services[command.service];
    if (write) {
      const resolved = resolveWrite(write, command.params);
      return resolved.ok ? { ok: true, payload: encodeWritePdu(resolved.write) } : resolved;
    }
    if (command.service === READ_NOW) return { ok: true, payload: readRequests(map) };
    const declared = Object.keys(map.services);
    return {
      ok: false,
      reason: `the product’s register map declares no write for service ${command.service}${declared.length ? `; it writes ${declared.join(', ')}` : ''}`,
    };
  },
  readReply: () => null,
};
