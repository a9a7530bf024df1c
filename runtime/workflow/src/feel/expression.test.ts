import { describe, expect, it } from 'vitest';
import { evaluateFeel, feelSyntaxError, referencedVariableName, toExpr, toPlainJson } from './expression.js';

describe('FEEL', () => {
  it('tells static attribute values from expressions', () => {
    expect(toExpr('check-meter')).toEqual({ kind: 'static', text: 'check-meter' });
    expect(toExpr(' = amount > 10 ')).toEqual({ kind: 'feel', source: 'amount > 10' });
  });

  it('finds syntax errors with feelin’s parser', () => {
    expect(feelSyntaxError('amount > 10 and `meter id` != null')).toBeUndefined();
    expect(feelSyntaxError('date and time(reportedAt) + duration("P3D")')).toBeUndefined();
    expect(feelSyntaxError('用水量 > 10')).toBeUndefined();
    expect(feelSyntaxError('amount >')).toMatch(/FEEL syntax error at position 8/);
    expect(feelSyntaxError('if a then')).toMatch(/syntax error/);
    expect(feelSyntaxError('{')).toMatch(/syntax error/);
    expect(feelSyntaxError('  ')).toBe('empty FEEL expression');
  });

  it('evaluates with missing variables as null and returns plain JSON', () => {
    expect(evaluateFeel('reading.value * 2', { reading: { value: 21 } })).toBe(42);
    expect(evaluateFeel('missing > 1', {})).toBeNull();
    expect(evaluateFeel('date and time("2025-01-01T00:00:00Z") + duration("PT1H")', {})).toBe('2025-01-01T01:00:00Z');
    expect(evaluateFeel('{ total: sum(items), first: items[1] }', { items: [1, 2, 3] })).toEqual({ total: 6, first: 1 });
    expect(toPlainJson({ when: new Date('2025-01-01T00:00:00Z'), big: 5n, nan: Number.NaN, fn: () => 1 })).toEqual({
      when: '2025-01-01T00:00:00.000Z',
      big: 5,
      nan: null,
      fn: null,
    });
  });

  it('recognises a plain variable reference (for local multi-instance output elements)', () => {
    expect(referencedVariableName(toExpr('=reading'))).toBe('reading');
    expect(referencedVariableName(toExpr('=reading.value'))).toBeUndefined();
    expect(referencedVariableName(toExpr('reading'))).toBeUndefined();
  });
});
