import { z } from 'zod';
import { type Decimal, decimalFromNumber, parseDecimalString } from './decimal.js';
import type { DatetimeSubtype, TimeSerializingFormat } from './datetime.js';
import { feelSyntaxError, isFeelExpression } from './feel.js';

/**
 * Reads a form-js schema (as @bpmn-io/form-js 1.x writes it) into the tree the validator walks, and
 * refuses a schema the server could not enforce faithfully. Properties that only shape the rendering
 * (layout, appearance, labels of dates, …) are let through untouched.
 */

export const SUPPORTED_SCHEMA_VERSIONS = { min: 16, max: 19 } as const;

export interface FormSchemaIssue {
  /** Where in the schema: `components.2.validate.pattern`. */
  path: string;
  reason: string;
}

/** The schema itself is not a form this server can validate against. */
export class FormSchemaError extends Error {
  readonly code = 'invalid_form_schema';
  constructor(readonly issues: FormSchemaIssue[]) {
    super(
      `Invalid form schema: ${issues
        .slice(0, 5)
        .map((i) => `${i.path || '(root)'}: ${i.reason}`)
        .join('; ')}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`,
    );
    this.name = 'FormSchemaError';
  }
}

export const INPUT_TYPES = [
  'textfield',
  'textarea',
  'number',
  'checkbox',
  'checklist',
  'radio',
  'select',
  'taglist',
  'datetime',
  'expression',
] as const;
export type InputType = (typeof INPUT_TYPES)[number];

/** Components that show something but bind no value. */
const PRESENTATION_TYPES = new Set([
  'text',
  'html',
  'image',
  'spacer',
  'separator',
  'button',
  'iframe',
  'table',
  'documentPreview',
]);

/** Components form-js knows that this server refuses, with the reason a consultant gets. */
const REFUSED_TYPES: Record<string, string> = {
  filepicker: 'file uploads in task forms are not supported by Shuiyun yet',
};

const OPTION_TYPES = new Set<InputType>(['checklist', 'radio', 'select', 'taglist']);

export type Bound = { kind: 'static'; value: Decimal; text: string } | { kind: 'feel'; expression: string };
export type LengthBound = { kind: 'static'; value: number } | { kind: 'feel'; expression: string };

export interface Rules {
  required: boolean;
  min?: Bound;
  max?: Bound;
  minLength?: LengthBound;
  maxLength?: LengthBound;
  pattern?: { source: string; regex: RegExp };
  validationType?: 'email' | 'phone';
}

export type OptionsSource =
  | { kind: 'static'; values: unknown[] }
  | { kind: 'key'; key: string }
  | { kind: 'expression'; expression: string };

interface NodeCommon {
  /** Where the component sits in the schema, for error reports. */
  schemaPath: string;
  id?: string;
  /** A plain label (not an expression or template), used to name the field in messages. */
  label?: string;
  /** `conditional.hide`, `=`-prefixed. */
  hide?: string;
}

export interface InputNode extends NodeCommon {
  kind: 'input';
  type: InputType;
  /** Segments of `key`, relative to the enclosing group path or list item. */
  key: string[];
  readonly: boolean | string;
  disabled: boolean | string;
  rules: Rules;
  decimalDigits?: number;
  increment?: { value: Decimal; text: string };
  serializeToString: boolean;
  subtype: DatetimeSubtype;
  timeSerializingFormat?: TimeSerializingFormat;
  disallowPassedDates: boolean;
  options?: OptionsSource;
  expression?: string;
}

export interface GroupNode extends NodeCommon {
  kind: 'group';
  /** Segments of `path`; empty when the group only arranges fields. */
  path: string[];
  children: FormNode[];
}

export interface ListNode extends NodeCommon {
  kind: 'list';
  path: string[];
  children: FormNode[];
  minItems?: number;
  maxItems?: number;
}

export type FormNode = InputNode | GroupNode | ListNode;

/** Which data paths the form binds, for telling form fields from anything else submitted. */
export type Shape = ObjectShape | LeafShape | ListShape;
export interface ObjectShape {
  kind: 'object';
  children: Map<string, Shape>;
}
export interface LeafShape {
  kind: 'leaf';
  node: InputNode;
}
export interface ListShape {
  kind: 'list';
  node: ListNode;
  item: ObjectShape;
}

export interface ParsedForm {
  id?: string;
  schemaVersion: number;
  nodes: FormNode[];
  shape: ObjectShape;
}

// --- shapes of the JSON, checked with zod -------------------------------------------------------

const KEY = /^\w+(\.\w+)*$/;
const PATH = /^(\w+(\.\w+)*)?$/;
/** Segments that would reach into JavaScript object machinery when values are written. */
const RESERVED_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const noReservedSegment = (path: string) => !path.split('.').some((segment) => RESERVED_SEGMENTS.has(segment));
const RESERVED_REASON = 'must not use __proto__, constructor or prototype as a name';

const formSchema = z.looseObject({
  type: z.literal('default'),
  id: z.string().optional(),
  schemaVersion: z.number().int(),
  components: z.array(z.unknown()),
});

const componentBase = z.looseObject({
  type: z.string(),
  id: z.string().optional(),
  label: z.string().optional(),
  conditional: z.looseObject({ hide: z.string().optional() }).optional(),
});

const numberOrText = z.union([z.number(), z.string()]);
const nonNegativeIntOrText = z.union([z.number().int().nonnegative(), z.string()]);

const inputSchema = componentBase.extend({
  key: z
    .string()
    .regex(KEY, 'must be a variable name or a dot-separated path of them')
    .refine(noReservedSegment, RESERVED_REASON),
  readonly: z.union([z.boolean(), z.string()]).optional(),
  disabled: z.union([z.boolean(), z.string()]).optional(),
  validate: z
    .looseObject({
      required: z.boolean().optional(),
      min: numberOrText.optional(),
      max: numberOrText.optional(),
      minLength: nonNegativeIntOrText.optional(),
      maxLength: nonNegativeIntOrText.optional(),
      pattern: z.string().optional(),
      validationType: z.enum(['email', 'phone', 'custom', '']).nullable().optional(),
    })
    .optional(),
  decimalDigits: z.number().int().nonnegative().optional(),
  increment: numberOrText.optional(),
  serializeToString: z.boolean().optional(),
  subtype: z.enum(['date', 'time', 'datetime']).optional(),
  dateLabel: z.string().optional(),
  timeLabel: z.string().optional(),
  timeSerializingFormat: z.enum(['utc_offset', 'utc_normalized', 'no_timezone']).optional(),
  disallowPassedDates: z.boolean().optional(),
  values: z
    .array(
      z.union([
        z.string(),
        z.number(),
        z.boolean(),
        z.looseObject({ label: z.union([z.string(), z.number(), z.boolean()]).optional(), value: z.unknown() }),
      ]),
    )
    .optional(),
  valuesKey: z.string().optional(),
  valuesExpression: z.string().optional(),
  expression: z.string().optional(),
});

const containerSchema = componentBase.extend({
  path: z
    .string()
    .regex(PATH, 'must be empty, a variable name or a dot-separated path of them')
    .refine(noReservedSegment, RESERVED_REASON)
    .optional(),
  components: z.array(z.unknown()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

// --- reading the schema --------------------------------------------------------------------------

class Reader {
  readonly issues: FormSchemaIssue[] = [];
  private readonly ids = new Map<string, string>();

  report(path: string, reason: string): void {
    this.issues.push({ path, reason });
  }

  parse<T>(schema: z.ZodType<T>, value: unknown, at: string): T | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      this.report(join(at, ...issue.path.map(String)), issue.message);
    }
    return undefined;
  }

  components(list: unknown[], at: string, scope: ObjectShape): FormNode[] {
    const nodes: FormNode[] = [];
    list.forEach((raw, index) => {
      const node = this.component(raw, join(at, String(index)), scope);
      if (node) nodes.push(node);
    });
    return nodes;
  }

  private component(raw: unknown, at: string, scope: ObjectShape): FormNode | undefined {
    const base = this.parse(componentBase, raw, at);
    if (!base) return undefined;
    if (base.id !== undefined) {
      const first = this.ids.get(base.id);
      if (first) this.report(join(at, 'id'), `id '${base.id}' is already used by ${first}`);
      else this.ids.set(base.id, at);
    }
    const hide = this.hide(base.conditional?.hide, join(at, 'conditional', 'hide'));
    const common: NodeCommon = {
      schemaPath: at,
      ...(base.id !== undefined && { id: base.id }),
      ...(plainLabel(base.label) !== undefined && { label: plainLabel(base.label) }),
      ...(hide !== undefined && { hide }),
    };

    if ((INPUT_TYPES as readonly string[]).includes(base.type)) return this.input(raw, at, common, scope);
    if (base.type === 'group' || base.type === 'dynamiclist') return this.container(raw, at, common, scope);
    if (PRESENTATION_TYPES.has(base.type)) return undefined;
    const refused = REFUSED_TYPES[base.type];
    this.report(join(at, 'type'), refused ?? `unsupported component type '${base.type}'`);
    return undefined;
  }

  private hide(hide: string | undefined, at: string): string | undefined {
    if (hide === undefined || hide === '') return undefined;
    return this.feel(hide, at, 'unaryTests');
  }

  /** An `=`-prefixed FEEL string that parses, or undefined after reporting why not. */
  private feel(value: string, at: string, kind: 'expression' | 'unaryTests'): string | undefined {
    if (!isFeelExpression(value)) {
      this.report(at, 'must be a FEEL expression starting with "="');
      return undefined;
    }
    const error = feelSyntaxError(value, kind);
    if (error) {
      this.report(at, error);
      return undefined;
    }
    return value;
  }

  private flag(value: boolean | string | undefined, at: string): boolean | string {
    if (value === undefined || value === '') return false;
    if (typeof value === 'boolean') return value;
    return this.feel(value, at, 'expression') ?? false;
  }

  private input(raw: unknown, at: string, common: NodeCommon, scope: ObjectShape): InputNode | undefined {
    const field = this.parse(inputSchema, raw, at);
    if (!field) return undefined;
    const type = field.type as InputType;
    const node: InputNode = {
      ...common,
      kind: 'input',
      type,
      key: field.key.split('.'),
      readonly: this.flag(field.readonly, join(at, 'readonly')),
      disabled: this.flag(field.disabled, join(at, 'disabled')),
      rules: this.rules(field.validate, join(at, 'validate')),
      serializeToString: field.serializeToString ?? false,
      subtype: field.subtype ?? 'date',
      disallowPassedDates: field.disallowPassedDates ?? false,
      ...(field.timeSerializingFormat !== undefined && { timeSerializingFormat: field.timeSerializingFormat }),
    };

    if (type === 'datetime' && node.label === undefined) {
      // A datetime has no label of its own; form-js shows the date (or time) label instead.
      const label = plainLabel(node.subtype === 'time' ? field.timeLabel : (field.dateLabel ?? field.timeLabel));
      if (label !== undefined) node.label = label;
    }

    if (type === 'number') {
      if (field.decimalDigits !== undefined) node.decimalDigits = field.decimalDigits;
      if (field.increment !== undefined && field.increment !== '') {
        const step = staticDecimal(field.increment);
        if (!step || step.units <= 0n) this.report(join(at, 'increment'), 'must be a positive number');
        else node.increment = { value: step, text: String(field.increment) };
      }
    }

    if (OPTION_TYPES.has(type)) {
      const source = this.options(field, at);
      if (source) node.options = source;
    }

    if (type === 'expression') {
      if (field.expression === undefined) this.report(join(at, 'expression'), 'an expression field needs an expression');
      else {
        const expression = this.feel(field.expression, join(at, 'expression'), 'expression');
        if (expression) node.expression = expression;
      }
    }

    this.claim(scope, node.key, { kind: 'leaf', node }, join(at, 'key'));
    return node;
  }

  private options(field: z.infer<typeof inputSchema>, at: string): OptionsSource | undefined {
    // form-js takes the first source that is set, in this order.
    if (field.values !== undefined) {
      const values: unknown[] = [];
      field.values.forEach((option, index) => {
        const value = typeof option === 'object' ? option.value : option;
        if (value === undefined || value === null || value === '') {
          this.report(join(at, 'values', String(index)), 'an option needs a value');
        } else values.push(value);
      });
      return { kind: 'static', values };
    }
    if (field.valuesKey !== undefined && field.valuesKey !== '') {
      return { kind: 'key', key: field.valuesKey };
    }
    if (field.valuesExpression !== undefined && field.valuesExpression !== '') {
      const expression = this.feel(field.valuesExpression, join(at, 'valuesExpression'), 'expression');
      return expression ? { kind: 'expression', expression } : undefined;
    }
    this.report(at, `a ${field.type} needs options: values, valuesKey or valuesExpression`);
    return undefined;
  }

  private rules(validate: z.infer<typeof inputSchema>['validate'], at: string): Rules {
    const rules: Rules = { required: validate?.required ?? false };
    if (!validate) return rules;
    const bound = (name: 'min' | 'max'): Bound | undefined => {
      const value = validate[name];
      if (value === undefined || value === '') return undefined;
      if (isFeelExpression(value)) {
        const expression = this.feel(value, join(at, name), 'expression');
        return expression ? { kind: 'feel', expression } : undefined;
      }
      const decimal = staticDecimal(value);
      if (!decimal) this.report(join(at, name), 'must be a number or a FEEL expression');
      return decimal ? { kind: 'static', value: decimal, text: String(value) } : undefined;
    };
    const length = (name: 'minLength' | 'maxLength'): LengthBound | undefined => {
      const value = validate[name];
      if (value === undefined || value === '') return undefined;
      if (typeof value === 'number') return { kind: 'static', value };
      if (isFeelExpression(value)) {
        const expression = this.feel(value, join(at, name), 'expression');
        return expression ? { kind: 'feel', expression } : undefined;
      }
      if (/^\d+$/.test(value)) return { kind: 'static', value: Number(value) };
      this.report(join(at, name), 'must be a whole number or a FEEL expression');
      return undefined;
    };
    const min = bound('min');
    const max = bound('max');
    const minLength = length('minLength');
    const maxLength = length('maxLength');
    if (min) rules.min = min;
    if (max) rules.max = max;
    if (minLength) rules.minLength = minLength;
    if (maxLength) rules.maxLength = maxLength;
    if (validate.pattern !== undefined && validate.pattern !== '') {
      try {
        rules.pattern = { source: validate.pattern, regex: new RegExp(validate.pattern) };
      } catch (cause) {
        this.report(join(at, 'pattern'), `not a valid regular expression: ${(cause as Error).message}`);
      }
    }
    if (validate.validationType === 'email' || validate.validationType === 'phone') {
      rules.validationType = validate.validationType;
    }
    return rules;
  }

  private container(raw: unknown, at: string, common: NodeCommon, scope: ObjectShape): FormNode | undefined {
    const container = this.parse(containerSchema, raw, at);
    if (!container) return undefined;
    const path = container.path ? container.path.split('.') : [];
    const list = container.components ?? [];

    if (container.type === 'group') {
      const inner = path.length ? this.claim(scope, path, { kind: 'object' }, join(at, 'path')) : scope;
      if (!inner) return undefined;
      return { ...common, kind: 'group', path, children: this.components(list, join(at, 'components'), inner) };
    }

    if (!path.length) {
      this.report(join(at, 'path'), 'a dynamic list needs a path: its items are stored as a list under it');
      return undefined;
    }
    const node: ListNode = { ...common, kind: 'list', path, children: [] };
    const items = (name: 'minItems' | 'maxItems'): number | undefined => {
      const value = container.properties?.[name];
      if (value === undefined || value === '') return undefined;
      const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(number) || number < 0) {
        this.report(join(at, 'properties', name), 'must be a whole number');
        return undefined;
      }
      return number;
    };
    const minItems = items('minItems');
    const maxItems = items('maxItems');
    if (minItems !== undefined) node.minItems = minItems;
    if (maxItems !== undefined) node.maxItems = maxItems;
    if (minItems !== undefined && maxItems !== undefined && minItems > maxItems) {
      this.report(join(at, 'properties'), 'minItems is greater than maxItems');
    }
    const item = this.claim(scope, path, { kind: 'list', node }, join(at, 'path'));
    if (!item) return undefined;
    node.children = this.components(list, join(at, 'components'), item);
    return node;
  }

  /**
   * Binds a data path the way form-js's path registry does: a value path is closed (nothing may
   * be bound below or at it again), a group path stays open for other groups and fields, and a
   * list path starts a new scope for its items. Returns the object scope below a group or list.
   */
  private claim(
    scope: ObjectShape,
    segments: string[],
    claim: { kind: 'object' } | { kind: 'leaf'; node: InputNode } | { kind: 'list'; node: ListNode },
    at: string,
  ): ObjectShape | undefined {
    let current = scope;
    for (const [index, segment] of segments.entries()) {
      const last = index === segments.length - 1;
      const existing = current.children.get(segment);
      const bound = segments.slice(0, index + 1).join('.');
      if (existing && existing.kind !== 'object') {
        this.report(at, `'${bound}' is already bound to ${describe(existing)}`);
        return undefined;
      }
      if (last) {
        if (claim.kind === 'object') {
          if (existing) return existing;
          const object: ObjectShape = { kind: 'object', children: new Map() };
          current.children.set(segment, object);
          return object;
        }
        if (existing) {
          this.report(at, `'${bound}' is already used as a group path and cannot also hold a value`);
          return undefined;
        }
        if (claim.kind === 'leaf') {
          current.children.set(segment, { kind: 'leaf', node: claim.node });
          return undefined;
        }
        const item: ObjectShape = { kind: 'object', children: new Map() };
        current.children.set(segment, { kind: 'list', node: claim.node, item });
        return item;
      }
      if (!existing) {
        const object: ObjectShape = { kind: 'object', children: new Map() };
        current.children.set(segment, object);
        current = object;
      } else current = existing;
    }
    return current;
  }
}

function describe(shape: LeafShape | ListShape): string {
  return shape.kind === 'leaf'
    ? `the ${shape.node.type} field at ${shape.node.schemaPath}`
    : `the dynamic list at ${shape.node.schemaPath}`;
}

/** A label that is plain text; expressions and templates are not evaluated for messages. */
function plainLabel(label: string | undefined): string | undefined {
  return label === undefined || label === '' || label.startsWith('=') || label.includes('{{') ? undefined : label;
}

function staticDecimal(value: number | string): Decimal | undefined {
  return typeof value === 'number' ? decimalFromNumber(value) : parseDecimalString(value.trim());
}

function join(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('.');
}

/** Reads and checks a form-js schema; throws FormSchemaError listing every problem found. */
export function parseFormSchema(schema: unknown): ParsedForm {
  const reader = new Reader();
  const form = reader.parse(formSchema, schema, '');
  if (!form) throw new FormSchemaError(reader.issues);
  const { min, max } = SUPPORTED_SCHEMA_VERSIONS;
  if (form.schemaVersion < min || form.schemaVersion > max) {
    reader.report(
      'schemaVersion',
      `schemaVersion ${form.schemaVersion} is not supported (${min}–${max}); open and save the form in the Shuiyun form designer to upgrade it`,
    );
  }
  const shape: ObjectShape = { kind: 'object', children: new Map() };
  const nodes = reader.components(form.components, 'components', shape);
  if (reader.issues.length) throw new FormSchemaError(reader.issues);
  return { ...(form.id !== undefined && { id: form.id }), schemaVersion: form.schemaVersion, nodes, shape };
}
