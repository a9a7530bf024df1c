import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { asSystem, type Db, notifications, reportDeliveries } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { listPage } from '../../http/paging.js';
import { route } from '../../http/route.js';

const tags = ['Notifications 站内消息'];
const PATH = '/api/notifications';

/**
 * 站内消息: each signed-in user's own messages (a delivered report schedule, so far). They are the caller's
 * own account like /api/auth/me, so any signed-in user reads them (`authenticated`): the list and every
 * `/:id` route are filtered by the caller's user id beneath row-level security, and another user's message
 * is a 404.
 */
export function notificationRoutes(db: Db, dataDir: string) {
  const mine = (userId: number, id: number) => and(eq(notifications.id, id), eq(notifications.userId, userId));
  return [
    route({
      method: 'get',
      path: PATH,
      permission: 'authenticated',
      summary: 'My notifications, unread first, newest first (?unread=true for the unread only), with the unread count',
      tags,
      query: pageQuery.extend({ unread: z.enum(['true', 'false']).optional() }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const me = ctx.principal().userId;
          const where = and(eq(notifications.userId, me), query.unread === 'true' ? isNull(notifications.readAt) : undefined);
          const page = await listPage(tx, notifications, where, [sql`${notifications.readAt} is null desc`, desc(notifications.id)], query);
          const unread = await tx.$count(notifications, and(eq(notifications.userId, me), isNull(notifications.readAt)));
          return { ...page, unread };
        }),
    }),
    route({
      method: 'post',
      path: `${PATH}/:id/read`,
      permission: 'authenticated',
      summary: 'Mark one of my notifications read (again: no change)',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const [row] = await tx
            .update(notifications)
            .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
            .where(mine(ctx.principal().userId, params.id))
            .returning();
          if (!row) throw new AppError('not_found');
          return row;
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id/attachment`,
      permission: 'authenticated',
      summary: 'Download the file one of my notifications carries (a scheduled report’s export)',
      tags,
      params: idParams,
      handler: async ({ params }, ctx, _req, res) => {
        const notification = await ctx.tx(async (tx) => (await tx.select().from(notifications).where(mine(ctx.principal().userId, params.id)))[0]);
        if (!notification?.attachment) throw new AppError('not_found');
        const { attachment } = notification;
        // The delivery may sit in a tenant above the recipient's (a county's schedule, a site's user): the notification is the right to it.
        const [delivery] = await asSystem(db, (tx) => tx.select().from(reportDeliveries).where(eq(reportDeliveries.id, attachment.deliveryId)));
        if (!delivery?.file) {
          // Delivered files are deleted after SHUIYUN_REPORT_DELIVERY_RETENTION_DAYS (see reports/exports/runner.ts, sweep).
          const expired = delivery ? [{ path: 'params.id', code: 'attachment_expired', message: ctx.locale === 'zh-CN' ? '该报表文件已过保留期限并被删除' : 'The report file has passed its retention and was deleted' }] : undefined;
          throw new AppError('not_found', expired ? { details: expired } : {});
        }
        const stream = createReadStream(join(dataDir, delivery.file));
        await new Promise<void>((resolve, reject) => {
          stream.once('open', () => resolve());
          stream.once('error', () => reject(new AppError('not_found')));
        });
        res.status(200);
        res.setHeader('content-type', attachment.mediaType);
        res.setHeader('content-disposition', `attachment; filename="${attachment.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
        await new Promise<void>((resolve, reject) => {
          stream.pipe(res);
          stream.once('error', reject);
          res.once('finish', () => resolve());
          res.once('close', () => resolve());
        });
      },
    }),
  ];
}
