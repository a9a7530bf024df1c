import { asSystem, type Db, queryRows } from '@shuiyun/db';
import { createCtwingCommand, createOneNetCommand, type PlatformCall } from '@shuiyun/iot';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';

/** Where the platforms' open APIs are (the runtime's configuration; tests point them at stand-ins). */
export interface PlatformApiUrls {
  ctwing?: string | undefined;
  onenet?: string | undefined;
}

/** What became of handing one command to its device's platform (see PlatformCall). */
export type PlatformHandOver =
  | { outcome: 'created'; pushEndpointId: number; platformCommandId: string }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'unreachable'; reason: string };

export interface PlatformCommandsOptions {
  db: Db;
  logger: Logger;
  urls?: PlatformApiUrls | undefined;
  /** After a platform could not be reached, its endpoint's commands wait this long before the next call; default 30 000 ms. */
  backOffMs?: number;
  /** Longest wait for one API call; default 10 000 ms. */
  callTimeoutMs?: number;
}

/** Who the platforms record as a command's operator. */
const OPERATOR = 'shuiyun';

interface CommandToSend {
  payload_hex: string;
  expires_at: string;
  codec: string;
  device_key: string;
  platform_device_id: string | null;
  platform_product_id: string | null;
  imei: string | null;
  endpoint_id: number | null;
  endpoint_name: string | null;
  platform: 'ctwing' | 'onenet' | null;
  enabled: boolean | null;
  api_app_key: string | null;
  api_product_id: string | null;
  api_secret: string | null;
  api_master_key: string | null;
  api_command_resource: string | null;
}

/**
 * Commands to devices behind an NB-IoT platform (products on transport `http-push`). The device's command
 * goes to the platform's command API with the API credentials of the push endpoint the device reports
 * through, naming the device as the platform does (learnt from its pushes, see PlatformDeviceBook). The
 * platform holds the command until the sleeping meter next talks, and pushes its result to that endpoint.
 *
 * Nothing here writes: DeviceCommands claims the command before the call and records what became of it.
 */
export class PlatformCommands {
  private readonly pausedUntil = new Map<number, number>();

  constructor(private readonly options: PlatformCommandsOptions) {}

  async send(commandId: number): Promise<PlatformHandOver> {
    const [command] = await asSystem(this.options.db, (tx) =>
      queryRows<CommandToSend>(
        tx,
        sql`select c.payload_hex, c.expires_at::text as expires_at, p.codec, d.device_key,
                   l.platform_device_id, l.platform_product_id, l.imei,
                   e.id::int as endpoint_id, e.name as endpoint_name, e.platform, e.enabled,
                   e.api_app_key, e.api_product_id, e.api_secret, e.api_master_key, e.api_command_resource
            from device_commands c join devices d on d.id = c.device_id join products p on p.id = d.product_id
              left join platform_devices l on l.device_id = d.id left join push_endpoints e on e.id = l.push_endpoint_id
            where c.id = ${commandId}`,
      ),
    );
    if (!command) return { outcome: 'unreachable', reason: `no command ${commandId}` };
    if (command.endpoint_id === null || command.platform_device_id === null) {
      return { outcome: 'unreachable', reason: 'the device has not reported through a push endpoint yet: its platform ids are learnt from its first push' };
    }
    const endpoint = `push endpoint ${command.endpoint_name} (${command.endpoint_id})`;
    if (!command.enabled) return { outcome: 'refused', reason: `${endpoint}, which the device reports through, is disabled` };
    if (command.platform === 'onenet' && !oneNetImei(command)) {
      return { outcome: 'unreachable', reason: 'OneNET has not told the device’s IMEI yet (its NB-IoT pushes carry it)' };
    }
    const paused = this.pausedUntil.get(command.endpoint_id) ?? 0;
    if (paused > Date.now()) return { outcome: 'unreachable', reason: `${endpoint}: its platform did not answer a moment ago; trying again later` };

    const call = await this.call(command, endpoint);
    if (call.outcome === 'unreachable') this.pausedUntil.set(command.endpoint_id, Date.now() + (this.options.backOffMs ?? 30_000));
    else this.pausedUntil.delete(command.endpoint_id);
    return call.outcome === 'created' ? { outcome: 'created', pushEndpointId: command.endpoint_id, platformCommandId: call.commandId } : call;
  }

  private call(command: CommandToSend, endpoint: string): Promise<PlatformCall> {
    const payload = Buffer.from(command.payload_hex, 'hex');
    // JSON devices get their JSON document as text; frame codecs' devices get their bytes (as hex).
    const text = command.codec === 'json-thing-model';
    const expiresAt = new Date(command.expires_at);
    const callOptions = { timeoutMs: this.options.callTimeoutMs };
    if (command.platform === 'ctwing') {
      const productId = command.platform_product_id ?? command.api_product_id;
      if (!command.api_app_key || !command.api_secret || !command.api_master_key || !productId) {
        return Promise.resolve({ outcome: 'refused', reason: `${endpoint} has no CTWing API credentials (App Key, App Secret, MasterKey, product id): commands cannot be sent` });
      }
      return createCtwingCommand(
        { baseUrl: this.options.urls?.ctwing, appKey: command.api_app_key, appSecret: command.api_secret, masterKey: command.api_master_key },
        { productId, deviceId: command.platform_device_id!, payload, text, ttlSeconds: (expiresAt.getTime() - Date.now()) / 1000, operator: OPERATOR },
        callOptions,
      );
    }
    const resource = /^(\d+)\/(\d+)\/(\d+)$/.exec(command.api_command_resource ?? '');
    if (!command.api_product_id || !command.api_secret || !resource) {
      return Promise.resolve({ outcome: 'refused', reason: `${endpoint} has no OneNET API credentials (product id, access key, command resource): commands cannot be sent` });
    }
    return createOneNetCommand(
      { baseUrl: this.options.urls?.onenet, productId: command.api_product_id, accessKey: command.api_secret },
      { imei: oneNetImei(command)!, resource: { objectId: Number(resource[1]), instanceId: Number(resource[2]), resourceId: Number(resource[3]) }, payload, text, expiresAt },
      callOptions,
    );
  }
}

/** The module's IMEI as OneNET's pushes told it, or the device key when the device is registered under its IMEI. */
function oneNetImei(command: Pick<CommandToSend, 'imei' | 'device_key'>): string | null {
  return command.imei ?? (/^\d{15}$/.test(command.device_key) ? command.device_key : null);
}
