/**
 * The SMS and WeChat HTTP adapters against in-test servers that check what they are sent: the SMS
 * gateway's HMAC-SHA256 signature, WeChat's access token. No runtime needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSmsGatewayForTests, FakeWechatApiForTests } from '../testing/notify-fakes.js';
import { smsSignature, SmsHttpChannel, WechatHttpChannel, type OutgoingNotification } from './channels.js';

const sms = (over: Partial<OutgoingNotification> = {}): OutgoingNotification => ({ id: '7', channel: 'sms', recipient: '13800001234', kind: 'bill', title: '2026-01 水费账单', body: '应缴 750.00 元', ...over });

describe('SMS gateway adapter', () => {
  let gateway: FakeSmsGatewayForTests;
  beforeAll(async () => {
    gateway = await new FakeSmsGatewayForTests('shuiyun-app', 'a-very-secret-key').start();
  });
  afterAll(() => gateway.close());

  it('signs the body with HMAC-SHA256 of timestamp and body (a known vector)', () => {
    // printf '1700000000000\n{"a":1}' | openssl dgst -sha256 -hmac 'key'
    expect(smsSignature('key', '1700000000000', '{"a":1}')).toBe('0ba55bba671f2e2bac1b652aa8dce32c31c73c0c33fdff83432255dfd831456b');
  });

  it('sends a signed message the gateway accepts', async () => {
    const channel = new SmsHttpChannel({ url: gateway.endpoint, appKey: 'shuiyun-app', secret: 'a-very-secret-key', signName: '水务' });
    expect(await channel.send(sms())).toEqual({ ok: true });
    expect(gateway.accepted.at(-1)).toEqual({ appKey: 'shuiyun-app', phone: '13800001234', signName: '水务', content: '2026-01 水费账单：应缴 750.00 元', id: '7' });
  });

  it('fails (without throwing) on a wrong secret, a busy gateway, an unreachable one, and no phone', async () => {
    const before = gateway.accepted.length;
    const wrong = new SmsHttpChannel({ url: gateway.endpoint, appKey: 'shuiyun-app', secret: 'not-the-secret-key' });
    const refused = await wrong.send(sms());
    expect(refused).toMatchObject({ ok: false, reason: expect.stringContaining('401') });
    gateway.failNext = 1;
    const right = new SmsHttpChannel({ url: gateway.endpoint, appKey: 'shuiyun-app', secret: 'a-very-secret-key' });
    expect(await right.send(sms())).toMatchObject({ ok: false, reason: expect.stringContaining('503') });
    const down = new SmsHttpChannel({ url: 'http://127.0.0.1:9/sms', appKey: 'shuiyun-app', secret: 'a-very-secret-key' }, { timeoutMs: 2_000 });
    expect(await down.send(sms())).toMatchObject({ ok: false, reason: expect.stringContaining('unreachable') });
    expect(await right.send(sms({ recipient: null }))).toEqual({ ok: false, reason: 'no phone number for this account' });
    expect(gateway.accepted.length).toBe(before);
  });
});

describe('WeChat template message adapter', () => {
  let wechat: FakeWechatApiForTests;
  beforeAll(async () => {
    wechat = await new FakeWechatApiForTests('token-123').start();
  });
  afterAll(() => wechat.close());

  it('posts the template message with the access token', async () => {
    const channel = new WechatHttpChannel({ url: wechat.endpoint, accessToken: 'token-123', templateId: 'TPL-BILL' });
    expect(await channel.send(sms({ channel: 'wechat', recipient: 'o-openid-1' }))).toEqual({ ok: true });
    expect(wechat.accepted.at(-1)).toEqual({ touser: 'o-openid-1', template_id: 'TPL-BILL', data: { first: { value: '2026-01 水费账单' }, keyword1: { value: '应缴 750.00 元' }, remark: { value: 'bill' } } });
    expect(new URL(wechat.requests.at(-1)!.url, wechat.url).searchParams.get('access_token')).toBe('token-123');
  });

  it('fails on a wrong token, a WeChat error, and no openid', async () => {
    const wrong = new WechatHttpChannel({ url: wechat.endpoint, accessToken: 'expired', templateId: 'TPL-BILL' });
    expect(await wrong.send(sms({ channel: 'wechat', recipient: 'o-openid-1' }))).toMatchObject({ ok: false, reason: expect.stringContaining('40001') });
    wechat.failNext = 1;
    const right = new WechatHttpChannel({ url: wechat.endpoint, accessToken: 'token-123', templateId: 'TPL-BILL' });
    expect(await right.send(sms({ channel: 'wechat', recipient: 'o-openid-1' }))).toMatchObject({ ok: false, reason: expect.stringContaining('system error') });
    expect(await right.send(sms({ channel: 'wechat', recipient: null }))).toEqual({ ok: false, reason: 'no WeChat openid for this account' });
  });
});
