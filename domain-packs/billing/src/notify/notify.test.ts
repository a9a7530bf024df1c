/**
 * The notifier port on a running runtime: `notify` writes one outbox row per configured channel, once per
 * dedupe key (in-app sent at once); `deliverQueued` sends the SMS and WeChat rows through the adapters to
 * in-test servers that check signature and token, retries a failure with back-off and marks a row failed
 * after the tenant's attempts; the delivery process does the same from the settings; tenants stay apart.
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import metering from '@shuiyun/pack-metering';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { createBillableAccounts, type BillableAccount } from '../testing/fixtures.js';
import { FakeSmsGatewayForTests, FakeWechatApiForTests } from '../testing/notify-fakes.js';
import { deliverQueued, DELIVER_PROCESS } from './deliver.js';
import { notify } from './notify.js';

describe('the notifier port', () => {
  let kit: PackTestKit;
  let gateway: FakeSmsGatewayForTests;
  let wechat: FakeWechatApiForTests;
  let account: BillableAccount;
  let theirs: BillableAccount;

  const rows = (tenant: 'tenant' | 'other' = 'tenant') =>
    kit.services('billing', { tenant }).transaction((tx) =>
      tx.query<{ id: string; channel: string; dedupe_key: string; status: string; attempts: number; recipient: string | null; error: string | null; sent_at: Date | null }>(
        `select id::text, channel, dedupe_key, status, attempts, recipient, error, sent_at from pack_billing.notifications order by dedupe_key, channel`,
      ),
    );

  async function configure(tenant: 'tenant' | 'other', notifySettings: unknown) {
    const t = tenant === 'other' ? kit.otherTenant : kit.tenant;
    await kit.services('billing', { tenant }).transaction((tx) =>
      tx.query(
        `insert into pack_billing.settings (tenant_id, tenant_path, notify) values ($1, $2::ltree, $3::jsonb)
         on conflict (tenant_id) do update set notify = excluded.notify`,
        [t.id, t.path, JSON.stringify(notifySettings)],
      ),
    );
  }

  beforeAll(async () => {
    gateway = await new FakeSmsGatewayForTests('shuiyun', 'gateway-secret-1').start();
    wechat = await new FakeWechatApiForTests('wx-token').start();
    kit = await startPackTestKit({ packs: [metering, billing] });
    [account] = (await createBillableAccounts(kit, { count: 1 })) as [BillableAccount];
    [theirs] = (await createBillableAccounts(kit, { count: 1, tenant: 'other' })) as [BillableAccount];
    const settings = {
      channels: ['inapp', 'sms', 'wechat'],
      sms: { url: gateway.endpoint, appKey: 'shuiyun', secret: 'gateway-secret-1' },
      wechat: { url: wechat.endpoint, accessToken: 'wx-token', templateId: 'TPL-1' },
      maxAttempts: 2,
    };
    await configure('tenant', settings);
    await configure('other', { ...settings, channels: ['inapp', 'sms'] });
  });
  afterAll(async () => {
    await kit?.close();
    await gateway?.close();
    await wechat?.close();
  });

  it('queues one row per channel, once per key; in-app is sent at once, SMS goes to the customer phone', async () => {
    const services = kit.services('billing');
    const message = { accountId: account.accountId, kind: 'bill', dedupeKey: 'bill:test-1', title: { 'zh-CN': '水费账单', en: 'Water bill' }, body: { 'zh-CN': '应缴 10.00 元', en: '10.00 yuan due' } };
    await services.transaction((tx) => notify(tx, services.tenant, message));
    await services.transaction((tx) => notify(tx, services.tenant, message));
    await Promise.all([services.transaction((tx) => notify(tx, services.tenant, message)), services.transaction((tx) => notify(tx, services.tenant, message))]);
    const written = await rows();
    expect(written.map((r) => [r.channel, r.dedupe_key, r.status])).toEqual([
      ['inapp', 'bill:test-1', 'sent'],
      ['sms', 'bill:test-1', 'queued'],
      ['wechat', 'bill:test-1', 'queued'],
    ]);
    expect(written[0]!.sent_at).not.toBeNull();
    expect(written[1]!.recipient).toMatch(/^1380000[0-9]{4}$/);
    expect(written[2]!.recipient).toBeNull(); // no openid in the archive
    // A message may name its channels.
    await services.transaction((tx) => notify(tx, services.tenant, { ...message, dedupeKey: 'dunning:1', channels: ['sms'] }));
    expect((await rows()).filter((r) => r.dedupe_key === 'dunning:1').map((r) => r.channel)).toEqual(['sms']);
    // Listed per account with the phone masked.
    const list = await kit.request('GET', `/api/ext/billing/notifications?accountId=${account.accountId}&channel=sms`);
    expect(list.body.total).toBe(2);
    expect(list.body.items[0].recipient).toMatch(/^138\*\*\*\*[0-9]{4}$/);
  });

  it('delivers SMS through the signed gateway, retries a failure, and fails WeChat without an openid after the attempts', async () => {
    const services = kit.services('billing');
    gateway.failNext = 2; // the first attempt of both SMS is refused: busy
    const first = await deliverQueued(services, { backOffMs: () => 0 });
    expect(first).toMatchObject({ sent: 0, failed: 0, retrying: 3 });
    let now = await rows();
    expect(now.filter((r) => r.channel !== 'inapp').map((r) => [r.channel, r.status, r.attempts])).toEqual([
      ['sms', 'queued', 1],
      ['wechat', 'queued', 1],
      ['sms', 'queued', 1],
    ]);
    expect(now.find((r) => r.channel === 'wechat')!.error).toContain('openid');

    const second = await deliverQueued(services, { backOffMs: () => 0 });
    expect(second).toMatchObject({ sent: 2, failed: 1, retrying: 0, nextAttemptAt: null });
    now = await rows();
    expect(now.filter((r) => r.channel !== 'inapp').map((r) => [r.channel, r.status, r.attempts])).toEqual([
      ['sms', 'sent', 2],
      ['wechat', 'failed', 2],
      ['sms', 'sent', 2],
    ]);
    expect(gateway.accepted.map((m) => m.content)).toEqual(['水费账单：应缴 10.00 元', '水费账单：应缴 10.00 元']);
    // Nothing more to send: a new round sends nothing twice.
    expect(await deliverQueued(services)).toMatchObject({ sent: 0, failed: 0, retrying: 0 });
    expect(gateway.accepted).toHaveLength(2);
  });

  it('sends a WeChat message with an openid, through the delivery process, with the settings’ adapters; a retry waits its back-off', async () => {
    const services = kit.services('billing');
    await services.transaction((tx) =>
      notify(tx, services.tenant, { accountId: account.accountId, kind: 'bill', dedupeKey: 'bill:test-2', title: { 'zh-CN': '账单', en: 'Bill' }, body: { 'zh-CN': '应缴 1.00 元', en: '1.00 yuan' }, channels: ['wechat', 'sms'] }),
    );
    await services.transaction((tx) => tx.query(`update pack_billing.notifications set recipient = 'o-openid-9' where dedupe_key = 'bill:test-2' and channel = 'wechat'`));
    const instance = await kit.startProcess(DELIVER_PROCESS, {});
    const vars = await kit.waitForInstance(instance, { timeoutMs: 30_000 });
    expect(vars).toMatchObject({ notificationsSent: 2, notificationsFailed: 0, notificationsQueued: 0 });
    expect(wechat.accepted).toEqual([{ touser: 'o-openid-9', template_id: 'TPL-1', data: { first: { value: '账单' }, keyword1: { value: '应缴 1.00 元' }, remark: { value: 'bill' } } }]);

    // A failure with the default back-off is not retried at once.
    await services.transaction((tx) =>
      notify(tx, services.tenant, { accountId: account.accountId, kind: 'bill', dedupeKey: 'bill:test-3', title: { 'zh-CN': '账单', en: 'Bill' }, body: { 'zh-CN': 'x', en: 'x' }, channels: ['sms'] }),
    );
    gateway.failNext = 1;
    expect(await deliverQueued(services)).toMatchObject({ sent: 0, retrying: 1 });
    expect(await deliverQueued(services)).toMatchObject({ sent: 0, retrying: 0, failed: 0 });
    const [waiting] = (await rows()).filter((r) => r.dedupe_key === 'bill:test-3');
    expect(waiting).toMatchObject({ status: 'queued', attempts: 1 });
  });

  it('keeps tenants apart: a tenant’s delivery sends only its own rows', async () => {
    const other = kit.services('billing', { tenant: 'other' });
    await other.transaction((tx) =>
      notify(tx, other.tenant, { accountId: theirs.accountId, kind: 'bill', dedupeKey: 'bill:test-1', title: { 'zh-CN': '账单', en: 'Bill' }, body: { 'zh-CN': '他们的', en: 'theirs' } }),
    );
    // The same key in two tenants: two sets of rows.
    expect((await rows('other')).map((r) => r.channel)).toEqual(['inapp', 'sms']);
    const before = gateway.accepted.length;
    const mine = await deliverQueued(kit.services('billing'), { backOffMs: () => 0 });
    expect(mine.sent).toBe(0);
    expect(gateway.accepted.length).toBe(before);
    const theirsSent = await deliverQueued(other);
    expect(theirsSent).toMatchObject({ sent: 1 });
    expect(gateway.accepted.at(-1)!.content).toBe('账单：他们的');
    const list = await kit.request('GET', '/api/ext/billing/notifications?pageSize=200', { token: kit.otherTenant.token });
    expect(list.body.items.every((n: { accountId: number }) => String(n.accountId) === theirs.accountId)).toBe(true);
  });
});
