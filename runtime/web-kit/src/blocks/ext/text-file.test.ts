import { describe, expect, it } from 'vitest';
import { countLines, decodeText, looksBinary, readTextFile } from './text-file.js';

const gbk = (text: string) => {
  // 张三,100.50 in GB18030, built from its bytes (Node's TextEncoder only writes UTF-8).
  const table: Record<string, number[]> = { 张: [0xd5, 0xc5], 三: [0xc8, 0xfd] };
  return new Uint8Array([...text].flatMap((c) => table[c] ?? [c.charCodeAt(0)]));
};

describe('text files', () => {
  it('reads UTF-8, without a BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFFaccountNo,amount\nA1,10.00\n');
    expect(decodeText(bytes)).toBe('accountNo,amount\nA1,10.00\n');
    expect(decodeText(bytes, 'utf-8')).toBe('accountNo,amount\nA1,10.00\n');
  });

  it('falls back to GB18030 when the bytes are not UTF-8', () => {
    const bytes = gbk('张三,100.50');
    expect(decodeText(bytes)).toBe('张三,100.50');
    expect(decodeText(bytes, 'gb18030')).toBe('张三,100.50');
    expect(decodeText(bytes, 'utf-8')).not.toBe('张三,100.50');
  });

  it('reads a chosen file, and refuses one too large or binary', async () => {
    const file = Object.assign(new Blob(['a,b\r\n1,2\r\n']), { name: 'bank.csv' });
    expect(await readTextFile(file)).toEqual({ ok: true, value: { name: 'bank.csv', text: 'a,b\r\n1,2\r\n', size: 10 } });
    expect(await readTextFile(file, { maxBytes: 5 })).toEqual({ ok: false, problem: 'tooLarge' });
    const png = Object.assign(new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d])]), { name: 'x.png' });
    expect(await readTextFile(png)).toEqual({ ok: false, problem: 'binary' });
    expect(looksBinary(new TextEncoder().encode('plain'))).toBe(false);
  });

  it('counts lines, not the trailing newline', () => {
    expect(countLines('')).toBe(0);
    expect(countLines('a')).toBe(1);
    expect(countLines('a\nb\n')).toBe(2);
    expect(countLines('a\r\nb\r\n\r\n')).toBe(2);
  });
});
