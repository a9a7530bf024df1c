/**
 * The runtime API from the browser: bearer tokens from the session, one refresh on 401, the
 * runtime's error body (`{error: {code, message, details}}`) as an `ApiError`.
 */

export interface ErrorDetail {
  path?: string;
  code?: string;
  message: string;
  /** BPMN element a deploy error is about (process publish). */
  elementId?: string;
  [key: string]: unknown;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export interface SignedInUser {
  id: number;
  username: string;
  displayName: string;
  tenantId: number;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  user: SignedInUser;
}

const STORAGE_KEY = 'shuiyun.session';

/** Tokens kept in localStorage so a reload keeps the user signed in. */
export const tokenStore = {
  read(): Tokens | null {
    try {
      const raw = localStorage.getItem(STORAGE_KEY);
      return raw ? (JSON.parse(raw) as Tokens) : null;
    } catch {
      return null;
    }
  },
  write(tokens: Tokens | null) {
    if (tokens) localStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    else localStorage.removeItem(STORAGE_KEY);
    for (const listener of listeners) listener(tokens);
  },
  subscribe(listener: (tokens: Tokens | null) => void) {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
};
const listeners = new Set<(tokens: Tokens | null) => void>();

let language = 'zh-CN';
/** The language the API answers messages in (`accept-language`). */
export function setApiLanguage(lang: string) {
  language = lang;
}

type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

let refreshing: Promise<boolean> | null = null;

async function refresh(): Promise<boolean> {
  const tokens = tokenStore.read();
  if (!tokens) return false;
  refreshing ??= (async () => {
    try {
      const res = await fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: tokens.refreshToken }),
      });
      if (!res.ok) {
        tokenStore.write(null);
        return false;
      }
      const body = (await res.json()) as Tokens;
      tokenStore.write({ accessToken: body.accessToken, refreshToken: body.refreshToken, user: body.user });
      return true;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: ErrorDetail[] } };
    return new ApiError(res.status, body.error?.code ?? 'http_' + res.status, body.error?.message ?? res.statusText, body.error?.details ?? []);
  } catch {
    return new ApiError(res.status, 'http_' + res.status, res.statusText);
  }
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Answer the raw response (files, streams) instead of parsed JSON. */
  raw?: boolean;
}

/** One request to the runtime; JSON in and out. */
export async function request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const send = () => {
    const tokens = tokenStore.read();
    const headers: Record<string, string> = { 'accept-language': language };
    if (tokens) headers.authorization = `Bearer ${tokens.accessToken}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(withQuery(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  };
  let res = await send();
  if (res.status === 401 && tokenStore.read() && !path.startsWith('/api/auth/')) {
    if (await refresh()) res = await send();
  }
  if (!res.ok) throw await toError(res);
  if (options.raw) return res as unknown as T;
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T = unknown>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T = unknown>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { body: body ?? {}, query }),
  put: <T = unknown>(path: string, body?: unknown) => request<T>('PUT', path, { body: body ?? {} }),
  patch: <T = unknown>(path: string, body?: unknown) => request<T>('PATCH', path, { body: body ?? {} }),
  delete: <T = unknown>(path: string) => request<T>('DELETE', path),
};

export async function signIn(username: string, password: string): Promise<Tokens> {
  const body = await request<Tokens & { tokenType: string }>('POST', '/api/auth/login', { body: { username, password } });
  const tokens = { accessToken: body.accessToken, refreshToken: body.refreshToken, user: body.user };
  tokenStore.write(tokens);
  return tokens;
}

export async function signOut(): Promise<void> {
  try {
    if (tokenStore.read()) await request('POST', '/api/auth/logout', { body: {} });
  } catch {
    // The session ends locally whatever the server says.
  }
  tokenStore.write(null);
}
