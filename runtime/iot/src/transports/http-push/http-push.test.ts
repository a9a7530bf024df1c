import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCtwingPush } from './ctwing.js';
import { oneNetSignature, parseOneNetPush, rawJsonValue, verifyOneNetUrl } from './onenet.js';

const token = 'shuiyun-onenet-token';
const dataPoint = { type: 1, dev_id: 5100234, ds_id: '3200_0_5750', at: 1764288000000, value: '681055330000000000000081' };

describe('OneNET push', () => {
  it('answers URL verification with msg only when the signature holds (also with + arriving as a space)', () => {
    const nonce = 'abcdefgh';
    const msg = 'verify-me';
    const signature = oneNetSignature(token, nonce, msg);
    expect(verifyOneNetUrl(token, { msg, nonce, signature })).toBe(msg);
    expect(verifyOneNetUrl(token, { msg, nonce, signature: signature.replace(/\+/g, ' ') })).toBe(msg);
    expect(verifyOneNetUrl('another-token', { msg, nonce, signature })).toBeNull();
    expect(verifyOneNetUrl(token, { msg, nonce })).toBeNull();
  });

  it('checks the signature over msg as sent (an object, in the older msg_signature form)', () => {
    const msgText = JSON.stringify(dataPoint);
    const body = `{"msg": ${msgText}, "nonce":"n0nce123", "msg_signature":"${oneNetSignature(token, 'n0nce123', msgText)}"}`;
    expect(rawJsonValue(body, 'msg')).toBe(msgText);
    const push = parseOneNetPush(body, { token });
    expect(push).toEqual({ ok: true, messages: [{ type: 1, devId: '5100234', imei: null, dsId: '3200_0_5750', at: new Date(1764288000000), value: dataPoint.value }] });
  });

  it('reads the newer form: msg as a string, `signature`, a batch of messages', () => {
    const msg = JSON.stringify([dataPoint, { type: 2, dev_id: 5100234, status: 0, login_type: 10, at: 1764288060000 }]);
    const body = JSON.stringify({ msg, nonce: 'zz998877', signature: oneNetSignature(token, 'zz998877', msg) });
    const push = parseOneNetPush(body, { token });
    expect(push.ok && push.messages.map((m) => m.type)).toEqual([1, 2]);
    expect(push.ok && push.messages[1]).toMatchObject({ online: false, loginType: 10 });
  });

  it('reads a cached command’s result (type 7) and the IMEI NB-IoT messages carry', () => {
    // The shape of OneNET's push documentation for type 7 (NB-IoT only).
    const result = { type: 7, cmd_id: '3a351323-c4fe-5f21-9e9e-a9adc321182f', imei: '865820060031939', dev_id: 2016690, cmd_type: 0, send_time: 1466133706841, send_status: 5, confirm_time: 1466133719210, confirm_status: 0 };
    const msg = JSON.stringify([result, { ...dataPoint, imei: '865820060031939' }]);
    const push = parseOneNetPush(JSON.stringify({ msg, nonce: 'abcdefgh', signature: oneNetSignature(token, 'abcdefgh', msg) }), { token });
    expect(push).toMatchObject({
      ok: true,
      messages: [
        { type: 7, devId: '2016690', imei: '865820060031939', commandId: result.cmd_id, sendStatus: 5, confirmStatus: 0, at: new Date(result.confirm_time) },
        { type: 1, imei: '865820060031939' },
      ],
    });
  });

  it('refuses a wrong token, a tampered msg and a missing signature', () => {
    const msg = JSON.stringify(dataPoint);
    const good = { msg, nonce: 'abcdefgh', signature: oneNetSignature(token, 'abcdefgh', msg) };
    expect(parseOneNetPush(JSON.stringify(good), { token: 'not-it' })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(parseOneNetPush(JSON.stringify({ ...good, msg: msg.replace('5100234', '5100235') }), { token })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(parseOneNetPush(JSON.stringify({ msg, nonce: 'abcdefgh' }), { token })).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(parseOneNetPush('{oops', { token })).toMatchObject({ ok: false, code: 'bad_body' });
  });

  it('decrypts enc_msg with a 32-byte EncodingAESKey (random 16 bytes, length, message)', () => {
    const key = randomBytes(32);
    const aesKey = key.toString('base64').replace(/=+$/, '');
    const message = Buffer.from(JSON.stringify(dataPoint));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(message.length);
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
    const encMsg = Buffer.concat([cipher.update(Buffer.concat([randomBytes(16), length, message])), cipher.final()]).toString('base64');
    const body = JSON.stringify({ enc_msg: encMsg, nonce: 'k3y5n0nc', msg_signature: oneNetSignature(token, 'k3y5n0nc', encMsg) });
    expect(parseOneNetPush(body, { token, aesKey })).toMatchObject({ ok: true, messages: [{ type: 1, devId: '5100234' }] });
    expect(parseOneNetPush(body, { token })).toMatchObject({ ok: false, code: 'decrypt_failed' });
    expect(parseOneNetPush(body, { token, aesKey: randomBytes(32).toString('base64') })).toMatchObject({ ok: false, code: 'decrypt_failed' });
  });

  it('decrypts a ciphertext msg with a 16-byte key (IV = key)', () => {
    const key = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', key, key);
    const msg = Buffer.concat([cipher.update(JSON.stringify(dataPoint)), cipher.final()]).toString('base64');
    const body = JSON.stringify({ msg, nonce: 'abcdefgh', signature: oneNetSignature(token, 'abcdefgh', msg) });
    expect(parseOneNetPush(body, { token, aesKey: key.toString('base64') })).toMatchObject({ ok: true, messages: [{ dsId: '3200_0_5750' }] });
  });
});

describe('CTWing/AEP push', () => {
  const base = { deviceId: 'a1b2c3', productId: '15000001', tenantId: '2000001', IMEI: '869000000000001', IMSI: '460000000000001', timestamp: 1764288000000, upPacketSN: 17, upDataSN: 3, serviceId: '', protocol: 'lwm2m', topic: 'v1/up/ad', deviceType: '', assocAssetId: '' };

  it('reads a transparent data report: the device bytes from APPdata', () => {
    const bytes = Buffer.from([0x68, 0x10, 0x01, 0x16]);
    const push = parseCtwingPush({ ...base, messageType: 'dataReport', payload: { APPdata: bytes.toString('base64') } });
    expect(push).toEqual({
      ok: true,
      message: { kind: 'data', imei: base.IMEI, platformDeviceId: 'a1b2c3', platformProductId: '15000001', at: new Date(base.timestamp), bytes: new Uint8Array(bytes), upPacketSN: 17 },
    });
  });

  it('reads online/offline, events and command responses', () => {
    expect(parseCtwingPush({ ...base, messageType: 'deviceOnlineOfflineReport', eventType: 0 })).toMatchObject({ ok: true, message: { kind: 'online', online: false } });
    expect(parseCtwingPush({ ...base, messageType: 'eventReport', eventType: 3, eventContent: { valve: 'stuck' } })).toMatchObject({ ok: true, message: { kind: 'event', level: 'fault' } });
    expect(parseCtwingPush({ ...base, messageType: 'commandResponse', taskId: 88, result: { resultCode: 'SUCCESSFUL' } })).toMatchObject({ ok: true, message: { kind: 'command-response', taskId: '88', resultCode: 'SUCCESSFUL' } });
    // As a public integration logged it: an LwM2M device's command reached it (`resultDetail` empty).
    expect(parseCtwingPush({ ...base, messageType: 'commandResponse', taskId: 1, result: { resultDetail: '', resultCode: 'DELIVERED' } })).toMatchObject({
      ok: true,
      message: { kind: 'command-response', taskId: '1', resultCode: 'DELIVERED', resultDetail: '' },
    });
  });

  it('refuses malformed pushes with a reason, never throwing', () => {
    for (const bad of [null, [], 'x', { ...base, timestamp: 'soon', messageType: 'dataReport' }, { ...base, messageType: 'dataReport', payload: { APPdata: '%%%' } }, { ...base, messageType: 'eventReport', eventType: 9 }]) {
      const push = parseCtwingPush(bad);
      expect(push.ok).toBe(false);
      expect(!push.ok && push.reason.length).toBeGreaterThan(0);
    }
    expect(parseCtwingPush({ ...base, messageType: 'somethingNew' })).toMatchObject({ ok: false, code: 'unsupported_type' });
  });
});
