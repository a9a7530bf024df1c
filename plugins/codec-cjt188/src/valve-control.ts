import type { Rejection } from '@shuiyun/sdk';
import { controlCodes, isErrorReply } from './control-codes.js';
import {
  DATA_IDENTIFIER_BYTES,
  dataIdentifiers,
  encodeDataIdentifier,
  formatDataIdentifier,
  readDataIdentifier,
} from './data-identifiers.js';
import { assertSerial, DEFAULT_DOWNLINK_PREAMBLE_BYTES, type DownlinkTarget } from './downlink-target.js';
import { buildFrame, parseFrame, type Cjt188Frame } from './frame.js';
import { rejectMeterErrorReply } from './meter-error-reply.js';
import type { WaterMeterType } from './meter-types.js';
import { hexByte, reject } from './rejection.js';

/**
 * Valve control is a write-data request (C = 0x04) for DI 0xA017 with one operation byte: L = 4,
 * data DI, SER, operation. The meter acknowledges with C = 0x84 and data DI, SER and, in most firmware,
 * its status word ST (L = 5); some acknowledge with DI and SER alone (L = 3). An error reply is 0xC4.
 */
export const valveOperations = { open: 0x55, close: 0x99 } as const;
export type ValveOperation = keyof typeof valveOperations;

export function encodeValveControlCommand(target: DownlinkTarget & { operation: ValveOperation }): Uint8Array {
  assertSerial(target.serial);
  const operationByte = valveOperations[target.operation];
  if (operationByte === undefined) {
    throw new RangeError(`valve operation must be open or close, got ${target.operation}`);
  }
  return buildFrame({
    meterType: target.meterType,
    address: target.address,
    control: controlCodes.writeData,
    data: [
      ...encodeDataIdentifier(dataIdentifiers.valveControl, target.dataIdentifierOrder ?? 'low-byte-first'),
      target.serial,
      operationByte,
    ],
    preambleLength: target.preambleLength ?? DEFAULT_DOWNLINK_PREAMBLE_BYTES,
  });
}

export interface ValveControlAcknowledgement {
  ok: true;
  meterType: WaterMeterType;
  address: string;
  /** The SER of the command being acknowledged. */
  serial: number;
  /** ST as the meter sent it with the acknowledgement, when it did. */
  status?: readonly [number, number];
}

const ACKNOWLEDGEMENT_WITH_STATUS = 5;
const ACKNOWLEDGEMENT_WITHOUT_STATUS = 3;

/**
 * Tells whether a meter carried out a valve command. Like the codec it never throws: anything but an
 * acknowledgement is a Rejection, `meter_error_reply` when the meter refused the command.
 */
export function decodeValveControlReply(payload: Uint8Array): ValveControlAcknowledgement | Rejection {
  const parsed = parseFrame(payload);
  if (!parsed.ok) return parsed;
  const { frame } = parsed;
  if (isErrorReply(frame.control)) return rejectMeterErrorReply(frame);
  if (frame.control !== controlCodes.writeDataReply) {
    return reject(
      'unsupported_control',
      `control code ${hexByte(frame.control)} is not the write-data reply 0x84 that acknowledges valve control`,
    );
  }
  return readValveControlAcknowledgement(frame);
}

/** The acknowledgement in a write-data reply (C = 0x84) frame. */
export function readValveControlAcknowledgement(frame: Cjt188Frame): ValveControlAcknowledgement | Rejection {
  const { data, dataOffset } = frame;
  if (data.length < DATA_IDENTIFIER_BYTES) {
    return reject(
      'bad_data_length',
      `a write-data reply starts with a 2-byte DI, this one carries ${data.length} data bytes`,
    );
  }
  const identifier = readDataIdentifier(data);
  if (!identifier.known || identifier.identifier !== dataIdentifiers.valveControl) {
    const found = identifier.known ? identifier.identifier : identifier.lowByteFirst;
    return reject(
      'unsupported_data_identifier',
      `write-data reply DI (bytes ${dataOffset}–${dataOffset + 1}) is ${formatDataIdentifier(found)}; ` +
        'the codec understands valve control 0xA017',
    );
  }
  if (data.length !== ACKNOWLEDGEMENT_WITH_STATUS && data.length !== ACKNOWLEDGEMENT_WITHOUT_STATUS) {
    return reject(
      'bad_data_length',
      `a valve-control acknowledgement carries 5 data bytes (DI, SER, ST) or 3 (DI, SER), this one ${data.length}`,
    );
  }
  const acknowledgement: ValveControlAcknowledgement = {
    ok: true,
    meterType: frame.meterType,
    address: frame.address,
    serial: data[2] ?? 0,
  };
  if (data.length === ACKNOWLEDGEMENT_WITH_STATUS) acknowledgement.status = [data[3] ?? 0, data[4] ?? 0];
  return acknowledgement;
}
