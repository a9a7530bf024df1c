/**
 * 通知 (the notifier port's outbox): `notify` queues a message to an account on the tenant's channels
 * (`settings.notify.channels`, in-app unless told): one `pack_billing.notifications` row per channel, keyed by
 * (channel, dedupe key), so sending the same message twice is a no-op. In-app rows are delivered at once
 * (status sent); SMS and WeChat rows stay queued for `deliverQueued` (deliver.ts) and its adapters
 * (channels.ts). `notifyMany` is the set-based form the billing run uses: one statement for a batch.
 */
import type { PackTenant, PackTx } from '@shuiyun/sdk';
import { z } from 'zod';

export const CHANNELS = ['inapp', 'sms', 'wechat'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Bilingual {
  'zh-CN': string;
  en: string;
}

export interface NotifyMessage {
  accountId: string | null;
  /** What the message is about: 'bill', 'dunning', 'adjustment' … */
  kind: string;
  /** The same key on one channel is sent once. */
  dedupeKey: string;
  title: Bilingual;
  body: Bilingual;
  /** The channels to use; the tenant's configured channels when absent. */
  channels?: readonly Channel[];
}

/** The SMS gateway: a POST of JSON to `url`, signed with HMAC-SHA256 of `secret` (channels.ts). */
export const smsSettings = z.object({ url: z.url(), appKey: z.string().min(1).max(200), secret: z.string().min(8).max(500), signName: z.string().max(50).optional() });
/** WeChat template messages: a POST of JSON to `url` with `access_token`. */
export const wechatSettings = z.object({ url: z.url(), accessToken: z.string().min(1).max(1000), templateId: z.string().min(1).max(200) });

/** `settings.notify`: the channels messages go to, and how the SMS and WeChat adapters reach their services. */
export const notifySettings = z.object({
  channels: z.array(z.enum(CHANNELS)).min(1).default(['inapp']),
  sms: smsSettings.optional(),
  wechat: wechatSettings.optional(),
  /** Attempts of one SMS or WeChat message before it is marked failed. */
  maxAttempts: z.number().int().min(1).max(20).default(5),
});
export type NotifySettings = z.output<typeof notifySettings>;

const DEFAULT_SETTINGS: NotifySettings = { channels: ['inapp'], maxAttempts: 5 };

/** The tenant's notification settings (defaults when the tenant has no settings row or a malformed one). */
export async function loadNotifySettings(tx: PackTx, tenant: PackTenant): Promise<NotifySettings> {
  const [row] = await tx.query<{ notify: unknown }>(`select notify from pack_billing.settings where tenant_id = $1`, [tenant.id]);
  if (!row) return DEFAULT_SETTINGS;
  const value = typeof row.notify === 'string' ? (JSON.parse(row.notify) as unknown) : row.notify;
  const parsed = notifySettings.safeParse(value ?? {});
  return parsed.success ? parsed.data : DEFAULT_SETTINGS;
}

/** Queues `message` on its channels; in-app is sent at once. A message already queued with its key is left alone. */
export async function notify(tx: PackTx, tenant: PackTenant, message: NotifyMessage): Promise<void> {
  await notifyMany(tx, tenant, [message]);
}

/**
 * Queues many messages in one statement (each on its channels, or the tenant's). Answers the rows written
 * (those whose key was new on their channel).
 */
export async function notifyMany(tx: PackTx, tenant: PackTenant, messages: readonly NotifyMessage[], settings?: NotifySettings): Promise<number> {
  if (messages.length === 0) return 0;
  const configured = settings ?? (await loadNotifySettings(tx, tenant));
  const cols = { account: [] as (string | null)[], channel: [] as string[], kind: [] as string[], key: [] as string[], title: [] as string[], body: [] as string[], titleEn: [] as string[], bodyEn: [] as string[] };
  for (const m of messages) {
    for (const channel of new Set(m.channels ?? configured.channels)) {
      cols.account.push(m.accountId);
      cols.channel.push(channel);
      cols.kind.push(m.kind);
      cols.key.push(m.dedupeKey);
      cols.title.push(m.title['zh-CN']);
      cols.body.push(m.body['zh-CN']);
      cols.titleEn.push(m.title.en);
      cols.bodyEn.push(m.body.en);
    }
  }
  // SMS goes to the customer's phone; WeChat needs an openid the archive does not keep yet (left null: the
  // delivery marks such a message failed, saying so).
  const rows = await tx.query<{ n: number }>(
    `with ins as (
       insert into pack_billing.notifications (tenant_id, tenant_path, account_id, channel, kind, dedupe_key, title, body, title_en, body_en, recipient, status, sent_at)
       select $1, $2::ltree, x.account_id, x.channel, x.kind, x.dedupe_key, x.title, x.body, x.title_en, x.body_en,
              case when x.channel = 'sms' then (select c.phone from pack_billing.accounts a join pack_billing.customers c on c.id = a.customer_id
                                                  where a.tenant_id = $1 and a.id = x.account_id) end,
              case when x.channel = 'inapp' then 'sent' else 'queued' end,
              case when x.channel = 'inapp' then now() end
         from unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
              as x(account_id, channel, kind, dedupe_key, title, body, title_en, body_en)
       on conflict (tenant_id, channel, dedupe_key) do nothing
       returning 1
     )
     select count(*)::int as n from ins`,
    [tenant.id, tenant.path, cols.account, cols.channel, cols.kind, cols.key, cols.title, cols.body, cols.titleEn, cols.bodyEn],
  );
  return rows[0]?.n ?? 0;
}
