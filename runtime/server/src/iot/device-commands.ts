import { asSystem, type Db, deviceCommands, queryRows } from '@shuiyun/db';
import type { DeviceIdentity } from '@shuiyun/iot';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { commandCodecs, type CommandReply } from './command-codecs.js';
import type { PlatformCommandResult } from './platform-command-results.js';
import type { PlatformHandOver } from './platform-commands.js';

export type DeviceCommandRow = typeof deviceCommands.$inferSelect;

/** Where downlinks go out: the runtime's running MQTT transport (embedded broker or external client). */
export interface DownlinkTransport {
  /** Whether a running transport can hand a downlink to this device key now. */
  canReach(deviceKey: string): boolean;
  /** Publishes to the key's downlink topic; false when no transport could take it. */
  send(deviceKey: string, payload: Uint8Array): Promise<boolean>;
}

export interface DeviceCommandsOptions {
  db: Db;
  logger: Logger;
  transport: DownlinkTransport;
  /** A meter registered behind the concentrator `gateway` under `deviceKey` (replies a concentrator relays). */
  childOf: (gateway: DeviceIdentity, deviceKey: string) => Promise<DeviceIdentity | null>;
  /** How often open commands are expired and queued ones retried; 0 for none (tests sweep by hand). */
  sweepMs?: number;
  /** Hands a command to the NB-IoT platform its device reports through (products on `http-push`); see PlatformCommands. */
  platform?: { send(commandId: number): Promise<PlatformHandOver> };
  /** Writes a command to a device the platform polls (products on `modbus`); see ModbusPolling. */
  modbus?: DirectDownlink;
}

/**
 * A transport on which the device answers a command in the same exchange, with no reply to match on a later
 * uplink (a Modbus write is echoed or refused at once): one hand-over takes the command sent → acknowledged
 * or failed. An unanswered one puts it back in the queue, where it expires at its deadline.
 */
export interface DirectDownlink {
  /** Whether this node can reach the device now. */
  canReach(deviceId: number): boolean;
  execute(deviceId: number, payload: Uint8Array): Promise<{ ok: true; detail: Record<string, unknown> } | { ok: false; reason: string; unreachable: boolean }>;
}

const SWEEP_BATCH = 1_000;

const sameKey = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();

/**
 * The product transport of the device a command goes out through: the concentrator's for a meter behind one
 * (`d` the command's device, `g` its gateway in the queries below). It decides how a command travels:
 * `mqtt` is pushed when the device listens, `http-push` goes to the NB-IoT platform's API, `coap` is pulled
 * by the device (takeNext).
 */
const carrierTransport = sql`(select p.transport from products p where p.id = coalesce(g.product_id, d.product_id))`;

/**
 * 下行指令的投递与回执. A command is queued by the API (see command-routes.ts); this sends it and follows it:
 *
 * - Delivery. A queued command goes out when a transport can reach its device: at once when it is queued,
 *   when the device (or the concentrator it sits behind) subscribes to its downlink topic or reports, and
 *   on every sweep. On the embedded broker "can reach" means a connection of that device key holds the
 *   downlink subscription (aedes drops a publish nobody is subscribed to); through an external broker it
 *   means the runtime's client is connected (the broker queues for a device's persistent session). The
 *   command is marked `sent` as it is handed to the transport, before the publish, so a fast reply always
 *   finds it sent and two runtime nodes never both send it; a hand-over that fails puts it back to queued.
 *   That is for MQTT carriers. A device whose product (or concentrator's product) uses `coap` pulls its
 *   commands instead (takeNext: the CoAP answer to its report says how many wait), and one on `http-push` gets
 *   them through its NB-IoT platform's API (handToPlatform), whose result pushes settle them (onPlatformResult).
 *   A device the platform polls (`modbus`) gets them as Modbus writes from the node that polls it
 *   (writeOverModbus); the device's answer settles the command in the same exchange.
 * - Replies. Every payload a device sends passes `onUplink` before the codec and the PUBACK: a reply (CJ/T 188 0x84 or
 *   0xC4 to valve control, 0x81 or 0xC1 to read_now; a JSON `{"id", "ok"}`) is matched to the device's
 *   sent command by SER or id → `acknowledged`, or `failed` with the meter's reason. Only the sender's own
 *   commands (or those of the meters registered behind it) can be matched: the tenant is the device's.
 * - Expiry. A command still queued or unanswered at its deadline becomes `expired` on the next sweep.
 *
 * Metering replies are also every meter's periodic report, so they are looked up only for devices known
 * to have an open command: this node's own, plus what the last sweep found in the database. A read_now
 * queued on another node is learnt within one sweep; valve and JSON replies are always looked up.
 */
export class DeviceCommands {
  /** Device ids whose connection carries open commands (the concentrator's for meters behind one) → when noted. */
  private readonly open = new Map<number, number>();
  private readonly delivering = new Map<number, Promise<boolean>>();
  /** Look-ups of waiting commands started by uplinks and subscriptions, awaited on close. */
  private readonly background = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private closed = false;

  constructor(private readonly options: DeviceCommandsOptions) {
    const sweepMs = options.sweepMs ?? 15_000;
    if (sweepMs > 0) {
      this.timer = setInterval(() => void this.sweep().catch((err: unknown) => options.logger.error({ err }, 'sweeping device commands failed')), sweepMs);
      this.timer.unref();
    }
  }

  /** A command was queued (and committed): remember its device and try to send it now. */
  queued(command: Pick<DeviceCommandRow, 'id'>, carrierDeviceId: number): Promise<boolean> {
    this.open.set(carrierDeviceId, Date.now());
    return this.deliver(command.id);
  }

  /**
   * Hands one queued command to the transport if the device can be reached now. Concurrent calls for one
   * command share the attempt. Never throws: a failure leaves the command queued for the next chance.
   */
  deliver(commandId: number, now = new Date()): Promise<boolean> {
    const running = this.delivering.get(commandId);
    if (running) return running;
    const attempt = this.attempt(commandId, now)
      .catch((err: unknown) => {
        this.options.logger.error({ err, command: commandId }, 'delivering a device command failed; it stays queued');
        return false;
      })
      .finally(() => this.delivering.delete(commandId));
    this.delivering.set(commandId, attempt);
    return attempt;
  }

  /** True when the command was handed to the transport. */
  private async attempt(commandId: number, now: Date): Promise<boolean> {
    if (this.closed) return false;
    const { db, transport } = this.options;
    const [target] = await asSystem(db, (tx) =>
      queryRows<{ payload_hex: string; downlink_key: string; transport: string; device_id: number }>(
        tx,
        sql`select c.payload_hex, coalesce(g.device_key, d.device_key) as downlink_key, ${carrierTransport} as transport, d.id::int as device_id
            from device_commands c join devices d on d.id = c.device_id left join devices g on g.id = d.gateway_id
            where c.id = ${commandId} and c.status = 'queued' and c.expires_at > ${now.toISOString()}::timestamptz`,
      ),
    );
    if (!target || !this.canHandOver(target)) return false;
    const [claimed] = await asSystem(db, (tx) =>
      tx
        .update(deviceCommands)
        .set({ status: 'sent', sentAt: new Date(), updatedAt: new Date() })
        .where(and(eq(deviceCommands.id, commandId), eq(deviceCommands.status, 'queued')))
        .returning({ id: deviceCommands.id }),
    );
    if (!claimed) return false; // another node (or attempt) took it
    let handedOver = false;
    try {
      handedOver =
        target.transport === 'http-push'
          ? await this.handToPlatform(commandId)
          : target.transport === 'modbus'
            ? await this.writeOverModbus(commandId, target.device_id, Buffer.from(target.payload_hex, 'hex'))
            : await transport.send(target.downlink_key, Buffer.from(target.payload_hex, 'hex'));
    } finally {
      if (!handedOver) {
        await asSystem(db, (tx) =>
          tx
            .update(deviceCommands)
            .set({ status: 'queued', sentAt: null, updatedAt: new Date() })
            .where(and(eq(deviceCommands.id, commandId), eq(deviceCommands.status, 'sent'))),
        );
      }
    }
    if (handedOver && target.transport !== 'http-push') this.options.logger.info({ command: commandId, device: target.downlink_key }, 'device command sent');
    return handedOver;
  }

  /**
   * Push-style delivery needs a way to the device now: MQTT when the device listens (see the class comment),
   * the platform's API for a device behind an NB-IoT platform (the platform holds it for the sleeping meter).
   * A CoAP device is never pushed to: it fetches its commands (takeNext).
   */
  private canHandOver(target: { transport: string; downlink_key: string; device_id: number }): boolean {
    switch (target.transport) {
      case 'coap':
        return false;
      case 'http-push':
        return this.options.platform !== undefined;
      // Only the node that polls the device can write to it (one node polls; see ModbusPolling).
      case 'modbus':
        return this.options.modbus?.canReach(target.device_id) ?? false;
      default:
        return this.options.transport.canReach(target.downlink_key);
    }
  }

  /**
   * Hands a claimed (sent) command to its device's platform. True when it is no longer queued: the platform
   * took it (recorded under the platform's id, which its result pushes name), or refused it for good (failed,
   * with the platform's reason). False when the platform could not be reached: it goes back to queued.
   */
  private async handToPlatform(commandId: number): Promise<boolean> {
    const handOver = await this.options.platform!.send(commandId);
    const log = this.options.logger.child({ command: commandId });
    if (handOver.outcome === 'unreachable') {
      log.warn({ reason: handOver.reason }, 'device command not handed to its NB-IoT platform; it stays queued');
      return false;
    }
    const now = new Date();
    await asSystem(this.options.db, (tx) =>
      tx
        .update(deviceCommands)
        .set(
          handOver.outcome === 'created'
            ? { pushEndpointId: handOver.pushEndpointId, platformCommandId: handOver.platformCommandId, updatedAt: now }
            : { status: 'failed', failureReason: handOver.reason, updatedAt: now },
        )
        .where(and(eq(deviceCommands.id, commandId), eq(deviceCommands.status, 'sent'))),
    );
    if (handOver.outcome === 'created') log.info({ platformCommand: handOver.platformCommandId, pushEndpoint: handOver.pushEndpointId }, 'device command handed to its NB-IoT platform');
    else log.warn({ reason: handOver.reason }, 'the NB-IoT platform refused the device command');
    return true;
  }

  /**
   * Writes a claimed (sent) command to a polled Modbus device, whose answer settles it at once: acknowledged
   * when the device echoes the write, failed with its Modbus exception. False when it did not answer (no
   * connection, a timeout): the command goes back to queued.
   */
  private async writeOverModbus(commandId: number, deviceId: number, payload: Uint8Array): Promise<boolean> {
    const outcome = await this.options.modbus!.execute(deviceId, payload);
    const log = this.options.logger.child({ command: commandId, device: deviceId });
    if (!outcome.ok && outcome.unreachable) {
      log.info({ reason: outcome.reason }, 'Modbus device did not answer the command; it stays queued');
      return false;
    }
    const now = new Date();
    await asSystem(this.options.db, (tx) =>
      tx
        .update(deviceCommands)
        .set(
          outcome.ok
            ? { status: 'acknowledged', acknowledgedAt: now, reply: outcome.detail, updatedAt: now }
            : { status: 'failed', failureReason: outcome.reason, updatedAt: now },
        )
        .where(and(eq(deviceCommands.id, commandId), eq(deviceCommands.status, 'sent'))),
    );
    log.info({ status: outcome.ok ? 'acknowledged' : 'failed' }, 'Modbus device answered the command');
    return true;
  }

  /**
   * Pull-style delivery, for devices that fetch their commands: an NB-IoT meter on CoAP listens only right
   * after it reports, so it asks (GET /devices/{key}/down). Claims the oldest queued command that goes out
   * through this device (its own, or a meter's behind it when it is a concentrator) and marks it sent, in
   * one statement: `for update skip locked` makes concurrent fetches take different commands (or one and
   * none), never one command twice. The device answers with an ordinary uplink, matched by onUplink.
   */
  async takeNext(carrier: Pick<DeviceIdentity, 'deviceId'>, now = new Date()): Promise<{ id: number; payload: Uint8Array } | null> {
    if (this.closed) return null;
    const sentAt = new Date().toISOString();
    const [claimed] = await asSystem(this.options.db, (tx) =>
      queryRows<{ id: number; payload_hex: string }>(
        tx,
        sql`update device_commands set status = 'sent', sent_at = ${sentAt}::timestamptz, updated_at = ${sentAt}::timestamptz
            where id = (select c.id from device_commands c join devices d on d.id = c.device_id
                        where coalesce(d.gateway_id, d.id) = ${carrier.deviceId} and c.status = 'queued' and c.expires_at > ${now.toISOString()}::timestamptz
                        order by c.id limit 1 for update of c skip locked)
              and status = 'queued'
            returning id::int as id, payload_hex`,
      ),
    );
    if (!claimed) return null;
    // Its answer may be a routine payload (a read_now is answered by a metering reply): look replies up.
    this.open.set(carrier.deviceId, Date.now());
    this.options.logger.info({ command: claimed.id, carrier: carrier.deviceId }, 'device command fetched by its device');
    return { id: claimed.id, payload: Buffer.from(claimed.payload_hex, 'hex') };
  }

  /** How many queued commands wait to go out through this device (for a pulling device: how many to fetch). */
  async waiting(carrier: Pick<DeviceIdentity, 'deviceId'>, now = new Date()): Promise<number> {
    const [row] = await asSystem(this.options.db, (tx) =>
      queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from device_commands c join devices d on d.id = c.device_id
            where coalesce(d.gateway_id, d.id) = ${carrier.deviceId} and c.status = 'queued' and c.expires_at > ${now.toISOString()}::timestamptz`,
      ),
    );
    return row?.n ?? 0;
  }

  /**
   * What an NB-IoT platform pushed about a command it carries (CTWing commandResponse, OneNET type 7), found by
   * the platform's command id among the commands sent with that push endpoint's credentials. A success makes a
   * sent command acknowledged, a failure failed; progress (sent, delivered) changes nothing. The id of the
   * command it settled, or null (already settled, e.g. by the meter's own reply, or not one of ours).
   */
  async onPlatformResult(pushEndpointId: number, platformCommandId: string, result: PlatformCommandResult): Promise<number | null> {
    if (result.state !== 'acknowledged' && result.state !== 'failed') return null;
    const now = new Date();
    const [row] = await asSystem(this.options.db, (tx) =>
      tx
        .update(deviceCommands)
        .set(
          result.state === 'acknowledged'
            ? { status: 'acknowledged', acknowledgedAt: now, reply: result.detail, updatedAt: now }
            : { status: 'failed', failureReason: result.reason, updatedAt: now },
        )
        .where(and(eq(deviceCommands.pushEndpointId, pushEndpointId), eq(deviceCommands.platformCommandId, platformCommandId), eq(deviceCommands.status, 'sent')))
        .returning({ id: deviceCommands.id }),
    );
    if (row) this.options.logger.info({ command: row.id, platformCommand: platformCommandId, status: result.state }, 'NB-IoT platform reported a command’s result');
    return row?.id ?? null;
  }

  /** The device (or concentrator) now listens on its downlink topic: send what waits for it and the meters behind it. */
  listening(device: Pick<DeviceIdentity, 'deviceId'>): Promise<void> {
    return this.open.has(device.deviceId) ? this.deliverVia(device.deviceId) : Promise.resolve();
  }

  /**
   * Every payload a device sent, before it is decoded and acknowledged: a reply to one of its commands is
   * recorded (an error recording it rejects, so the device resends), and commands waiting for it go out.
   * True when the payload was a command reply and nothing else.
   */
  async onUplink(sender: DeviceIdentity, payload: Uint8Array): Promise<boolean> {
    const codec = commandCodecs[sender.codec];
    if (!codec) return false;
    const carriesOpen = this.open.has(sender.deviceId);
    const reply = codec.readReply(payload, sender.deviceKey);
    if (reply && (carriesOpen || !reply.routine)) await this.recordReply(sender, reply);
    if (carriesOpen) void this.deliverVia(sender.deviceId);
    return reply?.replyOnly === true;
  }

  private async recordReply(sender: DeviceIdentity, reply: CommandReply): Promise<void> {
    const device = sameKey(reply.device, sender.deviceKey) ? sender : await this.options.childOf(sender, reply.device);
    if (!device) return;
    const { match, outcome } = reply;
    const now = new Date();
    const [row] = await asSystem(this.options.db, (tx) =>
      tx
        .update(deviceCommands)
        .set(
          outcome.ok
            ? { status: 'acknowledged', acknowledgedAt: now, reply: outcome.detail, updatedAt: now }
            : { status: 'failed', failureReason: outcome.reason, updatedAt: now },
        )
        .where(
          and(
            eq(deviceCommands.deviceId, device.deviceId),
            eq(deviceCommands.status, 'sent'),
            'id' in match ? eq(deviceCommands.id, match.id) : and(eq(deviceCommands.serial, match.serial), inArray(deviceCommands.service, [...match.services])),
          ),
        )
        .returning({ id: deviceCommands.id, status: deviceCommands.status }),
    );
    if (row) this.options.logger.info({ command: row.id, device: device.deviceKey, status: row.status }, 'device answered a command');
  }

  /** Sends the queued commands that go out over this device's connection. */
  private deliverVia(carrierDeviceId: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    const task = this.sendWaiting(carrierDeviceId).finally(() => this.background.delete(task));
    this.background.add(task);
    return task;
  }

  private async sendWaiting(carrierDeviceId: number): Promise<void> {
    try {
      const waiting = await asSystem(this.options.db, (tx) =>
        queryRows<{ id: number }>(
          tx,
          sql`select c.id::int as id from device_commands c join devices d on d.id = c.device_id
              where c.status = 'queued' and coalesce(d.gateway_id, d.id) = ${carrierDeviceId} order by c.id`,
        ),
      );
      for (const { id } of waiting) await this.deliver(id);
    } catch (err) {
      this.options.logger.error({ err, device: carrierDeviceId }, 'sending queued commands failed');
    }
  }

  /**
   * Expires open commands past their deadline, learns which devices have open commands (also those queued
   * on other nodes), and sends queued commands whose device can be reached now.
   */
  sweep(now = new Date()): Promise<{ expired: number; sent: number }> {
    const run = (async () => {
      await this.sweeping;
      const startedAt = Date.now();
      const { db } = this.options;
      const iso = now.toISOString();
      const expired = await asSystem(db, (tx) =>
        queryRows<{ id: number }>(
          tx,
          sql`update device_commands set status = 'expired', updated_at = now(),
                failure_reason = case when status = 'queued' then 'not delivered before the deadline: the device could not be reached'
                                      else 'the device did not answer before the deadline' end
              where status in ('queued', 'sent') and expires_at <= ${iso}::timestamptz returning id::int as id`,
        ),
      );
      const carriers = await asSystem(db, (tx) =>
        queryRows<{ id: number }>(
          tx,
          sql`select distinct coalesce(d.gateway_id, d.id)::int as id
              from device_commands c join devices d on d.id = c.device_id where c.status in ('queued', 'sent')`,
        ),
      );
      const fresh = new Set(carriers.map((c) => c.id));
      for (const [id, notedAt] of this.open) if (!fresh.has(id) && notedAt < startedAt) this.open.delete(id);
      for (const id of fresh) if (!this.open.has(id)) this.open.set(id, startedAt);
      // Commands CoAP devices fetch themselves wait here for hours: they are not the sweep's to send.
      const waiting = await asSystem(db, (tx) =>
        queryRows<{ id: number; downlink_key: string; transport: string; device_id: number }>(
          tx,
          sql`select c.id::int as id, coalesce(g.device_key, d.device_key) as downlink_key, ${carrierTransport} as transport, d.id::int as device_id
              from device_commands c join devices d on d.id = c.device_id left join devices g on g.id = d.gateway_id
              where c.status = 'queued' and c.expires_at > ${iso}::timestamptz and ${carrierTransport} <> 'coap' order by c.id limit ${SWEEP_BATCH}`,
        ),
      );
      let sent = 0;
      for (const command of waiting) {
        if (this.canHandOver(command) && (await this.deliver(command.id, now))) sent++;
      }
      if (expired.length > 0) this.options.logger.info({ commands: expired.map((e) => e.id) }, 'device commands expired');
      return { expired: expired.length, sent };
    })();
    this.sweeping = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
    await Promise.all(this.background);
    await Promise.all(this.delivering.values());
  }
}
