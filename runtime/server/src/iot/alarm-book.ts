import { alarmRules, alarms, asSystem, type Db, devices, rulesEngineState, tenants } from '@shuiyun/db';
import { type AlarmSignal, ruleConfig, RulesEngine, type RuleConfigInput } from '@shuiyun/iot';
import type { Reading } from '@shuiyun/sdk';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';

export type AlarmRow = typeof alarms.$inferSelect;

/** What subscribers (the workflow runtime starting work orders, notifiers) hear about alarms. */
export type AlarmEvent = { type: 'raised' | 'acknowledged' | 'cleared'; alarm: AlarmRow };
export type AlarmListener = (event: AlarmEvent) => void | Promise<void>;

/**
 * The platform's rules until tenants configure their own: every one at its documented defaults
 * (runtime/iot/src/rules/kinds/*). Ids are part of every alarm's dedup key: never reuse one.
 */
export const defaultRules: RuleConfigInput[] = [
  { id: 'platform.offline', kind: 'offline' },
  { id: 'platform.continuous_flow', kind: 'continuous_flow' },
  { id: 'platform.reverse_flow', kind: 'reverse_flow' },
  { id: 'platform.zero_consumption', kind: 'zero_consumption' },
  { id: 'platform.low_battery', kind: 'low_battery' },
  { id: 'platform.valve_fault', kind: 'valve_fault' },
  { id: 'platform.tamper', kind: 'tamper' },
];

const STATE_NAME = 'rules';

type AlarmRuleRow = typeof alarmRules.$inferSelect;

/**
 * A tenant's rule as the engine runs it: scoped to the tenant's subtree (and its product, if any), its id
 * namespaced by tenant so two tenants' `pressure-high` stay two rules. Null when the stored row no longer
 * validates (it was checked on save; a kind's parameters may have changed since).
 */
export function tenantRule(row: AlarmRuleRow): RuleConfigInput | null {
  const rule = {
    id: `tenant:${row.tenantId}:${row.ruleId}`,
    kind: row.kind,
    params: row.params,
    ...(row.severity ? { severity: row.severity } : {}),
    scope: { tenantPath: row.tenantPath, ...(row.productCode ? { productKey: row.productCode } : {}) },
  };
  return ruleConfig.safeParse(rule).success ? (rule as RuleConfigInput) : null;
}

async function loadTenantRules(db: Db, logger: Logger): Promise<RuleConfigInput[]> {
  const rows = await asSystem(db, (tx) => tx.select().from(alarmRules).where(eq(alarmRules.enabled, true)).orderBy(alarmRules.id));
  return rows.flatMap((row) => {
    const rule = tenantRule(row);
    if (!rule) logger.error({ alarmRule: row.id, tenantId: row.tenantId }, 'a stored alarm rule no longer validates; it is skipped');
    return rule ? [rule] : [];
  });
}

/**
 * Readings → rules engine → alarms in Postgres, and the events subscribers get. Signals are applied in
 * order, one at a time; a raise for an alarm that is already open is a redelivery and changes nothing,
 * a clear for one that is not open (closed by hand meanwhile) likewise. The engine's state is saved
 * regularly and on close, and restored on start, so a night-flow run or an offline clock survives a
 * restart.
 */
export class AlarmBook {
  private engine: RulesEngine;
  private reloading: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<AlarmListener>();
  private queue: Promise<void> = Promise.resolve();
  private readonly tenantIds = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly defaults: RuleConfigInput[],
    tenantRules: RuleConfigInput[],
  ) {
    this.engine = new RulesEngine([...defaults, ...tenantRules]);
  }

  /**
   * `rules` replaces the platform defaults (tests); the enabled rules tenants configured (alarm_rules)
   * always come on top.
   */
  static async open(db: Db, logger: Logger, options: { rules?: RuleConfigInput[]; tickMs?: number } = {}): Promise<AlarmBook> {
    const defaults = options.rules ?? defaultRules;
    const book = new AlarmBook(db, logger, defaults, await loadTenantRules(db, logger));
    const [saved] = await asSystem(db, (tx) => tx.select().from(rulesEngineState).where(eq(rulesEngineState.name, STATE_NAME)));
    if (saved) {
      try {
        book.enqueue(book.engine.restore(saved.snapshot));
      } catch (err) {
        logger.error({ err }, 'the saved rules state is unreadable; rules start afresh');
      }
    }
    const tickMs = options.tickMs ?? 60_000;
    if (tickMs > 0) {
      book.timer = setInterval(() => {
        book.tick(new Date());
        void book.save();
      }, tickMs);
      book.timer.unref();
    }
    return book;
  }

  /** Subscribes to alarm events; returns the unsubscribe function. */
  subscribe(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Rebuilds the engine from the platform defaults and the tenants' enabled rules as now committed,
   * keeping every device's state: snapshot → new engine → restore. Alarms of a rule that was removed,
   * disabled or no longer covers the device are cleared. Reloads run one after another, each reading the
   * database afresh, so the last one sees the last change.
   */
  reloadRules(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      try {
        const engine = new RulesEngine([...this.defaults, ...(await loadTenantRules(this.db, this.logger))]);
        const signals = engine.restore(this.engine.snapshot());
        this.engine = engine;
        this.enqueue(signals);
      } catch (err) {
        this.logger.error({ err }, 'reloading the alarm rules failed; the previous rules stay');
      }
    });
    return this.reloading;
  }

  /** A device's accepted readings (the ingestion pipeline's hook). */
  onReadings(device: { deviceKey: string; tenantPath: string; productKey?: string | undefined }, readings: readonly Reading[], receivedAt: Date): void {
    this.enqueue(this.engine.onReadings(device, readings, receivedAt));
  }

  /** Time-based rules (offline) at `now`. */
  tick(now: Date): void {
    this.enqueue(this.engine.tick(now));
  }

  /** Resolves when every signal so far is in the database and told to subscribers. */
  settled(): Promise<void> {
    return this.queue;
  }

  /** Tells subscribers about a change made through the API (acknowledge, manual clear). */
  announce(event: AlarmEvent): void {
    this.emit(event);
  }

  async save(): Promise<void> {
    const snapshot = this.engine.snapshot();
    await asSystem(this.db, (tx) =>
      tx
        .insert(rulesEngineState)
        .values({ name: STATE_NAME, snapshot, savedAt: new Date() })
        .onConflictDoUpdate({ target: rulesEngineState.name, set: { snapshot, savedAt: new Date() } }),
    ).catch((err: unknown) => this.logger.error({ err }, 'saving the rules state failed'));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.queue;
    await this.save();
  }

  private enqueue(signals: AlarmSignal[]): void {
    if (signals.length === 0) return;
    this.queue = this.queue.then(async () => {
      for (const signal of signals) {
        try {
          const event = await this.apply(signal);
          if (event) this.emit(event);
        } catch (err) {
          this.logger.error({ err, dedupKey: signal.dedupKey }, 'recording an alarm failed');
        }
      }
    });
  }

  private emit(event: AlarmEvent): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(event))
        .catch((err: unknown) => this.logger.error({ err, alarm: event.alarm.id }, 'an alarm subscriber failed'));
    }
  }

  private async tenantId(tenantPath: string): Promise<number | undefined> {
    const known = this.tenantIds.get(tenantPath);
    if (known !== undefined) return known;
    const [row] = await asSystem(this.db, (tx) => tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.path, tenantPath)));
    if (row) this.tenantIds.set(tenantPath, row.id);
    return row?.id;
  }

  private async apply(signal: AlarmSignal): Promise<AlarmEvent | null> {
    const tenantId = await this.tenantId(signal.tenantPath);
    if (tenantId === undefined) return null;
    return asSystem(this.db, async (tx) => {
      if (signal.transition === 'raise') {
        const [device] = await tx
          .select({ id: devices.id, orgPath: devices.orgPath })
          .from(devices)
          .where(and(eq(devices.tenantId, tenantId), eq(devices.deviceKey, signal.deviceKey)));
        const [row] = await tx
          .insert(alarms)
          .values({
            tenantId,
            tenantPath: signal.tenantPath,
            deviceId: device?.id ?? null,
            deviceKey: signal.deviceKey,
            kind: signal.kind,
            ruleId: signal.ruleId,
            severity: signal.severity,
            dedupKey: signal.dedupKey,
            raisedAt: signal.raisedAt,
            detail: { ...signal.detail },
            orgPath: device?.orgPath ?? null,
          })
          .onConflictDoNothing({ target: [alarms.tenantId, alarms.dedupKey], where: sql`${alarms.status} <> 'cleared'` })
          .returning();
        return row ? { type: 'raised', alarm: row } : null;
      }
      const [row] = await tx
        .update(alarms)
        .set({ status: 'cleared', clearedAt: signal.clearedAt, detail: sql`${alarms.detail} || ${JSON.stringify(signal.detail)}::jsonb`, updatedAt: new Date() })
        .where(and(eq(alarms.tenantId, tenantId), eq(alarms.dedupKey, signal.dedupKey), ne(alarms.status, 'cleared')))
        .returning();
      return row ? { type: 'cleared', alarm: row } : null;
    });
  }
}
