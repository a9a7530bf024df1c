/**
 * Control code C of a CJ/T 188 frame. D7 is the direction (0: master station to meter, 1: meter reply),
 * D6 marks an error reply (the meter could not carry the request out), D5–D0 name the function.
 */
export const controlCodes = {
  readData: 0x01,
  readDataReply: 0x81,
  readDataErrorReply: 0xc1,
  readAddress: 0x03,
  readAddressReply: 0x83,
  readAddressErrorReply: 0xc3,
  writeData: 0x04,
  writeDataReply: 0x84,
  writeDataErrorReply: 0xc4,
  writeAddress: 0x15,
  writeAddressReply: 0x95,
  writeAddressErrorReply: 0xd5,
  /** Mechanical/electronic synchronisation: aligns the meter's electronic total with its register. */
  synchroniseReading: 0x16,
  synchroniseReadingReply: 0x96,
  synchroniseReadingErrorReply: 0xd6,
} as const;

export type ControlCode = (typeof controlCodes)[keyof typeof controlCodes];

const REPLY_BIT = 0x80;
const ERROR_REPLY_BIT = 0x40;

const knownControlCodes: ReadonlySet<number> = new Set(Object.values(controlCodes));

export function isKnownControlCode(byte: number): byte is ControlCode {
  return knownControlCodes.has(byte);
}

export function isReply(control: number): boolean {
  return (control & REPLY_BIT) !== 0;
}

export function isErrorReply(control: number): boolean {
  return (control & (REPLY_BIT | ERROR_REPLY_BIT)) === (REPLY_BIT | ERROR_REPLY_BIT);
}
