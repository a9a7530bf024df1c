export type { Reading, Rejection, Decoded, DecodeResult, DecodeContext, DeviceCodec, StandardMetric } from './iot.js';
export { metricUnits } from './iot.js';
export { BpmnError, defineWorker, defaultBackOffMs } from './workflow.js';
export type { JobContext, WorkerDefinition } from './workflow.js';
