import { asSystem, type Db, deviceCommands, queryRows } from '@shuiyun/db';
import type { DeviceIdentity } from '@shuiyun/iot';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { commandCodecs, type CommandReply } from './command-codecs.js';

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
}

const SWEEP_BATCH = 1_000;

const sameKey = (a: string, b: string) => a.toUpperCase() === b.toUpperCase();

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
      queryRows<{ payload_hex: string; downlink_key: string }>(
        tx,
        sql`select c.payload_hex, coalesce(g.device_key, d.device_key) as downlink_key
            from device_commands c join devices d on d.id = c.device_id left join devices g on g.id = d.gateway_id
            where c.id = ${commandId} and c.status = 'queued' and c.expires_at > ${now.toISOString()}::timestamptz`,
      ),
    );
    if (!target || !transport.canReach(target.downlink_key)) return false;
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
      handedOver = await transport.send(target.downlink_key, Buffer.from(target.payload_hex, 'hex'));
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
    if (handedOver) this.options.logger.info({ command: commandId, device: target.downlink_key }, 'device command sent');
    return handedOver;
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
      const { db, transport } = this.options;
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
      const waiting = await asSystem(db, (tx) =>
        queryRows<{ id: number; downlink_key: string }>(
          tx,
          sql`select c.id::int as id, coalesce(g.device_key, d.device_key) as downlink_key
              from device_commands c join devices d on d.id = c.device_id left join devices g on g.id = d.gateway_id
              where c.status = 'queued' and c.expires_at > ${iso}::timestamptz order by c.id limit ${SWEEP_BATCH}`,
        ),
      );
      let sent = 0;
      for (const command of waiting) {
        if (transport.canReach(command.downlink_key) && (await this.deliver(command.id, now))) sent++;
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
