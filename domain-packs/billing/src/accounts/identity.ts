/**
 * 证件号 and 电话: checks of a customer's identity number and phone before they are stored.
 *
 * - Resident identity number (居民身份证号码), GB 11643-1999: 17 digits (6 address code, 8 birth date, 3
 *   sequence) and a check character; weights 2^(17−i) mod 11 = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the
 *   check is '10X98765432'[Σ mod 11]. The birth date must be a real date.
 * - Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters of
 *   '0123456789ABCDEFGHJKLMNPQRTUWXY'; weights 3^i mod 31 = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28, the
 *   check is the character of (31 − Σ mod 31) mod 31.
 * - Passports and other documents: 3 to 40 letters, digits or '-'.
 * Phones are kept as digits (an optional leading '+'), spaces and dashes removed.
 */
import { isDate } from '../domain/index.js';

export type IdType = 'resident_id' | 'passport' | 'credit_code' | 'other';
export const ID_TYPES = ['resident_id', 'passport', 'credit_code', 'other'] as const satisfies readonly IdType[];

const RESIDENT_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_CHECK = '10X98765432';

/** The GB 11643 check character of the first 17 digits. */
export function residentIdCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * RESIDENT_WEIGHTS[i]!;
  return RESIDENT_CHECK[sum % 11]!;
}

/** Why a resident id is not valid, or null when it is (`id` already upper-cased). */
export function residentIdProblem(id: string): 'format' | 'birth_date' | 'check_digit' | null {
  if (!/^[1-9][0-9]{16}[0-9X]$/.test(id)) return 'format';
  if (!isDate(`${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`) || id.slice(6, 10) < '1900') return 'birth_date';
  return residentIdCheck(id.slice(0, 17)) === id[17] ? null : 'check_digit';
}

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** Why a unified social credit code is not valid, or null when it is (`code` already upper-cased). */
export function creditCodeProblem(code: string): 'format' | 'check_digit' | null {
  if (!/^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$/.test(code)) return 'format';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT_CHARS.indexOf(code[i]!) * CREDIT_WEIGHTS[i]!;
  return CREDIT_CHARS[(31 - (sum % 31)) % 31] === code[17] ? null : 'check_digit';
}

/** An identity number as stored: trimmed, upper-cased, inner spaces removed. */
export const normalizeIdNumber = (id: string): string => id.replace(/\s+/g, '').toUpperCase();

/** A phone as stored: digits with an optional leading '+', or null when it is not one (5 to 20 digits). */
export function normalizePhone(phone: string): string | null {
  const compact = phone.replace(/[\s()-]/g, '');
  return /^\+?[0-9]{5,20}$/.test(compact) ? compact : null;
}

/** Digits a phone search means: 4 digits (a suffix), or a whole phone (exact, or a suffix too); null otherwise. */
export function phoneDigits(q: string): string | null {
  const compact = q.replace(/[\s()-]/g, '');
  if (/^[0-9]{4}$/.test(compact)) return compact;
  return normalizePhone(q);
}
