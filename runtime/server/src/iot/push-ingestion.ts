import { createHash, timingSafeEqual } from 'node:crypto';
import { parseFrame } from '@shuiyun/codec-cjt188';
import { asSystem, type Db, devices, inTenant, products, type PushPlatform, pushEndpoints } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { type CtwingMessage, type DeviceIdentity, type OneNetMessage, parseCtwingPush, parseOneNetPush, verifyOneNetUrl } from '@shuiyun/iot';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { markOffline, markSeen } from '../devices/index.js';
import type { IotRuntime } from './ingestion.js';
import { ctwingCommandResult, oneNetCommandResult, type PlatformCommandResult } from './platform-command-results.js';
import type { PlatformDeviceName } from './platform-devices.js';
import type { PushEndpointRow } from './push-endpoint-routes.js';

/**
 * What became of one pushed message. Every one of these is answered 200: the message was either taken,
 * or can never be taken however often the platform resends it (see `PushIngestion`).
 */
export type PushOutcome =
  /** Readings decoded and durable. */
  | 'stored'
  /** The codec or the pipeline refused the payload (a bad frame, a frame naming another meter); counted there too. */
  | 'rejected'
  /** No live device of this endpoint's tenant subtree, on an http-push product, has the key. */
  | 'unknown_device'
  /** Several devices of the subtree have the key (a key is unique per tenant only): no guessing. */
  | 'ambiguous_device'
  /** A OneNET value the product's codec cannot take (not hex for a frame codec, an object for the JSON codec). */
  | 'bad_value'
  | 'online'
  | 'offline'
  | 'event'
  | 'command_response'
  /** A message type the runtime has no use for (CTWing pushes every subscribed type). */
  | 'ignored';

export interface PushReceipt {
  messages: number;
  outcomes: Partial<Record<PushOutcome, number>>;
}

/** A device of the endpoint's subtree as the pipeline takes it. */
type Lookup = { kind: 'found'; device: DeviceIdentity } | { kind: 'none' } | { kind: 'ambiguous' };

export interface PushIngestionOptions {
  db: Db;
  /** Absent when the runtime has no analytics store: pushes are then answered 503. */
  iot: IotRuntime | undefined;
  logger: Logger;
  metrics: Registry;
}

/**
 * NB-IoT platform push (CTWing/AEP and OneNET) into the ingestion pipeline.
 *
 * Who is speaking: the endpoint, found by the unguessable code in the URL. OneNET proves itself with a
 * signature over each push (Base64(MD5(token + nonce + msg))). CTWing's HTTP push carries no signature
 * at all, so a CTWing endpoint is authenticated by its code (192 random bits, made by the server) and,
 * when the endpoint has a token, by the `token` request header carrying it.
 *
 * Which device: a message names its device by the platform's key (CTWing IMEI, OneNET dev_id), looked
 * up only among the live devices of the endpoint's tenant subtree whose product uses transport
 * `http-push`; a device of another tenant is never found, whatever key the message names. A CJ/T 188
 * meter is registered under its 14-digit address (the registry requires it), not its IMEI: when no
 * device has the message's key, a data payload that is a CJ/T 188 frame is matched by the frame's
 * address among the subtree's `cjt188` products. (Online/offline reports of such meters carry only the
 * IMEI and stay unmatched until the registry records IMEIs of address-keyed meters.)
 *
 * How each case is answered, given that both platforms resend what is not answered 200:
 * - unknown or disabled endpoint code → 404; CTWing token header wrong or missing → 403; OneNET
 *   signature wrong → 403. Nothing is read past the check, nothing stored.
 * - a body that is not a push at all (not JSON, no APPdata, unreadable msg) → 400, and a OneNET push
 *   whose signature holds but that the configured AES key cannot decrypt → 400: these are configuration
 *   errors the operator must see in the platform's push log, and a resend succeeds once they are fixed.
 * - per message, 200 once its effect is durable (readings written, online state committed): an unknown
 *   or ambiguous device, a refused frame, an unusable value or an unused message type are counted and
 *   answered 200 too, because a 4xx would only make the platform resend a message that can never succeed.
 * - the store cannot take the readings → 503, so the platform resends; readings are idempotent on
 *   (device, time, metric) and the message's time is the platform's (stable across resends), so a
 *   resend is stored once.
 *
 * Downlink: a device's data and online reports also teach how the platform names it (CTWing deviceId and
 * productId, OneNET dev_id and IMEI; see PlatformDeviceBook), which its commands need; a command result
 * (CTWing `commandResponse`, OneNET type 7) settles the command the platform took under that id through
 * this endpoint (DeviceCommands.onPlatformResult). A result that names no command of ours is counted as
 * `command_response` all the same; one that cannot be recorded (database down) is a 503, so it comes again.
 */
export class PushIngestion {
  private readonly messages: Counter<'platform' | 'outcome'>;
  private readonly refused: Counter<'platform' | 'reason'>;
  private readonly events: Counter<'platform' | 'level'>;

  constructor(private readonly options: PushIngestionOptions) {
    this.messages = new Counter({
      name: 'shuiyun_iot_push_messages_total',
      help: 'Messages pushed by NB-IoT platforms, by what became of them',
      labelNames: ['platform', 'outcome'] as const,
      registers: [options.metrics],
    });
    this.refused = new Counter({
      name: 'shuiyun_iot_push_refused_total',
      help: 'Pushes refused before any message was read (unknown endpoint, bad token or signature, unreadable body)',
      labelNames: ['platform', 'reason'] as const,
      registers: [options.metrics],
    });
    this.events = new Counter({
      name: 'shuiyun_iot_push_device_events_total',
      help: 'Device events (info, warning, fault) reported through NB-IoT platform push',
      labelNames: ['platform', 'level'] as const,
      registers: [options.metrics],
    });
  }

  /** The enabled endpoint of `platform` with this code; anything else is 404, whether it exists or not. */
  async endpoint(platform: PushPlatform, code: string): Promise<PushEndpointRow> {
    const row = /^[A-Za-z0-9_-]{16,64}$/.test(code)
      ? (await asSystem(this.options.db, (tx) => tx.select().from(pushEndpoints).where(and(eq(pushEndpoints.code, code), eq(pushEndpoints.platform, platform)))))[0]
      : undefined;
    if (!row || !row.enabled) throw this.refuse(platform, 'unknown_endpoint', new AppError('not_found'));
    return row;
  }

  /** OneNET's URL verification: the `msg` to echo when the signature holds under the endpoint's token. */
  verifyOneNetUrl(endpoint: PushEndpointRow, query: { msg?: unknown; nonce?: unknown; signature?: unknown }): string {
    const msg = endpoint.token ? verifyOneNetUrl(endpoint.token, query) : null;
    if (msg === null) throw this.refuse('onenet', 'bad_signature', forbidden('bad_signature', 'the signature does not match the endpoint’s token'));
    this.options.logger.info({ pushEndpoint: endpoint.id, tenant: endpoint.tenantId }, 'OneNET push URL verified');
    return msg;
  }

  async ctwing(endpoint: PushEndpointRow, tokenHeader: string | undefined, rawBody: string): Promise<PushReceipt> {
    // CTWing signs nothing: the URL code got us here; a configured token must come along in the header.
    if (endpoint.token !== null && !sameSecret(endpoint.token, tokenHeader)) {
      throw this.refuse('ctwing', 'bad_token', forbidden('bad_token', 'the `token` header does not carry the endpoint’s token'));
    }
    const iot = this.ready();
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      throw this.refuse('ctwing', 'bad_body', new AppError('malformed_json'));
    }
    const push = parseCtwingPush(body);
    if (!push.ok && push.code === 'bad_body') throw this.refuse('ctwing', 'bad_body', badBody(push.code, push.reason));
    const lookups = new Map<string, Promise<Lookup>>();
    const outcome = push.ok ? await this.ctwingMessage(iot, endpoint, push.message, lookups) : 'ignored';
    if (!push.ok) this.options.logger.debug({ pushEndpoint: endpoint.id, reason: push.reason }, 'CTWing message type not used');
    return this.receipt('ctwing', [outcome]);
  }

  async oneNet(endpoint: PushEndpointRow, rawBody: string): Promise<PushReceipt> {
    const push = parseOneNetPush(rawBody, { token: endpoint.token ?? '', aesKey: endpoint.aesKey ?? undefined });
    if (!push.ok) {
      if (push.code === 'bad_signature') throw this.refuse('onenet', 'bad_signature', forbidden(push.code, push.reason));
      throw this.refuse('onenet', push.code, badBody(push.code, push.reason));
    }
    const iot = this.ready();
    const lookups = new Map<string, Promise<Lookup>>();
    // Data points together, so the points of one push share the pipeline's batches; online/offline
    // reports one after the other in the order they happened, so a batch that says "online, then
    // offline" leaves the device offline. The answer waits for all of them.
    const data = Promise.all(push.messages.filter((m) => m.type !== 2).map((m) => this.oneNetMessage(iot, endpoint, m, lookups)));
    const states: PushOutcome[] = [];
    for (const m of push.messages.filter((m) => m.type === 2).sort((x, y) => x.at.getTime() - y.at.getTime())) {
      states.push(await this.oneNetMessage(iot, endpoint, m, lookups));
    }
    return this.receipt('onenet', [...(await data), ...states]);
  }

  private async ctwingMessage(iot: IotRuntime, endpoint: PushEndpointRow, message: CtwingMessage, lookups: Map<string, Promise<Lookup>>): Promise<PushOutcome> {
    const log = this.options.logger.child({ pushEndpoint: endpoint.id, tenant: endpoint.tenantId, platformDevice: message.platformDeviceId });
    switch (message.kind) {
      case 'data': {
        const found = await this.deviceForData(endpoint, message.imei, message.bytes, lookups);
        if (found.kind !== 'found') return this.unmatched(log, message.imei, found);
        await this.rememberName(iot, endpoint, found.device, { platformDeviceId: message.platformDeviceId, platformProductId: message.platformProductId, imei: message.imei }, message.at);
        return this.ingest(iot, found.device, message.bytes, message.at);
      }
      case 'online': {
        const found = message.imei ? await this.lookup(endpoint, message.imei, undefined, lookups) : ({ kind: 'none' } as const);
        if (found.kind !== 'found') return this.unmatched(log, message.imei, found);
        await this.rememberName(iot, endpoint, found.device, { platformDeviceId: message.platformDeviceId, platformProductId: message.platformProductId, imei: message.imei }, message.at);
        return this.setOnline(endpoint, found.device, message.online, message.at);
      }
      case 'event':
        this.events.inc({ platform: 'ctwing', level: message.level });
        // Alarms come from events later; for now they are counted and logged.
        log[message.level === 'info' ? 'info' : 'warn']({ imei: message.imei, level: message.level, content: message.content, at: message.at }, 'device event reported by CTWing');
        return 'event';
      case 'command-response': {
        const command = await this.commandResult(iot, endpoint, message.taskId, ctwingCommandResult(message.resultCode, message.resultDetail));
        log.info({ taskId: message.taskId, resultCode: message.resultCode, at: message.at, command }, 'command response reported by CTWing');
        return 'command_response';
      }
    }
  }

  private async oneNetMessage(iot: IotRuntime, endpoint: PushEndpointRow, message: OneNetMessage, lookups: Map<string, Promise<Lookup>>): Promise<PushOutcome> {
    const log = this.options.logger.child({ pushEndpoint: endpoint.id, tenant: endpoint.tenantId, devId: message.devId });
    switch (message.type) {
      case 1: {
        const found = await this.lookup(endpoint, message.devId, undefined, lookups);
        const name = { platformDeviceId: message.devId, imei: message.imei };
        if (found.kind === 'found') {
          const bytes = oneNetPayload(found.device.codec, message);
          if (!bytes) {
            log.warn({ dsId: message.dsId, codec: found.device.codec }, 'OneNET value unusable for the product’s codec');
            return 'bad_value';
          }
          await this.rememberName(iot, endpoint, found.device, name, message.at);
          return this.ingest(iot, found.device, bytes, message.at);
        }
        if (found.kind === 'ambiguous') return this.unmatched(log, message.devId, found);
        // A frame codec's bytes may name the meter by its CJ/T 188 address.
        const bytes = hexBytes(message.value);
        const byAddress = bytes ? await this.deviceForData(endpoint, null, bytes, lookups) : found;
        if (byAddress.kind !== 'found') return this.unmatched(log, message.devId, byAddress);
        await this.rememberName(iot, endpoint, byAddress.device, name, message.at);
        return this.ingest(iot, byAddress.device, bytes!, message.at);
      }
      case 2: {
        const found = await this.lookup(endpoint, message.devId, undefined, lookups);
        if (found.kind !== 'found') return this.unmatched(log, message.devId, found);
        await this.rememberName(iot, endpoint, found.device, { platformDeviceId: message.devId, imei: message.imei }, message.at);
        return this.setOnline(endpoint, found.device, message.online, message.at);
      }
      case 7: {
        const command = message.commandId ? await this.commandResult(iot, endpoint, message.commandId, oneNetCommandResult(message)) : null;
        log.info({ commandId: message.commandId, confirmStatus: message.confirmStatus, sendStatus: message.sendStatus, at: message.at, command }, 'cached command result reported by OneNET');
        return 'command_response';
      }
    }
  }

  /**
   * Remembers how the platform names the device (for its commands); when that is news, commands waiting for
   * the device may go out now. Secondary to the message itself: a failure is logged, the message still taken.
   */
  private async rememberName(iot: IotRuntime, endpoint: PushEndpointRow, device: DeviceIdentity, name: PlatformDeviceName, at: Date): Promise<void> {
    try {
      if (await iot.platformDevices.remember(endpoint, device, name, at)) void iot.commands.listening(device);
    } catch (error) {
      this.options.logger.error({ err: error, device: device.deviceKey, pushEndpoint: endpoint.id }, 'recording the device’s platform ids failed');
    }
  }

  /** Settles the command a platform result names; a database that cannot record it makes the push a 503. */
  private async commandResult(iot: IotRuntime, endpoint: PushEndpointRow, platformCommandId: string, result: PlatformCommandResult): Promise<number | null> {
    try {
      return await iot.commands.onPlatformResult(endpoint.id, platformCommandId, result);
    } catch (error) {
      this.options.logger.error({ err: error, pushEndpoint: endpoint.id, platformCommandId }, 'recording a command result failed; the platform will resend');
      throw new AppError('not_ready', { cause: error });
    }
  }

  /** By the platform's key first; failing that, by the address of a CJ/T 188 frame. */
  private async deviceForData(endpoint: PushEndpointRow, key: string | null, bytes: Uint8Array, lookups: Map<string, Promise<Lookup>>): Promise<Lookup> {
    const byKey: Lookup = key ? await this.lookup(endpoint, key, undefined, lookups) : { kind: 'none' };
    if (byKey.kind !== 'none') return byKey;
    const frame = parseFrame(bytes);
    return frame.ok ? this.lookup(endpoint, frame.frame.address, 'cjt188', lookups) : byKey;
  }

  /**
   * Live devices with `key` in the endpoint's tenant subtree, on an http-push product (an MQTT device
   * speaks for itself with its own secret; a platform cannot speak for it). Row-level security bounds
   * the search to the subtree, and the predicate says so again.
   */
  private lookup(endpoint: PushEndpointRow, key: string, codec: string | undefined, lookups: Map<string, Promise<Lookup>>): Promise<Lookup> {
    const memo = `${codec ?? '*'}:${key}`;
    let found = lookups.get(memo);
    if (!found) {
      found = inTenant(this.options.db, { tenantPath: endpoint.tenantPath }, (tx) =>
        tx
          .select({
            deviceId: devices.id,
            deviceKey: devices.deviceKey,
            tenantId: devices.tenantId,
            tenantPath: devices.tenantPath,
            codec: products.codec,
            codecSettings: products.codecSettings,
          })
          .from(devices)
          .innerJoin(products, eq(products.id, devices.productId))
          .where(
            and(
              eq(devices.deviceKey, key),
              sql`${devices.tenantPath} <@ ${endpoint.tenantPath}::ltree`,
              ne(devices.state, 'retired'),
              eq(products.transport, 'http-push'),
              codec ? eq(products.codec, codec) : undefined,
            ),
          )
          .limit(2),
      ).then((rows): Lookup => (rows.length === 1 ? { kind: 'found', device: rows[0]! } : rows.length === 0 ? { kind: 'none' } : { kind: 'ambiguous' }));
      lookups.set(memo, found);
    }
    return found;
  }

  private unmatched(log: Logger, key: string | null, found: Lookup): PushOutcome {
    const outcome = found.kind === 'ambiguous' ? 'ambiguous_device' : 'unknown_device';
    log.warn({ key, outcome }, 'pushed message names no device of the endpoint’s tenant; nothing stored');
    return outcome;
  }

  /** Resolves once the readings are durable; a store that cannot take them makes the push a 503. */
  private async ingest(iot: IotRuntime, device: DeviceIdentity, bytes: Uint8Array, at: Date): Promise<PushOutcome> {
    try {
      // The platform's time, not ours: a resend of the message maps to the same reading time.
      const outcome = await iot.pipeline.ingest(device, bytes, at);
      return outcome.ok ? 'stored' : 'rejected';
    } catch (error) {
      this.options.logger.error({ err: error, device: device.deviceKey }, 'pushed readings could not be stored; the platform will resend');
      throw new AppError('not_ready', { cause: error });
    }
  }

  private async setOnline(endpoint: PushEndpointRow, device: DeviceIdentity, online: boolean, at: Date): Promise<PushOutcome> {
    // A platform clock ahead of ours must not date the device's state in the future.
    const when = at.getTime() > Date.now() ? new Date() : at;
    await inTenant(this.options.db, { tenantPath: endpoint.tenantPath }, (tx) => (online ? markSeen(tx, device.deviceId, when) : markOffline(tx, device.deviceId, when)));
    return online ? 'online' : 'offline';
  }

  private ready(): IotRuntime {
    if (!this.options.iot) throw new AppError('not_ready');
    return this.options.iot;
  }

  private receipt(platform: PushPlatform, outcomes: PushOutcome[]): PushReceipt {
    const counted: Partial<Record<PushOutcome, number>> = {};
    for (const outcome of outcomes) {
      this.messages.inc({ platform, outcome });
      counted[outcome] = (counted[outcome] ?? 0) + 1;
    }
    return { messages: outcomes.length, outcomes: counted };
  }

  private refuse(platform: PushPlatform, reason: string, error: AppError): AppError {
    this.refused.inc({ platform, reason });
    return error;
  }
}

const forbidden = (code: string, message: string) => new AppError('forbidden', { details: [{ code, message }] });
const badBody = (code: string, message: string) => new AppError('validation_failed', { details: [{ path: 'body', code, message }] });

function sameSecret(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  // Digests first, so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(expected).digest(), createHash('sha256').update(given).digest());
}

/** A OneNET hex value (`"68 10 …"` or `"6810…"`) as bytes; null when it is not one. */
function hexBytes(value: unknown): Uint8Array | null {
  if (typeof value !== 'string') return null;
  const hex = value.replace(/\s+/g, '');
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return null;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * A OneNET data point as the payload the product's codec reads: for the JSON thing-model codec a report of
 * that one property, dated by the data point (`{"ts": at, "properties": {<ds_id>: value}}`), for any other
 * codec the device's own bytes, which OneNET passes on as a hex string.
 */
function oneNetPayload(codec: string, message: Extract<OneNetMessage, { type: 1 }>): Uint8Array | null {
  if (codec === 'json-thing-model') {
    const { value } = message;
    if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') return null;
    return new TextEncoder().encode(JSON.stringify({ ts: message.at.getTime(), properties: { [message.dsId]: value } }));
  }
  return hexBytes(message.value);
}
