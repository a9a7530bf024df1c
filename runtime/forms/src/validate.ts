import { z } from 'zod';
import { calendarDateIn, describeDatetimeFormat, matchesDatetimeFormat } from './datetime.js';
import {
  compareDecimals,
  type Decimal,
  decimalFromNumber,
  formatDecimal,
  fractionDigits,
  isMultipleOf,
  neighbouringMultiples,
  parseDecimalString,
} from './decimal.js';
import { evaluateFeel, feelContext, isHiddenBy } from './feel.js';
import { type DataPath, deepEqual, getPath, isPlainObject, pathText, setPath, show } from './json.js';
import { type ExpectedKind, type FieldName, type FormIssue, type FormIssueCode, messages, type LocalizedText } from './messages.js';
import type { Bound, FormNode, InputNode, LengthBound, ListNode, ObjectShape, ParsedForm } from './schema.js';

export interface ValidationOptions {
  /** The tenant's time zone, for `disallowPassedDates` ("today" is a calendar date somewhere). */
  timeZone: string;
  now: () => Date;
}

export type ValidationResult = { ok: true; values: Record<string, unknown> } | { ok: false; issues: FormIssue[] };

// The HTML living standard's definition of a valid e-mail address, which form-js checks as well.
const isEmail = (value: string) => z.regexes.html5Email.test(value);
// E.164: form-js only accepts international numbers (`+` or `00` and a country code); so does this.
const isPhone = (value: string) => z.regexes.e164.test(value.replace(/^00/, '+'));

/** Value kinds whose empty string is "no value" rather than a (bad) value. */
const TEXT_TYPES = new Set(['textfield', 'textarea']);

interface Scope {
  /** Data path of the object the nodes bind into (the root, a group path, a list item). */
  prefix: DataPath;
  hidden: boolean;
  /** FEEL `this`: the current list item's data, the whole data outside lists. */
  self: unknown;
  parent: unknown;
  indexes: number[];
}

class Submission {
  readonly issues: FormIssue[] = [];
  readonly values: Record<string, unknown> = {};
  private readonly reportedContainers = new Set<string>();
  /** The data conditions and expressions see: the task's variables with the user's edits laid over. */
  private readonly data: Record<string, unknown>;

  constructor(
    private readonly form: ParsedForm,
    private readonly submitted: Record<string, unknown>,
    private readonly context: Record<string, unknown>,
    private readonly options: ValidationOptions,
  ) {
    this.data = overlay(form.shape, context, submitted);
  }

  run(): void {
    this.walk(this.form.nodes, { prefix: [], hidden: false, self: this.data, parent: null, indexes: [] });
    for (const path of unknownPaths(this.form.shape, this.submitted, [])) {
      this.issues.push({ field: pathText(path), code: 'unknown_field', message: messages.unknownField(pathText(path)) });
    }
  }

  private add(path: DataPath, code: FormIssueCode, message: LocalizedText, params?: FormIssue['params']): void {
    this.issues.push({ field: pathText(path), code, message, ...(params && { params }) });
  }

  private walk(nodes: FormNode[], scope: Scope): void {
    const context = feelContext({ data: this.data, self: scope.self, parent: scope.parent, indexes: scope.indexes });
    for (const node of nodes) {
      if (scope.hidden || isHiddenBy(node.hide, context)) continue; // a hidden field is not required, its value is dropped
      switch (node.kind) {
        case 'group':
          if (this.containersAreObjects(scope.prefix, node.path)) {
            this.walk(node.children, { ...scope, prefix: [...scope.prefix, ...node.path] });
          }
          break;
        case 'list':
          this.list(node, scope);
          break;
        case 'input':
          if (this.containersAreObjects(scope.prefix, node.key.slice(0, -1))) this.input(node, scope, context);
          break;
      }
    }
  }

  /**
   * Whether the submitted values along `segments` (below `prefix`) are objects or absent, so fields
   * below them can be read. A scalar where the form expects an object is reported once.
   */
  private containersAreObjects(prefix: DataPath, segments: string[]): boolean {
    for (let length = 1; length <= segments.length; length += 1) {
      const path = [...prefix, ...segments.slice(0, length)];
      const value = getPath(this.submitted, path);
      if (value === undefined || isPlainObject(value)) continue;
      const key = pathText(path);
      if (!this.reportedContainers.has(key)) {
        this.reportedContainers.add(key);
        this.add(path, 'type', messages.type({ label: undefined, path: key }, 'object'));
      }
      return false;
    }
    return true;
  }

  private list(node: ListNode, scope: Scope): void {
    if (!this.containersAreObjects(scope.prefix, node.path.slice(0, -1))) return;
    const path = [...scope.prefix, ...node.path];
    const name: FieldName = { label: node.label, path: pathText(path) };
    const items = getPath(this.submitted, path);
    if (items !== undefined && !Array.isArray(items)) {
      this.add(path, 'type', messages.type(name, 'list'));
      return;
    }
    const count = items?.length ?? 0;
    if (node.minItems !== undefined && count < node.minItems) {
      this.add(path, 'minItems', messages.minItems(name, node.minItems), { minItems: node.minItems });
    }
    if (node.maxItems !== undefined && count > node.maxItems) {
      this.add(path, 'maxItems', messages.maxItems(name, node.maxItems), { maxItems: node.maxItems });
    }
    if (!items) return;
    setPath(this.values, path, []);
    const merged = getPath(this.data, path);
    items.forEach((item, index) => {
      const itemPath = [...path, index];
      if (!isPlainObject(item)) {
        this.add(itemPath, 'type', messages.type({ label: undefined, path: pathText(itemPath) }, 'itemObject'));
        return;
      }
      setPath(this.values, itemPath, {});
      this.walk(node.children, {
        prefix: itemPath,
        hidden: false,
        self: Array.isArray(merged) ? merged[index] : item,
        parent: scope.self,
        indexes: [...scope.indexes, index + 1],
      });
    });
  }

  private input(node: InputNode, scope: Scope, context: Record<string, unknown>): void {
    const path = [...scope.prefix, ...node.key];

    if (node.type === 'expression') {
      // Computed on the server from the same data the form saw; whatever was submitted is ignored.
      setPath(this.values, path, node.expression ? toJson(evaluateFeel(node.expression, context)) : null);
      return;
    }

    if (isOn(node.readonly, context) || isOn(node.disabled, context)) {
      // The user cannot change it: keep the task's value, never the submitted one.
      const kept = getPath(this.context, path);
      if (kept !== undefined) setPath(this.values, path, structuredClone(kept));
      return;
    }

    const raw = getPath(this.submitted, path);
    const before = this.issues.length;
    const value = this.check(node, raw, path, context);
    if (raw !== undefined && this.issues.length === before) setPath(this.values, path, value);
  }

  /** Checks one submitted value; returns it as it is to be stored. */
  private check(node: InputNode, raw: unknown, path: DataPath, context: Record<string, unknown>): unknown {
    const name: FieldName = { label: node.label, path: pathText(path) };
    const { rules } = node;
    const isText = TEXT_TYPES.has(node.type);

    const empty =
      raw === undefined ||
      raw === null ||
      raw === '' ||
      (isText && typeof raw === 'string' && raw.trim() === '') ||
      (Array.isArray(raw) && raw.length === 0) ||
      (node.type === 'checkbox' && raw === false);
    if (empty) {
      if (rules.required) this.add(path, 'required', messages.required(name));
      // A blank non-text value is stored as form-js stores it: null.
      return raw === '' && !isText ? null : raw;
    }

    const typeIssue = (kind: ExpectedKind) => {
      this.add(path, 'type', messages.type(name, kind));
      return raw;
    };

    switch (node.type) {
      case 'textfield':
      case 'textarea': {
        if (typeof raw !== 'string') return typeIssue('text');
        this.checkText(node, raw, path, name, context);
        return raw;
      }
      case 'number':
        return this.checkNumber(node, raw, path, name, context);
      case 'checkbox':
        return typeof raw === 'boolean' ? raw : typeIssue('boolean');
      case 'radio':
      case 'select': {
        const options = this.optionValuesOf(node, context);
        if (options && !options.some((option) => deepEqual(option, raw))) {
          this.add(path, 'option', messages.option(name, show(raw)), { value: show(raw) });
        }
        return raw;
      }
      case 'checklist':
      case 'taglist': {
        if (!Array.isArray(raw)) return typeIssue('list');
        const options = this.optionValuesOf(node, context);
        raw.forEach((item, index) => {
          if (options && !options.some((option) => deepEqual(option, item))) {
            this.add(path, 'option', messages.option(name, show(item)), { value: show(item) });
          } else if (raw.slice(0, index).some((earlier) => deepEqual(earlier, item))) {
            this.add(path, 'duplicate', messages.duplicate(name, show(item)), { value: show(item) });
          }
        });
        return raw;
      }
      case 'datetime': {
        if (typeof raw !== 'string') return typeIssue('text');
        const expected = describeDatetimeFormat(node.subtype, node.timeSerializingFormat);
        if (!matchesDatetimeFormat(raw, node.subtype, node.timeSerializingFormat)) {
          this.add(path, 'format', messages.format(name, expected), { format: expected });
        } else if (node.disallowPassedDates && node.subtype !== 'time') {
          const today = calendarDateIn(this.options.timeZone, this.options.now());
          if (raw.slice(0, 10) < today) this.add(path, 'pastDate', messages.pastDate(name, today), { today });
        }
        return raw;
      }
      case 'expression':
        return raw;
    }
  }

  private checkText(node: InputNode, value: string, path: DataPath, name: FieldName, context: Record<string, unknown>): void {
    const { rules } = node;
    // form-js measures lengths of the trimmed text.
    const length = value.trim().length;
    const minLength = lengthBound(rules.minLength, context);
    const maxLength = lengthBound(rules.maxLength, context);
    if (minLength !== undefined && length < minLength) {
      this.add(path, 'minLength', messages.minLength(name, minLength), { minLength });
    }
    if (maxLength !== undefined && length > maxLength) {
      this.add(path, 'maxLength', messages.maxLength(name, maxLength), { maxLength });
    }
    // Unanchored, as form-js tests it, so the server never refuses what the form accepted.
    if (rules.pattern && !rules.pattern.regex.test(value)) {
      this.add(path, 'pattern', messages.pattern(name, rules.pattern.source), { pattern: rules.pattern.source });
    }
    if (rules.validationType === 'email' && !isEmail(value)) this.add(path, 'email', messages.email(name));
    if (rules.validationType === 'phone' && !isPhone(value)) this.add(path, 'phone', messages.phone(name));
  }

  private checkNumber(
    node: InputNode,
    raw: unknown,
    path: DataPath,
    name: FieldName,
    context: Record<string, unknown>,
  ): unknown {
    let decimal: Decimal | undefined;
    let stored: unknown = raw;
    if (typeof raw === 'number') {
      if (Number.isInteger(raw) && !Number.isSafeInteger(raw)) {
        this.add(path, 'type', messages.unsafeInteger(name));
        return raw;
      }
      decimal = decimalFromNumber(raw);
      // serializeToString fields store text; write the number's exact digits, never an exponent.
      if (decimal && node.serializeToString) stored = formatDecimal(decimal);
    } else if (typeof raw === 'string' && node.serializeToString) {
      // Kept exactly as submitted: "12.50" stays "12.50", it is never parsed into a float.
      decimal = parseDecimalString(raw);
    }
    if (!decimal) {
      this.add(path, 'type', messages.type(name, node.serializeToString ? 'numberOrNumericText' : 'number'));
      return raw;
    }

    if (node.decimalDigits !== undefined && fractionDigits(decimal) > node.decimalDigits) {
      this.add(path, 'decimalDigits', messages.decimalDigits(name, node.decimalDigits), {
        decimalDigits: node.decimalDigits,
      });
    }
    if (node.increment && !isMultipleOf(decimal, node.increment.value)) {
      const [below, above] = neighbouringMultiples(decimal, node.increment.value);
      this.add(path, 'increment', messages.increment(name, node.increment.text, below, above), {
        increment: node.increment.text,
      });
    }
    const min = decimalBound(node.rules.min, context);
    const max = decimalBound(node.rules.max, context);
    if (min && compareDecimals(decimal, min.value) < 0) {
      this.add(path, 'min', messages.min(name, min.text), { min: min.text });
    }
    if (max && compareDecimals(decimal, max.value) > 0) {
      this.add(path, 'max', messages.max(name, max.text), { max: max.text });
    }
    return stored;
  }

  /**
   * The option values a choice may take, or undefined when they cannot be known here (then the
   * value is not checked against them). Options named by `valuesKey` come from the task's own
   * variables, never from the submission: a client must not bring its own list of allowed values.
   */
  private optionValuesOf(node: InputNode, context: Record<string, unknown>): unknown[] | undefined {
    const source = node.options;
    if (!source) return undefined;
    switch (source.kind) {
      case 'static':
        return source.values;
      case 'key': {
        const list = Object.hasOwn(this.context, source.key)
          ? this.context[source.key]
          : getPath(this.context, source.key.split('.'));
        return optionValues(list);
      }
      case 'expression':
        return optionValues(evaluateFeel(source.expression, context));
    }
  }
}

/** form-js options are `{ label, value }` objects or bare values; anything else is skipped like form-js does. */
function optionValues(list: unknown): unknown[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const values: unknown[] = [];
  for (const option of list) {
    if (isPlainObject(option)) {
      if (option.value !== undefined && option.value !== null) values.push(option.value);
    } else if (option !== undefined && option !== null) values.push(option);
  }
  return values;
}

/** FEEL can yield dates, durations and functions; a process variable takes their JSON form. */
function toJson(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null) ?? 'null') as unknown;
  } catch {
    return null;
  }
}

function isOn(flag: boolean | string, context: Record<string, unknown>): boolean {
  return typeof flag === 'boolean' ? flag : evaluateFeel(flag, context) === true;
}

function decimalBound(bound: Bound | undefined, context: Record<string, unknown>): { value: Decimal; text: string } | undefined {
  if (!bound) return undefined;
  if (bound.kind === 'static') return bound;
  // A bound computed from data that is not there (null) is not enforced, as in form-js.
  const value = evaluateFeel(bound.expression, context);
  const decimal = typeof value === 'number' ? decimalFromNumber(value) : undefined;
  return decimal ? { value: decimal, text: formatDecimal(decimal) } : undefined;
}

function lengthBound(bound: LengthBound | undefined, context: Record<string, unknown>): number | undefined {
  if (!bound) return undefined;
  if (bound.kind === 'static') return bound.value;
  const value = evaluateFeel(bound.expression, context);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The data the form "sees": the task's variables with the submitted values of fields the user can
 * edit laid over them. Read-only, disabled and computed fields keep the task's value; keys the form
 * does not bind are left out.
 */
function overlay(shape: ObjectShape, base: unknown, submitted: unknown): Record<string, unknown> {
  const result: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
  if (!isPlainObject(submitted)) return result;
  for (const [key, child] of shape.children) {
    if (!Object.hasOwn(submitted, key)) continue;
    const value = submitted[key];
    const baseValue = isPlainObject(base) ? base[key] : undefined;
    switch (child.kind) {
      case 'leaf': {
        const { node } = child;
        if (node.type !== 'expression' && node.readonly !== true && node.disabled !== true) result[key] = value;
        break;
      }
      case 'object':
        if (isPlainObject(value)) result[key] = overlay(child, baseValue, value);
        break;
      case 'list':
        if (Array.isArray(value)) {
          result[key] = value.map((item, index) =>
            isPlainObject(item) ? overlay(child.item, Array.isArray(baseValue) ? baseValue[index] : undefined, item) : item,
          );
        }
        break;
    }
  }
  return result;
}

/** Submitted keys that no field binds, in the order they were submitted. */
function unknownPaths(shape: ObjectShape, submitted: unknown, prefix: DataPath): DataPath[] {
  if (!isPlainObject(submitted)) return [];
  const found: DataPath[] = [];
  for (const [key, value] of Object.entries(submitted)) {
    const child = shape.children.get(key);
    const path = [...prefix, key];
    if (!child) found.push(path);
    else if (child.kind === 'object') found.push(...unknownPaths(child, value, path));
    else if (child.kind === 'list' && Array.isArray(value)) {
      value.forEach((item, index) => found.push(...unknownPaths(child.item, item, [...path, index])));
    }
  }
  return found;
}

export function validateSubmission(
  form: ParsedForm,
  submitted: unknown,
  context: Record<string, unknown>,
  options: ValidationOptions,
): ValidationResult {
  if (!isPlainObject(submitted)) {
    return {
      ok: false,
      issues: [
        {
          field: '',
          code: 'type',
          message: { 'zh-CN': '提交的表单数据应为对象', en: 'The submitted form variables must be an object.' },
        },
      ],
    };
  }
  const submission = new Submission(form, submitted, isPlainObject(context) ? context : {}, options);
  submission.run();
  return submission.issues.length ? { ok: false, issues: submission.issues } : { ok: true, values: submission.values };
}
