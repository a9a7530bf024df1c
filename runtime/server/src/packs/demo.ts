import type { AnalyticsStore } from '@shuiyun/analytics';
import { asSystem, inTenant, queryRows } from '@shuiyun/db';
import type { Pack, PackDemoContext } from '@shuiyun/sdk';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { callerContext } from '../http/context.js';
import { createEntityRecord } from '../design/entity-routes.js';
import type { PermissionModel } from '../permissions/permission-model.js';
import { installPack, type PublishDeps } from './lifecycle.js';
import { packServices, tenantOf } from './services.js';

export interface DemoDeps {
  deps: PublishDeps;
  permissions: PermissionModel;
  analytics: AnalyticsStore | undefined;
  platformVersion: string;
  logger: Logger;
}

/**
 * The demo utility's packs: on the first start, every pack the runtime carries is installed in each demo
 * water company (as its administrator, like an operator would through `/api/packs`), and the pack's demo
 * data is written. Answers what was installed where.
 */
export async function installDemoPacks(packs: readonly Pack[], tenantCodes: readonly string[], { deps, permissions, analytics, platformVersion, logger }: DemoDeps): Promise<{ tenant: string; pack: string }[]> {
  const done: { tenant: string; pack: string }[] = [];
  const db = deps.services.db;
  for (const code of tenantCodes) {
    const [admin] = await asSystem(db, (tx) =>
      queryRows<{ id: string; username: string; tenant_id: string; tenant_path: string; org_path: string | null }>(
        tx,
        sql`select u.id, u.username, u.tenant_id, u.tenant_path::text as tenant_path, u.org_path::text as org_path from users u join tenants t on t.id = u.tenant_id
          where t.code = ${code} and u.username = ${`admin@${code}`}`,
      ),
    );
    if (!admin) continue;
    const principal = { userId: Number(admin.id), username: admin.username, tenantId: Number(admin.tenant_id), tenantPath: admin.tenant_path, orgPath: admin.org_path, sessionId: 'demo-install' };
    const caller = { principal, dataScope: permissions.dataScopeOf(principal.userId, principal.tenantId) ?? ('tenant' as const) };
    const ctx = callerContext(db, caller, { requestId: `demo-${code}`, locale: 'zh-CN', meta: { userAgent: 'shuiyun-demo', requestId: `demo-${code}` } });
    for (const pack of packs) {
      await ctx.tx((tx) => installPack(tx, ctx, deps, pack, { tenantId: principal.tenantId, tenantPath: principal.tenantPath }, platformVersion, permissions));
      await permissions.changed();
      await deps.reloadAlarmRules?.();
      if (pack.demo) {
        const tenant = await asSystem(db, (tx) => tenantOf(tx, principal.tenantId));
        const services = packServices(deps.services, pack, { tenant, user: { id: principal.userId, username: principal.username }, locale: 'zh-CN', requestId: `demo-${code}` });
        const demo: PackDemoContext = {
          ...services,
          now: new Date(),
          createRecord: async (entity, data) =>
            (await inTenant(db, { tenantPath: tenant.path, userId: principal.userId, userName: principal.username }, (tx) => createEntityRecord(tx, ctx, tenant.id, entity, data, principal.userId))).id,
          publishReadings: async (readings) => {
            if (!analytics) return;
            for (let i = 0; i < readings.length; i += 50_000) {
              await analytics.insertReadings(readings.slice(i, i + 50_000).map((reading) => ({ tenantId: tenant.id, tenantPath: tenant.path, reading })));
            }
          },
        };
        const started = Date.now();
        await pack.demo(demo);
        logger.info({ tenant: code, pack: pack.id, ms: Date.now() - started }, 'demo data of the pack written');
      }
      done.push({ tenant: code, pack: pack.id });
    }
  }
  return done;
}
