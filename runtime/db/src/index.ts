export { openDatabase, type Database, type DatabaseOptions, type Db, type SessionLock, type Tx } from './connect.js';
export { inTenant, asSystem, queryRows, APP_ROLE, type TenantScope } from './tenant-scope.js';
export * from './schema.js';
