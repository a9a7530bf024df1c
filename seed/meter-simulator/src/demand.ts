/**
 * Share of a household's daily use in each local hour (sums to 1): low at night, a morning peak
 * around 07:00 and a longer evening peak around 19:00–21:00, the usual residential curve.
 */
export const hourlyShare: readonly number[] = (() => {
  const weights = [0.6, 0.4, 0.3, 0.3, 0.4, 1.0, 3.0, 6.5, 6.0, 4.5, 4.0, 4.0, 5.0, 4.0, 3.5, 3.5, 4.0, 5.0, 6.5, 7.0, 6.5, 5.0, 3.0, 1.5];
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
})();

/** Litres per person per day around which households vary (urban China: about 120–180 L). */
export const LITRES_PER_PERSON_DAY = 140;
