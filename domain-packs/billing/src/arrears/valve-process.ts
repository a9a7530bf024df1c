/**
 * The `billing_valve_control` process (欠费关阀), one instance per valve case:
 *
 *   notice ─▶ grace timer (=graceDuration) ─▶ re-check ─┬─ paid ─────────────────────────────▶ end (cancelled)
 *                                                      └─ in arrears ─▶ approval (user task) ─▶ decision
 *   decision ─┬─ rejected / paid meanwhile ─▶ end
 *             └─ close ─▶ close valves ─▶ delivery ─┬─ pending ─▶ poll timer (=pollInterval) ─▶ delivery
 *                                                  └─ done (case closed) ─▶ paid? ─┬─ yes ─▶ reopen
 *                                                                                   └─ no ─▶ wait: message billing.arrears-cleared (key =accountKey)
 *                                                                                            or recheck timer (=recheckInterval) ─▶ paid?
 *   reopen ─┬─ autoReopen ─────────────────────────────▶ open valves ─▶ delivery (polled the same way) ─▶ end (reopened)
 *           └─ else: confirm reopening (user task) ─────┘
 *
 * A command that fails or expires on every meter (close), or on any meter (open), ends the instance at an error
 * end with the case failed and the reason on it. The payment's message is the fast path; the recheck timer is
 * the safety net (a message published in the moment before the instance waits for it is not kept).
 */
import { APPROVER_GROUP, definitions, flow, formHeader, serviceTask, userTask } from './workflow.js';
import { CLEARED_MESSAGE, VALVE_FAILED, VALVE_JOBS, VALVE_PROCESS } from './valve.js';

export const VALVE_APPROVAL_FORM = 'billing_valve_approval_form';
export const VALVE_REOPEN_FORM = 'billing_valve_reopen_form';

const timer = (id: string, name: string, expression: string) =>
  `<bpmn:intermediateCatchEvent id="${id}" name="${name}"><bpmn:timerEventDefinition><bpmn:timeDuration>${expression}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>`;
const failedBoundary = (id: string, task: string) =>
  `<bpmn:boundaryEvent id="${id}" name="指令失败" attachedToRef="${task}"><bpmn:errorEventDefinition errorRef="valve_failed_error" /></bpmn:boundaryEvent>
    <bpmn:endEvent id="${id}_end" name="关阀流程失败" />
    ${flow(`${id}_flow`, id, `${id}_end`)}`;
const gateway = (id: string, name: string, defaultFlow?: string) => `<bpmn:exclusiveGateway id="${id}" name="${name}"${defaultFlow ? ` default="${defaultFlow}"` : ''} />`;

export const valveProcessXml = definitions(
  VALVE_PROCESS,
  `<bpmn:process id="${VALVE_PROCESS}" name="欠费关阀" isExecutable="true">
    <bpmn:startEvent id="case_opened" name="发起关阀" />
    ${serviceTask('notice', '发送关阀预告', VALVE_JOBS.notice)}
    ${timer('grace', '宽限期', '=graceDuration')}
    ${serviceTask('recheck', '宽限期满复核欠费', VALVE_JOBS.recheck)}
    ${gateway('still_in_arrears', '仍欠费？', 'to_cancelled')}
    <bpmn:endEvent id="cancelled" name="已缴清，撤销" />
    ${userTask('approval', '审批关阀', VALVE_APPROVAL_FORM)}
    ${serviceTask('decide', '记录审批结论', VALVE_JOBS.decision)}
    ${gateway('decision', '审批结论', 'to_not_closed')}
    <bpmn:endEvent id="not_closed" name="不关阀" />
    ${serviceTask('close_valve', '下发关阀指令', VALVE_JOBS.command, { headers: { action: 'close' } })}
    ${gateway('close_wait', '等待送达')}
    ${serviceTask('close_delivery', '跟踪关阀指令', VALVE_JOBS.delivery, { headers: { action: 'close' } })}
    ${gateway('close_delivered', '已送达？', 'to_close_poll')}
    ${timer('close_poll', '稍后再查', '=pollInterval')}
    ${gateway('check_paid', '复核缴费')}
    ${serviceTask('check_cleared', '复核是否已缴清', VALVE_JOBS.cleared)}
    ${gateway('paid', '已缴清？', 'to_wait_cleared')}
    <bpmn:eventBasedGateway id="wait_cleared" name="等待缴清" />
    <bpmn:intermediateCatchEvent id="arrears_cleared" name="欠费已缴清"><bpmn:messageEventDefinition messageRef="arrears_cleared_message" /></bpmn:intermediateCatchEvent>
    ${timer('recheck_paid', '定期复核', '=recheckInterval')}
    ${gateway('reopen_mode', '自动开阀？', 'to_confirm_reopen')}
    ${userTask('confirm_reopen', '确认开阀', VALVE_REOPEN_FORM)}
    ${gateway('reopen', '开阀')}
    ${serviceTask('open_valve', '下发开阀指令', VALVE_JOBS.command, { headers: { action: 'open' } })}
    ${gateway('open_wait', '等待送达')}
    ${serviceTask('open_delivery', '跟踪开阀指令', VALVE_JOBS.delivery, { headers: { action: 'open' } })}
    ${gateway('open_delivered', '已送达？', 'to_open_poll')}
    ${timer('open_poll', '稍后再查', '=pollInterval')}
    <bpmn:endEvent id="reopened" name="已开阀" />
    ${failedBoundary('close_refused', 'close_valve')}
    ${failedBoundary('close_failed', 'close_delivery')}
    ${failedBoundary('open_refused', 'open_valve')}
    ${failedBoundary('open_failed', 'open_delivery')}
    ${flow('to_notice', 'case_opened', 'notice')}
    ${flow('to_grace', 'notice', 'grace')}
    ${flow('to_recheck', 'grace', 'recheck')}
    ${flow('to_still', 'recheck', 'still_in_arrears')}
    ${flow('to_approval', 'still_in_arrears', 'approval', '=inArrears = true')}
    ${flow('to_cancelled', 'still_in_arrears', 'cancelled')}
    ${flow('to_decide', 'approval', 'decide')}
    ${flow('to_decision', 'decide', 'decision')}
    ${flow('to_close', 'decision', 'close_valve', '=outcome = "close"')}
    ${flow('to_not_closed', 'decision', 'not_closed')}
    ${flow('to_close_wait', 'close_valve', 'close_wait')}
    ${flow('to_close_delivery', 'close_wait', 'close_delivery')}
    ${flow('to_close_delivered', 'close_delivery', 'close_delivered')}
    ${flow('to_closed', 'close_delivered', 'check_paid', '=delivery = "done"')}
    ${flow('to_close_poll', 'close_delivered', 'close_poll')}
    ${flow('close_poll_again', 'close_poll', 'close_wait')}
    ${flow('to_check_cleared', 'check_paid', 'check_cleared')}
    ${flow('to_paid', 'check_cleared', 'paid')}
    ${flow('paid_reopen', 'paid', 'reopen_mode', '=cleared = true')}
    ${flow('to_wait_cleared', 'paid', 'wait_cleared')}
    ${flow('to_arrears_cleared', 'wait_cleared', 'arrears_cleared')}
    ${flow('to_recheck_paid', 'wait_cleared', 'recheck_paid')}
    ${flow('recheck_paid_again', 'recheck_paid', 'check_paid')}
    ${flow('cleared_reopen', 'arrears_cleared', 'reopen_mode')}
    ${flow('to_auto_reopen', 'reopen_mode', 'reopen', '=autoReopen = true')}
    ${flow('to_confirm_reopen', 'reopen_mode', 'confirm_reopen')}
    ${flow('confirmed_reopen', 'confirm_reopen', 'reopen')}
    ${flow('to_open_valve', 'reopen', 'open_valve')}
    ${flow('to_open_wait', 'open_valve', 'open_wait')}
    ${flow('to_open_delivery', 'open_wait', 'open_delivery')}
    ${flow('to_open_delivered', 'open_delivery', 'open_delivered')}
    ${flow('to_reopened', 'open_delivered', 'reopened', '=delivery = "done"')}
    ${flow('to_open_poll', 'open_delivered', 'open_poll')}
    ${flow('open_poll_again', 'open_poll', 'open_wait')}
  </bpmn:process>`,
  `<bpmn:message id="arrears_cleared_message" name="${CLEARED_MESSAGE}"><bpmn:extensionElements><zeebe:subscription correlationKey="=accountKey" /></bpmn:extensionElements></bpmn:message>
  <bpmn:error id="valve_failed_error" name="阀门指令失败" errorCode="${VALVE_FAILED}" />`,
);

export const valveApprovalForm = {
  ...formHeader(VALVE_APPROVAL_FORM),
  components: [
    {
      type: 'text',
      id: 'valve_summary',
      text: [
        '### 欠费关阀审批 · Close the valve for arrears',
        '',
        '- 账户 Account: **{{accountNo}}** {{customerName}}',
        '- 欠费 Arrears: **{{arrearsYuan}}** 元（最早到期 oldest due {{oldestDueDate}}，逾期 {{daysOverdue}} 天 days overdue）',
        '- 关阀水表 Meters: {{meterNos}}',
        '- 已于宽限期（{{graceWords}}）前通知用户 The customer was notified before the grace period',
      ].join('\n'),
    },
    {
      type: 'radio',
      id: 'valve_decision',
      key: 'decision',
      label: '审批结论',
      values: [
        { label: '同意关阀', value: 'approve' },
        { label: '不同意', value: 'reject' },
      ],
      validate: { required: true },
    },
    { type: 'textarea', id: 'valve_note', key: 'note', label: '审批意见', validate: { maxLength: 500 } },
  ],
};

export const valveReopenForm = {
  ...formHeader(VALVE_REOPEN_FORM),
  components: [
    {
      type: 'text',
      id: 'reopen_summary',
      text: ['### 确认开阀 · Confirm reopening', '', '- 账户 Account: **{{accountNo}}** {{customerName}}', '- 欠费已缴清，确认后下发开阀指令 The arrears are paid; the valve opens once confirmed'].join('\n'),
    },
    { type: 'textarea', id: 'reopen_note', key: 'reopenNote', label: '备注', validate: { maxLength: 500 } },
  ],
};

export { APPROVER_GROUP };
