import type { LocalizedText, TimeGrain } from '../dataset/dataset.js';
import type { ColumnType } from '../dataset/values.js';
import type { Derivation, PartModel, PartValues } from '../measures/aggregation.js';

/** A result cell: exact text (decimals at their scale, 64-bit integers, local times), or null. */
export type Cell = string | null;
export type ResultRow = Record<string, Cell>;

export interface ResultColumn {
  id: string;
  role: 'dimension' | 'measure';
  label: LocalizedText;
  /** Dimensions: their value type (`string` for time-grain periods); measures: `decimal`, or `string` for a min/max of times. */
  type: ColumnType;
  /** Digits after the point of decimal values. */
  scale?: number;
  grain?: TimeGrain;
}

export interface ReportResult {
  dataset: { id: string; version: number };
  kind: 'aggregate' | 'detail';
  columns: ResultColumn[];
  rows: ResultRow[];
  /** Per row (aggregate queries), the parts its measures derive from: what subtotals and pivots re-aggregate. */
  parts: PartValues[];
  partModels: Record<string, PartModel>;
  /** How each selected measure derives from parts. */
  derivations: Record<string, Derivation>;
  page: { offset: number; limit: number | null; hasMore: boolean; total?: number };
  /** True when every statement of the run was answered from the result cache. */
  cached: boolean;
}

/** Results of the same query at coarser grains (fewer dimensions), keyed by `levelKey(dimensions)`. */
export type LevelResults = ReadonlyMap<string, ReportResult>;

export const levelKey = (dimensions: readonly string[]) => dimensions.join('\u0000');
