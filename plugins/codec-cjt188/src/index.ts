export { cjt188Codec } from './codec.js';
export { DEFAULT_METER_TIME_ZONE, type Cjt188Settings } from './codec-settings.js';
export { cjt188RejectionCodes, type Cjt188RejectionCode } from './rejection.js';

export { buildFrame, parseFrame, type Cjt188Frame, type FrameFields, type FrameParseResult } from './frame.js';
export { waterMeterTypes, type WaterMeterType, type WaterMeterTypeName } from './meter-types.js';
export { controlCodes, type ControlCode } from './control-codes.js';
export { dataIdentifiers, type DataIdentifier, type DataIdentifierOrder } from './data-identifiers.js';
export { unitCodes, type UnitCode } from './volume-units.js';
export {
  statusLayouts,
  decodeMeterStatus,
  type StatusLayout,
  type MeterStatus,
  type ValveState,
} from './status-layouts.js';

export type { DownlinkTarget } from './downlink-target.js';
export { encodeReadMeterDataRequest } from './read-meter-data-request.js';
export {
  encodeValveControlCommand,
  decodeValveControlReply,
  valveOperations,
  type ValveOperation,
  type ValveControlAcknowledgement,
} from './valve-control.js';
export { encodeMeterDataReply, type MeterDataReplyFields } from './meter-data-reply-encoder.js';
