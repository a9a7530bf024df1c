/**
 * The approval processes of the payments part (冲正审批, 退费审批): start → an approver's user task
 * (candidate group `billing-approver`, a form with the request and a decision) → a gateway on the
 * decision → the apply worker's service task with the decision in its header → end. Plain BPMN with
 * Zeebe extensions, so it runs on Zeebe as on the embedded engine.
 */

/** The candidate group of the approval tasks: the pack's `approver` role as the tenant names it. */
export const APPROVER_GROUP = 'billing-approver';
export const decisions = ['approve', 'reject'] as const;
export type Decision = (typeof decisions)[number];

const shape = (id: string, x: number, y: number, w: number, h: number) => `
      <bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"><dc:Bounds x="${x}" y="${y}" width="${w}" height="${h}" /></bpmndi:BPMNShape>`;
const edge = (id: string, points: [number, number][]) => `
      <bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}">${points.map(([x, y]) => `<di:waypoint x="${x}" y="${y}" />`).join('')}</bpmndi:BPMNEdge>`;

/** The approval process `processId`: its approver task shows `formId`; both outcomes run the worker `jobType`. */
export function approvalProcessXml(options: { processId: string; name: string; taskName: string; formId: string; jobType: string; approveName: string; rejectName: string }): string {
  const { processId, name, taskName, formId, jobType } = options;
  const branch = (decision: Decision, label: string) => `
    <bpmn:serviceTask id="apply_${decision}" name="${label}">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="${jobType}" retries="3" />
        <zeebe:taskHeaders>
          <zeebe:header key="decision" value="${decision}" />
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_${decision}</bpmn:incoming>
      <bpmn:outgoing>flow_${decision}_end</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end_${decision}">
      <bpmn:incoming>flow_${decision}_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_${decision}" name="${decision}" sourceRef="decision_gateway" targetRef="apply_${decision}">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=decision = "${decision}"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_${decision}_end" sourceRef="apply_${decision}" targetRef="end_${decision}" />`;
  const diagram = [
    shape('start', 152, 182, 36, 36),
    shape('approve_task', 240, 160, 100, 80),
    shape('decision_gateway', 395, 175, 50, 50),
    edge('flow_start_task', [[188, 200], [240, 200]]),
    edge('flow_task_gateway', [[340, 200], [395, 200]]),
    shape('apply_approve', 500, 80, 100, 80),
    shape('end_approve', 662, 102, 36, 36),
    edge('flow_approve', [[420, 175], [420, 120], [500, 120]]),
    edge('flow_approve_end', [[600, 120], [662, 120]]),
    shape('apply_reject', 500, 240, 100, 80),
    shape('end_reject', 662, 262, 36, 36),
    edge('flow_reject', [[420, 225], [420, 280], [500, 280]]),
    edge('flow_reject_end', [[600, 280], [662, 280]]),
  ].join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_${processId}" targetNamespace="http://shuiyun.example/bpmn/billing" exporter="Shuiyun billing pack" exporterVersion="1.0.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="${processId}" name="${name}" isExecutable="true">
    <bpmn:startEvent id="start" name="申请">
      <bpmn:outgoing>flow_start_task</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="approve_task" name="${taskName}">
      <bpmn:extensionElements>
        <zeebe:formDefinition formId="${formId}" />
        <zeebe:assignmentDefinition candidateGroups="${APPROVER_GROUP}" />
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start_task</bpmn:incoming>
      <bpmn:outgoing>flow_task_gateway</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="decision_gateway" name="审批结论">
      <bpmn:incoming>flow_task_gateway</bpmn:incoming>
      <bpmn:outgoing>flow_approve</bpmn:outgoing>
      <bpmn:outgoing>flow_reject</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="flow_start_task" sourceRef="start" targetRef="approve_task" />
    <bpmn:sequenceFlow id="flow_task_gateway" sourceRef="approve_task" targetRef="decision_gateway" />${branch('approve', options.approveName)}${branch('reject', options.rejectName)}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_${processId}">
    <bpmndi:BPMNPlane id="BPMNPlane_${processId}" bpmnElement="${processId}">${diagram}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

/** An approver's form (form-js, schemaVersion 16): the request in a text view, the decision, a comment. */
export function approvalForm(options: { formId: string; summary: string[] }) {
  return {
    type: 'default',
    id: options.formId,
    schemaVersion: 16,
    executionPlatform: 'Camunda Cloud',
    executionPlatformVersion: '8.6.0',
    exporter: { name: 'Shuiyun billing pack', version: '1.0.0' },
    components: [
      { type: 'text', id: `${options.formId}_summary`, text: options.summary.join('\n') },
      {
        type: 'radio',
        id: `${options.formId}_decision`,
        key: 'decision',
        label: '审批结论 Decision',
        values: [
          { label: '同意 Approve', value: 'approve' },
          { label: '驳回 Reject', value: 'reject' },
        ],
        validate: { required: true },
      },
      { type: 'textarea', id: `${options.formId}_comment`, key: 'comment', label: '审批意见 Comment', validate: { maxLength: 500 } },
    ],
  };
}
