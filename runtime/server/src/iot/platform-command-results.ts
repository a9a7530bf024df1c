/**
 * What a platform's push says about a command it carries:
 * - `acknowledged`: the device executed it (the command becomes acknowledged);
 * - `failed`: it will not be executed (failed, with the platform's reason);
 * - `in_progress`: a step on the way (taken, sent to the device, delivered): nothing changes, the command
 *   stays sent; the device's own reply (an ordinary data push, matched by serial or id) or a later result settles it;
 * - `unknown`: a code this runtime does not know: logged, nothing changes.
 */
export type PlatformCommandResult =
  | { state: 'acknowledged'; detail: Record<string, unknown> }
  | { state: 'failed'; reason: string }
  | { state: 'in_progress'; step: string }
  | { state: 'unknown'; code: string };

/*
 * CTWing's `commandResponse` carries `result.resultCode`. Seen in a public integration's log of an LwM2M
 * water meter: `DELIVERED` (the device acknowledged the LwM2M request). CTWing/AEP grew out of the
 * OceanConnect platform and uses its command statuses: SENT, DELIVERED, SUCCESSFUL, FAILED, TIMEOUT,
 * CANCELED, EXPIRED (Huawei's IoT platform documentation). DELIVERED only says the request reached the
 * module: a CJ/T 188 meter's answer is its 0x84 frame, which comes as a data report.
 */
const CTWING_IN_PROGRESS = new Set(['SAVED', 'PENDING', 'SENT', 'DELIVERED']);
const CTWING_SUCCESS = new Set(['SUCCESSFUL', 'SUCCESS', 'COMPLETED']);
const CTWING_FAILURE = new Set(['FAILED', 'FAIL', 'TIMEOUT', 'TTLTIMEOUT', 'CANCELED', 'CANCELLED', 'EXPIRED']);

export function ctwingCommandResult(resultCode: string, resultDetail: unknown): PlatformCommandResult {
  const code = resultCode.trim().toUpperCase();
  const detail = resultDetail === null || resultDetail === undefined || resultDetail === '' ? undefined : resultDetail;
  if (CTWING_SUCCESS.has(code)) return { state: 'acknowledged', detail: { platform: 'ctwing', resultCode: code, ...(detail === undefined ? {} : { resultDetail: detail }) } };
  if (CTWING_FAILURE.has(code)) {
    const why = detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`.slice(0, 300);
    return { state: 'failed', reason: `CTWing reported the command ${code}${why}` };
  }
  if (CTWING_IN_PROGRESS.has(code)) return { state: 'in_progress', step: code };
  return { state: 'unknown', code };
}

/*
 * OneNET's push of type 7 ("缓存命令下发后结果上报", NB-IoT only) carries `send_status` and `confirm_status`;
 * its documentation's example of a confirmed command has `confirm_status: 0`, and public receivers read 0
 * as success and any other value as failure. Without `confirm_status` the command was only sent so far.
 */
export function oneNetCommandResult(message: { sendStatus: number | null; confirmStatus: number | null }): PlatformCommandResult {
  if (message.confirmStatus === null) return { state: 'in_progress', step: `send_status ${message.sendStatus ?? 'unknown'}` };
  if (message.confirmStatus === 0) return { state: 'acknowledged', detail: { platform: 'onenet', confirmStatus: 0, sendStatus: message.sendStatus } };
  return { state: 'failed', reason: `OneNET reported confirm_status ${message.confirmStatus} (send_status ${message.sendStatus ?? 'unknown'})` };
}
