import type { WorkerDefinition } from '@shuiyun/sdk';
import { z } from 'zod';

/**
 * Camunda 8 element templates for the job workers registered in the runtime, so a consultant picks
 * “发送通知” in the modeler instead of typing a job type. Each top-level field of the worker's input
 * schema becomes an input mapping (FEEL allowed); the job type is fixed and hidden.
 */
export function elementTemplates(workers: WorkerDefinition[], locale: 'zh-CN' | 'en') {
  return workers.map((worker) => {
    const json = safeJsonSchema(worker.input);
    const required = new Set<string>(Array.isArray(json.required) ? (json.required as string[]) : []);
    const properties = Object.entries((json.properties ?? {}) as Record<string, Record<string, unknown>>).map(([name, schema]) => ({
      id: `input.${name}`,
      label: typeof schema.title === 'string' ? schema.title : name,
      description: typeof schema.description === 'string' ? schema.description : undefined,
      group: 'inputs',
      type: 'String',
      feel: 'optional',
      optional: !required.has(name),
      binding: { type: 'zeebe:input', name },
      ...(required.has(name) ? { constraints: { notEmpty: true } } : {}),
    }));
    return {
      $schema: 'https://unpkg.com/@camunda/zeebe-element-templates-json-schema/resources/schema.json',
      id: `shuiyun.worker.${worker.type}`,
      name: worker.title?.[locale] ?? worker.type,
      description: worker.description?.[locale],
      version: 1,
      category: { id: 'shuiyun', name: locale === 'zh-CN' ? '水云任务' : 'Shuiyun tasks' },
      appliesTo: ['bpmn:Task', 'bpmn:ServiceTask'],
      elementType: { value: 'bpmn:ServiceTask' },
      groups: [
        { id: 'inputs', label: locale === 'zh-CN' ? '输入' : 'Inputs' },
        { id: 'output', label: locale === 'zh-CN' ? '输出' : 'Output' },
      ],
      properties: [
        { type: 'Hidden', value: worker.type, binding: { type: 'zeebe:taskDefinition', property: 'type' } },
        ...properties,
        {
          label: locale === 'zh-CN' ? '结果变量' : 'Result variable',
          description: locale === 'zh-CN' ? '把任务结果存入该流程变量' : 'Keep the task’s result in this process variable',
          group: 'output',
          type: 'String',
          optional: true,
          binding: { type: 'zeebe:taskHeader', key: 'resultVariable' },
        },
      ],
    };
  });
}

function safeJsonSchema(schema: z.ZodType): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  } catch {
    return {};
  }
}
