import { routeBuilder, type AnyRoute } from '@shuiyun/http';
import type { RequestContext } from './context.js';

/** Declares a runtime route: path, permission, schemas and handler in one place. */
export const route = routeBuilder<RequestContext>();
export type RuntimeRoute = AnyRoute<RequestContext>;
