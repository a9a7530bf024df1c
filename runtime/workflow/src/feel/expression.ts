import { evaluate, parseExpression } from 'feelin';

/**
 * A Zeebe attribute value: either static text or a FEEL expression (written with a leading `=`).
 * Compiled once at deploy so that a step never re-checks syntax.
 */
export type Expr = { kind: 'static'; text: string } | { kind: 'feel'; source: string };

/** Zeebe's FEEL flavour: backtick names and Camunda built-ins. */
const DIALECT = 'camunda';

export class FeelEvaluationError extends Error {
  override readonly name = 'FeelEvaluationError';
}

/** `=expr` is FEEL; anything else is a static value, exactly as Zeebe reads attributes. */
export function toExpr(raw: string): Expr {
  const trimmed = raw.trim();
  if (trimmed.startsWith('=')) return { kind: 'feel', source: trimmed.slice(1).trim() };
  return { kind: 'static', text: raw };
}

/**
 * Syntax check with feelin's parser. feelin's parser recovers from errors and marks them with
 * error nodes instead of throwing, so walk the tree for the first one.
 * Returns a readable reason, or undefined when the expression parses.
 */
export function feelSyntaxError(source: string): string | undefined {
  if (!source.trim()) return 'empty FEEL expression';
  const tree = parseExpression(source, {}, DIALECT);
  let errorAt: number | undefined;
  tree.iterate({
    enter(node) {
      if (errorAt === undefined && node.type.isError) errorAt = node.from;
      return errorAt === undefined;
    },
  });
  if (errorAt === undefined) return undefined;
  const near = source.slice(Math.max(0, errorAt - 10), errorAt + 10);
  return `FEEL syntax error at position ${errorAt} near "${near}" in "${source}"`;
}

/**
 * Evaluates a FEEL expression against a variable context. Missing variables evaluate to null
 * (Zeebe 8.3+ behaviour); the caller decides whether null is acceptable for its slot.
 * The result is normalised to plain JSON so it can be stored in a variable or a snapshot.
 */
export function evaluateFeel(source: string, context: Record<string, unknown>): unknown {
  let result: { value: unknown };
  try {
    result = evaluate(source, context, DIALECT);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new FeelEvaluationError(`failed to evaluate "${source}": ${reason}`);
  }
  return toPlainJson(result.value);
}

/** Static text stays as is; FEEL is evaluated. */
export function evaluateExpr(expr: Expr, context: Record<string, unknown>): unknown {
  return expr.kind === 'static' ? expr.text : evaluateFeel(expr.source, context);
}

/**
 * FEEL temporal values (FeelDateTime, FeelDuration…) carry a toJSON that yields their ISO text;
 * functions and other non-data values cannot live in a variable and become null.
 */
export function toPlainJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return Number(value);
    case 'function':
    case 'symbol':
      return null;
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toPlainJson);
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return toPlainJson(withToJson.toJSON());
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) out[key] = toPlainJson(entry);
  return out;
}

/** `=name` is a plain variable reference; Zeebe uses this to make an MI output element local. */
export function referencedVariableName(expr: Expr): string | undefined {
  if (expr.kind !== 'feel') return undefined;
  return /^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(expr.source) ? expr.source : undefined;
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a context';
  return `${typeof value} ${JSON.stringify(value)}`;
}
