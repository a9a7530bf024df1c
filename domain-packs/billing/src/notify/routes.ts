/**
 * The notifications routes (under `/api/ext/billing`): the messages the notifier port queued or sent, per
 * account, and marking an in-app message read.
 *   GET  /notifications?accountId=&channel=&status=&kind=   billing.bills:read
 *   POST /notifications/:id/read                            billing.bills:read
 */
import { defineRoute } from '@shuiyun/sdk';
import { z } from 'zod';
import { idParams, iso, l, notFound, page, Params, PERMISSIONS } from '../shared.js';
import { CHANNELS } from './notify.js';

interface NotificationRow {
  id: string;
  account_id: string | null;
  channel: string;
  kind: string;
  dedupe_key: string;
  title: string;
  body: string;
  title_en: string;
  body_en: string;
  recipient: string | null;
  status: string;
  attempts: number;
  error: string | null;
  read_at: Date | string | null;
  created_at: Date | string;
  sent_at: Date | string | null;
}

const COLUMNS = `id, account_id, channel, kind, dedupe_key, title, body, title_en, body_en, recipient, status, attempts, error, read_at, created_at, sent_at`;

/** A phone number as lists show it: the middle four digits masked. */
const maskRecipient = (value: string | null) => (value === null ? null : value.length >= 7 ? `${value.slice(0, 3)}****${value.slice(-4)}` : '****');

function present(r: NotificationRow) {
  return {
    id: Number(r.id),
    accountId: r.account_id === null ? null : Number(r.account_id),
    channel: r.channel,
    kind: r.kind,
    dedupeKey: r.dedupe_key,
    title: { 'zh-CN': r.title, en: r.title_en || r.title },
    body: { 'zh-CN': r.body, en: r.body_en || r.body },
    recipient: r.channel === 'sms' ? maskRecipient(r.recipient) : r.recipient === null ? null : '***',
    status: r.status,
    attempts: r.attempts,
    error: r.error,
    readAt: iso(r.read_at),
    createdAt: iso(r.created_at),
    sentAt: iso(r.sent_at),
  };
}

export const notificationRoutes = [
  defineRoute({
    method: 'get',
    path: '/notifications',
    permission: PERMISSIONS.billsRead,
    summary: 'Notifications, newest first; filters accountId, channel, status, kind, unread',
    query: z.object({
      ...page,
      accountId: z.coerce.number().int().positive().optional(),
      channel: z.enum(CHANNELS).optional(),
      status: z.enum(['queued', 'sent', 'failed']).optional(),
      kind: z.string().trim().min(1).max(40).optional(),
      unread: z.enum(['true', 'false']).optional(),
    }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`tenant_id = ${p.add(services.tenant.id)}`];
        if (query.accountId) where.push(`account_id = ${p.add(query.accountId)}::bigint`);
        if (query.channel) where.push(`channel = ${p.add(query.channel)}`);
        if (query.status) where.push(`status = ${p.add(query.status)}`);
        if (query.kind) where.push(`kind = ${p.add(query.kind)}`);
        if (query.unread === 'true') where.push(`channel = 'inapp' and read_at is null`);
        const filter = p.values.length;
        const rows = await tx.query<NotificationRow & { full_count: number }>(
          `select ${COLUMNS}, count(*) over ()::int as full_count from pack_billing.notifications where ${where.join(' and ')}
            order by id desc limit ${p.add(query.pageSize)}::int offset ${p.add((query.page - 1) * query.pageSize)}::int`,
          p.values,
        );
        let total = rows[0]?.full_count ?? 0;
        if (rows.length === 0 && query.page > 1) {
          const [count] = await tx.query<{ n: number }>(`select count(*)::int as n from pack_billing.notifications where ${where.join(' and ')}`, p.values.slice(0, filter));
          total = count!.n;
        }
        return { items: rows.map(present), total, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'post',
    path: '/notifications/:id/read',
    permission: PERMISSIONS.billsRead,
    summary: 'Marks an in-app notification read (the first time only: reading again keeps the first time)',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<NotificationRow>(
          `update pack_billing.notifications set read_at = coalesce(read_at, now()) where tenant_id = $1 and id = $2::bigint returning ${COLUMNS}`,
          [services.tenant.id, params.id],
        );
        if (!row) throw notFound(l(`没有通知 ${params.id}`, `no notification ${params.id}`), 'params.id');
        return present(row);
      }),
  }),
];
