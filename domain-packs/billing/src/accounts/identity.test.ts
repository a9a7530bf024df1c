/** Identity numbers and phones (no runtime): GB 11643 resident ids, GB 32100 credit codes, phone forms, grams. */
import { describe, expect, it } from 'vitest';
import { creditCodeProblem, normalizeIdNumber, normalizePhone, phoneDigits, residentIdCheck, residentIdProblem } from './identity.js';
import { gramsOf, prefixEnd, searchFieldsOf, tokenGrams } from './model.js';
import { m3ToLitres } from './quote.js';

describe('resident identity numbers (GB 11643-1999)', () => {
  it('computes the check character', () => {
    // The standard's worked example, and one ending in a digit: Σ(digit × weight) mod 11 → '10X98765432'.
    expect(residentIdCheck('11010519491231002')).toBe('X');
    expect(residentIdCheck('11010119900307001')).toBe('1');
  });

  it('accepts valid numbers and says why others are refused', () => {
    expect(residentIdProblem('11010519491231002X')).toBeNull();
    expect(residentIdProblem('110101199003070011')).toBeNull();
    expect(residentIdProblem('110105194912310021')).toBe('check_digit');
    expect(residentIdProblem('11010519491231002')).toBe('format');
    expect(residentIdProblem('01010519491231002X')).toBe('format');
    expect(residentIdProblem('11010519491231002Y')).toBe('format');
    expect(residentIdProblem('110105194902300028')).toBe('birth_date'); // 1949-02-30
    expect(residentIdProblem('110105180001010028')).toBe('birth_date'); // before 1900
    expect(normalizeIdNumber(' 110105 19491231 002x ')).toBe('11010519491231002X');
  });
});

describe('unified social credit codes (GB 32100-2015)', () => {
  it('checks the 18th character', () => {
    expect(creditCodeProblem('91350100M000100Y43')).toBeNull();
    expect(creditCodeProblem('91110108MA01ABCDEN')).toBeNull();
    expect(creditCodeProblem('91350100M000100Y44')).toBe('check_digit');
    expect(creditCodeProblem('91350100M000100Y4')).toBe('format');
    expect(creditCodeProblem('91350100M000100I43')).toBe('format'); // I is not in the code's alphabet
  });
});

describe('phones', () => {
  it('keeps digits and a leading +', () => {
    expect(normalizePhone('138-0000 0001')).toBe('13800000001');
    expect(normalizePhone('+86 (138) 0000 0001')).toBe('+8613800000001');
    expect(normalizePhone('1234')).toBeNull();
    expect(normalizePhone('call me')).toBeNull();
    expect(phoneDigits('1234')).toBe('1234');
    expect(phoneDigits('12a4')).toBeNull();
  });
});

describe('search helpers', () => {
  it('makes grams of characters and pairs, never across the name and the address', () => {
    expect(gramsOf('张三')).toEqual(['张', '三', '张三']);
    expect(tokenGrams('阳光小区')).toEqual(['阳光', '光小', '小区']);
    expect(tokenGrams('张')).toEqual(['张']);
    const fields = searchFieldsOf('Zhang San', { community: '阳光 小区', building: '3', unit: '', room: '502' });
    expect(fields.text).toBe('zhangsan\u0001阳光小区3502');
    expect(fields.grams).toContain('区3');
    expect(fields.grams.some((g) => g.includes('\u0001'))).toBe(false);
  });

  it('bounds a prefix range', () => {
    expect(prefixEnd('BJ00')).toBe('BJ01');
    expect(prefixEnd('1389')).toBe('138:');
    expect('13899' < prefixEnd('1389') && '1389' <= '13899').toBe(true);
  });

  it('reads m³ as exact litres', () => {
    expect(m3ToLitres('10')).toBe(10_000n);
    expect(m3ToLitres('0.001')).toBe(1n);
    expect(m3ToLitres('12.5')).toBe(12_500n);
    expect(m3ToLitres('1.2345')).toBeNull();
    expect(m3ToLitres('-1')).toBeNull();
    expect(m3ToLitres('1e3')).toBeNull();
  });
});
