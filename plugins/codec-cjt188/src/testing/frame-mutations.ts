import type { SeededRandom } from './seeded-random.js';

const mutations = ['flip-bit', 'replace-byte', 'truncate', 'extend', 'insert-byte', 'delete-byte'] as const;
export type Mutation = (typeof mutations)[number];

/** One to three random damages of the kinds a radio link or a buggy firmware produces. */
export function mutateFrame(random: SeededRandom, frame: Uint8Array): number[] {
  const bytes = Array.from(frame);
  const count = random.between(1, 3);
  for (let done = 0; done < count; done++) applyMutation(random, bytes, random.pick(mutations));
  return bytes;
}

function applyMutation(random: SeededRandom, bytes: number[], mutation: Mutation): void {
  const at = random.int(Math.max(bytes.length, 1));
  switch (mutation) {
    case 'flip-bit':
      if (bytes.length > 0) bytes[at] = (bytes[at] ?? 0) ^ (1 << random.int(8));
      break;
    case 'replace-byte':
      if (bytes.length > 0) bytes[at] = random.byte();
      break;
    case 'truncate':
      bytes.length = random.int(bytes.length + 1);
      break;
    case 'extend':
      bytes.push(...random.bytes(random.between(1, 8)));
      break;
    case 'insert-byte':
      bytes.splice(random.int(bytes.length + 1), 0, random.byte());
      break;
    case 'delete-byte':
      bytes.splice(at, 1);
      break;
  }
}

/**
 * Makes a damaged frame's L, CS and end byte agree with its bytes again, as a faulty sender that frames
 * whatever it has would, so validation past the checksum gets exercised. The preamble and start byte
 * stay as the damage left them.
 */
export function resealFrame(bytes: number[]): number[] {
  let start = 0;
  while (bytes[start] === 0xfe) start++;
  const dataLength = bytes.length - start - 13;
  if (dataLength < 0 || dataLength > 0xff) return bytes;
  bytes[start + 10] = dataLength;
  let sum = 0;
  for (let index = start; index < bytes.length - 2; index++) sum += bytes[index] ?? 0;
  bytes[bytes.length - 2] = sum % 256;
  bytes[bytes.length - 1] = 0x16;
  return bytes;
}
