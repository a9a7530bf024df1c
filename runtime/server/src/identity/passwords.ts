import argon2 from 'argon2';
import { AppError } from '@shuiyun/http';

// OWASP's argon2id setting: 19 MiB, 2 iterations, 1 lane.
const options = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

/** Hashed once at start-up so an unknown username costs as much time as a wrong password. */
let decoyHash: Promise<string> | undefined;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, options);
}

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) {
    decoyHash ??= hashPassword('decoy-password-1');
    await argon2.verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return argon2.verify(hash, password).catch(() => false);
}

/** At least 10 characters, with letters and digits, and not the username. */
export function assertStrongPassword(password: string, username?: string): void {
  const strong =
    password.length >= 10 &&
    password.length <= 256 &&
    /[A-Za-z]/.test(password) &&
    /[0-9]/.test(password) &&
    (!username || !password.toLowerCase().includes(username.toLowerCase()));
  if (!strong) throw new AppError('weak_password', { details: [{ path: 'body.password', message: 'weak password' }] });
}
