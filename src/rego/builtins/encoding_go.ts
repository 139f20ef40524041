// Decoders with Go's behaviour and error texts, shared by the crypto and token families: OPA's
// messages quote Go's encoding/base64 ("illegal base64 data at input byte N") and encoding/pem
// (which reports what is left after a block).

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeTable(alphabet: string): Int16Array {
  const t = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}
const STD_TABLE = decodeTable(STD);
const URL_TABLE = decodeTable(URL);

export class Base64Error extends Error {
  constructor(readonly offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

const isNewline = (b: number): boolean => b === 0x0a || b === 0x0d;

/**
 * Go's base64 decoding (StdEncoding or URLEncoding, padded or raw): newlines are skipped, and
 * the first bad byte is reported by its offset in the UTF-8 input.
 */
export function goBase64Decode(text: string, opts: { url?: boolean; padded?: boolean } = {}): Buffer {
  const table = opts.url ? URL_TABLE : STD_TABLE;
  const padded = opts.padded ?? true;
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  let si = 0;
  for (;;) {
    const quantum = [0, 0, 0, 0];
    let j = 0;
    let dlen = 4;
    while (j < 4) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        if (j === 1 || padded) throw new Base64Error(si - j);
        dlen = j;
        break;
      }
      const b = src[si++];
      const v = table[b];
      if (v >= 0) {
        quantum[j++] = v;
        continue;
      }
      if (isNewline(b)) continue;
      if (b !== 0x3d || !padded) throw new Base64Error(si - 1);
      // Padding: only after two or three symbols, then nothing but newlines.
      if (j < 2) throw new Base64Error(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) throw new Base64Error(src.length);
        if (src[si] !== 0x3d) throw new Base64Error(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) throw new Base64Error(si);
      dlen = j;
      break;
    }
    const n = (quantum[0] << 18) | (quantum[1] << 12) | (quantum[2] << 6) | quantum[3];
    out.push((n >> 16) & 0xff);
    if (dlen > 2) out.push((n >> 8) & 0xff);
    if (dlen > 3) out.push(n & 0xff);
    if (dlen < 4) return Buffer.from(out);
  }
}

/**
 * OPA's base64url decoding: unpadded input is padded first (RFC 7515 appendix C), then decoded
 * with Go's padded URL alphabet.
 */
export function base64UrlDecode(text: string): Buffer {
  let s = text;
  if (!s.endsWith('=')) {
    switch (s.length % 4) {
      case 2:
        s += '==';
        break;
      case 3:
        s += '=';
        break;
      case 1:
        throw new Error(`illegal base64url string: ${text}`);
    }
  }
  return goBase64Decode(s, { url: true, padded: true });
}

export const base64UrlEncode = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

const PEM_BEGIN = '-----BEGIN ';
const PEM_END = '-----END ';
const PEM_DASHES = '-----';

/**
 * The first PEM block of `text` and what follows it, as Go's pem.Decode finds them (text before
 * the block is skipped; a malformed block is skipped too). Returns undefined when there is none.
 */
export function pemDecode(text: string): { block: PemBlock; rest: string } | undefined {
  let rest = text;
  for (;;) {
    const start = rest.startsWith(PEM_BEGIN) ? 0 : rest.indexOf('\n' + PEM_BEGIN);
    if (start < 0) return undefined;
    rest = rest.slice(start === 0 ? 0 : start + 1);
    const lineEnd = rest.indexOf('\n');
    const typeLine = (lineEnd < 0 ? rest : rest.slice(0, lineEnd)).replace(/\r$/, '');
    if (!typeLine.endsWith(PEM_DASHES) || lineEnd < 0) return undefined;
    const type = typeLine.slice(PEM_BEGIN.length, typeLine.length - PEM_DASHES.length);
    const body = rest.slice(lineEnd + 1);
    const endMarker = '\n' + PEM_END + type + PEM_DASHES;
    const emptyBlock = body.startsWith(PEM_END);
    const endAt = emptyBlock ? -1 : body.indexOf('\n' + PEM_END);
    // Without any end line further on, no later block can be complete either.
    if (!emptyBlock && endAt < 0) return undefined;
    if (!(emptyBlock ? body : body.slice(endAt + 1)).startsWith(PEM_END + type + PEM_DASHES)) {
      rest = body;
      continue;
    }
    const content = endAt < 0 ? '' : body.slice(0, endAt);
    let after = body.slice(endAt < 0 ? PEM_END.length + type.length + PEM_DASHES.length : endAt + endMarker.length);
    // The end line must finish the line; its line break belongs to the block.
    const trailer = /^[ \t]*(\r?\n|$)/.exec(after);
    if (!trailer) {
      rest = body;
      continue;
    }
    after = after.slice(trailer[0].length);
    const headers: Record<string, string> = {};
    const lines = content.split('\n');
    let i = 0;
    for (; i < lines.length; i++) {
      const m = /^([^:\s][^:]*):\s*(.*?)\r?$/.exec(lines[i]);
      if (!m) break;
      headers[m[1]] = m[2];
    }
    const b64 = lines.slice(i).join('\n');
    let bytes: Buffer;
    try {
      bytes = goBase64Decode(b64.replace(/[ \t]+$/gm, ''));
    } catch {
      rest = body;
      continue;
    }
    return { block: { type, headers, bytes }, rest: after };
  }
}

/** Every PEM block of `text`, in order. */
export function pemDecodeAll(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let rest = text;
  for (;;) {
    const r = pemDecode(rest);
    if (!r) return blocks;
    blocks.push(r.block);
    rest = r.rest;
  }
}
