import type { AnalyticsStore } from '@shuiyun/analytics';
import { cjt188Codec } from '@shuiyun/codec-cjt188';
import { jsonThingModelCodec } from '@shuiyun/codec-json';
import type { Db } from '@shuiyun/db';
import { CodecRegistry, type DeviceDirectory, EmbeddedMqttBroker, IngestionPipeline } from '@shuiyun/iot';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { deviceDirectory } from '../devices/index.js';
import { SeenTracker } from './seen-tracker.js';

export interface IotOptions {
  db: Db;
  analytics: AnalyticsStore;
  logger: Logger;
  metrics: Registry;
}

/** The runtime's ingestion: registry-backed device directory, codecs, pipeline into the analytics store. */
export class IotRuntime {
  readonly directory: DeviceDirectory;
  readonly pipeline: IngestionPipeline;
  private readonly seen: SeenTracker;
  private broker: EmbeddedMqttBroker | undefined;

  constructor(private readonly options: IotOptions) {
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
    this.directory = deviceDirectory(options.db);
    this.seen = new SeenTracker(options.db, options.logger);
    this.pipeline = new IngestionPipeline({
      codecs: new CodecRegistry([cjt188Codec, jsonThingModelCodec]),
      sink: async (rows) => {
        await options.analytics.insertReadings(rows);
      },
      batching: {
        onWriteError: (err, size) => options.logger.error({ err, size }, 'writing readings failed; the batch is kept and retried'),
      },
      onAccepted: (device, readings) => {
        accepted.inc({ codec: device.codec });
        const newest = readings.reduce((a, r) => (r.at > a ? r.at : a), readings[0]!.at);
        // A device clock far in the future must not make it look online for ever.
        this.seen.record(device.deviceId, newest.getTime() > Date.now() ? new Date() : newest);
      },
      onRejected: (device, rejection) => {
        rejected.inc({ codec: device.codec, code: rejection.code });
        options.logger.warn({ device: device.deviceKey, code: rejection.code, reason: rejection.reason }, 'device message refused');
      },
    });
  }

  private readonly refused: Counter;

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
    });
    return this.broker;
  }

  /** Stops taking messages, writes what is buffered, records contact. */
  async close(): Promise<void> {
    await this.broker?.close();
    await this.pipeline.close();
    await this.seen.close();
  }

  /** For tests and shutdown: everything accepted so far is durable and recorded. */
  async settle(): Promise<void> {
    await this.pipeline.flush();
    await this.seen.flush();
  }
}
