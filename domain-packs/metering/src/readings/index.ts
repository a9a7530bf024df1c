/**
 * The readings part of the metering pack (抄表): hand readings, concentrator imports, meter swaps, reading
 * books, and the review of flagged readings (the `metering_review` process, its form and worker).
 */
import type { PackManifestInput } from '@shuiyun/sdk';
import { bookRoutes } from './books.js';
import { handRoutes } from './hand.js';
import { importRoutes } from './imports.js';
import { readingPermissions } from './permissions.js';
import { applyReviewWorker, reviewFormArtifact, reviewProcess } from './review.js';
import { swapRoutes } from './swaps.js';

export { ENTER, IMPORT, READ, REVIEW, SWAP } from './permissions.js';
export { REVIEWER_GROUP } from './review.js';

export const readingsPart: Pick<PackManifestInput, 'routes' | 'workers' | 'processes' | 'forms' | 'permissions' | 'events'> = {
  routes: [...handRoutes, ...importRoutes, ...swapRoutes, ...bookRoutes],
  workers: [applyReviewWorker],
  processes: [reviewProcess],
  forms: [reviewFormArtifact],
  permissions: readingPermissions,
};
