/**
 * In-test stand-ins for the SMS gateway and the WeChat API (tests only: `src/testing/` is not built). Each
 * is a real HTTP server on 127.0.0.1 that checks what the adapters send — the SMS gateway the HMAC-SHA256
 * signature, WeChat the access token — records what it accepted, and can be told to fail the next requests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function answer(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

abstract class FakeServer {
  protected server: Server | undefined;
  url = '';
  /** Requests to answer with a failure before accepting again. */
  failNext = 0;
  /** Every request, accepted or not. */
  readonly requests: { headers: IncomingMessage['headers']; url: string; body: string }[] = [];

  protected abstract handle(req: IncomingMessage, body: string, res: ServerResponse): void;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void bodyOf(req).then((body) => {
        this.requests.push({ headers: req.headers, url: req.url ?? '', body });
        this.handle(req, body, res);
      });
    });
    const port = await listen(this.server);
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** The SMS gateway: `POST /sms` signed `X-Sms-Signature = hex(HMAC-SHA256(secret, timestamp + "\n" + body))`. */
export class FakeSmsGatewayForTests extends FakeServer {
  readonly accepted: { phone: string; content: string; id: string; appKey: string }[] = [];

  constructor(
    readonly appKey: string,
    readonly secret: string,
  ) {
    super();
  }

  get endpoint() {
    return `${this.url}/sms`;
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse) {
    if (req.method !== 'POST' || req.url !== '/sms') return answer(res, 404, { code: 'NOT_FOUND' });
    const timestamp = String(req.headers['x-sms-timestamp'] ?? '');
    const given = Buffer.from(String(req.headers['x-sms-signature'] ?? ''), 'utf8');
    const expected = Buffer.from(createHmac('sha256', this.secret).update(`${timestamp}\n${body}`).digest('hex'), 'utf8');
    if (req.headers['x-sms-appkey'] !== this.appKey || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return answer(res, 401, { code: 'BAD_SIGNATURE', message: 'signature mismatch' });
    }
    if (this.failNext > 0) {
      this.failNext--;
      return answer(res, 503, { code: 'BUSY', message: 'try again later' });
    }
    const message = JSON.parse(body) as { phone: string; content: string; id: string; appKey: string };
    this.accepted.push(message);
    return answer(res, 200, { code: 'OK', messageId: `sms-${this.accepted.length}` });
  }
}

/** WeChat's `POST /cgi-bin/message/template/send?access_token=…`: errcode 0 with the right token, 40001 otherwise. */
export class FakeWechatApiForTests extends FakeServer {
  readonly accepted: { touser: string; template_id: string; data: Record<string, { value: string }> }[] = [];

  constructor(readonly accessToken: string) {
    super();
  }

  get endpoint() {
    return `${this.url}/cgi-bin/message/template/send`;
  }

  protected handle(req: IncomingMessage, body: string, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method !== 'POST' || url.pathname !== '/cgi-bin/message/template/send') return answer(res, 404, { errcode: 404, errmsg: 'not found' });
    if (url.searchParams.get('access_token') !== this.accessToken) return answer(res, 200, { errcode: 40001, errmsg: 'invalid credential, access_token is invalid' });
    if (this.failNext > 0) {
      this.failNext--;
      return answer(res, 200, { errcode: -1, errmsg: 'system error' });
    }
    const message = JSON.parse(body) as { touser: string; template_id: string; data: Record<string, { value: string }> };
    if (!message.touser || !message.template_id) return answer(res, 200, { errcode: 40003, errmsg: 'invalid openid' });
    this.accepted.push(message);
    return answer(res, 200, { errcode: 0, errmsg: 'ok', msgid: this.accepted.length });
  }
}
