import { AppError } from '@shuiyun/http';
import express, { type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { route, type RuntimeRoute } from '../http/route.js';
import type { PushIngestion } from './push-ingestion.js';

const tags = ['Devices 设备'];

/** Where the platforms push; the raw-body parser below is mounted here and nowhere else. */
export const PUSH_PATH_PREFIX = '/api/push';

/**
 * One push is a message (CTWing) or a small batch (OneNET): 1 MiB leaves room for large batches and
 * still refuses (413) a body no platform sends, before anything is parsed.
 */
export const PUSH_BODY_LIMIT = 1024 * 1024;

/**
 * Keeps the push bodies as sent: OneNET's signature covers the platform's own bytes of `msg`, which a
 * parsed and re-serialised object would not reproduce. Mounted before the API's JSON parser, which then
 * leaves these requests alone (their body has already been read).
 */
export function pushBodyParser(): RequestHandler {
  return express.raw({ type: () => true, limit: PUSH_BODY_LIMIT });
}

const rawText = (req: Request) => (Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');

const codeParams = z.object({ code: z.string().max(100) });

const receipt = z.object({
  messages: z.number().int(),
  outcomes: z.record(z.string(), z.number().int()).describe('stored, rejected, unknown_device, ambiguous_device, bad_value, online, offline, event, command_response, ignored'),
});

/**
 * The public routes NB-IoT platforms call. They carry no sign-in: the endpoint's unguessable code, the
 * OneNET signature or the CTWing token header is the credential (see PushIngestion for every answer).
 */
export function pushRoutes(push: PushIngestion): RuntimeRoute[] {
  return [
    route({
      method: 'post',
      path: `${PUSH_PATH_PREFIX}/ctwing/:code`,
      permission: 'public',
      summary:
        'CTWing/AEP HTTP push (data reports in transparent mode, online/offline, events, command responses). CTWing signs nothing: ' +
        'the push is authenticated by the endpoint’s unguessable URL code, plus the `token` header when the endpoint has a token. ' +
        '200 once the message is durable or can never be stored (unknown device: counted); 403 bad token; 404 unknown or disabled endpoint',
      tags,
      params: codeParams,
      response: receipt,
      handler: async ({ params }, _ctx, req) => {
        const endpoint = await push.endpoint('ctwing', params.code);
        const token = req.headers.token;
        return push.ctwing(endpoint, typeof token === 'string' ? token : undefined, rawText(req));
      },
    }),
    route({
      method: 'get',
      path: `${PUSH_PATH_PREFIX}/onenet/:code`,
      permission: 'public',
      summary: 'OneNET push URL verification: answers `msg` as text when Base64(MD5(token + nonce + msg)) equals `signature`, else 403',
      tags,
      params: codeParams,
      query: z.object({ msg: z.string().max(1000).optional(), nonce: z.string().max(100).optional(), signature: z.string().max(200).optional() }),
      handler: async ({ params, query }, _ctx, _req, res) => {
        const endpoint = await push.endpoint('onenet', params.code);
        res.type('text/plain').send(push.verifyOneNetUrl(endpoint, query));
        return undefined;
      },
    }),
    route({
      method: 'post',
      path: `${PUSH_PATH_PREFIX}/onenet/:code`,
      permission: 'public',
      summary:
        'OneNET HTTP push (`msg` or `enc_msg`, signed with the endpoint’s token; one message or a batch). 200 once every message is ' +
        'durable or can never be stored (unknown device: counted); 403 bad signature, nothing stored; 404 unknown or disabled endpoint',
      tags,
      params: codeParams,
      response: receipt,
      handler: async ({ params }, _ctx, req) => {
        const endpoint = await push.endpoint('onenet', params.code);
        if (!Buffer.isBuffer(req.body)) throw new AppError('validation_failed', { details: [{ path: 'body', message: 'the push has no body' }] });
        return push.oneNet(endpoint, rawText(req));
      },
    }),
  ];
}
