import { z } from 'zod';
import { addDays, addMonths } from '../calendar.js';
import { zodFailure } from '../dataset/dataset.js';
import { FIELD_ID } from '../dataset/identifiers.js';
import { ReportError } from '../errors.js';
import type { ResultColumn, ResultRow } from '../engine/result.js';

const mappingSchema = z.union([
  /** The clicked row's value of a column; a time-grain period becomes the date range it covers. */
  z.object({ field: z.string().regex(FIELD_ID), as: z.enum(['value', 'dateRange']).optional() }).strict(),
  /** A parameter of the current report, passed on as it is. */
  z.object({ parameter: z.string().regex(FIELD_ID) }).strict(),
  /** A fixed value. */
  z.object({ value: z.unknown() }).strict(),
]);

export const drillDownSchema = z
  .object({
    /** The child report's id. */
    report: z.string().min(1).max(100),
    /** Child parameter id → where its value comes from. */
    parameters: z.record(z.string().regex(FIELD_ID), mappingSchema),
  })
  .strict();
export type DrillDown = z.input<typeof drillDownSchema>;

export interface DrillTarget {
  report: string;
  parameters: Record<string, unknown>;
}

/** The calendar days a period value of a time grain covers. */
export function periodRange(grain: NonNullable<ResultColumn['grain']>, value: string): { from: string; to: string } {
  switch (grain) {
    case 'hour':
      return { from: value.slice(0, 10), to: value.slice(0, 10) };
    case 'day':
      return { from: value, to: value };
    case 'week':
      return { from: value, to: addDays(value, 6) };
    case 'month':
      return { from: `${value}-01`, to: addDays(addMonths(`${value}-01`, 1), -1) };
    case 'year':
      return { from: `${value}-01-01`, to: `${value}-12-31` };
  }
}

/**
 * Where a click on a row (a table cell or a chart point) leads: the child report and its parameters,
 * taken from the clicked row, the current report's parameters or fixed values. The child report checks
 * them like any other input when it runs.
 */
export function drillDown(descriptor: DrillDown, columns: readonly ResultColumn[], row: ResultRow, current: Readonly<Record<string, unknown>> = {}): DrillTarget {
  const parsed = drillDownSchema.safeParse(descriptor);
  if (!parsed.success) throw zodFailure(parsed.error, 'invalid_query', ['drillDown']);
  const parameters: Record<string, unknown> = {};
  for (const [name, mapping] of Object.entries(parsed.data.parameters)) {
    if ('field' in mapping) {
      const column = columns.find((c) => c.id === mapping.field);
      if (!column) throw new ReportError('unknown_field', `${mapping.field} is not a column of the result`, ['drillDown', 'parameters', name, 'field']);
      const value = row[mapping.field] ?? null;
      const as = mapping.as ?? (column.grain ? 'dateRange' : 'value');
      if (as === 'dateRange') {
        if (!column.grain) throw new ReportError('invalid_query', `${mapping.field} is not a time period`, ['drillDown', 'parameters', name, 'as']);
        parameters[name] = value === null ? null : periodRange(column.grain, value);
      } else parameters[name] = value;
    } else if ('parameter' in mapping) {
      parameters[name] = current[mapping.parameter] ?? null;
    } else parameters[name] = mapping.value;
  }
  return { report: parsed.data.report, parameters };
}
