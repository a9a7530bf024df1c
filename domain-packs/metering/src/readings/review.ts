/**
 * 读数复核: the review of a flagged reading. A reviewer (candidate group `metering-reviewer`) sees the
 * reading, its previous valid one and its violations, and decides: approve it, correct it (a new
 * reading replaces it), or estimate (估抄: the reading is rejected and an estimate from the household's
 * average stands instead). Plain BPMN with Zeebe extensions, so it runs on Zeebe as on the embedded engine.
 */
import { BpmnError, defineWorker, type JobContext, type PackServices, type PackTx, servicesOf } from '@shuiyun/sdk';
import { z } from 'zod';
import { daysBetween } from '../domain/index.js';
import { meterById } from './archive.js';
import { contextFor, toDate } from './context.js';
import { type ReadingRow, REVIEW_PROCESS } from './store.js';
import { parseLitres } from './values.js';

export const REVIEW_FORM = 'metering_review_form';
export const REVIEWER_GROUP = 'metering-reviewer';
export const APPLY_REVIEW = 'metering.apply-review';
export const outcomes = ['approve', 'correct', 'estimate'] as const;
export type Outcome = (typeof outcomes)[number];

const serviceTask = (outcome: Outcome, name: string) => `
    <bpmn:serviceTask id="apply_${outcome}" name="${name}">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="${APPLY_REVIEW}" retries="3" />
        <zeebe:taskHeaders>
          <zeebe:header key="outcome" value="${outcome}" />
        </zeebe:taskHeaders>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_${outcome}</bpmn:incoming>
      <bpmn:outgoing>flow_${outcome}_end</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end_${outcome}">
      <bpmn:incoming>flow_${outcome}_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_${outcome}" name="${outcome}" sourceRef="outcome_gateway" targetRef="apply_${outcome}">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=outcome = "${outcome}"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_${outcome}_end" sourceRef="apply_${outcome}" targetRef="end_${outcome}" />`;

const shape = (id: string, x: number, y: number, w: number, h: number) => `
      <bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"><dc:Bounds x="${x}" y="${y}" width="${w}" height="${h}" /></bpmndi:BPMNShape>`;
const edge = (id: string, points: [number, number][]) => `
      <bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}">${points.map(([x, y]) => `<di:waypoint x="${x}" y="${y}" />`).join('')}</bpmndi:BPMNEdge>`;

/** Each outcome's service task, its name and its row in the diagram (the gateway sits at y 225–275). */
const branches: { outcome: Outcome; name: string; y: number; from: [number, number] }[] = [
  { outcome: 'approve', name: '确认读数有效', y: 80, from: [420, 225] },
  { outcome: 'correct', name: '更正读数', y: 210, from: [445, 250] },
  { outcome: 'estimate', name: '估抄', y: 340, from: [420, 275] },
];

const diagram = [
  shape('start', 152, 232, 36, 36),
  shape('review', 240, 210, 100, 80),
  shape('outcome_gateway', 395, 225, 50, 50),
  edge('flow_start_review', [[188, 250], [240, 250]]),
  edge('flow_review_gateway', [[340, 250], [395, 250]]),
  ...branches.flatMap(({ outcome, y, from }) => [
    shape(`apply_${outcome}`, 500, y, 100, 80),
    shape(`end_${outcome}`, 662, y + 22, 36, 36),
    edge(`flow_${outcome}`, from[1] === y + 40 ? [from, [500, y + 40]] : [from, [420, y + 40], [500, y + 40]]),
    edge(`flow_${outcome}_end`, [[600, y + 40], [662, y + 40]]),
  ]),
].join('');

/** The `metering_review` process: start → review (user task) → outcome gateway → apply (service task) → end. */
export const reviewProcessXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_metering_review" targetNamespace="http://shuiyun.example/bpmn/metering" exporter="Shuiyun metering pack" exporterVersion="1.0.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="${REVIEW_PROCESS}" name="抄表复核" isExecutable="true">
    <bpmn:startEvent id="start" name="读数异常">
      <bpmn:outgoing>flow_start_review</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="review" name="复核读数">
      <bpmn:extensionElements>
        <zeebe:formDefinition formId="${REVIEW_FORM}" />
        <zeebe:assignmentDefinition candidateGroups="${REVIEWER_GROUP}" />
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start_review</bpmn:incoming>
      <bpmn:outgoing>flow_review_gateway</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="outcome_gateway" name="复核结论">
      <bpmn:incoming>flow_review_gateway</bpmn:incoming>
      <bpmn:outgoing>flow_approve</bpmn:outgoing>
      <bpmn:outgoing>flow_correct</bpmn:outgoing>
      <bpmn:outgoing>flow_estimate</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="flow_start_review" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="flow_review_gateway" sourceRef="review" targetRef="outcome_gateway" />${branches.map((b) => serviceTask(b.outcome, b.name)).join('')}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_metering_review">
    <bpmndi:BPMNPlane id="BPMNPlane_metering_review" bpmnElement="${REVIEW_PROCESS}">${diagram}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;

/** The reviewer's form (form-js, schemaVersion 16): the reading in a text view, the outcome, a corrected value, a comment. */
export const reviewForm = {
  type: 'default',
  id: REVIEW_FORM,
  schemaVersion: 16,
  executionPlatform: 'Camunda Cloud',
  executionPlatformVersion: '8.6.0',
  exporter: { name: 'Shuiyun metering pack', version: '1.0.0' },
  components: [
    {
      type: 'text',
      id: 'review_summary',
      text: [
        '### 抄表复核 · Reading review',
        '',
        '- 表号 Meter: **{{meterNo}}**',
        '- 抄表时间 Read at: {{readAtLocal}}',
        '- 本次读数 Reading: **{{valueL}}** 升 L',
        '- 上次有效读数 Previous: {{previousL}} 升 L（{{previousAt}}）',
        '- 日均用量 Average per day: {{averageDailyL}} 升 L',
        '- 异常 Violations: {{violationText}}',
      ].join('\n'),
    },
    {
      type: 'radio',
      id: 'review_outcome',
      key: 'outcome',
      label: '复核结论',
      values: [
        { label: '读数有效（通过）', value: 'approve' },
        { label: '更正读数', value: 'correct' },
        { label: '估抄（按日均用量估算）', value: 'estimate' },
      ],
      validate: { required: true },
    },
    {
      type: 'number',
      id: 'review_corrected',
      key: 'correctedL',
      label: '更正后读数（升）',
      decimalDigits: 0,
      serializeToString: true,
      validate: { required: true, min: 0 },
      conditional: { hide: '=outcome != "correct"' },
    },
    {
      type: 'textarea',
      id: 'review_comment',
      key: 'comment',
      label: '复核意见',
      validate: { maxLength: 500 },
    },
  ],
};

const idVariable = z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,17}$/)]).transform((v) => BigInt(v));

export const applyReviewInput = z.object({
  readingId: idVariable,
  outcome: z.enum(outcomes),
  correctedL: z.union([z.string(), z.number()]).nullish(),
  comment: z.string().max(2_000).nullish(),
});

export const applyReviewOutput = z.object({
  /** The reviewed reading's status afterwards: valid, replaced or rejected. */
  readingStatus: z.string(),
  /** The reading that stands: the reviewed one (approve), the correction or the estimate. */
  resultReadingId: z.number().int(),
  resultValueL: z.string(),
});

type ApplyResult = z.input<typeof applyReviewOutput>;

const result = (status: string, row: Pick<ReadingRow, 'id' | 'value_l'>): ApplyResult => ({ readingStatus: status, resultReadingId: Number(row.id), resultValueL: row.value_l });

/** What stands after a review that already happened (a redelivered job, or a reading resolved another way). */
async function resolved(tx: PackTx, tenantId: number, reading: ReadingRow): Promise<ApplyResult> {
  const [replacement] = await tx.query<ReadingRow>(
    `select * from pack_metering.readings where tenant_id = $1 and replaces_id = $2::bigint order by id desc limit 1`,
    [tenantId, reading.id],
  );
  return result(reading.status, replacement ?? reading);
}

async function insertReplacement(tx: PackTx, services: PackServices, old: ReadingRow, source: 'correction' | 'estimate', valueL: bigint, note: string | null): Promise<ReadingRow> {
  const [row] = await tx.query<ReadingRow>(
    `insert into pack_metering.readings (tenant_id, tenant_path, meter_id, read_at, value_l, source, status, replaces_id, review_instance, note)
     values ($1, $2::ltree, $3::bigint, $4, $5::bigint, $6, 'valid', $7::bigint, $8, $9) returning *`,
    [services.tenant.id, services.tenant.path, old.meter_id, toDate(old.read_at), valueL, source, old.id, old.review_instance, note],
  );
  await tx.query(`update pack_metering.readings set status = $1 where id = $2::bigint`, [source === 'correction' ? 'replaced' : 'rejected', old.id]);
  return row!;
}

/**
 * Applies a reviewer's decision to a reading, once: the reading row is locked, and a reading no longer in
 * review answers what its review left standing, so a redelivered job creates no second correction.
 */
export async function applyReview(tx: PackTx, services: PackServices, input: { readingId: bigint; outcome: Outcome; correctedL?: string | number | null | undefined; comment?: string | null | undefined }, instanceId?: string): Promise<ApplyResult> {
  const tenantId = services.tenant.id;
  const find = (lock: boolean) =>
    tx.query<ReadingRow>(`select * from pack_metering.readings where id = $1::bigint and tenant_id = $2${lock ? ' for update' : ''}`, [input.readingId.toString(), tenantId]);
  const [found] = await find(false);
  if (!found) throw new BpmnError('reading_not_found', `no reading ${input.readingId} in this tenant`);
  // The meter first, then the reading: the order a hand reading or an import takes its locks in.
  const meter = await meterById(tx, tenantId, BigInt(found.meter_id), true);
  if (!meter) throw new BpmnError('meter_not_found', `no meter ${found.meter_id} in this tenant`);
  const [reading] = await find(true);
  if (!reading) throw new BpmnError('reading_not_found', `no reading ${input.readingId} in this tenant`);
  if (instanceId !== undefined && reading.review_instance !== null && reading.review_instance !== instanceId) {
    throw new BpmnError('not_this_review', `reading ${reading.id} is reviewed by instance ${reading.review_instance}, not ${instanceId}`);
  }
  if (reading.status !== 'review') return resolved(tx, tenantId, reading);
  const comment = input.comment?.trim() ? input.comment.trim() : null;

  if (input.outcome === 'approve') {
    const [row] = await tx.query<ReadingRow>(`update pack_metering.readings set status = 'valid' where id = $1::bigint returning *`, [reading.id]);
    return result('valid', row!);
  }
  if (input.outcome === 'correct') {
    const corrected = parseLitres(input.correctedL);
    if (!corrected.ok) throw new BpmnError('invalid_correction', `correctedL: ${corrected.code} ${corrected.text}`);
    const row = await insertReplacement(tx, services, reading, 'correction', corrected.value, comment);
    return result('replaced', row);
  }
  // 估抄: the previous valid state of the register plus the household's average daily use over the days since.
  const at = toDate(reading.read_at);
  const context = await contextFor(tx, services, meter, at);
  if (!context.previous) throw new BpmnError('no_estimate_basis', `meter ${meter.meterNo} has no valid reading before ${at.toISOString()} to estimate from`);
  const estimated = estimateL(context.previous.valueL, context.previous.at, at, context.averageDailyL, context.capacityL, services.tenant.timeZone);
  const row = await insertReplacement(tx, services, reading, 'estimate', estimated, comment);
  return result('rejected', row);
}

/**
 * An estimated register value (估抄): base + averageDailyL × whole local days from the base to `at`
 * (the domain's `daysBetween`), wrapped at the register capacity; the base itself without an average.
 */
export function estimateL(baseL: bigint, baseAt: Date, at: Date, averageDailyL: bigint | null, capacityL: bigint | null, timeZone: string): bigint {
  const days = BigInt(daysBetween(baseAt, at, timeZone));
  const value = baseL + (averageDailyL ?? 0n) * days;
  return capacityL !== null && capacityL > 0n ? value % capacityL : value;
}

export const applyReviewWorker = defineWorker({
  type: APPLY_REVIEW,
  title: { 'zh-CN': '执行抄表复核结论', en: 'Apply a reading review' },
  description: { 'zh-CN': '按复核结论确认、更正或估抄读数（重复投递不会重复更正）', en: 'Approves, corrects or estimates the reviewed reading (a redelivered job changes nothing twice)' },
  input: applyReviewInput,
  output: applyReviewOutput,
  handler: async (input, job: JobContext) => {
    const services = servicesOf(job);
    // The flow the gateway took names the outcome; the variable is the reviewer's choice that chose it.
    const header = job.headers.outcome;
    const outcome = (outcomes as readonly string[]).includes(header ?? '') ? (header as Outcome) : input.outcome;
    return services.transaction((tx) => applyReview(tx, services, { ...input, outcome }, job.instanceId));
  },
});

export const reviewProcess = { code: REVIEW_PROCESS, name: '抄表复核', xml: reviewProcessXml };
export const reviewFormArtifact = { code: REVIEW_FORM, name: '抄表复核单', schema: reviewForm };
