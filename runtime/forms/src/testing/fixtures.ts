import { readFileSync } from 'node:fs';

/** A form-js schema from runtime/forms/fixtures, parsed the way the designer's saved file is read. */
export function loadFormFixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/${name}.form`, import.meta.url), 'utf8')) as unknown;
}

/** Wraps components into a form as @bpmn-io/form-js 1.x saves it. */
export function formOf(components: unknown[], schemaVersion = 18): unknown {
  return {
    type: 'default',
    id: 'Form_test',
    schemaVersion,
    executionPlatform: 'Camunda Cloud',
    executionPlatformVersion: '8.6.0',
    exporter: { name: 'Shuiyun Designer', version: '0.1.0' },
    components,
  };
}

/** `[field, code]` pairs, the compact form tests compare issue lists in. */
export function codes(result: { ok: boolean; issues?: { field: string; code: string }[] }): [string, string][] {
  return (result.issues ?? []).map((issue) => [issue.field, issue.code]);
}
