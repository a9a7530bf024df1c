import type { Reading, Rejection } from '@shuiyun/sdk';
import type { CodecRegistry } from '../codecs/codec-registry.js';
import type { DeviceIdentity } from '../devices.js';
import { ReadingBatcher, type BatcherOptions } from './reading-batcher.js';

/** A reading with the tenant it belongs to, as the analytics store takes it. */
export interface TenantReading {
  tenantId: number;
  tenantPath: string;
  reading: Reading;
}

export type IngestOutcome = { ok: true; readings: number } | Rejection;

export interface IngestionOptions {
  codecs: CodecRegistry;
  /** Writes one batch durably (the analytics store's insert). */
  sink: (rows: TenantReading[]) => Promise<void>;
  batching?: Partial<Omit<BatcherOptions<TenantReading>, 'sink'>>;
  /** Told about every refused payload, for per-device counters and alarms on tamper. */
  onRejected?: (device: DeviceIdentity, rejection: Rejection) => void;
  /** Told about every accepted payload (online state, last seen at `receivedAt`). */
  onAccepted?: (device: DeviceIdentity, readings: Reading[], receivedAt: Date) => void;
  /**
   * The meters behind a concentrator (集中器): the registered child of `gateway` with this key, or null.
   * Without it, a payload naming any device but its sender is refused.
   */
  childOf?: (gateway: DeviceIdentity, deviceKey: string) => Promise<DeviceIdentity | null>;
}

/**
 * Transport → codec → durable batch. The tenant of every reading is the authenticated device's, never
 * anything the payload says, and a payload that names another device is refused: a device cannot
 * write into another device's (or tenant's) readings, whatever topic or frame it forges. The one
 * exception is a concentrator (集抄), which reports for the meters registered behind it: their readings
 * go under each meter's own identity and tenant, and a meter not registered behind it is refused.
 */
export class IngestionPipeline {
  private readonly batcher: ReadingBatcher<TenantReading>;
  /** Refused payloads per device key and reason code, since start. */
  readonly rejections = new Map<string, Map<string, number>>();

  constructor(private readonly options: IngestionOptions) {
    this.batcher = new ReadingBatcher<TenantReading>({
      maxBatch: 5_000,
      maxDelayMs: 200,
      highWaterMark: 50_000,
      ...options.batching,
      sink: options.sink,
    });
  }

  get batcherStats() {
    return { ...this.batcher.stats, pending: this.batcher.pending };
  }

  /**
   * Decodes a payload from an authenticated device and resolves once its readings are durable.
   * A bad payload resolves with a Rejection (it is counted, and acknowledged so the device stops
   * resending it); only a store that cannot take the readings makes the promise reject.
   */
  async ingest(device: DeviceIdentity, payload: Uint8Array, receivedAt: Date): Promise<IngestOutcome> {
    const codec = this.options.codecs.get(device.codec);
    if (!codec) return this.reject(device, { ok: false, code: 'unknown_codec', reason: `no codec "${device.codec}" is installed` });
    let decoded;
    try {
      decoded = codec.decode(payload, { device: device.deviceKey, receivedAt, settings: device.codecSettings });
    } catch (error) {
      // The SDK contract says codecs never throw; a plugin that does must not take the pipeline down.
      return this.reject(device, { ok: false, code: 'codec_crashed', reason: error instanceof Error ? error.message : String(error) });
    }
    if (!decoded.ok) return this.reject(device, decoded);
    return this.accept(device, decoded.readings, receivedAt);
  }

  /**
   * Readings a transport decoded itself (a Modbus poll through its register map), from a device
   * the transport has identified. Same rules and the same durable batching as `ingest`: a reading
   * that names another device refuses the whole lot, and the promise resolves once all are durable.
   */
  ingestReadings(device: DeviceIdentity, readings: Reading[], receivedAt: Date): Promise<IngestOutcome> {
    return this.accept(device, readings, receivedAt);
  }

  /** Writes what is buffered; for shutdown and tests. */
  flush(): Promise<void> {
    return this.batcher.flush();
  }

  close(): Promise<void> {
    return this.batcher.close();
  }

  private async accept(device: DeviceIdentity, readings: Reading[], receivedAt: Date): Promise<IngestOutcome> {
    const byDevice = new Map<string, Reading[]>();
    for (const r of readings) byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
    const identities: [DeviceIdentity, Reading[]][] = [];
    for (const [key, own] of byDevice) {
      const identity = key === device.deviceKey ? device : await this.options.childOf?.(device, key);
      if (!identity) {
        return this.reject(device, { ok: false, code: 'device_mismatch', reason: `payload names device ${key}, sender is ${device.deviceKey}` });
      }
      identities.push([identity, own]);
    }
    await Promise.all(
      identities.flatMap(([identity, own]) =>
        own.map((reading) => this.batcher.push({ tenantId: identity.tenantId, tenantPath: identity.tenantPath, reading })),
      ),
    );
    for (const [identity, own] of identities) this.options.onAccepted?.(identity, own, receivedAt);
    return { ok: true, readings: readings.length };
  }

  private reject(device: DeviceIdentity, rejection: Rejection): Rejection {
    const perDevice = this.rejections.get(device.deviceKey) ?? new Map<string, number>();
    perDevice.set(rejection.code, (perDevice.get(rejection.code) ?? 0) + 1);
    this.rejections.set(device.deviceKey, perDevice);
    this.options.onRejected?.(device, rejection);
    return rejection;
  }
}
