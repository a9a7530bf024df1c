import { createHmac } from 'node:crypto';
import { callPlatform, type PlatformCall, type PlatformCallOptions } from './platform-call.js';

/** CTWing/AEP's open API for applications. */
export const CTWING_API_URL = 'https://ag-api.ctwing.cn';

/** An AEP application's credentials, and the product whose devices it commands. */
export interface CtwingApiCredentials {
  /** Defaults to CTWING_API_URL; tests point it at a stand-in. */
  baseUrl?: string | undefined;
  /** The application's App Key: sent as the `application` header and signed. */
  appKey: string;
  /** The application's App Secret: the HMAC key, never sent. */
  appSecret: string;
  /** The product's MasterKey (its overview page shows it): sent as a header and signed. */
  masterKey: string;
}

export interface CtwingCommand {
  /** The platform's product id and device id (every push of the device carries both). */
  productId: string;
  deviceId: string;
  /** The device's own bytes (transparent mode), or a JSON document's text for JSON devices. */
  payload: Uint8Array;
  /** Whether `payload` is text; else it goes as hex (`dataType` 2). */
  text: boolean;
  /** How long the platform keeps the command for a sleeping device: 0–864 000 s. */
  ttlSeconds: number;
  /** Who the platform records as the command's operator. */
  operator: string;
}

/** CreateCommand's API version, as the AEP SDKs send it in the `version` header. */
const CREATE_COMMAND_VERSION = '20190712225145';

/**
 * The AEP signature: Base64(HMAC-SHA1(App Secret, text)), the text being `application:<App Key>\n`,
 * `timestamp:<ms>\n`, then every query parameter and signed header (here only MasterKey) as `name:value\n`
 * in name order, then the body and `\n` when there is a body. Relied on: the AEP SDK's `signature()`
 * (core/AepSdkCore.go of the Go SDK, which the other SDKs mirror) and CTWing's API page for
 * /aep_device_command (headers application, timestamp, signature, version; MasterKey required).
 */
export function ctwingSignature(appSecret: string, appKey: string, timestamp: number, signed: Record<string, string>, body: string): string {
  let text = `application:${appKey}\ntimestamp:${timestamp}\n`;
  for (const name of Object.keys(signed).sort()) text += `${name}:${signed[name]}\n`;
  if (body.length > 0) text += `${body}\n`;
  return createHmac('sha1', appSecret).update(text, 'utf8').digest('base64');
}

/**
 * Creates a device command on CTWing (`POST /aep_device_command/command`, "统一合并指令下发"). The body is
 * the documented one for LwM2M/TCP transparent devices: `content: {dataType, payload}` with dataType 1 for
 * a string and 2 for hex. The answer `{code: 0, result: {commandId}}` names the command; the platform
 * later pushes `commandResponse` messages whose `taskId` is that id.
 *
 * The SDKs correct the timestamp by the offset the gateway's /echo reports (`x-ag-timestamp`); this client
 * uses the local clock, which on a server kept by NTP is within the gateway's tolerance.
 */
export function createCtwingCommand(credentials: CtwingApiCredentials, command: CtwingCommand, options: PlatformCallOptions = {}): Promise<PlatformCall> {
  const timestamp = (options.now ?? (() => new Date()))().getTime();
  const body = JSON.stringify({
    content: command.text ? { dataType: 1, payload: new TextDecoder().decode(command.payload) } : { dataType: 2, payload: Buffer.from(command.payload).toString('hex').toUpperCase() },
    deviceId: command.deviceId,
    operator: command.operator,
    // The API takes the product id as a number.
    productId: /^\d{1,15}$/.test(command.productId) ? Number(command.productId) : command.productId,
    ttl: Math.max(0, Math.min(864_000, Math.floor(command.ttlSeconds))),
    level: 1,
  });
  const url = `${(credentials.baseUrl ?? CTWING_API_URL).replace(/\/+$/, '')}/aep_device_command/command`;
  return callPlatform(
    url,
    {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=UTF-8',
        application: credentials.appKey,
        timestamp: String(timestamp),
        version: CREATE_COMMAND_VERSION,
        MasterKey: credentials.masterKey,
        signature: ctwingSignature(credentials.appSecret, credentials.appKey, timestamp, { MasterKey: credentials.masterKey }, body),
      },
      body,
    },
    (doc) => {
      const answer = doc as { code?: unknown; msg?: unknown; result?: { commandId?: unknown } } | null;
      const commandId = answer?.result?.commandId;
      if (answer?.code === 0 && (typeof commandId === 'string' || typeof commandId === 'number')) return { ok: true, commandId: String(commandId) };
      return { ok: false, reason: `CTWing refused the command: code ${String(answer?.code)}${typeof answer?.msg === 'string' ? ` (${answer.msg})` : ''}` };
    },
    options,
  );
}
