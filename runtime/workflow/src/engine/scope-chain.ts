import type { ActivityLike, ContextLike, ProcessExecutionLike } from './bpmn.js';
import { ROOT_SCOPE } from './scopes.js';

/**
 * Where an element instance sits in Zeebe's scope tree.
 *
 * bpmn-elements gives every run of an embedded sub-process (and every iteration of a
 * multi-instance one) its own context, and the activities inside it are built in that context.
 * So an activity's context identifies the sub-process execution that contains it, and walking
 * context owners outwards yields the chain of flow scopes up to the process.
 */
export function enclosingScopes(activity: ActivityLike): string[] {
  const owner = activity.context.owner;
  if (!owner?.isSubProcess) return [ROOT_SCOPE];
  const outer = enclosingScopes(owner);
  const own = subProcessExecution(owner, activity.context)?.executionId;
  if (!own) return outer;
  // An iteration of a multi-instance sub-process sits inside the multi-instance body.
  if (owner.executionId && owner.executionId !== own) return [own, owner.executionId, ...outer];
  return [own, ...outer];
}

/** Scope chain of one element instance: its own scope, the body for an iteration, then outwards. */
export function instanceChain(activity: ActivityLike, executionId: string, bodyExecutionId?: string): string[] {
  const outer = enclosingScopes(activity);
  return bodyExecutionId ? [executionId, bodyExecutionId, ...outer] : [executionId, ...outer];
}

/**
 * An activity is live when it still runs and every sub-process execution around it does.
 * bpmn-elements leaves the children of an interrupted sub-process object alive (it deactivates
 * the execution without stopping them), so `isRunning` alone is not enough.
 */
export function isActivityLive(activity: ActivityLike): boolean {
  if (!activity.isRunning) return false;
  const owner = activity.context.owner;
  if (!owner?.isSubProcess) return true;
  const execution = subProcessExecution(owner, activity.context);
  if (!execution || !execution.isRunning || execution.completed) return false;
  return isActivityLive(owner);
}

function subProcessExecution(subProcess: ActivityLike, context: ContextLike): ProcessExecutionLike | undefined {
  return subProcess.execution?.source?.executions?.find((execution) => execution.context === context);
}
