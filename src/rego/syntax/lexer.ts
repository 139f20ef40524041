// Tokenizer for Rego source. Newlines separate body literals, so each token records whether a
// newline (or any whitespace) came before it.

import { RegoError } from '../errors';

export type TokKind = 'ident' | 'string' | 'number' | 'punct' | 'template' | 'eof';

export interface Token {
  kind: TokKind;
  /** Ident name, punctuation text, number text, or the decoded string value. */
  text: string;
  row: number;
  col: number;
  /** A newline comes between the previous token and this one. */
  nl: boolean;
  /** Any whitespace (or comment) comes between the previous token and this one. */
  ws: boolean;
  raw?: boolean;
  /** For template strings: literal parts and expression source slices, alternating. */
  parts?: { text: string; expr: boolean; row: number; col: number }[];
  /** Offset of the token start (for slicing source text). */
  offset: number;
}

const PUNCT3 = [':='];
const PUNCT2 = ['==', '!=', '<=', '>=', ':='];
const PUNCT1 = '{}[]().,;:=<>+-*/%&|!';

export interface Comment {
  row: number;
  col: number;
  /** Text after the `#`. */
  text: string;
}

export function tokenize(file: string, src: string, comments?: Comment[]): Token[] {
  const toks: Token[] = [];
  let i = 0;
  let row = 1;
  let lineStart = 0;
  const n = src.length;
  let nl = true;
  let ws = true;
  const fail = (msg: string, r = row, c = i - lineStart + 1): never => {
    throw new RegoError('rego_parse_error', msg, { file, row: r, col: c });
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      row++;
      lineStart = i;
      nl = true;
      ws = true;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      ws = true;
      continue;
    }
    if (c === 35) {
      // # comment
      const startCol = i - lineStart + 1;
      const begin = i;
      while (i < n && src.charCodeAt(i) !== 10) i++;
      comments?.push({ row, col: startCol, text: src.slice(begin + 1, i).replace(/\r$/, '') });
      ws = true;
      continue;
    }
    const col = i - lineStart + 1;
    const start = i;
    const push = (kind: TokKind, text: string, extra?: Partial<Token>) => {
      toks.push({ kind, text, row, col, nl, ws, offset: start, ...extra });
      nl = false;
      ws = false;
    };
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      push('ident', src.slice(i, j));
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i;
      while (j < n && isDigit(src.charCodeAt(j))) j++;
      if (src[j] === '.' && isDigit(src.charCodeAt(j + 1))) {
        j++;
        while (j < n && isDigit(src.charCodeAt(j))) j++;
      }
      if (src[j] === 'e' || src[j] === 'E') {
        let k = j + 1;
        if (src[k] === '+' || src[k] === '-') k++;
        if (isDigit(src.charCodeAt(k))) {
          j = k;
          while (j < n && isDigit(src.charCodeAt(j))) j++;
        }
      }
      if (j < n && (isIdentStart(src.charCodeAt(j)) || src[j] === '.' && isDigit(src.charCodeAt(j + 1)))) {
        fail('illegal number format', row, col);
      }
      push('number', src.slice(i, j));
      i = j;
      continue;
    }
    if (c === 34) {
      const [value, end] = readString(src, i, fail);
      push('string', value);
      i = end;
      continue;
    }
    if (c === 96) {
      const end = src.indexOf('`', i + 1);
      if (end < 0) fail('non-terminated raw string', row, col);
      const value = src.slice(i + 1, end);
      for (let k = i; k < end; k++) if (src.charCodeAt(k) === 10) { row++; lineStart = k + 1; }
      push('string', value, { raw: true });
      i = end + 1;
      continue;
    }
    if (c === 36 && (src[i + 1] === '"' || src[i + 1] === '`')) {
      const res = readTemplate(src, i + 1, row, lineStart, fail);
      push('template', '', { parts: res.parts });
      i = res.end;
      row = res.row;
      lineStart = res.lineStart;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.includes(two) || PUNCT3.includes(two)) {
      push('punct', two);
      i += 2;
      continue;
    }
    if (PUNCT1.includes(src[i])) {
      push('punct', src[i]);
      i++;
      continue;
    }
    fail(`illegal token`, row, col);
  }
  toks.push({ kind: 'eof', text: '', row, col: i - lineStart + 1, nl: true, ws: true, offset: n });
  return toks;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function readString(src: string, i: number, fail: (m: string) => never): [string, number] {
  let j = i + 1;
  let simple = true;
  while (j < src.length) {
    const ch = src.charCodeAt(j);
    if (ch === 34) break;
    if (ch === 10) fail('non-terminated string');
    if (ch === 92) {
      simple = false;
      j += 2;
      continue;
    }
    j++;
  }
  if (j >= src.length) fail('non-terminated string');
  const body = src.slice(i + 1, j);
  if (simple) return [body, j + 1];
  try {
    return [JSON.parse('"' + body + '"') as string, j + 1];
  } catch {
    return fail('illegal escape sequence in string');
  }
}

function readTemplate(
  src: string,
  i: number,
  row: number,
  lineStart: number,
  fail: (m: string) => never,
): { parts: { text: string; expr: boolean; row: number; col: number }[]; end: number; row: number; lineStart: number } {
  const quote = src[i];
  const parts: { text: string; expr: boolean; row: number; col: number }[] = [];
  let j = i + 1;
  let lit = '';
  while (true) {
    if (j >= src.length) fail('non-terminated template string');
    const ch = src[j];
    if (ch === quote) break;
    if (ch === '\n') {
      if (quote === '"') fail('non-terminated template string');
      row++;
      lineStart = j + 1;
    }
    if (ch === '\\' && quote === '`' && src[j + 1] === '{') {
      lit += '{';
      j += 2;
      continue;
    }
    if (ch === '\\' && quote === '"') {
      const nx = src[j + 1];
      if (nx === '{' || nx === '}') {
        lit += nx;
        j += 2;
        continue;
      }
      const esc = src.slice(j, j + (nx === 'u' ? 6 : 2));
      try {
        lit += JSON.parse('"' + esc + '"');
      } catch {
        fail('illegal escape sequence in string');
      }
      j += esc.length;
      continue;
    }
    if (ch === '{') {
      if (lit) parts.push({ text: lit, expr: false, row, col: 0 });
      lit = '';
      let depth = 1;
      const startCol = j + 1 - lineStart + 1;
      const startRow = row;
      let k = j + 1;
      while (k < src.length && depth > 0) {
        const c2 = src[k];
        if (c2 === '{') depth++;
        else if (c2 === '}') depth--;
        else if (c2 === '"') {
          k++;
          while (k < src.length && src[k] !== '"') k += src[k] === '\\' ? 2 : 1;
        } else if (c2 === '\n') {
          row++;
          lineStart = k + 1;
        }
        if (depth > 0) k++;
      }
      if (depth > 0) fail('non-terminated template string');
      parts.push({ text: src.slice(j + 1, k), expr: true, row: startRow, col: startCol });
      j = k + 1;
      continue;
    }
    lit += ch;
    j++;
  }
  if (lit) parts.push({ text: lit, expr: false, row, col: 0 });
  return { parts, end: j + 1, row, lineStart };
}
