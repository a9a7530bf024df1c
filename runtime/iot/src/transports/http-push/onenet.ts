import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';

/**
 * China Mobile OneNET HTTP push. The platform proves itself with a signature: Base64(MD5(token +
 * nonce + msg)), token being the secret configured for the push. A GET with msg/nonce/signature
 * verifies the URL (answer with msg); a POST carries `{msg, nonce, msg_signature}` (newer receivers
 * call it `signature`), or `enc_msg` (AES-CBC) when encryption is on.
 */
export function oneNetSignature(token: string, nonce: string, msg: string): string {
  return createHash('md5').update(token + nonce + msg, 'utf8').digest('base64');
}

export function signatureMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** URL verification: the `msg` to echo when the signature holds, else null. */
export function verifyOneNetUrl(token: string, query: { msg?: unknown; nonce?: unknown; signature?: unknown }): string | null {
  const { msg, nonce, signature } = query;
  if (typeof msg !== 'string' || typeof nonce !== 'string' || typeof signature !== 'string') return null;
  // Express has already URL-decoded the query; a '+' that stood for itself in Base64 may arrive as ' '.
  const given = signature.replace(/ /g, '+');
  return signatureMatches(oneNetSignature(token, nonce, msg), given) ? msg : null;
}

/**
 * The raw text of a top-level key's value in a JSON document, exactly as sent: the signature covers
 * the platform's bytes, which re-serialising a parsed object would not reproduce.
 */
export function rawJsonValue(body: string, key: string): string | undefined {
  const keyPattern = new RegExp(`"${key}"\\s*:\\s*`, 'g');
  let depth = 0;
  let inString = false;
  // Walk the document to find the key at depth 1, then scan its value with the same rules.
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      if (depth === 1) {
        keyPattern.lastIndex = i;
        const m = keyPattern.exec(body);
        if (m && m.index === i) return scanValue(body, i + m[0].length);
      }
      inString = true;
    }
  }
  return undefined;
}

function scanValue(body: string, start: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') {
        inString = false;
        if (depth === 0) return body.slice(start, i + 1);
      }
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) return body.slice(start, i).trim();
      depth--;
      if (depth === 0) return body.slice(start, i + 1);
    } else if (c === ',' && depth === 0) return body.slice(start, i).trim();
  }
  return undefined;
}

/**
 * One message inside a OneNET push. `imei` comes with NB-IoT devices' messages: the NB-IoT command API
 * names the device by it (see onenet-command-api.ts).
 */
export type OneNetMessage =
  | { type: 1; devId: string; imei: string | null; dsId: string; at: Date; value: unknown }
  | { type: 2; devId: string; imei: string | null; at: Date; online: boolean; loginType: number | null }
  /**
   * A cached command's result (NB-IoT only): `commandId` is the uuid the command API answered with;
   * `confirmStatus` 0 when the device confirmed it, another number when it did not, null while only sent.
   */
  | { type: 7; devId: string; imei: string | null; at: Date; commandId: string | null; sendStatus: number | null; confirmStatus: number | null; result: unknown };

export type OneNetPush = { ok: true; messages: OneNetMessage[] } | { ok: false; code: 'bad_signature' | 'bad_body' | 'decrypt_failed'; reason: string };

export interface OneNetSecrets {
  token: string;
  /** Base64 AES key (EncodingAESKey) when the push is encrypted. */
  aesKey?: string | undefined;
}

/** Checks and unpacks a POSTed push (raw body text, so the signature is checked over the sent bytes). */
export function parseOneNetPush(rawBody: string, secrets: OneNetSecrets): OneNetPush {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(rawBody) as Record<string, unknown>;
  } catch {
    return { ok: false, code: 'bad_body', reason: 'not JSON' };
  }
  if (!doc || typeof doc !== 'object') return { ok: false, code: 'bad_body', reason: 'not an object' };
  const nonce = doc.nonce;
  const given = doc.msg_signature ?? doc.signature;
  if (typeof nonce !== 'string' || typeof given !== 'string') return { ok: false, code: 'bad_signature', reason: 'nonce or signature missing' };
  const encrypted = typeof doc.enc_msg === 'string';
  const signed = encrypted ? (doc.enc_msg as string) : typeof doc.msg === 'string' ? doc.msg : rawJsonValue(rawBody, 'msg');
  if (signed === undefined) return { ok: false, code: 'bad_body', reason: 'no msg' };
  if (!signatureMatches(oneNetSignature(secrets.token, nonce, signed), given)) {
    return { ok: false, code: 'bad_signature', reason: 'signature does not match the configured token' };
  }
  let msg: unknown;
  try {
    if (encrypted) msg = JSON.parse(decryptOneNet(signed, secrets.aesKey));
    else if (typeof doc.msg !== 'string') msg = doc.msg;
    else msg = parseOrDecrypt(doc.msg, secrets.aesKey);
  } catch (error) {
    return { ok: false, code: encrypted || secrets.aesKey ? 'decrypt_failed' : 'bad_body', reason: error instanceof Error ? error.message : 'unreadable msg' };
  }
  const list = Array.isArray(msg) ? msg : [msg];
  const messages: OneNetMessage[] = [];
  for (const m of list) {
    const parsed = toMessage(m);
    if (!parsed) return { ok: false, code: 'bad_body', reason: `unreadable message: ${JSON.stringify(m).slice(0, 200)}` };
    messages.push(parsed);
  }
  return { ok: true, messages };
}

function toMessage(m: unknown): OneNetMessage | null {
  if (!m || typeof m !== 'object') return null;
  const r = m as Record<string, unknown>;
  const devId = r.dev_id === undefined ? undefined : String(r.dev_id);
  const at = new Date(Number(r.at ?? r.confirm_time ?? r.send_time));
  if (!devId || Number.isNaN(at.getTime())) return null;
  const imei = typeof r.imei === 'string' && r.imei ? r.imei : null;
  const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);
  switch (r.type) {
    case 1:
      if (typeof r.ds_id !== 'string') return null;
      return { type: 1, devId, imei, dsId: r.ds_id, at, value: r.value };
    case 2:
      return { type: 2, devId, imei, at, online: Number(r.status) === 1, loginType: typeof r.login_type === 'number' ? r.login_type : null };
    case 7:
      return {
        type: 7,
        devId,
        imei,
        at,
        commandId: typeof r.cmd_id === 'string' ? r.cmd_id : null,
        sendStatus: int(r.send_status),
        confirmStatus: int(r.confirm_status),
        result: r,
      };
    default:
      return null;
  }
}

/** The newer receivers get `msg` as a string: JSON, or with encryption on, Base64 ciphertext. */
function parseOrDecrypt(msg: string, aesKey: string | undefined): unknown {
  try {
    return JSON.parse(msg);
  } catch (error) {
    if (!aesKey) throw error;
    return JSON.parse(decryptOneNet(msg, aesKey));
  }
}

/**
 * OneNET's two encryption schemes, told apart by the key's length:
 * - 32-byte key (`enc_msg`, the older receivers): AES-256-CBC, IV = the key's first 16 bytes,
 *   PKCS#7; the plaintext is 16 random bytes, a 4-byte big-endian length, then the message.
 * - 16-byte key (`msg` as ciphertext, the newer receivers): AES-128-CBC with IV = the key, PKCS#7;
 *   the plaintext is the message.
 */
function decryptOneNet(cipherText: string, aesKey: string | undefined): string {
  if (!aesKey) throw new Error('the push is encrypted but no AES key is configured');
  const padded = aesKey.length % 4 === 0 ? aesKey : aesKey + '='.repeat(4 - (aesKey.length % 4));
  const key = Buffer.from(padded, 'base64');
  const data = Buffer.from(cipherText, 'base64');
  if (key.length === 32) {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);
    const length = plain.readUInt32BE(16);
    if (20 + length > plain.length) throw new Error('the decrypted length field is wrong');
    return plain.subarray(20, 20 + length).toString('utf8');
  }
  if (key.length === 16) {
    const decipher = createDecipheriv('aes-128-cbc', key, key);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  }
  throw new Error('the AES key must decode to 16 or 32 bytes');
}
