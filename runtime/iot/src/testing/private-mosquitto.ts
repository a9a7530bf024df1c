import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynsecClient, expectAnswered } from '../transports/mqtt/dynsec.js';

const MOSQUITTO = process.env.SHUIYUN_TEST_MOSQUITTO ?? '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = ['/usr/bin/mosquitto_passwd', '/usr/sbin/mosquitto_passwd'].find((path) => existsSync(path));
const MOSQUITTO_CTRL = ['/usr/bin/mosquitto_ctrl', '/usr/sbin/mosquitto_ctrl'].find((path) => existsSync(path));
const DYNSEC_PLUGIN =
  process.env.SHUIYUN_TEST_MOSQUITTO_DYNSEC ??
  ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/mosquitto_dynamic_security.so'].find((path) =>
    existsSync(path),
  );

/** The runtime's broker account in tests. */
export const RUNTIME_ACCOUNT = { username: 'shuiyun-runtime', password: 'runtime-test-secret' };

/** The ACL the external-broker transport documents: devices own their two topics, the runtime reads uplinks and writes downlinks. */
export const RECOMMENDED_ACL = [
  `user ${RUNTIME_ACCOUNT.username}`,
  'topic read devices/+/up',
  'topic write devices/+/down',
  '',
  'pattern write devices/%u/up',
  'pattern read devices/%u/down',
  '',
].join('\n');

/** The dynamic-security plugin's admin account in tests (the account `mosquitto_ctrl dynsec init` creates). */
export const DYNSEC_ADMIN = { username: 'dynsec-admin', password: 'dynsec-admin-test-secret' };

/** The runtime's role under dynamic security: what RECOMMENDED_ACL grants its account, in the plugin's terms. */
export const RUNTIME_ROLE_ACLS = [
  // A shared subscription is checked with its `$share/<group>/` prefix (seen on 2.0.11); delivery with the plain topic.
  { acltype: 'subscribePattern', topic: '$share/+/devices/+/up', allow: true },
  { acltype: 'publishClientReceive', topic: 'devices/+/up', allow: true },
  { acltype: 'publishClientSend', topic: 'devices/+/down', allow: true },
] as const;

export interface PrivateMosquitto {
  url: string;
  port: number;
  /** Stops the broker (it saves its persistent state) and starts it again on the same port and data. */
  restart(options?: { forgetState?: boolean }): Promise<void>;
  stop(): Promise<void>;
  /** What the broker logged (with `debug`, every packet it sent and received). */
  log(): string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Mosquitto 2 password-file line in its `$6$` (salted SHA-512) form, for machines without mosquitto_passwd. */
function passwordLine(username: string, password: string): string {
  const salt = randomBytes(12);
  const hash = createHash('sha512').update(password, 'utf8').update(salt).digest();
  return `${username}:$6$${salt.toString('base64')}$${hash.toString('base64')}\n`;
}

/**
 * The plugin's configuration with only its admin account, as `mosquitto_ctrl dynsec init` writes it: for
 * machines without mosquitto_ctrl. Passwords are PBKDF2-HMAC-SHA512 (64 bytes) over the base64-decoded
 * salt, all base64, with their iteration count (checked against a file mosquitto_ctrl 2.0.11 wrote).
 */
export function dynsecInitialConfig(admin: { username: string; password: string }): string {
  const salt = randomBytes(12);
  const iterations = 1_000;
  const control = '$CONTROL/dynamic-security/#';
  return JSON.stringify(
    {
      clients: [
        {
          username: admin.username,
          textname: 'Dynsec admin user',
          password: pbkdf2Sync(admin.password, salt, iterations, 64, 'sha512').toString('base64'),
          salt: salt.toString('base64'),
          iterations,
          roles: [{ rolename: 'admin' }],
        },
      ],
      roles: [
        {
          rolename: 'admin',
          acls: [
            { acltype: 'publishClientSend', topic: control, allow: true },
            { acltype: 'publishClientReceive', topic: control, allow: true },
            { acltype: 'subscribePattern', topic: control, allow: true },
          ],
        },
      ],
      defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
    },
    null,
    2,
  );
}

export interface PrivateMosquittoOptions {
  /** Password-file accounts (user name → password); not with `dynsec`. */
  accounts?: Record<string, string>;
  acl?: string;
  debug?: boolean;
  /**
   * Authentication and ACLs by the dynamic-security plugin instead of a password file: DYNSEC_ADMIN is its
   * admin (made by `mosquitto_ctrl dynsec init`, or by writing the file when `init: 'json'` or without
   * mosquitto_ctrl), and RUNTIME_ACCOUNT gets a role of RUNTIME_ROLE_ACLS through the plugin's commands.
   */
  dynsec?: { init?: 'mosquitto_ctrl' | 'json' };
}

/**
 * A Mosquitto of the test's own on a free loopback port: password file and ACL (or the dynamic-security
 * plugin), persistence in a temporary directory, removed on `stop`. Independent of whatever the machine's
 * shared broker on 1883 holds.
 */
export async function startPrivateMosquitto(options: PrivateMosquittoOptions = {}): Promise<PrivateMosquitto> {
  if (options.dynsec && (options.accounts || options.acl)) throw new Error('with dynsec, accounts are made through the plugin, not a password file');
  if (options.dynsec && !DYNSEC_PLUGIN) throw new Error('the dynamic-security plugin (mosquitto_dynamic_security.so) is not installed; SHUIYUN_TEST_MOSQUITTO_DYNSEC names it');
  const dir = await mkdtemp(join(tmpdir(), 'shuiyun-mosquitto-'));
  // Started as root, Mosquitto drops to its own user, which must still write its persistence file here
  // (and the plugin its configuration, which it saves after every change).
  await chmod(dir, 0o777);
  const port = await freePort();
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'acl');
  const dynsecFile = join(dir, 'dynamic-security.json');
  const configFile = join(dir, 'mosquitto.conf');
  if (options.dynsec) {
    if (MOSQUITTO_CTRL && options.dynsec.init !== 'json') {
      await promisify(execFile)(MOSQUITTO_CTRL, ['dynsec', 'init', dynsecFile, DYNSEC_ADMIN.username, DYNSEC_ADMIN.password]);
    } else {
      await writeFile(dynsecFile, dynsecInitialConfig(DYNSEC_ADMIN));
    }
    await chmod(dynsecFile, 0o666);
  } else {
    await writeFile(passwordFile, '');
    await writeFile(aclFile, options.acl ?? RECOMMENDED_ACL);
  }
  const authentication = options.dynsec
    ? [`plugin ${DYNSEC_PLUGIN}`, `plugin_opt_config_file ${dynsecFile}`]
    : [`password_file ${passwordFile}`, `acl_file ${aclFile}`];
  await writeFile(
    configFile,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      ...authentication,
      'persistence true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      ...(options.debug ? ['log_type debug'] : []),
      '',
    ].join('\n'),
  );

  const addAccount = async (username: string, password: string) => {
    if (MOSQUITTO_PASSWD) await promisify(execFile)(MOSQUITTO_PASSWD, ['-b', passwordFile, username, password]);
    else await appendFile(passwordFile, passwordLine(username, password));
    await chmod(passwordFile, 0o644);
  };
  if (!options.dynsec) {
    for (const [username, password] of Object.entries({ [RUNTIME_ACCOUNT.username]: RUNTIME_ACCOUNT.password, ...options.accounts })) {
      await addAccount(username, password);
    }
  }

  let output = '';
  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawn(MOSQUITTO, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<never>((_, reject) => started.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}:\n${output}`))));
    exited.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!(await Promise.race([accepts(port), exited]))) {
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const halt = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };

  await launch();
  if (options.dynsec) {
    const admin = await DynsecClient.connect({ url: `mqtt://127.0.0.1:${port}`, ...DYNSEC_ADMIN, clientId: `test-setup-${process.pid}-${port}` });
    try {
      expectAnswered(
        await admin.send([
          { command: 'createRole', rolename: 'shuiyun-runtime', acls: RUNTIME_ROLE_ACLS.map((acl) => ({ ...acl })) },
          { command: 'createClient', username: RUNTIME_ACCOUNT.username, password: RUNTIME_ACCOUNT.password, roles: [{ rolename: 'shuiyun-runtime' }] },
        ]),
      );
    } finally {
      await admin.close();
    }
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async restart({ forgetState = false } = {}) {
      await halt();
      if (forgetState) await rm(join(dir, 'mosquitto.db'), { force: true });
      await launch();
    },
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}

export interface TcpProxy {
  url: string;
  /** Cuts every connection through the proxy and refuses new ones, as a network partition would. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback TCP forwarder to `targetPort`, so a test can take the network away from one client only. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = createConnection({ port: targetPort, host: '127.0.0.1' });
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const cut = async () => {
    const closing = stopListening();
    sockets.forEach((socket) => socket.destroy());
    await closing;
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    cut,
    restore: () => listen(port),
    close: cut,
  };
}
