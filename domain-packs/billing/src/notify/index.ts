/**
 * The notifier port of the billing pack: `notify` / `notifyMany` queue messages per channel (outbox rows,
 * deduplicated by key; in-app delivered at once), the SMS and WeChat HTTP adapters, and `deliverQueued`
 * which sends what is queued with retries. Its routes and worker are part of `billingPart`.
 */
export { notify, notifyMany, loadNotifySettings, notifySettings, CHANNELS, type Channel, type NotifyMessage, type NotifySettings } from './notify.js';
export { SmsHttpChannel, WechatHttpChannel, smsSignature, type NotifierChannel, type OutgoingNotification, type SendResult } from './channels.js';
export { deliverQueued, drainQueued, channelsFromSettings, DELIVER_JOB, DELIVER_PROCESS, type DeliverOptions, type DeliverResult } from './deliver.js';
