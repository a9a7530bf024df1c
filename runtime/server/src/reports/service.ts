import type { AnalyticsStore } from '@shuiyun/analytics';
import type { Db } from '@shuiyun/db';
import { type Dataset, type ReportEngine, builtinDatasets, createReportEngine, createResultCache } from '@shuiyun/reports';
import { ParsedDatasets } from './store.js';

/** How long an analytics result may be served from the cache when nothing was ingested here meanwhile. */
export const ANALYTICS_FRESHNESS_MS = 60_000;

/**
 * The result cache's freshness token (the engine caches only under a token, keyed with the compiled SQL,
 * its parameters and the caller's scope):
 *
 * - **Analytics datasets**: the readings this node has written so far (the ingestion pipeline's count of
 *   durable readings: a new token the moment a reading lands) and a one-minute time bucket, which bounds
 *   how stale a result can be when readings arrive some other way (another runtime node, a backfill
 *   straight into the store). Their registry lookups (meters, communities) are cached under the same
 *   token, so a change to the registry shows within that minute, or sooner when readings arrive.
 * - **PostgreSQL datasets**: no token, so never cached. The system of record has no cheap watermark
 *   across tables under row-level security, and an alarm just acknowledged must not still count as open;
 *   these queries are the cheap ones anyway.
 */
export class ReportFreshness {
  constructor(
    private readonly readingsWritten: () => number,
    private readonly bucketMs = ANALYTICS_FRESHNESS_MS,
    private readonly now: () => number = Date.now,
  ) {}

  token(dataset: Dataset): string | undefined {
    const analytics = dataset.source.kind === 'analytics' || dataset.source.kind === 'analytics-sql';
    if (!analytics) return undefined;
    return `readings:${this.readingsWritten()}:${Math.floor(this.now() / this.bucketMs)}`;
  }
}

/** What the report routes share: the engine, the built-in datasets, parsed stored datasets and the freshness token. */
export interface ReportService {
  engine: ReportEngine;
  builtin: ReadonlyMap<string, Dataset>;
  parsed: ParsedDatasets;
  freshness: ReportFreshness;
}

export interface ReportServiceOptions {
  /** The analytics store; without one, analytics datasets answer 503 not_ready. */
  analytics: AnalyticsStore | undefined;
  db: Db;
  /** Readings this node has made durable so far (the ingestion pipeline's count). */
  readingsWritten: () => number;
}

export function createReportService(options: ReportServiceOptions): ReportService {
  return {
    engine: createReportEngine({ analytics: options.analytics, database: options.db, cache: createResultCache({ maxBytes: 64 * 1024 * 1024 }) }),
    builtin: builtinDatasets(),
    parsed: new ParsedDatasets(),
    freshness: new ReportFreshness(options.readingsWritten),
  };
}
