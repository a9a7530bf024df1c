/**
 * A text file (a CSV of a bank or a concentrator) read in the browser into a form field. Files from
 * Chinese systems are often GB18030 (GBK) rather than UTF-8: `auto` reads UTF-8 when the bytes are valid
 * UTF-8 (a BOM is dropped) and GB18030 otherwise.
 */

export type TextEncoding = 'auto' | 'utf-8' | 'gb18030';
export const TEXT_ENCODINGS: readonly TextEncoding[] = ['auto', 'utf-8', 'gb18030'];

/** The biggest file a form reads unless configured otherwise (the packs' usual body limit has room for it). */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

/** What a file field holds: the file's name and its text. */
export interface TextFileValue {
  name: string;
  text: string;
  size: number;
}

export type TextFileProblem = 'tooLarge' | 'binary' | 'unreadable';

/** The bytes as text in the encoding (`auto`: UTF-8 if valid, else GB18030), without a BOM. */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding = 'auto'): string {
  let text: string;
  if (encoding === 'gb18030') text = new TextDecoder('gb18030').decode(bytes);
  else if (encoding === 'utf-8') text = new TextDecoder('utf-8').decode(bytes);
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      text = new TextDecoder('gb18030').decode(bytes);
    }
  }
  return text.replace(/^\uFEFF/, '');
}

/** A NUL byte in the first 8 KiB: an image, a spreadsheet or an archive, not a text file. */
export function looksBinary(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 8192);
  return head.includes(0);
}

/** Reads a chosen file as text, or says why not. */
export async function readTextFile(file: Blob & { name?: string }, options: { encoding?: TextEncoding; maxBytes?: number } = {}): Promise<{ ok: true; value: TextFileValue } | { ok: false; problem: TextFileProblem }> {
  const max = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (file.size > max) return { ok: false, problem: 'tooLarge' };
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch {
    return { ok: false, problem: 'unreadable' };
  }
  if (looksBinary(bytes)) return { ok: false, problem: 'binary' };
  return { ok: true, value: { name: file.name ?? 'file.txt', text: decodeText(bytes, options.encoding ?? 'auto'), size: file.size } };
}

/** Lines of a text (empty trailing lines not counted), for the field's summary. */
export function countLines(text: string): number {
  const trimmed = text.replace(/(\r?\n)+$/, '');
  return trimmed === '' ? 0 : trimmed.split(/\r?\n/).length;
}
