export { ReadingBatcher, BatcherClosedError, type BatcherOptions } from './pipeline/reading-batcher.js';
export { IngestionPipeline, type IngestionOptions, type IngestOutcome, type TenantReading } from './pipeline/ingestion.js';
export { CodecRegistry } from './codecs/codec-registry.js';
export type { DeviceDirectory, DeviceIdentity } from './devices.js';
export { EmbeddedMqttBroker, type EmbeddedBrokerOptions } from './transports/mqtt/embedded-broker.js';
export { uplinkTopic, downlinkTopic } from './transports/mqtt/topics.js';
export { parseCtwingPush, type CtwingMessage, type CtwingPush } from './transports/http-push/ctwing.js';
export { parseOneNetPush, verifyOneNetUrl, oneNetSignature, type OneNetMessage, type OneNetPush, type OneNetSecrets } from './transports/http-push/onenet.js';
