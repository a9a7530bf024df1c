import type { Reading } from '@shuiyun/sdk';
import { z } from 'zod';
import { dedupKeyOf, severity, type AlarmClear, type AlarmDetail, type AlarmRaise, type AlarmSignal, type Severity } from './alarm-signal.js';
import { bigintAsString } from './exact-decimal.js';
import { continuousFlowRule } from './kinds/continuous-flow.js';
import { lowBatteryRule } from './kinds/low-battery.js';
import { offlineRule } from './kinds/offline.js';
import { reverseFlowRule } from './kinds/reverse-flow.js';
import { tamperRule } from './kinds/tamper.js';
import { thresholdRule } from './kinds/threshold.js';
import { valveFaultRule } from './kinds/valve-fault.js';
import { zeroConsumptionRule } from './kinds/zero-consumption.js';
import { parseRuleSet, scopeCovers, type RuleConfig, type RuleConfigInput } from './rule-config.js';
import type { ObservedReading, RuleContext, RuleKindDefinition, Verdict } from './rule-kind.js';

/** The device a batch of readings came from, as the ingestion pipeline knows it (`DeviceIdentity` fits). */
export interface RuleSubject {
  deviceKey: string;
  tenantPath: string;
  /** Product key in the device registry; rules scoped to a product only see devices that name it. */
  productKey?: string | undefined;
}

export interface RulesEngineOptions {
  /**
   * When `onReadings` is given the receive time, readings stamped more than this after it are refused:
   * one reading from a meter whose clock runs years ahead would otherwise make every later true reading
   * look late. Default one hour.
   */
  maxClockSkewMs?: number;
}

/** What happened to the readings the engine was given, since it started. */
export interface RulesEngineStats {
  accepted: number;
  /**
   * Not newer than the newest reading already taken for the device and metric: a redelivered duplicate
   * or a late arrival. Ignored (see the class comment); telling the two apart would cost a history of
   * timestamps per device.
   */
  stale: number;
  /** Stamped beyond `receivedAt` + `maxClockSkewMs`: ignored. */
  future: number;
  /** Naming another device than the batch's, or with an invalid time: ignored. */
  refused: number;
}

interface RuleInstance {
  onReading(reading: ObservedReading, context: RuleContext): readonly Verdict[];
  onHeard(heardAt: number, context: RuleContext): readonly Verdict[];
  onTick(now: number, context: RuleContext): readonly Verdict[];
  save(): unknown;
}

/** A configured rule bound to its kind's behaviour. */
interface BoundRule {
  config: RuleConfig;
  severity: Severity;
  hears(metric: string): boolean;
  start(): RuleInstance;
  resume(saved: unknown): RuleInstance | null;
}

interface OpenAlarm {
  raisedAt: number;
  severity: Severity;
  detail: AlarmDetail;
}

interface WatchedRule {
  rule: BoundRule;
  instance: RuleInstance;
  open: OpenAlarm | null;
}

interface DeviceWatch {
  deviceKey: string;
  tenantPath: string;
  productKey: string | null;
  heardAt: number | null;
  /** Newest accepted reading per metric: the order and de-duplication guard. */
  latest: Map<string, { at: number; milli: bigint }>;
  rules: WatchedRule[];
}

const SNAPSHOT_FORMAT = 'shuiyun.rules-engine/1';

const openAlarm = z.object({ raisedAt: z.number(), severity, detail: z.record(z.string(), z.string()) });
const engineSnapshot = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  clock: z.number().nullable(),
  devices: z.array(
    z.object({
      deviceKey: z.string(),
      tenantPath: z.string(),
      productKey: z.string().nullable(),
      heardAt: z.number().nullable(),
      latest: z.record(z.string(), z.object({ at: z.number(), milli: bigintAsString })),
      rules: z.array(z.object({ id: z.string(), kind: z.string(), open: openAlarm.nullable(), state: z.unknown() })),
    }),
  ),
});
/** The engine's whole state as plain JSON (bigints as decimal strings): persist it, restore it after a restart. */
export type RulesEngineSnapshot = z.input<typeof engineSnapshot>;

/** The snapshot given to `restore` is not one this engine wrote. */
export class RulesSnapshotError extends Error {
  readonly code = 'invalid_rules_snapshot';
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super(`not a rules-engine snapshot: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'RulesSnapshotError';
  }
}

function bind<P, S>(definition: RuleKindDefinition<P, S>, config: RuleConfig, params: P): BoundRule {
  const metrics = new Set(definition.metrics(params));
  const instance = (state: S): RuleInstance => ({
    onReading: (reading, context) => definition.onReading?.(params, state, reading, context) ?? [],
    onHeard: (heardAt, context) => definition.onHeard?.(params, state, heardAt, context) ?? [],
    onTick: (now, context) => definition.onTick?.(params, state, now, context) ?? [],
    save: () => z.encode(definition.state, state),
  });
  return {
    config,
    severity: config.severity ?? definition.defaultSeverity,
    hears: (metric) => metrics.has(metric),
    start: () => instance(definition.initialState(params)),
    resume: (saved) => {
      const state = definition.state.safeParse(saved);
      return state.success ? instance(state.data) : null;
    },
  };
}

function bindRule(config: RuleConfig): BoundRule {
  switch (config.kind) {
    case 'threshold':
      return bind(thresholdRule, config, config.params);
    case 'offline':
      return bind(offlineRule, config, config.params);
    case 'reverse_flow':
      return bind(reverseFlowRule, config, config.params);
    case 'continuous_flow':
      return bind(continuousFlowRule, config, config.params);
    case 'zero_consumption':
      return bind(zeroConsumptionRule, config, config.params);
    case 'low_battery':
      return bind(lowBatteryRule, config, config.params);
    case 'valve_fault':
      return bind(valveFaultRule, config, config.params);
    case 'tamper':
      return bind(tamperRule, config, config.params);
  }
}

/**
 * Turns readings into alarm signals. Keeps, per device, the newest reading of each metric, each rule's
 * state and which alarms are open, so a condition raises once and clears once however many readings
 * confirm it. Deterministic: the same readings and ticks in the same order give the same signals.
 *
 * Order and redelivery: a batch is sorted by time first, so a meter uploading its buffer in any order
 * is fine. Across batches, a reading not newer than the last one taken for its device and metric is
 * ignored and counted (`stats.stale`): a redelivered reading never adds consumption
 * twice or raises twice, and a late one never turns a register delta negative. Late readings still
 * reach the analytics store through the pipeline; they only do not move alarm state.
 */
export class RulesEngine {
  readonly rules: readonly RuleConfig[];
  readonly stats: RulesEngineStats = { accepted: 0, stale: 0, future: 0, refused: 0 };
  private readonly bound: readonly BoundRule[];
  private readonly devices = new Map<string, DeviceWatch>();
  private readonly maxClockSkewMs: number;
  /** The runtime's clock as of the latest tick. */
  private clock: number | null = null;

  /**
   * Validates the rule set whatever its static type claims (it usually comes from stored JSON), and
   * throws `RuleConfigError` naming each fault.
   */
  constructor(rules: readonly RuleConfigInput[], options: RulesEngineOptions = {}) {
    this.rules = parseRuleSet(rules);
    this.bound = this.rules.map(bindRule);
    this.maxClockSkewMs = options.maxClockSkewMs ?? 3_600_000;
  }

  /**
   * Feeds one device's readings (the ingestion pipeline's `onAccepted`). Pass `receivedAt` when known: it
   * counts as hearing from the device (for `offline`) and bounds how far ahead a device clock may run.
   */
  onReadings(device: RuleSubject, readings: readonly Reading[], receivedAt?: Date): AlarmSignal[] {
    const signals: AlarmSignal[] = [];
    const watch = this.watch(device, signals);
    const received = receivedAt?.getTime();
    const ordered = [...readings].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
    let heard = false;
    for (const reading of ordered) {
      const at = reading.at.getTime();
      if (reading.device !== device.deviceKey || !Number.isFinite(at)) {
        this.stats.refused += 1;
        continue;
      }
      if (received !== undefined && at > received + this.maxClockSkewMs) {
        this.stats.future += 1;
        continue;
      }
      const previous = watch.latest.get(reading.metric) ?? null;
      if (previous && at <= previous.at) {
        this.stats.stale += 1;
        continue;
      }
      this.stats.accepted += 1;
      heard = true;
      watch.latest.set(reading.metric, { at, milli: reading.milli });
      watch.heardAt = Math.max(watch.heardAt ?? at, at);
      const observed: ObservedReading = { metric: reading.metric, at, milli: reading.milli };
      for (const watched of watch.rules) {
        if (watched.rule.hears(reading.metric)) this.apply(watch, watched, watched.instance.onReading(observed, this.context(watch)), signals);
      }
    }
    if (heard) {
      if (received !== undefined) watch.heardAt = Math.max(watch.heardAt ?? received, received);
      for (const watched of watch.rules) this.apply(watch, watched, watched.instance.onHeard(watch.heardAt!, this.context(watch)), signals);
    }
    return signals;
  }

  /** Lets time pass: rules that decide on silence (`offline`) look at every known device. */
  tick(now: Date): AlarmSignal[] {
    const at = now.getTime();
    this.clock = Math.max(this.clock ?? at, at);
    const signals: AlarmSignal[] = [];
    for (const watch of this.devices.values()) {
      for (const watched of watch.rules) this.apply(watch, watched, watched.instance.onTick(at, this.context(watch)), signals);
    }
    return signals;
  }

  /** Every alarm raised and not yet cleared, as its raise signal. */
  activeAlarms(): AlarmRaise[] {
    const open: AlarmRaise[] = [];
    for (const watch of this.devices.values()) {
      for (const watched of watch.rules) {
        if (watched.open) open.push(this.raiseSignal(watch, watched.rule.config, watched.open));
      }
    }
    return open;
  }

  snapshot(): RulesEngineSnapshot {
    return {
      format: SNAPSHOT_FORMAT,
      clock: this.clock,
      devices: [...this.devices.values()].map((watch) => ({
        deviceKey: watch.deviceKey,
        tenantPath: watch.tenantPath,
        productKey: watch.productKey,
        heardAt: watch.heardAt,
        latest: Object.fromEntries([...watch.latest].map(([metric, { at, milli }]) => [metric, { at, milli: milli.toString() }])),
        rules: watch.rules.map((watched) => ({
          id: watched.rule.config.id,
          kind: watched.rule.config.kind,
          open: watched.open && { ...watched.open, detail: { ...watched.open.detail } },
          state: watched.instance.save(),
        })),
      })),
    };
  }

  /**
   * Replaces the engine's state with a snapshot (from `snapshot()`, possibly through JSON), normally on a
   * fresh engine at start-up. Rules keep their state and open alarms; a rule whose saved state no longer
   * fits (its kind's state changed shape) starts afresh but keeps its open alarm. Returns clear signals
   * for open alarms whose rule is gone, changed kind or no longer covers the device, so none stays
   * open for ever.
   */
  restore(snapshot: unknown): AlarmSignal[] {
    const parsed = engineSnapshot.safeParse(snapshot);
    if (!parsed.success) throw new RulesSnapshotError(parsed.error.issues);
    const { clock, devices } = parsed.data;
    this.clock = clock;
    this.devices.clear();
    const signals: AlarmSignal[] = [];
    for (const saved of devices) {
      const watch: DeviceWatch = {
        deviceKey: saved.deviceKey,
        tenantPath: saved.tenantPath,
        productKey: saved.productKey,
        heardAt: saved.heardAt,
        latest: new Map(Object.entries(saved.latest)),
        rules: [],
      };
      const savedRules = new Map(saved.rules.map((rule) => [rule.id, rule]));
      for (const rule of this.rulesCovering(watch)) {
        const entry = savedRules.get(rule.config.id);
        if (entry && entry.kind === rule.config.kind) {
          savedRules.delete(rule.config.id);
          watch.rules.push({ rule, instance: rule.resume(entry.state) ?? rule.start(), open: entry.open });
        } else {
          watch.rules.push({ rule, instance: rule.start(), open: null });
        }
      }
      for (const orphan of savedRules.values()) {
        if (!orphan.open) continue;
        signals.push(this.clearSignal(watch, orphan.id, orphan.kind, orphan.open, Math.max(clock ?? orphan.open.raisedAt, orphan.open.raisedAt), { reason: 'rule_removed' }));
      }
      this.devices.set(watch.deviceKey, watch);
    }
    return signals;
  }

  private rulesCovering(device: { tenantPath: string; productKey: string | null }): BoundRule[] {
    const subject = { tenantPath: device.tenantPath, productKey: device.productKey ?? undefined };
    return this.bound.filter((rule) => scopeCovers(rule.config.scope, subject));
  }

  /** The device's watch; created on first sight, re-scoped when its tenant or product changed. */
  private watch(device: RuleSubject, signals: AlarmSignal[]): DeviceWatch {
    const productKey = device.productKey ?? null;
    let watch = this.devices.get(device.deviceKey);
    if (!watch) {
      watch = { deviceKey: device.deviceKey, tenantPath: device.tenantPath, productKey, heardAt: null, latest: new Map(), rules: [] };
      watch.rules = this.rulesCovering(watch).map((rule) => ({ rule, instance: rule.start(), open: null }));
      this.devices.set(device.deviceKey, watch);
      return watch;
    }
    if (watch.tenantPath === device.tenantPath && watch.productKey === productKey) return watch;
    // Moved to another tenant or product: rules that no longer cover it close their alarms.
    const before = new Map(watch.rules.map((watched) => [watched.rule.config.id, watched]));
    watch.tenantPath = device.tenantPath;
    watch.productKey = productKey;
    const kept: WatchedRule[] = [];
    for (const rule of this.rulesCovering(watch)) {
      const existing = before.get(rule.config.id);
      before.delete(rule.config.id);
      kept.push(existing ?? { rule, instance: rule.start(), open: null });
    }
    for (const dropped of before.values()) {
      if (!dropped.open) continue;
      const at = Math.max(this.clock ?? watch.heardAt ?? dropped.open.raisedAt, dropped.open.raisedAt);
      signals.push(this.clearSignal(watch, dropped.rule.config.id, dropped.rule.config.kind, dropped.open, at, { reason: 'out_of_scope' }));
    }
    watch.rules = kept;
    return watch;
  }

  private context(watch: DeviceWatch): RuleContext {
    return { heardAt: watch.heardAt, clock: this.clock };
  }

  /** Verdicts become signals only on a change: raise while closed, clear while open. */
  private apply(watch: DeviceWatch, watched: WatchedRule, verdicts: readonly Verdict[], signals: AlarmSignal[]): void {
    for (const verdict of verdicts) {
      if ('raise' in verdict) {
        if (watched.open) continue;
        watched.open = { raisedAt: verdict.raise, severity: watched.rule.severity, detail: verdict.detail };
        signals.push(this.raiseSignal(watch, watched.rule.config, watched.open));
      } else {
        if (!watched.open) continue;
        const open = watched.open;
        watched.open = null;
        // A clear is never dated before its raise, even when the evidence that ended it is older.
        signals.push(this.clearSignal(watch, watched.rule.config.id, watched.rule.config.kind, open, Math.max(verdict.clear, open.raisedAt), verdict.detail));
      }
    }
  }

  private raiseSignal(watch: DeviceWatch, config: RuleConfig, open: OpenAlarm): AlarmRaise {
    return {
      transition: 'raise',
      kind: config.kind,
      ruleId: config.id,
      deviceKey: watch.deviceKey,
      tenantPath: watch.tenantPath,
      severity: open.severity,
      dedupKey: dedupKeyOf(config.kind, watch.deviceKey, config.id),
      raisedAt: new Date(open.raisedAt),
      detail: open.detail,
    };
  }

  private clearSignal(watch: DeviceWatch, ruleId: string, kind: string, open: OpenAlarm, clearedAt: number, detail: AlarmDetail): AlarmClear {
    return {
      transition: 'clear',
      kind,
      ruleId,
      deviceKey: watch.deviceKey,
      tenantPath: watch.tenantPath,
      severity: open.severity,
      dedupKey: dedupKeyOf(kind, watch.deviceKey, ruleId),
      raisedAt: new Date(open.raisedAt),
      clearedAt: new Date(clearedAt),
      detail,
    };
  }
}

