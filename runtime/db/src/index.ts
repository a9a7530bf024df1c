export { openDatabase, type Database, type DatabaseOptions, type Db, type Tx } from './connect.js';
export { inTenant, asSystem, APP_ROLE, type TenantScope } from './tenant-scope.js';
export { pgErrorCode } from './errors.js';
export * from './schema.js';
