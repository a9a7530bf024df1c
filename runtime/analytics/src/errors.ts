/**
 * Why the analytics store refused or failed. The HTTP layer maps these codes; the message is for the
 * operator or the developer who wrote the query, never shown to residents.
 */
export type AnalyticsErrorCode =
  /** The caller's SQL breaks the placeholder contract (see index.ts); nothing was executed. */
  | 'analytics_query_refused'
  /** A scope or parameter is malformed; nothing was executed. */
  | 'analytics_bad_input'
  /** A reading in a batch cannot be stored exactly; nothing of the batch was written. */
  | 'analytics_invalid_reading'
  /** An applied migration file changed, or disappeared, or a file name breaks the numbering rule. */
  | 'analytics_migration_conflict'
  /** The engine could not be opened (a second chDB data directory in one process, a bad URL). */
  | 'analytics_unavailable';

export class AnalyticsError extends Error {
  constructor(
    readonly code: AnalyticsErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'AnalyticsError';
  }
}
