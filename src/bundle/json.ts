// JSON for bundle files: a parser that reports row and column of a syntax error and keeps number
// literals as written (OPA hashes structured files with their numbers' original text), plus the
// canonical encoding OPA's signature hashing uses.

import { setMember } from '../json-member';

/** A number literal exactly as written in the source text. */
export class RawNumber {
  constructor(readonly text: string) {}
}

export type RawJSON = null | boolean | string | RawNumber | RawJSON[] | { [key: string]: RawJSON };

export class JSONSyntaxError extends Error {
  constructor(
    message: string,
    readonly row: number,
    readonly col: number,
  ) {
    super(message);
    this.name = 'JSONSyntaxError';
  }
}

/** Deeper JSON is refused: no policy data needs it, and recursive consumers would overflow the stack. */
export const MAX_DEPTH = 1000;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON text, keeping number literals as RawNumber. Throws JSONSyntaxError. */
export function parseRawJSON(text: string): RawJSON {
  const p = new Parser(text);
  p.skipSpace();
  const value = p.value(0);
  p.skipSpace();
  if (p.pos < text.length) p.fail(`unexpected ${p.describeHere()} after the JSON value`);
  return value;
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(message: string, at = this.pos): never {
    let row = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) {
        row++;
        lineStart = i + 1;
      }
    }
    throw new JSONSyntaxError(message, row, at - lineStart + 1);
  }

  describeHere(): string {
    if (this.pos >= this.text.length) return 'end of input';
    return `character ${JSON.stringify(this.text[this.pos])}`;
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  value(depth: number): RawJSON {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return this.number();
        return this.fail(`unexpected ${this.describeHere()}, expected a JSON value`);
    }
  }

  literal<T extends RawJSON>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    return this.fail(`unexpected ${this.describeHere()}, expected a JSON value`);
  }

  object(depth: number): RawJSON {
    const out: { [key: string]: RawJSON } = {};
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    while (true) {
      if (this.text[this.pos] !== '"') this.fail(`unexpected ${this.describeHere()}, expected a string object key`);
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail(`unexpected ${this.describeHere()}, expected ':' after object key`);
      this.pos++;
      this.skipSpace();
      setMember(out, key, this.value(depth + 1));
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipSpace();
      } else if (c === '}') {
        this.pos++;
        return out;
      } else this.fail(`unexpected ${this.describeHere()}, expected ',' or '}' in object`);
    }
  }

  array(depth: number): RawJSON {
    const out: RawJSON[] = [];
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    while (true) {
      out.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipSpace();
      } else if (c === ']') {
        this.pos++;
        return out;
      } else this.fail(`unexpected ${this.describeHere()}, expected ',' or ']' in array`);
    }
  }

  string(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++;
    let out = '';
    let chunkStart = this.pos;
    while (true) {
      if (this.pos >= t.length) this.fail('unterminated string', start);
      const c = t.charCodeAt(this.pos);
      if (c === 34) {
        out += t.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 92) {
        this.pos++;
        continue;
      }
      out += t.slice(chunkStart, this.pos);
      const e = t[this.pos + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = t.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape in string');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.fail('invalid escape in string');
      }
      this.pos += 2;
      chunkStart = this.pos;
    }
  }

  number(): RawNumber {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) return this.fail('invalid number');
    this.pos += m[0].length;
    const next = this.text[this.pos];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) this.fail('invalid number');
    return new RawNumber(m[0]);
  }
}

/** Converts RawJSON to plain JSON data: integers beyond 2^53 become bigint so they stay exact. */
export function toPlainJSON(v: RawJSON): unknown {
  if (v instanceof RawNumber) return numberValue(v.text);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toPlainJSON);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) setMember(out, k, toPlainJSON(v[k]));
  return out;
}

function numberValue(text: string): number | bigint {
  const n = Number(text);
  if (!Number.isSafeInteger(n) && /^-?\d+$/.test(text)) return BigInt(text);
  return n;
}

/**
 * Parses JSON text to plain data, integers beyond 2^53 as bigint. JSON.parse does the work; the
 * positional parser runs only to locate a syntax error, or when JSON.parse met a number too large
 * for a double to hold exactly.
 */
export function parseJSONData(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return toPlainJSON(parseRawJSON(text));
  }
  const shape = inspect(value);
  // Too deep: the positional parser reports where the limit was passed.
  return shape.tooDeep || shape.hugeNumber ? toPlainJSON(parseRawJSON(text)) : value;
}

/** One iterative walk: nesting beyond MAX_DEPTH, and numbers a double cannot hold exactly. */
function inspect(root: unknown): { tooDeep: boolean; hugeNumber: boolean } {
  const stack: [unknown, number][] = [[root, 0]];
  let hugeNumber = false;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'number') {
      if (Math.abs(v) > Number.MAX_SAFE_INTEGER) hugeNumber = true;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH) return { tooDeep: true, hugeNumber };
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const c of children) if (typeof c === 'number' || (c !== null && typeof c === 'object')) stack.push([c, depth + 1]);
  }
  return { tooDeep: false, hugeNumber };
}

// ---------------------------------------------------------------------------------------------
// Canonical encoding (OPA's bundle hash.go): objects with keys sorted bytewise, no whitespace,
// numbers as written, strings as Go's json.Encoder with SetEscapeHTML(false) writes them.

export function canonicalJSON(v: unknown): string {
  const out: string[] = [];
  writeCanonical(v, out);
  return out.join('');
}

function writeCanonical(v: unknown, out: string[]): void {
  if (v instanceof RawNumber) {
    out.push(v.text);
    return;
  }
  switch (typeof v) {
    case 'string':
      out.push(goString(v));
      return;
    case 'number':
      out.push(Number.isFinite(v) ? String(v) : 'null');
      return;
    case 'bigint':
      out.push(v.toString());
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'object': {
      if (v === null) {
        out.push('null');
        return;
      }
      if (Array.isArray(v)) {
        out.push('[');
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(',');
          writeCanonical(v[i], out);
        }
        out.push(']');
        return;
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj);
      // UTF-16 order equals code point order unless a surrogate meets a character above U+DFFF.
      if (keys.some((k) => HIGH_CHAR.test(k))) keys.sort(compareCodePoints);
      else keys.sort();
      out.push('{');
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out.push(',');
        out.push(goString(keys[i]), ':');
        writeCanonical(obj[keys[i]], out);
      }
      out.push('}');
      return;
    }
  }
  throw new Error(`cannot encode ${typeof v} as JSON`);
}

const HIGH_CHAR = /[\ud800-\uffff]/;
const NEEDS_GO_ESCAPES = /[\ud800-\udfff\u2028\u2029]/;

/** Go's string encoding: like JSON.stringify, but U+2028/2029 escaped and lone surrogates as U+FFFD. */
function goString(s: string): string {
  if (!NEEDS_GO_ESCAPES.test(s)) return JSON.stringify(s);
  const wellFormed = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return JSON.stringify(wellFormed).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The canonical form of JSON text in one pass, without building a tree: string literals with no
 * escapes are copied as they are, number literals keep their text, members are sorted per object
 * (a repeated key keeps its last value, as Go's decoder does). Throws JSONSyntaxError.
 */
export function canonicalizeJSONText(text: string): string {
  const p = new Parser(text);
  p.skipSpace();
  const out = canonicalValue(p, 0);
  p.skipSpace();
  if (p.pos < text.length) p.fail(`unexpected ${p.describeHere()} after the JSON value`);
  return out;
}

// Raw control characters are invalid inside JSON strings, so the pattern has to name them.
// eslint-disable-next-line no-control-regex
const PLAIN_STRING_BODY = /^[^"\\\u0000-\u001f\u2028\u2029]*$/;

/**
 * Member indexes in key order. A repeated key keeps only its last value, as Go's decoder does.
 * Objects already in order (common for small ones) cost no sort.
 */
function memberOrder(keys: string[], codePointOrder: boolean): number[] {
  const cmp = codePointOrder ? compareCodePoints : (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  let inOrder = true;
  for (let i = 1; i < keys.length && inOrder; i++) if (cmp(keys[i - 1], keys[i]) >= 0) inOrder = false;
  const order = keys.map((_, i) => i);
  if (inOrder) return order;
  // Ties broken by position, so the last of repeated keys comes last and is the one kept.
  order.sort((a, b) => cmp(keys[a], keys[b]) || a - b);
  return order.filter((m, i) => i + 1 === order.length || keys[order[i + 1]] !== keys[m]);
}

/** The body of the string literal at the position when it needs no decoding or escaping; consumed. */
function plainStringAt(p: Parser): string | undefined {
  const end = p.text.indexOf('"', p.pos + 1);
  if (end < 0) return undefined;
  const body = p.text.slice(p.pos + 1, end);
  if (!PLAIN_STRING_BODY.test(body)) return undefined;
  p.pos = end + 1;
  return body;
}

function canonicalValue(p: Parser, depth: number): string {
  if (depth > MAX_DEPTH) p.fail(`nesting deeper than ${MAX_DEPTH} levels`);
  const t = p.text;
  switch (t[p.pos]) {
    case '{': {
      p.pos++;
      p.skipSpace();
      if (t[p.pos] === '}') {
        p.pos++;
        return '{}';
      }
      const keys: string[] = [];
      const keyTexts: string[] = [];
      const values: string[] = [];
      let needsCodePointOrder = false;
      while (true) {
        if (t[p.pos] !== '"') p.fail(`unexpected ${p.describeHere()}, expected a string object key`);
        const plain = plainStringAt(p);
        const key = plain ?? p.string();
        keyTexts.push(plain !== undefined ? `"${plain}"` : goString(key));
        keys.push(key);
        if (!needsCodePointOrder && HIGH_CHAR.test(key)) needsCodePointOrder = true;
        p.skipSpace();
        if (t[p.pos] !== ':') p.fail(`unexpected ${p.describeHere()}, expected ':' after object key`);
        p.pos++;
        p.skipSpace();
        values.push(canonicalValue(p, depth + 1));
        p.skipSpace();
        const c = t[p.pos];
        if (c !== ',' && c !== '}') p.fail(`unexpected ${p.describeHere()}, expected ',' or '}' in object`);
        p.pos++;
        if (c === '}') break;
        p.skipSpace();
      }
      const order = memberOrder(keys, needsCodePointOrder);
      let out = '{';
      for (let i = 0; i < order.length; i++) {
        const m = order[i];
        out += (i > 0 ? ',' : '') + keyTexts[m] + ':' + values[m];
      }
      return out + '}';
    }
    case '[': {
      p.pos++;
      p.skipSpace();
      if (t[p.pos] === ']') {
        p.pos++;
        return '[]';
      }
      let out = '[';
      while (true) {
        out += canonicalValue(p, depth + 1);
        p.skipSpace();
        const c = t[p.pos];
        if (c !== ',' && c !== ']') p.fail(`unexpected ${p.describeHere()}, expected ',' or ']' in array`);
        p.pos++;
        if (c === ']') return out + ']';
        out += ',';
        p.skipSpace();
      }
    }
    case '"': {
      const plain = plainStringAt(p);
      return plain !== undefined ? `"${plain}"` : goString(p.string());
    }
    case 't':
      return String(p.literal('true', true));
    case 'f':
      return String(p.literal('false', false));
    case 'n':
      return String(p.literal('null', null));
    default: {
      const c = t[p.pos];
      if (c === '-' || (c >= '0' && c <= '9')) return p.number().text;
      return p.fail(`unexpected ${p.describeHere()}, expected a JSON value`);
    }
  }
}

/** Orders strings by Unicode code point, which is the byte order of their UTF-8 (Go's sort.Strings). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (supplementary code points) sort above every BMP character in code point order.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
