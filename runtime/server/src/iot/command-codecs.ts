import {
  controlCodes,
  dataIdentifiers,
  decodeValveControlReply,
  encodeReadMeterDataRequest,
  encodeValveControlCommand,
  parseFrame,
  waterMeterTypes,
  type DownlinkTarget,
} from '@shuiyun/codec-cjt188';
import { z } from 'zod';
import { modbusCommands } from './modbus-commands.js';

/** What a codec needs to write one command for one device. */
export interface CommandToEncode {
  /** The command's id: JSON devices echo it in their reply. */
  id: number;
  /** Key of the device the command is for (for CJ/T 188, its 14-digit address). */
  deviceKey: string;
  codecSettings: Record<string, unknown>;
  service: string;
  params: Record<string, unknown>;
  /** 0–255: CJ/T 188 meters echo it as SER. */
  serial: number;
}

export type EncodedCommand = { ok: true; payload: Uint8Array } | { ok: false; reason: string };

/**
 * What a device said about one of its commands. `serial` names a CJ/T 188 command by its SER, `id` a
 * JSON device's command by its id; `device` is the key the reply names (a concentrator relays its meters').
 */
export interface CommandReply {
  device: string;
  match: { serial: number; services: readonly string[] } | { id: number };
  /**
   * The payload is also what devices send unasked (a CJ/T 188 metering reply answers read_now and is every
   * periodic report too): looked up only for devices known to have a command open.
   */
  routine?: boolean;
  /** The payload is this reply and nothing else: no codec needs to see it. */
  replyOnly?: boolean;
  outcome: { ok: true; detail: Record<string, unknown> } | { ok: false; reason: string };
}

/** Per codec: how its devices are told to do a thing-model service, and how their answers are read. */
export interface CommandCodec {
  /** The services the codec can write, when it only knows some; undefined when any service goes. */
  readonly services?: readonly string[];
  encode(command: CommandToEncode): EncodedCommand;
  /** The reply to a command in an uplink payload, or null when the payload is no such reply. */
  readReply(payload: Uint8Array, deviceKey: string): CommandReply | null;
}

const VALVE_SERVICES = ['valve_open', 'valve_close'] as const;
const READ_SERVICES = ['read_now'] as const;
const CJT188_SERVICES = [...VALVE_SERVICES, ...READ_SERVICES];

/** Per-product CJ/T 188 settings for writing frames, next to the codec's own (time zone, status layout). */
const cjt188DownlinkSettings = z.object({
  meterType: z
    .union([z.enum(Object.keys(waterMeterTypes) as [keyof typeof waterMeterTypes]), z.number().int()])
    .default('coldWater')
    .transform((type) => (typeof type === 'number' ? type : waterMeterTypes[type]))
    .refine((type) => (Object.values(waterMeterTypes) as number[]).includes(type), 'a CJ/T 188 water-meter type, 0x10–0x13 or its name'),
  dataIdentifierOrder: z.enum(['low-byte-first', 'high-byte-first']).default('low-byte-first'),
  preambleLength: z.number().int().min(0).max(4).default(2),
});

function cjt188Target(command: CommandToEncode): { ok: true; target: DownlinkTarget } | { ok: false; reason: string } {
  const settings = cjt188DownlinkSettings.safeParse(command.codecSettings);
  if (!settings.success) {
    return { ok: false, reason: `product codec settings: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  if (!/^\d{14}$/.test(command.deviceKey)) return { ok: false, reason: `CJ/T 188 commands need a 14-digit decimal address, the device key is ${command.deviceKey}` };
  return {
    ok: true,
    target: {
      meterType: settings.data.meterType as DownlinkTarget['meterType'],
      address: command.deviceKey,
      serial: command.serial,
      dataIdentifierOrder: settings.data.dataIdentifierOrder,
      preambleLength: settings.data.preambleLength,
    },
  };
}

const hexByte = (byte: number) => `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * CJ/T 188 meters: valve_open / valve_close are write-data 0xA017 (0x55 / 0x99), acknowledged with 0x84 or
 * refused with 0xC4; read_now is a read-data request for 0x901F, answered by the metering reply 0x81 (whose
 * readings the codec stores as usual) or refused with 0xC1. Each reply carries the request's SER.
 */
export const cjt188Commands: CommandCodec = {
  services: CJT188_SERVICES,
  encode(command) {
    const target = cjt188Target(command);
    if (!target.ok) return target;
    switch (command.service) {
      case 'valve_open':
      case 'valve_close':
        return { ok: true, payload: encodeValveControlCommand({ ...target.target, operation: command.service === 'valve_open' ? 'open' : 'close' }) };
      case 'read_now':
        return { ok: true, payload: encodeReadMeterDataRequest(target.target) };
      default:
        return { ok: false, reason: `the CJ/T 188 codec has no frame for service ${command.service}; it writes ${CJT188_SERVICES.join(', ')}` };
    }
  },
  readReply(payload) {
    const parsed = parseFrame(payload);
    if (!parsed.ok) return null;
    const { frame } = parsed;
    const { address, control, data } = frame;
    switch (control) {
      case controlCodes.writeDataReply: {
        const acknowledgement = decodeValveControlReply(payload);
        // A write-data reply for another DI is not about valve control: no command of ours.
        if (!acknowledgement.ok) return null;
        const detail: Record<string, unknown> = {};
        if (acknowledgement.status) detail.status = acknowledgement.status.map(hexByte);
        return { device: address, match: { serial: acknowledgement.serial, services: VALVE_SERVICES }, outcome: { ok: true, detail } };
      }
      case controlCodes.readDataReply: {
        // DI (2 bytes, either order) then SER: only the metering DI answers read_now.
        const identifier = (data[0] ?? 0) | ((data[1] ?? 0) << 8);
        const swapped = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
        if (data.length < 3 || (identifier !== dataIdentifiers.meterData && swapped !== dataIdentifiers.meterData)) return null;
        return { device: address, match: { serial: data[2]!, services: READ_SERVICES }, routine: true, outcome: { ok: true, detail: {} } };
      }
      case controlCodes.writeDataErrorReply:
      case controlCodes.readDataErrorReply: {
        // An error reply carries SER and ST (L = 3).
        if (data.length < 1) return null;
        const refused = decodeValveControlReply(payload);
        const reason = refused.ok ? `meter ${address} refused the command (${hexByte(control)})` : refused.reason;
        const services = control === controlCodes.writeDataErrorReply ? VALVE_SERVICES : READ_SERVICES;
        return { device: address, match: { serial: data[0]!, services }, outcome: { ok: false, reason } };
      }
      default:
        return null;
    }
  },
};

const jsonReply = z.object({ id: z.number().int().positive(), ok: z.boolean(), reason: z.string().max(500).optional() });

/**
 * JSON thing-model devices get `{"service": …, "params": {…}, "id": <command id>}` and answer on their
 * uplink with `{"id": <command id>, "ok": true}` or `{"id": …, "ok": false, "reason": "…"}`.
 */
export const jsonThingModelCommands: CommandCodec = {
  encode(command) {
    return { ok: true, payload: new TextEncoder().encode(JSON.stringify({ service: command.service, params: command.params, id: command.id })) };
  },
  readReply(payload, deviceKey) {
    // Readings are far more common than replies: look before parsing.
    if (payload.byteLength > 4096 || !Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).includes('"ok"')) return null;
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
    } catch {
      return null;
    }
    if (doc && typeof doc === 'object' && 'properties' in doc) return null;
    const reply = jsonReply.safeParse(doc);
    if (!reply.success) return null;
    const { id, ok, reason } = reply.data;
    return {
      device: deviceKey,
      match: { id },
      replyOnly: true,
      outcome: ok ? { ok: true, detail: {} } : { ok: false, reason: reason ?? 'the device refused the command' },
    };
  },
};

/** Codecs by id that devices can be commanded through. */
export const commandCodecs: Readonly<Record<string, CommandCodec>> = {
  cjt188: cjt188Commands,
  'json-thing-model': jsonThingModelCommands,
  modbus: modbusCommands,
};
