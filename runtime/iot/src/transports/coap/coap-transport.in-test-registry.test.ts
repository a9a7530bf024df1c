import { createHash, timingSafeEqual } from 'node:crypto';
import { jsonThingModelCodec } from '@shuiyun/codec-json';
import { Agent, request, type IncomingMessage } from 'coap';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CodecRegistry } from '../../codecs/codec-registry.js';
import type { DeviceDirectory, DeviceIdentity } from '../../devices.js';
import { IngestionPipeline, type IngestionOptions, type TenantReading } from '../../pipeline/ingestion.js';
import { type CoapDownlink, CoapTransport } from './coap-transport.js';

/**
 * The real device registry lives in runtime/server (PostgreSQL) and runtime/iot must not depend on it:
 * this in-test registry keeps the DeviceDirectory contract over a Map, comparing secrets in constant time.
 */
class InTestDeviceRegistry implements DeviceDirectory {
  private readonly devices = new Map<string, { identity: DeviceIdentity; digest: Buffer }>();
  unavailable = false;

  add(identity: DeviceIdentity, secret: string): this {
    this.devices.set(identity.deviceKey, { identity, digest: createHash('sha256').update(secret).digest() });
    return this;
  }

  async authenticate(deviceKey: string, secret: string): Promise<DeviceIdentity | null> {
    if (this.unavailable) throw new Error('registry unavailable');
    const device = this.devices.get(deviceKey);
    const digest = createHash('sha256').update(secret).digest();
    return device && timingSafeEqual(device.digest, digest) ? device.identity : null;
  }

  async byKey(deviceKey: string): Promise<DeviceIdentity | null> {
    return this.devices.get(deviceKey)?.identity ?? null;
  }
}

const meter = (deviceId: number, deviceKey: string, tenantId: number, tenantPath: string): DeviceIdentity => ({
  deviceId,
  deviceKey,
  tenantId,
  tenantPath,
  codec: jsonThingModelCodec.id,
  codecSettings: { properties: ['cumulative_volume', 'flow_rate', 'battery_voltage'] },
});
const nbMeter = meter(1, '861234567890123', 12, '1.12');
const otherTenantsMeter = meter(2, '861234567890999', 13, '1.13');
const registry = new InTestDeviceRegistry().add(nbMeter, 'secret-of-123').add(otherTenantsMeter, 'secret-of-999');

const agent = new Agent({ type: 'udp4' });
// coap 1.5's Agent.close(done) never calls `done` once the agent has closed its idle socket itself;
// its 'close' event comes in both cases.
afterAll(
  () =>
    new Promise<void>((resolve) => {
      agent.once('close', () => resolve());
      agent.close();
    }),
);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A CoAP server over a real IngestionPipeline whose batches land in `stored`. */
async function uplink(options: { sink?: IngestionOptions['sink']; durableWithinMs?: number; piggybackReplyMs?: number; downlink?: CoapDownlink } = {}) {
  const stored: TenantReading[] = [];
  const pipeline = new IngestionPipeline({
    codecs: new CodecRegistry([jsonThingModelCodec]),
    sink: options.sink ?? (async (rows) => void stored.push(...rows)),
    batching: { maxDelayMs: 50, retryDelayMs: 20, maxRetryDelayMs: 50 },
  });
  const refused: { deviceKey?: string | undefined; code: string }[] = [];
  const transport = await CoapTransport.start({
    port: 0,
    host: '127.0.0.1',
    devices: registry,
    pipeline,
    durableWithinMs: options.durableWithinMs,
    piggybackReplyMs: options.piggybackReplyMs,
    downlink: options.downlink,
    onRefused: ({ deviceKey, code }) => refused.push({ deviceKey, code }),
  });
  cleanups.push(() => pipeline.close().catch(() => undefined));
  cleanups.push(() => transport.close());
  return { stored, pipeline, transport, refused };
}

interface Answer {
  code: string;
  body: unknown;
  /** What the store held when the answer arrived. */
  storedThen: number;
  /** The answer rode in the ACK of the request (rather than coming as a separate message). */
  piggybacked: boolean;
}

function post(port: number, pathname: string, query: string, payload: string, watch: TenantReading[] = [], method: 'POST' | 'GET' = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ hostname: '127.0.0.1', port, pathname, query, method, agent, confirmable: true });
    req.on('response', (res: IncomingMessage) =>
      resolve({ code: res.code, body: res.payload.length ? JSON.parse(res.payload.toString('utf8')) : undefined, storedThen: watch.length, piggybacked: res._packet.ack === true }),
    );
    req.on('error', reject);
    req.end(method === 'POST' ? payload : undefined);
  });
}

const report = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ts: '2025-11-28T08:00:00Z', properties, ...extra });

describe('CoAP uplink (in-test device registry; the analytics store is replaced by an in-memory sink because the store is tested in runtime/analytics)', () => {
  it('answers 2.04 only once the readings are durable, under the authenticated device and its tenant', async () => {
    const { stored, transport } = await uplink();
    const answer = await post(transport.port, `/devices/${nbMeter.deviceKey}/up`, 'token=secret-of-123', report({ cumulative_volume: '123.456', flow_rate: 12.5 }), stored);
    expect(answer).toEqual({ code: '2.04', body: { readings: 2 }, storedThen: 2, piggybacked: true });
    expect(stored).toEqual([
      { tenantId: 12, tenantPath: '1.12', reading: { device: nbMeter.deviceKey, metric: 'cumulative_volume', at: new Date('2025-11-28T08:00:00Z'), milli: 123_456n } },
      { tenantId: 12, tenantPath: '1.12', reading: { device: nbMeter.deviceKey, metric: 'flow_rate', at: new Date('2025-11-28T08:00:00Z'), milli: 12_500n } },
    ]);
  });

  it('still answers 2.04 after the write when the write outlasts the piggyback window (empty ACK first, then a separate response)', async () => {
    const stored: TenantReading[] = [];
    const { transport } = await uplink({
      piggybackReplyMs: 20,
      sink: async (rows) => {
        await new Promise((r) => setTimeout(r, 250));
        stored.push(...rows);
      },
    });
    const answer = await post(transport.port, `/devices/${nbMeter.deviceKey}/up`, 'token=secret-of-123', report({ battery_voltage: '3.61' }), stored);
    expect(answer).toEqual({ code: '2.04', body: { readings: 1 }, storedThen: 1, piggybacked: false });
    expect(stored[0]!.reading).toMatchObject({ metric: 'battery_voltage', milli: 3_610n });
  });

  it('answers 4.01 to a wrong or missing secret and an unknown device, and stores nothing', async () => {
    const { stored, transport, refused } = await uplink();
    const path = `/devices/${nbMeter.deviceKey}/up`;
    const body = report({ cumulative_volume: '1.000' });
    expect(await post(transport.port, path, 'token=secret-of-999', body)).toMatchObject({ code: '4.01', body: { code: 'bad_credentials' } });
    expect(await post(transport.port, path, '', body)).toMatchObject({ code: '4.01', body: { code: 'missing_credentials' } });
    expect(await post(transport.port, path, 'token=', body)).toMatchObject({ code: '4.01', body: { code: 'missing_credentials' } });
    expect(await post(transport.port, '/devices/000000000000000/up', 'token=secret-of-123', body)).toMatchObject({ code: '4.01' });
    await new Promise((r) => setTimeout(r, 100)); // longer than a batch: anything pushed would be written by now
    expect(stored).toEqual([]);
    expect(refused.map((r) => r.code)).toEqual(['bad_credentials', 'missing_credentials', 'missing_credentials', 'bad_credentials']);
  });

  it("answers 4.03 when a device signs in with its own credentials on another device's path", async () => {
    const { stored, transport } = await uplink();
    // Meter 999 (another tenant) names its own key and secret, and posts to meter 123's path.
    const answer = await post(transport.port, `/devices/${nbMeter.deviceKey}/up`, `key=${otherTenantsMeter.deviceKey}&token=secret-of-999`, report({ cumulative_volume: '9.000' }));
    expect(answer).toMatchObject({ code: '4.03', body: { code: 'foreign_device' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(stored).toEqual([]);
  });

  it('answers 4.00 with the rejection code for a payload the codec refuses, and counts it', async () => {
    const { stored, pipeline, transport } = await uplink();
    const path = `/devices/${nbMeter.deviceKey}/up`;
    expect(await post(transport.port, path, 'token=secret-of-123', '{"properties": {')).toMatchObject({ code: '4.00', body: { code: 'bad_json' } });
    expect(await post(transport.port, path, 'token=secret-of-123', report({ cumulative_volume: '1.0001' }))).toMatchObject({ code: '4.00', body: { code: 'bad_value' } });
    expect(await post(transport.port, path, 'token=secret-of-123', report({ chlorine: '0.3' }))).toMatchObject({ code: '4.00', body: { code: 'unknown_property' } });
    // The payload names another device: refused whole, never written under either device.
    expect(await post(transport.port, path, 'token=secret-of-123', report({ cumulative_volume: '5.000' }, { device: otherTenantsMeter.deviceKey }))).toMatchObject({
      code: '4.00',
      body: { code: 'device_mismatch', reason: expect.stringContaining(otherTenantsMeter.deviceKey) },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(stored).toEqual([]);
    expect(Object.fromEntries(pipeline.rejections.get(nbMeter.deviceKey)!)).toEqual({ bad_json: 1, bad_value: 1, unknown_property: 1, device_mismatch: 1 });
  });

  it('answers 5.03 when the store does not take the readings in time, when the pipeline is closed, and when the registry is down', async () => {
    let attempts = 0;
    const { transport, pipeline } = await uplink({
      sink: async () => {
        attempts++;
        throw new Error('analytics store is down');
      },
      durableWithinMs: 300,
    });
    const path = `/devices/${nbMeter.deviceKey}/up`;
    const started = Date.now();
    expect(await post(transport.port, path, 'token=secret-of-123', report({ cumulative_volume: '7.000' }))).toMatchObject({
      code: '5.03',
      body: { code: 'store_unavailable' },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(attempts).toBeGreaterThan(1); // the batcher kept retrying; the device was told to send again

    registry.unavailable = true;
    try {
      expect(await post(transport.port, path, 'token=secret-of-123', report({ cumulative_volume: '7.000' }))).toMatchObject({
        code: '5.03',
        body: { code: 'directory_unavailable' },
      });
    } finally {
      registry.unavailable = false;
    }

    await pipeline.close().catch(() => undefined);
    expect(await post(transport.port, path, 'token=secret-of-123', report({ cumulative_volume: '7.000' }))).toMatchObject({
      code: '5.03',
      body: { code: 'store_unavailable' },
    });
  });

  it('answers 4.04 to another path and 4.05 to another method', async () => {
    const { stored, transport } = await uplink();
    const body = report({ cumulative_volume: '1.000' });
    expect(await post(transport.port, `/devices/${nbMeter.deviceKey}/down`, 'token=secret-of-123', body)).toMatchObject({ code: '4.04' });
    expect(await post(transport.port, `/devices/${nbMeter.deviceKey}/up/extra`, 'token=secret-of-123', body)).toMatchObject({ code: '4.04' });
    expect(await post(transport.port, `/devices/${nbMeter.deviceKey}/up`, 'token=secret-of-123', body, [], 'GET')).toMatchObject({ code: '4.05' });
    await new Promise((r) => setTimeout(r, 100));
    expect(stored).toEqual([]);
  });
});

/**
 * The runtime's command queue (DeviceCommands, over PostgreSQL) lives in runtime/server and has its own tests
 * there, CoAP included; this in-test queue keeps the CoapDownlink contract over a list per device key.
 */
class InTestCommandQueue implements CoapDownlink {
  readonly waiting = new Map<string, Uint8Array[]>();
  readonly handedOut: string[] = [];
  unavailable = false;

  async pending(device: DeviceIdentity): Promise<number> {
    if (this.unavailable) throw new Error('queue unavailable');
    return this.waiting.get(device.deviceKey)?.length ?? 0;
  }

  async takeNext(device: DeviceIdentity): Promise<Uint8Array | null> {
    if (this.unavailable) throw new Error('queue unavailable');
    const next = this.waiting.get(device.deviceKey)?.shift() ?? null;
    if (next) this.handedOut.push(device.deviceKey);
    return next;
  }
}

/** A GET of the downlink resource: the raw answer, payload as bytes. */
function fetchDownlink(port: number, deviceKey: string, query: string): Promise<{ code: string; payload: Buffer; contentFormat: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ hostname: '127.0.0.1', port, pathname: `/devices/${deviceKey}/down`, query, method: 'GET', agent, confirmable: true });
    req.on('response', (res: IncomingMessage) => resolve({ code: res.code, payload: res.payload, contentFormat: res.headers['Content-Format'] }));
    req.on('error', reject);
    req.end();
  });
}

describe('CoAP downlink by pull (in-test device registry and in-test command queue)', () => {
  const valveClose = Uint8Array.from([0xfe, 0xfe, 0x68, 0x10, 0x23, 0x01, 0x89, 0x67, 0x45, 0x23, 0x01, 0x04, 0x04, 0x17, 0xa0, 0x05, 0x99, 0x00, 0x16]);

  it('tells the device in the 2.04 answer how many commands wait, and hands them out one GET at a time as octet-stream, then an empty 2.05', async () => {
    const queue = new InTestCommandQueue();
    queue.waiting.set(nbMeter.deviceKey, [valveClose, new TextEncoder().encode('{"service":"read_now","params":{},"id":7}')]);
    const { transport } = await uplink({ downlink: queue });
    const up = await post(transport.port, `/devices/${nbMeter.deviceKey}/up`, 'token=secret-of-123', report({ cumulative_volume: '1.000' }));
    expect(up).toMatchObject({ code: '2.04', body: { readings: 1, pending: 2 } });

    const first = await fetchDownlink(transport.port, nbMeter.deviceKey, 'token=secret-of-123');
    expect(first).toEqual({ code: '2.05', payload: Buffer.from(valveClose), contentFormat: 'application/octet-stream' });
    const second = await fetchDownlink(transport.port, nbMeter.deviceKey, 'token=secret-of-123');
    expect(JSON.parse(second.payload.toString('utf8'))).toEqual({ service: 'read_now', params: {}, id: 7 });
    const none = await fetchDownlink(transport.port, nbMeter.deviceKey, 'token=secret-of-123');
    expect(none).toMatchObject({ code: '2.05', payload: Buffer.alloc(0) });
    expect(queue.handedOut).toEqual([nbMeter.deviceKey, nbMeter.deviceKey]);
    const after = await post(transport.port, `/devices/${nbMeter.deviceKey}/up`, 'token=secret-of-123', report({ cumulative_volume: '1.001' }));
    expect(after.body).toEqual({ readings: 1, pending: 0 });
  });

  it('refuses a GET with a wrong secret (4.01) or on another device’s path (4.03), and a POST to the downlink (4.05), handing out nothing', async () => {
    const queue = new InTestCommandQueue();
    queue.waiting.set(nbMeter.deviceKey, [valveClose]);
    const { transport, refused } = await uplink({ downlink: queue });
    expect((await fetchDownlink(transport.port, nbMeter.deviceKey, 'token=secret-of-999')).code).toBe('4.01');
    expect((await fetchDownlink(transport.port, nbMeter.deviceKey, '')).code).toBe('4.01');
    expect((await fetchDownlink(transport.port, nbMeter.deviceKey, `key=${otherTenantsMeter.deviceKey}&token=secret-of-999`)).code).toBe('4.03');
    expect(await post(transport.port, `/devices/${nbMeter.deviceKey}/down`, 'token=secret-of-123', '')).toMatchObject({ code: '4.05', body: { code: 'method_not_allowed' } });
    expect(queue.waiting.get(nbMeter.deviceKey)).toHaveLength(1);
    expect(queue.handedOut).toEqual([]);
    expect(refused.map((r) => r.code)).toEqual(['bad_credentials', 'missing_credentials', 'foreign_device', 'method_not_allowed']);
  });

  it('answers 5.03 to a GET when the queue is down, and still 2.04 to an uplink (its readings are durable) without `pending`', async () => {
    const queue = new InTestCommandQueue();
    queue.unavailable = true;
    const { stored, transport } = await uplink({ downlink: queue });
    expect(await post(transport.port, `/devices/${nbMeter.deviceKey}/up`, 'token=secret-of-123', report({ cumulative_volume: '2.000' }), stored)).toMatchObject({
      code: '2.04',
      body: { readings: 1 },
      storedThen: 1,
    });
    const answer = await fetchDownlink(transport.port, nbMeter.deviceKey, 'token=secret-of-123');
    expect(answer.code).toBe('5.03');
    expect(JSON.parse(answer.payload.toString('utf8'))).toMatchObject({ code: 'downlink_unavailable' });
  });
});
