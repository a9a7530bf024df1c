import { describe, expect, it } from 'vitest';
import { formatLitres, formatLitresCount, litresToCubicMetres, parseVolume, ratioToPercent } from './litres.js';

describe('parseVolume', () => {
  it('reads m³ with up to three decimals as exact litres', () => {
    expect(parseVolume('12.345')).toEqual({ ok: true, litres: '12345' });
    expect(parseVolume('12.3')).toEqual({ ok: true, litres: '12300' });
    expect(parseVolume('12')).toEqual({ ok: true, litres: '12000' });
    expect(parseVolume('.5')).toEqual({ ok: true, litres: '500' });
    expect(parseVolume('0')).toEqual({ ok: true, litres: '0' });
    expect(parseVolume('0.001')).toEqual({ ok: true, litres: '1' });
    expect(parseVolume('007.010')).toEqual({ ok: true, litres: '7010' });
    expect(parseVolume(' 12.345 ')).toEqual({ ok: true, litres: '12345' });
  });

  it('refuses precision below a litre, but not trailing zeros', () => {
    expect(parseVolume('0.0005')).toEqual({ ok: false, problem: 'precision' });
    expect(parseVolume('1.2345')).toEqual({ ok: false, problem: 'precision' });
    expect(parseVolume('1.2340')).toEqual({ ok: true, litres: '1234' });
  });

  it('accepts thousands separators only where they group by three', () => {
    expect(parseVolume('1,234.5')).toEqual({ ok: true, litres: '1234500' });
    expect(parseVolume('12,345,678')).toEqual({ ok: true, litres: '12345678000' });
    expect(parseVolume('1 234.5')).toEqual({ ok: true, litres: '1234500' });
    expect(parseVolume('1,5')).toEqual({ ok: false, problem: 'format' });
    expect(parseVolume('1234,567')).toEqual({ ok: false, problem: 'format' });
    expect(parseVolume(',123')).toEqual({ ok: false, problem: 'format' });
  });

  it('refuses negative, empty and malformed input', () => {
    expect(parseVolume('-1')).toEqual({ ok: false, problem: 'negative' });
    expect(parseVolume('-0.5')).toEqual({ ok: false, problem: 'negative' });
    expect(parseVolume('−3')).toEqual({ ok: false, problem: 'negative' });
    expect(parseVolume('')).toEqual({ ok: false, problem: 'empty' });
    expect(parseVolume('   ')).toEqual({ ok: false, problem: 'empty' });
    expect(parseVolume(undefined)).toEqual({ ok: false, problem: 'empty' });
    expect(parseVolume('.')).toEqual({ ok: false, problem: 'format' });
    expect(parseVolume('1e3')).toEqual({ ok: false, problem: 'format' });
    expect(parseVolume('1.2.3')).toEqual({ ok: false, problem: 'format' });
    expect(parseVolume('abc')).toEqual({ ok: false, problem: 'format' });
    expect(parseVolume({})).toEqual({ ok: false, problem: 'format' });
  });

  it('reads whole litres, and a written unit over the given one', () => {
    expect(parseVolume('12345', 'L')).toEqual({ ok: true, litres: '12345' });
    expect(parseVolume('12,345', 'L')).toEqual({ ok: true, litres: '12345' });
    expect(parseVolume('12.0', 'L')).toEqual({ ok: true, litres: '12' });
    expect(parseVolume('12.5', 'L')).toEqual({ ok: false, problem: 'precision' });
    expect(parseVolume('12.5 L')).toEqual({ ok: false, problem: 'precision' });
    expect(parseVolume('500升')).toEqual({ ok: true, litres: '500' });
    expect(parseVolume('1.5 m³', 'L')).toEqual({ ok: true, litres: '1500' });
    expect(parseVolume('2方', 'L')).toEqual({ ok: true, litres: '2000' });
    expect(parseVolume('m3')).toEqual({ ok: false, problem: 'empty' });
  });

  it('reads full-width input', () => {
    expect(parseVolume('１２．３４５')).toEqual({ ok: true, litres: '12345' });
  });

  it('keeps huge values exact', () => {
    expect(parseVolume('123456789012345678901234567890.123')).toEqual({ ok: true, litres: '123456789012345678901234567890123' });
    expect(parseVolume('9007199254740993')).toEqual({ ok: true, litres: '9007199254740993000' });
    expect(parseVolume('9007199254740993', 'L')).toEqual({ ok: true, litres: '9007199254740993' });
  });
});

describe('showing litres', () => {
  it('shows integer litres as m³ with three decimals', () => {
    expect(formatLitres('1234567')).toBe('1,234.567 m³');
    expect(formatLitres('5')).toBe('0.005 m³');
    expect(formatLitres('0')).toBe('0.000 m³');
    expect(formatLitres('-1500')).toBe('-1.500 m³');
    expect(formatLitres('-0')).toBe('0.000 m³');
    expect(formatLitres(1000)).toBe('1.000 m³');
    expect(formatLitres(12n)).toBe('0.012 m³');
    expect(formatLitres('123456789012345678901234567')).toBe('123,456,789,012,345,678,901,234.567 m³');
  });

  it('answers null for what is not integer litres', () => {
    expect(formatLitres('1.5')).toBeNull();
    expect(formatLitres('')).toBeNull();
    expect(formatLitres(null)).toBeNull();
    expect(formatLitres(1.5)).toBeNull();
    expect(formatLitres(2 ** 60)).toBeNull();
  });

  it('converts without separators and counts litres', () => {
    expect(litresToCubicMetres('1234567')).toBe('1234.567');
    expect(formatLitresCount('1234567')).toBe('1,234,567');
    expect(formatLitresCount('-0001234')).toBe('-1,234');
  });

  it('shows ratios as percentages by moving the point', () => {
    expect(ratioToPercent('0.125')).toBe('12.5%');
    expect(ratioToPercent('1')).toBe('100%');
    expect(ratioToPercent(0.5)).toBe('50%');
    expect(ratioToPercent('0.33333', 2)).toBe('33.33%');
    expect(ratioToPercent('12.5')).toBe('1,250%');
    expect(ratioToPercent('-0.05')).toBe('-5%');
    expect(ratioToPercent('x')).toBeNull();
  });
});
