import { MODBUS_MAX_BITS, modbusFunctions, type ModbusFunction, type RegisterEntry, type RegisterMap } from './register-map.js';

/** One Modbus request: `length` registers (or bits) from `address`, and the mapped values inside it. */
export interface RegisterRead {
  function: ModbusFunction;
  address: number;
  length: number;
  entries: RegisterEntry[];
}

/**
 * The fewest requests that read a map: values of one function whose registers touch or overlap
 * share a request, up to the per-request limit. Gaps are never bridged, because many meters answer
 * a read that covers an unmapped address with an exception instead of data.
 */
export function planReads(map: RegisterMap): RegisterRead[] {
  const reads: RegisterRead[] = [];
  for (const fn of modbusFunctions) {
    const limit = fn === 'coil' || fn === 'discrete_input' ? MODBUS_MAX_BITS : map.maxRegistersPerRead;
    const entries = map.entries.filter((e) => e.function === fn).sort((a, b) => a.address - b.address || b.words - a.words);
    let current: RegisterRead | undefined;
    for (const entry of entries) {
      const end = entry.address + entry.words;
      if (current && entry.address <= current.address + current.length && Math.max(end, current.address + current.length) - current.address <= limit) {
        current.length = Math.max(end, current.address + current.length) - current.address;
        current.entries.push(entry);
      } else {
        current = { function: fn, address: entry.address, length: entry.words, entries: [entry] };
        reads.push(current);
      }
    }
  }
  return reads;
}
