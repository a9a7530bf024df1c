export { createRuntime, type Runtime, type RuntimeOptions } from './app.js';
export { loadConfig, type RuntimeConfig } from './config/config.js';
export { loadPacks } from './packs/load.js';
export { seedDemoUtility, formatCredentials, PLATFORM_TENANT_CODE, type SeededAdmin } from './bootstrap/demo-seed.js';
export { permissionCatalogue, allPermissions } from './permissions/catalogue.js';
export type { Principal } from './identity/tokens.js';
export type { WorkflowEngine, EmbeddedWorkflowEngine } from './workflow/engine.js';
