import { type Tx, workflowDefinitions, workflowSubscriptions } from '@shuiyun/db';
import { and, eq, isNull } from 'drizzle-orm';
import type { InstanceRunner } from './instance-runner.js';

export interface PublishedMessage {
  tenantId: number;
  name: string;
  /** Empty for a message that only starts instances (message start events take no key). */
  correlationKey: string;
  variables: Record<string, unknown>;
  startedBy: number | null;
}

export interface Correlation {
  /** Waiting instances the message continued (one subscription per instance, as on Zeebe). */
  correlated: number[];
  /** Instances a message start event started. */
  started: number[];
}

/**
 * 消息关联: a message goes to every instance of its tenant with an open subscription of the same name and
 * correlation key (each instance takes it once, at its oldest subscription), and starts an instance of
 * every newest definition with a message start event of that name. Only the one tenant named: a group
 * never correlates a message into its companies' instances.
 */
export async function publishMessage(tx: Tx, runner: InstanceRunner, message: PublishedMessage): Promise<Correlation> {
  const waiting = await tx
    .select({ id: workflowSubscriptions.id, instanceId: workflowSubscriptions.instanceId, key: workflowSubscriptions.key })
    .from(workflowSubscriptions)
    .where(
      and(
        eq(workflowSubscriptions.tenantId, message.tenantId),
        eq(workflowSubscriptions.messageName, message.name),
        eq(workflowSubscriptions.correlationKey, message.correlationKey),
      ),
    )
    .orderBy(workflowSubscriptions.id);
  const correlated: number[] = [];
  const seen = new Set<number>();
  for (const sub of waiting) {
    if (sub.instanceId === null || seen.has(sub.instanceId)) continue;
    seen.add(sub.instanceId);
    await runner.apply(tx, sub.instanceId, { type: 'message', key: sub.key, variables: message.variables });
    correlated.push(sub.instanceId);
  }
  const starts = await tx
    .select({ elementId: workflowSubscriptions.elementId, definition: workflowDefinitions })
    .from(workflowSubscriptions)
    .innerJoin(workflowDefinitions, eq(workflowDefinitions.id, workflowSubscriptions.definitionId))
    .where(and(eq(workflowSubscriptions.tenantId, message.tenantId), eq(workflowSubscriptions.messageName, message.name), isNull(workflowSubscriptions.instanceId)));
  const started: number[] = [];
  for (const start of starts) {
    const instance = await runner.start(tx, { definition: start.definition, variables: message.variables, startElementId: start.elementId, startedBy: message.startedBy });
    started.push(instance.id);
  }
  return { correlated, started };
}
