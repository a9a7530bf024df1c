import { ReportError } from '../errors.js';

/**
 * Raw-SQL datasets (platform admins) are one SELECT that the engine wraps — `SELECT … FROM (<sql>) AS q …`
 * — and runs read-only under the tenant predicate. Before anything runs, the text is scanned here:
 *
 * - one statement: a `;` anywhere but at the very end is refused, so nothing can follow the SELECT;
 * - balanced parentheses that never close below the start, so the text cannot close the wrapper's
 *   parenthesis and continue outside it;
 * - on PostgreSQL, functions and objects that read files, other databases or the server's catalogue, run
 *   SQL given as a string, or change settings (`set_config('app.tenant', …)` would move the row-level
 *   security predicate) are refused by name, wherever they appear, quoted or not;
 * - on ClickHouse the analytics port checks the rest itself (only logical tables, no table functions,
 *   no FORMAT/SETTINGS) and injects the tenant predicate into every `{{readings}}`.
 *
 * Placeholders: `{{param.<id>}}` (and for a date range `{{param.<id>.from}}`, `.to` — dates, both
 * included — `.start`, `.end` — the instants the range starts and ends at in the tenant's time zone) and
 * `{{timeZone}}` become bound parameters; ClickHouse's `{{readings}}` is left for the port.
 */
export type RawSqlDialect = 'clickhouse' | 'postgres';

export type Placeholder =
  | { kind: 'param'; id: string; part?: 'from' | 'to' | 'start' | 'end' }
  | { kind: 'timeZone' }
  | { kind: 'table'; name: string };

export type RawSqlSegment = { text: string } | { placeholder: Placeholder };

export interface RawSqlTemplate {
  dialect: RawSqlDialect;
  segments: RawSqlSegment[];
  /** Every name the SQL spells (words lower-cased, quoted identifiers as written): where views may hide. */
  names: string[];
}

/** Names refused in PostgreSQL raw SQL (compared lower-case, as words or quoted identifiers). */
const deniedPostgresNames = new Set([
  'set_config',
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'ts_stat',
  'ts_rewrite',
  'information_schema',
  'nextval',
  'setval',
  'currval',
  'lastval',
]);

/** Prefixes of system catalogues and of functions that reach files, large objects or other servers. */
const deniedPostgresPrefixes = ['pg_', 'lo_', 'dblink'];

const refuse = (detail: string, path: readonly (string | number)[]) => new ReportError('raw_sql_refused', detail, path);

interface Token {
  kind: 'word' | 'quoted' | 'string' | 'punct' | 'space' | 'placeholder' | 'other';
  text: string;
  /** Words lower-cased; quoted identifiers unquoted; placeholders their inner text. */
  value: string;
}

function tokenize(sql: string, dialect: RawSqlDialect, path: readonly (string | number)[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: Token['kind'], start: number, value?: string) => tokens.push({ kind, text: sql.slice(start, i), value: value ?? sql.slice(start, i) });
  while (i < sql.length) {
    const start = i;
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      while (i < sql.length && /\s/.test(sql[i]!)) i += 1;
      push('space', start);
    } else if (c === '-' && next === '-') {
      while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i += 1;
      push('space', start);
    } else if (c === '/' && next === '*') {
      let depth = 0;
      while (i < sql.length) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth += dialect === 'postgres' || depth === 0 ? 1 : 0;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth -= 1;
          i += 2;
          if (depth === 0) break;
        } else i += 1;
      }
      if (depth !== 0) throw refuse('a /* comment is not closed', path);
      push('space', start);
    } else if (c === '{' && next === '{') {
      const end = sql.indexOf('}}', i + 2);
      if (end < 0) throw refuse('a {{ placeholder is not closed', path);
      i = end + 2;
      push('placeholder', start, sql.slice(start + 2, end).trim());
    } else if ((c === 'U' || c === 'u') && next === '&' && (sql[i + 2] === "'" || sql[i + 2] === '"')) {
      throw refuse('Unicode-escaped strings and identifiers (U&…) are not allowed', path);
    } else if (c === "'" || ((c === 'E' || c === 'e') && next === "'" && dialect === 'postgres')) {
      const backslash = dialect === 'clickhouse' || c !== "'";
      i += c === "'" ? 1 : 2;
      for (;;) {
        if (i >= sql.length) throw refuse('a string literal is not closed', path);
        if (backslash && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") {
          i += 1;
          break;
        } else i += 1;
      }
      push('string', start);
    } else if (c === '"' || (c === '`' && dialect === 'clickhouse')) {
      i += 1;
      let value = '';
      for (;;) {
        if (i >= sql.length) throw refuse('a quoted identifier is not closed', path);
        if (dialect === 'clickhouse' && sql[i] === '\\') {
          value += sql[i + 1] ?? '';
          i += 2;
        } else if (sql[i] === c && sql[i + 1] === c) {
          value += c;
          i += 2;
        } else if (sql[i] === c) {
          i += 1;
          break;
        } else {
          value += sql[i];
          i += 1;
        }
      }
      push('quoted', start, value);
    } else if (c === '$' && dialect === 'postgres' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) throw refuse('a dollar-quoted string is not closed', path);
      i = end + tag.length;
      push('string', start);
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      while (i < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i += 1;
      push('word', start, sql.slice(start, i).toLowerCase());
    } else if (/[0-9]/.test(c)) {
      while (i < sql.length && /[0-9A-Za-z_.]/.test(sql[i]!)) i += 1;
      push('other', start);
    } else {
      i += 1;
      push('punct', start);
    }
  }
  return tokens;
}

const PARAM_PLACEHOLDER = /^param\.([A-Za-z][A-Za-z0-9_]{0,62})(?:\.(from|to|start|end))?$/;

function placeholderOf(value: string, dialect: RawSqlDialect, path: readonly (string | number)[]): Placeholder {
  const param = PARAM_PLACEHOLDER.exec(value);
  if (param) return param[2] ? { kind: 'param', id: param[1]!, part: param[2] as 'from' | 'to' | 'start' | 'end' } : { kind: 'param', id: param[1]! };
  if (value === 'timeZone') return { kind: 'timeZone' };
  if (dialect === 'clickhouse' && /^[a-z_][a-z0-9_]*$/.test(value)) return { kind: 'table', name: value };
  throw refuse(`{{${value}}} is not a placeholder; use {{param.<id>}} or {{timeZone}}${dialect === 'clickhouse' ? ' or a logical table such as {{readings}}' : ''}`, path);
}

/**
 * Scans a raw-SQL dataset's text; throws `raw_sql_refused` (with `path`) when it breaks the contract
 * above. The template keeps the text as written, with placeholders cut out for binding.
 */
export function parseRawSql(sql: string, dialect: RawSqlDialect, path: readonly (string | number)[] = ['source', 'sql']): RawSqlTemplate {
  const tokens = tokenize(sql, dialect, path);
  const code = tokens.filter((t) => t.kind !== 'space');
  while (code.length > 0 && code.at(-1)!.text === ';') code.pop();
  if (code.length === 0) throw refuse('the SQL is empty', path);
  const first = code[0]!;
  if (!(first.kind === 'word' && (first.value === 'select' || first.value === 'with')) && first.text !== '(') {
    throw refuse('a SQL dataset is one SELECT (optionally starting WITH)', path);
  }
  let depth = 0;
  const last = code.at(-1)!;
  for (const token of code) {
    if (token.kind === 'punct') {
      if (token.text === ';') throw refuse('only one statement is allowed: remove the ; and what follows it', path);
      if (token.text === '(') depth += 1;
      if (token.text === ')') {
        depth -= 1;
        if (depth < 0) throw refuse('a ) closes a parenthesis the SQL did not open', path);
      }
    }
    if (dialect === 'postgres' && (token.kind === 'word' || token.kind === 'quoted')) {
      const name = token.value.toLowerCase();
      if (deniedPostgresNames.has(name) || deniedPostgresPrefixes.some((prefix) => name.startsWith(prefix))) {
        throw refuse(`${token.text} reaches outside the tenant's rows or changes settings, and is not allowed in a SQL dataset`, path);
      }
    }
  }
  if (depth !== 0) throw refuse('unbalanced parentheses', path);

  const segments: RawSqlSegment[] = [];
  let text = '';
  for (const token of tokens) {
    if (token.kind === 'placeholder') {
      if (text) segments.push({ text });
      text = '';
      segments.push({ placeholder: placeholderOf(token.value, dialect, path) });
    } else text += token.text;
    if (token === last) break; // trailing semicolons, spaces and comments are dropped
  }
  if (text) segments.push({ text });
  const names = [...new Set(code.filter((t) => t.kind === 'word' || t.kind === 'quoted').map((t) => t.value))];
  return { dialect, segments, names };
}

/** The parameter ids a template refers to. */
export function templateParameters(template: RawSqlTemplate): string[] {
  return [...new Set(template.segments.flatMap((s) => ('placeholder' in s && s.placeholder.kind === 'param' ? [s.placeholder.id] : [])))];
}
