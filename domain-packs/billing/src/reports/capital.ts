/**
 * 金额大写: an amount of fen in Chinese capital numerals, as receipts print it (人民币壹佰贰拾叁元肆角伍分,
 * 壹万元整, 壹仟零伍元零陆分, 伍角). Two forms that must agree: `capitalAmount` (TypeScript, for code and
 * tests) and `capitalAmountSql` (a PostgreSQL expression, for the receipt dataset, which is plain SQL run
 * by the report engine). Both build the integer part digit by digit — a digit with its place (拾佰仟), a
 * section's unit (万, 亿, 万亿, 亿亿) after a section with any non-zero digit, 元 after the units — then fold
 * runs of 零 into one and drop a 零 before a section unit or 元; then 角 and 分 (零 between 元 and 分
 * when there are no 角), or 整 when there are neither.
 */

const CAPITAL_DIGITS = '零壹贰叁肆伍陆柒捌玖';
const PLACES = ['', '拾', '佰', '仟'];
const SECTIONS = ['', '万', '亿', '万亿', '亿亿'];

/** The fen amount in capitals; `负` before a negative amount, `零元整` for zero. */
export function capitalAmount(fen: bigint): string {
  if (fen === 0n) return '零元整';
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  const digits = (abs / 100n).toString();
  const n = digits.length;
  let whole = '';
  if (abs >= 100n) {
    for (let p = n - 1; p >= 0; p--) {
      const d = Number(digits[n - 1 - p]);
      whole += d === 0 ? '零' : CAPITAL_DIGITS[d]! + PLACES[p % 4]!;
      if (p % 4 === 0) {
        if (p === 0) whole += '元';
        else if (/[1-9]/.test(digits.slice(Math.max(n - p - 4, 0), n - p))) whole += SECTIONS[p / 4]!;
      }
    }
    whole = whole.replace(/零+/g, '零').replace(/零(万亿|亿亿|万|亿|元)/g, '$1');
  }
  const jiao = Number((abs / 10n) % 10n);
  const fenDigit = Number(abs % 10n);
  let tail: string;
  if (jiao === 0 && fenDigit === 0) tail = '整';
  else {
    tail = jiao > 0 ? `${CAPITAL_DIGITS[jiao]}角` : abs >= 100n ? '零' : '';
    if (fenDigit > 0) tail += `${CAPITAL_DIGITS[fenDigit]}分`;
  }
  return `${negative ? '负' : ''}${whole}${tail}`;
}

const sqlArray = (items: string[]) => `array[${items.map((s) => `'${s}'`).join(', ')}]`;
const TRANSLATE = `'123456789', '${CAPITAL_DIGITS.slice(1)}'`;

/**
 * The PostgreSQL expression of `capitalAmount` over a bigint expression of fen (a column, used several
 * times: give a plain column reference). Null for null.
 */
export function capitalAmountSql(fen: string): string {
  const abs = `abs(${fen})`;
  const whole = `(${abs} / 100)::text`;
  const digit = `substr(t.i, t.n - t.p, 1)`;
  const section = `substr(t.i, greatest(t.n - t.p - 3, 1), t.n - t.p - greatest(t.n - t.p - 3, 1) + 1)`;
  const integerPart = `coalesce((select regexp_replace(regexp_replace(string_agg(
        case when ${digit} = '0' then '零' else translate(${digit}, ${TRANSLATE}) || (${sqlArray(PLACES)})[t.p % 4 + 1] end
        || case when t.p % 4 <> 0 then '' when t.p = 0 then '元' when ${section} ~ '[1-9]' then (${sqlArray(SECTIONS)})[t.p / 4 + 1] else '' end,
        '' order by t.p desc), '零+', '零', 'g'), '零(万亿|亿亿|万|亿|元)', '\\1', 'g')
      from (select ${whole} as i, length(${whole}) as n, g.p from generate_series(0, length(${whole}) - 1) as g(p) where ${abs} >= 100) t), '')`;
  const jiao = `((${abs} / 10) % 10)`;
  const fenDigit = `(${abs} % 10)`;
  const tail = `case when ${abs} % 100 = 0 then '整'
      else (case when ${jiao} > 0 then translate(${jiao}::text, ${TRANSLATE}) || '角' when ${abs} >= 100 then '零' else '' end)
        || (case when ${fenDigit} > 0 then translate(${fenDigit}::text, ${TRANSLATE}) || '分' else '' end) end`;
  return `(case when ${fen} is null then null when ${fen} = 0 then '零元整'
    else (case when ${fen} < 0 then '负' else '' end) || ${integerPart} || ${tail} end)`;
}
