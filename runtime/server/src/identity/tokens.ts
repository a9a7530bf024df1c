import { createHash, randomBytes } from 'node:crypto';
import { asSystem, type Db, systemSecrets } from '@shuiyun/db';
import { eq } from 'drizzle-orm';
import { errors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '@shuiyun/http';

/** Who is calling, as carried in the access token. */
export interface Principal {
  userId: number;
  username: string;
  tenantId: number;
  tenantPath: string;
  orgPath: string | null;
  sessionId: string;
}

const ISSUER = 'shuiyun';

/** Signs and checks access tokens with a key shared by every runtime node through the database. */
export class TokenSigner {
  private constructor(
    private readonly key: Uint8Array,
    private readonly ttlSeconds: number,
  ) {}

  static async load(db: Db, ttlSeconds: number): Promise<TokenSigner> {
    const value = await asSystem(db, async (tx) => {
      await tx
        .insert(systemSecrets)
        .values({ name: 'access-token-key', value: randomBytes(32).toString('base64') })
        .onConflictDoNothing();
      const [row] = await tx.select().from(systemSecrets).where(eq(systemSecrets.name, 'access-token-key'));
      return row!.value;
    });
    return new TokenSigner(Buffer.from(value, 'base64'), ttlSeconds);
  }

  get accessTtl(): number {
    return this.ttlSeconds;
  }

  sign(p: Principal): Promise<string> {
    return new SignJWT({ name: p.username, ten: p.tenantId, tp: p.tenantPath, org: p.orgPath, sid: p.sessionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(p.userId))
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      return {
        userId: Number(payload.sub),
        username: String(payload.name),
        tenantId: Number(payload.ten),
        tenantPath: String(payload.tp),
        orgPath: typeof payload.org === 'string' ? payload.org : null,
        sessionId: String(payload.sid),
      };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AppError('token_expired');
      throw new AppError('unauthenticated');
    }
  }
}

export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

export function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
