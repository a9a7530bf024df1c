import { createHash } from 'node:crypto';
import { asSystem, type Db, identityProviders, oidcLoginStates, roles, type Tx, userIdentities, userRoles, users } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { and, asc, eq, notExists, sql } from 'drizzle-orm';
import * as oidc from 'openid-client';
import type { PermissionModel } from '../permissions/permission-model.js';
import type { ClientMeta, SignInResult, SignInService } from './sign-in.js';

type ProviderRow = typeof identityProviders.$inferSelect;
type UserRow = typeof users.$inferSelect;

export interface OidcPolicy {
  /** How long a discovered issuer configuration is reused before it is fetched again. */
  discoveryTtlSeconds: number;
  /** How long a started login may take before its callback is refused. */
  loginTtlSeconds: number;
  /** Seconds an exchange with the identity provider may take. */
  requestTimeoutSeconds: number;
}

const defaultPolicy: OidcPolicy = { discoveryTtlSeconds: 15 * 60, loginTtlSeconds: 10 * 60, requestTimeoutSeconds: 10 };

/** The authorisation response as it reached the callback, validated by the route. */
export interface CallbackParams {
  state: string;
  error?: string | undefined;
  /** The callback's query string exactly as received: openid-client checks `iss` and `code` from it. */
  search: string;
}

/** Who the identity provider says signed in, from the ID token and, when needed, its userinfo endpoint. */
interface ExternalIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  preferredUsername: string | null;
}

interface ExchangeResult {
  configuration: oidc.Configuration;
  accessToken: string;
  claims: oidc.IDToken;
}

/**
 * A login may only come back to a path on this site: starts with one `/` (not `//` or `/\`, which
 * browsers read as another host), has no fragment (the tokens travel in it) and no control characters.
 */
export function isSameSitePath(value: string): boolean {
  if (!value.startsWith('/') || value[1] === '/' || value.includes('\\') || value.includes('#')) return false;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code <= 0x20 || code === 0x7f) return false;
  }
  return true;
}

/** http issuers are only trusted on this machine (tests, a local IdP); anywhere else the IdP must use TLS. */
function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : null;
}

/** A username the directory accepts (see user-routes), derived from what the IdP calls the person. */
function usernameBase(identity: ExternalIdentity): string {
  const given = identity.preferredUsername ?? identity.email ?? `sso-${identity.subject}`;
  let base = given.replace(/[^A-Za-z0-9._@-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  if (base.length < 2) base = `sso-${createHash('sha256').update(identity.subject).digest('hex').slice(0, 10)}`;
  return base.slice(0, 56);
}

/**
 * OpenID Connect sign-in (authorisation code + PKCE) against the identity providers tenants configure.
 * Pending logins live in the database, so the callback may land on any runtime node.
 */
export class OidcSignIn {
  private readonly configurations = new Map<string, { expiresAt: number; configuration: Promise<oidc.Configuration> }>();
  private readonly policy: OidcPolicy;

  constructor(
    private readonly db: Db,
    private readonly signIn: SignInService,
    private readonly permissions: PermissionModel,
    policy: Partial<OidcPolicy> = {},
  ) {
    this.policy = { ...defaultPolicy, ...policy };
  }

  /** Enabled providers, for the buttons on a sign-in page: nothing about their configuration leaves. */
  enabledProviders(): Promise<{ code: string; name: string }[]> {
    return asSystem(this.db, (tx) =>
      tx
        .select({ code: identityProviders.code, name: identityProviders.name })
        .from(identityProviders)
        .where(eq(identityProviders.enabled, true))
        .orderBy(asc(identityProviders.name), asc(identityProviders.code)),
    );
  }

  /** Records a pending login and answers the provider's authorisation URL to send the browser to. */
  async begin(code: string, redirectUri: string, returnTo: string | undefined): Promise<URL> {
    const provider = await this.enabledProvider(code);
    const configuration = await this.configurationOf(provider);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const codeChallenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
    await asSystem(this.db, async (tx) => {
      // Abandoned logins are swept here, so the table stays as small as the logins in flight.
      await tx.delete(oidcLoginStates).where(sql`${oidcLoginStates.createdAt} < now() - make_interval(secs => ${this.policy.loginTtlSeconds})`);
      await tx.insert(oidcLoginStates).values({ state, providerId: provider.id, nonce, codeVerifier, returnTo: returnTo ?? null });
    });
    const scopes = new Set(provider.scopes.split(/\s+/).filter(Boolean));
    scopes.add('openid');
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: [...scopes].join(' '),
      state,
      nonce,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    });
  }

  /**
   * Finishes a login: consumes its state (once), exchanges the code, maps the IdP's subject to a user
   * (linked identity, verified email, or a new user when the provider provisions) and opens a session.
   */
  async finish(code: string, redirectUri: string, params: CallbackParams, meta: ClientMeta): Promise<{ session: SignInResult; returnTo: string | null }> {
    const provider = await this.enabledProvider(code);
    const [pending] = await asSystem(this.db, (tx) =>
      tx
        .delete(oidcLoginStates)
        .where(and(eq(oidcLoginStates.state, params.state), eq(oidcLoginStates.providerId, provider.id)))
        .returning({
          nonce: oidcLoginStates.nonce,
          codeVerifier: oidcLoginStates.codeVerifier,
          returnTo: oidcLoginStates.returnTo,
          expired: sql<boolean>`${oidcLoginStates.createdAt} < now() - make_interval(secs => ${this.policy.loginTtlSeconds})`,
        }),
    );
    if (params.error) {
      throw new AppError('sso_failed', { details: [{ path: 'query.error', code: params.error, message: 'the identity provider refused the sign-in' }] });
    }
    if (!pending) throw new AppError('sso_failed', { details: [{ path: 'query.state', message: 'unknown, used or foreign login state' }] });
    if (pending.expired) throw new AppError('sso_failed', { details: [{ path: 'query.state', message: 'the login took too long; start again' }] });

    const exchanged = await this.exchange(provider, redirectUri, params, pending);
    const subject = exchanged.claims.sub;

    // The common case, a known subject, needs neither the userinfo endpoint nor a lock.
    const known = await asSystem(this.db, async (tx) => {
      const user = await this.linkedUser(tx, provider.id, subject);
      return user ? this.open(tx, user, meta) : null;
    });
    if (known) return { session: known, returnTo: pending.returnTo };

    const identity = await this.identityOf(exchanged);
    const outcome = await asSystem(
      this.db,
      async (tx) => {
        // Two first logins of one subject (a double-clicked button) must not create two users.
        await tx.execute(sql`select pg_advisory_xact_lock(${provider.id}::int, hashtext(${subject}))`);
        const linked = await this.linkedUser(tx, provider.id, subject);
        if (linked) return { session: await this.open(tx, linked, meta), rolesChanged: false };
        const byEmail = await this.userWithVerifiedEmail(tx, provider, identity);
        if (byEmail) {
          await this.link(tx, provider, byEmail, subject);
          return { session: await this.open(tx, byEmail, meta), rolesChanged: false };
        }
        if (!provider.autoProvision) {
          throw new AppError('sso_not_linked', { details: [{ path: 'sub', message: `no user is linked to this ${provider.code} account` }] });
        }
        const { user, rolesChanged } = await this.provision(tx, provider, identity);
        return { session: await this.open(tx, user, meta), rolesChanged };
      },
      { userName: `sso:${provider.code}` },
    );
    if (outcome.rolesChanged) await this.permissions.changed();
    return { session: outcome.session, returnTo: pending.returnTo };
  }

  private async enabledProvider(code: string): Promise<ProviderRow> {
    const [provider] = await asSystem(this.db, (tx) =>
      tx
        .select()
        .from(identityProviders)
        .where(and(eq(identityProviders.code, code), eq(identityProviders.enabled, true))),
    );
    if (!provider) throw new AppError('not_found', { details: [{ path: 'params.code', message: `no enabled identity provider: ${code}` }] });
    return provider;
  }

  /**
   * The issuer's discovered configuration, shared by concurrent logins and kept for a while: discovery is
   * a round trip to the IdP that every login would otherwise pay. The key includes the secret's digest,
   * so an edited provider is discovered afresh.
   */
  private configurationOf(provider: ProviderRow): Promise<oidc.Configuration> {
    const secret = provider.clientSecret ? createHash('sha256').update(provider.clientSecret).digest('base64url') : '';
    const key = JSON.stringify([provider.id, provider.issuer, provider.clientId, secret]);
    const now = Date.now();
    const cached = this.configurations.get(key);
    if (cached && cached.expiresAt > now) return cached.configuration;
    for (const [k, entry] of this.configurations) if (entry.expiresAt <= now) this.configurations.delete(k);

    const issuer = new URL(provider.issuer);
    const configuration = oidc
      .discovery(
        issuer,
        provider.clientId,
        provider.clientSecret ?? undefined,
        // client_secret_basic is what a registration without a stated method gets (OIDC Registration §2);
        // without a secret the client is public and PKCE alone binds the code.
        provider.clientSecret ? oidc.ClientSecretBasic(provider.clientSecret) : oidc.None(),
        { execute: isLoopback(issuer) ? [oidc.allowInsecureRequests] : [], timeout: this.policy.requestTimeoutSeconds },
      )
      .catch((cause: unknown) => {
        this.configurations.delete(key);
        throw new AppError('sso_failed', {
          status: 502,
          cause,
          details: [{ path: 'issuer', message: 'the identity provider could not be reached or its discovery document is invalid' }],
        });
      });
    this.configurations.set(key, { expiresAt: now + this.policy.discoveryTtlSeconds * 1000, configuration });
    return configuration;
  }

  private async exchange(
    provider: ProviderRow,
    redirectUri: string,
    params: CallbackParams,
    pending: { nonce: string; codeVerifier: string },
  ): Promise<ExchangeResult> {
    const configuration = await this.configurationOf(provider);
    const current = new URL(redirectUri);
    current.search = params.search;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: params.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('the token response carries no ID token');
      return { configuration, accessToken: tokens.access_token, claims };
    } catch (cause) {
      throw new AppError('sso_failed', { cause, details: [{ path: 'query.code', message: 'the authorisation code could not be exchanged' }] });
    }
  }

  /** ID token claims, completed from the userinfo endpoint: many IdPs put email and name only there. */
  private async identityOf({ configuration, accessToken, claims }: ExchangeResult): Promise<ExternalIdentity> {
    let merged: Record<string, unknown> = { ...claims };
    if (configuration.serverMetadata().userinfo_endpoint) {
      try {
        const info = await oidc.fetchUserInfo(configuration, accessToken, claims.sub);
        merged = { ...info, ...claims };
      } catch (cause) {
        throw new AppError('sso_failed', { cause, details: [{ path: 'userinfo', message: 'the identity provider did not answer who signed in' }] });
      }
    }
    const email = text(merged.email, 200);
    return {
      subject: claims.sub,
      email: email && email.includes('@') ? email : null,
      // Only a literal `true` counts: some IdPs send the string "true", others leave it out for unverified mail.
      emailVerified: merged.email_verified === true,
      name: text(merged.name, 100),
      preferredUsername: text(merged.preferred_username, 64),
    };
  }

  private async linkedUser(tx: Tx, providerId: number, subject: string): Promise<UserRow | undefined> {
    const [row] = await tx
      .select({ user: users })
      .from(userIdentities)
      .innerJoin(users, eq(users.id, userIdentities.userId))
      .where(and(eq(userIdentities.providerId, providerId), eq(userIdentities.subject, subject)));
    return row?.user;
  }

  /**
   * The one user of the provider's tenant whose email the IdP has verified as this person's, and who is
   * not already linked to another account of the same provider. Unverified email never links: anyone can
   * type someone else's address into an IdP profile.
   */
  private async userWithVerifiedEmail(tx: Tx, provider: ProviderRow, identity: ExternalIdentity): Promise<UserRow | undefined> {
    if (!identity.emailVerified || !identity.email) return undefined;
    const matches = await tx
      .select()
      .from(users)
      .where(
        and(
          eq(users.tenantId, provider.tenantId),
          eq(sql`lower(${users.email})`, identity.email.toLowerCase()),
          notExists(
            tx
              .select({ one: sql`1` })
              .from(userIdentities)
              .where(and(eq(userIdentities.userId, users.id), eq(userIdentities.providerId, provider.id))),
          ),
        ),
      )
      .limit(2);
    return matches.length === 1 ? matches[0] : undefined;
  }

  private async link(tx: Tx, provider: ProviderRow, user: UserRow, subject: string): Promise<void> {
    await tx.insert(userIdentities).values({ tenantId: user.tenantId, tenantPath: user.tenantPath, userId: user.id, providerId: provider.id, subject });
  }

  /** A new password-less user in the provider's tenant, linked to the subject, with the provider's default role. */
  private async provision(tx: Tx, provider: ProviderRow, identity: ExternalIdentity): Promise<{ user: UserRow; rolesChanged: boolean }> {
    const base = usernameBase(identity);
    let user: UserRow | undefined;
    for (let attempt = 1; !user; attempt++) {
      const suffix = attempt === 1 ? '' : attempt <= 20 ? `-${attempt}` : `-${createHash('sha256').update(`${identity.subject}:${attempt}`).digest('hex').slice(0, 6)}`;
      if (attempt > 40) throw new AppError('conflict', { details: [{ path: 'username', message: `no free username near ${base}` }] });
      // Usernames are unique across all tenants: a taken one gets a numbered sibling.
      [user] = await tx
        .insert(users)
        .values({
          tenantId: provider.tenantId,
          tenantPath: provider.tenantPath,
          username: `${base}${suffix}`,
          displayName: identity.name ?? identity.preferredUsername ?? identity.email ?? base,
          email: identity.emailVerified ? identity.email : null,
          passwordHash: null,
        })
        .onConflictDoNothing()
        .returning();
    }
    await this.link(tx, provider, user, identity.subject);
    if (!provider.defaultRoleId) return { user, rolesChanged: false };
    const [role] = await tx
      .select({ id: roles.id })
      .from(roles)
      .where(and(eq(roles.id, provider.defaultRoleId), eq(roles.tenantId, provider.tenantId)));
    if (!role) return { user, rolesChanged: false };
    await tx.insert(userRoles).values({ userId: user.id, roleId: role.id, tenantId: user.tenantId, tenantPath: user.tenantPath });
    return { user, rolesChanged: true };
  }

  private open(tx: Tx, user: UserRow, meta: ClientMeta): Promise<SignInResult> {
    if (user.status !== 'active') throw new AppError('account_disabled');
    return this.signIn.openSession(tx, user, 'oidc', meta);
  }
}
