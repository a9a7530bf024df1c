import type { Reading } from '@shuiyun/sdk';
import modbusSerial from 'modbus-serial';
import type { DeviceIdentity } from '../../devices.js';
import { planReads, type RegisterRead } from './read-plan.js';
import { parseRegisterMap, RegisterMapError, type RegisterMapDefinition } from './register-map.js';
import { registerValueToMilli } from './register-value.js';
import type { ModbusWrite } from './write-request.js';

/** A device the platform reads over Modbus TCP (a meter, or a meter behind a serial gateway). */
export interface ModbusDevice {
  identity: DeviceIdentity;
  host: string;
  /** Default 502. */
  port?: number;
  /** Modbus unit (slave) id: the meter's address behind a gateway; 1 or 255 for a TCP-native device. */
  unitId: number;
  /** The product's register map; validated when the poller is built. */
  registerMap: RegisterMapDefinition;
  /** Time between the starts of two polls. */
  intervalMs: number;
}

export interface ModbusPollerOptions {
  devices: ModbusDevice[];
  /**
   * Takes one poll's readings; the poller waits for it before that device's next poll, so a slow
   * store slows polling down instead of piling readings up. Wire it to `IngestionPipeline.ingestReadings`.
   */
  deliver: (device: DeviceIdentity, readings: Reading[], receivedAt: Date) => Promise<unknown>;
  /** Connect and response timeout per request. Default 2000 ms. */
  timeoutMs?: number;
  /** Unanswered polls in a row before a device is reported offline. Default 3. */
  offlineAfterFailures?: number;
  /** Once when a device has not answered `offlineAfterFailures` polls in a row. */
  onOffline?: (device: DeviceIdentity, cause: Error) => void;
  /** Once when a device answers again (and on its first answer). */
  onOnline?: (device: DeviceIdentity) => void;
  /** Every poll that produced no readings, and every delivery that failed. */
  onPollFailed?: (device: DeviceIdentity, cause: Error) => void;
  /** A value the device sent that cannot be a reading (a float32 NaN); the rest of the poll is kept. */
  onValueRefused?: (device: DeviceIdentity, metric: string, reason: string) => void;
}

export type PollOutcome = { ok: true; readings: Reading[] } | { ok: false; error: Error; unreachable: boolean };
/**
 * How a write went: answered (the device echoed it), refused with a Modbus exception (`exceptionCode`,
 * the device is there and said no), or unanswered (`unreachable`: no connection, a timeout, or a gateway
 * reporting that the device behind it did not answer).
 */
export type WriteOutcome = { ok: true } | { ok: false; error: Error; unreachable: boolean; exceptionCode: number | undefined };

export interface DevicePollStatus {
  /** Undefined until the first poll has an outcome. */
  online: boolean | undefined;
  consecutiveFailures: number;
  polls: number;
  lastPolledAt: Date | undefined;
  lastAnsweredAt: Date | undefined;
  lastError: string | undefined;
}

// modbus-serial is CommonJS whose typings declare an ES default export; at run time the module
// object is the client class and also carries itself as `.default`, which satisfies both views.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

const STOPPED = 'polling of this device has stopped';

/** Exceptions a gateway answers for the meter behind it that did not: as good as no answer. */
const GATEWAY_NO_ANSWER = new Set([10, 11]);

/** modbus-serial rejects with plain objects ({ name, message, errno }), not Errors. */
function asError(value: unknown): Error & { modbusCode?: number } {
  if (value instanceof Error) return value;
  const shape = (value ?? {}) as { name?: unknown; message?: unknown; modbusCode?: unknown; errno?: unknown };
  const error = new Error(typeof shape.message === 'string' ? shape.message : String(value), { cause: value }) as Error & { modbusCode?: number };
  if (typeof shape.name === 'string') error.name = shape.name;
  if (typeof shape.modbusCode === 'number') error.modbusCode = shape.modbusCode;
  return error;
}

class PolledDevice {
  readonly reads: RegisterRead[];
  readonly status: DevicePollStatus = {
    online: undefined,
    consecutiveFailures: 0,
    polls: 0,
    lastPolledAt: undefined,
    lastAnsweredAt: undefined,
    lastError: undefined,
  };
  private client: ModbusRTU | undefined;
  /** Polls of one device run one at a time over its one connection. */
  private queue: Promise<unknown> = Promise.resolve();
  timer: NodeJS.Timeout | undefined;
  nextAt = 0;
  /** Set by close: a request queued behind it must not open a new connection. */
  private closed = false;

  constructor(
    readonly device: ModbusDevice,
    private readonly options: ModbusPollerOptions,
  ) {
    try {
      this.reads = planReads(parseRegisterMap(device.registerMap));
    } catch (error) {
      if (error instanceof RegisterMapError) {
        throw new RegisterMapError(error.issues.map((i) => ({ ...i, path: `${device.identity.deviceKey}: ${i.path}` })));
      }
      throw error;
    }
  }

  poll(): Promise<PollOutcome> {
    const run = this.queue.then(() => this.pollNow());
    this.queue = run.catch(() => undefined); // a throwing callback must not stop later polls
    return run;
  }

  /** One write over the device's connection, in turn with its polls (Modbus TCP devices often serve one request at a time). */
  write(write: ModbusWrite): Promise<WriteOutcome> {
    const run = this.queue.then(() => this.writeNow(write));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for the running poll, then drops the connection. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    this.disconnect();
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 2_000;
  }

  private async writeNow(write: ModbusWrite): Promise<WriteOutcome> {
    if (this.closed) return { ok: false, error: new Error(STOPPED), unreachable: true, exceptionCode: undefined };
    try {
      const client = await this.connect();
      if (write.function === 'coil') await client.writeCoil(write.address, write.value);
      else if (write.words.length === 1) await client.writeRegister(write.address, write.words[0]!);
      else await client.writeRegisters(write.address, write.words);
    } catch (thrown) {
      const error = asError(thrown);
      const unreachable = error.modbusCode === undefined || GATEWAY_NO_ANSWER.has(error.modbusCode);
      if (unreachable) this.disconnect();
      else this.answered(new Date());
      return { ok: false, error, unreachable, exceptionCode: unreachable ? undefined : error.modbusCode };
    }
    this.answered(new Date());
    return { ok: true };
  }

  private async pollNow(): Promise<PollOutcome> {
    // Queued before a stop: it neither counts as a failure nor reports the device offline.
    if (this.closed) return { ok: false, error: new Error(STOPPED), unreachable: true };
    const { identity } = this.device;
    this.status.polls++;
    this.status.lastPolledAt = new Date();
    const answers: { read: RegisterRead; words: number[]; bits: boolean[] }[] = [];
    try {
      const client = await this.connect();
      for (const read of this.reads) answers.push({ read, ...(await this.execute(client, read)) });
    } catch (thrown) {
      const error = asError(thrown);
      // An exception response means the device is there and refused this read (a wrong map, busy).
      const unreachable = error.modbusCode === undefined || GATEWAY_NO_ANSWER.has(error.modbusCode);
      if (unreachable) this.disconnect(); // a late answer must not meet the next request
      else this.answered(new Date());
      this.failed(error, unreachable);
      return { ok: false, error, unreachable };
    }
    const receivedAt = new Date();
    this.answered(receivedAt);
    const readings: Reading[] = [];
    for (const { read, words, bits } of answers) {
      for (const entry of read.entries) {
        const offset = entry.address - read.address;
        const value = registerValueToMilli(entry, words.slice(offset, offset + entry.words), bits[offset]);
        if (value.ok) readings.push({ device: identity.deviceKey, metric: entry.metric, at: receivedAt, milli: value.milli });
        else this.options.onValueRefused?.(identity, entry.metric, value.reason);
      }
    }
    if (readings.length > 0) {
      try {
        await this.options.deliver(identity, readings, receivedAt);
      } catch (thrown) {
        this.options.onPollFailed?.(identity, asError(thrown));
      }
    }
    return { ok: true, readings };
  }

  private answered(at: Date): void {
    this.status.consecutiveFailures = 0;
    this.status.lastAnsweredAt = at;
    if (this.status.online !== true) {
      this.status.online = true;
      this.options.onOnline?.(this.device.identity);
    }
  }

  private failed(error: Error, unreachable: boolean): void {
    this.status.lastError = error.message;
    this.options.onPollFailed?.(this.device.identity, error);
    if (!unreachable) return;
    this.status.consecutiveFailures++;
    if (this.status.consecutiveFailures >= (this.options.offlineAfterFailures ?? 3) && this.status.online !== false) {
      this.status.online = false;
      this.options.onOffline?.(this.device.identity, error);
    }
  }

  private async connect(): Promise<ModbusRTU> {
    if (this.closed) throw new Error(STOPPED);
    if (this.client?.isOpen) return this.client;
    this.disconnect();
    const client = new ModbusRTU();
    // Socket errors also fail the pending request; without a listener an 'error' event would throw.
    client.on('error', () => undefined);
    client.setID(this.device.unitId);
    // Also the connect timeout: modbus-serial hands it to the socket before connecting.
    client.setTimeout(this.timeoutMs);
    this.client = client;
    await client.connectTCP(this.device.host, { port: this.device.port ?? 502 });
    return client;
  }

  private disconnect(): void {
    const client = this.client;
    this.client = undefined;
    client?.destroy(() => undefined);
  }

  private async execute(client: ModbusRTU, read: RegisterRead): Promise<{ words: number[]; bits: boolean[] }> {
    switch (read.function) {
      case 'holding_register':
        return { words: (await client.readHoldingRegisters(read.address, read.length)).data, bits: [] };
      case 'input_register':
        return { words: (await client.readInputRegisters(read.address, read.length)).data, bits: [] };
      case 'coil':
        return { words: [], bits: (await client.readCoils(read.address, read.length)).data };
      case 'discrete_input':
        return { words: [], bits: (await client.readDiscreteInputs(read.address, read.length)).data };
    }
  }
}

/**
 * Reads Modbus TCP devices on their intervals through each product's register map and hands each
 * poll's readings on. Every device has its own connection and its own schedule, so a device that
 * does not answer costs only its own timeouts: the others keep their cadence. Polls start on a
 * fixed grid (start + k × interval); a poll that overruns skips the slots it missed rather than
 * firing a burst to catch up.
 */
export class ModbusPoller {
  private readonly devices = new Map<string, PolledDevice>();
  private running = false;

  /** Throws a RegisterMapError (paths prefixed with the device key) when any device's map is invalid. */
  constructor(options: ModbusPollerOptions) {
    for (const device of options.devices) {
      if (!(device.intervalMs > 0)) throw new Error(`${device.identity.deviceKey}: intervalMs must be positive`);
      if (!Number.isInteger(device.unitId) || device.unitId < 0 || device.unitId > 255) {
        throw new Error(`${device.identity.deviceKey}: unitId must be 0–255`);
      }
      if (this.devices.has(device.identity.deviceKey)) throw new Error(`${device.identity.deviceKey} is listed twice`);
      this.devices.set(device.identity.deviceKey, new PolledDevice(device, options));
    }
  }

  /** Starts polling every device now, then on its interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = Date.now();
    for (const polled of this.devices.values()) {
      polled.nextAt = now;
      this.cycle(polled);
    }
  }

  /** Stops scheduling, waits for polls under way (at most a timeout each) and closes the connections. */
  async stop(): Promise<void> {
    this.running = false;
    for (const polled of this.devices.values()) {
      clearTimeout(polled.timer);
      polled.timer = undefined;
    }
    await Promise.all([...this.devices.values()].map((polled) => polled.close()));
  }

  /** Polls one device now (a "read now" from the console), in turn with its scheduled polls. */
  pollOnce(deviceKey: string): Promise<PollOutcome> {
    const polled = this.devices.get(deviceKey);
    if (!polled) return Promise.reject(new Error(`${deviceKey} is not polled here`));
    return polled.poll();
  }

  /**
   * Writes a coil or holding registers on one device (a downlink command), over its connection and in
   * turn with its polls. Resolves with the outcome; rejects only for a device this poller does not poll.
   */
  write(deviceKey: string, write: ModbusWrite): Promise<WriteOutcome> {
    const polled = this.devices.get(deviceKey);
    if (!polled) return Promise.reject(new Error(`${deviceKey} is not polled here`));
    return polled.write(write);
  }

  status(deviceKey: string): DevicePollStatus | undefined {
    const status = this.devices.get(deviceKey)?.status;
    return status && { ...status };
  }

  /** The requests one poll of a device makes, for the console and tests. */
  plannedReads(deviceKey: string): readonly RegisterRead[] | undefined {
    return this.devices.get(deviceKey)?.reads;
  }

  private cycle(polled: PolledDevice): void {
    void polled
      .poll()
      .catch(() => undefined)
      .then(() => {
      if (!this.running) return;
      const interval = polled.device.intervalMs;
      const now = Date.now();
      polled.nextAt += interval;
      if (polled.nextAt < now) polled.nextAt += Math.ceil((now - polled.nextAt) / interval) * interval;
      polled.timer = setTimeout(() => this.cycle(polled), polled.nextAt - now);
    });
  }
}
