import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { DeviceDirectory } from '../../devices.js';
import type { IngestionPipeline } from '../../pipeline/ingestion.js';
import { downlinkTopic, uplinkTopic } from './topics.js';

type PublishPacket = Parameters<MqttClient['handleMessage']>[0];
type DoneCallback = Parameters<MqttClient['handleMessage']>[1];

export interface ExternalBrokerOptions {
  /** `mqtt://host:1883`, `mqtts://host:8883`, `ws(s)://…`. */
  url: string;
  /** The runtime's own broker account (see the ACL below), not a device's. */
  username?: string | undefined;
  password?: string | undefined;
  /**
   * Stable per runtime node and unique across nodes: the broker keeps this node's session (its share of
   * the uplinks, queued while the node is away) under this id. Two nodes with one id take the session
   * from each other in turn.
   */
  clientId: string;
  /** Nodes of one group split the uplinks between them (`$share/<group>/devices/+/up`). */
  sharedGroup?: string;
  devices: DeviceDirectory;
  pipeline: IngestionPipeline;
  /** How long the broker keeps this node's session (and queues its share) while it is disconnected. */
  sessionExpirySeconds?: number;
  /** Most unacknowledged uplinks the broker may have in flight to this node (MQTT 5 Receive Maximum). */
  receiveMaximum?: number;
  /** Back-off between reconnect attempts: doubles from `initialMs` up to `maxMs`, with jitter. */
  reconnectDelay?: { initialMs: number; maxMs: number };
  /** On close, how long in-flight uplinks may take to become durable and be acknowledged. */
  drainTimeoutMs?: number;
  keepaliveSeconds?: number;
  /** Connection changes, unidentified senders and withheld acknowledgements, for logs and counters. */
  onEvent?: (event: ExternalBrokerEvent) => void;
}

export type ExternalBrokerEvent =
  | { type: 'connected'; sessionPresent: boolean }
  | { type: 'disconnected' }
  | { type: 'reconnecting'; delayMs: number }
  /** An uplink whose topic names no device the registry can attribute: acknowledged, not stored. */
  | { type: 'unidentified'; topic: string; deviceKey: string | null }
  /** Identifying or storing an uplink failed: no PUBACK; the connection is dropped so the broker resends. */
  | { type: 'not_acknowledged'; topic: string; error: unknown }
  | { type: 'error'; error: Error };

export interface ExternalBrokerStats {
  connects: number;
  /** QoS 1 uplinks taken from the broker (redeliveries included). */
  received: number;
  /** PUBACKs sent: the uplink's readings were durable, or it was refused or unidentified for good. */
  acknowledged: number;
  unidentified: number;
  notAcknowledged: number;
}

const UPLINK = /^devices\/([^/]+)\/up$/;

/**
 * Hands mqtt.js's read loop back without a PUBACK: its QoS 1 path sends the PUBACK only when
 * `handleMessage` calls back without an error, and an error goes nowhere but to the loop's `done`,
 * which ignores it and reads the next packet (mqtt 5.16 `handlers/publish.js` and `client.js#connect`).
 */
const ACKNOWLEDGED_LATER = new Error('PUBACK deferred until the uplink is durable');

/**
 * mqtt.js's packet writer (private in its typings). `handleMessage` alone would acknowledge in time but
 * one message at a time: the client reads no further packet until it calls back, so every uplink would
 * wait out a whole batching delay before the next one is even decoded (a few messages a second per node).
 * Writing the PUBACK ourselves, once the message is durable, lets a window of uplinks share one batch.
 */
interface PacketWriter {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }, callback?: (error?: Error) => void): void;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
  });

/**
 * The runtime as an MQTT client of an external broker (Mosquitto, EMQX): the at-scale replacement of
 * the embedded aedes broker. Devices connect to the broker; every runtime node subscribes to
 * `$share/<group>/devices/+/up` with QoS 1, so the broker hands each uplink to one node.
 *
 * Acknowledgement. An uplink's PUBACK leaves only after `pipeline.ingest` resolved, i.e. its readings are
 * durable (or the payload was refused and counted: resending a bad frame cannot help). PUBACKs go out in
 * the order the uplinks arrived (MQTT 3.1.1 §4.6), so a slow message holds back the ones behind it and the
 * broker's in-flight window (`receiveMaximum`) throttles it. While the store is down the pipeline keeps
 * retrying and the PUBACKs simply wait. If identifying or storing an uplink fails outright, nothing more
 * is acknowledged on that connection and the client drops it: MQTT forbids a broker to resend an
 * unacknowledged message except when the session resumes on a new connection, so the reconnect (with
 * back-off, same client id, clean start off) is what makes the broker deliver it again, flagged DUP. The
 * store is idempotent on (device, time, metric), so such a redelivery never counts twice. A node that
 * is killed does the same on its next start: its session and unacknowledged share wait on the broker.
 *
 * Identity. The broker authenticates devices and confines each to its own topics (its password file and
 * ACL, below): here the device is whoever the topic names. The key is looked up with `byKey`; a key the
 * registry does not know, has retired, or that two tenants share (a topic alone cannot say whose it is)
 * is counted and acknowledged without storing anything: holding its PUBACK would only keep it in the
 * session's in-flight window and have it resent on every reconnect, and no resend changes the answer —
 * registering the device does, for its later reports. The pipeline still refuses a payload that names
 * another device than the topic's key (`device_mismatch`).
 *
 * Broker set-up, for Mosquitto 2.0 (EMQX: the same rules in its authorization sources):
 *
 * ```
 * # mosquitto.conf
 * listener 8883                     # with certfile/keyfile: meters cross public networks
 * allow_anonymous false
 * password_file /etc/mosquitto/passwd   # username = device key, password = the secret the registry issued;
 *                                       # plus the runtime's account (MQTT_USERNAME / MQTT_PASSWORD)
 * acl_file /etc/mosquitto/acl
 * persistence true                  # sessions and queued uplinks survive a broker restart
 * persistence_location /var/lib/mosquitto/
 * autosave_interval 60              # a snapshot, not a log: a broker crash loses what arrived since the
 *                                   # last save, uplinks it already acknowledged to meters included
 * max_queued_messages 100000        # per session: a node's share queued while it restarts (default 1000,
 *                                   # then dropped)
 * persistent_client_expiration 14d
 *
 * # acl
 * user shuiyun-runtime
 * topic read devices/+/up           # delivery is checked against the plain topic, also for $share
 * topic write devices/+/down
 * # every device account: its own uplink and downlink, nothing else
 * pattern write devices/%u/up
 * pattern read devices/%u/down
 * ```
 *
 * With a password file someone must copy every secret the registry issues into it. Mosquitto's
 * dynamic-security plugin (instead of `password_file` and `acl_file`) lets the runtime do that itself: see
 * DynsecProvisioner (./dynsec.ts) and the server's BrokerCredentials; there the runtime's account needs
 * `subscribePattern $share/+/devices/+/up` (the plugin checks a shared subscription with its prefix).
 *
 * The window of unacknowledged uplinks per node is the runtime's MQTT 5 Receive Maximum (1000); Mosquitto
 * 2.0.11 honours it over its `max_inflight_messages` (default 20, which binds MQTT 3.1.1 clients).
 *
 * Seen on Mosquitto 2.0.11: a device's publish to another device's topic is dropped (an MQTT 5 device
 * gets PUBACK "Not authorized", a 3.1.1 device a plain PUBACK); a SUBSCRIBE to a foreign topic is granted
 * but nothing is delivered on it; the runtime's account may not publish uplinks. A shared group hands a
 * message to its members in turn, including members whose persistent session is offline: such a node's
 * share waits for it (keep client ids stable, bring nodes back, size `max_queued_messages`), and is lost
 * if its session expires first.
 */
export class ExternalMqttBroker {
  readonly stats: ExternalBrokerStats = { connects: 0, received: 0, acknowledged: 0, unidentified: 0, notAcknowledged: 0 };
  readonly subscription: string;
  private readonly client: MqttClient;
  private readonly reconnectDelay: { initialMs: number; maxMs: number };
  /** Bumped whenever the current connection can no longer carry a PUBACK for what it delivered. */
  private connection = 0;
  /** This connection's PUBACKs, in arrival order. */
  private acks: Promise<void> = Promise.resolve();
  private reconnectAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastDropWithheld = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly ready: Promise<void>;
  private settleReady: { resolve: () => void; reject: (error: Error) => void } | undefined;

  private constructor(private readonly options: ExternalBrokerOptions) {
    const group = options.sharedGroup ?? 'shuiyun';
    if (!/^[^/+#]+$/.test(group)) throw new Error(`shared subscription group "${group}" must not contain / + or #`);
    this.subscription = `$share/${group}/${uplinkTopic('+')}`;
    this.reconnectDelay = options.reconnectDelay ?? { initialMs: 500, maxMs: 30_000 };
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined); // observed by `connect`; later failures are events

    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      // Left out when unset, so credentials in the URL (mqtt://user:pass@host) still count.
      ...(options.username !== undefined && { username: options.username }),
      ...(options.password !== undefined && { password: options.password }),
      protocolVersion: 5,
      clean: false,
      properties: {
        // MQTT 5 ends a session at disconnect unless told otherwise: the queue for this node would go with it.
        sessionExpiryInterval: options.sessionExpirySeconds ?? 7 * 24 * 3600,
        receiveMaximum: options.receiveMaximum ?? 1000,
      },
      keepalive: options.keepaliveSeconds ?? 30,
      connectTimeout: 10_000,
      reconnectPeriod: 0, // reconnects are ours: back-off, and the stores kept across them
      resubscribe: false, // subscribed on every connect, see onConnect
      manualConnect: true, // handleMessage must be in place before a resumed session delivers its queue
    };
    this.client = connect(options.url, clientOptions);
    if (typeof (this.client as unknown as Partial<PacketWriter>)._sendPacket !== 'function') {
      throw new Error('this mqtt.js has no _sendPacket: the external broker transport cannot acknowledge after the durable write');
    }
    this.client.handleMessage = (packet, callback) => this.onPublish(packet, callback);
    this.client.on('connect', (connack) => this.onConnect(connack.sessionPresent));
    this.client.on('close', () => this.onClose());
    this.client.on('error', (error) => this.onError(error));
    this.client.connect();
  }

  /**
   * Connects, subscribes, and resolves once uplinks flow. A broker that cannot be reached is retried
   * with back-off until it can; a broker that refuses the credentials or the subscription fails the
   * start (a configuration error, which retrying does not mend).
   */
  static async connect(options: ExternalBrokerOptions): Promise<ExternalMqttBroker> {
    const broker = new ExternalMqttBroker(options);
    try {
      await broker.ready;
    } catch (error) {
      await broker.close();
      throw error;
    }
    return broker;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Sends a command to a device's downlink topic with QoS 1; resolves on the broker's PUBACK. */
  async sendDownlink(deviceKey: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(downlinkTopic(deviceKey), Buffer.from(payload), { qos: 1 });
  }

  /**
   * Takes no further uplink, gives the in-flight ones `drainTimeoutMs` to become durable and be
   * acknowledged, then disconnects. The session stays on the broker: what was not acknowledged, and
   * what arrives meanwhile, is delivered on this client id's next connect.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      clearTimeout(this.reconnectTimer);
      this.settleReady?.reject(new Error('closed before the first subscription'));
      await Promise.race([this.acks, sleep(this.options.drainTimeoutMs ?? 10_000)]);
      this.connection++;
      await this.client.endAsync(!this.client.connected);
    })();
    return this.closed;
  }

  private emit(event: ExternalBrokerEvent): void {
    this.options.onEvent?.(event);
  }

  private onConnect(sessionPresent: boolean): void {
    this.stats.connects++;
    this.acks = Promise.resolve();
    if (!this.lastDropWithheld) this.reconnectAttempts = 0;
    this.emit({ type: 'connected', sessionPresent });
    // A resumed session still holds the subscription, but one that expired (or a broker that lost its
    // state) does not; subscribing again is harmless and keeps the group and topic as configured now.
    this.client.subscribe(this.subscription, { qos: 1 }, (error, granted) => {
      const qos = granted?.[0]?.qos;
      const failure = error ?? (qos === 1 ? undefined : new Error(`the broker granted ${this.subscription} QoS ${qos ?? 'none'}, not 1: uplinks could be lost`));
      if (!failure) {
        this.settleReady?.resolve();
        this.settleReady = undefined;
        return;
      }
      if (this.settleReady) return this.settleReady.reject(failure);
      this.emit({ type: 'error', error: failure });
      this.drop(false);
    });
  }

  private onClose(): void {
    this.connection++;
    if (this.closing) return;
    if (this.stats.connects > 0) this.emit({ type: 'disconnected' });
    this.scheduleReconnect();
  }

  private onError(error: Error): void {
    const code = (error as { code?: unknown }).code;
    // CONNACK refused: bad user name or password (4 / 0x86), not authorised (5 / 0x87), banned (0x8A).
    if (this.settleReady && (code === 4 || code === 5 || code === 0x86 || code === 0x87 || code === 0x8a)) {
      this.settleReady.reject(error);
      return;
    }
    this.emit({ type: 'error', error });
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closing) return;
    const { initialMs, maxMs } = this.reconnectDelay;
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.reconnectAttempts);
    const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.reconnectAttempts++;
    this.emit({ type: 'reconnecting', delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closing) return;
      // Keeping the stores keeps downlinks that were waiting for their PUBACK: they are sent again.
      this.client.reconnect({ incomingStore: this.client.incomingStore, outgoingStore: this.client.outgoingStore });
    }, delayMs);
  }

  /**
   * Cuts the network connection as a failing network would; `onClose` then reconnects with back-off.
   * Not `end()`: that closes mqtt.js's stores, and with them the downlinks waiting for their PUBACK.
   */
  private drop(withheld: boolean): void {
    this.connection++;
    this.lastDropWithheld = withheld;
    this.client.stream.destroy();
  }

  private onPublish(packet: PublishPacket, callback: DoneCallback): void {
    if (packet.qos !== 1 || packet.messageId === undefined) {
      // QoS 0 from the device (the broker delivers at the lower of the two QoS): nothing to acknowledge.
      callback();
      if (!this.closing) this.process(packet).catch((error: unknown) => this.emit({ type: 'error', error: error instanceof Error ? error : new Error(String(error)) }));
      return;
    }
    callback(ACKNOWLEDGED_LATER);
    // Closing: left unacknowledged, so the broker delivers it to this session's next connection.
    if (this.closing) return;
    this.stats.received++;
    const connection = this.connection;
    const messageId = packet.messageId;
    const handled = this.process(packet);
    this.acks = this.acks.then(() =>
      handled.then(
        () => this.acknowledge(connection, messageId),
        (error: unknown) => this.withhold(connection, packet.topic, error),
      ),
    );
  }

  /** Resolves once the uplink is durable, refused for good, or unidentified; rejects if that is unknown. */
  private async process(packet: PublishPacket): Promise<void> {
    const deviceKey = UPLINK.exec(packet.topic)?.[1] ?? null;
    const device = deviceKey === null ? null : await this.options.devices.byKey(deviceKey);
    if (!device) {
      this.stats.unidentified++;
      this.emit({ type: 'unidentified', topic: packet.topic, deviceKey });
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    await this.options.pipeline.ingest(device, payload, new Date());
  }

  private acknowledge(connection: number, messageId: number): void {
    // That connection is gone: the broker resends the message on the next one (the store is idempotent).
    if (connection !== this.connection || !this.client.connected) return;
    (this.client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
    this.stats.acknowledged++;
    this.reconnectAttempts = 0;
    this.lastDropWithheld = false;
  }

  private withhold(connection: number, topic: string, error: unknown): void {
    this.stats.notAcknowledged++;
    if (connection !== this.connection) return;
    this.emit({ type: 'not_acknowledged', topic, error });
    // Nothing behind it may be acknowledged (PUBACKs keep arrival order), and the broker resends only on a
    // new connection: end this one.
    if (!this.closing) this.drop(true);
  }
}
