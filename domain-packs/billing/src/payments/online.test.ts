/**
 * Online payments through the payment port, against `FakeWechatPayGatewayForTests`: an in-test HTTP
 * server shaped like WeChat Pay v3 that takes the order (checking the request's signature), answers a
 * signed code URL, and calls the tenant's public callback back signed like the real one (the resource
 * encrypted with AEAD_AES_256_GCM). Covered: one callback books once; the same callback twice at once
 * books once and both answer SUCCESS; a forged signature, a stale timestamp and a wrong amount book
 * nothing; channel configuration and isolation.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import metering from '@shuiyun/pack-metering';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { sign, signatureMatches } from './gateway.js';
import { addCharge, makeAccounts } from './testing/money.js';

const BASE = '/api/ext/billing';
const API_KEY = 'k'.repeat(16) + 'TestApiV3Key0001'; // 32 bytes: also the AEAD_AES_256_GCM key
const MCH_ID = '1900000109';

interface ReceivedOrder {
  out_trade_no: string;
  notify_url: string;
  amount: { total: number; currency: string };
  mchid: string;
  description: string;
}

/** An in-test stand-in for the WeChat Pay v3 gateway: verifies order requests, answers signed, calls back signed. */
class FakeWechatPayGatewayForTests {
  readonly orders: ReceivedOrder[] = [];
  refusedRequests = 0;
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      const body = await readBody(req);
      const auth = String(req.headers.authorization ?? '');
      const m = /^WECHATPAY2-SHA256-RSA2048 mchid="([^"]+)",nonce_str="([^"]+)",timestamp="(\d+)",serial_no="[^"]*",signature="([^"]+)"$/.exec(auth);
      if (req.method !== 'POST' || req.url !== '/v3/pay/transactions/native' || !m || m[1] !== MCH_ID || !signatureMatches(API_KEY, m[3]!, m[2]!, body, m[4]!)) {
        this.refusedRequests += 1;
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'SIGN_ERROR', message: 'signature does not verify' }));
        return;
      }
      const order = JSON.parse(body) as ReceivedOrder;
      this.orders.push(order);
      const answer = JSON.stringify({ code_url: `weixin://wxpay/bizpayurl?pr=${order.out_trade_no}` });
      res.writeHead(200, { 'content-type': 'application/json', ...FakeWechatPayGatewayForTests.signedHeaders(answer) }).end(answer);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Headers signing `body` as the platform does (here with the API key), at `timestamp`. */
  static signedHeaders(body: string, options: { timestamp?: number; key?: string } = {}): Record<string, string> {
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    return { 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': sign(options.key ?? API_KEY, timestamp, nonce, body), 'wechatpay-serial': 'FAKE' };
  }

  /** The callback body of a successful transaction, its resource encrypted as WeChat Pay v3 does. */
  static callbackBody(order: { out_trade_no: string; total: number }, transactionId: string): string {
    const resource = JSON.stringify({
      mchid: MCH_ID,
      out_trade_no: order.out_trade_no,
      transaction_id: transactionId,
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      success_time: new Date().toISOString(),
      amount: { total: order.total, payer_total: order.total, currency: 'CNY', payer_currency: 'CNY' },
    });
    const nonce = randomBytes(6).toString('hex');
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(API_KEY, 'utf8'), Buffer.from(nonce, 'utf8'));
    cipher.setAAD(Buffer.from('transaction', 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(resource, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
    return JSON.stringify({
      id: randomBytes(8).toString('hex'),
      create_time: new Date().toISOString(),
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: 'transaction', nonce },
    });
  }

  /** Calls the order's notify URL back, as the gateway does after the payer paid. */
  async callBack(order: ReceivedOrder, transactionId: string, options: { total?: number; timestamp?: number; key?: string; body?: string } = {}) {
    const body = options.body ?? FakeWechatPayGatewayForTests.callbackBody({ out_trade_no: order.out_trade_no, total: options.total ?? order.amount.total }, transactionId);
    const res = await fetch(order.notify_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...FakeWechatPayGatewayForTests.signedHeaders(body, options) },
      body,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

describe('online payments through the payment port', () => {
  let kit: PackTestKit;
  let gateway: FakeWechatPayGatewayForTests;
  let reader: string;

  async function ok(method: string, path: string, body?: unknown) {
    const res = await kit.request(method, path, body === undefined ? {} : { body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  async function order(accountId: string, amountFen: number) {
    const created = await ok('POST', `${BASE}/payments/online/orders`, { accountId, channel: 'wechat', amountFen });
    const received = gateway.orders.find((o) => o.out_trade_no === created.outTradeNo)!;
    return { created, received };
  }
  const paymentsOf = (accountId: string) => ok('GET', `${BASE}/payments?accountId=${accountId}&channel=wechat`);

  beforeAll(async () => {
    gateway = new FakeWechatPayGatewayForTests();
    await gateway.start();
    // PGlite by default; SHUIYUN_BILLING_TEST_DRIVER=postgres runs the same on the PostgreSQL server (real concurrency).
    kit = await startPackTestKit({ packs: [metering, billing], driver: process.env.SHUIYUN_BILLING_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
    reader = await kit.createUser({ username: 'online-meter-reader', roles: ['metering-reader'] });
    const tenant = await ok('GET', `/api/tenants/${kit.tenant.id}`);
    const notifyUrl = `${kit.baseUrl}/api/ext-public/${tenant.code}/billing/pay/callback/wechat`;
    const configured = await ok('PUT', `${BASE}/payment-channels/wechat`, { gatewayUrl: gateway.url, merchantId: MCH_ID, appId: 'wxd678efh567hg6787', apiKey: API_KEY, notifyUrl });
    expect(configured).toMatchObject({ channel: 'wechat', merchantId: MCH_ID, apiKeySet: true, apiKeyHint: '…0001', enabled: true });
    expect(JSON.stringify(configured)).not.toContain(API_KEY);
  }, 300_000);
  afterAll(async () => {
    await kit?.close();
    await gateway?.stop();
  });

  it('places a signed order with the gateway and answers its code URL', async () => {
    const [a] = await makeAccounts(kit, 1);
    const { created, received } = await order(a!.id, 1_234);
    expect(created).toMatchObject({ status: 'created', channel: 'wechat', amountFen: '1234', codeUrl: `weixin://wxpay/bizpayurl?pr=${created.outTradeNo}` });
    expect(created.outTradeNo.length).toBeLessThanOrEqual(32);
    expect(received).toMatchObject({ mchid: MCH_ID, amount: { total: 1234, currency: 'CNY' } });
    expect(gateway.refusedRequests).toBe(0);
  });

  it('books the callback once, allocating it; a repeat answers SUCCESS and books nothing more', async () => {
    const [a] = await makeAccounts(kit, 1);
    const charge = await addCharge(kit, a!.id, 1_000n, '2026-01-20');
    const { created, received } = await order(a!.id, 1_500);
    const first = await gateway.callBack(received, '4200000001202601010000000001');
    expect(first).toMatchObject({ status: 200, body: { code: 'SUCCESS' } });
    const again = await gateway.callBack(received, '4200000001202601010000000001');
    expect(again).toMatchObject({ status: 200, body: { code: 'SUCCESS' } });
    const payments = await paymentsOf(a!.id);
    expect(payments.total).toBe(1);
    expect(payments.items[0]).toMatchObject({ amountFen: '1500', externalRef: '4200000001202601010000000001', cashierId: null });
    const one = await ok('GET', `${BASE}/payments/${payments.items[0].id}`);
    expect(one.allocations).toEqual([expect.objectContaining({ chargeId: Number(charge), amountFen: '1000' })]);
    expect(one.receipts).toHaveLength(1);
    const after = await ok('GET', `${BASE}/payments/online/orders/${created.id}`);
    expect(after).toMatchObject({ status: 'paid', transactionId: '4200000001202601010000000001', paymentId: payments.items[0].id });
    expect(await ok('GET', `${BASE}/accounts/${a!.id}/balance`)).toMatchObject({ outstandingFen: '0', creditFen: '500' });
  });

  it('books the same callback delivered twice at the same moment once', async () => {
    const [a] = await makeAccounts(kit, 1);
    const { received } = await order(a!.id, 800);
    const results = await Promise.all([gateway.callBack(received, 'TX-CONCURRENT-1'), gateway.callBack(received, 'TX-CONCURRENT-1'), gateway.callBack(received, 'TX-CONCURRENT-1')]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.every((r) => r.body?.code === 'SUCCESS')).toBe(true);
    expect((await paymentsOf(a!.id)).total).toBe(1);
    const receipts = await ok('GET', `${BASE}/receipts?accountId=${a!.id}`);
    expect(receipts.total).toBe(1);
  });

  it('refuses a forged signature, a stale timestamp, a wrong amount and an unknown order; nothing is booked', async () => {
    const [a] = await makeAccounts(kit, 1);
    const { received, created } = await order(a!.id, 600);
    const forged = await gateway.callBack(received, 'TX-FORGED', { key: 'x'.repeat(32) });
    expect(forged.status).toBe(400);
    // a valid signature over another body: the signature does not match what arrives
    const body = FakeWechatPayGatewayForTests.callbackBody({ out_trade_no: received.out_trade_no, total: 600 }, 'TX-TAMPERED');
    const headers = FakeWechatPayGatewayForTests.signedHeaders(body);
    const tampered = await fetch(received.notify_url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body.replace('"summary":"支付成功"', '"summary":"x"') });
    expect(tampered.status).toBe(400);
    const unsigned = await fetch(received.notify_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(400);
    const stale = await gateway.callBack(received, 'TX-STALE', { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(400);
    const wrongAmount = await gateway.callBack(received, 'TX-WRONG', { total: 1 });
    expect(wrongAmount.status).toBe(409);
    const unknown = await gateway.callBack({ ...received, out_trade_no: 'SY-NO-SUCH-ORDER' }, 'TX-UNKNOWN');
    expect(unknown.status).toBe(404);
    expect((await paymentsOf(a!.id)).total).toBe(0);
    expect((await ok('GET', `${BASE}/payments/online/orders/${created.id}`)).status).toBe('created');
    // the genuine callback still books
    expect((await gateway.callBack(received, 'TX-GENUINE')).status).toBe(200);
    expect((await paymentsOf(a!.id)).total).toBe(1);
    // and a second transaction for the paid order is refused
    expect((await gateway.callBack(received, 'TX-SECOND')).status).toBe(409);
    expect((await paymentsOf(a!.id)).total).toBe(1);
  });

  it('refuses orders for a closed account, an unconfigured channel, and a gateway that refuses', async () => {
    const [closed] = await makeAccounts(kit, 1, { status: 'closed' });
    expect((await kit.request('POST', `${BASE}/payments/online/orders`, { body: { accountId: closed!.id, channel: 'wechat', amountFen: 1 } })).status).toBe(409);
    const [a] = await makeAccounts(kit, 1);
    expect((await kit.request('POST', `${BASE}/payments/online/orders`, { body: { accountId: a!.id, channel: 'alipay', amountFen: 1 } })).status).toBe(409);
    expect((await kit.request('GET', `${BASE}/payment-channels/alipay`)).status).toBe(404);
    // a PUT without the key keeps the key; a wrong key makes the gateway refuse the order
    const current = await ok('GET', `${BASE}/payment-channels/wechat`);
    await ok('PUT', `${BASE}/payment-channels/wechat`, { gatewayUrl: current.gatewayUrl, merchantId: MCH_ID, notifyUrl: current.notifyUrl, apiKey: 'w'.repeat(32) });
    const refused = await kit.request('POST', `${BASE}/payments/online/orders`, { body: { accountId: a!.id, channel: 'wechat', amountFen: 100 } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details[0].message).toContain('401');
    await ok('PUT', `${BASE}/payment-channels/wechat`, { gatewayUrl: current.gatewayUrl, merchantId: MCH_ID, notifyUrl: current.notifyUrl, apiKey: API_KEY });
    await ok('PUT', `${BASE}/payment-channels/wechat`, { gatewayUrl: current.gatewayUrl, merchantId: MCH_ID, notifyUrl: current.notifyUrl });
    expect((await kit.request('POST', `${BASE}/payments/online/orders`, { body: { accountId: a!.id, channel: 'wechat', amountFen: 100 } })).status).toBe(201);
    expect((await kit.request('PUT', `${BASE}/payment-channels/alipay`, { body: { gatewayUrl: gateway.url, merchantId: MCH_ID, notifyUrl: current.notifyUrl } })).status).toBe(400);
  });

  it('keeps tenants apart and checks permissions on the online routes', async () => {
    const [a] = await makeAccounts(kit, 1);
    const { created, received } = await order(a!.id, 300);
    const other = { token: kit.otherTenant.token };
    expect((await kit.request('GET', `${BASE}/payments/online/orders/${created.id}`, other)).status).toBe(404);
    expect((await kit.request('POST', `${BASE}/payments/online/orders`, { ...other, body: { accountId: a!.id, channel: 'wechat', amountFen: 1 } })).status).toBe(404);
    expect((await kit.request('GET', `${BASE}/payment-channels/wechat`, other)).status).toBe(404);
    // the other tenant's public callback does not know this tenant's order (and has no channel configured)
    const otherTenant = await kit.request('GET', `/api/tenants/${kit.otherTenant.id}`, other);
    expect(otherTenant.body.code).toEqual(expect.any(String));
    const url = received.notify_url.replace(/ext-public\/[^/]+\//, `ext-public/${otherTenant.body.code}/`);
    expect((await gateway.callBack({ ...received, notify_url: url }, 'TX-OTHER')).status).toBe(404);
    expect((await gateway.callBack({ ...received, notify_url: received.notify_url.replace(/ext-public\/[^/]+\//, 'ext-public/no-such-tenant/') }, 'TX-NONE')).status).toBe(404);
    for (const [method, path, body] of [
      ['POST', `${BASE}/payments/online/orders`, { accountId: a!.id, channel: 'wechat', amountFen: 1 }],
      ['GET', `${BASE}/payments/online/orders/${created.id}`, undefined],
      ['GET', `${BASE}/payment-channels/wechat`, undefined],
      ['PUT', `${BASE}/payment-channels/wechat`, { gatewayUrl: gateway.url, merchantId: MCH_ID, notifyUrl: received.notify_url }],
    ] as const) {
      expect((await kit.request(method, path, { token: reader, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(403);
      expect((await kit.request(method, path, { token: null, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(401);
    }
    expect((await paymentsOf(a!.id)).total).toBe(0);
  });
});
