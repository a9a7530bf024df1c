import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { asSystem, deviceCommands } from '@shuiyun/db';
import type { CoapTransport } from '@shuiyun/iot';
import { Agent, request, type IncomingMessage } from 'coap';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, type TestRuntime } from '../testing/harness.js';

const name = (zh: string, en: string) => ({ zh, en });
const meterModel = {
  properties: [{ identifier: 'cumulative_volume', name: name('累计流量', 'Cumulative volume'), dataType: 'decimal', unit: 'm³', min: 0, max: 99999999.99, scale: 2, access: 'r' }],
  events: [],
  services: [
    { identifier: 'valve_open', name: name('开阀', 'Open valve') },
    { identifier: 'valve_close', name: name('关阀', 'Close valve') },
    { identifier: 'read_now', name: name('立即抄表', 'Read now') },
  ],
};

/*
 * CJ/T 188 frames written out by hand (68 T A0…A6 C L DATA CS 16; address BCD, last two digits first;
 * CS = sum from 0x68 through the data, mod 256), so the test holds the runtime to the standard.
 */
const addressBytes = (address: string) => (address.match(/\d\d/g) ?? []).reverse().map((pair) => parseInt(pair, 16));
function frame(control: number, address: string, data: number[], preamble = 0): Buffer {
  const body = [0x68, 0x10, ...addressBytes(address), control, data.length, ...data];
  return Buffer.from([...Array<number>(preamble).fill(0xfe), ...body, body.reduce((sum, byte) => sum + byte, 0) % 256, 0x16]);
}
/** Valve control as the platform must send it: write data 0x04, DI A017 written 17 A0, SER, 0x55 open / 0x99 close, two wake-up bytes. */
const valveCommand = (address: string, serial: number, operation: 'open' | 'close') => frame(0x04, address, [0x17, 0xa0, serial, operation === 'open' ? 0x55 : 0x99], 2);
/** The meter's acknowledgement 0x84: DI, SER, ST. */
const valveAcknowledgement = (address: string, serial: number) => frame(0x84, address, [0x17, 0xa0, serial, 0x01, 0x00]);

interface CoapAnswer {
  code: string;
  payload: Buffer;
  json: unknown;
}

describe.each(drivers)('NB-IoT meters on CoAP through the runtime on %s', (driver) => {
  let t: TestRuntime;
  let coap: CoapTransport;
  let admin: string;
  const agent = new Agent({ type: 'udp4' });
  const meters: Record<string, { id: number; key: string; secret: string }> = {};

  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { token: admin, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const coapRequest = (method: 'POST' | 'GET', pathname: string, query: string, payload?: Buffer): Promise<CoapAnswer> =>
    new Promise((resolve, reject) => {
      const req = request({ hostname: '127.0.0.1', port: coap.port, pathname, query, method, agent, confirmable: true });
      req.on('response', (res: IncomingMessage) => {
        let json: unknown;
        try {
          json = res.payload.length ? JSON.parse(res.payload.toString('utf8')) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code: res.code, payload: res.payload, json });
      });
      req.on('error', reject);
      req.end(payload);
    });
  const up = (meter: string, payload: Buffer, secret = meters[meter]!.secret) => coapRequest('POST', `/devices/${meters[meter]!.key}/up`, `token=${secret}`, payload);
  const down = (meter: string) => coapRequest('GET', `/devices/${meters[meter]!.key}/down`, `token=${meters[meter]!.secret}`);
  const command = (meter: string, body: unknown) => ok('POST', `/api/devices/${meters[meter]!.id}/commands`, body);
  const status = (id: number) => ok('GET', `/api/device-commands/${id}`);
  const readings = async (meter: string) => (await ok('GET', `/api/devices/${meters[meter]!.id}/readings?metric=cumulative_volume`)).items;
  const report = (meter: string, litres: number, at: string) => Buffer.from(encodeMeterDataReply({ address: meters[meter]!.key, cumulativeLitres: litres, at: new Date(at) }));

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    coap = await t.runtime.iot!.startCoap(0, '127.0.0.1');
    admin = await t.login('admin@demo-county-a');
    const product = await ok('POST', '/api/products', { code: 'NB-COAP', name: 'NB-IoT 阀控表 (CoAP)', kind: 'nb-iot-meter', transport: 'coap', codec: 'cjt188', thingModel: meterModel });
    for (const [meter, key] of [
      ['first', '12000000000001'],
      ['second', '12000000000002'],
      ['third', '12000000000003'],
    ] as const) {
      const created = await ok('POST', '/api/devices', { productId: product.id, meterNumber: `M-${meter}`, deviceKey: key });
      for (const to of ['accepted', 'in_service']) await ok('POST', `/api/devices/${created.id}/transition`, { to });
      // The registry issues a CoAP meter its own secret at creation, shown this once (the `?token=`).
      expect(created.mqttCredentials).toMatchObject({ username: key, secret: expect.any(String) });
      meters[meter] = { id: created.id, key, secret: created.mqttCredentials.secret as string };
    }
  });
  afterAll(async () => {
    await t?.close();
    // coap 1.5's Agent.close(done) may never call `done` once the agent closed its idle socket itself; 'close' comes in both cases.
    await new Promise<void>((resolve) => {
      agent.once('close', () => resolve());
      agent.close();
    });
  });

  it('stores a meter’s CoAP report under its tenant before answering 2.04, which says no command waits; the meter goes online', async () => {
    const answer = await up('first', report('first', 123_450, '2026-11-27T16:00:00Z'));
    expect(answer).toMatchObject({ code: '2.04', json: { readings: expect.any(Number), pending: 0 } });
    expect(await readings('first')).toEqual([{ metric: 'cumulative_volume', at: '2026-11-27T16:00:00.000Z', value: '123450.000' }]);
    await t.runtime.iot!.settle();
    expect(await ok('GET', `/api/devices/${meters.first!.id}`)).toMatchObject({ online: true, lastSeenAt: '2026-11-27T16:00:00.000Z' });
  });

  it('answers 4.01 to a wrong secret, stores nothing, and counts the refusal', async () => {
    const answer = await up('second', report('second', 5_000, '2026-11-27T17:00:00Z'), 'not-the-secret');
    expect(answer).toMatchObject({ code: '4.01', json: { code: 'bad_credentials' } });
    // Another meter's secret is no better.
    expect((await up('second', report('second', 5_000, '2026-11-27T17:00:00Z'), meters.first!.secret)).code).toBe('4.01');
    await t.runtime.iot!.settle();
    expect(await readings('second')).toEqual([]);
    expect(String((await t.request('GET', '/metrics')).body)).toMatch(/shuiyun_iot_coap_refused_total\{code="bad_credentials"\} 2/);
  });

  it('keeps a valve_close for a CoAP meter queued until the meter fetches it; the meter’s 0x84 reply over CoAP acknowledges it', async () => {
    const { key } = meters.first!;
    const queued = await command('first', { service: 'valve_close' });
    // Nothing is pushed to a sleeping meter: the command waits for the meter to ask.
    expect(queued).toMatchObject({ status: 'queued', sentAt: null });

    const report_ = await up('first', report('first', 123_460, '2026-11-27T18:00:00Z'));
    expect(report_).toMatchObject({ code: '2.04', json: { pending: 1 } });

    const fetched = await down('first');
    expect(fetched.code).toBe('2.05');
    expect([...fetched.payload]).toEqual([...valveCommand(key, queued.serial, 'close')]);
    const sent = await status(queued.id);
    expect(sent).toMatchObject({ status: 'sent', payloadHex: fetched.payload.toString('hex').toUpperCase() });
    expect(new Date(sent.sentAt).getTime()).toBeGreaterThanOrEqual(new Date(sent.queuedAt).getTime());
    // Nothing else waits: an empty 2.05.
    expect(await down('first')).toMatchObject({ code: '2.05', payload: Buffer.alloc(0) });

    const replied = await up('first', valveAcknowledgement(key, queued.serial));
    expect(replied).toMatchObject({ code: '2.04', json: { readings: 0, pending: 0 } });
    expect(await status(queued.id)).toMatchObject({ status: 'acknowledged', reply: { status: ['0x01', '0x00'] }, failureReason: null });
  });

  it('hands each command out once when GETs race for it: two GETs for one command, three for two', async () => {
    const one = await command('second', { service: 'valve_close' });
    const race = await Promise.all([down('second'), down('second')]);
    expect(race.map((a) => a.code)).toEqual(['2.05', '2.05']);
    expect(race.map((a) => a.payload.length > 0).sort()).toEqual([false, true]);
    expect((await status(one.id)).status).toBe('sent');

    const open = await command('third', { service: 'valve_open' });
    const read = await command('third', { service: 'read_now' });
    const three = await Promise.all([down('third'), down('third'), down('third')]);
    const handedOut = three.filter((a) => a.payload.length > 0).map((a) => a.payload.toString('hex').toUpperCase());
    expect(handedOut.sort()).toEqual([open.payloadHex, read.payloadHex].sort());
    const rows = await asSystem(t.database.db, (tx) => tx.select().from(deviceCommands).where(eq(deviceCommands.deviceId, meters.third!.id)));
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent']);
  });

  it('claims a command exactly once however many fetches run at once on the database', async () => {
    const queued = await command('second', { service: 'valve_open' });
    const commands = t.runtime.iot!.commands;
    const fetched = await Promise.all(Array.from({ length: 8 }, () => commands.takeNext({ deviceId: meters.second!.id })));
    expect(fetched.filter((f) => f !== null).map((f) => f!.id)).toEqual([queued.id]);
  });

  it('takes a read_now answered by the meter’s metering reply (its readings stored as usual)', async () => {
    const { key } = meters.third!;
    const read = (await ok('GET', `/api/devices/${meters.third!.id}/commands?status=sent`)).items.find((c: { service: string }) => c.service === 'read_now');
    // 0x901F reply: DI, SER, current 123.45 m³, settlement 100.00 m³, clock 2026-11-27 16:00:00, ST.
    const reply = frame(0x81, key, [0x1f, 0x90, read.serial, 0x45, 0x23, 0x01, 0x00, 0x2c, 0x00, 0x00, 0x01, 0x00, 0x2c, 0x00, 0x00, 0x16, 0x27, 0x11, 0x26, 0x20, 0x00, 0x00]);
    expect(await up('third', reply)).toMatchObject({ code: '2.04', json: { readings: expect.any(Number), pending: 0 } });
    expect((await status(read.id)).status).toBe('acknowledged');
    expect(await readings('third')).toEqual([{ metric: 'cumulative_volume', at: '2026-11-27T08:00:00.000Z', value: '123450.000' }]);
  });

  it('never pushes a CoAP meter’s command on the sweep: it waits queued, then expires undelivered', async () => {
    const waiting = await command('first', { service: 'valve_open', expiresInSeconds: 60 });
    expect(await t.runtime.iot!.commands.sweep(new Date(Date.now() + 30_000))).toMatchObject({ sent: 0 });
    expect((await status(waiting.id)).status).toBe('queued');
    await t.runtime.iot!.commands.sweep(new Date(Date.now() + 61_000));
    expect(await status(waiting.id)).toMatchObject({ status: 'expired', sentAt: null, failureReason: expect.stringMatching(/not delivered/) });
    // An expired command is not handed out any more.
    expect(await down('first')).toMatchObject({ code: '2.05', payload: Buffer.alloc(0) });
  });
});
