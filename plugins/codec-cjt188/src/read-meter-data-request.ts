import { controlCodes } from './control-codes.js';
import { dataIdentifiers, encodeDataIdentifier } from './data-identifiers.js';
import { assertSerial, DEFAULT_DOWNLINK_PREAMBLE_BYTES, type DownlinkTarget } from './downlink-target.js';
import { buildFrame } from './frame.js';

/**
 * Asks a meter for its metering data: C = 0x01, L = 3, data DI 0x901F and SER. The meter answers with a
 * read-data reply (0x81) that the codec decodes, or an error reply (0xC1).
 */
export function encodeReadMeterDataRequest(target: DownlinkTarget): Uint8Array {
  assertSerial(target.serial);
  return buildFrame({
    meterType: target.meterType,
    address: target.address,
    control: controlCodes.readData,
    data: [
      ...encodeDataIdentifier(dataIdentifiers.meterData, target.dataIdentifierOrder ?? 'low-byte-first'),
      target.serial,
    ],
    preambleLength: target.preambleLength ?? DEFAULT_DOWNLINK_PREAMBLE_BYTES,
  });
}
