import { createHmac } from 'node:crypto';
import { callPlatform, type PlatformCall, type PlatformCallOptions } from './platform-call.js';

/** OneNET's open API (the NB-IoT suite's /nbiot interfaces live here). */
export const ONENET_API_URL = 'https://api.heclouds.com';

export interface OneNetApiCredentials {
  /** Defaults to ONENET_API_URL; tests point it at a stand-in. */
  baseUrl?: string | undefined;
  /** The product id: the token's resource is `products/<id>`. */
  productId: string;
  /** The product's access key (Base64), the HMAC key of the token; never sent. */
  accessKey: string;
}

export interface OneNetCommand {
  /** The NB-IoT module's IMEI (every NB-IoT push of the device carries it). */
  imei: string;
  /** The LwM2M resource the device executes the command on, `obj/inst/res` (e.g. 3200/0/5750). */
  resource: { objectId: number; instanceId: number; resourceId: number };
  payload: Uint8Array;
  /** Whether `payload` is text; else it goes as a hex string. */
  text: boolean;
  /** When the platform stops holding the command for the sleeping device. */
  expiresAt: Date;
}

/** The token version the NB-IoT suite's API documentation shows. */
const TOKEN_VERSION = '2018-10-31';
/** How long one token is valid: it is made afresh for every call. */
const TOKEN_LIFETIME_S = 3600;

/**
 * OneNET's "安全鉴权" token for the `Authorization` header, so the access key itself never travels (the older
 * `api-key` header sends the master key in clear): `version=…&res=…&et=…&method=sha1&sign=…`, with
 * sign = Base64(HMAC-<method>(Base64-decoded access key, `${et}\n${method}\n${res}\n${version}`)) and the
 * values of res and sign URL-encoded. Relied on: OneNET's documentation of the token (the NB-IoT suite's
 * "API鉴权" page and the token algorithm it links, with its Node.js and Python examples).
 */
export function oneNetAuthorization(credentials: Pick<OneNetApiCredentials, 'productId' | 'accessKey'>, now: Date): string {
  const res = `products/${credentials.productId}`;
  const et = Math.floor(now.getTime() / 1000) + TOKEN_LIFETIME_S;
  const method = 'sha1';
  const sign = createHmac(method, Buffer.from(credentials.accessKey, 'base64'))
    .update(`${et}\n${method}\n${res}\n${TOKEN_VERSION}`, 'utf8')
    .digest('base64');
  return `version=${TOKEN_VERSION}&res=${encodeURIComponent(res)}&et=${et}&method=${method}&sign=${encodeURIComponent(sign)}`;
}

/** OneNET's NB-IoT timestamps are Beijing wall-clock time without a zone, e.g. `2016-08-06T08:00:00`. */
function beijingTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19);
}

/**
 * A cached command for a sleeping NB-IoT device (`POST /nbiot/execute/offline`, "缓存命令-命令下发"): the
 * platform holds it until the device next talks and executes `args` on the resource; the answer
 * `{errno: 0, data: {uuid}}` names it, and the push of type 7 reports its result under `cmd_id` = that
 * uuid. Relied on: OneNET's NB-IoT API documentation of execute/offline (URL parameters imei, obj_id,
 * obj_inst_id, res_id, expired_time; body `{"args": "<string, 2k at most>"}`).
 */
export function createOneNetCommand(credentials: OneNetApiCredentials, command: OneNetCommand, options: PlatformCallOptions = {}): Promise<PlatformCall> {
  const now = (options.now ?? (() => new Date()))();
  const query = new URLSearchParams({
    imei: command.imei,
    obj_id: String(command.resource.objectId),
    obj_inst_id: String(command.resource.instanceId),
    res_id: String(command.resource.resourceId),
    expired_time: beijingTime(command.expiresAt),
  });
  const args = command.text ? new TextDecoder().decode(command.payload) : Buffer.from(command.payload).toString('hex').toUpperCase();
  const url = `${(credentials.baseUrl ?? ONENET_API_URL).replace(/\/+$/, '')}/nbiot/execute/offline?${query}`;
  return callPlatform(
    url,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: oneNetAuthorization(credentials, now) },
      body: JSON.stringify({ args }),
    },
    (doc) => {
      const answer = doc as { errno?: unknown; error?: unknown; data?: { uuid?: unknown } } | null;
      const uuid = answer?.data?.uuid;
      if (answer?.errno === 0 && typeof uuid === 'string' && uuid) return { ok: true, commandId: uuid };
      return { ok: false, reason: `OneNET refused the command: errno ${String(answer?.errno)}${typeof answer?.error === 'string' ? ` (${answer.error})` : ''}` };
    },
    options,
  );
}
