import { AppError } from '@shuiyun/http';
import type { Db } from '@shuiyun/db';
import { route, type RuntimeRoute } from '../http/route.js';
import type { ReportService } from '../reports/service.js';
import type { WorkflowEngine } from '../workflow/engine.js';
import { appRoutes } from './app-routes.js';
import { artifactRoutes } from './artifact-routes.js';
import { elementTemplates } from './element-templates.js';
import { entityRoutes } from './entity-routes.js';
import { notifyWorker } from './notify-worker.js';

export { notifyWorker };

/** The designer's API (artifacts, element templates), entity data and the app shell's pages. */
export function designRoutes(deps: { workflow: WorkflowEngine | undefined; reports: ReportService }): RuntimeRoute[] {
  return [
    ...artifactRoutes(deps),
    route({
      method: 'get',
      path: '/api/design/element-templates',
      permission: 'design:read',
      summary: 'Camunda 8 element templates for the job workers registered in this runtime',
      tags: ['Designer 设计器'],
      handler: (_input, ctx) => {
        if (!deps.workflow) throw new AppError('not_ready');
        return elementTemplates(deps.workflow.registeredWorkers(), ctx.locale);
      },
    }),
    ...entityRoutes(),
    ...appRoutes(),
  ];
}

/** Registers the platform's own job workers (packs add theirs through the SDK). */
export function registerBuiltinWorkers(workflow: WorkflowEngine, db: Db): void {
  workflow.registerWorker(notifyWorker(db));
}
