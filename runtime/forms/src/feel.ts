import { evaluate, parseExpression, parseUnaryTests, unaryTest } from 'feelin';

/** form-js marks a FEEL expression in a string property with a leading `=`. */
export function isFeelExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('=');
}

/**
 * The syntax error of an `=`-prefixed expression, or undefined when it parses. feelin recovers from
 * errors while parsing, so a broken expression shows up as error nodes in the tree rather than a throw.
 */
export function feelSyntaxError(expression: string, kind: 'expression' | 'unaryTests'): string | undefined {
  const source = expression.slice(1);
  if (source.trim() === '') return 'empty FEEL expression';
  let error: { from: number } | undefined;
  try {
    const tree = kind === 'expression' ? parseExpression(source, {}, undefined) : parseUnaryTests(source, {}, undefined);
    tree.iterate({
      enter(node) {
        if (node.type.isError && !error) error = { from: node.from };
      },
    });
  } catch (cause) {
    return `FEEL syntax error: ${(cause as Error).message}`;
  }
  return error ? `FEEL syntax error at position ${error.from + 1}` : undefined;
}

/** Where an expression is evaluated: form-js scopes fields inside a dynamic list to one repetition. */
export interface FeelScope {
  /** the whole form data */
  data: Record<string, unknown>;
  /** the current repetition's item (the whole data outside a list) */
  self: unknown;
  /** the enclosing scope's `this`, null at the top */
  parent: unknown;
  /** 1-based repetition indexes from the outermost list inwards */
  indexes: number[];
}

/**
 * The variables an expression sees, laid out as form-js builds them: `this`, `parent` and `i`
 * (also as `_this_`, `_parent_`, `_i_`, which the data cannot shadow) plus the form data at top level.
 */
export function feelContext(scope: FeelScope): Record<string, unknown> {
  const special = { this: scope.self, parent: scope.parent, i: scope.indexes };
  return { ...special, ...scope.data, _this_: special.this, _parent_: special.parent, _i_: special.i };
}

/** Evaluates an `=`-prefixed expression; null when it cannot be evaluated (as form-js treats it). */
export function evaluateFeel(expression: string, context: Record<string, unknown>): unknown {
  try {
    return evaluate(expression.slice(1), context).value ?? null;
  } catch {
    return null;
  }
}

/** A `conditional.hide` is a FEEL unary test; only a definite `true` hides the field. */
export function isHiddenBy(hide: string | undefined, context: Record<string, unknown>): boolean {
  if (!hide) return false;
  try {
    return unaryTest(hide.slice(1), context).value === true;
  } catch {
    return false;
  }
}
