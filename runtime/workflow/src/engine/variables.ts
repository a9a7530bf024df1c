import type { Mapping } from '../compile/model.js';
import { describeValue, evaluateExpr, type Expr } from '../feel/expression.js';
import type { Variables } from '../types.js';
import { asIncident, IncidentError } from './incidents.js';
import { withPath, type VariableScopes } from './scopes.js';

/**
 * Input mappings (Zeebe): sources see everything visible from the element instance (its flow
 * scope, and for a multi-instance iteration its input element and loop counter) plus the targets
 * mapped so far; the results become local variables of the element instance (`chain[0]`).
 */
export function applyInputMappings(scopes: VariableScopes, chain: readonly string[], mappings: readonly Mapping[]): void {
  if (!mappings.length) return;
  const context = scopes.visible(chain);
  const locals: Variables = {};
  for (const mapping of mappings) {
    const value = evaluateMapping(mapping, { ...context, ...locals });
    const [head, ...rest] = mapping.target as [string, ...string[]];
    locals[head] = withPath(locals[head], rest, value);
  }
  scopes.setLocals(chain, locals);
}

/**
 * Output mappings (Zeebe): sources are evaluated in the element instance scope; the results are
 * propagated from the flow scope outwards. A nested target merges into the visible variable.
 */
export function applyOutputMappings(scopes: VariableScopes, chain: readonly string[], mappings: readonly Mapping[]): void {
  const context = scopes.visible(chain);
  const document: Variables = {};
  for (const mapping of mappings) {
    const value = evaluateMapping(mapping, context);
    const [head, ...rest] = mapping.target as [string, ...string[]];
    const base = head in document ? document[head] : rest.length ? context[head] : undefined;
    document[head] = withPath(base, rest, value);
  }
  scopes.propagate(chain.slice(1), document);
}

/**
 * Variables arriving with a job / user task / message / child completion. With output mappings
 * they are local to the element instance and only the mappings' results leave it; without,
 * they propagate from the element instance outwards (so an input-mapped local is updated in place,
 * exactly as on Zeebe).
 */
export function applyCompletionVariables(
  scopes: VariableScopes,
  chain: readonly string[],
  variables: Variables,
  outputs: readonly Mapping[],
  propagate = true,
): void {
  if (outputs.length) {
    scopes.setLocals(chain, variables);
    applyOutputMappings(scopes, chain, outputs);
  } else if (propagate) {
    scopes.propagate(chain, variables);
  }
}

function evaluateMapping(mapping: Mapping, context: Variables): unknown {
  try {
    return evaluateExpr(mapping.source, context);
  } catch (cause) {
    throw asIncident(cause, 'io-mapping');
  }
}

/** Evaluates and checks the type of a value; a wrong type is an expression incident. */
export function evaluateString(expr: Expr, context: Variables, what: string, options: { optional?: boolean } = {}): string | undefined {
  const value = evaluate(expr, context);
  if (value === null && options.optional) return undefined;
  if (typeof value === 'string' && (value.length || options.optional)) return value || undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new IncidentError('expression', `Expected ${what} (${source(expr)}) to be a string, but was ${describeValue(value)}`);
}

export function evaluateBoolean(expr: Expr, context: Variables, what: string): boolean {
  const value = evaluate(expr, context);
  if (typeof value === 'boolean') return value;
  throw new IncidentError('expression', `Expected ${what} (${source(expr)}) to be a boolean, but was ${describeValue(value)}`);
}

export function evaluateList(expr: Expr, context: Variables, what: string): unknown[] {
  const value = evaluate(expr, context);
  if (Array.isArray(value)) return value;
  throw new IncidentError('expression', `Expected ${what} (${source(expr)}) to be a list, but was ${describeValue(value)}`);
}

/** Static text is a comma-separated list; FEEL must yield a list of strings. */
export function evaluateStringList(expr: Expr, context: Variables, what: string): string[] {
  if (expr.kind === 'static') return splitList(expr.text);
  const value = evaluate(expr, context);
  if (value === null) return [];
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value.filter(Boolean);
  throw new IncidentError('expression', `Expected ${what} (${source(expr)}) to be a list of strings, but was ${describeValue(value)}`);
}

export function evaluateNonNegativeInteger(expr: Expr, context: Variables, what: string): number {
  const value = expr.kind === 'static' ? Number(expr.text.trim()) : evaluate(expr, context);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw new IncidentError('expression', `Expected ${what} (${source(expr)}) to be a non-negative integer, but was ${describeValue(value)}`);
}

/** Dates as ISO 8601 text (FEEL date-times arrive as ISO text already). */
export function evaluateDateTime(expr: Expr, context: Variables, what: string): string | undefined {
  const value = evaluate(expr, context);
  if (value === null) return undefined;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return new Date(parsed).toISOString();
  }
  throw new IncidentError('expression', `Expected ${what} (${source(expr)}) to be a date-time, but was ${describeValue(value)}`);
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function evaluate(expr: Expr, context: Variables): unknown {
  try {
    return evaluateExpr(expr, context);
  } catch (cause) {
    throw asIncident(cause, 'expression');
  }
}

function source(expr: Expr): string {
  return expr.kind === 'feel' ? `=${expr.source}` : expr.text;
}
