export type { Reading, Rejection, Decoded, DecodeResult, DecodeContext, DeviceCodec, StandardMetric } from './iot.js';
export { metricUnits } from './iot.js';
export { BpmnError, defineWorker, defaultBackOffMs } from './workflow.js';
export type { JobContext, WorkerDefinition } from './workflow.js';
export { artifactCode, artifactKinds, contentMessage, entityContent, entityField, entityFieldTypes, formContent, pageContent, processContent } from './artifacts.js';
export type { ArtifactKind, EntityContent, EntityField, EntityFieldType, PageContent } from './artifacts.js';
export { definePack, PackManifestError, packId, supportsPlatform } from './pack.js';
export type { Pack, PackManifest, PackManifestInput, PackIssue, PackSeed, PackSeedContext, PackEntity, PackPage, Bilingual } from './pack.js';
