/** Settlement rules beyond the fixture: DST days, tie-breaks, input checks, the register rule. */
import { describe, expect, it } from 'vitest';
import { periodBounds } from './periods.js';
import { registerDelta } from './register.js';
import { settleMeter, type MeterReading, type SettleInput } from './settlement.js';

const DAY = 86_400_000;
const { startsAt, endsAt } = periodBounds('2026-03', 1, 'Asia/Shanghai');
const sh = (local: string): Date => new Date(`${local.replace(' ', 'T')}+08:00`);

function input(more: Partial<SettleInput> = {}): SettleInput {
  return {
    periodStart: startsAt,
    periodEnd: endsAt,
    opening: { valueL: 1_000n, at: sh('2026-02-28 09:00'), source: 'remote' },
    readings: [],
    swaps: [],
    capacityL: null,
    averageDailyL: null,
    endToleranceMs: 3 * DAY,
    ...more,
  };
}

describe('registerDelta', () => {
  it('roll-over only when the wrap is under half the capacity', () => {
    // C = 1_000: from 900 to 399 wraps 499 (2 × 499 < 1_000); to 400 wraps 500 (not < 1_000)
    expect(registerDelta(900n, 399n, 1_000n)).toEqual({ volumeL: 499n, rolledOver: true, negative: false });
    expect(registerDelta(900n, 400n, 1_000n)).toEqual({ volumeL: -500n, rolledOver: false, negative: true });
  });

  it('a reading outside the register cannot roll over', () => {
    expect(registerDelta(1_200n, 100n, 1_000n)).toEqual({ volumeL: -1_100n, rolledOver: false, negative: true });
  });
});

describe('settleMeter', () => {
  it('estimate days on the local wall clock in a DST zone', () => {
    const b = periodBounds('2026-03', 1, 'Europe/Berlin');
    const berlin = input({
      periodStart: b.startsAt,
      periodEnd: b.endsAt,
      opening: { valueL: 0n, at: b.startsAt, source: 'remote' },
      averageDailyL: 100n,
    });
    // 743 elapsed hours → 30 days → 3_000; 31 local days → 3_100
    expect(settleMeter(berlin).volumeL).toBe(3_000n);
    expect(settleMeter({ ...berlin, timeZone: 'Europe/Berlin' }).volumeL).toBe(3_100n);
  });

  it('Shanghai has no DST: the zone changes nothing', () => {
    const plain = input({ averageDailyL: 350n });
    expect(settleMeter({ ...plain, timeZone: 'Asia/Shanghai' })).toEqual(settleMeter(plain));
  });

  it('on a tie without a correction, the later in the input wins', () => {
    const readings: MeterReading[] = [
      { at: sh('2026-03-31 09:00'), valueL: 1_500n, source: 'hand' },
      { at: sh('2026-03-31 09:00'), valueL: 1_600n, source: 'remote' },
    ];
    expect(settleMeter(input({ readings })).endL).toBe(1_600n);
    expect(settleMeter(input({ readings: [...readings].reverse() })).endL).toBe(1_500n);
  });

  it('ignores readings before the opening; a reading at the opening instant counts', () => {
    const opening = { valueL: 0n, at: sh('2026-03-30 09:00'), source: 'hand' as const };
    const old: MeterReading = { at: sh('2026-03-29 12:00'), valueL: 999n, source: 'remote' };
    expect(settleMeter(input({ opening, readings: [old] })).source).toBe('missing');
    const atOpening: MeterReading = { at: opening.at, valueL: 0n, source: 'remote' };
    expect(settleMeter(input({ opening, readings: [old, atOpening] }))).toMatchObject({
      source: 'remote',
      volumeL: 0n,
      flags: [],
    });
  });

  it('missing with a mid-period reading keeps the measured part', () => {
    // no average, last reading 03-20: end = 1_400 at 03-20, volume 1_400 − 1_000 = 400
    const readings: MeterReading[] = [{ at: sh('2026-03-20 09:00'), valueL: 1_400n, source: 'hand' }];
    expect(settleMeter(input({ readings }))).toMatchObject({
      endL: 1_400n,
      volumeL: 400n,
      source: 'missing',
      endAt: sh('2026-03-20 09:00'),
      flags: ['missing'],
    });
  });

  it('flags a negative old segment even when the total is positive; roll-over on the new meter', () => {
    // old: 900 − 1_000 = −100; new (C = 10_000): 10_000 − 9_900 + 250 = 350; total 250
    const result = settleMeter(
      input({
        capacityL: 10_000n,
        swaps: [{ at: sh('2026-03-10 10:00'), oldFinalL: 900n, newInitialL: 9_900n }],
        readings: [{ at: sh('2026-03-31 09:00'), valueL: 250n, source: 'remote' }],
      }),
    );
    expect(result.volumeL).toBe(250n);
    expect(result.rolledOver).toBe(true);
    expect(result.flags).toEqual(['swap', 'rollover', 'negative']);
  });

  it.each<[string, Partial<SettleInput>]>([
    ['empty period', { periodEnd: startsAt }],
    ['negative tolerance', { endToleranceMs: -1 }],
    ['zero capacity', { capacityL: 0n }],
    ['negative average', { averageDailyL: -1n }],
    ['opening at period end', { opening: { valueL: 0n, at: endsAt, source: 'hand' } }],
    ['swap before the period', { swaps: [{ at: sh('2026-02-28 12:00'), oldFinalL: 1n, newInitialL: 0n }] }],
    ['swap at period end', { swaps: [{ at: endsAt, oldFinalL: 1n, newInitialL: 0n }] }],
    [
      'swaps out of order',
      {
        swaps: [
          { at: sh('2026-03-20 00:00'), oldFinalL: 1n, newInitialL: 0n },
          { at: sh('2026-03-10 00:00'), oldFinalL: 1n, newInitialL: 0n },
        ],
      },
    ],
    ['negative reading', { readings: [{ at: sh('2026-03-31 00:00'), valueL: -1n, source: 'remote' }] }],
  ])('rejects %s', (_name, more) => {
    expect(() => settleMeter(input(more))).toThrow(RangeError);
  });
});
