/** 金额大写 as receipts print it: hand-checked amounts, and a property over random ones. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capitalAmount, capitalAmountSql } from './capital.js';

describe('capitalAmount', () => {
  it('writes hand-checked amounts', () => {
    const cases: [bigint, string][] = [
      [0n, '零元整'],
      [1n, '壹分'],
      [10n, '壹角'],
      [55n, '伍角伍分'],
      [100n, '壹元整'],
      [105n, '壹元零伍分'],
      [150n, '壹元伍角'],
      [1000n, '壹拾元整'],
      [12345n, '壹佰贰拾叁元肆角伍分'],
      [100500n, '壹仟零伍元整'],
      [100506n, '壹仟零伍元零陆分'],
      [1000000n, '壹万元整'],
      [1001000n, '壹万零壹拾元整'],
      [10000000n, '壹拾万元整'],
      [10010000n, '壹拾万零壹佰元整'],
      [123456789n, '壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分'],
      [10000000000n, '壹亿元整'],
      [10000010000n, '壹亿零壹佰元整'],
      [10100000000n, '壹亿零壹佰万元整'],
      [100000000000000n, '壹万亿元整'],
      [100000001000000n, '壹万亿零壹万元整'],
      [-1234n, '负壹拾贰元叁角肆分'],
    ];
    for (const [fen, text] of cases) expect(capitalAmount(fen), String(fen)).toBe(text);
  });

  it('never writes two 零 in a row, nor 零 before a unit or at the end', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 17n }), (fen) => {
        const text = capitalAmount(fen);
        return !/零零|零(万|亿|元|角|整)|零$/.test(text) && /(整|角|分)$/.test(text) && (fen < 100n || text.includes('元'));
      }),
      { numRuns: 3000 },
    );
  });

  it('has an SQL twin (checked against this function on PostgreSQL in reports.test.ts)', () => {
    const sql = capitalAmountSql('r.amount_fen');
    expect(sql).toContain("'零元整'");
    expect(sql).not.toContain(';');
  });
});
