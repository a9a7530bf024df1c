import type { AnalyticsStore } from '@shuiyun/analytics';
import { cjt188Codec } from '@shuiyun/codec-cjt188';
import { jsonThingModelCodec } from '@shuiyun/codec-json';
import { asSystem, type Database, type Db } from '@shuiyun/db';
import { CodecRegistry, type DeviceDirectory, type DeviceIdentity, EmbeddedMqttBroker, ExternalMqttBroker, IngestionPipeline } from '@shuiyun/iot';
import { CoapTransport } from '@shuiyun/iot';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { deviceDirectory, markOffline } from '../devices/index.js';
import { AlarmBook } from './alarm-book.js';
import { BrokerCredentials, type BrokerCredentialsOptions } from './broker-credentials.js';
import { DeviceCommands } from './device-commands.js';
import { ExpiringCache } from './expiring-cache.js';
import { ModbusPolling, type ModbusPollingOptions } from './modbus-polling.js';
import { ObservedPipeline } from './observed-pipeline.js';
import { type PlatformApiUrls, PlatformCommands } from './platform-commands.js';
import { PlatformDeviceBook } from './platform-devices.js';
import { SeenTracker } from './seen-tracker.js';

export interface IotOptions {
  db: Db;
  analytics: AnalyticsStore;
  logger: Logger;
  metrics: Registry;
  /** Where the NB-IoT platforms' command APIs are; their public addresses when unset. */
  platformApi?: PlatformApiUrls | undefined;
}

/** The runtime's ingestion: registry-backed device directory, codecs, pipeline into the analytics store. */
export class IotRuntime {
  readonly directory: DeviceDirectory;
  readonly pipeline: IngestionPipeline;
  /** The codecs products may name: the platform's, and those the packs bring (registered when a pack is deployed). */
  readonly codecs = new CodecRegistry([cjt188Codec, jsonThingModelCodec]);
  private readonly seen: SeenTracker;
  /** Concentrators' meters by key, so a concentrator's every report does not ask the database again. */
  private readonly children = new ExpiringCache<DeviceIdentity | null>(60_000, 10_000);
  private broker: EmbeddedMqttBroker | undefined;
  private coap: CoapTransport | undefined;
  /** How the NB-IoT platforms name the devices that report through them (for commands through their APIs). */
  readonly platformDevices: PlatformDeviceBook;
  private externalBroker: ExternalMqttBroker | undefined;
  private credentials: BrokerCredentials | undefined;
  /** Downlink commands: delivery over whichever MQTT transport runs, replies, expiry. */
  readonly commands: DeviceCommands;
  private polling: ModbusPolling | undefined;

  /** Opens the runtime's ingestion with its alarm book (rules state restored from the database). */
  static async create(options: IotOptions & { alarmTickMs?: number; commandSweepMs?: number }): Promise<IotRuntime> {
    const alarms = await AlarmBook.open(options.db, options.logger, { tickMs: options.alarmTickMs });
    return new IotRuntime(options, alarms, options.commandSweepMs);
  }

  private constructor(
    private readonly options: IotOptions,
    /** Readings → rules → alarms; subscribe here to hear about raised and cleared alarms. */
    readonly alarms: AlarmBook,
    commandSweepMs?: number,
  ) {
    const accepted = new Counter({
      name: 'shuiyun_iot_messages_accepted_total',
      help: 'Device messages whose readings are durable',
      labelNames: ['codec'] as const,
      registers: [options.metrics],
    });
    const rejected = new Counter({
      name: 'shuiyun_iot_messages_rejected_total',
      help: 'Device messages refused by a codec or the pipeline, by reason',
      labelNames: ['codec', 'code'] as const,
      registers: [options.metrics],
    });
    const refused = new Counter({
      name: 'shuiyun_iot_connections_refused_total',
      help: 'Device connections, publishes and subscriptions the broker refused',
      registers: [options.metrics],
    });
    this.refused = refused;
    const directory = deviceDirectory(options.db);
    this.directory = directory;
    this.platformDevices = new PlatformDeviceBook(options.db);
    this.seen = new SeenTracker(options.db, options.logger);
    const childOf = (gateway: DeviceIdentity, key: string) => this.children.lookup(gateway.deviceId, key, () => directory.childOf(gateway, key));
    this.commands = new DeviceCommands({
      db: options.db,
      logger: options.logger,
      transport: { canReach: (key) => this.canReachDownlink(key), send: (key, payload) => this.sendDownlink(key, payload) },
      childOf,
      sweepMs: commandSweepMs,
      platform: new PlatformCommands({ db: options.db, logger: options.logger, urls: options.platformApi }),
      modbus: {
        canReach: (deviceId) => this.modbus?.canReach(deviceId) ?? false,
        execute: (deviceId, payload) =>
          this.modbus?.execute(deviceId, payload) ?? Promise.resolve({ ok: false, reason: 'Modbus polling does not run on this node', unreachable: true }),
      },
    });
    this.pipeline = new ObservedPipeline({
      codecs: this.codecs,
      sink: async (rows) => {
        await options.analytics.insertReadings(rows);
      },
      batching: {
        onWriteError: (err, size) => options.logger.error({ err, size }, 'writing readings failed; the batch is kept and retried'),
      },
      childOf,
      onAccepted: (device, readings, receivedAt) => {
        accepted.inc({ codec: device.codec });
        alarms.onReadings(device, readings, receivedAt);
        const newest = readings.reduce((a, r) => (r.at > a ? r.at : a), readings[0]!.at);
        // A device clock far in the future must not make it look online for ever.
        this.seen.record(device.deviceId, newest.getTime() > Date.now() ? new Date() : newest);
      },
      onRejected: (device, rejection) => {
        rejected.inc({ codec: device.codec, code: rejection.code });
        options.logger.warn({ device: device.deviceKey, code: rejection.code, reason: rejection.reason }, 'device message refused');
      },
    }, (device, payload) => this.commands.onUplink(device, payload));
  }

  private readonly refused: Counter;

  /**
   * Starts polling the Modbus TCP devices (on PostgreSQL only on the one node holding the polling lock; the
   * others stand by). Poll readings pass the same pipeline as MQTT reports; a device that answers is online,
   * one that stops answering is marked offline, and its waiting commands go out when it answers again.
   */
  async startModbus(database: Database, options: Partial<Pick<ModbusPollingOptions, 'reloadMs' | 'timeoutMs' | 'offlineAfterFailures'>> = {}): Promise<ModbusPolling> {
    if (this.polling) throw new Error('Modbus polling already runs');
    const { logger } = this.options;
    this.polling = await ModbusPolling.start({
      ...options,
      database,
      pipeline: this.pipeline,
      logger,
      metrics: this.options.metrics,
      onOnline: (device, at) => {
        this.seen.record(device.deviceId, at);
        void this.commands.listening(device);
      },
      onOffline: async (device, at) => {
        // Contact recorded before the outage is written first, or its late write would bring the device back online.
        await this.seen.flush();
        await asSystem(this.options.db, (tx) => markOffline(tx, device.deviceId, at));
      },
    });
    return this.polling;
  }

  /** Modbus TCP polling, once started (startModbus): undefined when it is off on this node. */
  get modbus(): ModbusPolling | undefined {
    return this.polling;
  }

  /**
   * Starts the CoAP transport NB-IoT meters report to (POST /devices/{key}/up?token=…) and fetch their
   * commands from (GET /devices/{key}/down?token=…): uplinks pass the same pipeline as MQTT's, command
   * replies included; commands of devices on `coap` products wait for the device to fetch them.
   */
  async startCoap(port: number, host?: string): Promise<CoapTransport> {
    if (this.coap) throw new Error('the CoAP transport already runs');
    const { logger, metrics } = this.options;
    const refused =
      (metrics.getSingleMetric('shuiyun_iot_coap_refused_total') as Counter<'code'> | undefined) ??
      new Counter({
        name: 'shuiyun_iot_coap_refused_total',
        help: 'CoAP requests from devices answered with an error, by reason (bad credentials, refused payload, store unavailable…)',
        labelNames: ['code'] as const,
        registers: [metrics],
      });
    this.coap = await CoapTransport.start({
      port,
      host,
      devices: this.directory,
      pipeline: this.pipeline,
      downlink: {
        pending: (device) => this.commands.waiting(device),
        takeNext: async (device) => (await this.commands.takeNext(device))?.payload ?? null,
      },
      onRefused: (what) => {
        refused.inc({ code: what.code });
        logger.warn(what, 'CoAP request refused');
      },
      onError: (err) => logger.error({ err }, 'CoAP transport error'),
    });
    return this.coap;
  }

  /** Starts the embedded MQTT broker devices connect to. */
  async startMqtt(port: number, host?: string): Promise<EmbeddedMqttBroker> {
    this.broker = await EmbeddedMqttBroker.start({
      port,
      host,
      devices: this.directory,
      pipeline: this.pipeline,
      onRefused: (what) => {
        this.refused.inc();
        this.options.logger.warn(what, 'MQTT request refused');
      },
      onListening: (device) => {
        void this.commands.listening(device);
      },
    });
    return this.broker;
  }

  /**
   * Whether a downlink to this device key can go out now: on the embedded broker, a connection of the device
   * holds its downlink subscription; through an external broker, the runtime's client is connected (the
   * broker keeps QoS 1 downlinks for the device's persistent session).
   */
  canReachDownlink(deviceKey: string): boolean {
    if (this.broker) return this.broker.isListening(deviceKey);
    return this.externalBroker?.connected ?? false;
  }

  /** Publishes a downlink (QoS 1) through whichever MQTT transport runs; false when none can deliver it now. */
  async sendDownlink(deviceKey: string, payload: Uint8Array): Promise<boolean> {
    if (!this.canReachDownlink(deviceKey)) return false;
    if (this.broker) await this.broker.sendDownlink(deviceKey, payload);
    else await this.externalBroker!.sendDownlink(deviceKey, payload);
    return true;
  }

  /**
   * Takes uplinks from an external broker (Mosquitto, EMQX) instead of running the embedded one: the
   * broker authenticates devices and confines them to their topics; this node subscribes to its
   * shared group and acknowledges each uplink once it is durable (see ExternalMqttBroker).
   */
  async connectMqtt(url: string, options: { username?: string | undefined; password?: string | undefined; clientId: string; sharedGroup: string }): Promise<ExternalMqttBroker> {
    if (this.externalBroker) throw new Error('already connected to an external MQTT broker');
    const { logger, metrics } = this.options;
    // Found rather than created on a second call (after a failed first one): a registry takes a name once.
    const counter = (name: string, help: string) => (metrics.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, registers: [metrics] });
    const unidentified = counter(
      'shuiyun_iot_mqtt_unidentified_total',
      'Uplinks from the external broker whose topic names no device the registry can attribute (unknown, retired, or a key two tenants share); acknowledged, not stored',
    );
    const withheld = counter(
      'shuiyun_iot_mqtt_not_acknowledged_total',
      'Uplinks from the external broker left unacknowledged because the registry or the store failed; the broker resends them',
    );
    this.externalBroker = await ExternalMqttBroker.connect({
      url,
      ...options,
      devices: this.directory,
      pipeline: this.pipeline,
      onEvent: (event) => {
        switch (event.type) {
          case 'connected':
            return logger.info({ clientId: options.clientId, sessionPresent: event.sessionPresent }, 'connected to the MQTT broker');
          case 'disconnected':
            return logger.warn({ clientId: options.clientId }, 'lost the MQTT broker');
          case 'reconnecting':
            return logger.info({ delayMs: event.delayMs }, 'reconnecting to the MQTT broker');
          case 'unidentified':
            unidentified.inc();
            return logger.warn({ topic: event.topic, device: event.deviceKey }, 'uplink from a device the registry cannot attribute; acknowledged, not stored');
          case 'not_acknowledged':
            withheld.inc();
            return logger.error({ err: event.error, topic: event.topic }, 'uplink not acknowledged; reconnecting so the broker resends it');
          case 'error':
            return logger.error({ err: event.error }, 'MQTT client error');
        }
      },
    });
    return this.externalBroker;
  }

  /**
   * Gives the external broker the devices' credentials as the registry issues them, through Mosquitto's
   * dynamic-security plugin with its admin account (see BrokerCredentials). Resolves once connected and the
   * device role is in place; refused admin credentials fail it.
   */
  async provisionBrokerCredentials(
    url: string,
    options: Pick<BrokerCredentialsOptions, 'username' | 'password' | 'clientId' | 'issueWaitMs' | 'retryDelay' | 'reconnectPeriodMs' | 'timeoutMs'>,
  ): Promise<BrokerCredentials> {
    if (this.credentials) throw new Error('broker credentials are already provisioned by this runtime');
    const { db, logger, metrics } = this.options;
    this.credentials = await BrokerCredentials.start({ ...options, url, db, logger, metrics });
    return this.credentials;
  }

  /** Device credentials on the external broker, when this runtime provisions them (provisionBrokerCredentials). */
  get brokerCredentials(): BrokerCredentials | undefined {
    return this.credentials;
  }

  /** Stops taking messages, writes what is buffered, records contact. */
  async close(): Promise<void> {
    await this.credentials?.close();
    await this.commands.close();
    await this.modbus?.close();
    await this.externalBroker?.close();
    await this.broker?.close();
    await this.coap?.close();
    await this.pipeline.close();
    await this.seen.close();
    await this.alarms.close();
  }

  /** For tests and shutdown: everything accepted so far is durable and recorded. */
  async settle(): Promise<void> {
    await this.pipeline.flush();
    await this.modbus?.settled();
    await this.seen.flush();
    await this.alarms.settled();
  }
}
