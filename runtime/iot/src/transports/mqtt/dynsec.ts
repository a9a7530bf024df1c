import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { downlinkTopic, uplinkTopic } from './topics.js';

/** Where Mosquitto 2's dynamic-security plugin takes its commands, and where it answers. */
export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_TOPIC}/response`;

export type DynsecAclType = 'publishClientSend' | 'publishClientReceive' | 'subscribeLiteral' | 'subscribePattern' | 'unsubscribeLiteral' | 'unsubscribePattern';

export interface DynsecAcl {
  acltype: DynsecAclType;
  topic: string;
  /** Higher first, within a role. */
  priority?: number;
  allow: boolean;
}

export interface DynsecRoleRef {
  rolename: string;
  /** Higher first, among a client's roles. */
  priority?: number;
}

interface ClientText {
  textname?: string;
  textdescription?: string;
}

/** The plugin's commands this runtime sends (the plugin has more: groups, default ACL access, …). */
export type DynsecCommand =
  | ({ command: 'createClient'; username: string; password?: string; roles?: DynsecRoleRef[] } & ClientText)
  /** Replaces what it names: `roles` replaces the client's whole role list. Kicks the client's connections. */
  | ({ command: 'modifyClient'; username: string; password?: string; roles?: DynsecRoleRef[] } & ClientText)
  | { command: 'setClientPassword'; username: string; password: string }
  | { command: 'getClient'; username: string }
  | { command: 'listClients'; verbose?: boolean; count?: number; offset?: number }
  /** `disableClient` and `deleteClient` also kick the client's connections. */
  | { command: 'enableClient' | 'disableClient' | 'deleteClient'; username: string }
  | ({ command: 'createRole'; rolename: string; acls?: DynsecAcl[] } & ClientText)
  /** `acls` replaces the role's whole ACL list. */
  | ({ command: 'modifyRole'; rolename: string; acls?: DynsecAcl[] } & ClientText)
  | { command: 'getRole' | 'deleteRole'; rolename: string }
  | ({ command: 'addRoleACL'; rolename: string } & DynsecAcl);

/** The plugin's answer to one command: `error` is its message (e.g. "Client already exists"). */
export interface DynsecResult {
  command: string;
  error?: string;
  data?: unknown;
}

/** The broker cannot be asked now, or the connection went before it answered: the commands may or may not have been applied. */
export class DynsecUnavailableError extends Error {
  override readonly name = 'DynsecUnavailableError';
}

/** Connected, but no answer in time: the commands may or may not have been applied. */
export class DynsecTimeoutError extends Error {
  override readonly name = 'DynsecTimeoutError';
}

/** The plugin refused a command: retrying the same command does not help. */
export class DynsecCommandError extends Error {
  override readonly name = 'DynsecCommandError';
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`dynamic security refused ${command}: ${reason}`);
  }
}

/** Throws the first refused command's error, except refusals listed as expected (e.g. "Role already exists"). */
export function expectAnswered(results: readonly DynsecResult[], expected: readonly string[] = []): void {
  const refused = results.find((r) => r.error !== undefined && !expected.includes(r.error));
  if (refused) throw new DynsecCommandError(refused.command, refused.error!);
}

export interface DynsecClientOptions {
  /** The broker's `mqtt://`, `mqtts://` or `ws(s)://` URL. */
  url: string;
  /** An account holding the plugin's admin role (publish and subscribe on `$CONTROL/dynamic-security/#`). */
  username: string;
  password: string;
  /** Unique per runtime node; not the node's uplink client id (see DynsecClient). */
  clientId: string;
  /** How long `send` waits for the plugin's answer. */
  timeoutMs?: number;
  /** Between reconnect attempts after the connection is lost. */
  reconnectPeriodMs?: number;
  onEvent?: (event: DynsecClientEvent) => void;
}

export type DynsecClientEvent = { type: 'connected' } | { type: 'disconnected' } | { type: 'error'; error: Error };

interface Waiting {
  results: (DynsecResult | undefined)[];
  remaining: number;
  settle: (error: Error | undefined) => void;
}

/** CONNACK refusals that retrying cannot mend: bad user name or password (4 / 0x86), not authorised (5 / 0x87), banned (0x8A). */
const REFUSED_CODES = new Set([4, 5, 0x86, 0x87, 0x8a]);

/**
 * A typed client of the dynamic-security plugin's command topic. Its own MQTT connection, apart from the
 * node's uplink client: that one withholds PUBACKs until readings are durable and drops its connection to
 * make the broker resend, which must not take credential changes down with it; and the admin account is
 * kept out of the uplink subscription's way.
 *
 * Correlation. The plugin answers every command message with one message on the response topic, which it
 * publishes to every subscriber, i.e. to every runtime node and every `mosquitto_ctrl` of the moment (seen
 * on 2.0.11). Each command therefore carries a `correlationData` unique to this client and request, which
 * the plugin echoes in the command's answer; answers to anyone else's commands are ignored. The answers are
 * QoS 0 (as the plugin publishes them): lost with the connection, so a connection that goes before the
 * answer fails the request as unavailable, and its outcome is unknown. Callers send commands that are safe
 * to repeat.
 */
export class DynsecClient {
  private readonly client: MqttClient;
  private readonly tag = randomBytes(6).toString('hex');
  private sequence = 0;
  private readonly waiting = new Map<string, { request: Waiting; index: number }>();
  private subscribed = false;
  private closing = false;
  private readonly readyListeners = new Set<() => void>();
  private starting: { resolve: () => void; reject: (error: Error) => void } | undefined;

  private constructor(private readonly options: DynsecClientOptions) {
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      protocolVersion: 5,
      clean: true, // answers are QoS 0 and nothing is queued for this client: a session would hold nothing
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: options.reconnectPeriodMs ?? 2_000,
      resubscribe: false, // subscribed on every connect, before the client counts as ready
    };
    this.client = connect(options.url, clientOptions);
    this.client.on('connect', () => this.onConnect());
    this.client.on('close', () => this.onClose());
    this.client.on('error', (error) => this.onError(error));
    this.client.on('message', (topic, payload) => {
      if (topic === DYNSEC_RESPONSE_TOPIC) this.onResponse(payload);
    });
  }

  /**
   * Connects and subscribes to the plugin's answers. A broker that cannot be reached is retried until it
   * can; refused credentials, or an account that may not use the command topic, fail the start (a
   * configuration error, which retrying does not mend).
   */
  static async connect(options: DynsecClientOptions): Promise<DynsecClient> {
    const client = new DynsecClient(options);
    try {
      await new Promise<void>((resolve, reject) => (client.starting = { resolve, reject }));
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /** Connected and listening for answers: `send` can be answered now. */
  get ready(): boolean {
    return this.subscribed && this.client.connected;
  }

  /** Called on every (re)connect once answers can arrive; returns the unsubscribe. */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * Sends commands in one message and resolves with the plugin's answer to each, in order; a command the
   * plugin refused has its `error` set (the others still ran: the plugin has no transactions). Rejects with
   * DynsecUnavailableError when not connected or when the connection goes before the answer, and with
   * DynsecTimeoutError when no answer comes in time.
   */
  send(commands: readonly DynsecCommand[], options: { timeoutMs?: number } = {}): Promise<DynsecResult[]> {
    if (commands.length === 0) return Promise.resolve([]);
    if (!this.ready) return Promise.reject(new DynsecUnavailableError('not connected to the broker’s dynamic-security plugin'));
    const request = this.sequence++;
    const ids = commands.map((_, i) => `${this.tag}:${request}:${i}`);
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 5_000;
    return new Promise<DynsecResult[]>((resolve, reject) => {
      const timer = setTimeout(
        () => waiting.settle(new DynsecTimeoutError(`the dynamic-security plugin did not answer ${commands.map((c) => c.command).join(', ')} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const waiting: Waiting = {
        results: commands.map(() => undefined),
        remaining: commands.length,
        settle: (error) => {
          clearTimeout(timer);
          for (const id of ids) this.waiting.delete(id);
          if (error) reject(error);
          else resolve(waiting.results as DynsecResult[]);
        },
      };
      ids.forEach((id, index) => this.waiting.set(id, { request: waiting, index }));
      const payload = JSON.stringify({ commands: commands.map((command, i) => ({ ...command, correlationData: ids[i] })) });
      // QoS 1: a broker that refuses the publish (MQTT 5 PUBACK "Not authorized") says so at once.
      this.client.publishAsync(DYNSEC_TOPIC, payload, { qos: 1 }).catch((error: Error) => {
        const refused = /not authori[sz]ed/i.test(error.message);
        waiting.settle(
          refused
            ? new DynsecCommandError(commands[0]!.command, `the broker refused the command message: account ${this.options.username} may not publish to ${DYNSEC_TOPIC}`)
            : new DynsecUnavailableError(`sending to the dynamic-security plugin failed: ${error.message}`),
        );
      });
    });
  }

  /** Disconnects; requests still waiting fail as unavailable. */
  async close(): Promise<void> {
    this.closing = true;
    this.starting?.reject(new Error('closed before the broker answered'));
    this.starting = undefined;
    await this.client.endAsync(true);
    this.failWaiting('the dynamic-security client closed');
  }

  private onConnect(): void {
    this.subscribed = false;
    this.options.onEvent?.({ type: 'connected' });
    this.client.subscribe(DYNSEC_RESPONSE_TOPIC, { qos: 1 }, (error, granted) => {
      const qos = granted?.[0]?.qos;
      // MQTT 5 reports a refused topic as an error, MQTT 3.1.1 as granted QoS 0x80.
      const failure =
        error || (qos !== 0 && qos !== 1)
          ? new Error(`the broker refused ${this.options.username} a subscription to ${DYNSEC_RESPONSE_TOPIC} (${error?.message ?? `granted ${qos}`}): is it the dynamic-security admin?`)
          : undefined;
      if (failure) {
        if (this.starting) return this.starting.reject(failure);
        return this.options.onEvent?.({ type: 'error', error: failure });
      }
      this.subscribed = true;
      this.starting?.resolve();
      this.starting = undefined;
      for (const listener of this.readyListeners) listener();
    });
  }

  private onClose(): void {
    const wasReady = this.subscribed;
    this.subscribed = false;
    this.failWaiting('the connection to the broker went before the dynamic-security plugin answered; the commands may or may not have been applied');
    if (wasReady && !this.closing) this.options.onEvent?.({ type: 'disconnected' });
  }

  private onError(error: Error): void {
    const code = (error as { code?: unknown }).code;
    if (this.starting && typeof code === 'number' && REFUSED_CODES.has(code)) {
      this.starting.reject(error);
      this.starting = undefined;
      return;
    }
    this.options.onEvent?.({ type: 'error', error });
  }

  private onResponse(payload: Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      return; // not an answer to any command of ours: ours are valid JSON
    }
    const responses = (parsed as { responses?: unknown }).responses;
    if (!Array.isArray(responses)) return;
    for (const response of responses as Record<string, unknown>[]) {
      const id = response?.correlationData;
      const entry = typeof id === 'string' ? this.waiting.get(id) : undefined;
      if (!entry) continue;
      this.waiting.delete(id as string);
      const { request, index } = entry;
      request.results[index] = {
        command: String(response.command),
        ...(typeof response.error === 'string' && { error: response.error }),
        ...(response.data !== undefined && { data: response.data }),
      };
      if (--request.remaining === 0) request.settle(undefined);
    }
  }

  private failWaiting(reason: string): void {
    const requests = new Set([...this.waiting.values()].map((entry) => entry.request));
    for (const request of requests) request.settle(new DynsecUnavailableError(reason));
  }
}

/** The role every device account holds: denies everything its own role does not allow (see DynsecProvisioner). */
export const DEVICE_ROLE = 'shuiyun-device';

/** A device account as the broker holds it. */
export interface DeviceAccount {
  username: string;
  /** Who the runtime provisioned it for; null for an account the runtime did not create (never touched). */
  owner: string | null;
  /** What the provisioner stored beside the password, to tell later whether it is still the current secret. */
  fingerprint: string | null;
  disabled: boolean;
}

export interface DeviceAccountSpec {
  /** The device key: the MQTT user name, and the `<key>` of its topics. */
  username: string;
  password: string;
  /** The registry's name of the device, e.g. `device:42`; no spaces. */
  owner: string;
  /** A digest of the current secret (not the secret): lets a later check see whether the broker has it. */
  fingerprint: string;
  /** Shown to broker administrators (`mosquitto_ctrl dynsec getClient`). */
  label?: string;
}

export type PutAccountOutcome = { outcome: 'created' | 'updated' | 'taken_over' } | { outcome: 'conflict'; holder: DeviceAccount };
export type RemoveAccountOutcome = 'done' | 'absent' | 'not_owner';

const DESCRIPTION = /^shuiyun owner=(\S+) secret=(\S*)$/;
const describe = (owner: string, fingerprint: string) => `shuiyun owner=${owner} secret=${fingerprint}`;

/** Where the per-device ACLs live: one role per device (see DynsecProvisioner). */
export const deviceRoleName = (username: string) => `${DEVICE_ROLE}:${username}`;

function deviceAccountOf(data: unknown): DeviceAccount | null {
  const client = (data as { client?: Record<string, unknown> } | undefined)?.client;
  if (!client || typeof client.username !== 'string') return null;
  const description = typeof client.textdescription === 'string' ? DESCRIPTION.exec(client.textdescription) : null;
  return { username: client.username, owner: description?.[1] ?? null, fingerprint: description?.[2] || null, disabled: client.disabled === true };
}

/**
 * Device credentials in Mosquitto 2's dynamic-security plugin: one client per device (user name = device
 * key, password = the secret the registry issued), confined to `devices/<key>/up` (publish) and
 * `devices/<key>/down` (subscribe, receive).
 *
 * Why a role per device. The plugin of Mosquitto 2.0 matches ACL topics literally: `%u` in a role's ACL is
 * not replaced by the user name (its ACL check calls mosquitto_topic_matches_sub on the stored topic; seen
 * on 2.0.11: `subscribePattern devices/%u/down` refuses the device its own downlink). Pattern ACLs came to
 * the plugin later. So every device gets a role `shuiyun-device:<key>` with its two topics, literal, and
 * every device also holds the shared role `shuiyun-device`, which denies publish, subscribe and receive on
 * every topic at a lower priority: what the device role does not allow is refused whatever the broker's
 * default ACL access says. On a broker whose plugin has `%u`, the per-device roles could become one shared
 * role; they work on both.
 *
 * Ownership. The runtime marks the accounts it creates (the client's text description names the owner and
 * a fingerprint of the secret). It never changes an account it did not create — a device registered under
 * the key `admin` or the runtime's own user name cannot take those accounts over — and it replaces another
 * owner's account only when the caller says that owner is gone.
 */
export class DynsecProvisioner {
  constructor(private readonly dynsec: DynsecClient) {}

  get ready(): boolean {
    return this.dynsec.ready;
  }

  /** Creates or repairs the shared device role. Safe to repeat; run on every (re)connect. */
  async ensureDeviceRole(): Promise<void> {
    const acls: DynsecAcl[] = [
      { acltype: 'publishClientSend', topic: '#', priority: -100, allow: false },
      { acltype: 'publishClientReceive', topic: '#', priority: -100, allow: false },
      { acltype: 'subscribePattern', topic: '#', priority: -100, allow: false },
    ];
    const textdescription = 'Shuiyun devices: denies what a device’s own role shuiyun-device:<key> does not allow';
    const results = await this.dynsec.send([
      { command: 'createRole', rolename: DEVICE_ROLE, textdescription, acls },
      { command: 'modifyRole', rolename: DEVICE_ROLE, textdescription, acls },
    ]);
    expectAnswered(results, ['Role already exists']);
  }

  async account(username: string): Promise<DeviceAccount | null> {
    return (await this.accounts([username])).get(username) ?? null;
  }

  /** Several accounts in one round trip per 100 (absent ones map to null). */
  async accounts(usernames: readonly string[]): Promise<Map<string, DeviceAccount | null>> {
    const found = new Map<string, DeviceAccount | null>();
    for (let start = 0; start < usernames.length; start += 100) {
      const chunk = usernames.slice(start, start + 100);
      const results = await this.dynsec.send(chunk.map((username) => ({ command: 'getClient' as const, username })));
      expectAnswered(results, ['Client not found']);
      chunk.forEach((username, i) => found.set(username, results[i]!.error ? null : deviceAccountOf(results[i]!.data)));
    }
    return found;
  }

  /**
   * Makes the broker accept `password` for `username`, confined to the device's topics, enabled. An
   * account of another owner is replaced only if `canTakeOver` says that owner is gone; an account the
   * runtime did not create never is (a conflict). Changing the password kicks the device's connections
   * (the plugin does), so a rotated secret stops working at once.
   */
  async putAccount(spec: DeviceAccountSpec, canTakeOver: (holder: DeviceAccount) => Promise<boolean>): Promise<PutAccountOutcome> {
    if (/\s/.test(spec.owner) || /\s/.test(spec.fingerprint)) throw new Error('owner and fingerprint must not contain white space');
    const role = deviceRoleName(spec.username);
    const acls: DynsecAcl[] = [
      { acltype: 'publishClientSend', topic: uplinkTopic(spec.username), allow: true },
      { acltype: 'subscribeLiteral', topic: downlinkTopic(spec.username), allow: true },
      { acltype: 'publishClientReceive', topic: downlinkTopic(spec.username), allow: true },
    ];
    const roles: DynsecRoleRef[] = [
      { rolename: role, priority: 10 },
      { rolename: DEVICE_ROLE, priority: 0 },
    ];
    const text = { textname: spec.label ?? spec.username, textdescription: describe(spec.owner, spec.fingerprint) };
    for (let attempt = 0; ; attempt++) {
      const holder = await this.account(spec.username);
      let outcome: 'created' | 'updated' | 'taken_over';
      if (holder && holder.owner !== spec.owner && (holder.owner === null || !(await canTakeOver(holder)))) return { outcome: 'conflict', holder };
      // The role first: a client created before its role would hold a role that does not exist.
      const roleResults = await this.dynsec.send([
        { command: 'createRole', rolename: role, acls },
        { command: 'modifyRole', rolename: role, acls },
      ]);
      expectAnswered(roleResults, ['Role already exists']);
      if (!holder) {
        const [created] = await this.dynsec.send([{ command: 'createClient', username: spec.username, password: spec.password, roles, ...text }]);
        // Created meanwhile by another node: look again (once) and update or refuse it as found.
        if (created!.error === 'Client already exists' && attempt === 0) continue;
        expectAnswered([created!]);
        outcome = 'created';
      } else {
        expectAnswered(
          await this.dynsec.send([
            { command: 'modifyClient', username: spec.username, password: spec.password, roles, ...text },
            { command: 'enableClient', username: spec.username },
          ]),
        );
        outcome = holder.owner === spec.owner ? 'updated' : 'taken_over';
      }
      return { outcome };
    }
  }

  /** Refuses the account further sign-ins and kicks its connections, if `owner`'s; the account stays (a retired meter). */
  async disableAccount(username: string, owner: string): Promise<RemoveAccountOutcome> {
    const holder = await this.account(username);
    if (!holder) return 'absent';
    if (holder.owner !== owner) return 'not_owner';
    expectAnswered(await this.dynsec.send([{ command: 'disableClient', username }]), ['Client not found']);
    return 'done';
  }

  /** Deletes the account and its device role, if `owner`'s. */
  async deleteAccount(username: string, owner: string): Promise<RemoveAccountOutcome> {
    const holder = await this.account(username);
    if (!holder) return 'absent';
    if (holder.owner !== owner) return 'not_owner';
    // The client before its role: Mosquitto 2.0.11 deletes a role still held and leaves the client a dangling one.
    expectAnswered(
      await this.dynsec.send([
        { command: 'deleteClient', username },
        { command: 'deleteRole', rolename: deviceRoleName(username) },
      ]),
      ['Client not found', 'Role not found'],
    );
    return 'done';
  }
}
