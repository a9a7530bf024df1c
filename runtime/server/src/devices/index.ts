import type { RuntimeRoute } from '../http/route.js';
import type { BrokerCredentials } from '../iot/broker-credentials.js';
import { brokerAccountRoutes } from './broker-account-routes.js';
import { deviceRoutes } from './device-routes.js';
import { productRoutes } from './product-routes.js';

/**
 * The device registry (产品, 设备): its HTTP routes, and what the IoT pipeline calls. `brokerCredentials` is
 * the external broker's credential provisioning, once the runtime runs it (it starts after the routes exist).
 */
export function deviceRegistryRoutes(brokerCredentials: () => BrokerCredentials | undefined): RuntimeRoute[] {
  return [...productRoutes, ...deviceRoutes(brokerCredentials), ...brokerAccountRoutes(brokerCredentials)];
}
export { authenticateDevice, deviceDirectory, markOffline, markSeen, type RegisteredDevice } from './device-service.js';
export { allowedTransitions, deviceStates } from './lifecycle.js';
export { thingModelSchema } from './thing-model.js';
