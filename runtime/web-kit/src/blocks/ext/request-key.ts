/**
 * The idempotency key a form sends with its submit (`requestKey`): a UUID made when the form loads, kept
 * across a failed submit (a retry after a lost answer is the same request), renewed after a success.
 */

/** What a UUID is made from: the browser's `crypto` (or any source of random bytes). */
export interface RandomSource {
  getRandomValues(array: Uint8Array): Uint8Array;
  randomUUID?: () => string;
}

/** A random UUID (v4): the browser's own, or from its random bytes where `randomUUID` is missing (an http page). */
export function newRequestKey(random: RandomSource = (globalThis as unknown as { crypto: RandomSource }).crypto): string {
  if (typeof random.randomUUID === 'function') return random.randomUUID.call(random);
  const bytes = random.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
