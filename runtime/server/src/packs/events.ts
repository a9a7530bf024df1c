import { asSystem, type Database, inTenant, queryRows } from '@shuiyun/db';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { PackRegistry } from './registry.js';
import { packServices, type ServiceDeps, tenantOf } from './services.js';

interface Candidate {
  id: string;
  tenant_id: string;
  name: string;
  payload: unknown;
  emitted_at: Date | string;
}

const BATCH = 100;
const backOffMs = (attempts: number) => Math.min(3_600_000, 5_000 * 2 ** Math.max(0, attempts - 1));

/**
 * Delivers pack events (the `pack_events` outbox) to the packs that consume them: each event once per
 * consuming pack and tenant, in event order, only where the consumer is installed and enabled. A handler
 * runs in one transaction with the record of its delivery, so it commits exactly once; a handler that
 * throws is retried with back-off (5 s, 10 s … at most an hour), and its error is kept for the operator.
 */
export class PackEventDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly registry: PackRegistry,
    private readonly deps: ServiceDeps,
    private readonly logger: Logger,
    private readonly pollMs = 5_000,
  ) {}

  async start(): Promise<void> {
    await this.database.subscribe('shuiyun_pack_events', () => this.kick());
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a delivery pass soon (another follows if one is under way). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error({ err: error }, 'pack event delivery failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Delivers everything due now; answers when nothing is left (tests, and the settle-then-bill flow). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    while ((await this.pass()) > 0) {
      /* until a pass delivers nothing */
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every consumer; answers how many deliveries it made. */
  private async pass(): Promise<number> {
    let delivered = 0;
    for (const consumer of this.registry.list()) {
      const names = Object.keys(consumer.events.on);
      if (names.length === 0) continue;
      const due = await asSystem(this.database.db, (tx) =>
        queryRows<Candidate>(
          tx,
          sql`select e.id, e.tenant_id, e.name, e.payload, e.emitted_at from pack_events e
            join pack_installations i on i.tenant_id = e.tenant_id and i.pack_id = ${consumer.id} and i.status = 'installed'
            where e.name in (${sql.join(names.map((n) => sql`${n}`), sql`, `)})
              and not exists (select 1 from pack_event_deliveries d where d.event_id = e.id and d.consumer = ${consumer.id}
                and (d.status = 'done' or d.next_attempt_at > now()))
            order by e.id limit ${BATCH}`,
        ),
      );
      for (const event of due) {
        if (this.stopped) return delivered;
        if (await this.deliver(consumer.id, event)) delivered++;
      }
    }
    return delivered;
  }

  private async deliver(consumerId: string, event: Candidate): Promise<boolean> {
    const consumer = this.registry.get(consumerId);
    const handler = consumer?.events.on[event.name];
    if (!consumer || !handler) return false;
    const tenantId = Number(event.tenant_id);
    const tenant = await asSystem(this.database.db, (tx) => tenantOf(tx, tenantId));
    try {
      return await inTenant(this.database.db, { tenantPath: tenant.path, userId: null, userName: `pack:${consumerId}` }, async (tx) => {
        // Taking the delivery first: a second node waits on the key, then finds it done.
        const [taken] = await queryRows<{ event_id: string }>(
          tx,
          sql`insert into pack_event_deliveries (event_id, tenant_id, tenant_path, consumer, status) values (${event.id}, ${tenantId}, ${tenant.path}::ltree, ${consumerId}, 'done')
            on conflict (event_id, consumer) do update set status = 'done', attempts = pack_event_deliveries.attempts + 1, error = null, next_attempt_at = null, updated_at = now()
              where pack_event_deliveries.status = 'failed' and pack_event_deliveries.next_attempt_at <= now()
            returning event_id`,
        );
        if (!taken) return false;
        const services = packServices(this.deps, consumer, { tenant, user: null, locale: 'zh-CN', tx });
        await handler(event.payload, services, { id: event.id, name: event.name, emittedAt: new Date(event.emitted_at) });
        return true;
      });
    } catch (error) {
      this.logger.warn({ err: error, event: event.id, consumer: consumerId }, 'a pack event handler failed; it will be retried');
      await inTenant(this.database.db, { tenantPath: tenant.path, userId: null }, (tx) =>
        tx.execute(sql`insert into pack_event_deliveries (event_id, tenant_id, tenant_path, consumer, status, attempts, error, next_attempt_at)
          values (${event.id}, ${tenantId}, ${tenant.path}::ltree, ${consumerId}, 'failed', 1, ${String((error as Error).message).slice(0, 2_000)}, now() + ${`${backOffMs(1)} milliseconds`}::interval)
          on conflict (event_id, consumer) do update set status = 'failed', attempts = pack_event_deliveries.attempts + 1, error = excluded.error,
            next_attempt_at = now() + make_interval(secs => least(3600, 5 * power(2, pack_event_deliveries.attempts))), updated_at = now()`),
      ).catch((recordError: unknown) => this.logger.error({ err: recordError }, 'could not record a failed pack event delivery'));
      return false;
    }
  }
}
