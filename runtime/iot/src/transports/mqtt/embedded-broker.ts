import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { DeviceDirectory, DeviceIdentity } from '../../devices.js';
import type { IngestionPipeline } from '../../pipeline/ingestion.js';
import { downlinkTopic, uplinkTopic } from './topics.js';

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  devices: DeviceDirectory;
  pipeline: IngestionPipeline;
  /** Told about refused connections and publishes, for logs and counters. */
  onRefused?: (what: { deviceKey?: string | undefined; reason: string }) => void;
  /** A device subscribed to its downlink topic: commands waiting for it can go out now. */
  onListening?: (device: DeviceIdentity) => void;
}

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The in-process MQTT broker (aedes) devices connect to on the embedded default. A device signs in
 * with its key and secret, may publish only to its own uplink topic and subscribe only to its own
 * downlink topic. A QoS 1 PUBACK leaves only after the message's readings are durable: the durable
 * write happens inside `authorizePublish`, which aedes completes before it acknowledges.
 */
export class EmbeddedMqttBroker {
  private readonly identities = new WeakMap<Client, DeviceIdentity>();
  /** Connections holding the downlink subscription, by device key: aedes drops a publish nobody listens to. */
  private readonly listeners = new Map<string, Set<Client>>();

  private constructor(
    private readonly broker: Aedes,
    private readonly server: Server,
  ) {}

  static async start(options: EmbeddedBrokerOptions): Promise<EmbeddedMqttBroker> {
    // The hooks below run only after start() returns, when `created.broker` is set.
    const created: { broker?: EmbeddedMqttBroker } = {};
    const identityOf = (client: Client | null) => (client ? created.broker?.identities.get(client) : undefined);
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        if (!username || !password) {
          options.onRefused?.({ deviceKey: username, reason: 'missing credentials' });
          return done(authError('missing credentials', 4), false);
        }
        options.devices.authenticate(username, password.toString('utf8')).then(
          (identity) => {
            if (!identity) {
              options.onRefused?.({ deviceKey: username, reason: 'bad credentials' });
              return done(authError('bad credentials', 4), false);
            }
            created.broker!.identities.set(client, identity);
            done(null, true);
          },
          () => done(authError('device directory unavailable', 3), false),
        );
      },
      authorizePublish: (client, packet, callback) => {
        if (client === null) return callback(null); // the runtime's own downlink publishes
        const identity = identityOf(client);
        if (!identity || packet.topic !== uplinkTopic(identity.deviceKey)) {
          options.onRefused?.({ deviceKey: identity?.deviceKey, reason: `publish to ${packet.topic}` });
          return callback(new Error('devices publish only to their own uplink topic'));
        }
        packet.retain = false; // readings are not state to replay to later subscribers
        options.pipeline.ingest(identity, packet.payload as Buffer, new Date()).then(
          () => callback(null),
          // The store could not take the readings: no PUBACK, the connection closes, the device resends.
          (error: Error) => callback(error),
        );
      },
      authorizeSubscribe: (client, subscription, callback) => {
        const identity = identityOf(client);
        if (!identity || subscription.topic !== downlinkTopic(identity.deviceKey)) {
          options.onRefused?.({ deviceKey: identity?.deviceKey, reason: `subscribe to ${subscription.topic}` });
          // A refused topic gets a SUBACK failure (0x80); the connection and its other topics stay.
          return callback(null, null);
        }
        callback(null, subscription);
      },
    });
    const server = createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    created.broker = new EmbeddedMqttBroker(broker, server);
    created.broker.trackListeners(options.onListening);
    return created.broker;
  }

  private trackListeners(onListening: EmbeddedBrokerOptions['onListening']): void {
    const forget = (client: Client) => {
      const key = this.identities.get(client)?.deviceKey;
      const clients = key === undefined ? undefined : this.listeners.get(key);
      clients?.delete(client);
      if (key !== undefined && clients?.size === 0) this.listeners.delete(key);
    };
    this.broker.on('subscribe', (subscriptions, client) => {
      const identity = this.identities.get(client);
      // A refused topic comes back with QoS 128.
      if (!identity || !subscriptions.some((s) => s.topic === downlinkTopic(identity.deviceKey) && s.qos <= 2)) return;
      const clients = this.listeners.get(identity.deviceKey) ?? new Set<Client>();
      clients.add(client);
      this.listeners.set(identity.deviceKey, clients);
      onListening?.(identity);
    });
    this.broker.on('unsubscribe', (topics, client) => {
      const identity = this.identities.get(client);
      if (identity && topics.includes(downlinkTopic(identity.deviceKey))) forget(client);
    });
    this.broker.on('clientDisconnect', forget);
  }

  /** Whether a connection of this device key holds its downlink subscription, so a command reaches it now. */
  isListening(deviceKey: string): boolean {
    for (const client of this.listeners.get(deviceKey) ?? []) if (client.connected && !client.closed) return true;
    return false;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get connectedDevices(): number {
    return this.broker.connectedClients;
  }

  /** Sends a command to a device's downlink topic (QoS 1). */
  sendDownlink(deviceKey: string, payload: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.broker.publish(
        { cmd: 'publish', topic: downlinkTopic(deviceKey), payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
        (error?: Error) => (error ? reject(error) : resolve()),
      ),
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
