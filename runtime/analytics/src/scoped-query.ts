import { AnalyticsError } from './errors.js';
import { type QueryParams, RESERVED_PARAM_PREFIX, type WireParams, toWireParams } from './params.js';
import { SqlLexError, type Token, tokenize } from './sql-lexer.js';

/** The caller's tenant subtree: rows of this tenant and of every tenant under it are visible. */
export interface AnalyticsScope {
  /** Tenant path as stored on tenants.path: ids joined by dots, e.g. `1.2.3`. */
  tenantPath: string;
}

const TENANT_PATH = /^[0-9]+(\.[0-9]+)*$/;

export function assertTenantPath(path: unknown, what = 'tenant path'): asserts path is string {
  if (typeof path !== 'string' || !TENANT_PATH.test(path)) {
    throw new AnalyticsError('analytics_bad_input', `${what} must be ids joined by dots such as 1.2.3, got ${JSON.stringify(path)}`);
  }
}

/**
 * The logical tables callers name as `{{name}}`. Each stands for a subquery over its physical table that
 * keeps only the scope's subtree and sees each (tenant, device, metric, at) once.
 */
export const logicalTables = {
  readings: {
    physical: 'device_readings',
    /**
     * FINAL collapses redelivered rows (ReplacingMergeTree keeps the latest `received_at`); the filter is
     * on the sorting key's first column, so it prunes granules and is the same before and after FINAL.
     * `milli` is computed in Decimal128 so that values near the Decimal(18,3) limit do not overflow.
     */
    select: (table: string) =>
      `SELECT tenant_id, tenant_path, device, metric, at, value, toInt64(toDecimal128(value, 3) * 1000) AS milli, received_at ` +
      `FROM ${table} FINAL ` +
      `WHERE (tenant_path = {${RESERVED_PARAM_PREFIX}scope_path:String} OR startsWith(tenant_path, {${RESERVED_PARAM_PREFIX}scope_prefix:String}))`,
  },
} as const;
export type LogicalTable = keyof typeof logicalTables;

/** Physical tables the port owns besides those behind logical tables. */
export const LEDGER_TABLE = 'analytics_migrations';

/** Table functions that read nothing but what the query itself says (series, constants). */
const harmlessTableFunctions = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateseries', 'values']);

/**
 * Functions that reach tables, files, dictionaries or other servers by name. A FROM may not name a table
 * function anyway; these are refused wherever they appear.
 */
const deniedFunction = (name: string) =>
  (name !== 'in' && /^(global)?(not)?(null)?in(ignoreset)?$/.test(name)) || // notIn(x, t) & co. read table t
  /^(dict|joinget|file|url|remote|cluster|merge|s3|gcs|hdfs|azure|mysql|postgres|mongo|redis|sqlite|jdbc|odbc|input|executable|iceberg|deltalake|hudi|paimon|loop|view|dictionary|hascolumnintable|timeseries|prometheus|arrowflight|ytsaurus|mergetree|filesystem|getsetting|getserversetting|getmacro)/.test(
    name,
  );

/** Words that would change what the statement does beyond reading (INTO OUTFILE) or how its result is shaped. */
const forbiddenKeywords = new Set(['into', 'outfile', 'format', 'settings']);

/** Words that end a FROM clause at the same nesting level. */
const clauseEnds = new Set(['where', 'prewhere', 'group', 'order', 'limit', 'having', 'union', 'except', 'intersect', 'qualify', 'window', 'select', 'offset']);

/** Words that are values, not names. */
const literalWords = new Set(['null', 'true', 'false', 'nan', 'inf']);

/** Functions whose arguments use FROM or IN as syntax rather than to name a table. */
const syntaxFunctions = new Set(['extract', 'substring', 'substr', 'trim', 'position', 'overlay']);

interface Frame {
  /** The word before the opening parenthesis, lower-cased ('' at the top level). */
  opener: string;
  /** Inside a FROM clause: between FROM and the next clause, commas would add tables. */
  from: 'none' | 'tables' | 'array' | 'using';
  inWith: boolean;
  ctes: Set<string>;
}

export interface CompiledQuery {
  sql: string;
  params: WireParams;
}

const refuse = (message: string) => new AnalyticsError('analytics_query_refused', message);

/**
 * Turns a caller's query over logical tables into the SQL the engine runs: checks where it reads from,
 * substitutes the scoped subqueries and adds the scope parameters. Throws `analytics_query_refused`
 * before anything reaches the engine.
 */
export function compileScopedQuery(sql: string, scope: AnalyticsScope, params: QueryParams, database: string): CompiledQuery {
  assertTenantPath(scope?.tenantPath, 'scope.tenantPath');
  const wire = toWireParams(params);

  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch (error) {
    if (error instanceof SqlLexError) throw refuse(`${error.message} (at offset ${error.position})`);
    throw error;
  }
  const code = tokens.filter((t) => t.kind !== 'space');
  while (code.length > 0 && code.at(-1)!.text === ';') code.pop();
  if (code.length === 0) throw refuse('the query is empty');
  const last = code.at(-1)!;

  const physicalNames = new Set<string>([
    'system',
    'information_schema',
    database.toLowerCase(),
    LEDGER_TABLE,
    ...Object.values(logicalTables).map((t) => t.physical),
  ]);

  const lower = (t: Token | undefined) => (t && (t.kind === 'word' || t.kind === 'quoted') ? t.value.toLowerCase() : undefined);
  const isPunct = (t: Token | undefined, p: string) => t?.kind === 'punct' && t.text === p;
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.value.toLowerCase() === w;

  const first = lower(code[0]);
  if (code[0]!.kind !== 'word' || (first !== 'select' && first !== 'with')) {
    throw refuse('only a SELECT (optionally starting WITH) can be run against the analytics store');
  }

  const stack: Frame[] = [{ opener: '', from: 'none', inWith: first === 'with', ctes: new Set() }];
  const top = () => stack.at(-1)!;
  const isCte = (name: string) => stack.some((f) => f.ctes.has(name));

  const checkTableSource = (keyword: string, index: number) => {
    const target = code[index];
    const after = code[index + 1];
    if (target?.kind === 'placeholder' || isPunct(target, '(')) return;
    if (target?.kind === 'word') {
      const name = target.value.toLowerCase();
      if (isPunct(after, '(')) {
        if (harmlessTableFunctions.has(name)) return;
        throw refuse(`${keyword} ${target.value}(…): table functions other than ${[...harmlessTableFunctions].join(', ')} are not allowed`);
      }
      if (isPunct(after, '.')) throw refuse(`${keyword} ${target.value}.…: database-qualified tables are not reachable; use a logical table such as {{readings}}`);
      if (isCte(name)) return;
      throw refuse(
        `${keyword} ${target.value}: name logical tables as {{${Object.keys(logicalTables).join('}}, {{')}}} (or a WITH subquery), never a table directly`,
      );
    }
    throw refuse(`${keyword} must be followed by a logical table such as {{readings}}, a subquery or a WITH name`);
  };

  /**
   * `x IN t`, `x IN (t)` and the function form `in(x, t)` all read a table called t, so on the right of
   * IN (and in every argument of `in(…)`) a lone name must be a WITH subquery. Lists of values, tuples,
   * subqueries and array parameters pass.
   */
  const checkInOperand = (index: number) => {
    const target = code[index];
    if (target?.kind === 'word') {
      if (isPunct(code[index + 1], '(')) return; // tuple(…), array(…): checked as a function call
      if (isPunct(code[index + 1], '.')) throw refuse(`IN ${target.value}.…: database-qualified tables are not reachable`);
      if (isCte(target.value.toLowerCase())) return;
      throw refuse(`IN ${target.value}: the right side of IN must be values or a subquery over logical tables`);
    }
    if (target?.kind === 'quoted') throw refuse(`IN ${target.text}: the right side of IN must be values or a subquery over logical tables`);
    if (!isPunct(target, '(')) return;
    // Walk the parenthesised group; each top-level element that is only a name (in any number of parentheses) is a table.
    let depth = 0;
    let element: Token[] = [];
    const checkElement = () => {
      let from = 0;
      let to = element.length;
      while (to - from >= 3 && isPunct(element[from], '(') && isPunct(element[to - 1], ')')) {
        from += 1;
        to -= 1;
      }
      const only = to - from === 1 ? element[from] : undefined;
      if (only?.kind === 'quoted') throw refuse(`IN (…${only.text}…): a lone name on the right of IN reads a table`);
      if (only?.kind === 'word' && !literalWords.has(only.value.toLowerCase()) && !isCte(only.value.toLowerCase())) {
        throw refuse(`IN (…${only.value}…): a lone name on the right of IN reads a table; compare columns with = instead`);
      }
      element = [];
    };
    for (let j = index; j < code.length; j += 1) {
      const t = code[j]!;
      if (isPunct(t, '(') || isPunct(t, '[')) depth += 1;
      if (isPunct(t, ')') || isPunct(t, ']')) depth -= 1;
      if (depth === 0) {
        checkElement();
        return;
      }
      if (depth === 1 && (isPunct(t, '(') && j === index)) continue;
      if (depth === 1 && isPunct(t, ',')) checkElement();
      else element.push(t);
    }
  };

  for (let k = 0; k < code.length; k += 1) {
    const token = code[k]!;
    const prev = code[k - 1];
    const next = code[k + 1];

    if (token.kind === 'punct') {
      if (token.text === ';') throw refuse('only one statement can be run at a time');
      if (token.text === '(') {
        stack.push({ opener: prev?.kind === 'word' ? prev.value.toLowerCase() : '', from: 'none', inWith: false, ctes: new Set() });
      } else if (token.text === ')') {
        if (stack.length === 1) throw refuse('unbalanced parentheses');
        stack.pop();
      } else if (token.text === ',' && top().from === 'tables') {
        throw refuse('comma-separated tables are not supported in FROM; use JOIN');
      } else if (token.text === '{' && next?.kind === 'word' && isPunct(code[k + 2], ':')) {
        // A {name:Type} parameter. An Identifier-typed one would let a parameter name a table.
        for (let j = k + 3; j < code.length && !isPunct(code[j], '}'); j += 1) {
          if (lower(code[j]) === 'identifier') throw refuse(`parameter {${next.value}:…} may not be of type Identifier`);
        }
        if (next.value.toLowerCase().startsWith(RESERVED_PARAM_PREFIX)) {
          throw refuse(`parameter names starting with ${RESERVED_PARAM_PREFIX} are reserved for the port`);
        }
        while (k < code.length && !isPunct(code[k], '}')) k += 1; // the name and type are not SQL of the query
      }
      continue;
    }

    if (token.kind === 'placeholder') {
      if (!(token.value in logicalTables)) {
        throw refuse(`{{${token.value}}} is not a logical table; known: {{${Object.keys(logicalTables).join('}}, {{')}}}`);
      }
      continue;
    }

    if (token.kind !== 'word' && token.kind !== 'quoted') continue;
    const word = token.value.toLowerCase();
    const callsFunction = isPunct(next, '(');

    if (physicalNames.has(word) && !(token.kind === 'word' && callsFunction)) {
      throw refuse(`${token.value} names a physical or system object; read through logical tables such as {{readings}}`);
    }
    if (word === 'in' && token.kind === 'word' && !syntaxFunctions.has(top().opener)) checkInOperand(k + 1);
    if (callsFunction) {
      if (deniedFunction(word)) throw refuse(`the function ${token.value}() reaches outside the query's logical tables`);
      continue;
    }
    if (token.kind === 'quoted') continue;
    if (forbiddenKeywords.has(word)) {
      throw refuse(`${token.value.toUpperCase()} is not allowed: the port chooses the output and the settings`);
    }

    const frame = top();
    if (word === 'with') {
      if (!['fill', 'totals', 'rollup', 'cube', 'ties'].includes(lower(next) ?? '')) frame.inWith = true;
      continue;
    }
    if (frame.inWith && (isWord(prev, 'with') || isWord(prev, 'recursive') || isPunct(prev, ',')) && isWord(next, 'as') && isPunct(code[k + 2], '(') && (isWord(code[k + 3], 'select') || isWord(code[k + 3], 'with'))) {
      frame.ctes.add(word);
      continue;
    }
    if (clauseEnds.has(word)) {
      frame.from = 'none';
      if (word === 'select') frame.inWith = false;
      continue;
    }
    if (syntaxFunctions.has(frame.opener)) continue;

    if (word === 'from') {
      if (isWord(prev, 'fill')) continue; // ORDER BY … WITH FILL FROM <expr>
      if (isWord(prev, 'distinct') && (isWord(code[k - 2], 'is') || isWord(code[k - 2], 'not'))) continue; // a IS [NOT] DISTINCT FROM b
      checkTableSource('FROM', k + 1);
      frame.from = 'tables';
    } else if (word === 'array' && isWord(next, 'join')) {
      frame.from = 'array';
      k += 1; // ARRAY JOIN unfolds arrays of the rows already read; its commas list arrays, not tables
    } else if (word === 'join') {
      checkTableSource('JOIN', k + 1);
      frame.from = 'tables';
    } else if (word === 'using' && frame.from === 'tables') {
      frame.from = 'using';
    }
  }
  if (stack.length !== 1) throw refuse('unbalanced parentheses');

  // Rebuild the statement: placeholders become scoped subqueries, the trailing semicolons go.
  let compiled = '';
  for (const token of tokens) {
    if (token.start > last.start) break;
    if (token.kind === 'placeholder') {
      const table = logicalTables[token.value as LogicalTable];
      compiled += `(${table.select(`\`${database}\`.\`${table.physical}\``)})`;
    } else {
      compiled += token.text;
    }
  }
  return {
    sql: compiled,
    params: {
      ...wire,
      [`${RESERVED_PARAM_PREFIX}scope_path`]: scope.tenantPath,
      [`${RESERVED_PARAM_PREFIX}scope_prefix`]: `${scope.tenantPath}.`,
    },
  };
}
