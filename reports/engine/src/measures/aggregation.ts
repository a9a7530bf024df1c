import { addDecimals, compareDecimals, divideDecimals, multiplyDecimals, normalizeDecimal } from '../decimal.js';

/**
 * Measures are derived from *parts*, the plain aggregates the database computes per group (a sum, a
 * count, a min …). Keeping the parts lets subtotals, pivot totals and registry joins re-aggregate
 * exactly in JS: sums and counts add up, mins and maxes compare, and an average or a ratio is recomputed
 * from its summed parts — never averaged from averages. Count distinct is not additive (a meter read on
 * two days is one meter over both), nor is a lookup count across time: their totals come from the
 * database at the total's own grain.
 */
export type PartKind = 'sum' | 'count' | 'min' | 'max' | 'distinct' | 'lookupCount';

export interface PartModel {
  kind: PartKind;
  /** Decimal parts are exact decimal strings at `scale`; text parts are local times or dates. */
  valueType: 'decimal' | 'text';
  scale: number;
}

export type Derivation =
  | { kind: 'part'; part: string }
  | { kind: 'avg'; sum: string; count: string; scale: number }
  | { kind: 'ratio'; numerator: Derivation; denominator: Derivation; multiplier: string; scale: number };

export type PartValues = Record<string, string | null>;

export const isAdditivePart = (model: PartModel) => model.kind !== 'distinct' && model.kind !== 'lookupCount';

/** The parts a derivation reads. */
export function partsOf(derivation: Derivation): string[] {
  switch (derivation.kind) {
    case 'part':
      return [derivation.part];
    case 'avg':
      return [derivation.sum, derivation.count];
    case 'ratio':
      return [...partsOf(derivation.numerator), ...partsOf(derivation.denominator)];
  }
}

/** True when the measure's total over several groups can be computed from the groups' parts. */
export function isAdditive(derivation: Derivation, models: Readonly<Record<string, PartModel>>): boolean {
  return partsOf(derivation).every((part) => isAdditivePart(models[part]!));
}

function pick(a: string | null, b: string | null, model: PartModel, want: 1 | -1): string | null {
  if (a === null) return b;
  if (b === null) return a;
  const order = model.valueType === 'decimal' ? compareDecimals(a, b) : a < b ? -1 : a > b ? 1 : 0;
  return order === want || order === 0 ? a : b;
}

/**
 * The parts of the union of several groups. Non-additive parts come back null unless there is exactly
 * one group (the caller then takes them from the database at the total's grain).
 */
export function combineParts(models: Readonly<Record<string, PartModel>>, rows: readonly PartValues[]): PartValues {
  const out: PartValues = {};
  for (const [key, model] of Object.entries(models)) {
    if (rows.length === 1) {
      out[key] = rows[0]![key] ?? null;
      continue;
    }
    let value: string | null = null;
    if (model.kind === 'sum' || model.kind === 'count') {
      for (const row of rows) {
        const v = row[key] ?? null;
        if (v !== null) value = value === null ? v : addDecimals(value, v);
      }
      if (value !== null) value = normalizeDecimal(value, model.scale);
      // A count of no rows is 0; a sum of nothing stays null, as in SQL.
      if (value === null && model.kind === 'count') value = '0';
    } else if (model.kind === 'min' || model.kind === 'max') {
      for (const row of rows) value = pick(value, row[key] ?? null, model, model.kind === 'min' ? -1 : 1);
    } else {
      value = null;
    }
    out[key] = value;
  }
  return out;
}

/** A measure's value from its parts; null when a part is null or a denominator is zero. */
export function derive(derivation: Derivation, parts: PartValues): string | null {
  switch (derivation.kind) {
    case 'part':
      return parts[derivation.part] ?? null;
    case 'avg': {
      const sum = parts[derivation.sum] ?? null;
      const count = parts[derivation.count] ?? null;
      if (sum === null || count === null) return null;
      return divideDecimals(sum, count, derivation.scale);
    }
    case 'ratio': {
      const numerator = derive(derivation.numerator, parts);
      const denominator = derive(derivation.denominator, parts);
      if (numerator === null || denominator === null) return null;
      return divideDecimals(multiplyDecimals(numerator, derivation.multiplier), denominator, derivation.scale);
    }
  }
}

/**
 * Adds one group's parts into an accumulator, for regrouping analytics rows by registry attributes: each
 * row there is one lookup key, so a count distinct of a key column adds up like a count.
 */
export function accumulate(models: Readonly<Record<string, PartModel>>, target: PartValues, source: PartValues): void {
  for (const [key, model] of Object.entries(models)) {
    if (model.kind === 'lookupCount') continue;
    const value = source[key] ?? null;
    const current = target[key] ?? null;
    if (model.kind === 'min' || model.kind === 'max') target[key] = pick(current, value, model, model.kind === 'min' ? -1 : 1);
    else if (value === null) target[key] = current;
    else target[key] = current === null ? normalizeDecimal(value, model.scale) : normalizeDecimal(addDecimals(current, value), model.scale);
  }
}
