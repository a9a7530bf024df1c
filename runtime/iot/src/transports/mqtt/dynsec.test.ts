import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DYNSEC_ADMIN, RUNTIME_ACCOUNT, startPrivateMosquitto, startTcpProxy, type PrivateMosquitto } from '../../testing/private-mosquitto.js';
import { DEVICE_ROLE, deviceRoleName, DynsecClient, DynsecCommandError, DynsecProvisioner, DynsecUnavailableError, expectAnswered, type DeviceAccountSpec } from './dynsec.js';

let mosquitto: PrivateMosquitto;
let admin: DynsecClient;
let provisioner: DynsecProvisioner;
let clients = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  mosquitto = await startPrivateMosquitto({ dynsec: {} });
  admin = await DynsecClient.connect({ url: mosquitto.url, ...DYNSEC_ADMIN, clientId: `dynsec-test-${process.pid}` });
  provisioner = new DynsecProvisioner(admin);
  await provisioner.ensureDeviceRole();
});
afterAll(async () => {
  await admin?.close();
  await mosquitto?.stop();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

const until = (check: () => void | Promise<void>) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

async function signIn(username: string, password: string, protocolVersion: 4 | 5 = 5): Promise<MqttClient> {
  const client = await connectAsync(mosquitto.url, { username, password, clientId: `${username}-${++clients}`, protocolVersion, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync(true));
  return client;
}

/** The reason Mosquitto gives a refused CONNECT, or 'accepted'. */
async function signInOutcome(username: string, password: string): Promise<string> {
  try {
    await signIn(username, password);
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}

const spec = (username: string, password: string, owner = `device:${username}`): DeviceAccountSpec => ({ username, password, owner, fingerprint: `fp-${password}`, label: `meter ${username}` });
const never = async () => false;

describe('the dynamic-security command client, against a private Mosquitto with the plugin', () => {
  it('answers each command of a message, in order, with the plugin’s own refusal where there is one', async () => {
    const results = await admin.send([
      { command: 'createRole', rolename: 'cmd-test-role' },
      { command: 'createRole', rolename: 'cmd-test-role' },
      { command: 'getRole', rolename: 'cmd-test-role' },
      { command: 'getClient', username: 'nobody-here' },
    ]);
    expect(results.map((r) => [r.command, r.error])).toEqual([
      ['createRole', undefined],
      ['createRole', 'Role already exists'],
      ['getRole', undefined],
      ['getClient', 'Client not found'],
    ]);
    expect(results[2]!.data).toMatchObject({ role: { rolename: 'cmd-test-role' } });
  });

  it('keeps the answers of two admin clients apart, though the plugin sends every answer to both', async () => {
    const other = await DynsecClient.connect({ url: mosquitto.url, ...DYNSEC_ADMIN, clientId: `dynsec-other-${process.pid}` });
    cleanups.push(() => other.close());
    const [mine, theirs] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, (_, i) => admin.send([{ command: 'getClient', username: i % 2 ? RUNTIME_ACCOUNT.username : 'nobody' }]))),
      Promise.all(Array.from({ length: 20 }, () => other.send([{ command: 'getRole', rolename: DEVICE_ROLE }]))),
    ]);
    expect(mine.map(([r]) => r!.error ?? (r!.data as { client: { username: string } }).client.username)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? RUNTIME_ACCOUNT.username : 'Client not found')),
    );
    expect(theirs.every(([r]) => r!.command === 'getRole' && r!.error === undefined)).toBe(true);
  });

  it('fails at once as unavailable while the broker cannot be reached, and answers again after the reconnect', async () => {
    const network = await startTcpProxy(mosquitto.port);
    cleanups.push(() => network.close());
    const cut = await DynsecClient.connect({ url: network.url, ...DYNSEC_ADMIN, clientId: `dynsec-cut-${process.pid}`, reconnectPeriodMs: 100 });
    cleanups.push(() => cut.close());
    const reconnected = new Promise<void>((resolve) => cut.onReady(resolve));
    await network.cut();
    await until(() => expect(cut.ready).toBe(false));
    await expect(cut.send([{ command: 'getRole', rolename: DEVICE_ROLE }])).rejects.toBeInstanceOf(DynsecUnavailableError);
    await network.restore();
    await reconnected;
    expect((await cut.send([{ command: 'getRole', rolename: DEVICE_ROLE }]))[0]!.error).toBeUndefined();
  });

  it('refuses to start with a wrong admin password, or with an account that is not the plugin’s admin', async () => {
    await expect(DynsecClient.connect({ url: mosquitto.url, username: DYNSEC_ADMIN.username, password: 'wrong', clientId: `dynsec-bad-${process.pid}` })).rejects.toThrow(/Not authorized|Bad User Name/i);
    await expect(DynsecClient.connect({ url: mosquitto.url, ...RUNTIME_ACCOUNT, clientId: `dynsec-runtime-${process.pid}` })).rejects.toThrow(/is it the dynamic-security admin/);
  });
});

describe('device accounts provisioned into the dynamic-security plugin', () => {
  it('lets a provisioned device publish its own uplink, which the runtime’s account receives, and nothing else', async () => {
    expect(await provisioner.putAccount(spec('DEV-A', 'secret-a'), never)).toEqual({ outcome: 'created' });
    expect(await provisioner.putAccount(spec('DEV-B', 'secret-b'), never)).toEqual({ outcome: 'created' });
    const runtime = await signIn(RUNTIME_ACCOUNT.username, RUNTIME_ACCOUNT.password);
    const uplinks: string[] = [];
    runtime.on('message', (topic, payload) => uplinks.push(`${topic} ${payload.toString()}`));
    await runtime.subscribeAsync(`$share/dynsec-test/devices/+/up`, { qos: 1 });

    const a = await signIn('DEV-A', 'secret-a');
    await expect(a.publishAsync('devices/DEV-B/up', 'forged', { qos: 1 })).rejects.toThrow(/Not authorized/);
    await expect(a.publishAsync('elsewhere', 'stray', { qos: 1 })).rejects.toThrow(/Not authorized/);
    await a.publishAsync('devices/DEV-A/up', 'honest', { qos: 1 });
    await until(() => expect(uplinks).toEqual(['devices/DEV-A/up honest']));
    expect(await signInOutcome('DEV-A', 'secret-b')).toMatch(/Not authorized/);
    expect(await signInOutcome('DEV-C', 'secret-a')).toMatch(/Not authorized/);
  });

  it('lets a device subscribe to its own downlink only, and receive only what is sent there', async () => {
    await provisioner.putAccount(spec('DEV-D', 'secret-d'), never);
    await provisioner.putAccount(spec('DEV-E', 'secret-e'), never);
    const d = await signIn('DEV-D', 'secret-d');
    const d311 = await signIn('DEV-D', 'secret-d', 4);
    const e = await signIn('DEV-E', 'secret-e');
    const heard: string[] = [];
    for (const [name, client] of [['d', d], ['d311', d311], ['e', e]] as const) client.on('message', (topic, payload) => heard.push(`${name} ${topic} ${payload.toString()}`));
    await expect(d.subscribeAsync('devices/DEV-E/down', { qos: 1 })).rejects.toThrow(/Not authorized/);
    await expect(d.subscribeAsync('devices/+/down', { qos: 1 })).rejects.toThrow(/Not authorized/);
    await expect(d311.subscribeAsync('devices/DEV-E/down', { qos: 1 })).rejects.toThrow(/Unspecified error/); // SUBACK 0x80 in MQTT 3.1.1
    await d.subscribeAsync('devices/DEV-D/down', { qos: 1 });
    await e.subscribeAsync('devices/DEV-E/down', { qos: 1 });
    const runtime = await signIn(RUNTIME_ACCOUNT.username, RUNTIME_ACCOUNT.password);
    await runtime.publishAsync('devices/DEV-E/down', 'for-e', { qos: 1 });
    await runtime.publishAsync('devices/DEV-D/down', 'for-d', { qos: 1 });
    await until(() => expect(heard.sort()).toEqual(['d devices/DEV-D/down for-d', 'e devices/DEV-E/down for-e']));
  });

  it('rotates a password: the device’s connection is dropped, the old password refused, the new one accepted', async () => {
    await provisioner.putAccount(spec('DEV-R', 'old-secret'), never);
    const connected = await signIn('DEV-R', 'old-secret');
    const dropped = new Promise<void>((resolve) => connected.once('close', () => resolve()));
    expect(await provisioner.putAccount(spec('DEV-R', 'new-secret'), never)).toEqual({ outcome: 'updated' });
    await dropped;
    expect(await signInOutcome('DEV-R', 'old-secret')).toMatch(/Not authorized/);
    expect(await signInOutcome('DEV-R', 'new-secret')).toBe('accepted');
    expect(await provisioner.account('DEV-R')).toEqual({ username: 'DEV-R', owner: 'device:DEV-R', fingerprint: 'fp-new-secret', disabled: false });
  });

  it('disables and deletes only the owner’s account; the plugin keeps no role of a deleted device', async () => {
    await provisioner.putAccount(spec('DEV-X', 'secret-x'), never);
    expect(await provisioner.disableAccount('DEV-X', 'device:someone-else')).toBe('not_owner');
    expect(await signInOutcome('DEV-X', 'secret-x')).toBe('accepted');
    expect(await provisioner.disableAccount('DEV-X', 'device:DEV-X')).toBe('done');
    expect(await signInOutcome('DEV-X', 'secret-x')).toMatch(/Not authorized/);
    expect((await provisioner.account('DEV-X'))?.disabled).toBe(true);
    expect(await provisioner.deleteAccount('DEV-X', 'device:DEV-X')).toBe('done');
    expect(await provisioner.account('DEV-X')).toBeNull();
    expect((await admin.send([{ command: 'getRole', rolename: deviceRoleName('DEV-X') }]))[0]!.error).toBe('Role not found');
    expect(await provisioner.deleteAccount('DEV-X', 'device:DEV-X')).toBe('absent');
  });

  it('never touches an account it did not create, even under the same user name (the runtime’s own)', async () => {
    const outcome = await provisioner.putAccount(spec(RUNTIME_ACCOUNT.username, 'hijack'), async () => true);
    expect(outcome).toMatchObject({ outcome: 'conflict', holder: { username: RUNTIME_ACCOUNT.username, owner: null } });
    expect(await provisioner.deleteAccount(RUNTIME_ACCOUNT.username, `device:${RUNTIME_ACCOUNT.username}`)).toBe('not_owner');
    expect(await signInOutcome(RUNTIME_ACCOUNT.username, 'hijack')).toMatch(/Not authorized/);
    expect(await signInOutcome(RUNTIME_ACCOUNT.username, RUNTIME_ACCOUNT.password)).toBe('accepted');
  });

  it('takes over another owner’s account only when told that owner is gone', async () => {
    await provisioner.putAccount(spec('DEV-S', 'first', 'device:1'), never);
    const asked: (string | null)[] = [];
    const refused = await provisioner.putAccount(spec('DEV-S', 'second', 'device:2'), async (holder) => (asked.push(holder.owner), false));
    expect(refused).toMatchObject({ outcome: 'conflict', holder: { owner: 'device:1' } });
    expect(await signInOutcome('DEV-S', 'first')).toBe('accepted');
    expect(await provisioner.putAccount(spec('DEV-S', 'second', 'device:2'), async () => true)).toEqual({ outcome: 'taken_over' });
    expect(asked).toEqual(['device:1']);
    expect(await signInOutcome('DEV-S', 'first')).toMatch(/Not authorized/);
    expect(await signInOutcome('DEV-S', 'second')).toBe('accepted');
  });

  it('re-enables a disabled account when its device is given a secret again', async () => {
    await provisioner.putAccount(spec('DEV-Z', 'before'), never);
    await provisioner.disableAccount('DEV-Z', 'device:DEV-Z');
    await provisioner.putAccount(spec('DEV-Z', 'after'), never);
    expect(await signInOutcome('DEV-Z', 'after')).toBe('accepted');
  });

  it('surfaces a command the plugin refuses as a DynsecCommandError naming the command and the plugin’s reason', async () => {
    const results = await admin.send([
      { command: 'modifyRole', rolename: 'no-such-role', acls: [] },
      { command: 'getRole', rolename: DEVICE_ROLE },
    ]);
    expect(() => expectAnswered(results)).toThrow(DynsecCommandError);
    expect(() => expectAnswered(results)).toThrow('dynamic security refused modifyRole: Role does not exist');
    expect(() => expectAnswered(results, ['Role does not exist'])).not.toThrow();
  });
});

describe('a private Mosquitto whose dynamic-security file was written without mosquitto_ctrl', () => {
  it('accepts the admin account of the written file (PBKDF2-SHA512, as the plugin stores passwords)', async () => {
    const written = await startPrivateMosquitto({ dynsec: { init: 'json' } });
    cleanups.push(() => written.stop());
    const client = await DynsecClient.connect({ url: written.url, ...DYNSEC_ADMIN, clientId: `dynsec-json-${process.pid}` });
    cleanups.push(() => client.close());
    const [runtime] = await client.send([{ command: 'getClient', username: RUNTIME_ACCOUNT.username }]);
    expect(runtime!.data).toMatchObject({ client: { username: RUNTIME_ACCOUNT.username, roles: [{ rolename: 'shuiyun-runtime' }] } });
  });
});
