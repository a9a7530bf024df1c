import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createServer, type IncomingMessage, type OutgoingMessage, type Server } from 'coap';
import type { DeviceDirectory, DeviceIdentity } from '../../devices.js';
import type { IngestionPipeline } from '../../pipeline/ingestion.js';

export interface CoapTransportOptions {
  /** UDP port; CoAP's is 5683. 0 picks a free one (tests). */
  port: number;
  host?: string;
  devices: DeviceDirectory;
  pipeline: IngestionPipeline;
  /**
   * Longest wait for a message's readings to become durable. Past it the device gets 5.03 and sends
   * again (the readings may still land: delivery is at least once, and the store is idempotent on
   * device, time and metric). Default 10 000 ms.
   */
  durableWithinMs?: number;
  /**
   * How long a confirmable request may wait for its answer before the server sends an empty ACK
   * and answers separately. Long enough for a batch write, so an NB-IoT meter gets its answer in
   * the ACK (one exchange, not two); well under CoAP's 2 s ACK_TIMEOUT. Default 1000 ms.
   */
  piggybackReplyMs?: number;
  /**
   * Downlink by pull. NB-IoT meters sleep and can be reached only right after they talk, so nothing is pushed
   * to them: the answer to an uplink says how many commands wait, and the meter fetches each with a GET (see
   * the class comment). Without it, `/down` is answered 4.04 like any other unknown path.
   */
  downlink?: CoapDownlink;
  /** Told about every refused request, for logs and counters. */
  onRefused?: (what: { deviceKey?: string | undefined; code: string; reason: string }) => void;
  /** Socket errors, for the log. */
  onError?: (error: Error) => void;
}

/** The command queue as the CoAP transport sees it (the runtime's DeviceCommands). */
export interface CoapDownlink {
  /** How many commands wait for this device (and for the meters behind it, when it is a concentrator). */
  pending(device: DeviceIdentity): Promise<number>;
  /** Claims the device's next waiting command, which counts as sent from then on; null when none waits. */
  takeNext(device: DeviceIdentity): Promise<Uint8Array | null>;
}

type Answer =
  /** CoAP response code `2.04` and how many readings were stored; `pending` when the command queue could say. */
  | { status: '2.04'; readings: number; pending?: number }
  /** The next command's bytes; an empty payload when none waits. */
  | { status: '2.05'; command: Uint8Array | null }
  | { status: string; refusal: { code: string; reason: string } };

const DEVICE_PATH = /^\/devices\/([^/?]+)\/(up|down)$/;

/** The longest wait for the command queue to count what waits; past it the uplink is answered without `pending`. */
const PENDING_WITHIN_MS = 2_000;

/**
 * CoAP uplink: a device POSTs its payload to `/devices/{deviceKey}/up?token={secret}`. The secret
 * travels as a Uri-Query option because constrained stacks (NB-IoT modules' AT command sets) can
 * set a URI but seldom a custom option. `key={deviceKey}` may be added when the credentials belong
 * to another key than the path's (it is refused, 4.03, unless the directory says they are the same
 * device). The payload goes through the device's codec like any other transport's.
 *
 * Answers: 2.04 once the readings are durable; 4.00 with `{code, reason}` when the codec refuses the
 * payload; 4.01 for missing or wrong credentials; 4.03 when the credentials are another device's;
 * 4.04 for another path; 4.05 for another method; 5.03 when the store or the directory cannot
 * answer in time (the device should send again).
 *
 * Downlink (when `downlink` is given): the 2.04 body also carries `pending`, the number of commands
 * waiting for the device, e.g. `{"readings": 2, "pending": 1}`. While `pending` is above zero the device
 * sends `GET /devices/{deviceKey}/down?token={secret}` (same credentials, same 4.01/4.03 answers) and
 * gets 2.05 with the next command as the payload, Content-Format application/octet-stream: the bytes
 * exactly as they would go over MQTT (a CJ/T 188 frame, or a JSON document for JSON devices). Handing it
 * out claims the command in the queue (queued → sent) exactly once, however many GETs race for it. A
 * retransmitted GET is not a second fetch: a client retransmits after ACK_TIMEOUT (2 s, RFC 7252 §4.8), by
 * when the server has sent the answer or its empty ACK (piggybackReplyMs, 1 s), and the CoAP library's
 * message cache answers the duplicate with that.
 * The device answers the command with an ordinary uplink (a CJ/T 188 0x84 reply, a JSON `{"id", "ok"}`).
 * When nothing waits, the answer is 2.05 with an empty payload: CoAP has no "No Content" for GET (2.03
 * Valid only revalidates a cached response by its ETag, RFC 7252 §5.9.1.3), and 4.04 would read to device
 * firmware as a wrong URL. 5.03 when the queue cannot be reached (the command stays queued).
 */
export class CoapTransport {
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly socket: Socket,
  ) {}

  static async start(options: CoapTransportOptions): Promise<CoapTransport> {
    const host = options.host ?? '0.0.0.0';
    const type = isIPv6(host) ? 'udp6' : 'udp4';
    // The transport owns its socket (rather than letting the library bind with SO_REUSEADDR on), so a
    // second process on the same port fails loudly instead of silently sharing the traffic.
    const socket = createSocket({ type, reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const server = createServer({ type, piggybackReplyMs: options.piggybackReplyMs ?? 1_000 });
    const transport = new CoapTransport(server, socket);
    server.on('request', (req: IncomingMessage, res: OutgoingMessage) => transport.respond(options, req, res));
    server.on('error', (error: Error) => options.onError?.(error));
    server.listen(socket);
    return transport;
  }

  get port(): number {
    return this.socket.address().port;
  }

  async close(): Promise<void> {
    this.closed = true;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private respond(options: CoapTransportOptions, req: IncomingMessage, res: OutgoingMessage): void {
    void answer(options, req).then((reply) => {
      if (this.closed) return; // the socket is gone: the device hears nothing and sends again
      res.code = reply.status;
      if ('command' in reply) {
        res.setOption('Content-Format', 'application/octet-stream');
        res.end(reply.command ? Buffer.from(reply.command) : undefined);
        return;
      }
      if ('refusal' in reply) options.onRefused?.({ deviceKey: DEVICE_PATH.exec(pathOf(req.url))?.[1], ...reply.refusal });
      const body = 'refusal' in reply ? reply.refusal : { readings: reply.readings, ...(reply.pending === undefined ? {} : { pending: reply.pending }) };
      res.setOption('Content-Format', 'application/json');
      res.end(JSON.stringify(body));
    }).catch((error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error))));
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Uri-Query options as the device wrote them: CoAP carries each verbatim, nothing is percent-decoded. */
function queryOf(url: string): Map<string, string> {
  const q = url.indexOf('?');
  const params = new Map<string, string>();
  if (q < 0) return params;
  for (const part of url.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0 && !params.has(part.slice(0, eq))) params.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return params;
}

const refusal = (status: string, code: string, reason: string) => ({ status, refusal: { code, reason } });
const refuse = (status: string, code: string, reason: string): Answer => refusal(status, code, reason);

async function withinMs<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function answer(options: CoapTransportOptions, req: IncomingMessage): Promise<Answer> {
  const receivedAt = new Date();
  const [, pathKey, direction] = DEVICE_PATH.exec(pathOf(req.url)) ?? [];
  if (!pathKey || (direction === 'down' && !options.downlink)) return refuse('4.04', 'not_found', 'devices POST to /devices/{deviceKey}/up');
  if (direction === 'up' && req.method !== 'POST') return refuse('4.05', 'method_not_allowed', 'uplink takes POST');
  if (direction === 'down' && req.method !== 'GET') return refuse('4.05', 'method_not_allowed', 'downlink takes GET');
  const signedIn = await authenticate(options, req, pathKey);
  if ('refusal' in signedIn) return signedIn;
  const identity = signedIn.device;
  if (direction === 'down') {
    try {
      return { status: '2.05', command: await options.downlink!.takeNext(identity) };
    } catch {
      return refuse('5.03', 'downlink_unavailable', 'the command queue cannot be reached; ask again later');
    }
  }
  const durableWithin = options.durableWithinMs ?? 10_000;
  let outcome;
  try {
    outcome = await withinMs(options.pipeline.ingest(identity, req.payload, receivedAt), durableWithin);
  } catch {
    return refuse('5.03', 'store_unavailable', 'the readings could not be stored; send again later');
  }
  if (outcome === 'timeout') return refuse('5.03', 'store_unavailable', `the readings were not durable within ${durableWithin} ms; send again later`);
  if (!outcome.ok) return refuse('4.00', outcome.code, outcome.reason);
  return { status: '2.04', readings: outcome.readings, pending: await pendingFor(options, identity) };
}

/** The device the request's credentials name, when they hold and name the device of the path. */
async function authenticate(options: CoapTransportOptions, req: IncomingMessage, pathKey: string): Promise<{ device: DeviceIdentity } | Extract<Answer, { refusal: unknown }>> {
  const query = queryOf(req.url);
  const secret = query.get('token');
  if (!secret) return refusal('4.01', 'missing_credentials', 'add ?token={device secret}');
  let identity: DeviceIdentity | null;
  try {
    identity = await options.devices.authenticate(query.get('key') ?? pathKey, secret);
  } catch {
    return refusal('5.03', 'directory_unavailable', 'the device registry cannot be reached; send again later');
  }
  if (!identity) return refusal('4.01', 'bad_credentials', 'unknown device or wrong secret');
  if (identity.deviceKey !== pathKey) {
    return refusal('4.03', 'foreign_device', `signed in as ${identity.deviceKey}; a device uses only its own path`);
  }
  return { device: identity };
}

/**
 * How many commands wait, for the uplink's answer. The readings are durable by now, so a queue that cannot
 * answer in time leaves `pending` out rather than turn the answer into an error the device would resend for.
 */
async function pendingFor(options: CoapTransportOptions, device: DeviceIdentity): Promise<number | undefined> {
  if (!options.downlink) return undefined;
  try {
    const pending = await withinMs(options.downlink.pending(device), PENDING_WITHIN_MS);
    return pending === 'timeout' ? undefined : pending;
  } catch (error) {
    options.onError?.(error instanceof Error ? error : new Error(String(error)));
    return undefined;
  }
}
