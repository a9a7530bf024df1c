/**
 * 线上支付: orders through the payment port (`gateway.ts`) and the gateway's callback.
 *
 * - `POST /payments/online/orders` makes a `payment_orders` row (a unique `out_trade_no`) and places it
 *   with the channel's gateway (configured per tenant in `payment_channels`, `GET/PUT /payment-channels/:channel`),
 *   answering the prepay id or the code URL.
 * - `POST /pay/callback/:channel` is public (no session; the runtime serves it at
 *   `/api/ext-public/<tenant code>/billing/pay/callback/<channel>` and hands the handler the raw body and
 *   headers): it verifies the signature and the timestamp (5 minutes), finds the order and books the payment
 *   once — the gateway's transaction id is the payment's external reference, unique, so a callback
 *   delivered twice, or twice at the same moment, books once and is answered `SUCCESS` both times. An amount
 *   that does not match the order is refused (and logged).
 */
import { randomBytes } from 'node:crypto';
import { defineRoute, PackError, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { conflict, idParams, invalid, iso, l, notFound, PERMISSIONS, positiveFen, text } from '../shared.js';
import { bookPayment } from './book.js';
import { periodClosedRefusal, refusalOf } from './counter.js';
import { type ChannelConfig, GatewayError, hmacGateway, type OnlineChannel, type PaymentGateway } from './gateway.js';
import { lockAccount } from './ledger.js';

/** The adapter in use; a certificate-based one would be put here. */
let gateway: PaymentGateway = hmacGateway;
/** Replaces the payment port's adapter (for a real WeChat Pay / Alipay adapter). Answers the previous one. */
export function usePaymentGateway(next: PaymentGateway): PaymentGateway {
  const previous = gateway;
  gateway = next;
  return previous;
}

const channelParams = z.object({ channel: z.enum(['wechat', 'alipay']) });
const idText = z.union([z.string().regex(/^[1-9][0-9]{0,17}$/, 'an id'), z.number().int().positive()]).transform((v) => String(v));

interface ChannelRow {
  channel: OnlineChannel;
  gateway_url: string;
  merchant_id: string;
  app_id: string;
  api_key: string;
  notify_url: string;
  enabled: boolean;
  updated_at: Date | string;
}
const CHANNEL_COLUMNS = `channel, gateway_url, merchant_id, app_id, api_key, notify_url, enabled, updated_at`;
const presentChannel = (r: ChannelRow) => ({
  channel: r.channel,
  gatewayUrl: r.gateway_url,
  merchantId: r.merchant_id,
  appId: r.app_id,
  notifyUrl: r.notify_url,
  enabled: r.enabled,
  /** The key itself is never shown: whether it is set and its last four characters. */
  apiKeySet: r.api_key.length > 0,
  apiKeyHint: `…${r.api_key.slice(-4)}`,
  updatedAt: iso(r.updated_at),
});
const configOf = (r: ChannelRow): ChannelConfig => ({ channel: r.channel, gatewayUrl: r.gateway_url, merchantId: r.merchant_id, appId: r.app_id, apiKey: r.api_key, notifyUrl: r.notify_url });

async function channelRow(tx: PackTx, tenantId: number, channel: string): Promise<ChannelRow | undefined> {
  const [row] = await tx.query<ChannelRow>(`select ${CHANNEL_COLUMNS} from pack_billing.payment_channels where tenant_id = $1 and channel = $2`, [tenantId, channel]);
  return row;
}

interface OrderRow {
  id: string;
  account_id: string;
  channel: OnlineChannel;
  out_trade_no: string;
  amount_fen: string;
  status: 'created' | 'paid' | 'closed';
  prepay_id: string | null;
  code_url: string | null;
  transaction_id: string | null;
  payment_id: string | null;
  created_at: Date | string;
  paid_at: Date | string | null;
}
const ORDER_COLUMNS = `id::text, account_id::text, channel, out_trade_no, amount_fen::text, status, prepay_id, code_url, transaction_id, payment_id::text, created_at, paid_at`;
const presentOrder = (o: OrderRow) => ({
  id: Number(o.id),
  accountId: Number(o.account_id),
  channel: o.channel,
  outTradeNo: o.out_trade_no,
  amountFen: text(o.amount_fen),
  status: o.status,
  prepayId: o.prepay_id,
  codeUrl: o.code_url,
  transactionId: o.transaction_id,
  paymentId: o.payment_id === null ? null : Number(o.payment_id),
  createdAt: iso(o.created_at),
  paidAt: iso(o.paid_at),
});

/** A merchant order number: `SY`, the local date-time to the second, 12 random hex digits (≤ 32 characters, as WeChat Pay asks). */
function outTradeNo(): string {
  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return `SY${stamp}${randomBytes(6).toString('hex').toUpperCase()}`;
}

/** The callback's answer, WeChat Pay style. */
const SUCCESS = { code: 'SUCCESS', message: '成功' };

const rawInput = z.object({ body: z.string(), headers: z.record(z.string(), z.string()) });

export const onlineRoutes = [
  defineRoute({
    method: 'get',
    path: '/payment-channels/:channel',
    permission: PERMISSIONS.financeClose,
    summary: "A payment channel's gateway configuration (the API key is never shown)",
    params: channelParams,
    handler: async ({ params }, services: PackServices) =>
      services.transaction(async (tx) => {
        const row = await channelRow(tx, services.tenant.id, params.channel);
        if (!row) throw notFound(l(`支付渠道 ${params.channel} 尚未配置`, `Payment channel ${params.channel} is not configured`), 'channel');
        return presentChannel(row);
      }),
  }),
  defineRoute({
    method: 'put',
    path: '/payment-channels/:channel',
    permission: PERMISSIONS.financeClose,
    summary: "Configure a payment channel's gateway: URL, merchant, app id, API key, callback URL, enabled",
    params: channelParams,
    body: z.object({
      gatewayUrl: z.url({ protocol: /^https?$/ }),
      merchantId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1–32 letters, digits, _ -'),
      appId: z.string().max(64).default(''),
      apiKey: z.string().min(16).max(128).optional(),
      notifyUrl: z.url({ protocol: /^https?$/ }),
      enabled: z.boolean().default(true),
    }),
    handler: async ({ params, body }, services) =>
      services.transaction(async (tx) => {
        const existing = await channelRow(tx, services.tenant.id, params.channel);
        if (!existing && !body.apiKey) throw invalid(l('首次配置须提供 API 密钥', 'Give the API key when configuring the channel first'), 'apiKey');
        const [row] = await tx.query<ChannelRow>(
          `insert into pack_billing.payment_channels (tenant_id, tenant_path, channel, gateway_url, merchant_id, app_id, api_key, notify_url, enabled, updated_by)
           values ($1, $2::ltree, $3, $4, $5, $6, $7, $8, $9, $10::bigint)
           on conflict (tenant_id, channel) do update set gateway_url = excluded.gateway_url, merchant_id = excluded.merchant_id, app_id = excluded.app_id,
             api_key = excluded.api_key, notify_url = excluded.notify_url, enabled = excluded.enabled, updated_by = excluded.updated_by, updated_at = now()
           returning ${CHANNEL_COLUMNS}`,
          [services.tenant.id, services.tenant.path, params.channel, body.gatewayUrl, body.merchantId, body.appId, body.apiKey ?? existing!.api_key, body.notifyUrl, body.enabled, services.user?.id ?? null],
        );
        return presentChannel(row!);
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/payments/online/orders',
    permission: PERMISSIONS.collect,
    summary: 'Place an online payment order (WeChat Pay / Alipay) with the gateway: answers the prepay id or the code URL',
    status: 201,
    body: z.object({ accountId: idText, channel: z.enum(['wechat', 'alipay']), amountFen: positiveFen, description: z.string().max(127).optional() }),
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const account = await lockAccount(tx, body.accountId);
        if (!account || account.tenant_id !== String(services.tenant.id)) throw refusalOf('no_account', body.accountId);
        if (account.status === 'closed') throw refusalOf('account_closed', body.accountId);
        const config = await channelRow(tx, services.tenant.id, body.channel);
        if (!config || !config.enabled) throw conflict(l(`支付渠道 ${body.channel} 未配置或已停用`, `Payment channel ${body.channel} is not configured or disabled`), 'channel');
        const [order] = await tx.query<OrderRow>(
          `insert into pack_billing.payment_orders (tenant_id, tenant_path, account_id, channel, out_trade_no, amount_fen, created_by)
           values ($1, $2::ltree, $3::bigint, $4, $5, $6::bigint, $7::bigint) returning ${ORDER_COLUMNS}`,
          [services.tenant.id, services.tenant.path, body.accountId, body.channel, outTradeNo(), body.amountFen.toString(), services.user?.id ?? null],
        );
        let answer;
        try {
          answer = await gateway.createOrder(configOf(config), { outTradeNo: order!.out_trade_no, amountFen: body.amountFen, description: body.description ?? `水费 ${account.account_no}` });
        } catch (error) {
          const why = error instanceof GatewayError ? error.message : error instanceof Error ? error.message : String(error);
          throw conflict(l(`支付网关下单失败：${why}`, `The payment gateway refused the order: ${why}`), 'channel');
        }
        const [placed] = await tx.query<OrderRow>(`update pack_billing.payment_orders set prepay_id = $2, code_url = $3 where id = $1::bigint returning ${ORDER_COLUMNS}`, [order!.id, answer.prepayId, answer.codeUrl]);
        return presentOrder(placed!);
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/payments/online/orders/:id',
    permission: PERMISSIONS.paymentsRead,
    summary: 'One online payment order and its status',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [order] = await tx.query<OrderRow>(`select ${ORDER_COLUMNS} from pack_billing.payment_orders where tenant_id = $1 and id = $2`, [services.tenant.id, params.id]);
        if (!order) throw notFound(l(`没有支付单 ${params.id}`, `No payment order ${params.id}`), 'id');
        return presentOrder(order);
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/pay/callback/:channel',
    permission: 'public',
    summary: "The payment gateway's signed callback (public): books the order's payment once",
    params: channelParams,
    handler: async (input, services) =>
      services.transaction(async (tx) => {
        const channel = input.params.channel;
        const raw = rawInput.safeParse(input.raw);
        if (!raw.success) throw invalid(l('回调缺少原始报文', 'The callback came without its raw body'), 'body');
        const config = await channelRow(tx, services.tenant.id, channel);
        if (!config || !config.enabled) throw notFound(l(`支付渠道 ${channel} 未配置`, `Payment channel ${channel} is not configured`), 'channel');
        const read = gateway.readCallback(configOf(config), raw.data);
        if (!read.ok) {
          console.warn(`[billing] ${channel} callback refused: ${read.reason} (tenant ${services.tenant.id})`);
          throw callbackRefusal(read.reason);
        }
        const t = read.transaction;
        if (t.tradeState !== 'SUCCESS') return { ...SUCCESS, message: `ignored ${t.tradeState}` };
        const [found] = await tx.query<OrderRow>(`select ${ORDER_COLUMNS} from pack_billing.payment_orders where tenant_id = $1 and out_trade_no = $2 and channel = $3`, [
          services.tenant.id,
          t.outTradeNo,
          channel,
        ]);
        if (!found) {
          console.warn(`[billing] ${channel} callback for unknown order ${t.outTradeNo} (transaction ${t.transactionId}, tenant ${services.tenant.id})`);
          throw notFound(l(`没有支付单 ${t.outTradeNo}`, `No payment order ${t.outTradeNo}`), 'out_trade_no');
        }
        if (BigInt(found.amount_fen) !== t.amountFen) {
          console.warn(`[billing] ${channel} callback amount mismatch on ${t.outTradeNo}: order ${found.amount_fen} fen, paid ${t.amountFen} fen (transaction ${t.transactionId}, tenant ${services.tenant.id})`);
          throw conflict(l(`支付金额与订单不符：订单 ${found.amount_fen} 分，支付 ${t.amountFen} 分`, `The amount paid does not match the order: ordered ${found.amount_fen} fen, paid ${t.amountFen} fen`), 'amount');
        }
        await lockAccount(tx, found.account_id);
        const [order] = await tx.query<OrderRow>(`select ${ORDER_COLUMNS} from pack_billing.payment_orders where id = $1::bigint for update`, [found.id]);
        if (order!.status === 'paid' && order!.transaction_id !== t.transactionId) {
          console.warn(`[billing] ${channel} order ${t.outTradeNo} paid by ${order!.transaction_id} called back with ${t.transactionId}`);
          throw conflict(l(`支付单 ${t.outTradeNo} 已由另一笔交易支付`, `Order ${t.outTradeNo} was paid by another transaction`), 'transaction_id');
        }
        const outcome = await bookPayment(tx, services.tenant, {
          accountId: found.account_id,
          channel,
          amountFen: t.amountFen,
          externalRef: t.transactionId,
          cashierId: null,
          note: `out_trade_no ${t.outTradeNo}`,
          ...(t.successTime ? { paidAt: t.successTime } : {}),
        }).catch(periodClosedRefusal);
        if (outcome.kind === 'refused') throw refusalOf(outcome.reason, found.account_id);
        await tx.query(
          `update pack_billing.payment_orders set status = 'paid', payment_id = $2::bigint, transaction_id = $3, paid_at = coalesce(paid_at, $4) where id = $1::bigint and status <> 'paid'`,
          [found.id, outcome.payment.id, t.transactionId, outcome.payment.paid_at],
        );
        return SUCCESS;
      }),
  }),
];

function callbackRefusal(reason: 'missing_headers' | 'stale' | 'bad_signature' | 'bad_body'): PackError {
  switch (reason) {
    case 'missing_headers':
      return invalid(l('回调缺少签名头', 'The callback lacks its signature headers'), 'headers');
    case 'stale':
      return invalid(l('回调时间戳超出五分钟', 'The callback timestamp is more than five minutes off'), 'wechatpay-timestamp');
    case 'bad_signature':
      return invalid(l('回调签名验证失败', 'The callback signature does not verify'), 'wechatpay-signature');
    case 'bad_body':
      return invalid(l('回调报文无法解析', 'The callback body cannot be read'), 'body');
  }
}
