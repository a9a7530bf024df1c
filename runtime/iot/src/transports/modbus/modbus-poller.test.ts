import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Reading } from '@shuiyun/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { CodecRegistry } from '../../codecs/codec-registry.js';
import type { DeviceIdentity } from '../../devices.js';
// The in-test Modbus TCP device (modbus-serial's ServerTCP on loopback) is shared with the runtime's tests.
import { ModbusTestDevice as RegisterBank } from '../../testing/modbus-device.js';
import { IngestionPipeline, type TenantReading } from '../../pipeline/ingestion.js';
import { ModbusPoller, type ModbusDevice } from './modbus-poller.js';
import { RegisterMapError, type RegisterMapDefinition } from './register-map.js';

/** A device that accepts the connection and never answers (a hung meter or a dead serial line). */
async function silentDevice(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nobody listens on (connections are refused at once). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let nextDeviceId = 1;
const identity = (deviceKey: string): DeviceIdentity => ({
  deviceId: nextDeviceId++,
  deviceKey,
  tenantId: 12,
  tenantPath: '1.12',
  codec: 'modbus-register-map',
  codecSettings: {},
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bank(port?: number) {
  const b = await RegisterBank.start(1, port);
  cleanups.push(() => b.close());
  return b;
}

function poller(...args: ConstructorParameters<typeof ModbusPoller>) {
  const p = new ModbusPoller(...args);
  cleanups.push(() => p.stop());
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const meterMap: RegisterMapDefinition = {
  metrics: [
    // 32-bit cumulative volume with 0.001 m³ resolution, converted to litres.
    { metric: 'cumulative_volume', function: 'holding_register', address: 0, type: 'uint32', words: 2, scale: -3, unit: 'm3' },
    { metric: 'reverse_volume', function: 'holding_register', address: 2, type: 'uint32', wordOrder: 'little', scale: -3, unit: 'm3' },
    { metric: 'settlement_volume', function: 'holding_register', address: 4, type: 'uint32', scale: -3, unit: 'm³' },
    { metric: 'net_volume', function: 'holding_register', address: 6, type: 'int32', unit: 'L' },
    { metric: 'net_volume_swapped', function: 'holding_register', address: 8, type: 'int32', wordOrder: 'little', unit: 'L' },
    { metric: 'signal_strength', function: 'holding_register', address: 10, type: 'int16' },
    { metric: 'flow_rate', function: 'input_register', address: 0, type: 'int16', scale: -2, unit: 'm3/h' },
    { metric: 'pressure', function: 'input_register', address: 1, type: 'uint16', scale: -3, unit: 'MPa' },
    { metric: 'temperature', function: 'input_register', address: 2, type: 'float32' },
    { metric: 'battery_voltage', function: 'input_register', address: 4, type: 'float32', wordOrder: 'little', unit: 'V' },
    { metric: 'valve_state', function: 'coil', address: 0 },
    { metric: 'battery_low', function: 'discrete_input', address: 3 },
  ],
};

function fillMeter(b: RegisterBank) {
  b.setUint32(0, 123_456_789); // 123 456.789 m³
  b.setUint32(2, 1_005, 'little'); // 1.005 m³ of reverse flow
  b.setUint32(4, 0xffff_ffff); // the largest 32-bit total: 4 294 967.295 m³
  b.holding.set(6, 0xffff).set(7, 0xfffe); // int32 −2 L
  b.holding.set(8, 0x0000).set(9, 0x8000); // int32 −2 147 483 648 L, words swapped
  b.holding.set(10, 0x10000 - 87); // −87 dBm
  b.input.set(0, 0x10000 - 1234); // −12.34 m³/h
  b.input.set(1, 350); // 0.350 MPa
  const f = Buffer.alloc(8);
  f.writeFloatBE(12.3, 0); // °C, high word first
  f.writeFloatBE(3.6, 4); // V, stored word-swapped below
  b.input.set(2, f.readUInt16BE(0)).set(3, f.readUInt16BE(2));
  b.input.set(4, f.readUInt16BE(6)).set(5, f.readUInt16BE(4));
  b.coils.set(0, true);
  b.discrete.set(3, false);
}

describe('ModbusPoller against a real Modbus TCP server (modbus-serial ServerTCP on loopback)', () => {
  it('reads every type, word order, scale and unit into exact thousandths and hands them to the ingestion pipeline', async () => {
    const meter = await bank();
    fillMeter(meter);
    // The analytics store is replaced by an in-memory sink here; the store is tested in runtime/analytics.
    const stored: TenantReading[] = [];
    const pipeline = new IngestionPipeline({ codecs: new CodecRegistry(), sink: async (rows) => void stored.push(...rows), batching: { maxDelayMs: 10 } });
    cleanups.push(() => pipeline.close());
    const device = identity('MB-0001');
    const p = poller({
      devices: [{ identity: device, host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: meterMap, intervalMs: 60_000 }],
      deliver: (d, readings, at) => pipeline.ingestReadings(d, readings, at),
    });

    const outcome = await p.pollOnce('MB-0001');
    expect(outcome.ok).toBe(true);
    const byMetric = Object.fromEntries(stored.map((row) => [row.reading.metric, row.reading.milli]));
    expect(byMetric).toEqual({
      cumulative_volume: 123_456_789_000n, // 123 456 789 L
      reverse_volume: 1_005_000n,
      settlement_volume: 4_294_967_295_000n,
      net_volume: -2_000n,
      net_volume_swapped: -2_147_483_648_000n,
      signal_strength: -87_000n,
      flow_rate: -12_340_000n, // −12 340 L/h
      pressure: 350_000n, // 350 kPa
      temperature: 12_300n,
      battery_voltage: 3_600n,
      valve_state: 1_000n,
      battery_low: 0n,
    });
    // Every reading is the polled device's, under its tenant, at one poll time.
    expect(new Set(stored.map((r) => `${r.tenantId}/${r.tenantPath}/${r.reading.device}/${r.reading.at.toISOString()}`)).size).toBe(1);
    expect(stored[0]).toMatchObject({ tenantId: 12, tenantPath: '1.12', reading: { device: 'MB-0001' } });
    expect(p.status('MB-0001')).toMatchObject({ online: true, consecutiveFailures: 0, polls: 1 });
  });

  it('groups touching registers into few requests, counted on the server', async () => {
    const meter = await bank();
    fillMeter(meter);
    const p = poller({
      devices: [{ identity: identity('MB-0002'), host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: meterMap, intervalMs: 60_000 }],
      deliver: async () => undefined,
    });
    await p.pollOnce('MB-0002');
    // 12 values: holding 0–10 in one request, input 0–5 in one, one coil, one discrete input.
    expect(meter.requests.map(({ fc, address, quantity }) => [fc, address, quantity])).toEqual([
      [3, 0, 11],
      [4, 0, 6],
      [1, 0, 1],
      [2, 3, 1],
    ]);
    expect(meter.requests.every((r) => r.unit === 1)).toBe(true);

    // A device that takes at most 4 registers per request gets 32-bit values whole, never split.
    meter.requests.length = 0;
    const small = poller({
      devices: [
        { identity: identity('MB-0003'), host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: { ...meterMap, maxRegistersPerRead: 4 }, intervalMs: 60_000 },
      ],
      deliver: async () => undefined,
    });
    const outcome = await small.pollOnce('MB-0003');
    expect(outcome.ok && outcome.readings).toHaveLength(12);
    expect(meter.requests.filter((r) => r.fc === 3).map((r) => [r.address, r.quantity])).toEqual([
      [0, 4],
      [4, 4],
      [8, 3],
    ]);
  });

  it('polls on its interval: one poll per interval, no bursts', async () => {
    const meter = await bank();
    fillMeter(meter);
    const delivered: Reading[][] = [];
    const p = poller({
      devices: [{ identity: identity('MB-0004'), host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: meterMap, intervalMs: 150 }],
      deliver: async (_d, readings) => void delivered.push(readings),
    });
    p.start();
    await sleep(1_000);
    await p.stop();
    const polls = meter.requests.filter((r) => r.fc === 3).map((r) => r.at);
    // Polls at 0, 150, …, 900 ms: 7, give or take one for timer jitter on a busy machine.
    expect(polls.length).toBeGreaterThanOrEqual(6);
    expect(polls.length).toBeLessThanOrEqual(8);
    const gaps = polls.slice(1).map((at, i) => at - polls[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
    expect(delivered).toHaveLength(polls.length);
    expect(delivered.every((readings) => readings.length === 12)).toBe(true);
  });

  it('times out a device that does not answer and reports it offline, while another device keeps its cadence', async () => {
    const meter = await bank();
    fillMeter(meter);
    const silent = await silentDevice();
    cleanups.push(() => silent.close());
    const refused = await closedPort();
    const offline: { key: string; error: string }[] = [];
    const online: string[] = [];
    const deliveredAt: number[] = [];
    const p = poller({
      devices: [
        { identity: identity('MB-LIVE'), host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: meterMap, intervalMs: 100 },
        { identity: identity('MB-HUNG'), host: '127.0.0.1', port: silent.port, unitId: 1, registerMap: meterMap, intervalMs: 100 },
        { identity: identity('MB-GONE'), host: '127.0.0.1', port: refused, unitId: 1, registerMap: meterMap, intervalMs: 100 },
      ],
      deliver: async (d) => void (d.deviceKey === 'MB-LIVE' && deliveredAt.push(Date.now())),
      timeoutMs: 400,
      offlineAfterFailures: 2,
      onOffline: (d, error) => offline.push({ key: d.deviceKey, error: error.message }),
      onOnline: (d) => online.push(d.deviceKey),
    });
    const started = Date.now();
    p.start();
    await sleep(1_200);
    await p.stop();

    expect(offline.map((o) => o.key).sort()).toEqual(['MB-GONE', 'MB-HUNG']); // each reported once
    expect(offline.find((o) => o.key === 'MB-HUNG')!.error).toMatch(/timed out/i);
    expect(offline.find((o) => o.key === 'MB-GONE')!.error).toMatch(/ECONNREFUSED/);
    expect(online).toEqual(['MB-LIVE']);
    expect(p.status('MB-HUNG')).toMatchObject({ online: false, lastAnsweredAt: undefined });
    expect(p.status('MB-HUNG')!.consecutiveFailures).toBeGreaterThanOrEqual(2);
    // The live meter was polled every 100 ms throughout (12 slots in 1.2 s): had the hung device's
    // 400 ms timeouts held it up, its gaps would be 400 ms and its count 3.
    expect(deliveredAt.length).toBeGreaterThanOrEqual(9);
    expect(deliveredAt[0]! - started).toBeLessThan(100);
    expect(Math.max(...deliveredAt.slice(1).map((at, i) => at - deliveredAt[i]!))).toBeLessThan(300);
  });

  it('counts an exception answer as a failed poll of an online device, and reports a return after an outage', async () => {
    const meter = await bank();
    fillMeter(meter);
    meter.input.delete(1); // the map names a register this meter does not have
    const failures: string[] = [];
    const events: string[] = [];
    const p = poller({
      devices: [{ identity: identity('MB-0005'), host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: meterMap, intervalMs: 60_000 }],
      deliver: async () => undefined,
      timeoutMs: 200,
      offlineAfterFailures: 1,
      onPollFailed: (_d, error) => failures.push(error.message),
      onOffline: (d) => events.push(`offline ${d.deviceKey}`),
      onOnline: (d) => events.push(`online ${d.deviceKey}`),
    });
    const refusedRead = await p.pollOnce('MB-0005');
    expect(refusedRead).toMatchObject({ ok: false, unreachable: false });
    expect(failures).toEqual([expect.stringMatching(/Illegal data address/)]);
    expect(p.status('MB-0005')).toMatchObject({ online: true, consecutiveFailures: 0 });

    // The meter goes away (connection refused), then comes back on the same port.
    const port = meter.port;
    await meter.close();
    expect(await p.pollOnce('MB-0005')).toMatchObject({ ok: false, unreachable: true });
    expect(events).toEqual(['online MB-0005', 'offline MB-0005']);
    const back = await bank(port);
    fillMeter(back);
    expect(await p.pollOnce('MB-0005')).toMatchObject({ ok: true, readings: expect.any(Array) });
    expect(events).toEqual(['online MB-0005', 'offline MB-0005', 'online MB-0005']);
  });

  it('refuses to start with an invalid register map, naming the device and the field', () => {
    const bad: RegisterMapDefinition = { metrics: [{ metric: 'cumulative_volume', function: 'holding_register', address: 0, type: 'float32', unit: 'm3' }] };
    let thrown: unknown;
    try {
      new ModbusPoller({ devices: [{ identity: identity('MB-BAD'), host: '127.0.0.1', unitId: 1, registerMap: bad, intervalMs: 1_000 }], deliver: async () => undefined });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RegisterMapError);
    expect((thrown as RegisterMapError).issues).toEqual([{ path: 'MB-BAD: metrics.0.type', code: 'float_volume', message: expect.any(String) }]);
    const device: ModbusDevice = { identity: identity('MB-X'), host: '127.0.0.1', unitId: 300, registerMap: meterMap, intervalMs: 1_000 };
    expect(() => new ModbusPoller({ devices: [device], deliver: async () => undefined })).toThrow(/unitId/);
  });
});

describe('ModbusPoller writes (downlink commands) against a real Modbus TCP server', () => {
  it('writes a coil with FC 5 and registers with FC 6 and FC 16 over the device’s connection, seen on the server', async () => {
    const meter = await bank();
    fillMeter(meter);
    meter.coils.set(16, false);
    meter.holding.set(100, 0).set(200, 0).set(201, 0);
    const online: string[] = [];
    const p = poller({
      devices: [{ identity: identity('MB-W1'), host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: meterMap, intervalMs: 60_000 }],
      deliver: async () => undefined,
      onOnline: (d) => online.push(d.deviceKey),
    });
    expect(await p.write('MB-W1', { function: 'coil', address: 16, value: true })).toEqual({ ok: true });
    expect(meter.coils.get(16)).toBe(true);
    expect(await p.write('MB-W1', { function: 'holding_register', address: 100, words: [15] })).toEqual({ ok: true });
    expect(meter.holding.get(100)).toBe(15);
    expect(await p.write('MB-W1', { function: 'holding_register', address: 200, words: [0x0001, 0x86a0] })).toEqual({ ok: true });
    expect([meter.holding.get(200), meter.holding.get(201)]).toEqual([0x0001, 0x86a0]);
    expect(meter.requests.map(({ fc, address, quantity }) => [fc, address, quantity])).toEqual([
      [5, 16, 0xff00],
      [6, 100, 15],
      [16, 200, 2],
    ]);
    // An answered write is an answer: the device is online.
    expect(online).toEqual(['MB-W1']);
    await expect(p.write('MB-NONE', { function: 'coil', address: 16, value: true })).rejects.toThrow(/not polled here/);
  });

  it('tells a refused write (Modbus exception, device there) from an unanswered one (device unreachable)', async () => {
    const meter = await bank();
    fillMeter(meter);
    meter.coils.set(16, false);
    meter.refuseWrites.add(16);
    const p = poller({
      devices: [{ identity: identity('MB-W2'), host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: meterMap, intervalMs: 60_000 }],
      deliver: async () => undefined,
      timeoutMs: 300,
    });
    const refused = await p.write('MB-W2', { function: 'coil', address: 16, value: true });
    expect(refused).toMatchObject({ ok: false, unreachable: false, exceptionCode: 4 });
    expect(refused.ok || refused.error.message).toMatch(/Modbus exception 4/);
    expect(meter.coils.get(16)).toBe(false);
    const unmapped = await p.write('MB-W2', { function: 'holding_register', address: 999, words: [1] });
    expect(unmapped).toMatchObject({ ok: false, unreachable: false, exceptionCode: 2 });

    await meter.close();
    const gone = await p.write('MB-W2', { function: 'coil', address: 16, value: true });
    expect(gone).toMatchObject({ ok: false, unreachable: true, exceptionCode: undefined });
  });

  it('neither polls nor writes after stop, and reports nothing for requests queued behind the stop', async () => {
    const meter = await bank();
    fillMeter(meter);
    const offline: string[] = [];
    const p = new ModbusPoller({
      devices: [{ identity: identity('MB-W3'), host: '127.0.0.1', port: meter.port, unitId: 1, registerMap: meterMap, intervalMs: 60_000 }],
      deliver: async () => undefined,
      offlineAfterFailures: 1,
      onOffline: (d) => offline.push(d.deviceKey),
    });
    await p.pollOnce('MB-W3');
    const requests = meter.requests.length;
    await p.stop();
    expect(await p.pollOnce('MB-W3')).toMatchObject({ ok: false, unreachable: true });
    expect(await p.write('MB-W3', { function: 'coil', address: 0, value: false })).toMatchObject({ ok: false, unreachable: true });
    expect(meter.requests.length).toBe(requests);
    expect(offline).toEqual([]);
    expect(p.status('MB-W3')).toMatchObject({ online: true, consecutiveFailures: 0, polls: 1 });
  });
});
