/**
 * The online payment port (线上支付端口), shaped like WeChat Pay v3 (and used the same way for Alipay):
 * an order is sent to the channel's gateway as a signed JSON request and answers a prepay id or a code
 * URL (the QR code the payer scans); the gateway later calls back, signed, with the transaction.
 *
 * Signatures here: base64 HMAC-SHA256 with the merchant's API key over `timestamp\nnonce\nbody\n`, in the
 * request's `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,timestamp=…,serial_no=…,signature=…`
 * header and in the `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature` headers of the
 * gateway's answers and callbacks. The real WeChat Pay v3 signs requests with the merchant's RSA private key
 * (SHA256withRSA over `METHOD\nURL\ntimestamp\nnonce\nbody\n`) and its answers and callbacks with the
 * platform certificate, which the merchant verifies with the platform's public key; Alipay signs RSA2 over
 * the sorted parameters. That belongs in an adapter of this port (`PaymentGateway`): `hmacGateway` below
 * is the one this pack ships, and the place a certificate-based adapter goes.
 *
 * A callback's `resource` may come encrypted as WeChat Pay v3 does (AEAD_AES_256_GCM with the API key as
 * the 32-byte key; `ciphertext`, `nonce`, `associated_data`), or plain.
 */
import { createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export type OnlineChannel = 'wechat' | 'alipay';

export interface ChannelConfig {
  channel: OnlineChannel;
  gatewayUrl: string;
  merchantId: string;
  appId: string;
  apiKey: string;
  notifyUrl: string;
}

export interface GatewayOrder {
  outTradeNo: string;
  amountFen: bigint;
  description: string;
}

export interface GatewayAnswer {
  prepayId: string | null;
  codeUrl: string | null;
}

/** What a verified callback tells: the transaction of an order. */
export interface CallbackTransaction {
  outTradeNo: string;
  transactionId: string;
  tradeState: string;
  amountFen: bigint;
  successTime: Date | null;
}

export type CallbackCheck = { ok: true; transaction: CallbackTransaction } | { ok: false; reason: 'missing_headers' | 'stale' | 'bad_signature' | 'bad_body' };

/** The port: place an order, read a callback. */
export interface PaymentGateway {
  createOrder(config: ChannelConfig, order: GatewayOrder, signal?: AbortSignal): Promise<GatewayAnswer>;
  readCallback(config: ChannelConfig, raw: { body: string; headers: Record<string, string> }, now?: Date): CallbackCheck;
}

/** How far a signed timestamp may be from now (WeChat Pay's five minutes). */
export const MAX_SKEW_SECONDS = 300;

/** Order-placing paths on the gateway, per channel. */
export const ORDER_PATHS: Record<OnlineChannel, string> = {
  wechat: '/v3/pay/transactions/native',
  alipay: '/v3/alipay/trade/precreate',
};

/** base64 HMAC-SHA256 of `timestamp\nnonce\nbody\n` with the API key. */
export function sign(apiKey: string, timestamp: string, nonce: string, body: string): string {
  return createHmac('sha256', apiKey).update(`${timestamp}\n${nonce}\n${body}\n`).digest('base64');
}

/** Constant-time check of a signature. */
export function signatureMatches(apiKey: string, timestamp: string, nonce: string, body: string, signature: string): boolean {
  const expected = Buffer.from(sign(apiKey, timestamp, nonce, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export const newNonce = () => randomBytes(16).toString('hex').toUpperCase();

/** A header by name, whatever its case. */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return Array.isArray(v) ? v[0] : v;
  return undefined;
}

/** The gateway's answers and callbacks carry their signature in these headers; checks time and signature. */
export function checkSignedHeaders(apiKey: string, body: string, headers: Record<string, string>, now: Date): 'ok' | 'missing_headers' | 'stale' | 'bad_signature' {
  const timestamp = header(headers, 'wechatpay-timestamp');
  const nonce = header(headers, 'wechatpay-nonce');
  const signature = header(headers, 'wechatpay-signature');
  if (!timestamp || !nonce || !signature) return 'missing_headers';
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now.getTime() / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return 'stale';
  return signatureMatches(apiKey, timestamp, nonce, body, signature) ? 'ok' : 'bad_signature';
}

/** Decrypts a WeChat Pay v3 callback resource (AEAD_AES_256_GCM, the API key as key; the tag is the last 16 bytes). */
export function decryptResource(apiKey: string, resource: { ciphertext: string; nonce: string; associated_data?: string | undefined }): string {
  const key = Buffer.from(apiKey, 'utf8');
  if (key.length !== 32) throw new Error('AEAD_AES_256_GCM needs a 32-byte API key');
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(resource.nonce, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  if (resource.associated_data) decipher.setAAD(Buffer.from(resource.associated_data, 'utf8'));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

const transactionShape = z.object({
  out_trade_no: z.string().min(1).max(64),
  transaction_id: z.string().min(1).max(64),
  trade_state: z.string().min(1).max(32),
  success_time: z.string().optional(),
  amount: z.object({ total: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,17}$/)]) }),
});
const callbackShape = z.object({
  id: z.string().optional(),
  event_type: z.string().optional(),
  resource: z.union([
    z.object({ algorithm: z.literal('AEAD_AES_256_GCM'), ciphertext: z.string(), nonce: z.string(), associated_data: z.string().optional() }),
    transactionShape,
  ]),
});

/** Reads a callback body (after its signature was checked): the transaction, decrypting the resource when it is encrypted. */
export function parseCallbackBody(apiKey: string, body: string): CallbackTransaction | null {
  try {
    const parsed = callbackShape.parse(JSON.parse(body));
    const resource = 'ciphertext' in parsed.resource ? transactionShape.parse(JSON.parse(decryptResource(apiKey, parsed.resource))) : parsed.resource;
    const success = resource.success_time ? new Date(resource.success_time) : null;
    return {
      outTradeNo: resource.out_trade_no,
      transactionId: resource.transaction_id,
      tradeState: resource.trade_state,
      amountFen: BigInt(resource.amount.total),
      successTime: success && !Number.isNaN(success.getTime()) ? success : null,
    };
  } catch {
    return null;
  }
}

/** The adapter this pack ships: HMAC-signed JSON over HTTP to the configured gateway. */
export const hmacGateway: PaymentGateway = {
  async createOrder(config, order, signal) {
    const body = JSON.stringify({
      appid: config.appId,
      mchid: config.merchantId,
      description: order.description,
      out_trade_no: order.outTradeNo,
      notify_url: config.notifyUrl,
      amount: { total: Number(order.amountFen), currency: 'CNY' },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = newNonce();
    const signature = sign(config.apiKey, timestamp, nonce, body);
    const url = `${config.gatewayUrl.replace(/\/+$/, '')}${ORDER_PATHS[config.channel]}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${config.merchantId}",nonce_str="${nonce}",timestamp="${timestamp}",serial_no="HMAC-SHA256",signature="${signature}"`,
      },
      body,
      signal: signal ?? AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new GatewayError(`gateway answered ${res.status}: ${text.slice(0, 200)}`);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const check = checkSignedHeaders(config.apiKey, text, headers, new Date());
    if (check !== 'ok') throw new GatewayError(`gateway answer not verified: ${check}`);
    const answer = z.object({ prepay_id: z.string().optional(), code_url: z.string().optional() }).parse(JSON.parse(text));
    if (!answer.prepay_id && !answer.code_url) throw new GatewayError('gateway answer has neither prepay_id nor code_url');
    return { prepayId: answer.prepay_id ?? null, codeUrl: answer.code_url ?? null };
  },
  readCallback(config, raw, now = new Date()) {
    const check = checkSignedHeaders(config.apiKey, raw.body, raw.headers, now);
    if (check !== 'ok') return { ok: false, reason: check };
    const transaction = parseCallbackBody(config.apiKey, raw.body);
    return transaction ? { ok: true, transaction } : { ok: false, reason: 'bad_body' };
  },
};

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
}
