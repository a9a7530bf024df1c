/**
 * The notifier port's channel adapters. A `NotifierChannel` sends one queued notification and says whether
 * it went; the outbox (deliver.ts) retries what did not. Two HTTP adapters:
 *
 * - SMS gateway (短信网关): `POST <url>` with JSON `{ appKey, phone, signName?, content, id }`, signed:
 *   headers `X-Sms-AppKey`, `X-Sms-Timestamp` (Unix ms) and
 *   `X-Sms-Signature = hex(HMAC-SHA256(secret, timestamp + "\n" + body))`; the gateway answers 2xx with
 *   `{ "code": "OK" }` (anything else is a failure with its reason).
 * - WeChat template message (微信模板消息), as the Official Accounts API takes it:
 *   `POST <url>?access_token=<token>` with `{ touser, template_id, data: { first, keyword1, remark } }`;
 *   it answers `{ "errcode": 0, "errmsg": "ok" }` on success.
 *
 * Neither adapter throws for a refusal or a network error: it answers `{ ok: false, reason }`.
 */
import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import type { smsSettings, wechatSettings } from './notify.js';

/** A notification as a channel sends it. */
export interface OutgoingNotification {
  id: string;
  channel: 'sms' | 'wechat';
  /** The phone number (sms) or the WeChat openid. */
  recipient: string | null;
  kind: string;
  title: string;
  body: string;
}

export type SendResult = { ok: true } | { ok: false; reason: string };

export interface NotifierChannel {
  send(n: OutgoingNotification): Promise<SendResult>;
}

/** The SMS signature: hex HMAC-SHA256 of `timestamp + "\n" + body` with the shared secret. */
export function smsSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${body}`).digest('hex');
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 500);

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

/** SMS through an HTTP gateway with an HMAC-SHA256 signature. */
export class SmsHttpChannel implements NotifierChannel {
  constructor(
    private readonly config: z.output<typeof smsSettings>,
    private readonly options: { timeoutMs?: number; now?: () => number } = {},
  ) {}

  async send(n: OutgoingNotification): Promise<SendResult> {
    if (!n.recipient) return { ok: false, reason: 'no phone number for this account' };
    const body = JSON.stringify({ appKey: this.config.appKey, phone: n.recipient, ...(this.config.signName ? { signName: this.config.signName } : {}), content: `${n.title}：${n.body}`, id: n.id });
    const timestamp = String((this.options.now ?? Date.now)());
    try {
      const res = await post(this.config.url, body, { 'x-sms-appkey': this.config.appKey, 'x-sms-timestamp': timestamp, 'x-sms-signature': smsSignature(this.config.secret, timestamp, body) }, this.options.timeoutMs ?? 10_000);
      const code = (res.json as { code?: unknown } | null)?.code;
      if (res.status >= 200 && res.status < 300 && code === 'OK') return { ok: true };
      return { ok: false, reason: `sms gateway answered ${res.status}: ${res.text.slice(0, 300)}` };
    } catch (error) {
      return { ok: false, reason: `sms gateway unreachable: ${reasonOf(error)}` };
    }
  }
}

/** WeChat template messages (Official Accounts' message/template/send). */
export class WechatHttpChannel implements NotifierChannel {
  constructor(
    private readonly config: z.output<typeof wechatSettings>,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  async send(n: OutgoingNotification): Promise<SendResult> {
    if (!n.recipient) return { ok: false, reason: 'no WeChat openid for this account' };
    const url = new URL(this.config.url);
    url.searchParams.set('access_token', this.config.accessToken);
    const body = JSON.stringify({
      touser: n.recipient,
      template_id: this.config.templateId,
      data: { first: { value: n.title }, keyword1: { value: n.body }, remark: { value: n.kind } },
    });
    try {
      const res = await post(url.toString(), body, {}, this.options.timeoutMs ?? 10_000);
      const answer = res.json as { errcode?: unknown; errmsg?: unknown } | null;
      if (res.status >= 200 && res.status < 300 && answer?.errcode === 0) return { ok: true };
      return { ok: false, reason: `wechat answered ${res.status}: ${answer ? `${String(answer.errcode)} ${String(answer.errmsg)}` : res.text.slice(0, 300)}` };
    } catch (error) {
      return { ok: false, reason: `wechat unreachable: ${reasonOf(error)}` };
    }
  }
}
