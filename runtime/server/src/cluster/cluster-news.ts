import { randomUUID } from 'node:crypto';
import type { Database } from '@shuiyun/db';
import type { Logger } from 'pino';
import type { SignInService } from '../identity/sign-in.js';
import type { PermissionModel } from '../permissions/permission-model.js';

const PERMISSIONS_CHANNEL = 'shuiyun_permissions_changed';
const SESSIONS_CHANNEL = 'shuiyun_sessions_ended';

/**
 * Keeps this node's in-memory state in step with the other runtime nodes on the same database:
 * a role changed elsewhere reloads the permission model here, a session ended elsewhere stops its
 * access token here. Messages travel as PostgreSQL NOTIFY; each node ignores its own.
 */
export async function joinCluster(database: Database, permissions: PermissionModel, signIn: SignInService, logger: Logger): Promise<void> {
  const node = randomUUID();
  const reload = () =>
    permissions.reload().catch((err: unknown) => logger.error({ err }, 'reloading the permission model failed'));

  await database.subscribe(PERMISSIONS_CHANNEL, (payload) => {
    if (payload !== node) void reload();
  });
  await database.subscribe(SESSIONS_CHANNEL, (payload) => {
    try {
      const news = JSON.parse(payload) as { node: string; sessions: string[] };
      if (news.node !== node && Array.isArray(news.sessions)) signIn.acceptEndedElsewhere(news.sessions.map(String));
    } catch (err) {
      logger.warn({ err }, 'unreadable session news');
    }
  });
  // While the listening connection was down, a change may have gone by unheard.
  database.onReconnect(() => void reload());

  permissions.announce = () => database.publish(PERMISSIONS_CHANNEL, node);
  signIn.announce = (sessions) => {
    database
      .publish(SESSIONS_CHANNEL, JSON.stringify({ node, sessions }))
      .catch((err: unknown) => logger.error({ err }, 'announcing ended sessions failed'));
  };
}
