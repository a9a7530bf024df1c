/**
 * Delivery of the outbox's SMS and WeChat rows (`deliverQueued`), with retries: a round claims the rows due
 * (status queued, `next_attempt_at` passed) in one short transaction — moving their next attempt a lease
 * ahead and counting the attempt, so a second drainer at once takes other rows and a crash mid-send only
 * delays a row — sends them outside any transaction, then records each outcome: sent; or again queued with
 * back-off (30 s, 60 s, 120 s … at most an hour); or failed after the tenant's `maxAttempts`.
 * A message may reach its recipient twice only if the process dies between the send and its record.
 */
import { defineWorker, servicesOf, type PackServices } from '@shuiyun/sdk';
import { z } from 'zod';
import { l } from '../shared.js';
import { SmsHttpChannel, WechatHttpChannel, type NotifierChannel, type OutgoingNotification } from './channels.js';
import { loadNotifySettings, type NotifySettings } from './notify.js';

export const DELIVER_JOB = 'billing.deliver-notifications';

export interface DeliverOptions {
  /** Adapters to use instead of those the tenant's settings describe (tests, other gateways). */
  channels?: Partial<Record<'sms' | 'wechat', NotifierChannel>>;
  /** Rows per round; 200 unless told. */
  limit?: number;
  /** The claim's lease, 5 minutes unless told. */
  leaseMs?: number;
  /** Back-off before retry n (1 = the first); 30 s × 2^(n−1), at most an hour, unless told. */
  backOffMs?: (attempt: number) => number;
}

export interface DeliverResult {
  sent: number;
  failed: number;
  /** Queued again for a later attempt. */
  retrying: number;
  /** The earliest next attempt among rows still queued (null: none). */
  nextAttemptAt: string | null;
}

const defaultBackOff = (attempt: number) => Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempt - 1));

/** The adapters the tenant's settings describe (none for a channel it has not configured). */
export function channelsFromSettings(settings: NotifySettings): Partial<Record<'sms' | 'wechat', NotifierChannel>> {
  return {
    ...(settings.sms ? { sms: new SmsHttpChannel(settings.sms) } : {}),
    ...(settings.wechat ? { wechat: new WechatHttpChannel(settings.wechat) } : {}),
  };
}

interface ClaimedRow {
  id: string;
  channel: 'sms' | 'wechat';
  recipient: string | null;
  kind: string;
  title: string;
  body: string;
  attempts: number;
}

/** One round over the rows due now. */
export async function deliverQueued(services: PackServices, options: DeliverOptions = {}): Promise<DeliverResult> {
  const tenant = services.tenant;
  const limit = options.limit ?? 200;
  const leaseMs = options.leaseMs ?? 300_000;
  const backOff = options.backOffMs ?? defaultBackOff;
  const { claimed, settings } = await services.transaction(async (tx) => {
    const settings = await loadNotifySettings(tx, tenant);
    const claimed = await tx.query<ClaimedRow>(
      `update pack_billing.notifications n set attempts = n.attempts + 1, next_attempt_at = now() + ($3::bigint * interval '1 millisecond')
        where n.id in (select id from pack_billing.notifications
                        where tenant_id = $1 and status = 'queued' and channel in ('sms', 'wechat') and next_attempt_at <= now()
                        order by next_attempt_at, id limit $2::int for update skip locked)
        returning n.id::text as id, n.channel, n.recipient, n.kind, n.title, n.body, n.attempts`,
      [tenant.id, limit, leaseMs],
    );
    return { claimed, settings };
  });
  const adapters = { ...channelsFromSettings(settings), ...options.channels };
  const outcomes = await Promise.all(
    claimed.map(async (row) => {
      const adapter = adapters[row.channel];
      if (!adapter) return { row, result: { ok: false as const, reason: `the ${row.channel} channel is not configured (settings.notify.${row.channel})` } };
      const outgoing: OutgoingNotification = { id: row.id, channel: row.channel, recipient: row.recipient, kind: row.kind, title: row.title, body: row.body };
      try {
        return { row, result: await adapter.send(outgoing) };
      } catch (error) {
        return { row, result: { ok: false as const, reason: (error instanceof Error ? error.message : String(error)).slice(0, 500) } };
      }
    }),
  );
  const result: DeliverResult = { sent: 0, failed: 0, retrying: 0, nextAttemptAt: null };
  await services.transaction(async (tx) => {
    const ids = { sent: [] as string[], failed: [] as string[], failedWhy: [] as string[], retry: [] as string[], retryWhy: [] as string[], retryMs: [] as string[] };
    for (const { row, result: r } of outcomes) {
      if (r.ok) ids.sent.push(row.id);
      else if (row.attempts >= settings.maxAttempts) {
        ids.failed.push(row.id);
        ids.failedWhy.push(r.reason);
      } else {
        ids.retry.push(row.id);
        ids.retryWhy.push(r.reason);
        ids.retryMs.push(String(backOff(row.attempts)));
      }
    }
    if (ids.sent.length > 0) {
      await tx.query(`update pack_billing.notifications set status = 'sent', sent_at = now(), error = null where tenant_id = $1 and id = any($2::bigint[]) and status = 'queued'`, [tenant.id, ids.sent]);
    }
    if (ids.failed.length > 0) {
      await tx.query(
        `update pack_billing.notifications n set status = 'failed', error = x.why from unnest($2::bigint[], $3::text[]) as x(id, why)
          where n.tenant_id = $1 and n.id = x.id and n.status = 'queued'`,
        [tenant.id, ids.failed, ids.failedWhy],
      );
    }
    if (ids.retry.length > 0) {
      await tx.query(
        `update pack_billing.notifications n set error = x.why, next_attempt_at = now() + (x.ms * interval '1 millisecond')
           from unnest($2::bigint[], $3::text[], $4::bigint[]) as x(id, why, ms)
          where n.tenant_id = $1 and n.id = x.id and n.status = 'queued'`,
        [tenant.id, ids.retry, ids.retryWhy, ids.retryMs],
      );
    }
    result.sent = ids.sent.length;
    result.failed = ids.failed.length;
    result.retrying = ids.retry.length;
    const [next] = await tx.query<{ at: Date | string | null }>(
      `select min(next_attempt_at) as at from pack_billing.notifications where tenant_id = $1 and status = 'queued' and channel in ('sms', 'wechat')`,
      [tenant.id],
    );
    result.nextAttemptAt = next?.at ? new Date(next.at).toISOString() : null;
  });
  return result;
}

/** Rounds of `deliverQueued` until nothing is due within `waitMs` (or the signal stops it); answers the totals. */
export async function drainQueued(services: PackServices, options: DeliverOptions & { waitMs?: number; signal?: AbortSignal } = {}): Promise<DeliverResult> {
  const total: DeliverResult = { sent: 0, failed: 0, retrying: 0, nextAttemptAt: null };
  const waitMs = options.waitMs ?? 0;
  for (let round = 0; round < 1_000; round++) {
    if (options.signal?.aborted) break;
    const r = await deliverQueued(services, options);
    total.sent += r.sent;
    total.failed += r.failed;
    total.retrying = r.retrying;
    total.nextAttemptAt = r.nextAttemptAt;
    const claimedAny = r.sent + r.failed + r.retrying > 0;
    if (claimedAny && r.nextAttemptAt !== null && new Date(r.nextAttemptAt).getTime() <= Date.now()) continue;
    if (r.nextAttemptAt === null) break;
    const wait = new Date(r.nextAttemptAt).getTime() - Date.now();
    if (wait > waitMs) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
  }
  return total;
}

/** The worker after a billing run (and of `billing_deliver_notifications`): sends what is queued, retrying within two minutes. */
export const deliverWorker = defineWorker({
  type: DELIVER_JOB,
  title: l('发送短信与微信通知', 'Send SMS and WeChat notifications'),
  description: l('发送排队中的短信、微信通知，失败按退避重试，超过次数标记失败', 'Sends queued SMS and WeChat notifications, retrying with back-off, failing them after the tenant’s attempts'),
  input: z.object({}).passthrough(),
  output: z.object({ notificationsSent: z.number().int(), notificationsFailed: z.number().int(), notificationsQueued: z.number().int() }),
  timeoutMs: 10 * 60_000,
  concurrency: 1,
  handler: async (_input, job) => {
    const services = servicesOf(job);
    const r = await drainQueued(services, { waitMs: 120_000, signal: job.signal });
    return { notificationsSent: r.sent, notificationsFailed: r.failed, notificationsQueued: r.retrying };
  },
});

export const DELIVER_PROCESS = 'billing_deliver_notifications';

/** start → send the queued notifications → end: other parts start it after queuing SMS or WeChat messages. */
export const deliverProcessXml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="billing_deliver_definitions" targetNamespace="http://shuiyun.example/bpmn/billing">
  <bpmn:process id="${DELIVER_PROCESS}" name="发送通知" isExecutable="true">
    <bpmn:startEvent id="deliver_requested" name="有待发通知"><bpmn:outgoing>to_deliver</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="deliver" name="发送短信与微信通知">
      <bpmn:extensionElements><zeebe:taskDefinition type="${DELIVER_JOB}" retries="3" /></bpmn:extensionElements>
      <bpmn:incoming>to_deliver</bpmn:incoming>
      <bpmn:outgoing>to_end</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="delivered" name="已发送"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_deliver" sourceRef="deliver_requested" targetRef="deliver" />
    <bpmn:sequenceFlow id="to_end" sourceRef="deliver" targetRef="delivered" />
  </bpmn:process>
</bpmn:definitions>`;
