/** A registered device as the ingestion path needs it: whose it is and how to read it. */
export interface DeviceIdentity {
  deviceId: number;
  /** The key devices sign in and report with: IMEI or 14-digit CJ/T 188 address. */
  deviceKey: string;
  tenantId: number;
  /** ltree-style path of the owning tenant (`1.2.3`): every reading is stored under it. */
  tenantPath: string;
  /** Codec id of the device's product, e.g. `cjt188`. */
  codec: string;
  codecSettings: Record<string, unknown>;
}

/** How transports find devices; the runtime implements it over the device registry. */
export interface DeviceDirectory {
  /** Checks a device's own credentials (MQTT username/password); null when they are wrong. */
  authenticate(deviceKey: string, secret: string): Promise<DeviceIdentity | null>;
  /** A device by key, for transports that authenticate the sender another way (platform push). */
  byKey(deviceKey: string): Promise<DeviceIdentity | null>;
}
