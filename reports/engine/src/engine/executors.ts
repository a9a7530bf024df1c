import { AnalyticsError, type AnalyticsStore } from '@shuiyun/analytics';
import { APP_ROLE, type Db, type TenantScope, type Tx, inTenant, queryRows } from '@shuiyun/db';
import { type SQL, sql } from 'drizzle-orm';
import { ReportError } from '../errors.js';
import { type Fragment, renderClickHouse, renderPostgres } from '../sql/fragment.js';
import { type CachedRows, type ResultCache, cacheKey } from './result-cache.js';

export type Row = Record<string, unknown>;

export interface ExecutionLimits {
  /** The statement fails with `row_limit_exceeded` if it yields more rows than this. */
  maxRows: number;
  timeoutMs: number;
}

export interface Execution {
  rows: Row[];
  cached: boolean;
}

/** What the executors need of a run. */
export interface RunScope {
  tenant: TenantScope;
  freshness?: string | undefined;
  /** True for raw-SQL datasets: refusals become `raw_sql_refused` and settings are checked afterwards. */
  raw: boolean;
  cache?: ResultCache | undefined;
}

const tooMany = (limit: number, what: string) =>
  new ReportError('row_limit_exceeded', `${what} has more than ${limit} rows; narrow it with filters or parameters, or page through it`);

/**
 * Reads a query's rows from a stream with a deadline: rows beyond `maxRows` are never read (the query
 * also has a LIMIT), and at the deadline the stream is left, which cancels the query on the engine as
 * soon as its current block is done.
 */
async function collect(stream: AsyncGenerator<Row, void, undefined>, limits: ExecutionLimits, what: string): Promise<Row[]> {
  const rows: Row[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), limits.timeoutMs);
  });
  let pending: Promise<IteratorResult<Row, void>> | undefined;
  try {
    for (;;) {
      pending = stream.next();
      const next = await Promise.race([pending, deadline]);
      if (next === 'timeout') {
        // The pending read settles later; its outcome no longer matters.
        pending.catch(() => undefined);
        void stream.return(undefined).catch(() => undefined);
        throw new ReportError('query_timeout', `${what} ran longer than ${limits.timeoutMs} ms`);
      }
      pending = undefined;
      if (next.done) break;
      rows.push(next.value);
      if (rows.length > limits.maxRows) throw tooMany(limits.maxRows, what);
    }
  } finally {
    clearTimeout(timer);
    if (pending === undefined) await stream.return(undefined).catch(() => undefined);
  }
  return rows;
}

function analyticsFailure(error: unknown, raw: boolean): ReportError {
  if (error instanceof ReportError) return error;
  if (error instanceof AnalyticsError) {
    if (error.code === 'analytics_query_refused') {
      return new ReportError(raw ? 'raw_sql_refused' : 'query_failed', error.message, raw ? ['source', 'sql'] : [], { cause: error });
    }
    if (error.code === 'analytics_unavailable') return new ReportError('source_unavailable', error.message, [], { cause: error });
  }
  return new ReportError('query_failed', error instanceof Error ? error.message.split('\n')[0]!.slice(0, 500) : String(error), [], { cause: error });
}

/** Runs a compiled ClickHouse query through the analytics port, which injects the tenant predicate. */
export async function runAnalytics(store: AnalyticsStore, fragment: Fragment, scope: RunScope, limits: ExecutionLimits, what: string): Promise<Execution> {
  const { sql: text, params } = renderClickHouse(fragment);
  const analyticsScope = { tenantPath: scope.tenant.tenantPath };
  const key =
    scope.cache && scope.freshness !== undefined
      ? cacheKey({ store: `${store.kind}:${store.database}`, sql: text, params, scope: analyticsScope, freshness: scope.freshness })
      : undefined;
  const hit = key ? scope.cache!.get(key) : undefined;
  if (hit) return { rows: hit as Row[], cached: true };
  let rows: Row[];
  try {
    rows = await collect(store.stream<Row>(analyticsScope, text, params), limits, what);
  } catch (error) {
    throw analyticsFailure(error, scope.raw);
  }
  if (key) scope.cache!.set(key, rows as CachedRows);
  return { rows, cached: false };
}

/** Per database: relations checked to be under row-level security, and statements whose plans were checked. */
const guarded = new WeakMap<Db, Set<string>>();
const remembered = (db: Db) => {
  let known = guarded.get(db);
  if (!known) {
    known = new Set<string>();
    guarded.set(db, known);
  }
  return known;
};

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A table must have row-level security enabled; a view must be `security_invoker`, so the policies of the
 * tables under it apply to the caller (a plain view reads as its owner, past RLS). Anything else is
 * refused before the dataset reads it.
 */
async function guardRelation(db: Db, tx: Tx, relation: string): Promise<'table' | 'view'> {
  const known = remembered(db);
  if (known.has(`table:${relation}`)) return 'table';
  if (known.has(`view:${relation}`)) return 'view';
  const [found] = await queryRows<{ kind: string; rls: boolean; options: string }>(
    tx,
    sql`select c.relkind::text as kind, c.relrowsecurity as rls, coalesce(array_to_string(c.reloptions, ','), '') as options
        from pg_catalog.pg_class c where c.oid = to_regclass(${quoteIdent(relation)})`,
  );
  if (!found) throw new ReportError('query_failed', `there is no table or view ${relation}`, ['source', 'relation']);
  const table = (found.kind === 'r' || found.kind === 'p') && found.rls;
  const view = found.kind === 'v' && found.options.split(',').some((o) => o === 'security_invoker=true' || o === 'security_invoker=on');
  if (!table && !view) {
    throw new ReportError(
      'relation_not_tenant_scoped',
      found.kind === 'v' ? `the view ${relation} is not security_invoker, so row-level security would not apply to the caller` : `${relation} has no row-level security`,
      ['source', 'relation'],
    );
  }
  known.add(`${table ? 'table' : 'view'}:${relation}`);
  return table ? 'table' : 'view';
}

/** Views named in raw SQL must be security_invoker; materialized views and foreign tables carry no RLS at all. */
async function guardViews(tx: Tx, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const views = await queryRows<{ name: string; kind: string; options: string }>(
    tx,
    sql`select c.relname::text as name, c.relkind::text as kind, coalesce(array_to_string(c.reloptions, ','), '') as options
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any (current_schemas(false)) and c.relkind in ('v', 'm', 'f')
          and c.relname in (${sql.join(
            names.map((n) => sql`${n}`),
            sql`, `,
          )})`,
  );
  for (const view of views) {
    if (view.kind !== 'v' || !view.options.split(',').some((o) => o === 'security_invoker=true' || o === 'security_invoker=on')) {
      throw new ReportError('relation_not_tenant_scoped', `${view.name} is a view that reads as its owner (or a relation without row-level security)`, ['source', 'sql']);
    }
  }
}

interface PlanNode {
  'Relation Name'?: string;
  Schema?: string;
  Plans?: PlanNode[];
}

/**
 * Every table the statement's plan reads (views are expanded there, sub-queries and CTEs included)
 * must have row-level security: a table without it would show every tenant's rows.
 */
async function guardPlan(db: Db, tx: Tx, query: SQL, text: string): Promise<void> {
  const known = remembered(db);
  if (known.has(`plan:${text}`)) return;
  const [row] = await queryRows<Record<string, unknown>>(tx, sql`explain (verbose, format json) ${query}`);
  const raw = row ? Object.values(row)[0] : undefined;
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[] | undefined;
  const tables = new Set<string>();
  const walk = (node: PlanNode) => {
    if (node['Relation Name']) tables.add(`${quoteIdent(node.Schema ?? 'public')}.${quoteIdent(node['Relation Name'])}`);
    for (const child of node.Plans ?? []) walk(child);
  };
  for (const entry of plan ?? []) walk(entry.Plan);
  for (const table of tables) {
    const [found] = await queryRows<{ rls: boolean }>(tx, sql`select c.relrowsecurity as rls from pg_catalog.pg_class c where c.oid = to_regclass(${table})`);
    if (!found?.rls) throw new ReportError('relation_not_tenant_scoped', `the query reads ${table}, which has no row-level security`, ['source']);
  }
  known.add(`plan:${text}`);
}

function postgresFailure(error: unknown, raw: boolean, limits: ExecutionLimits, what: string): ReportError {
  if (error instanceof ReportError) return error;
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  const message = error instanceof Error ? ((error as { cause?: Error }).cause?.message ?? error.message) : String(error);
  if (code === '57014') return new ReportError('query_timeout', `${what} ran longer than ${limits.timeoutMs} ms`, [], { cause: error });
  // Read-only transaction (25006) or missing privilege (42501): the SQL tried to write or reach what the app role may not.
  if (raw && (code === '25006' || code === '42501')) return new ReportError('raw_sql_refused', message.split('\n')[0]!, ['source', 'sql'], { cause: error });
  return new ReportError('query_failed', message.split('\n')[0]!.slice(0, 500), [], { cause: error });
}

/**
 * Runs a compiled PostgreSQL query in a read-only transaction as the application role with the caller's
 * tenant set (row-level security is the tenant predicate), with `statement_timeout` set locally.
 * PGlite, single-threaded, cannot interrupt a statement: a run that overran is refused when it returns.
 */
export async function runPostgres(
  db: Db,
  fragment: Fragment,
  scope: RunScope,
  limits: ExecutionLimits,
  what: string,
  options: { relation?: string | undefined; rawNames?: readonly string[] | undefined } = {},
): Promise<Execution> {
  const { query, text, params } = renderPostgres(fragment);
  const tenantScope = {
    tenantPath: scope.tenant.tenantPath,
    dataScope: scope.tenant.dataScope ?? 'tenant',
    orgPath: scope.tenant.orgPath ?? null,
    userId: scope.tenant.userId ?? null,
  };
  const key =
    scope.cache && scope.freshness !== undefined ? cacheKey({ store: 'postgres', sql: text, params, scope: tenantScope, freshness: scope.freshness }) : undefined;
  const hit = key ? scope.cache!.get(key) : undefined;
  if (hit) return { rows: hit as Row[], cached: true };
  const started = Date.now();
  let rows: Row[];
  try {
    rows = await inTenant(db, scope.tenant, async (tx) => {
      await tx.execute(sql`set transaction read only`);
      await tx.execute(sql`select set_config('statement_timeout', ${String(limits.timeoutMs)}, true)`);
      const kind = options.relation ? await guardRelation(db, tx, options.relation) : undefined;
      if (options.rawNames) await guardViews(tx, options.rawNames);
      if (options.rawNames || kind === 'view') await guardPlan(db, tx, query, text);
      const result = await queryRows<Row>(tx, query);
      if (scope.raw) {
        // Defence in depth: whatever the SQL did, the role and tenant it ran under must be the ones set.
        const [after] = await queryRows<{ role: string; tenant: string | null }>(
          tx,
          sql`select current_user::text as role, current_setting('app.tenant', true) as tenant`,
        );
        if (after?.role !== APP_ROLE || after.tenant !== scope.tenant.tenantPath) {
          throw new ReportError('raw_sql_refused', 'the SQL changed the role or tenant it runs under; its rows were discarded', ['source', 'sql']);
        }
      }
      return result;
    });
  } catch (error) {
    throw postgresFailure(error, scope.raw, limits, what);
  }
  if (Date.now() - started > limits.timeoutMs) throw new ReportError('query_timeout', `${what} ran longer than ${limits.timeoutMs} ms`);
  if (rows.length > limits.maxRows) throw tooMany(limits.maxRows, what);
  if (key) scope.cache!.set(key, rows as CachedRows);
  return { rows, cached: false };
}
