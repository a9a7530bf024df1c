import { describe, expect, it } from 'vitest';
import { compileScopedQuery } from './scoped-query.js';

describe('compileScopedQuery', () => {
  it('replaces each placeholder with the scoped, de-duplicated subquery and adds the scope as parameters', () => {
    const compiled = compileScopedQuery(
      "SELECT count() FROM {{readings}} AS r JOIN {{ readings }} AS s USING device WHERE r.device = {d:String} -- '{{readings}}' stays\n;",
      { tenantPath: '1.2.3' },
      { d: 'meter-1', from: new Date('2025-01-01T00:00:00.250Z'), big: 2n ** 64n, yes: true },
      'shuiyun',
    );
    const subquery =
      '(SELECT tenant_id, tenant_path, device, metric, at, value, toInt64(toDecimal128(value, 3) * 1000) AS milli, received_at ' +
      'FROM `shuiyun`.`device_readings` FINAL ' +
      'WHERE (tenant_path = {shuiyun_scope_path:String} OR startsWith(tenant_path, {shuiyun_scope_prefix:String})))';
    expect(compiled.sql).toBe(`SELECT count() FROM ${subquery} AS r JOIN ${subquery} AS s USING device WHERE r.device = {d:String}`);
    expect(compiled.params).toEqual({
      d: 'meter-1',
      from: '1735689600.250',
      big: 2n ** 64n,
      yes: 1,
      shuiyun_scope_path: '1.2.3',
      shuiyun_scope_prefix: '1.2.3.',
    });
  });

  it('leaves placeholders inside string literals and comments alone', () => {
    const { sql } = compileScopedQuery("SELECT '{{readings}}' AS s /* {{readings}} */", { tenantPath: '1' }, {}, 'shuiyun');
    expect(sql).toBe("SELECT '{{readings}}' AS s");
  });

  it('names the rule a refused query broke', () => {
    expect(() => compileScopedQuery('SELECT * FROM readings_copy', { tenantPath: '1' }, {}, 'shuiyun')).toThrow(/name logical tables as \{\{readings\}\}/);
    expect(() => compileScopedQuery('SELECT * FROM {{readings}} r, {{readings}} s', { tenantPath: '1' }, {}, 'shuiyun')).toThrow(/use JOIN/);
    expect(() => compileScopedQuery("SELECT 'unterminated", { tenantPath: '1' }, {}, 'shuiyun')).toThrow(/unterminated string literal/);
    expect(() => compileScopedQuery('SELECT (1', { tenantPath: '1' }, {}, 'shuiyun')).toThrow(/unbalanced/);
    expect(() => compileScopedQuery('', { tenantPath: '1' }, {}, 'shuiyun')).toThrow(/empty/);
  });
});
