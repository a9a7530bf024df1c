import { jsonThingModelCodec } from '@shuiyun/codec-json';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CodecRegistry } from '../../codecs/codec-registry.js';
import type { DeviceDirectory, DeviceIdentity } from '../../devices.js';
import { IngestionPipeline, type TenantReading } from '../../pipeline/ingestion.js';
import { RUNTIME_ACCOUNT, startPrivateMosquitto, type PrivateMosquitto } from '../../testing/private-mosquitto.js';
import { ExternalMqttBroker, type ExternalBrokerEvent, type ExternalBrokerOptions } from './external-broker.js';

/** runtime/iot must not depend on the server's registry: this one keeps the DeviceDirectory contract over a Map. */
class InTestDeviceRegistry implements DeviceDirectory {
  private readonly devices = new Map<string, DeviceIdentity>();
  /** Lookups that throw before the registry answers again (a database outage). */
  failNext = 0;

  add(identity: DeviceIdentity): this {
    this.devices.set(identity.deviceKey, identity);
    return this;
  }

  async authenticate(): Promise<DeviceIdentity | null> {
    throw new Error('the external broker authenticates devices');
  }

  async byKey(deviceKey: string): Promise<DeviceIdentity | null> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('registry unavailable');
    }
    return this.devices.get(deviceKey) ?? null;
  }
}

const meter = (deviceId: number, deviceKey: string): DeviceIdentity => ({
  deviceId,
  deviceKey,
  tenantId: 12,
  tenantPath: '1.12',
  codec: jsonThingModelCodec.id,
  codecSettings: { properties: ['cumulative_volume'] },
});
const m1 = meter(1, 'NB-0001');
const m2 = meter(2, 'NB-0002');
const registry = new InTestDeviceRegistry().add(m1).add(m2);
const accounts: Record<string, string> = { [m1.deviceKey]: 'secret-1', [m2.deviceKey]: 'secret-2', 'NB-GHOST': 'secret-ghost' };

const report = (litres: number, at: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ts: at, properties: { cumulative_volume: (litres / 1000).toFixed(3) }, ...extra });

let mosquitto: PrivateMosquitto;
let nodes = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  mosquitto = await startPrivateMosquitto({ accounts, debug: true });
});
afterAll(async () => {
  await mosquitto?.stop();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/**
 * A runtime node: a real IngestionPipeline whose batches land in `stored` (the analytics store has its
 * own tests; the server-level test runs this transport into it), connected to the private Mosquitto.
 */
async function node(options: { clientId?: string; gate?: Promise<void>; group?: string; drainTimeoutMs?: number; stored?: TenantReading[] } = {}) {
  const stored = options.stored ?? [];
  const batches: number[] = [];
  const pipeline = new IngestionPipeline({
    codecs: new CodecRegistry([jsonThingModelCodec]),
    sink: async (rows) => {
      await options.gate;
      batches.push(rows.length);
      stored.push(...rows);
    },
    batching: { maxDelayMs: 30, retryDelayMs: 20, maxRetryDelayMs: 50 },
  });
  const events: ExternalBrokerEvent[] = [];
  const n = ++nodes;
  const settings: ExternalBrokerOptions = {
    url: mosquitto.url,
    ...RUNTIME_ACCOUNT,
    // Every test has sessions of its own, so one test's queued share never reaches another's.
    clientId: options.clientId ?? `node-${process.pid}-${n}`,
    // (A group hands messages to its offline persistent members too: a closed node of another test would take some.)
    sharedGroup: options.group ?? `g${process.pid}-${n}`,
    devices: registry,
    pipeline,
    reconnectDelay: { initialMs: 50, maxMs: 400 },
    drainTimeoutMs: options.drainTimeoutMs ?? 2_000,
    onEvent: (event) => events.push(event),
  };
  const broker = await ExternalMqttBroker.connect(settings);
  cleanups.push(() => pipeline.close());
  cleanups.push(() => broker.close());
  return { broker, pipeline, stored, batches, events, settings };
}

async function device(key: string, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
  const client = await connectAsync(mosquitto.url, { username: key, password: accounts[key], clientId: `${key}-${Math.random()}`, protocolVersion, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync(true));
  return client;
}

const until = (check: () => void, timeout = 10_000) => vi.waitFor(check, { timeout, interval: 20 });

describe('runtime nodes as clients of a real Mosquitto (shared subscription, PUBACK after the durable write; in-test registry, readings land in an in-memory sink)', () => {
  it('acknowledges an uplink only once its readings are durable (the broker’s own log shows when the PUBACK arrives)', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { broker, stored, settings } = await node({ gate });
    cleanups.push(async () => open());
    const pubacks = () => mosquitto.log().split('\n').filter((line) => line.includes(`Received PUBACK from ${settings.clientId} `)).length;
    const meter1 = await device('NB-0001');
    await meter1.publishAsync('devices/NB-0001/up', report(1_250, '2026-11-28T01:00:00Z'), { qos: 1 });
    await until(() => expect(broker.stats.received).toBe(1));
    // The store is slow: several batching delays pass and no PUBACK reaches the broker.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(pubacks()).toBe(0);
    expect(stored).toEqual([]);
    open();
    await until(() => expect(pubacks()).toBe(1));
    expect(broker.stats.acknowledged).toBe(1);
    expect(stored).toEqual([{ tenantId: 12, tenantPath: '1.12', reading: { device: 'NB-0001', metric: 'cumulative_volume', at: new Date('2026-11-28T01:00:00Z'), milli: 1_250n } }]);
  });

  it('leaves an uplink the node could not store unacknowledged: the broker delivers it again to the node’s next start', async () => {
    const clientId = `crashing-${process.pid}`;
    // The first node's store does not come back in time; it stops after a short drain, as a node killed mid-write.
    let open!: () => void;
    const first = await node({ clientId, gate: new Promise<void>((resolve) => (open = resolve)), drainTimeoutMs: 100 });
    cleanups.push(async () => open());
    const meter1 = await device('NB-0001');
    await meter1.publishAsync('devices/NB-0001/up', report(2_000, '2026-11-28T02:00:00Z'), { qos: 1 });
    await until(() => expect(first.broker.stats.received).toBe(1));
    await first.broker.close();
    expect(first.broker.stats.acknowledged).toBe(0);

    const second = await node({ clientId, group: first.settings.sharedGroup });
    await until(() => expect(second.stored.map((r) => r.reading.milli)).toEqual([2_000n]));
    expect(second.broker.stats.acknowledged).toBe(1);
  });

  it('drops the connection when the registry fails, and stores the uplink when the broker resends it after the reconnect', async () => {
    const { broker, stored, events } = await node();
    registry.failNext = 1;
    const meter2 = await device('NB-0002');
    await meter2.publishAsync('devices/NB-0002/up', report(3_000, '2026-11-28T03:00:00Z'), { qos: 1 });
    await until(() => expect(stored.map((r) => r.reading.milli)).toEqual([3_000n]));
    expect(broker.stats).toMatchObject({ received: 2, notAcknowledged: 1, acknowledged: 1, connects: 2 });
    expect(events.map((e) => e.type)).toEqual(['connected', 'not_acknowledged', 'disconnected', 'reconnecting', 'connected']);
    expect(events[4]).toEqual({ type: 'connected', sessionPresent: true });
  });

  it('acknowledges and counts an uplink from a key the registry does not know, stores nothing, and is not sent it again', async () => {
    const clientId = `ghost-${process.pid}`;
    const first = await node({ clientId });
    const ghost = await device('NB-GHOST');
    await ghost.publishAsync('devices/NB-GHOST/up', report(10, '2026-11-28T04:00:00Z'), { qos: 1 });
    await until(() => expect(first.broker.stats).toMatchObject({ unidentified: 1, acknowledged: 1 }));
    expect(first.events).toContainEqual({ type: 'unidentified', topic: 'devices/NB-GHOST/up', deviceKey: 'NB-GHOST' });
    await first.broker.close();

    // The same session again: a known meter's uplink arrives, the ghost's does not come back.
    const second = await node({ clientId, group: first.settings.sharedGroup });
    const meter1 = await device('NB-0001');
    await meter1.publishAsync('devices/NB-0001/up', report(4_000, '2026-11-28T04:05:00Z'), { qos: 1 });
    await until(() => expect(second.stored).toHaveLength(1));
    expect(second.broker.stats).toMatchObject({ received: 1, unidentified: 0 });
    expect(first.stored).toEqual([]);
  });

  it('acknowledges a payload that names another device (refused by the pipeline), storing nothing', async () => {
    const { broker, pipeline, stored } = await node();
    const meter1 = await device('NB-0001');
    await meter1.publishAsync('devices/NB-0001/up', report(5_000, '2026-11-28T05:00:00Z', { device: 'NB-0002' }), { qos: 1 });
    await until(() => expect(broker.stats.acknowledged).toBe(1));
    expect(stored).toEqual([]);
    expect(pipeline.rejections.get('NB-0001')?.get('device_mismatch')).toBe(1);
  });

  it('lets a window of uplinks share batches, and acknowledges every one exactly once', async () => {
    const { broker, stored, batches, settings } = await node();
    const meter1 = await device('NB-0001');
    const start = Date.parse('2026-11-28T06:00:00Z');
    await Promise.all(Array.from({ length: 200 }, (_, i) => meter1.publishAsync('devices/NB-0001/up', report(i, new Date(start + i * 60_000).toISOString()), { qos: 1 })));
    await until(() => expect(stored).toHaveLength(200));
    await until(() => expect(broker.stats.acknowledged).toBe(200));
    // One message at a time would make every batch a batch of one.
    expect(Math.max(...batches)).toBeGreaterThan(1);
    expect(batches.length).toBeLessThan(200);
    expect(new Set(stored.map((r) => r.reading.at.getTime())).size).toBe(200);

    // Everything was acknowledged: the session holds nothing to deliver again.
    await broker.close();
    const again = await node({ clientId: settings.clientId, group: settings.sharedGroup });
    await meter1.publishAsync('devices/NB-0001/up', report(999, '2026-11-28T10:00:00Z'), { qos: 1 });
    await until(() => expect(again.stored).toHaveLength(1));
    expect(again.broker.stats.received).toBe(1);
  });

  it('splits the uplinks of a shared group between the nodes, each stored once', async () => {
    const group = `split-${process.pid}`;
    const stored: TenantReading[] = [];
    const a = await node({ group, stored });
    const b = await node({ group, stored });
    const meter2 = await device('NB-0002');
    const start = Date.parse('2026-11-28T11:00:00Z');
    for (let i = 0; i < 20; i++) await meter2.publishAsync('devices/NB-0002/up', report(i, new Date(start + i * 60_000).toISOString()), { qos: 1 });
    await until(() => expect(stored).toHaveLength(20));
    expect(a.broker.stats.received).toBeGreaterThan(0);
    expect(b.broker.stats.received).toBeGreaterThan(0);
    expect(a.broker.stats.received + b.broker.stats.received).toBe(20);
  });

  it('does not receive what a device publishes to another device’s topic (the broker’s ACL drops it)', async () => {
    const { broker, stored } = await node();
    const meter1 = await device('NB-0001', 5);
    await expect(meter1.publishAsync('devices/NB-0002/up', report(7_000, '2026-11-28T12:00:00Z', { device: 'NB-0002' }), { qos: 1 })).rejects.toThrow(/Not authorized/);
    // Behind the forged message on the same connection, an honest one: once it is stored, the forged one would have been too.
    await meter1.publishAsync('devices/NB-0001/up', report(7_001, '2026-11-28T12:01:00Z'), { qos: 1 });
    await until(() => expect(stored).toHaveLength(1));
    expect(stored[0]!.reading.device).toBe('NB-0001');
    expect(broker.stats.received).toBe(1);
  });

  it('reconnects with back-off after the broker restarts, resuming the persisted session or subscribing afresh when the broker forgot it', async () => {
    const { broker, stored, events } = await node();
    await mosquitto.restart();
    await until(() => expect(broker.stats.connects).toBe(2));
    expect(events.filter((e) => e.type === 'connected')).toEqual([
      { type: 'connected', sessionPresent: false },
      { type: 'connected', sessionPresent: true },
    ]);
    expect(events.some((e) => e.type === 'reconnecting')).toBe(true);

    await mosquitto.restart({ forgetState: true });
    await until(() => expect(broker.stats.connects).toBe(3));
    expect(events.filter((e) => e.type === 'connected').at(-1)).toEqual({ type: 'connected', sessionPresent: false });
    // The restarted broker knows no subscription of this node: only a fresh SUBSCRIBE brings this uplink.
    await until(async () => {
      const meter1 = await device('NB-0001');
      await meter1.publishAsync('devices/NB-0001/up', report(8_000, '2026-11-28T13:00:00Z'), { qos: 1 });
      expect(stored.length).toBeGreaterThan(0);
    });
    expect(stored[0]!.reading.milli).toBe(8_000n);
  });

  it('refuses to start with credentials the broker rejects', async () => {
    const pipeline = new IngestionPipeline({ codecs: new CodecRegistry([jsonThingModelCodec]), sink: async () => undefined });
    cleanups.push(() => pipeline.close());
    await expect(
      ExternalMqttBroker.connect({ url: mosquitto.url, username: RUNTIME_ACCOUNT.username, password: 'wrong', clientId: `bad-${process.pid}`, devices: registry, pipeline }),
    ).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
  });
});
