/** Reports, datasets, pages, menu and roles of the metering pack. */
import type { PackManifestInput } from '@shuiyun/sdk';

export const presentation: Pick<PackManifestInput, 'datasets' | 'reports' | 'pages' | 'menu' | 'roles'> = {
  datasets: [],
  reports: [],
  pages: [],
  menu: [],
  roles: [],
};
