/** Where a device publishes its reports. */
export const uplinkTopic = (deviceKey: string) => `devices/${deviceKey}/up`;
/** Where a device listens for commands (valve open/close, read now). */
export const downlinkTopic = (deviceKey: string) => `devices/${deviceKey}/down`;
