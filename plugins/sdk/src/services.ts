/**
 * What a pack reaches of the platform at run time: its own tables under the tenant's row-level security,
 * the analytics store with the tenant predicate added for it, processes and events. The runtime gives a
 * {@link PackServices} to every pack route handler, pack worker and event handler; a pack never opens a
 * connection of its own.
 */
import type { z } from 'zod';

/** One statement's parameters: `$1`, `$2` … in the SQL, never pasted into its text. */
/** Arrays bind as one Postgres array (`$1::bigint[]`, `any($1::text[])`, `unnest($1::bigint[], $2::text[])`); objects as JSON. */
export type SqlParam = string | number | bigint | boolean | Date | null | readonly (string | number | bigint | null)[] | Record<string, unknown>;

/**
 * A transaction in the tenant's scope: row-level security shows and accepts only rows of the tenant
 * (and the tenants below it), as the application role that cannot bypass it.
 */
export interface PackTx {
  /**
   * Runs one statement and answers its rows. Postgres `bigint` and `numeric` come back as strings (so no
   * digit is lost): `BigInt(row.volume_l)`.
   */
  query<T = Record<string, unknown>>(text: string, params?: readonly SqlParam[]): Promise<T[]>;
  /**
   * Records an event of the pack (declared in `events.emits`, payload checked by its schema) in this
   * transaction: it is delivered to the packs that consume it only if the transaction commits.
   */
  emit(name: string, payload: unknown): Promise<void>;
  /** Starts a deployed process of the tenant in this transaction; answers the instance id. */
  startProcess(processId: string, options?: { variables?: Record<string, unknown>; businessKey?: string }): Promise<string>;
  /** Publishes a BPMN message (correlated to an instance waiting for it with that key) in this transaction. */
  publishMessage(name: string, options: { correlationKey?: string; variables?: Record<string, unknown> }): Promise<void>;
}

/** The analytics store for the tenant. SQL names data by logical tables (`{{readings}}`); the tenant predicate is added for you. */
export interface PackAnalytics {
  /**
   * One read-only statement. Parameters are ClickHouse query parameters: `{name:Type}` in the SQL,
   * `params.name` beside it. 64-bit integers and decimals come back as strings.
   */
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, string | number | bigint | boolean | Date | readonly (string | number)[]>): Promise<T[]>;
  /** Same, as batches of rows, for results too large to hold at once. */
  stream<T = Record<string, unknown>>(sql: string, params: Record<string, string | number | bigint | boolean | Date | readonly (string | number)[]>, batchRows?: number): AsyncIterable<T[]>;
}

/** Where a device command stands: the platform's downlink queue, delivery and the device's answer. */
export interface PackDeviceCommand {
  readonly id: string;
  /** The device's meter number (表号), as the command was addressed. */
  readonly device: string;
  readonly service: string;
  /** queued → sent → acknowledged (the device answered yes), or failed (it answered no) or expired (no answer by the deadline). */
  readonly status: 'queued' | 'sent' | 'acknowledged' | 'failed' | 'expired';
  readonly failureReason: string | null;
  readonly updatedAt: string;
}

/** The IoT downlink for the tenant's devices (valve control, read now): commands of the device product's thing model. */
export interface PackDevices {
  /**
   * Queues a command for the tenant's device with this meter number (or device key), a service of its
   * product's thing model (`valve_close`, `valve_open`, `read_now`…). It goes out once the calling
   * transaction commits (at once when the device can be reached, else when it next connects or reports).
   * Refused (PackError conflict) when the device is not in service, cannot take the service, or already
   * has an open command of that service.
   */
  command(tx: PackTx, device: string, service: string, options?: { params?: Record<string, unknown>; expiresInSeconds?: number }): Promise<PackDeviceCommand>;
  /** Where a command stands now; null when the tenant has no such command. */
  commandStatus(tx: PackTx, id: string): Promise<PackDeviceCommand | null>;
}

export interface PackTenant {
  readonly id: number;
  /** The tenant's path in the tree (`1.2.5`); rows carry it as `tenant_path`. */
  readonly path: string;
  /** IANA time zone for periods and reports (Asia/Shanghai unless the tenant says otherwise). */
  readonly timeZone: string;
}

export interface PackServices {
  readonly pack: string;
  readonly tenant: PackTenant;
  /** The signed-in user a route serves; null for workers and event handlers (they act for the tenant). */
  readonly user: { readonly id: number; readonly username: string } | null;
  readonly locale: 'zh-CN' | 'en';
  /**
   * Runs `work` in one transaction of the tenant. In a route handler this is the request's own
   * transaction (everything the handler writes commits together or not at all); elsewhere each call is
   * a transaction of its own.
   */
  transaction<T>(work: (tx: PackTx) => Promise<T>): Promise<T>;
  readonly analytics: PackAnalytics;
  /** The IoT downlink (absent in a runtime without the IoT part). */
  readonly devices?: PackDevices;
  /** True when the user a route serves holds the permission (always true for workers and event handlers). */
  can(permission: string): boolean;
  /** Reports progress of long work (a worker's) to whoever follows it; cheap to call often. */
  progress?(done: number, total: number | null): void;
}

/** Refusal a handler throws for bad input or state: the caller gets `status` and the message in its language. */
export class PackError extends Error {
  override readonly name = 'PackError';
  constructor(
    readonly code: 'validation_failed' | 'not_found' | 'conflict' | 'forbidden',
    readonly messages: { readonly 'zh-CN': string; readonly en: string },
    readonly path?: string,
  ) {
    super(messages.en);
  }
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * An HTTP route of a pack, served at `/api/ext/<pack id><path>` for the tenants that have the pack
 * installed and enabled. The handler runs inside one transaction of the caller's tenant.
 */
export interface PackRoute<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  readonly method: HttpMethod;
  /** Express-style path under the pack's prefix: `/meters/:id/swap`. */
  readonly path: string;
  /**
   * A platform permission (`entity:read`) or one of the pack's own (`metering.settlement:close`); or
   * `public` for a route called without sign-in by another system (a payment callback), served at
   * `/api/ext-public/<tenant code>/<pack id><path>` with the request's raw body and headers, which the
   * handler must authenticate itself (a signature). `services.user` is then null and `can` always false.
   */
  readonly permission: string;
  readonly summary: string;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** HTTP status of a success (200 unless given). */
  readonly status?: number;
  readonly handler: (input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; raw?: PackRawRequest }, services: PackServices) => Promise<unknown>;
}

/** A public route's request as sent: the body's exact bytes (UTF-8) for signature checks, and the headers (lower-case names). */
export interface PackRawRequest {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

const ROUTE_PATH = /^(\/(:?[a-z][a-zA-Z0-9-]*))+$/;

/** Declares a pack route; the path is checked at once. */
export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(route: PackRoute<P, Q, B>): PackRoute<P, Q, B> {
  if (!ROUTE_PATH.test(route.path)) throw new Error(`route path "${route.path}": /segments of lower-case letters, digits and -, or :params`);
  return Object.freeze({ ...route });
}

/** A handler of an event another pack (or this one) emits; it runs once per event and tenant, after the emitter committed. */
export type PackEventHandler = (payload: unknown, services: PackServices, event: { id: string; name: string; emittedAt: Date }) => Promise<void>;

/** The services a pack worker's job runs with (the runtime adds them to the job of every pack worker). */
export function servicesOf(job: { services?: PackServices | undefined }): PackServices {
  if (!job.services) throw new Error('this job has no pack services: only the workers a pack declares get them');
  return job.services;
}
