import { addDays, addMonths, isCalendarDate, localDate, mondayOf } from '../calendar.js';
import { ReportError, type ReportErrorPath } from '../errors.js';
import type { Dataset, Parameter } from './dataset.js';
import { type ColumnType, type TypedValue, describe, typedValue } from './values.js';

/**
 * A parameter's value once checked: a date range (calendar days in the tenant's time zone, both
 * included), one typed value, or a list of them.
 */
export type ParameterValue =
  | { kind: 'dateRange'; from: string; to: string }
  | { kind: 'single'; value: TypedValue }
  | { kind: 'list'; values: TypedValue[] };

/** Relative date ranges a default (or a caller) may name instead of fixed days. */
export const dateRangePresets = ['today', 'yesterday', 'last7Days', 'last30Days', 'thisWeek', 'thisMonth', 'lastMonth', 'thisYear'] as const;
export type DateRangePreset = (typeof dateRangePresets)[number];

export interface ParameterContext {
  /** The caller's tenant path: tenant-subtree values must lie inside it. */
  tenantPath?: string;
  timeZone: string;
  now: Date;
}

const MAX_LIST = 500;

function presetRange(preset: DateRangePreset, context: ParameterContext): { from: string; to: string } {
  const today = localDate(context.now, context.timeZone);
  switch (preset) {
    case 'today':
      return { from: today, to: today };
    case 'yesterday':
      return { from: addDays(today, -1), to: addDays(today, -1) };
    case 'last7Days':
      return { from: addDays(today, -6), to: today };
    case 'last30Days':
      return { from: addDays(today, -29), to: today };
    case 'thisWeek':
      return { from: mondayOf(today), to: today };
    case 'thisMonth':
      return { from: `${today.slice(0, 7)}-01`, to: today };
    case 'lastMonth': {
      const first = addMonths(today, -1);
      return { from: first, to: addDays(addMonths(first, 1), -1) };
    }
    case 'thisYear':
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
  }
}

function dateRange(raw: unknown, path: ReportErrorPath, context: ParameterContext): ParameterValue {
  const preset = typeof raw === 'string' ? raw : raw && typeof raw === 'object' && 'preset' in raw ? (raw as { preset: unknown }).preset : undefined;
  if (preset !== undefined) {
    if (typeof preset !== 'string' || !(dateRangePresets as readonly string[]).includes(preset)) {
      throw new ReportError('invalid_parameter', `expected one of ${dateRangePresets.join(', ')} or {from, to}, got ${describe(preset)}`, path);
    }
    return { kind: 'dateRange', ...presetRange(preset as DateRangePreset, context) };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ReportError('invalid_parameter', `expected {from, to} dates, got ${describe(raw)}`, path);
  const { from, to, ...rest } = raw as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new ReportError('unknown_field', `a date range has only from and to, not ${extra}`, [...path, extra]);
  if (!isCalendarDate(from)) throw new ReportError('invalid_parameter', `expected a date YYYY-MM-DD, got ${describe(from)}`, [...path, 'from']);
  if (!isCalendarDate(to)) throw new ReportError('invalid_parameter', `expected a date YYYY-MM-DD, got ${describe(to)}`, [...path, 'to']);
  if (to < from) throw new ReportError('invalid_parameter', 'to is before from', [...path, 'to']);
  return { kind: 'dateRange', from, to };
}

/** The type values of a parameter bind as. */
function valueType(parameter: Parameter, dataset: Dataset | undefined): ColumnType {
  switch (parameter.type) {
    case 'tenantSubtree':
      return 'tenantPath';
    case 'product':
    case 'community':
      return 'integer';
    case 'number':
      return 'decimal';
    case 'enum': {
      if (!parameter.binds || !dataset) return 'string';
      const lookup = parameter.binds.lookup === undefined ? undefined : dataset.lookups.find((l) => l.id === parameter.binds!.lookup);
      const column = lookup ? lookup.columns[parameter.binds.column] : dataset.columns[parameter.binds.column];
      return column?.type ?? 'string';
    }
    default:
      return 'string';
  }
}

function oneValue(parameter: Parameter, raw: unknown, path: ReportErrorPath, context: ParameterContext | undefined, dataset: Dataset | undefined): TypedValue {
  if (parameter.type === 'enum') {
    const text = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
    if (typeof text !== 'string' || !parameter.options?.some((o) => o.value === text)) {
      throw new ReportError('invalid_parameter', `expected one of ${parameter.options?.map((o) => JSON.stringify(o.value)).join(', ')}, got ${describe(raw)}`, path);
    }
    return typedValue(valueType(parameter, dataset), text, path);
  }
  if (parameter.type === 'dma' && typeof raw === 'string' && raw.length > 100) {
    throw new ReportError('invalid_parameter', 'a DMA code has at most 100 characters', path);
  }
  const value = typedValue(valueType(parameter, dataset), raw, path);
  if (parameter.type === 'tenantSubtree' && context?.tenantPath !== undefined) {
    const path_ = value.value as string;
    if (path_ !== context.tenantPath && !path_.startsWith(`${context.tenantPath}.`)) {
      throw new ReportError('parameter_out_of_scope', `tenant ${path_} is not inside your tenant ${context.tenantPath}`, path);
    }
  }
  return value;
}

/** Checks one parameter's raw value (from the query or the default). */
export function parameterValue(
  parameter: Parameter,
  raw: unknown,
  path: ReportErrorPath,
  context: ParameterContext,
  dataset?: Dataset,
): ParameterValue {
  if (parameter.type === 'dateRange') return dateRange(raw, path, context);
  if (Array.isArray(raw)) {
    if (!parameter.multiple) throw new ReportError('invalid_parameter', `expected one value, got a list`, path);
    if (raw.length === 0 || raw.length > MAX_LIST) throw new ReportError('invalid_parameter', `expected 1 to ${MAX_LIST} values`, path);
    return { kind: 'list', values: raw.map((v, i) => oneValue(parameter, v, [...path, i], context, dataset)) };
  }
  return { kind: 'single', value: oneValue(parameter, raw, path, context, dataset) };
}

/** A default must be a valid value (a date range may be a preset); checked when the dataset is parsed. */
export function checkParameterDefault(parameter: Parameter, path: ReportErrorPath): void {
  try {
    parameterValue(parameter, parameter.default, [...path, 'default'], { timeZone: 'UTC', now: new Date() });
  } catch (error) {
    if (error instanceof ReportError) throw new ReportError('invalid_dataset', error.detail, error.path, { cause: error });
    throw error;
  }
}

/**
 * Every parameter's value for one run: the caller's, else the default, else absent. Unknown names,
 * wrong types and missing required parameters throw with the parameter's path.
 */
export function resolveParameters(dataset: Dataset, input: Readonly<Record<string, unknown>> | undefined, context: ParameterContext): Map<string, ParameterValue> {
  const given = input ?? {};
  for (const name of Object.keys(given)) {
    if (!dataset.parameters.some((p) => p.id === name)) {
      throw new ReportError('unknown_field', `the dataset ${dataset.id} has no parameter ${name}`, ['parameters', name]);
    }
  }
  const values = new Map<string, ParameterValue>();
  for (const parameter of dataset.parameters) {
    const raw = given[parameter.id] ?? parameter.default;
    if (raw === undefined || raw === null || raw === '') {
      if (parameter.required) throw new ReportError('missing_parameter', `${parameter.id} (${parameter.label.en}) is required`, ['parameters', parameter.id]);
      continue;
    }
    values.set(parameter.id, parameterValue(parameter, raw, ['parameters', parameter.id], context, dataset));
  }
  return values;
}
