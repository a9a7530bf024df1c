import { type Db, asSystem, notifications, users } from '@shuiyun/db';
import { BpmnError, defineWorker } from '@shuiyun/sdk';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';

const recipients = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(/[,，;\s]+/)).map((name) => name.trim()).filter(Boolean))
  .pipe(z.array(z.string().max(64)).min(1).max(500));

/**
 * 发送通知: a built-in job worker that puts an in-app notification in front of users of the process's
 * tenant (by username). An unknown username is a BPMN error `notify.unknown-user`, so a process can
 * route around it; no notification is sent then.
 */
export function notifyWorker(db: Db) {
  return defineWorker({
    type: 'shuiyun.notify',
    title: { 'zh-CN': '发送通知', en: 'Send a notification' },
    description: { 'zh-CN': '给本租户的用户发送站内通知', en: 'Send an in-app notification to users of the tenant' },
    input: z.object({
      recipients: recipients.describe('usernames, comma separated, or a list').meta({ title: '接收人 Recipients' }),
      title: z.string().trim().min(1).max(200).meta({ title: '标题 Title' }),
      body: z.string().max(2_000).default('').meta({ title: '内容 Body' }),
      link: z.string().max(500).optional().meta({ title: '链接 Link' }),
    }),
    output: z.object({ notified: z.number().int() }),
    handler: async (input, job) =>
      asSystem(db, async (tx) => {
        const found = await tx
          .select({ id: users.id, username: users.username, tenantId: users.tenantId, tenantPath: users.tenantPath })
          .from(users)
          .where(and(eq(users.tenantId, job.tenantId), eq(users.status, 'active'), inArray(sql`lower(${users.username})`, input.recipients.map((name) => name.toLowerCase()))));
        const known = new Set(found.map((user) => user.username.toLowerCase()));
        const unknown = input.recipients.filter((name) => !known.has(name.toLowerCase()));
        if (unknown.length > 0) throw new BpmnError('notify.unknown-user', `no active user ${unknown.join(', ')} in this tenant`);
        await tx.insert(notifications).values(
          found.map((user) => ({
            tenantId: user.tenantId,
            tenantPath: user.tenantPath,
            userId: user.id,
            kind: 'process',
            title: { 'zh-CN': input.title, en: input.title },
            body: { 'zh-CN': input.body, en: input.body },
            link: input.link ?? `/app/processes/${job.instanceId}`,
          })),
        );
        return { notified: found.length };
      }),
  });
}
