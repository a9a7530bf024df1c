import { type FormNode, type InputType, parseFormSchema } from './schema.js';
import { type ValidationResult, validateSubmission } from './validate.js';

export { FormSchemaError, SUPPORTED_SCHEMA_VERSIONS, type FormSchemaIssue, type InputType } from './schema.js';
export type { FormIssue, FormIssueCode, LocalizedText } from './messages.js';
export type { ValidationResult } from './validate.js';

/** One value the form binds, as a task list or an API description would list it. */
export interface FieldInfo {
  id?: string;
  type: InputType | 'dynamiclist';
  /** The data path; inside a dynamic list each item's fields read `checkpoints[].result`. */
  path: string;
  label?: string;
  required: boolean;
  /** true, false, or the FEEL expression that decides it */
  readonly: boolean | string;
  disabled: boolean | string;
  /** Hidden by a `conditional.hide` of its own or of an enclosing group or list. */
  conditional: boolean;
  /** An expression field: computed on the server, never taken from the submission. */
  computed: boolean;
  minItems?: number;
  maxItems?: number;
}

export interface CompileOptions {
  /** The tenant's time zone, for `disallowPassedDates`. Default Asia/Shanghai. */
  timeZone?: string;
  /** The clock, for `disallowPassedDates`. */
  now?: () => Date;
}

export interface CompiledForm {
  id?: string;
  schemaVersion: number;
  fields: FieldInfo[];
  /**
   * Checks a task completion's submitted variables against the form. `context` holds the task's
   * current variables (what the form was opened with): it feeds hide conditions, expressions,
   * `valuesKey` options and the values of read-only fields. On success `values` holds exactly the
   * variables to write: the form's editable, visible fields as submitted, computed expression
   * fields, and read-only/disabled fields with the task's own value.
   */
  validate(values: Record<string, unknown>, context?: Record<string, unknown>): ValidationResult;
}

/** Reads a form-js schema; throws FormSchemaError (listing every problem) when it cannot be enforced. */
export function compileForm(schema: unknown, options: CompileOptions = {}): CompiledForm {
  const form = parseFormSchema(schema);
  const timeZone = options.timeZone ?? 'Asia/Shanghai';
  const now = options.now ?? (() => new Date());
  // Fail on a bad zone now rather than on the first submission.
  new Intl.DateTimeFormat('en', { timeZone });
  return {
    ...(form.id !== undefined && { id: form.id }),
    schemaVersion: form.schemaVersion,
    fields: fieldInfos(form.nodes, '', false),
    validate: (values, context = {}) => validateSubmission(form, values, context, { timeZone, now }),
  };
}

function fieldInfos(nodes: FormNode[], prefix: string, conditional: boolean): FieldInfo[] {
  const join = (segments: string[]) => [prefix, ...segments].filter(Boolean).join('.');
  return nodes.flatMap((node): FieldInfo[] => {
    const hidden = conditional || node.hide !== undefined;
    const common = { ...(node.id !== undefined && { id: node.id }), ...(node.label !== undefined && { label: node.label }) };
    switch (node.kind) {
      case 'group':
        return fieldInfos(node.children, join(node.path), hidden);
      case 'list': {
        const path = join(node.path);
        return [
          {
            ...common,
            type: 'dynamiclist',
            path,
            required: (node.minItems ?? 0) > 0,
            readonly: false,
            disabled: false,
            conditional: hidden,
            computed: false,
            ...(node.minItems !== undefined && { minItems: node.minItems }),
            ...(node.maxItems !== undefined && { maxItems: node.maxItems }),
          },
          ...fieldInfos(node.children, `${path}[]`, hidden),
        ];
      }
      case 'input':
        return [
          {
            ...common,
            type: node.type,
            path: join(node.key),
            required: node.rules.required && node.type !== 'expression',
            readonly: node.readonly,
            disabled: node.disabled,
            conditional: hidden,
            computed: node.type === 'expression',
          },
        ];
    }
  });
}
