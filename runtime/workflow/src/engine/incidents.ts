import { FeelEvaluationError } from '../feel/expression.js';
import type { IncidentKind } from '../types.js';

/**
 * A run-time problem that Zeebe would turn into an incident: the token stays where it is and
 * the instance waits until the incident is resolved. Behaviours throw it; the runtime records it.
 */
export class IncidentError extends Error {
  override readonly name = 'IncidentError';
  constructor(
    readonly kind: IncidentKind,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

/** Maps anything thrown while evaluating an element to an incident of the given kind. */
export function asIncident(cause: unknown, kind: IncidentKind): IncidentError {
  if (cause instanceof IncidentError) return cause;
  if (cause instanceof FeelEvaluationError) return new IncidentError(kind, cause.message);
  const message = cause instanceof Error ? cause.message : String(cause);
  return new IncidentError('other', message);
}
