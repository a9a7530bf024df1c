import { metricUnits, type DecodeContext, type DecodeResult } from '@shuiyun/sdk';
import { describe, expect, it } from 'vitest';
import { cjt188Codec } from './codec.js';
import { envelopeRejectionCodes } from './frame.js';
import { cjt188RejectionCodes } from './rejection.js';
import { mutateFrame, resealFrame } from './testing/frame-mutations.js';
import { randomValidPayload } from './testing/random-frames.js';
import { SeededRandom } from './testing/seeded-random.js';

// Change the seed to explore; a failure report names the seed, family and index that reproduce it.
const SEED = 0x0188_2004;
const RANDOM_PAYLOADS = 30_000;
const MUTATED_FRAMES = 35_000;
const MUTATED_RESEALED_FRAMES = 35_000;

const receivedAt = new Date('2024-06-01T00:00:00Z');
const contexts: DecodeContext[] = [
  { receivedAt },
  { receivedAt, settings: { statusLayout: 'masks-c0-20' } },
  { receivedAt, settings: { timeZone: 'Europe/Berlin' } },
  { receivedAt, settings: { timeZone: 'UTC', statusLayout: 'valve-bits-0-1' } },
];
const knownCodes: ReadonlySet<string> = new Set(cjt188RejectionCodes);
const knownMetrics: ReadonlySet<string> = new Set(Object.keys(metricUnits));

/** What is wrong with a result, or undefined when it keeps the codec's contract. */
function contractViolation(result: DecodeResult): string | undefined {
  if (result.ok) {
    if (!Array.isArray(result.readings)) return 'readings is not an array';
    for (const reading of result.readings) {
      if (typeof reading.milli !== 'bigint') return `${reading.metric}: milli is ${typeof reading.milli}`;
      if (!(reading.at instanceof Date) || Number.isNaN(reading.at.getTime())) return `${reading.metric}: invalid date`;
      if (!/^\d{14}$/.test(reading.device)) return `device "${reading.device}" is not a 14-digit address`;
      if (!knownMetrics.has(reading.metric)) return `unknown metric ${reading.metric}`;
    }
    return undefined;
  }
  if (!knownCodes.has(result.code)) return `undeclared code "${result.code}"`;
  if (typeof result.reason !== 'string' || result.reason.trim() === '') return `empty reason for ${result.code}`;
  return undefined;
}

describe('CJ/T 188 codec under fuzzing', () => {
  it(`never throws and keeps its contract over ${RANDOM_PAYLOADS + MUTATED_FRAMES + MUTATED_RESEALED_FRAMES} random and damaged frames (seed ${SEED})`, () => {
    const random = new SeededRandom(SEED);
    const failures: string[] = [];
    const outcomes = new Map<string, Map<string, number>>();
    let decoded = 0;

    const check = (family: string, index: number, payload: Uint8Array): void => {
      const context = contexts[index % contexts.length] as DecodeContext;
      let result: DecodeResult;
      try {
        result = cjt188Codec.decode(payload, context);
      } catch (error) {
        failures.push(`${family} #${index}: threw ${String(error)} on ${Buffer.from(payload).toString('hex')}`);
        return;
      }
      const violation = contractViolation(result);
      if (violation !== undefined) failures.push(`${family} #${index}: ${violation} on ${Buffer.from(payload).toString('hex')}`);
      const outcome = result.ok ? 'ok' : result.code;
      if (result.ok) decoded++;
      const counts = outcomes.get(family) ?? new Map<string, number>();
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      outcomes.set(family, counts);
    };

    const started = performance.now();
    for (let index = 0; index < RANDOM_PAYLOADS; index++) {
      // Half start like a frame, so random bytes also reach the length and checksum checks.
      const head = random.chance(0.5) ? [...Array<number>(random.between(0, 4)).fill(0xfe), 0x68] : [];
      check('random', index, Uint8Array.from([...head, ...random.bytes(random.between(0, 48))]));
    }
    for (let index = 0; index < MUTATED_FRAMES; index++) {
      check('mutated', index, Uint8Array.from(mutateFrame(random, randomValidPayload(random))));
    }
    for (let index = 0; index < MUTATED_RESEALED_FRAMES; index++) {
      check('mutated-resealed', index, Uint8Array.from(resealFrame(mutateFrame(random, randomValidPayload(random)))));
    }
    const elapsedMs = performance.now() - started;

    expect(failures.slice(0, 5)).toEqual([]);

    const resealed = outcomes.get('mutated-resealed') ?? new Map<string, number>();
    const pastChecksum = [...resealed].filter(([outcome]) => !envelopeRejectionCodes.has(outcome));
    const pastChecksumCount = pastChecksum.reduce((sum, [, count]) => sum + count, 0);
    const share = pastChecksumCount / MUTATED_RESEALED_FRAMES;
    console.info(
      JSON.stringify({
        fuzz: 'cjt188',
        seed: SEED,
        frames: RANDOM_PAYLOADS + MUTATED_FRAMES + MUTATED_RESEALED_FRAMES,
        decoded,
        resealedPastChecksumShare: Number(share.toFixed(3)),
        elapsedMs: Math.round(elapsedMs),
        outcomes: Object.fromEntries([...outcomes].map(([family, counts]) => [family, Object.fromEntries(counts)])),
      }),
    );
    // Resealed damage must mostly get past the envelope, and there meet the field validation.
    expect(share).toBeGreaterThan(0.5);
    const deepCodes = pastChecksum.map(([outcome]) => outcome);
    for (const code of ['ok', 'bad_bcd', 'unknown_meter_type', 'unsupported_control', 'bad_data_length', 'bad_unit', 'bad_clock']) {
      expect(deepCodes).toContain(code);
    }
  });
});
