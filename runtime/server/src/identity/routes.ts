import { users } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { presentUser } from '../directory/user-routes.js';
import { route } from '../http/route.js';
import type { PermissionModel } from '../permissions/permission-model.js';
import type { SignInService } from './sign-in.js';

const tags = ['Identity 身份'];
/** The answer to every successful sign-in (password, refresh or single sign-on). */
export const tokenView = z.object({
  tokenType: z.literal('Bearer'),
  accessToken: z.string(),
  expiresIn: z.number(),
  refreshToken: z.string(),
  user: z.object({ id: z.number(), username: z.string(), displayName: z.string(), tenantId: z.number() }),
});

export function identityRoutes(signIn: SignInService, permissions: PermissionModel) {
  return [
    route({
      method: 'post',
      path: '/api/auth/login',
      permission: 'public',
      summary: 'Sign in with username and password',
      tags,
      body: z.strictObject({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) }),
      response: tokenView,
      handler: ({ body }, ctx) => signIn.withPassword(body.username, body.password, ctx.meta),
    }),
    route({
      method: 'post',
      path: '/api/auth/refresh',
      permission: 'public',
      summary: 'Exchange a refresh token for new tokens (the old refresh token stops working)',
      tags,
      body: z.strictObject({ refreshToken: z.string().min(20).max(200) }),
      response: tokenView,
      handler: ({ body }, ctx) => signIn.refresh(body.refreshToken, ctx.meta),
    }),
    route({
      method: 'post',
      path: '/api/auth/logout',
      permission: 'authenticated',
      summary: 'End the current session',
      tags,
      handler: async (_input, ctx) => {
        await signIn.signOut(ctx.principal(), ctx.meta);
        return undefined;
      },
    }),
    route({
      method: 'get',
      path: '/api/auth/me',
      permission: 'authenticated',
      summary: 'The signed-in user, its tenant, permissions and data scope',
      tags,
      handler: (_input, ctx) =>
        ctx.tx(async (tx) => {
          const p = ctx.principal();
          const [user] = await tx.select().from(users).where(eq(users.id, p.userId));
          if (!user) throw new AppError('unauthenticated');
          return {
            user: presentUser(user),
            tenant: { id: p.tenantId, path: p.tenantPath },
            permissions: permissions.permissionsOf(p.userId, p.tenantId),
            dataScope: ctx.caller!.dataScope,
          };
        }),
    }),
    route({
      method: 'post',
      path: '/api/auth/password',
      permission: 'authenticated',
      summary: 'Change one’s own password (other sessions end)',
      tags,
      body: z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: z.string().max(256) }),
      handler: async ({ body }, ctx) => {
        await signIn.changePassword(ctx.principal(), body.currentPassword, body.newPassword, ctx.meta);
        return undefined;
      },
    }),
  ];
}
