import type {} from 'pino-http';
import { AppError } from '@shuiyun/http';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { route } from '../http/route.js';
import { isSameSitePath, type OidcSignIn } from './oidc.js';
import { tokenView } from './routes.js';

const tags = ['Identity 身份'];
const providerCode = z.object({ code: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/) });
/**
 * Where the browser comes back to: the configured public URL, else what the request says (through a
 * trusted proxy's X-Forwarded-* headers). The IdP only accepts redirect URIs registered with it, so a
 * forged Host header cannot send a code elsewhere.
 */
function callbackUrl(publicUrl: string | undefined, req: Request, code: string): string {
  const base = (publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
  return `${base}/api/auth/oidc/${code}/callback`;
}

/** SSO failures are the IdP's or the network's doing: the operator needs the cause the caller is not shown. */
function logFailure(req: Request, error: unknown): never {
  if (error instanceof AppError && error.code === 'sso_failed' && error.cause) {
    req.log?.warn({ err: error.cause, code: error.code }, 'single sign-on failed');
  }
  throw error;
}

/**
 * A 302 without a body: Express's `res.redirect` would repeat the target, tokens and all, in a text body.
 * Nothing here may be cached by the browser or a proxy.
 */
function redirect(res: Response, location: string): void {
  res.set('Cache-Control', 'no-store').status(302).location(location).end();
}

export function oidcRoutes(service: OidcSignIn, publicUrl: string | undefined) {
  return [
    route({
      method: 'get',
      path: '/api/auth/oidc/providers',
      permission: 'public',
      summary: 'Enabled single-sign-on providers, for the buttons of a sign-in page',
      tags,
      response: z.array(z.object({ code: z.string(), name: z.string() })),
      handler: () => service.enabledProviders(),
    }),
    route({
      method: 'get',
      path: '/api/auth/oidc/:code/login',
      permission: 'public',
      summary: 'Start single sign-on: redirects (302) to the identity provider',
      tags,
      status: 302,
      params: providerCode,
      query: z.object({
        returnTo: z.string().max(2000).refine(isSameSitePath, 'a path on this site, starting with a single /').optional(),
      }),
      handler: async ({ params, query }, _ctx, req, res) => {
        const target = await service.begin(params.code, callbackUrl(publicUrl, req, params.code), query.returnTo).catch((e: unknown) => logFailure(req, e));
        redirect(res, target.href);
      },
    }),
    route({
      method: 'get',
      path: '/api/auth/oidc/:code/callback',
      permission: 'public',
      summary:
        'Finish single sign-on: answers the tokens, or when the login named a returnTo, redirects (302) there with the tokens in the fragment',
      tags,
      params: providerCode,
      query: z
        .object({
          state: z.string().min(1).max(200),
          code: z.string().min(1).max(4096).optional(),
          error: z.string().max(200).optional(),
          error_description: z.string().max(2000).optional(),
          iss: z.string().max(2000).optional(),
        })
        .refine((q) => q.code !== undefined || q.error !== undefined, { message: 'code or error is required', path: ['code'] }),
      response: tokenView,
      handler: async ({ params, query }, ctx, req, res) => {
        const search = new URL(req.originalUrl, 'http://callback.invalid').search;
        const { session, returnTo } = await service
          .finish(params.code, callbackUrl(publicUrl, req, params.code), { state: query.state, error: query.error, search }, ctx.meta)
          .catch((e: unknown) => logFailure(req, e));
        if (!returnTo) {
          res.set('Cache-Control', 'no-store');
          return session;
        }
        // The fragment never reaches a server log or a Referer header; the page reads it and clears it.
        const fragment = new URLSearchParams({
          access_token: session.accessToken,
          refresh_token: session.refreshToken,
          expires_in: String(session.expiresIn),
          token_type: session.tokenType,
        });
        redirect(res, `${returnTo}#${fragment.toString()}`);
        return undefined;
      },
    }),
  ];
}
