/**
 * The meter register (表码, 累计读数) and the volume between two of its readings.
 *
 * All volumes are integer litres as `bigint`; nothing here touches a float.
 */

/** Volume between two readings of one register, with how it was obtained. */
export interface RegisterDelta {
  /** Litres consumed; negative only when `negative` is true. */
  volumeL: bigint;
  /** The register passed its capacity and wrapped to zero (翻转/满度回零). */
  rolledOver: boolean;
  /** The register went backwards and no plausible roll-over explains it: send to review. */
  negative: boolean;
}

/**
 * Volume registered between `fromL` and a later reading `toL` of the same register.
 *
 * Arithmetic:
 * - `toL >= fromL`: volume = toL − fromL.
 * - `toL < fromL`, capacity C known, both readings inside the register (0 ≤ from, to < C) and the
 *   wrapped volume W = C − fromL + toL less than half the capacity (2·W < C): a roll-over,
 *   volume = W, `rolledOver` true. A register that really wrapped has turned less than half way
 *   round since the last reading; a bigger W is far likelier to be a mis-read or a swapped meter.
 * - otherwise (`toL < fromL`): volume = toL − fromL (negative), `negative` true. The negative figure
 *   is returned as is, never clamped to zero, so the caller can send it to review (复核).
 */
export function registerDelta(fromL: bigint, toL: bigint, capacityL: bigint | null): RegisterDelta {
  const diff = toL - fromL;
  if (diff >= 0n) return { volumeL: diff, rolledOver: false, negative: false };
  if (capacityL !== null && fromL >= 0n && toL >= 0n && fromL < capacityL && toL < capacityL) {
    const wrapped = capacityL - fromL + toL;
    if (2n * wrapped < capacityL) return { volumeL: wrapped, rolledOver: true, negative: false };
  }
  return { volumeL: diff, rolledOver: false, negative: true };
}
