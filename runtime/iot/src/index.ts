export { ReadingBatcher, BatcherClosedError, type BatcherOptions } from './pipeline/reading-batcher.js';
export { IngestionPipeline, type IngestionOptions, type IngestOutcome, type TenantReading } from './pipeline/ingestion.js';
export { CodecRegistry } from './codecs/codec-registry.js';
export type { DeviceDirectory, DeviceIdentity } from './devices.js';
export { EmbeddedMqttBroker, type EmbeddedBrokerOptions } from './transports/mqtt/embedded-broker.js';
export { uplinkTopic, downlinkTopic } from './transports/mqtt/topics.js';
export { parseCtwingPush, type CtwingMessage, type CtwingPush } from './transports/http-push/ctwing.js';
export { parseOneNetPush, verifyOneNetUrl, oneNetSignature, type OneNetMessage, type OneNetPush, type OneNetSecrets } from './transports/http-push/onenet.js';
export { createCtwingCommand, ctwingSignature, CTWING_API_URL, type CtwingApiCredentials, type CtwingCommand } from './transports/http-push/ctwing-command-api.js';
export { createOneNetCommand, oneNetAuthorization, ONENET_API_URL, type OneNetApiCredentials, type OneNetCommand } from './transports/http-push/onenet-command-api.js';
export type { PlatformCall, PlatformCallOptions } from './transports/http-push/platform-call.js';
export {
  ModbusPoller,
  type ModbusDevice,
  type ModbusPollerOptions,
  type PollOutcome,
  type WriteOutcome,
  type DevicePollStatus,
} from './transports/modbus/modbus-poller.js';
export { resolveWrite, encodeWritePdu, decodeWritePdu, type ModbusWrite, type ResolvedWrite } from './transports/modbus/write-request.js';
export {
  parseRegisterMap,
  RegisterMapError,
  registerUnits,
  type RegisterMap,
  type RegisterMapDefinition,
  type RegisterEntry,
  type RegisterMapIssue,
  type RegisterWrite,
  type RegisterWriteDefinition,
  type ModbusFunction,
  type RegisterType,
} from './transports/modbus/register-map.js';
export { planReads, type RegisterRead } from './transports/modbus/read-plan.js';
export { CoapTransport, type CoapTransportOptions, type CoapDownlink } from './transports/coap/coap-transport.js';
export { RulesEngine, RulesSnapshotError, RuleConfigError, ruleConfig, ruleSet, parseRuleSet, severities } from './rules/index.js';
export type { RuleSubject, RulesEngineOptions, RulesEngineStats, RulesEngineSnapshot, RuleConfig, RuleConfigInput, RuleKindId, RuleScope, AlarmSignal, AlarmRaise, AlarmClear, AlarmDetail, Severity } from './rules/index.js';
export { ExternalMqttBroker, type ExternalBrokerOptions, type ExternalBrokerEvent, type ExternalBrokerStats } from './transports/mqtt/external-broker.js';
export {
  DynsecClient,
  DynsecProvisioner,
  DynsecUnavailableError,
  DynsecTimeoutError,
  DynsecCommandError,
  expectAnswered,
  deviceRoleName,
  DEVICE_ROLE,
  DYNSEC_TOPIC,
  DYNSEC_RESPONSE_TOPIC,
  type DynsecClientOptions,
  type DynsecClientEvent,
  type DynsecCommand,
  type DynsecResult,
  type DynsecAcl,
  type DynsecRoleRef,
  type DeviceAccount,
  type DeviceAccountSpec,
  type PutAccountOutcome,
  type RemoveAccountOutcome,
} from './transports/mqtt/dynsec.js';
