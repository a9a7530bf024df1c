/** The settlement part of the metering pack: what it adds to the manifest. */
import type { PackManifestInput } from '@shuiyun/sdk';

export const settlementPart: Pick<PackManifestInput, 'routes' | 'workers' | 'processes' | 'forms' | 'permissions' | 'events'> = {
  routes: [],
  workers: [],
  processes: [],
  forms: [],
  permissions: [],
};
