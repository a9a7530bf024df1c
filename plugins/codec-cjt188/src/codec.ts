import type { DecodeContext, DecodeResult, DeviceCodec, Reading, StandardMetric } from '@shuiyun/sdk';
import { readCodecSettings, type Cjt188Settings } from './codec-settings.js';
import { controlCodes, isErrorReply } from './control-codes.js';
import {
  DATA_IDENTIFIER_BYTES,
  dataIdentifiers,
  formatDataIdentifier,
  readDataIdentifier,
} from './data-identifiers.js';
import { parseFrame, type Cjt188Frame } from './frame.js';
import { meterClockToUtc } from './meter-clock.js';
import { decodeMeterDataReply } from './meter-data-reply.js';
import { rejectMeterErrorReply } from './meter-error-reply.js';
import { hexByte, reject } from './rejection.js';
import { decodeMeterStatus } from './status-layouts.js';
import { readValveControlAcknowledgement } from './valve-control.js';

/**
 * CJ/T 188 water meters. Turns a meter's metering reply (C = 0x81, DI 0x901F) into four readings for the
 * meter's 14-digit address: `cumulative_volume`, `settlement_volume` (L), `valve_state` (0 open,
 * 1 closed, 3 fault) and `battery_low` (0/1), dated by the meter's clock read in the product's zone.
 *
 * Settings (`context.settings`): `timeZone` (IANA, default Asia/Shanghai) and `statusLayout`
 * (`valve-bits-0-1`, the default, or `masks-c0-20`).
 */
export const cjt188Codec: DeviceCodec = {
  id: 'cjt188',
  decode(payload: Uint8Array, context: DecodeContext): DecodeResult {
    const settings = readCodecSettings(context.settings);
    if (!settings.ok) return settings;
    const parsed = parseFrame(payload);
    if (!parsed.ok) return parsed;
    const { frame } = parsed;

    if (isErrorReply(frame.control)) return rejectMeterErrorReply(frame);
    switch (frame.control) {
      case controlCodes.readDataReply:
        return decodeReadDataReply(frame, settings.settings, context);
      case controlCodes.writeDataReply: {
        // A valve-control acknowledgement says the command arrived, not where the valve ended up (many
        // meters send ST before the valve has moved), so it yields no readings; the command tracker reads
        // it with decodeValveControlReply.
        const acknowledgement = readValveControlAcknowledgement(frame);
        return acknowledgement.ok ? { ok: true, readings: [] } : acknowledgement;
      }
      default:
        return reject(
          'unsupported_control',
          `control code ${hexByte(frame.control)} carries no readings; ` +
            'the codec decodes read-data replies 0x81 and valve-control replies 0x84',
        );
    }
  },
};

function decodeReadDataReply(frame: Cjt188Frame, settings: Cjt188Settings, context: DecodeContext): DecodeResult {
  if (frame.data.length < DATA_IDENTIFIER_BYTES) {
    return reject(
      'bad_data_length',
      `a read-data reply starts with a 2-byte DI, this one carries ${frame.data.length} data bytes`,
    );
  }
  const identifier = readDataIdentifier(frame.data);
  if (!identifier.known || identifier.identifier !== dataIdentifiers.meterData) {
    const found = identifier.known ? identifier.identifier : identifier.lowByteFirst;
    return reject(
      'unsupported_data_identifier',
      `read-data reply DI (bytes ${frame.dataOffset}–${frame.dataOffset + 1}) is ${formatDataIdentifier(found)}; ` +
        'the codec decodes metering data 0x901F',
    );
  }
  const decoded = decodeMeterDataReply(frame, identifier.order);
  if (!decoded.ok) return decoded;
  const { reply } = decoded;

  const at = reply.clock === 'unset' ? context.receivedAt : meterClockToUtc(reply.clock, settings.timeZone);
  const status = decodeMeterStatus(reply.status[0], settings.statusLayout);
  const reading = (metric: StandardMetric, milli: bigint): Reading => ({ device: frame.address, metric, at, milli });
  return {
    ok: true,
    readings: [
      reading('cumulative_volume', reply.currentVolumeMilli),
      // The settlement-day total is dated by the report that carries it: the frame does not say which
      // day the meter settles on.
      reading('settlement_volume', reply.settlementVolumeMilli),
      reading('valve_state', BigInt(status.valve) * 1000n),
      reading('battery_low', status.batteryLow ? 1000n : 0n),
    ],
  };
}
