/**
 * What became of one call to an NB-IoT platform's command API:
 * - `created`: the platform took the command and named it (its id comes back in the result pushes);
 * - `refused`: the platform answered and said no (bad credentials, unknown device, a business error code):
 *   sending the same command again would get the same answer;
 * - `unreachable`: no answer (network, timeout) or the platform's own trouble (5xx, 429): worth trying again.
 */
export type PlatformCall =
  | { outcome: 'created'; commandId: string }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'unreachable'; reason: string };

export interface PlatformCallOptions {
  /** Longest wait for the platform's answer; default 10 000 ms. */
  timeoutMs?: number;
  /** The clock the request is signed with (tests pin it). */
  now?: () => Date;
}

/** Sends one API request and reads the platform's JSON answer with `read`; never throws. */
export async function callPlatform(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
  read: (doc: unknown) => { ok: true; commandId: string } | { ok: false; reason: string },
  options: PlatformCallOptions,
): Promise<PlatformCall> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    text = await response.text();
  } catch (error) {
    return { outcome: 'unreachable', reason: `${new URL(url).host}: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (response.status >= 500 || response.status === 429) return { outcome: 'unreachable', reason: `${new URL(url).host} answered HTTP ${response.status}` };
  let doc: unknown = null;
  try {
    doc = JSON.parse(text);
  } catch {
    // A 4xx without JSON is still a refusal; a 2xx without JSON is not an answer the API gives.
  }
  if (response.status >= 400) return { outcome: 'refused', reason: `HTTP ${response.status}: ${text.slice(0, 300)}` };
  if (doc === null) return { outcome: 'unreachable', reason: `${new URL(url).host} answered HTTP ${response.status} without JSON` };
  const answer = read(doc);
  return answer.ok ? { outcome: 'created', commandId: answer.commandId } : { outcome: 'refused', reason: answer.reason };
}
