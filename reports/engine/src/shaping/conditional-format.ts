import { z } from 'zod';
import { zodFailure } from '../dataset/dataset.js';
import { FIELD_ID } from '../dataset/identifiers.js';
import { compareDecimals, isDecimalText } from '../decimal.js';
import { ReportError } from '../errors.js';
import type { Cell, ResultColumn, ResultRow } from '../engine/result.js';

const color = z.string().regex(/^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-z]{3,20})$/, 'a colour such as #cf1322 or red');
const cellStyleSchema = z
  .object({
    color: color.optional(),
    backgroundColor: color.optional(),
    fontWeight: z.enum(['normal', 'bold']).optional(),
    icon: z.enum(['up', 'down', 'warning', 'ok']).optional(),
  })
  .strict();
export type CellStyle = z.output<typeof cellStyleSchema>;

const ruleSchema = z
  .object({
    field: z.string().regex(FIELD_ID),
    op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'isNull', 'notNull', 'contains']),
    value: z.union([z.string().max(200), z.number()]).optional(),
    values: z.array(z.union([z.string().max(200), z.number()])).max(100).optional(),
    style: cellStyleSchema,
    /** Style the matching cell, or every cell of its row. */
    target: z.enum(['cell', 'row']).default('cell'),
  })
  .strict();
export const formatRulesSchema = z.array(ruleSchema).max(50);
export type FormatRule = z.input<typeof ruleSchema>;

/**
 * Conditional formatting (条件格式): each rule tests one column of each row — numbers exactly, as
 * decimals, text as text — and styles the cell or the whole row. Later rules win where they overlap.
 * The result is one object per row, holding only the styled columns.
 */
export function cellStyles(rules: readonly FormatRule[], columns: readonly ResultColumn[], rows: readonly ResultRow[]): Record<string, CellStyle>[] {
  const parsed = formatRulesSchema.safeParse(rules);
  if (!parsed.success) throw zodFailure(parsed.error, 'invalid_query', ['formatting']);
  const byId = new Map(columns.map((c) => [c.id, c]));
  const checked = parsed.data.map((rule, i) => {
    const column = byId.get(rule.field);
    if (!column) throw new ReportError('unknown_field', `${rule.field} is not a column of the result`, ['formatting', i, 'field']);
    const numeric = column.type === 'decimal' || column.type === 'integer';
    const values = (rule.values ?? (rule.value === undefined ? [] : [rule.value])).map(String);
    const needed = rule.op === 'isNull' || rule.op === 'notNull' ? 0 : rule.op === 'between' ? 2 : rule.op === 'in' ? -1 : 1;
    if ((needed >= 0 && values.length !== needed) || (needed < 0 && values.length === 0)) {
      throw new ReportError('invalid_query', `${rule.op} needs ${needed < 0 ? 'values' : needed === 2 ? 'two values' : needed === 1 ? 'a value' : 'no value'}`, ['formatting', i]);
    }
    if (numeric && rule.op !== 'contains') {
      values.forEach((v, j) => {
        if (!isDecimalText(v)) throw new ReportError('invalid_parameter', `${JSON.stringify(v)} is not a number`, ['formatting', i, 'values', j]);
      });
    }
    return { ...rule, numeric, values };
  });

  const test = (cell: Cell, rule: (typeof checked)[number]): boolean => {
    if (rule.op === 'isNull') return cell === null;
    if (rule.op === 'notNull') return cell !== null;
    if (cell === null) return false;
    if (rule.op === 'contains') return cell.includes(rule.values[0]!);
    const order = (other: string) => (rule.numeric ? compareDecimals(cell, other) : cell < other ? -1 : cell > other ? 1 : 0);
    switch (rule.op) {
      case 'eq':
        return order(rule.values[0]!) === 0;
      case 'ne':
        return order(rule.values[0]!) !== 0;
      case 'gt':
        return order(rule.values[0]!) > 0;
      case 'gte':
        return order(rule.values[0]!) >= 0;
      case 'lt':
        return order(rule.values[0]!) < 0;
      case 'lte':
        return order(rule.values[0]!) <= 0;
      case 'between':
        return order(rule.values[0]!) >= 0 && order(rule.values[1]!) <= 0;
      case 'in':
        return rule.values.some((v) => order(v) === 0);
    }
  };

  return rows.map((row) => {
    const styles: Record<string, CellStyle> = {};
    for (const rule of checked) {
      if (!test(row[rule.field] ?? null, rule)) continue;
      const targets = rule.target === 'row' ? columns.map((c) => c.id) : [rule.field];
      for (const id of targets) styles[id] = { ...styles[id], ...rule.style };
    }
    return styles;
  });
}
