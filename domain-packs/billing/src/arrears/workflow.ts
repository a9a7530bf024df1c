/**
 * Small pieces the arrears part's processes share: BPMN XML helpers (flows, service tasks, diagram-free
 * definitions the designer lays out on first open), the candidate group of approvals, id variables of jobs,
 * and who completed an instance's user task (the approver, recorded on the case or waiver).
 */
import type { PackTx } from '@shuiyun/sdk';
import { z } from 'zod';

/**
 * Who approves waivers and valve closing: the pack's default role `approver`, as the tenant names it
 * (`billing-approver`); an administrator (who holds `task:read-all`) may act on any task as well.
 */
export const APPROVER_GROUP = 'billing-approver';

/** A job variable holding a row id: a number, or its digits as text. */
export const idVariable = z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,17}$/)]).transform((v) => String(v));

export const flow = (id: string, from: string, to: string, condition?: string) =>
  condition === undefined
    ? `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`
    : `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression></bpmn:sequenceFlow>`;

export const serviceTask = (id: string, name: string, type: string, options: { retries?: number; headers?: Record<string, string> } = {}) => {
  const headers = options.headers
    ? `<zeebe:taskHeaders>${Object.entries(options.headers)
        .map(([k, v]) => `<zeebe:header key="${k}" value="${v}" />`)
        .join('')}</zeebe:taskHeaders>`
    : '';
  return `<bpmn:serviceTask id="${id}" name="${name}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" retries="${options.retries ?? 5}" />${headers}</bpmn:extensionElements></bpmn:serviceTask>`;
};

export const userTask = (id: string, name: string, formId: string) =>
  `<bpmn:userTask id="${id}" name="${name}"><bpmn:extensionElements><zeebe:formDefinition formId="${formId}" /><zeebe:assignmentDefinition candidateGroups="${APPROVER_GROUP}" /></bpmn:extensionElements></bpmn:userTask>`;

export const definitions = (id: string, body: string, roots = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_${id}" targetNamespace="http://shuiyun.example/bpmn/billing" exporter="Shuiyun billing pack" exporterVersion="1.0.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
${body}
${roots}
</bpmn:definitions>
`;

/** The user who completed the instance's latest user task (`elementId`), or null. */
export async function completedBy(tx: PackTx, instanceId: string, elementId: string): Promise<string | null> {
  if (!/^[0-9]{1,18}$/.test(instanceId)) return null;
  const [row] = await tx.query<{ completed_by: string | null }>(
    `select completed_by::text from workflow_user_tasks where instance_id = $1::bigint and element_id = $2 and state = 'completed' order by completed_at desc nulls last, id desc limit 1`,
    [instanceId, elementId],
  );
  return row?.completed_by ?? null;
}

/** Form-js schema header of the pack's forms. */
export const formHeader = (id: string) => ({
  type: 'default',
  id,
  schemaVersion: 16,
  executionPlatform: 'Camunda Cloud',
  executionPlatformVersion: '8.6.0',
  exporter: { name: 'Shuiyun billing pack', version: '1.0.0' },
});
