/**
 * The account-lifecycle processes (开户 / 过户 / 销户 / 换表) and their task forms. Plain BPMN with Zeebe
 * extensions, so they run on Zeebe as on the embedded engine.
 *
 * - 开户, 过户, 销户: start → 审批 (user task, candidate group `billing-approver`: the pack's `approver` role
 *   as the tenant names it) → apply the decision (service task `billing.apply-account-request`) → end.
 * - 换表: start → 审批 → apply → approved? → 现场换表 (user task, candidate groups `metering-operator` — who
 *   records swaps in metering's 水表档案 — and `billing-approver`) → check that the swap was recorded
 *   (service task `billing.complete-meter-change`) → end; a rejected request ends after apply.
 */
export const APPROVER_GROUP = 'billing-approver';
export const FIELD_GROUPS = 'metering-operator,billing-approver';
export const APPLY_REQUEST = 'billing.apply-account-request';
export const COMPLETE_METER_CHANGE = 'billing.complete-meter-change';
export const REQUEST_FORM = 'billing_account_request_form';
export const SWAP_FORM = 'billing_meter_swap_form';

export const REQUEST_KINDS = ['open', 'transfer', 'close', 'meter_change'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const PROCESS_OF: Record<RequestKind, string> = {
  open: 'billing_account_open',
  transfer: 'billing_account_transfer',
  close: 'billing_account_close',
  meter_change: 'billing_meter_change',
};

export const kindNames: Record<RequestKind, { 'zh-CN': string; en: string }> = {
  open: { 'zh-CN': '开户', en: 'Open account' },
  transfer: { 'zh-CN': '过户', en: 'Transfer' },
  close: { 'zh-CN': '销户', en: 'Close account' },
  meter_change: { 'zh-CN': '换表', en: 'Meter change' },
};

const shape = (id: string, x: number, y: number, w: number, h: number) => `
      <bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"><dc:Bounds x="${x}" y="${y}" width="${w}" height="${h}" /></bpmndi:BPMNShape>`;
const edge = (id: string, points: [number, number][]) => `
      <bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}">${points.map(([x, y]) => `<di:waypoint x="${x}" y="${y}" />`).join('')}</bpmndi:BPMNEdge>`;

const header = (processId: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_${processId}" targetNamespace="http://shuiyun.example/bpmn/billing" exporter="Shuiyun billing pack" exporterVersion="1.0.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">`;

const approveTask = (outgoing: string) => `
    <bpmn:userTask id="approve" name="审批">
      <bpmn:extensionElements>
        <zeebe:formDefinition formId="${REQUEST_FORM}" />
        <zeebe:assignmentDefinition candidateGroups="${APPROVER_GROUP}" />
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start_approve</bpmn:incoming>
      <bpmn:outgoing>${outgoing}</bpmn:outgoing>
    </bpmn:userTask>`;

const applyTask = (outgoing: string) => `
    <bpmn:serviceTask id="apply" name="执行审批结论">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="${APPLY_REQUEST}" retries="3" />
      </bpmn:extensionElements>
      <bpmn:incoming>flow_approve_apply</bpmn:incoming>
      <bpmn:outgoing>${outgoing}</bpmn:outgoing>
    </bpmn:serviceTask>`;

/** 开户 / 过户 / 销户: approval, then the decision applied. */
function approvalProcessXml(processId: string, name: string): string {
  return `${header(processId)}
  <bpmn:process id="${processId}" name="${name}" isExecutable="true">
    <bpmn:startEvent id="start" name="受理">
      <bpmn:outgoing>flow_start_approve</bpmn:outgoing>
    </bpmn:startEvent>${approveTask('flow_approve_apply')}${applyTask('flow_apply_end')}
    <bpmn:endEvent id="end">
      <bpmn:incoming>flow_apply_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start_approve" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="flow_approve_apply" sourceRef="approve" targetRef="apply" />
    <bpmn:sequenceFlow id="flow_apply_end" sourceRef="apply" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_${processId}">
    <bpmndi:BPMNPlane id="BPMNPlane_${processId}" bpmnElement="${processId}">${[
      shape('start', 152, 102, 36, 36),
      shape('approve', 240, 80, 100, 80),
      shape('apply', 400, 80, 100, 80),
      shape('end', 562, 102, 36, 36),
      edge('flow_start_approve', [[188, 120], [240, 120]]),
      edge('flow_approve_apply', [[340, 120], [400, 120]]),
      edge('flow_apply_end', [[500, 120], [562, 120]]),
    ].join('')}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

/** 换表: approval, the decision applied, then (approved) the field swap and the check that it was recorded. */
function meterChangeProcessXml(): string {
  const id = PROCESS_OF.meter_change;
  return `${header(id)}
  <bpmn:process id="${id}" name="换表" isExecutable="true">
    <bpmn:startEvent id="start" name="受理">
      <bpmn:outgoing>flow_start_approve</bpmn:outgoing>
    </bpmn:startEvent>${approveTask('flow_approve_apply')}${applyTask('flow_apply_gateway')}
    <bpmn:exclusiveGateway id="approved_gateway" name="已批准？" default="flow_not_approved">
      <bpmn:incoming>flow_apply_gateway</bpmn:incoming>
      <bpmn:outgoing>flow_approved</bpmn:outgoing>
      <bpmn:outgoing>flow_not_approved</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="field_swap" name="现场换表">
      <bpmn:extensionElements>
        <zeebe:formDefinition formId="${SWAP_FORM}" />
        <zeebe:assignmentDefinition candidateGroups="${FIELD_GROUPS}" />
      </bpmn:extensionElements>
      <bpmn:incoming>flow_approved</bpmn:incoming>
      <bpmn:outgoing>flow_swap_check</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="check_swap" name="核对换表记录">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="${COMPLETE_METER_CHANGE}" retries="3" />
      </bpmn:extensionElements>
      <bpmn:incoming>flow_swap_check</bpmn:incoming>
      <bpmn:outgoing>flow_check_end</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end_done" name="已换表">
      <bpmn:incoming>flow_check_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:endEvent id="end_rejected" name="未批准">
      <bpmn:incoming>flow_not_approved</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start_approve" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="flow_approve_apply" sourceRef="approve" targetRef="apply" />
    <bpmn:sequenceFlow id="flow_apply_gateway" sourceRef="apply" targetRef="approved_gateway" />
    <bpmn:sequenceFlow id="flow_approved" name="approved" sourceRef="approved_gateway" targetRef="field_swap">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=requestStatus = "approved"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_not_approved" name="rejected" sourceRef="approved_gateway" targetRef="end_rejected" />
    <bpmn:sequenceFlow id="flow_swap_check" sourceRef="field_swap" targetRef="check_swap" />
    <bpmn:sequenceFlow id="flow_check_end" sourceRef="check_swap" targetRef="end_done" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_${id}">
    <bpmndi:BPMNPlane id="BPMNPlane_${id}" bpmnElement="${id}">${[
      shape('start', 152, 102, 36, 36),
      shape('approve', 240, 80, 100, 80),
      shape('apply', 400, 80, 100, 80),
      shape('approved_gateway', 555, 95, 50, 50),
      shape('field_swap', 660, 80, 100, 80),
      shape('check_swap', 820, 80, 100, 80),
      shape('end_done', 982, 102, 36, 36),
      shape('end_rejected', 562, 232, 36, 36),
      edge('flow_start_approve', [[188, 120], [240, 120]]),
      edge('flow_approve_apply', [[340, 120], [400, 120]]),
      edge('flow_apply_gateway', [[500, 120], [555, 120]]),
      edge('flow_approved', [[605, 120], [660, 120]]),
      edge('flow_not_approved', [[580, 145], [580, 232]]),
      edge('flow_swap_check', [[760, 120], [820, 120]]),
      edge('flow_check_end', [[920, 120], [982, 120]]),
    ].join('')}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}

export const accountProcesses = [
  { code: PROCESS_OF.open, name: '开户', xml: approvalProcessXml(PROCESS_OF.open, '开户') },
  { code: PROCESS_OF.transfer, name: '过户', xml: approvalProcessXml(PROCESS_OF.transfer, '过户') },
  { code: PROCESS_OF.close, name: '销户', xml: approvalProcessXml(PROCESS_OF.close, '销户') },
  { code: PROCESS_OF.meter_change, name: '换表', xml: meterChangeProcessXml() },
];

const formMeta = (id: string) => ({
  type: 'default',
  id,
  schemaVersion: 16,
  executionPlatform: 'Camunda Cloud',
  executionPlatformVersion: '8.6.0',
  exporter: { name: 'Shuiyun billing pack', version: '1.0.0' },
});

/** The approver's form: what is asked (from the process variables), approve or reject, a note. */
export const requestForm = {
  ...formMeta(REQUEST_FORM),
  components: [
    {
      type: 'text',
      id: 'request_summary',
      text: [
        '### {{kindName}} · 审批 Approval',
        '',
        '- 业务编号 Request: **{{requestId}}**',
        '- 户号 Account: {{accountNo}}',
        '- 用户 Customer: {{customerName}}',
        '- 地址 Address: {{address}}',
        '- 办理内容 Details: {{detail}}',
        '- 附件 Documents: {{documentCount}}',
      ].join('\n'),
    },
    {
      type: 'radio',
      id: 'request_decision',
      key: 'decision',
      label: '审批结论',
      values: [
        { label: '同意', value: 'approve' },
        { label: '驳回', value: 'reject' },
      ],
      validate: { required: true },
    },
    {
      type: 'textarea',
      id: 'request_note',
      key: 'note',
      label: '审批意见',
      validate: { maxLength: 500 },
    },
  ],
};

/** The field worker's form: which meter to swap; the swap itself is recorded in metering's 水表档案. */
export const swapForm = {
  ...formMeta(SWAP_FORM),
  components: [
    {
      type: 'text',
      id: 'swap_summary',
      text: [
        '### 现场换表 · Field meter swap',
        '',
        '- 户号 Account: **{{accountNo}}**（{{address}}）',
        '- 旧表 Old meter: **{{oldMeterNo}}**',
        '- 新表 New meter: **{{newMeterNo}}**',
        '- 原因 Reason: {{reason}}',
        '',
        '请先在「水表档案」的换表表单中登记换表（旧表止码、新表起码），再提交此任务。',
        'Record the swap (old final and new initial reading) in the meter archive first, then complete this task.',
      ].join('\n'),
    },
    {
      type: 'textarea',
      id: 'swap_note',
      key: 'fieldNote',
      label: '现场情况',
      validate: { maxLength: 500 },
    },
  ],
};

export const accountForms = [
  { code: REQUEST_FORM, name: '用户业务审批单', schema: requestForm },
  { code: SWAP_FORM, name: '现场换表单', schema: swapForm },
];
