export { AppError, notFound, forbidden, type ErrorDetail } from './app-error.js';
export { errorMessages, negotiateLocale, type ErrorCode, type Locale } from './messages.js';
export {
  defineRoute,
  routeBuilder,
  mountRoutes,
  validationError,
  pageQuery,
  pageSchema,
  idParams,
  type AnyRoute,
  type RouteSpec,
  type Permission,
  type HttpMethod,
  type MountOptions,
  type Page,
} from './route.js';
export { openApiDocument } from './openapi.js';
export { errorHandler, routeNotFound, toAppError } from './error-handler.js';
