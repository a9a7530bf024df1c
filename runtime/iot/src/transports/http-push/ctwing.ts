/**
 * China Telecom CTWing/AEP HTTP push (the platform POSTs JSON and retries up to three times unless
 * answered 200 at once). Transparent-mode data reports carry the device's own bytes Base64-encoded in
 * `payload.APPdata`; the device is named by `IMEI` (and `deviceId` on the platform). `deviceId` and
 * `productId` are what the platform's command API names the device by (see ctwing-command-api.ts).
 */
export type CtwingMessage =
  | { kind: 'data'; imei: string; platformDeviceId: string; platformProductId: string | null; at: Date; bytes: Uint8Array; upPacketSN: number | null }
  | { kind: 'online'; imei: string | null; platformDeviceId: string; platformProductId: string | null; at: Date; online: boolean }
  | { kind: 'event'; imei: string | null; platformDeviceId: string; at: Date; level: 'info' | 'warning' | 'fault'; content: unknown }
  /** What became of a command sent through the command API: `taskId` is the API's `commandId`. */
  | { kind: 'command-response'; platformDeviceId: string; at: Date; taskId: string; resultCode: string; resultDetail: unknown };

export type CtwingPush = { ok: true; message: CtwingMessage } | { ok: false; code: 'bad_body' | 'unsupported_type'; reason: string };

export function parseCtwingPush(body: unknown): CtwingPush {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, code: 'bad_body', reason: 'not a JSON object' };
  const b = body as Record<string, unknown>;
  const platformDeviceId = typeof b.deviceId === 'string' ? b.deviceId : null;
  const at = new Date(Number(b.timestamp));
  if (!platformDeviceId || Number.isNaN(at.getTime())) return { ok: false, code: 'bad_body', reason: 'deviceId or timestamp missing' };
  const imei = typeof b.IMEI === 'string' && b.IMEI ? b.IMEI : null;
  const platformProductId = typeof b.productId === 'string' || typeof b.productId === 'number' ? String(b.productId) : null;
  switch (b.messageType) {
    case 'dataReport': {
      const payload = b.payload as Record<string, unknown> | undefined;
      const appData = payload?.APPdata;
      if (!imei || typeof appData !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(appData)) {
        return { ok: false, code: 'bad_body', reason: 'a data report needs IMEI and Base64 payload.APPdata' };
      }
      const sn = Number(b.upPacketSN);
      return { ok: true, message: { kind: 'data', imei, platformDeviceId, platformProductId, at, bytes: new Uint8Array(Buffer.from(appData, 'base64')), upPacketSN: Number.isInteger(sn) ? sn : null } };
    }
    case 'deviceOnlineOfflineReport':
      return { ok: true, message: { kind: 'online', imei, platformDeviceId, platformProductId, at, online: Number(b.eventType) === 1 } };
    case 'eventReport': {
      const level = ({ 1: 'info', 2: 'warning', 3: 'fault' } as const)[Number(b.eventType) as 1 | 2 | 3];
      if (!level) return { ok: false, code: 'bad_body', reason: `eventType ${String(b.eventType)} is not 1, 2 or 3` };
      return { ok: true, message: { kind: 'event', imei, platformDeviceId, at, level, content: b.eventContent } };
    }
    case 'commandResponse': {
      const result = b.result as Record<string, unknown> | undefined;
      if (typeof b.taskId !== 'string' && typeof b.taskId !== 'number') return { ok: false, code: 'bad_body', reason: 'taskId missing' };
      return {
        ok: true,
        message: { kind: 'command-response', platformDeviceId, at, taskId: String(b.taskId), resultCode: String(result?.resultCode ?? ''), resultDetail: result?.resultDetail ?? null },
      };
    }
    default:
      return { ok: false, code: 'unsupported_type', reason: `messageType ${JSON.stringify(b.messageType)}` };
  }
}
