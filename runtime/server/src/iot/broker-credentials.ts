import { createHash } from 'node:crypto';
import { asSystem, type Db, devices, products } from '@shuiyun/db';
import { type DeviceAccount, DynsecClient, DynsecCommandError, DynsecProvisioner } from '@shuiyun/iot';
import { eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What a device's account on the external broker looks like, as `GET /api/devices/:id/broker-account` tells. */
export const brokerAccountStates = [
  /** The broker accepts the device's current secret, on its own topics. */
  'provisioned',
  /** Issued on this node, not yet on the broker (unreachable or busy): it is retried until it is. */
  'pending',
  /** The device has a secret the broker has never been given (issued before provisioning ran, or lost in a restart): rotate it. */
  'missing',
  /** The broker holds an older secret of the device (or, retired, still an enabled account): rotate it. */
  'stale',
  /** The device is retired: its account is disabled. */
  'disabled',
  /** The user name is held by another device (the same key in another tenant) or by an account the runtime did not create. */
  'conflict',
  /** The device has no secret and the broker no account. */
  'none',
  /** The broker cannot be asked now. */
  'unavailable',
  /** The device does not sign in to an MQTT broker (its product's transport is not mqtt). */
  'not_applicable',
  /** This runtime does not provision broker credentials (MQTT_DYNSEC_USERNAME unset). */
  'unmanaged',
] as const;
export type BrokerAccountState = (typeof brokerAccountStates)[number];

/** How giving the broker a freshly issued secret went, as far as the request waited. */
export const issueOutcomes = ['provisioned', 'pending', 'conflict', 'superseded', 'failed'] as const;
export type IssueOutcome = (typeof issueOutcomes)[number];

/** The registry's side of a device, as provisioning needs it. */
export interface BrokerDevice {
  id: number;
  deviceKey: string;
  tenantPath: string;
  meterNumber: string;
}

/** A device as the registry holds it now, for the checks before and after each broker change. */
interface RegistryState {
  id: number;
  deviceKey: string;
  state: string;
  hash: string | null;
  transport: string;
}

type Intent =
  | { kind: 'provision'; device: BrokerDevice; secret: string; hash: string }
  | { kind: 'disable' | 'delete'; device: BrokerDevice; username: string };

type Outcome = 'done' | 'conflict' | 'superseded' | 'failed';

interface Queued {
  intent: Intent;
  /** The first attempt's outcome, or `pending` once it found the broker unavailable. */
  attempted: (outcome: Outcome | 'pending') => void;
  firstAttempt: Promise<Outcome | 'pending'>;
}

/** The broker's name for the device that owns an account. */
export const ownerOf = (deviceId: number) => `device:${deviceId}`;
const OWNER = /^device:([1-9][0-9]*)$/;

/**
 * What the broker keeps beside a device's password: a digest of the registry's digest, so a later look can
 * tell whether the broker has the current secret without either side holding it.
 */
export function secretFingerprint(hash: string): string {
  return createHash('sha256').update(`shuiyun-broker-account:${hash}`, 'utf8').digest('base64url').slice(0, 22);
}

const current = new WeakMap<Registry, BrokerCredentials>();

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
  });

export interface BrokerCredentialsOptions {
  db: Db;
  logger: Logger;
  metrics: Registry;
  /** The external broker (`MQTT_URL`). */
  url: string;
  /** The dynamic-security admin account (`MQTT_DYNSEC_USERNAME` / `MQTT_DYNSEC_PASSWORD`). */
  username: string;
  password: string;
  /** This node's client id for the admin connection: not its uplink client id. */
  clientId: string;
  /** How long an API request waits for the broker to take a secret before answering `pending`. */
  issueWaitMs?: number;
  /** Back-off between retries of a change the broker did not answer: doubles up to `maxMs`. */
  retryDelay?: { initialMs: number; maxMs: number };
  /** Between reconnect attempts of the admin connection. */
  reconnectPeriodMs?: number;
  /** Per command message. */
  timeoutMs?: number;
}

/**
 * Device credentials on an external Mosquitto: the registry issues each MQTT device's secret and keeps
 * only its digest; the broker, which authenticates the devices, gets the secret through its
 * dynamic-security plugin (DynsecProvisioner) at the one moment the plaintext exists — when the registry
 * issues it (registration, rotation), right after that transaction commits.
 *
 * Changes wait in a queue on this node, one per device and user name, the newest replacing an older one:
 * provision (the issued secret), disable (retired), delete (deleted, or its key or transport changed).
 * They are applied in order, each after checking the registry again — a change that a later commit made
 * stale (rotated again, retired meanwhile, even on another node) is dropped, never applied over the newer
 * state. While the broker cannot be reached they wait and are retried on reconnect; the request that
 * issued a secret answers `pending` after a short wait.
 *
 * What a restart loses. The queue holds plaintext secrets, so it lives in memory only. A secret still
 * queued when the node stops never reaches the broker: the device shows `missing` or `stale` and needs a
 * rotation (the same as a device registered before provisioning ran, whose secret nobody has in plaintext
 * any more). A lost revocation is not left at that: on every (re)connect the node sweeps the broker's
 * accounts it owns and disables or deletes those whose device is retired, deleted or re-keyed.
 */
export class BrokerCredentials {
  private readonly queue = new Map<string, Queued>();
  private draining = false;
  /** The change being applied now: replacing it lets it finish and settle itself. */
  private applying: Queued | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  private readonly changes: Counter<'action' | 'outcome'>;
  private readonly unsubscribe: () => void;
  /** Settles when the sweep of the current connection finished (for tests and logs). */
  private sweeping: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: BrokerCredentialsOptions,
    private readonly dynsec: DynsecClient,
    private readonly provisioner: DynsecProvisioner,
  ) {
    this.retryDelayMs = options.retryDelay?.initialMs ?? 500;
    const { metrics } = options;
    this.changes =
      (metrics.getSingleMetric('shuiyun_iot_broker_credentials_total') as Counter<'action' | 'outcome'> | undefined) ??
      new Counter({
        name: 'shuiyun_iot_broker_credentials_total',
        help: 'Device credential changes applied to the external broker (provision, disable, delete), by outcome',
        labelNames: ['action', 'outcome'] as const,
        registers: [metrics],
      });
    // The gauge outlives a closed instance (a registry takes a name once): it reads whichever is current.
    current.set(metrics, this);
    if (!metrics.getSingleMetric('shuiyun_iot_broker_credentials_pending')) {
      new Gauge({
        name: 'shuiyun_iot_broker_credentials_pending',
        help: 'Device credential changes waiting for the external broker on this node',
        registers: [metrics],
        collect() {
          this.set(current.get(metrics)?.queue.size ?? 0);
        },
      });
    }
    this.unsubscribe = dynsec.onReady(() => this.onReady());
  }

  /** Connects as the dynamic-security admin (retrying an unreachable broker; refusing bad credentials) and prepares the device role. */
  static async start(options: BrokerCredentialsOptions): Promise<BrokerCredentials> {
    const { logger } = options;
    const dynsec = await DynsecClient.connect({
      url: options.url,
      username: options.username,
      password: options.password,
      clientId: options.clientId,
      reconnectPeriodMs: options.reconnectPeriodMs,
      timeoutMs: options.timeoutMs,
      onEvent: (event) => {
        if (event.type === 'connected') logger.info({ clientId: options.clientId }, 'connected to the broker’s dynamic-security plugin');
        else if (event.type === 'disconnected') logger.warn({ clientId: options.clientId }, 'lost the broker’s dynamic-security plugin; credential changes wait');
        else logger.error({ err: event.error }, 'dynamic-security client error');
      },
    });
    const credentials = new BrokerCredentials(options, dynsec, new DynsecProvisioner(dynsec));
    try {
      // A role the admin may not create, or an account that is not the admin, fails the start: configuration.
      await credentials.provisioner.ensureDeviceRole();
    } catch (error) {
      await credentials.close();
      throw error;
    }
    credentials.sweeping = credentials.sweep();
    return credentials;
  }

  /**
   * The registry issued `secret` (digest `hash`) to the device and committed: the broker is to accept it
   * from now on, and nothing older. Resolves with the outcome of the first attempt, or `pending` when the
   * broker could not take it within the wait (it keeps being retried).
   */
  async issued(device: BrokerDevice, secret: string, hash: string): Promise<IssueOutcome> {
    const queued = this.enqueue({ kind: 'provision', device, secret, hash });
    const outcome = await Promise.race([queued.firstAttempt, sleep(this.options.issueWaitMs ?? 3_000).then(() => 'pending' as const)]);
    return outcome === 'done' ? 'provisioned' : outcome;
  }

  /** The device was retired: its account is disabled (and its connections kicked). */
  retired(device: BrokerDevice): void {
    this.enqueue({ kind: 'disable', device, username: device.deviceKey });
  }

  /** The device was deleted, or no longer signs in as `username` (new key, or a product without MQTT): the account goes. */
  withdrawn(device: BrokerDevice, username: string): void {
    this.enqueue({ kind: 'delete', device, username });
  }

  /** Where the device's account stands now (asks the broker). */
  async state(device: { id: number; deviceKey: string; mqttSecretHash: string | null }, transport: string): Promise<BrokerAccountState> {
    return (await this.states([device], () => transport)).get(device.id)!;
  }

  /** Several devices' account states, asking the broker once per 100. */
  async states(
    list: readonly { id: number; deviceKey: string; mqttSecretHash: string | null }[],
    transportOf: (device: { id: number }) => string,
  ): Promise<Map<number, BrokerAccountState>> {
    const states = new Map<number, BrokerAccountState>();
    const asked = list.filter((device) => {
      if (transportOf(device) !== 'mqtt') states.set(device.id, 'not_applicable');
      else if (this.isPending(device.id, device.deviceKey)) states.set(device.id, 'pending');
      else return true;
      return false;
    });
    if (asked.length === 0) return states;
    let accounts: Map<string, DeviceAccount | null>;
    try {
      accounts = await this.provisioner.accounts(asked.map((d) => d.deviceKey));
    } catch (error) {
      if (error instanceof DynsecCommandError) throw error;
      for (const device of asked) states.set(device.id, 'unavailable');
      return states;
    }
    for (const device of asked) states.set(device.id, accountState(device, accounts.get(device.deviceKey) ?? null));
    return states;
  }

  /** Whether the broker can be asked now. */
  get reachable(): boolean {
    return this.provisioner.ready;
  }

  /** For tests: resolves once the queue is empty and the sweep of the current connection is done. */
  async settled(): Promise<void> {
    await this.sweeping;
    for (const queued of [...this.queue.values()]) await queued.firstAttempt;
    while (this.queue.size > 0 || this.draining) await sleep(20);
  }

  /** Stops; changes still queued are logged and dropped (see the class comment for what that leaves). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.unsubscribe();
    const lost = [...this.queue.values()].map((q) => q.intent);
    this.queue.clear();
    for (const intent of lost) {
      this.options.logger.warn(
        { device: intent.device.id, action: intent.kind },
        intent.kind === 'provision'
          ? 'a device secret never reached the broker before shutdown: rotate the device’s secret'
          : 'a revocation never reached the broker before shutdown: the next start’s sweep applies it',
      );
    }
    await this.dynsec.close();
  }

  private isPending(deviceId: number, username: string): boolean {
    const queued = this.queue.get(`${deviceId}:${username}`);
    return queued?.intent.kind === 'provision';
  }

  private enqueue(intent: Intent): Queued {
    const key = `${intent.device.id}:${intent.kind === 'provision' ? intent.device.deviceKey : intent.username}`;
    const previous = this.queue.get(key);
    if (previous) {
      // The newer change wins; it goes to the back, behind changes of other devices queued meanwhile.
      this.queue.delete(key);
      if (previous !== this.applying) {
        previous.attempted('superseded');
        this.count(previous.intent, 'superseded');
      }
    }
    let attempted!: (outcome: Outcome | 'pending') => void;
    const firstAttempt = new Promise<Outcome | 'pending'>((resolve) => (attempted = resolve));
    const queued: Queued = { intent, attempted, firstAttempt };
    this.queue.set(key, queued);
    if (this.closed) {
      queued.attempted('pending');
    } else if (!this.provisioner.ready) {
      queued.attempted('pending');
    } else {
      void this.drain();
    }
    return queued;
  }

  private onReady(): void {
    if (this.closed) return;
    this.retryDelayMs = this.options.retryDelay?.initialMs ?? 500;
    this.sweeping = (async () => {
      try {
        // A broker that lost its plugin configuration lacks the role every device account names.
        await this.provisioner.ensureDeviceRole();
      } catch (err) {
        this.options.logger.error({ err }, 'could not prepare the broker’s device role');
      }
      void this.drain();
      await this.sweep();
    })();
  }

  private async drain(): Promise<void> {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      for (let next = this.queue.entries().next(); !next.done && this.provisioner.ready && !this.closed; next = this.queue.entries().next()) {
        const [key, queued] = next.value;
        let outcome: Outcome;
        this.applying = queued;
        try {
          outcome = await this.apply(queued.intent);
        } catch (error) {
          this.applying = undefined;
          if (!(error instanceof DynsecCommandError)) {
            // Unreachable, unanswered, or the registry unavailable: the change waits and is tried again.
            queued.attempted('pending');
            this.options.logger.warn({ err: error, device: queued.intent.device.id, action: queued.intent.kind }, 'credential change not applied yet; retrying');
            this.scheduleRetry();
            return;
          }
          // The plugin refused a command: the same command will be refused again.
          this.options.logger.error({ err: error, device: queued.intent.device.id, action: queued.intent.kind }, 'the broker refused a credential change');
          outcome = 'failed';
        }
        this.applying = undefined;
        if (this.queue.get(key) === queued) this.queue.delete(key);
        queued.attempted(outcome);
        this.count(queued.intent, outcome);
        this.retryDelayMs = this.options.retryDelay?.initialMs ?? 500;
      }
    } finally {
      this.draining = false;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.options.retryDelay?.maxMs ?? 30_000, delay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, delay);
    this.retryTimer.unref();
  }

  private count(intent: Intent, outcome: Outcome): void {
    this.changes.inc({ action: intent.kind, outcome });
    const { logger } = this.options;
    const where = { device: intent.device.id, key: intent.kind === 'provision' ? intent.device.deviceKey : intent.username };
    if (outcome === 'conflict') logger.warn(where, 'broker account held by another device or account: not provisioned');
    else if (outcome === 'done') logger.info({ ...where, action: intent.kind }, 'broker account updated');
  }

  private async apply(intent: Intent): Promise<Outcome> {
    const { device } = intent;
    const owner = ownerOf(device.id);
    const [now] = (await this.registry([device.id])).values();
    if (intent.kind === 'provision') {
      // Rotated again, retired, re-keyed or moved off MQTT since: this secret is no longer the one to give.
      if (!isLive(now) || now.hash !== intent.hash || now.deviceKey !== device.deviceKey) return 'superseded';
      const result = await this.provisioner.putAccount(
        {
          username: device.deviceKey,
          password: intent.secret,
          owner,
          fingerprint: secretFingerprint(intent.hash),
          label: `Shuiyun ${device.tenantPath} ${device.meterNumber}`,
        },
        (holder) => this.holderGone(holder),
      );
      if (result.outcome === 'conflict') return 'conflict';
      // A rotation that committed meanwhile provisions its own secret (this node's queue or another's).
      const [after] = (await this.registry([device.id])).values();
      return after?.hash === intent.hash ? 'done' : 'superseded';
    }
    if (intent.kind === 'disable') {
      if (now && now.state !== 'retired') return 'superseded';
      return (await this.provisioner.disableAccount(intent.username, owner)) === 'not_owner' ? 'superseded' : 'done';
    }
    // Deleted, or signing in under another name now: only then does the account go.
    if (isLive(now) && now.deviceKey === intent.username) return 'superseded';
    return (await this.provisioner.deleteAccount(intent.username, owner)) === 'not_owner' ? 'superseded' : 'done';
  }

  /** An account's owner device no longer signs in under that name: deleted, retired, re-keyed, moved off MQTT, or without a secret. */
  private async holderGone(holder: DeviceAccount): Promise<boolean> {
    const id = OWNER.exec(holder.owner ?? '')?.[1];
    if (!id) return false;
    const [owner] = (await this.registry([Number(id)])).values();
    return !isLive(owner) || owner.hash === null || owner.deviceKey !== holder.username;
  }

  /**
   * The revocations a restart or an outage may have lost: every enabled account this runtime created whose
   * device is gone, retired, re-keyed or off MQTT is queued for disabling or deletion.
   */
  private async sweep(): Promise<void> {
    const { logger } = this.options;
    try {
      const owned: { username: string; deviceId: number; disabled: boolean }[] = [];
      for (let offset = 0; ; offset += 500) {
        const [listed] = await this.dynsec.send([{ command: 'listClients', verbose: true, count: 500, offset }], { timeoutMs: 30_000 });
        if (listed?.error) throw new DynsecCommandError('listClients', listed.error);
        const page = ((listed?.data as { clients?: Record<string, unknown>[] } | undefined)?.clients ?? []).flatMap((client) => {
          const owner = typeof client.textdescription === 'string' ? /^shuiyun owner=device:([1-9][0-9]*) /.exec(client.textdescription) : null;
          return owner && typeof client.username === 'string' ? [{ username: client.username, deviceId: Number(owner[1]), disabled: client.disabled === true }] : [];
        });
        owned.push(...page);
        if (((listed?.data as { clients?: unknown[] } | undefined)?.clients?.length ?? 0) < 500) break;
      }
      let queued = 0;
      for (let start = 0; start < owned.length; start += 500) {
        const chunk = owned.slice(start, start + 500);
        const registry = await this.registry(chunk.map((a) => a.deviceId));
        for (const account of chunk) {
          const device = registry.get(account.deviceId);
          const placeholder: BrokerDevice = { id: account.deviceId, deviceKey: device?.deviceKey ?? account.username, tenantPath: '', meterNumber: '' };
          if (!device || device.deviceKey !== account.username || device.transport !== 'mqtt') {
            this.enqueue({ kind: 'delete', device: placeholder, username: account.username });
            queued++;
          } else if (device.state === 'retired' && !account.disabled) {
            this.enqueue({ kind: 'disable', device: placeholder, username: account.username });
            queued++;
          }
        }
      }
      if (queued > 0) logger.warn({ accounts: queued }, 'broker accounts of retired, deleted or re-keyed devices found: revoking them');
    } catch (err) {
      logger.error({ err }, 'could not sweep the broker’s device accounts; the next reconnect tries again');
    }
  }

  private async registry(ids: readonly number[]): Promise<Map<number, RegistryState>> {
    if (ids.length === 0) return new Map();
    const rows = await asSystem(this.options.db, (tx) =>
      tx
        .select({ id: devices.id, deviceKey: devices.deviceKey, state: devices.state, hash: devices.mqttSecretHash, transport: products.transport })
        .from(devices)
        .innerJoin(products, eq(products.id, devices.productId))
        .where(inArray(devices.id, [...ids])),
    );
    return new Map(rows.map((row) => [row.id, row]));
  }
}

function isLive(device: RegistryState | undefined): device is RegistryState {
  return device !== undefined && device.state !== 'retired' && device.transport === 'mqtt';
}

/** A device's account state from what the registry and the broker hold. */
function accountState(device: { id: number; mqttSecretHash: string | null }, account: DeviceAccount | null): BrokerAccountState {
  if (!account) return device.mqttSecretHash ? 'missing' : 'none';
  if (account.owner !== ownerOf(device.id)) return 'conflict';
  if (account.disabled) return 'disabled';
  if (!device.mqttSecretHash || account.fingerprint !== secretFingerprint(device.mqttSecretHash)) return 'stale';
  return 'provisioned';
}
