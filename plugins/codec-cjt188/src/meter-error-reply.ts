import type { Rejection } from '@shuiyun/sdk';
import type { Cjt188Frame } from './frame.js';
import { hexByte, hexBytes, reject } from './rejection.js';

/**
 * An error reply (C with D7 and D6 set, e.g. 0xC1 to a read-data request) carries SER and the status
 * word ST, L = 3: the meter received the request but could not carry it out. It holds no readings.
 */
const ERROR_REPLY_LENGTH = 3;

export function rejectMeterErrorReply(frame: Cjt188Frame): Rejection {
  const { address, control, data } = frame;
  const details =
    data.length === ERROR_REPLY_LENGTH
      ? `SER ${hexByte(data[0])}, ST ${hexByte(data[1])} ${hexByte(data[2])}`
      : `data ${data.length === 0 ? '(none)' : hexBytes(data)}`;
  return reject(
    'meter_error_reply',
    `meter ${address} answered with error reply ${hexByte(control)} to request ${hexByte(control & 0x3f)}: ${details}`,
  );
}
