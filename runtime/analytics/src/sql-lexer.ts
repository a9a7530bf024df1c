/**
 * A small ClickHouse SQL lexer: just enough to split statements and to check where a caller's query
 * reads from. It errs on the side of seeing code: wherever it and the engine could disagree about
 * where a comment or literal ends, it ends it earlier than the engine would, so nothing the engine
 * executes is hidden from the checks. Anything it cannot place (`$` heredocs, `#` comments, stray
 * quotes) is refused rather than guessed.
 */

export type TokenKind =
  | 'word' // bare identifier or keyword
  | 'quoted' // "identifier" or `identifier`
  | 'string' // 'literal'
  | 'number'
  | 'placeholder' // {{logical_table}}
  | 'punct'
  | 'space'; // whitespace and comments

export interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  text: string;
  /** For words: the word; for quoted identifiers: the unquoted name; for placeholders: the name. */
  value: string;
  start: number;
  end: number;
}

export class SqlLexError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'SqlLexError';
  }
}

// ASCII only. ClickHouse joins UTF-8 letters into names but also skips some Unicode spaces that
// JavaScript's \s does not know; splitting at every non-ASCII character sees at least every word the
// engine sees (`FROM\u200Bsystem` is FROM, a separator, system), at the price of refusing non-ASCII
// names in FROM.
const isWordStart = (c: string) => /[A-Za-z_]/.test(c);
const isWordChar = (c: string) => /[A-Za-z0-9_]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/** Reads a literal closed by `quote`, honouring backslash escapes and doubled quotes as ClickHouse does. */
function readQuoted(sql: string, start: number, quote: string): { end: number; value: string } {
  let value = '';
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\') {
      if (i + 1 >= sql.length) break;
      value += sql[i + 1];
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { end: i + 1, value };
    }
    value += c;
    i += 1;
  }
  throw new SqlLexError(`unterminated ${quote === "'" ? 'string literal' : 'quoted identifier'}`, start);
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string) => {
    const text = sql.slice(start, end);
    tokens.push({ kind, text, value: value ?? text, start, end });
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j += 1;
      push('space', i, j);
      i = j;
    } else if (c === '-' && next === '-') {
      // Ends at the first line break of either kind: never later than the engine's comment.
      let j = i + 2;
      while (j < sql.length && sql[j] !== '\n' && sql[j] !== '\r') j += 1;
      push('space', i, j);
      i = j;
    } else if (c === '/' && next === '*') {
      // Not nested on purpose: ClickHouse nests block comments, so its comment is never shorter than this one.
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new SqlLexError('unterminated block comment', i);
      push('space', i, close + 2);
      i = close + 2;
    } else if (c === "'") {
      const { end, value } = readQuoted(sql, i, "'");
      push('string', i, end, value);
      i = end;
    } else if (c === '"' || c === '`') {
      const { end, value } = readQuoted(sql, i, c);
      push('quoted', i, end, value);
      i = end;
    } else if (c === '{' && next === '{') {
      const match = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/.exec(sql.slice(i));
      if (!match) throw new SqlLexError('a "{{" opens a logical table placeholder such as {{readings}}', i);
      push('placeholder', i, i + match[0].length, match[1]);
      i += match[0].length;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < sql.length && isWordChar(sql[j]!)) j += 1;
      push('word', i, j);
      i = j;
    } else if (isDigit(c)) {
      const match = /^(0[xX][0-9A-Fa-f]+|0[bB][01]+|[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?)/.exec(sql.slice(i))!;
      push('number', i, i + match[0].length);
      i += match[0].length;
    } else if (c === '$' || c === '#' || c === '\\') {
      // `$…$` heredocs and `#` comments would let text the engine executes pass as a literal or a comment here.
      throw new SqlLexError(`the character ${JSON.stringify(c)} is not accepted outside literals`, i);
    } else {
      push('punct', i, i + 1);
      i += 1;
    }
  }
  return tokens;
}

/** Splits a script into statements at top-level semicolons; empty statements are dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let from = 0;
  let code = false;
  for (const token of tokenize(sql)) {
    if (token.kind === 'punct' && token.text === ';') {
      if (code) statements.push(sql.slice(from, token.start).trim());
      from = token.end;
      code = false;
    } else if (token.kind !== 'space') {
      code = true;
    }
  }
  if (code) statements.push(sql.slice(from).trim());
  return statements;
}
