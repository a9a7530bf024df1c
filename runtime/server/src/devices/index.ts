import type { RuntimeRoute } from '../http/route.js';
import { deviceRoutes } from './device-routes.js';
import { productRoutes } from './product-routes.js';

/** The device registry (产品, 设备): its HTTP routes, and what the IoT pipeline calls. */
export const deviceRegistryRoutes: RuntimeRoute[] = [...productRoutes, ...deviceRoutes];
export { authenticateDevice, deviceDirectory, markOffline, markSeen, type RegisteredDevice } from './device-service.js';
export { allowedTransitions, deviceStates } from './lifecycle.js';
export { thingModelSchema } from './thing-model.js';
