import { randomUUID } from 'node:crypto';
import { asSystem, auditLog, type Db, sessions, type Tx, users } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { assertStrongPassword, hashPassword, verifyPassword } from './passwords.js';
import { digest, newRefreshToken, type Principal, type TokenSigner } from './tokens.js';

export interface ClientMeta {
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

export interface SignInResult {
  tokenType: 'Bearer';
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  user: { id: number; username: string; displayName: string; tenantId: number };
}

export interface IdentityPolicy {
  refreshTtlSeconds: number;
  lockoutThreshold: number;
  lockoutSeconds: number;
}

type UserRow = typeof users.$inferSelect;

/** Sign-in, token refresh, sign-out and password change: everything that happens before a tenant is known. */
export class SignInService {
  /** Sessions signed out on this node, until their access tokens would have expired anyway. */
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly signer: TokenSigner,
    private readonly policy: IdentityPolicy,
  ) {}

  async withPassword(username: string, password: string, meta: ClientMeta): Promise<SignInResult> {
    const user = await asSystem(this.db, async (tx) => {
      const [row] = await tx.select().from(users).where(eq(sql`lower(${users.username})`, username.toLowerCase()));
      return row;
    });
    const locked = user?.lockedUntil && user.lockedUntil.getTime() > Date.now();
    // Verify even for unknown or locked accounts, so the answer's timing tells nothing.
    const valid = await verifyPassword(locked ? null : (user?.passwordHash ?? null), password);
    if (!user) throw new AppError('invalid_credentials');
    if (locked) throw new AppError('account_locked');
    if (!valid) {
      await this.recordFailure(user, meta);
      throw new AppError('invalid_credentials');
    }
    if (user.status !== 'active') throw new AppError('account_disabled');
    return asSystem(this.db, (tx) => this.openSession(tx, user, 'password', meta));
  }

  private async recordFailure(user: UserRow, meta: ClientMeta): Promise<void> {
    const lockedNow = await asSystem(this.db, async (tx) => {
      const [row] = await tx
        .update(users)
        .set({ failedLogins: sql`${users.failedLogins} + 1` })
        .where(eq(users.id, user.id))
        .returning({ failedLogins: users.failedLogins });
      const lock = (row?.failedLogins ?? 0) >= this.policy.lockoutThreshold;
      if (lock) {
        await tx
          .update(users)
          .set({ failedLogins: 0, lockedUntil: new Date(Date.now() + this.policy.lockoutSeconds * 1000) })
          .where(eq(users.id, user.id));
      }
      await this.audit(tx, user, lock ? 'lock' : 'sign_in_failed', meta);
      return lock;
    });
    if (lockedNow) throw new AppError('account_locked');
  }

  /** Starts a refresh-token family for a user who has proved who they are (password or OIDC). */
  async openSession(tx: Tx, user: UserRow, method: 'password' | 'oidc', meta: ClientMeta): Promise<SignInResult> {
    const refreshToken = newRefreshToken();
    const sessionId = randomUUID();
    await tx.insert(sessions).values({
      id: sessionId,
      tenantId: user.tenantId,
      tenantPath: user.tenantPath,
      userId: user.id,
      refreshDigest: digest(refreshToken),
      method,
      userAgent: meta.userAgent?.slice(0, 400) ?? null,
      ip: meta.ip ?? null,
      expiresAt: new Date(Date.now() + this.policy.refreshTtlSeconds * 1000),
    });
    await tx.update(users).set({ failedLogins: 0, lockedUntil: null, lastLoginAt: new Date() }).where(eq(users.id, user.id));
    await this.audit(tx, user, 'sign_in', meta, { method });
    return this.tokens(user, sessionId, refreshToken);
  }

  private async tokens(user: UserRow, sessionId: string, refreshToken: string): Promise<SignInResult> {
    const accessToken = await this.signer.sign({
      userId: user.id,
      username: user.username,
      tenantId: user.tenantId,
      tenantPath: user.tenantPath,
      orgPath: user.orgPath,
      sessionId,
    });
    return {
      tokenType: 'Bearer',
      accessToken,
      expiresIn: this.signer.accessTtl,
      refreshToken,
      user: { id: user.id, username: user.username, displayName: user.displayName, tenantId: user.tenantId },
    };
  }

  /**
   * Rotates a refresh token. Presenting a token that was already rotated means it was copied:
   * the whole session is revoked, so the thief and the owner both have to sign in again.
   */
  async refresh(refreshToken: string, meta: ClientMeta): Promise<SignInResult> {
    const presented = digest(refreshToken);
    const outcome = await asSystem(this.db, async (tx) => {
      const [session] = await tx
        .select()
        .from(sessions)
        .where(and(eq(sessions.refreshDigest, presented), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
        .for('update');
      if (!session) {
        const [stolen] = await tx
          .update(sessions)
          .set({ revokedAt: new Date() })
          .where(and(eq(sessions.previousDigest, presented), isNull(sessions.revokedAt)))
          .returning({ id: sessions.id });
        return stolen ? ({ kind: 'reused', sessionId: stolen.id } as const) : null;
      }
      const [user] = await tx.select().from(users).where(eq(users.id, session.userId));
      if (!user || user.status !== 'active') {
        await tx.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, session.id));
        return null;
      }
      const next = newRefreshToken();
      await tx
        .update(sessions)
        .set({ refreshDigest: digest(next), previousDigest: presented, refreshedAt: new Date(), ip: meta.ip ?? session.ip })
        .where(eq(sessions.id, session.id));
      return { kind: 'rotated', user, sessionId: session.id, next } as const;
    });
    if (!outcome) throw new AppError('invalid_refresh_token');
    if (outcome.kind === 'reused') {
      this.markRevoked(outcome.sessionId);
      throw new AppError('invalid_refresh_token');
    }
    return this.tokens(outcome.user, outcome.sessionId, outcome.next);
  }

  async signOut(principal: Principal, meta: ClientMeta): Promise<void> {
    await asSystem(this.db, async (tx) => {
      await tx.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, principal.sessionId));
      await this.auditPrincipal(tx, principal, 'sign_out', meta);
    });
    this.markRevoked(principal.sessionId);
  }

  async changePassword(principal: Principal, current: string, next: string, meta: ClientMeta): Promise<void> {
    const [user] = await asSystem(this.db, (tx) => tx.select().from(users).where(eq(users.id, principal.userId)));
    if (!user) throw new AppError('unauthenticated');
    if (!(await verifyPassword(user.passwordHash, current))) throw new AppError('wrong_password');
    assertStrongPassword(next, user.username);
    const hash = await hashPassword(next);
    const others = await asSystem(
      this.db,
      async (tx) => {
        await tx.update(users).set({ passwordHash: hash, passwordChangedAt: new Date(), updatedAt: new Date() }).where(eq(users.id, user.id));
        // Every other session of this user ends: a changed password must lock out whoever knew the old one.
        const ended = await tx
          .update(sessions)
          .set({ revokedAt: new Date() })
          .where(and(eq(sessions.userId, user.id), isNull(sessions.revokedAt), sql`${sessions.id} <> ${principal.sessionId}`))
          .returning({ id: sessions.id });
        await this.audit(tx, user, 'password_change', meta);
        return ended;
      },
      { userId: user.id, userName: user.username },
    );
    this.endSessions(others.map((s) => s.id));
  }

  isRevoked(sessionId: string): boolean {
    const until = this.revoked.get(sessionId);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.revoked.delete(sessionId);
      return false;
    }
    return true;
  }

  /**
   * Ends sessions already revoked in the database by someone else (an administrator disabling,
   * resetting or deleting the user): their access tokens stop working on this node at once.
   */
  endSessions(sessionIds: readonly string[]): void {
    if (sessionIds.length === 0) return;
    sessionIds.forEach((id) => this.markRevoked(id, false));
    this.announce?.([...sessionIds]);
  }

  /** Tells the other runtime nodes which sessions ended; set when the node joins its cluster. */
  announce: ((sessionIds: string[]) => void) | undefined;

  /** Sessions another node ended: refuse their access tokens here too, without announcing again. */
  acceptEndedElsewhere(sessionIds: readonly string[]): void {
    sessionIds.forEach((id) => this.markRevoked(id, false));
  }

  private markRevoked(sessionId: string, announce = true): void {
    const now = Date.now();
    for (const [id, until] of this.revoked) if (until < now) this.revoked.delete(id);
    this.revoked.set(sessionId, now + this.signer.accessTtl * 1000);
    if (announce) this.announce?.([sessionId]);
  }

  private audit(tx: Tx, user: UserRow, action: string, meta: ClientMeta, extra: Record<string, unknown> = {}) {
    return tx.insert(auditLog).values({
      tenantId: user.tenantId,
      tenantPath: user.tenantPath,
      actorId: user.id,
      actorName: user.username,
      action,
      entity: 'users',
      entityId: String(user.id),
      after: { ip: meta.ip ?? null, userAgent: meta.userAgent ?? null, ...extra },
      requestId: meta.requestId ?? null,
    });
  }

  private auditPrincipal(tx: Tx, p: Principal, action: string, meta: ClientMeta) {
    return tx.insert(auditLog).values({
      tenantId: p.tenantId,
      tenantPath: p.tenantPath,
      actorId: p.userId,
      actorName: p.username,
      action,
      entity: 'users',
      entityId: String(p.userId),
      after: { ip: meta.ip ?? null, sessionId: p.sessionId },
      requestId: meta.requestId ?? null,
    });
  }
}
