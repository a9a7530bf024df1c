import { describe, expect, it } from 'vitest';
import { ReportError } from '../errors.js';
import { parseRawSql } from './raw-sql.js';

const refusedBy = (sql: string, dialect: 'clickhouse' | 'postgres') => {
  try {
    parseRawSql(sql, dialect);
  } catch (error) {
    if (error instanceof ReportError) return error.code;
    throw error;
  }
  return 'accepted';
};

describe('scanning raw SQL before it is wrapped', () => {
  it('cuts placeholders out for binding, outside string literals only', () => {
    const template = parseRawSql(`select * from t where a = {{param.x}} and b = '{{param.y}}' and at >= {{param.period.start}} -- {{param.z}}\n and tz = {{timeZone}};`, 'postgres');
    expect(template.segments).toEqual([
      { text: 'select * from t where a = ' },
      { placeholder: { kind: 'param', id: 'x' } },
      { text: " and b = '{{param.y}}' and at >= " },
      { placeholder: { kind: 'param', id: 'period', part: 'start' } },
      { text: ' -- {{param.z}}\n and tz = ' },
      { placeholder: { kind: 'timeZone' } },
    ]);
    expect(parseRawSql('SELECT * FROM {{readings}}', 'clickhouse').segments).toEqual([{ text: 'SELECT * FROM ' }, { placeholder: { kind: 'table', name: 'readings' } }]);
  });

  it('accepts semicolons and parentheses inside literals, quoted names, dollar quotes and comments', () => {
    expect(refusedBy(`select ';)' as a, "x;)" as b, $tag$ ; ) $tag$ as c /* ; ) /* nested */ ) */ from t;`, 'postgres')).toBe('accepted');
    expect(refusedBy(`SELECT 'it\\'s ;)' AS a, \`b;)\` FROM {{readings}}`, 'clickhouse')).toBe('accepted');
  });

  it('refuses a second statement, an unbalanced parenthesis and anything but a SELECT', () => {
    for (const dialect of ['postgres', 'clickhouse'] as const) {
      expect(refusedBy('select 1; select 2', dialect)).toBe('raw_sql_refused');
      expect(refusedBy('select 1) union (select 2', dialect)).toBe('raw_sql_refused');
      expect(refusedBy('select (1', dialect)).toBe('raw_sql_refused');
      expect(refusedBy('insert into t values (1)', dialect)).toBe('raw_sql_refused');
      expect(refusedBy("select 'unterminated", dialect)).toBe('raw_sql_refused');
      expect(refusedBy('select 1 /* unterminated', dialect)).toBe('raw_sql_refused');
      expect(refusedBy('select {{param.x', dialect)).toBe('raw_sql_refused');
    }
    // E'…' takes backslash escapes: the quote after \ does not end it, so the ; is inside the literal.
    expect(refusedBy(`select E'\\'; drop table t; --' as a`, 'postgres')).toBe('accepted');
    // In a standard string a backslash is a character: the ; is code.
    expect(refusedBy(`select '\\'; drop table t; --' as a`, 'postgres')).toBe('raw_sql_refused');
  });

  it('refuses on PostgreSQL the names that reach past the tenant, in any spelling', () => {
    for (const sql of [
      'select pg_read_file(\'/etc/passwd\')',
      'select PG_LS_DIR(\'.\')',
      'select "pg_sleep"(1)',
      'select set_config(\'app.tenant\', \'1\', true)',
      'select SET_CONFIG(\'role\', \'postgres\', true)',
      'select * from information_schema.tables',
      'select lo_import(\'/etc/passwd\')',
      'select * from dblink(\'\', \'select 1\') as t(x int)',
      'select query_to_xml(\'select 1\', true, true, \'\')',
      'select ts_stat(\'select 1\')',
      'select U&"\\0070g_sleep"(1)',
    ]) {
      expect([sql, refusedBy(sql, 'postgres')]).toEqual([sql, 'raw_sql_refused']);
    }
    expect(refusedBy("select 'pg_read_file is only text here' as note", 'postgres')).toBe('accepted');
    expect(refusedBy('select {{readings}}', 'postgres')).toBe('raw_sql_refused');
  });
});
