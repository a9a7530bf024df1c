import { asSystem, type Db } from '@shuiyun/db';
import type { Logger } from 'pino';
import type { AlarmBook, AlarmEvent } from '../iot/alarm-book.js';
import type { WorkflowEngine } from './engine.js';

/** The message an alarm event publishes: `alarm.<kind>` when raised, `alarm.<kind>.cleared` when it ends. */
export function alarmMessageName(event: AlarmEvent): string | undefined {
  if (event.type === 'raised') return `alarm.${event.alarm.kind}`;
  if (event.type === 'cleared') return `alarm.${event.alarm.kind}.cleared`;
  return undefined;
}

/**
 * 告警转工单: every raised alarm is published as the workflow message `alarm.<kind>` in the alarm's tenant
 * (correlation key: the device key), so a process with that message start event opens a work order, and a
 * process waiting on the device's key continues; a cleared alarm publishes `alarm.<kind>.cleared` with the
 * alarm id as key, for a work order that waits for its alarm to end. The alarm travels as `alarm`.
 */
export function bridgeAlarmsToWorkflow(alarms: AlarmBook, engine: WorkflowEngine, db: Db, logger: Logger): () => void {
  return alarms.subscribe(async (event) => {
    const name = alarmMessageName(event);
    if (!name) return;
    const { alarm } = event;
    const correlation = await asSystem(db, (tx) =>
      engine.publishMessage(tx, {
        tenantId: alarm.tenantId,
        name,
        correlationKey: event.type === 'raised' ? alarm.deviceKey : String(alarm.id),
        variables: {
          alarm: {
            id: alarm.id,
            kind: alarm.kind,
            severity: alarm.severity,
            ruleId: alarm.ruleId,
            deviceId: alarm.deviceId,
            deviceKey: alarm.deviceKey,
            raisedAt: alarm.raisedAt.toISOString(),
            detail: alarm.detail,
          },
        },
        startedBy: null,
      }),
    );
    if (correlation.started.length + correlation.correlated.length > 0) {
      logger.info({ alarm: alarm.id, message: name, ...correlation }, 'alarm published to workflows');
    }
  });
}
