import { asSystem, type Database, devices, type ModbusConnection, products, type SessionLock } from '@shuiyun/db';
import {
  decodeWritePdu,
  type DevicePollStatus,
  type IngestionPipeline,
  ModbusPoller,
  type PollOutcome,
  type RegisterMapDefinition,
  type RegisterRead,
  RegisterMapError,
  type WriteOutcome,
} from '@shuiyun/iot';
import { and, eq, isNotNull, ne } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RegisteredDevice } from '../devices/index.js';
import { MODBUS_CODEC } from '../devices/modbus-settings.js';

/** pg_advisory_lock key of the one runtime node that polls (next to the migrations' 7 204 311). */
export const MODBUS_POLLING_LOCK = 7_204_312;
/** Told by a trigger (migration 0016) whenever devices or products change what the poller reads. */
export const DEVICE_REGISTRY_CHANNEL = 'shuiyun_device_registry';

/** A device of a polled product, as the poller needs it. */
export interface ModbusDeviceRow extends RegisteredDevice {
  connection: ModbusConnection;
}

export interface ModbusPollingOptions {
  database: Database;
  /** Where each poll's readings go: the same pipeline (store, rules, alarms, contact) as MQTT readings. */
  pipeline: Pick<IngestionPipeline, 'ingestReadings'>;
  logger: Logger;
  /** A device answered: on its first answer and again after an outage. */
  onOnline?: (device: ModbusDeviceRow, at: Date) => void;
  /** A device did not answer `offlineAfterFailures` polls in a row. */
  onOffline?: (device: ModbusDeviceRow, at: Date, cause: Error) => Promise<void> | void;
  /** The device set is read again this often (and at once when the registry says it changed). Default 30 s. */
  reloadMs?: number;
  /** Connect and response timeout of one request. Default 2 s. */
  timeoutMs?: number;
  /** Unanswered polls in a row before a device is offline. Default 3. */
  offlineAfterFailures?: number;
  /** Where the polling counters go (`/metrics`). */
  metrics?: Registry;
}

export interface ModbusDeviceStatus extends DevicePollStatus {
  /** The requests one poll makes (function, first address, count). */
  reads: { function: RegisterRead['function']; address: number; length: number }[];
}

export type ModbusCommandOutcome = { ok: true; detail: Record<string, unknown> } | { ok: false; reason: string; unreachable: boolean };

interface Polled {
  row: ModbusDeviceRow;
  /** What the poller was built from: a change rebuilds it, anything else leaves it (and its schedule) alone. */
  signature: string;
  poller: ModbusPoller | undefined;
  /** Why the device is not polled (its product's map no longer parses). */
  broken: string | undefined;
}

const signatureOf = (row: ModbusDeviceRow) =>
  JSON.stringify([row.deviceKey, row.tenantId, row.tenantPath, row.productId, row.productKey, row.connection, row.codecSettings.registerMap ?? null]);

/** Exception codes of the Modbus Application Protocol (V1.1b3 §7), for command failure reasons a person can read. */
const exceptionNames: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/**
 * Modbus TCP polling as a transport of the runtime: every non-retired device of a polled product (codec
 * `modbus`, see devices/modbus-settings.ts) is read on its own interval through its product's register map,
 * and each poll's readings go into the ingestion pipeline like any MQTT report. One poller per device (its
 * own connection and schedule), keyed by device id: device keys are unique per tenant only.
 *
 * With several runtime nodes on one PostgreSQL only one may poll, or every meter would be read (and its
 * valve written) once per node: the node holding a session-level advisory lock polls; the others try to
 * take it on every reload and take over within one reload interval when the holder goes away. On PGlite
 * one process owns the database and simply polls.
 *
 * The device set follows the registry: `reload()` reads it, and rebuilds only the devices whose connection,
 * key, tenant or product map changed; it runs on a timer and right after the registry announces a change.
 */
export class ModbusPolling {
  private readonly polled = new Map<number, Polled>();
  private lock: SessionLock | null = null;
  private readonly timer: NodeJS.Timeout;
  private pending: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  /** Offline reports being written, awaited by settled() and close(). */
  private readonly reporting = new Set<Promise<void>>();
  private closed = false;
  private readonly polls: Counter<'outcome'> | undefined;

  static async start(options: ModbusPollingOptions): Promise<ModbusPolling> {
    const polling = new ModbusPolling(options);
    await options.database.subscribe(DEVICE_REGISTRY_CHANNEL, () => polling.reloadSoon());
    // While the listening connection was down, a change may have gone by unheard.
    options.database.onReconnect(() => polling.reloadSoon());
    await polling.reload();
    return polling;
  }

  private constructor(private readonly options: ModbusPollingOptions) {
    this.timer = setInterval(() => void this.reload(), options.reloadMs ?? 30_000);
    this.timer.unref();
    const { metrics } = options;
    if (metrics) {
      // Found rather than created when polling starts again in the same process: a registry takes a name once.
      this.polls =
        (metrics.getSingleMetric('shuiyun_iot_modbus_polls_total') as Counter<'outcome'> | undefined) ??
        new Counter({ name: 'shuiyun_iot_modbus_polls_total', help: 'Modbus polls by outcome: read (readings stored) or failed (no answer, an exception, or a store that refused)', labelNames: ['outcome'], registers: [metrics] });
      // Read at scrape time from this polling, replacing one a closed polling left behind.
      metrics.removeSingleMetric('shuiyun_iot_modbus_devices');
      const polled = () => (this.closed ? 0 : this.deviceCount);
      new Gauge({
        name: 'shuiyun_iot_modbus_devices',
        help: 'Modbus devices this node polls (0 on a node that stands by)',
        registers: [metrics],
        collect() {
          this.set(polled());
        },
      });
    }
  }

  /** True while this node holds the polling lock (always on PGlite). */
  get leading(): boolean {
    return this.lock !== null;
  }

  /** Devices this node polls now. */
  get deviceCount(): number {
    return [...this.polled.values()].filter((p) => p.poller).length;
  }

  /**
   * Brings the polled devices in line with the registry (and takes the polling lock if it is free).
   * Reloads run one after the other; a failing one is logged and the next tries again.
   */
  reload(): Promise<void> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run.catch((err: unknown) => this.options.logger.error({ err }, 'reloading the Modbus devices failed'));
    return this.reloading;
  }

  /** Status of a device this node polls; undefined when it does not poll it. */
  status(deviceId: number): ModbusDeviceStatus | undefined {
    const entry = this.polled.get(deviceId);
    if (!entry) return undefined;
    if (!entry.poller) {
      return { online: undefined, consecutiveFailures: 0, polls: 0, lastPolledAt: undefined, lastAnsweredAt: undefined, lastError: entry.broken, reads: [] };
    }
    const status = entry.poller.status(entry.row.deviceKey)!;
    const reads = (entry.poller.plannedReads(entry.row.deviceKey) ?? []).map((r) => ({ function: r.function, address: r.address, length: r.length }));
    return { ...status, reads };
  }

  /** Polls a device now, in turn with its scheduled polls; undefined when this node does not poll it. */
  pollNow(deviceId: number): Promise<PollOutcome> | undefined {
    const entry = this.polled.get(deviceId);
    return entry?.poller?.pollOnce(entry.row.deviceKey);
  }

  /** Whether a command for the device can go out from this node now: it polls the device, which has not gone offline. */
  canReach(deviceId: number): boolean {
    const entry = this.polled.get(deviceId);
    return !!entry?.poller && entry.poller.status(entry.row.deviceKey)?.online !== false;
  }

  /**
   * Executes a downlink command over the device's connection: a write PDU (see iot/modbus-commands.ts) is
   * written; a read request (read_now) polls the device at once, its readings stored as any poll's.
   */
  async execute(deviceId: number, payload: Uint8Array): Promise<ModbusCommandOutcome> {
    const entry = this.polled.get(deviceId);
    if (!entry?.poller) return { ok: false, reason: 'the device is not polled on this node', unreachable: true };
    const write = decodeWritePdu(payload);
    if (write) return describeWrite(await entry.poller.write(entry.row.deviceKey, write));
    const polled = await entry.poller.pollOnce(entry.row.deviceKey);
    if (polled.ok) return { ok: true, detail: { readings: polled.readings.length } };
    return { ok: false, reason: polled.error.message, unreachable: polled.unreachable };
  }

  /** For tests and shutdown: every offline report made so far is written. */
  async settled(): Promise<void> {
    await Promise.all(this.reporting);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.pending);
    await this.reloading;
    await this.stopAll();
    await this.settled();
    const lock = this.lock;
    this.lock = null;
    await lock?.release();
  }

  /** A short wait first, so a burst of registry writes (an import, a clerk's edits) costs one reload. */
  private reloadSoon(delayMs = 200): void {
    if (this.closed || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.reload();
    }, delayMs);
    this.pending.unref();
  }

  private async reloadNow(): Promise<void> {
    if (this.closed) return;
    if (!(await this.holdLock())) return;
    const rows = await this.load();
    if (this.closed) return;
    const seen = new Set<number>();
    for (const row of rows) {
      seen.add(row.deviceId);
      const signature = signatureOf(row);
      const current = this.polled.get(row.deviceId);
      if (current?.signature === signature) {
        current.row = row;
        continue;
      }
      if (current) await this.stop(current);
      this.polled.set(row.deviceId, this.begin(row, signature));
    }
    for (const [deviceId, entry] of this.polled) {
      if (seen.has(deviceId)) continue;
      this.polled.delete(deviceId);
      await this.stop(entry);
    }
  }

  /** Whether this node may poll: it holds the lock, or has just taken it. */
  private async holdLock(): Promise<boolean> {
    if (this.lock) {
      if (await this.lock.check()) return true;
      await this.lostLock(this.lock);
    }
    const lock = await this.options.database.tryLock(MODBUS_POLLING_LOCK);
    if (!lock) return false;
    if (this.closed) {
      await lock.release();
      return false;
    }
    this.lock = lock;
    this.options.logger.info('this node polls the Modbus devices');
    void lock.lost.then(() => {
      if (!this.closed && this.lock === lock) void this.lostLock(lock).then(() => this.reloadSoon(1_000));
    });
    return true;
  }

  /** Another node may take over as soon as the lock is gone: stop polling at once. */
  private async lostLock(lock: SessionLock): Promise<void> {
    if (this.lock !== lock) return;
    this.lock = null;
    this.options.logger.warn('lost the Modbus polling lock (database connection gone): polling stops until it is taken again');
    await this.stopAll();
  }

  private load(): Promise<ModbusDeviceRow[]> {
    return asSystem(this.options.database.db, async (tx) => {
      const rows = await tx
        .select({
          deviceId: devices.id,
          deviceKey: devices.deviceKey,
          tenantId: devices.tenantId,
          tenantPath: devices.tenantPath,
          productId: devices.productId,
          productKey: products.code,
          codec: products.codec,
          codecSettings: products.codecSettings,
          connection: devices.connection,
        })
        .from(devices)
        .innerJoin(products, eq(products.id, devices.productId))
        .where(and(eq(products.transport, 'modbus'), eq(products.codec, MODBUS_CODEC), ne(devices.state, 'retired'), isNotNull(devices.connection)));
      return rows.map((row) => ({ ...row, connection: row.connection! }));
    });
  }

  private begin(row: ModbusDeviceRow, signature: string): Polled {
    const { logger, pipeline } = this.options;
    const log = logger.child({ device: row.deviceKey, tenant: row.tenantPath });
    // The latest row is read at each event, so a reload that changed nothing the poller uses still counts.
    const entry: Polled = { row, signature, poller: undefined, broken: undefined };
    try {
      entry.poller = new ModbusPoller({
        devices: [
          {
            identity: row,
            host: row.connection.host,
            port: row.connection.port,
            unitId: row.connection.unitId,
            // Validated when the product was written; parsed again (and refused with a RegisterMapError) here.
            registerMap: row.codecSettings.registerMap as RegisterMapDefinition,
            intervalMs: row.connection.intervalSeconds * 1000,
          },
        ],
        deliver: async (device, readings, receivedAt) => {
          await pipeline.ingestReadings(device, readings, receivedAt);
          this.polls?.inc({ outcome: 'read' });
        },
        timeoutMs: this.options.timeoutMs,
        offlineAfterFailures: this.options.offlineAfterFailures,
        onOnline: () => {
          log.info('Modbus device answers');
          this.options.onOnline?.(entry.row, new Date());
        },
        onOffline: (_device, cause) => {
          log.warn({ err: cause }, 'Modbus device does not answer: offline');
          const report = Promise.resolve(this.options.onOffline?.(entry.row, new Date(), cause))
            .catch((err: unknown) => log.error({ err }, 'recording a Modbus device offline failed'))
            .finally(() => this.reporting.delete(report));
          this.reporting.add(report);
        },
        onPollFailed: (_device, cause) => {
          this.polls?.inc({ outcome: 'failed' });
          log.debug({ err: cause }, 'Modbus poll failed');
        },
        onValueRefused: (_device, metric, reason) => log.warn({ metric, reason }, 'Modbus value refused'),
      });
    } catch (error) {
      // The API validates maps on every write; a map saved by an older version may still not parse.
      if (!(error instanceof RegisterMapError)) throw error;
      entry.broken = error.message;
      log.error({ err: error }, 'Modbus device not polled: its product’s register map is invalid');
      return entry;
    }
    entry.poller.start();
    return entry;
  }

  private async stop(entry: Polled): Promise<void> {
    await entry.poller?.stop();
  }

  private async stopAll(): Promise<void> {
    const entries = [...this.polled.values()];
    this.polled.clear();
    await Promise.all(entries.map((entry) => this.stop(entry)));
  }
}

/** A write's outcome as a command's: the device's exception is the failure reason a person reads. */
function describeWrite(outcome: WriteOutcome): ModbusCommandOutcome {
  if (outcome.ok) return { ok: true, detail: {} };
  if (outcome.unreachable) return { ok: false, reason: outcome.error.message, unreachable: true };
  const code = outcome.exceptionCode;
  const name = code === undefined ? undefined : exceptionNames[code];
  return { ok: false, reason: `the device refused the write: Modbus exception ${code}${name ? ` (${name})` : ''}`, unreachable: false };
}
