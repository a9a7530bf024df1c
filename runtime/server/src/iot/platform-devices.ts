import { type Db, inTenant, platformDevices } from '@shuiyun/db';
import type { DeviceIdentity } from '@shuiyun/iot';

/** How an NB-IoT platform names a device, as one of the device's pushes carried it. */
export interface PlatformDeviceName {
  /** CTWing `deviceId`, OneNET `dev_id`. */
  platformDeviceId: string;
  /** CTWing `productId`. */
  platformProductId?: string | null | undefined;
  /** The NB-IoT module's IMEI (OneNET's NB-IoT command API names the device by it). */
  imei?: string | null | undefined;
}

/** The endpoint a push came through. */
interface Endpoint {
  id: number;
  tenantPath: string;
}

/**
 * The platforms' names of our devices (`platform_devices`), learnt from their pushes: CTWing's command API
 * names a device by its deviceId and productId, OneNET's NB-IoT API by the module's IMEI, and neither is
 * necessarily the key the meter is registered under (a CJ/T 188 meter's is its 14-digit address). The
 * endpoint the push came through is remembered with them: its API credentials send the device's commands.
 *
 * Every data report carries the names, and they hardly ever change: a push that names the device as the
 * last one did (on this node) writes nothing.
 */
export class PlatformDeviceBook {
  private readonly known = new Map<number, string>();

  constructor(private readonly db: Db) {}

  /** Records the names; true when they were new or changed (queued commands may now go out). */
  async remember(endpoint: Endpoint, device: DeviceIdentity, name: PlatformDeviceName, at: Date): Promise<boolean> {
    const values = {
      pushEndpointId: endpoint.id,
      platformDeviceId: name.platformDeviceId,
      platformProductId: name.platformProductId ?? null,
      imei: name.imei ?? null,
    };
    const signature = JSON.stringify(values);
    if (this.known.get(device.deviceId) === signature) return false;
    // The endpoint's subtree holds the device (the push found it there), so its row is within reach.
    await inTenant(this.db, { tenantPath: endpoint.tenantPath }, (tx) =>
      tx
        .insert(platformDevices)
        .values({ tenantId: device.tenantId, tenantPath: device.tenantPath, deviceId: device.deviceId, seenAt: at, ...values })
        .onConflictDoUpdate({ target: platformDevices.deviceId, set: { tenantId: device.tenantId, tenantPath: device.tenantPath, seenAt: at, ...values } }),
    );
    if (this.known.size >= 100_000) this.known.clear();
    this.known.set(device.deviceId, signature);
    return true;
  }
}
