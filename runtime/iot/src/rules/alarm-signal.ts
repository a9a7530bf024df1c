import { z } from 'zod';

export const severities = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof severities)[number];
export const severity = z.enum(severities);

/** What an alarm says about itself: quantities as exact decimal strings in canonical units, times as ISO. */
export type AlarmDetail = Readonly<Record<string, string>>;

interface AlarmSignalBase {
  /** The rule kind, e.g. `continuous_flow`. */
  kind: string;
  /** The configured rule that decided. */
  ruleId: string;
  deviceKey: string;
  /** Tenant the device belongs to, so the alarm lands in that tenant's work. */
  tenantPath: string;
  severity: Severity;
  /**
   * One ongoing condition, one key (`kind:device:rule`): a raise and the clear that ends it share it, and a
   * consumer that sees a second raise with a key it holds open knows it is a redelivered signal.
   */
  dedupKey: string;
  detail: AlarmDetail;
}

/** A condition began: raised once, however long it lasts. */
export interface AlarmRaise extends AlarmSignalBase {
  transition: 'raise';
  raisedAt: Date;
}

/** The condition ended; `raisedAt` is when the matching raise said it began. */
export interface AlarmClear extends AlarmSignalBase {
  transition: 'clear';
  raisedAt: Date;
  clearedAt: Date;
}

export type AlarmSignal = AlarmRaise | AlarmClear;

export function dedupKeyOf(kind: string, deviceKey: string, ruleId: string): string {
  return `${kind}:${deviceKey}:${ruleId}`;
}
