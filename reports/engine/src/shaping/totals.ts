import { type PartValues, combineParts, derive, isAdditivePart } from '../measures/aggregation.js';
import type { Cell, LevelResults, ReportResult } from '../engine/result.js';
import { levelKey } from '../engine/result.js';

/**
 * The measures of the union of some rows of a result: additive parts re-aggregated in JS; parts that do
 * not add up (count distinct, lookup counts) taken from the same query run at the total's grain, when
 * the caller ran it (`levels`), else null.
 */
export function totalOf(
  result: ReportResult,
  rowIndexes: readonly number[],
  grain: Readonly<Record<string, Cell>>,
  levels: LevelResults | undefined,
): Record<string, Cell> {
  const parts: PartValues = combineParts(
    result.partModels,
    rowIndexes.map((i) => result.parts[i]!),
  );
  const dims = Object.keys(grain);
  const level = rowIndexes.length === 1 ? undefined : levels?.get(levelKey(dims));
  if (rowIndexes.length !== 1) {
    const index = level?.rows.findIndex((row) => dims.every((d) => row[d] === grain[d]));
    const levelParts = index !== undefined && index >= 0 ? level!.parts[index] : undefined;
    for (const [key, model] of Object.entries(result.partModels)) {
      if (!isAdditivePart(model)) parts[key] = levelParts ? (levelParts[key] ?? null) : null;
    }
  }
  return Object.fromEntries(Object.entries(result.derivations).map(([id, derivation]) => [id, derive(derivation, parts)]));
}
