import type { Variables } from '../types.js';

/** The process instance's own scope. Every chain ends with it. */
export const ROOT_SCOPE = 'root';

/**
 * A Zeebe variable scope. Scopes are keyed by bpmn-elements execution ids (a task run, a
 * sub-process run, a multi-instance body or one of its iterations) and exist only while they
 * hold local variables. `parents` is the chain outwards, ending with the root scope.
 */
export interface ScopeRecord {
  parents: string[];
  vars: Variables;
}

/**
 * Zeebe variable semantics over the persisted scope records.
 * A chain lists scope ids from the innermost outwards and always ends with ROOT_SCOPE.
 */
export class VariableScopes {
  constructor(private readonly records: Record<string, ScopeRecord>) {
    if (!records[ROOT_SCOPE]) records[ROOT_SCOPE] = { parents: [], vars: {} };
  }

  get root(): Variables {
    return (this.records[ROOT_SCOPE] as ScopeRecord).vars;
  }

  has(scopeId: string): boolean {
    return scopeId in this.records;
  }

  local(scopeId: string): Variables | undefined {
    return this.records[scopeId]?.vars;
  }

  /** Every variable visible from the innermost scope of `chain` (inner ones shadow outer ones). */
  visible(chain: readonly string[]): Variables {
    const result: Variables = {};
    for (let index = chain.length - 1; index >= 0; index--) {
      const record = this.records[chain[index] as string];
      if (record) Object.assign(result, record.vars);
    }
    return result;
  }

  /** Creates or updates variables local to `chain[0]`. */
  setLocals(chain: readonly string[], vars: Variables): void {
    const [scopeId, ...parents] = chain;
    if (scopeId === undefined) return;
    let record = this.records[scopeId];
    if (!record) {
      record = { parents, vars: {} };
      this.records[scopeId] = record;
    }
    Object.assign(record.vars, vars);
  }

  /**
   * Zeebe propagation: each variable is set in the innermost scope of `chain` that already
   * defines it, otherwise in the root scope.
   */
  propagate(chain: readonly string[], vars: Variables): void {
    for (const [name, value] of Object.entries(vars)) {
      let target = this.records[ROOT_SCOPE] as ScopeRecord;
      for (const scopeId of chain) {
        const record = this.records[scopeId];
        if (record && name in record.vars) {
          target = record;
          break;
        }
      }
      target.vars[name] = value;
    }
  }

  /** Drops a scope and every scope nested in it (its element instance has left). */
  drop(scopeId: string): void {
    if (scopeId === ROOT_SCOPE) return;
    for (const [id, record] of Object.entries(this.records)) {
      if (id === scopeId || record.parents.includes(scopeId) || isIterationOf(id, scopeId)) delete this.records[id];
    }
  }

  /** Keeps only the root scope (the instance has ended). */
  clearLocals(): void {
    for (const id of Object.keys(this.records)) if (id !== ROOT_SCOPE) delete this.records[id];
  }
}

/** bpmn-elements names multi-instance iterations `<bodyExecutionId>_<index>`. */
export function isIterationOf(executionId: string, bodyExecutionId: string): boolean {
  return executionId.startsWith(`${bodyExecutionId}_`) && /^\d+$/.test(executionId.slice(bodyExecutionId.length + 1));
}

/**
 * Sets `value` at `path` inside `base` without mutating it: `a.b` on `{a: {c: 1}}` yields
 * `{a: {c: 1, b: value}}`. A non-object on the way is replaced by an object, as Zeebe does.
 */
export function withPath(base: unknown, path: readonly string[], value: unknown): unknown {
  if (!path.length) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const object = isPlainObject(base) ? { ...base } : {};
  object[head] = withPath(object[head], rest, value);
  return object;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
