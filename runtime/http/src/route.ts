import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import { z, type ZodType } from 'zod';
import { AppError, type ErrorDetail } from './app-error.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * What a route needs: `public` (no sign-in), `authenticated` (any signed-in user, for the caller's
 * own account), or a `resource:action` permission checked by the permission model.
 */
export type Permission = 'public' | 'authenticated' | `${string}:${string}`;

type Input<P extends ZodType, Q extends ZodType, B extends ZodType> = {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
};

export interface RouteSpec<Ctx, P extends ZodType = ZodType, Q extends ZodType = ZodType, B extends ZodType = ZodType> {
  method: HttpMethod;
  /** Express path, e.g. `/api/users/:id`. */
  path: string;
  /** Declared next to the route, enforced before the handler runs, listed in the OpenAPI document. */
  permission: Permission;
  summary: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Success status; 200 by default, 204 when the handler returns undefined. */
  status?: number;
  /** Response body schema, for the OpenAPI document. */
  response?: ZodType;
  handler: (input: Input<P, Q, B>, ctx: Ctx, req: Request, res: Response) => Promise<unknown> | unknown;
}

export type AnyRoute<Ctx> = RouteSpec<Ctx, ZodType, ZodType, ZodType>;

/** Keeps the schema types attached to the handler's input. */
export function defineRoute<Ctx, P extends ZodType = ZodType, Q extends ZodType = ZodType, B extends ZodType = ZodType>(
  spec: RouteSpec<Ctx, P, Q, B>,
): AnyRoute<Ctx> {
  return spec as unknown as AnyRoute<Ctx>;
}

/** Turns zod issues into the API's error: unknown keys get their own code, everything else `validation_failed`. */
export function validationError(error: z.ZodError, where: 'params' | 'query' | 'body'): AppError {
  const details: ErrorDetail[] = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    code: issue.code,
    message: issue.message,
  }));
  const unknownOnly = error.issues.every((issue) => issue.code === 'unrecognized_keys');
  return new AppError(unknownOnly ? 'unknown_field' : 'validation_failed', { details });
}

function parsePart<T extends ZodType>(schema: T | undefined, value: unknown, where: 'params' | 'query' | 'body') {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

export interface MountOptions<Ctx> {
  /** Middleware that enforces `route.permission` (sign-in, permission model, rate limits). */
  guard: (route: AnyRoute<Ctx>) => RequestHandler[];
  /** The handler's context, built after the guard ran. */
  context: (req: Request) => Ctx;
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Registers routes on a router: guard, validate params/query/body, run the handler, answer JSON. */
export function mountRoutes<Ctx>(routes: readonly AnyRoute<Ctx>[], options: MountOptions<Ctx>): Router {
  const router = Router();
  for (const route of routes) {
    const run: RequestHandler = async (req, res) => {
      // The JSON parser leaves any other media type unparsed (req.body stays undefined), so look at
      // the request itself: a body that is there but not JSON is a 415, not a missing body.
      if (route.body && hasBody(req) && !req.is('application/json')) throw new AppError('unsupported_media_type');
      const input = {
        params: parsePart(route.params, req.params, 'params'),
        query: parsePart(route.query, req.query, 'query'),
        body: parsePart(route.body, req.body, 'body'),
      };
      const result = await route.handler(input as Input<ZodType, ZodType, ZodType>, options.context(req), req, res);
      if (res.headersSent) return;
      if (result === undefined) res.status(204).end();
      else res.status(route.status ?? 200).json(result);
    };
    router[route.method](route.path, ...options.guard(route), run);
  }
  return router;
}

/** `?page=&pageSize=` for every list; pages start at 1. */
export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
});

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export function pageSchema<T extends ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
}

/** Path ids: positive integers, so `/api/users/abc` is a 400 and never reaches SQL. */
export const idParams = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, 'a positive integer id')
    .transform(Number),
});

/** `const route = routeBuilder<MyContext>()`: fixes the context type once, infers the schemas per route. */
export function routeBuilder<Ctx>() {
  return <P extends ZodType = ZodType, Q extends ZodType = ZodType, B extends ZodType = ZodType>(spec: RouteSpec<Ctx, P, Q, B>) =>
    defineRoute<Ctx, P, Q, B>(spec);
}
