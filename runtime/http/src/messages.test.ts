import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { toAppError } from './error-handler.js';
import { errorMessages, negotiateLocale, type ErrorCode } from './messages.js';

const codes = Object.keys(errorMessages) as ErrorCode[];
const han = /\p{Script=Han}/u;

describe('Accept-Language negotiation', () => {
  it.each([
    [undefined, 'zh-CN'],
    ['', 'zh-CN'],
    ['*', 'zh-CN'],
    ['zh-CN', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['zh-Hant-HK', 'zh-CN'],
    ['en', 'en'],
    ['EN', 'en'],
    ['en-GB', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['fr', 'zh-CN'],
    ['fr-FR, de;q=0.8', 'zh-CN'],
    ['fr, en;q=0.5', 'en'],
    ['ja, fr;q=0.9, en-GB;q=0.3, zh;q=0.2', 'en'],
  ] as const)('%j → %s', (header, locale) => {
    expect(negotiateLocale(header)).toBe(locale);
  });

  it('follows q-values, not the order written', () => {
    expect(negotiateLocale('en;q=0.4, zh-CN;q=0.8')).toBe('zh-CN');
    expect(negotiateLocale('zh-CN;q=0.4, en;q=0.8')).toBe('en');
    expect(negotiateLocale('zh;q=0.5,en-GB')).toBe('en');
    expect(negotiateLocale(' en-GB ; q=0.8 , zh ; q=0.9 ')).toBe('zh-CN');
  });

  it('keeps the written order between equal q-values', () => {
    expect(negotiateLocale('en, zh')).toBe('en');
    expect(negotiateLocale('zh, en')).toBe('zh-CN');
    expect(negotiateLocale('en;q=0.7, zh;q=0.7')).toBe('en');
  });

  it('ignores languages refused with q=0 and malformed q-values', () => {
    expect(negotiateLocale('en;q=0')).toBe('zh-CN');
    expect(negotiateLocale('zh;q=0, en;q=0.1')).toBe('en');
    expect(negotiateLocale('en;q=abc')).toBe('zh-CN');
    expect(negotiateLocale('en;q=abc, fr')).toBe('zh-CN');
  });
});

describe('error messages', () => {
  it('every error code has a Chinese and an English text, and they are different', () => {
    expect(codes.length).toBeGreaterThan(20);
    for (const code of codes) {
      const text = errorMessages[code];
      expect(Object.keys(text).sort(), code).toEqual(['en', 'zh-CN']);
      expect(text['zh-CN'].trim().length, code).toBeGreaterThan(1);
      expect(text.en.trim().length, code).toBeGreaterThan(3);
      expect(text['zh-CN'], code).toMatch(han);
      expect(text.en, code).not.toMatch(han);
      expect(text.en, code).not.toBe(text['zh-CN']);
    }
  });

  it('the English texts are sentences, not codes', () => {
    for (const code of codes) {
      expect(errorMessages[code].en, code).toMatch(/^[A-Z]/);
      expect(errorMessages[code].en, code).not.toContain('_');
    }
  });

  it('every code maps to an HTTP error status; client mistakes are 4xx, only internal and not_ready are 5xx', () => {
    for (const code of codes) {
      const { status } = new AppError(code);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      if (code === 'internal' || code === 'not_ready') expect(status, code).toBeGreaterThanOrEqual(500);
      else expect(status, code).toBeLessThan(500);
    }
    expect(new AppError('internal').status).toBe(500);
    expect(new AppError('unauthenticated').status).toBe(401);
    expect(new AppError('forbidden').status).toBe(403);
    expect(new AppError('duplicate').status).toBe(409);
    expect(new AppError('payload_too_large').status).toBe(413);
    expect(new AppError('unsupported_media_type').status).toBe(415);
  });

  it('what lower layers throw becomes a code with a message in both languages', () => {
    const pg = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    const mapped: [unknown, ErrorCode][] = [
      [Object.assign(new Error('bad json'), { type: 'entity.parse.failed' }), 'malformed_json'],
      [Object.assign(new Error('big'), { type: 'entity.too.large' }), 'payload_too_large'],
      [Object.assign(new Error('latin1'), { type: 'charset.unsupported' }), 'unsupported_media_type'],
      [pg('23505'), 'duplicate'],
      [pg('23503', 'update or delete on table "org_units" violates foreign key constraint'), 'still_referenced'],
      [pg('23503', 'insert or update on table "users" violates foreign key constraint'), 'invalid_reference'],
      [pg('42501'), 'forbidden_tenant'],
      [pg('22P02'), 'validation_failed'],
      [pg('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), 'validation_failed'],
      [pg('22001'), 'validation_failed'],
      [pg('23514'), 'validation_failed'],
      [pg('40001'), 'conflict'],
      [new Error('wrapped', { cause: pg('23505') }), 'duplicate'],
    ];
    for (const [error, code] of mapped) {
      const appError = toAppError(error);
      expect(appError?.code, String(error)).toBe(code);
      expect(errorMessages[appError!.code]).toBeDefined();
    }
    expect(toAppError(new Error('relation "x" does not exist'))).toBeUndefined();
    expect(toAppError(pg('42P01'))).toBeUndefined();
  });
});
