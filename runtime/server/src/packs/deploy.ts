import { asSystem, type Db, queryRows } from '@shuiyun/db';
import type { Pack, WorkerDefinition } from '@shuiyun/sdk';
import { sql } from 'drizzle-orm';
import { applyPackMigrations } from './migrations.js';
import type { PackRegistry } from './registry.js';
import { packServices, type ServiceDeps, tenantOf } from './services.js';

/**
 * Puts a pack version in place: the registry serves it (its new job types start), and where some tenant
 * already has the pack installed its pending migrations run now, so the code and the shared schema move
 * together (a pack installed nowhere migrates at its first install, inside that transaction).
 * Answers the migrations applied.
 */
export async function deployPack(db: Db, registry: PackRegistry, pack: Pack): Promise<string[]> {
  const installed = await asSystem(db, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from pack_installations where pack_id = ${pack.id}`));
  const applied = (installed[0]?.n ?? 0) > 0 ? await asSystem(db, (tx) => applyPackMigrations(tx, pack, 'en')) : [];
  registry.deploy(pack);
  return applied;
}

/** A pack's worker as the engine runs it: the job gets the platform for its tenant (`servicesOf(job)`), from the version deployed now. */
export function packWorker(deps: ServiceDeps, registry: PackRegistry, packId: string, worker: WorkerDefinition): WorkerDefinition {
  return {
    ...worker,
    handler: async (input, job) => {
      const pack = registry.get(packId)!;
      const current = pack.workers.find((w) => w.type === worker.type) ?? worker;
      const tenant = await asSystem(deps.db, (tx) => tenantOf(tx, job.tenantId));
      const services = packServices(deps, pack, { tenant, user: null, locale: 'zh-CN', requestId: job.jobKey });
      return current.handler(input, { ...job, services });
    },
  };
}
