// Encodings: base64 and base64url (strict decoding with Go's error offsets), hex, JSON (Go's
// encoder output: sorted keys, HTML-safe escapes), YAML (the `yaml` package, with YAML 1.1
// scalars as go-yaml v2 resolves them) and URL query strings (Go's net/url escaping rules).

import YAML from 'yaml';
import { RObject, RSet, type Value, fromJSON, normNumber, parseJSON, stringifyJSON, toJSON } from '../eval/values';
import { asObject, asString } from './operands';
import { BuiltinError, BuiltinTypeError, operandError, register } from './registry';
import { formatTerm, quoteString } from '../eval/format';
import { elementString } from './textutil';

// ---------------------------------------------------------------------------------------------
// base64

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeMap(alphabet: string): Int16Array {
  const m = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) m[alphabet.charCodeAt(i)] = i;
  return m;
}
const STD_MAP = decodeMap(STD);
const URL_MAP = decodeMap(URL);

const corrupt = (at: number) => new BuiltinError(`illegal base64 data at input byte ${at}`);

function skipNewlines(src: Buffer, si: number): number {
  while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
  return si;
}

/** Go's base64 Encoding.DecodeString with padding: newlines skipped, errors at Go's byte offsets. */
function decodeBase64(text: string, map: Int16Array): Buffer {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  let si = 0;
  while (true) {
    const quantum: number[] = [];
    let j = 0;
    let done = false;
    for (; j < 4; j++) {
      si = skipNewlines(src, si);
      if (si === src.length) {
        if (j === 0) return Buffer.from(out);
        throw corrupt(si - j);
      }
      const c = src[si++];
      const v = map[c];
      if (v >= 0) {
        quantum.push(v);
        continue;
      }
      if (c !== 0x3d) throw corrupt(si - 1);
      // Padding: "=" after two symbols must be followed by another "=".
      if (j < 2) throw corrupt(si - 1);
      if (j === 2) {
        si = skipNewlines(src, si);
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si++;
      }
      si = skipNewlines(src, si);
      if (si < src.length) throw corrupt(si);
      done = true;
      break;
    }
    const [a, b, c, d] = quantum;
    if (j >= 2) out.push(((a << 2) | (b >> 4)) & 0xff);
    if (j >= 3) out.push(((b << 4) | (c >> 2)) & 0xff);
    if (j >= 4) out.push(((c << 6) | d) & 0xff);
    if (done) return Buffer.from(out);
  }
}

function base64urlDecode(s: string): Buffer {
  let padded = s;
  if (!s.endsWith('=')) {
    switch (s.length % 4) {
      case 0:
        break;
      case 2:
        padded += '==';
        break;
      case 3:
        padded += '=';
        break;
      default:
        throw new BuiltinError(`illegal base64url string: ${s}`);
    }
  }
  return decodeBase64(padded, URL_MAP);
}

// ---------------------------------------------------------------------------------------------
// hex

/** Go's %#U of a byte: "U+0067 'g'", without the quoted character when it is not printable. */
function goByteRune(b: number): string {
  const hex = 'U+' + b.toString(16).toUpperCase().padStart(4, '0');
  const ch = String.fromCodePoint(b);
  return /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch) ? `${hex} '${ch}'` : hex;
}

function hexValue(b: number): number {
  return b >= 48 && b <= 57 ? b - 48 : b >= 97 && b <= 102 ? b - 87 : b >= 65 && b <= 70 ? b - 55 : -1;
}

function hexDecode(s: string): Buffer {
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(src.length >> 1);
  let j = 1;
  for (; j < src.length; j += 2) {
    const a = hexValue(src[j - 1]);
    const b = hexValue(src[j]);
    if (a < 0) throw new BuiltinError(`encoding/hex: invalid byte: ${goByteRune(src[j - 1])}`);
    if (b < 0) throw new BuiltinError(`encoding/hex: invalid byte: ${goByteRune(src[j])}`);
    out[(j - 1) >> 1] = (a << 4) | b;
  }
  if (src.length % 2 === 1) {
    if (hexValue(src[j - 1]) < 0) throw new BuiltinError(`encoding/hex: invalid byte: ${goByteRune(src[j - 1])}`);
    throw new BuiltinError('encoding/hex: odd length hex string');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON

/** Go's json.Marshal escapes <, > and & (and the JavaScript line separators) as \u00XX. */
function goJSONEscapes(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export function marshalJSON(v: Value, indent?: string, prefix = ''): string {
  const compact = goJSONEscapes(stringifyJSON(v));
  if (indent === undefined) return compact;
  return prefix + reindent(compact, indent, prefix);
}

/** Go's json.Indent over compact JSON: each element on its own line, empty containers kept as [] and {}. */
function reindent(compact: string, indent: string, prefix: string): string {
  let out = '';
  let depth = 0;
  let inString = false;
  const newline = () => '\n' + prefix + indent.repeat(depth);
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i];
    if (inString) {
      out += c;
      if (c === '\\') out += compact[++i];
      else if (c === '"') inString = false;
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '[':
      case '{':
        if (compact[i + 1] === (c === '[' ? ']' : '}')) {
          out += c + compact[++i];
          break;
        }
        depth++;
        out += c + newline();
        break;
      case ']':
      case '}':
        depth--;
        out += newline() + c;
        break;
      case ',':
        out += c + newline();
        break;
      case ':':
        out += ': ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

function marshalWithOptions([value, options]: Value[]): Value {
  const opts = asObject(options, 2);
  let pretty: boolean | undefined;
  let indent: string | undefined;
  let prefix: string | undefined;
  for (const [k, v] of opts.sortedEntries()) {
    switch (k) {
      case 'pretty':
        if (typeof v !== 'boolean') operandError(2, 'boolean', v);
        pretty = v;
        break;
      case 'indent':
        if (typeof v !== 'string') operandError(2, 'string', v);
        indent = v;
        break;
      case 'prefix':
        if (typeof v !== 'string') operandError(2, 'string', v);
        prefix = v;
        break;
      default:
        throw new BuiltinTypeError(`operand 2 object contained unknown key ${formatTerm(k)}`);
    }
  }
  const wantPretty = pretty ?? (indent !== undefined || prefix !== undefined);
  if (!wantPretty) return marshalJSON(value);
  return marshalJSON(value, indent ?? '\t', prefix ?? '');
}

function unmarshalJSON(text: string): Value {
  let value: Value;
  try {
    value = parseJSON(text);
  } catch (e) {
    const tooDeep = nestingError(text);
    if (tooDeep !== null) throw new BuiltinError(tooDeep);
    if (e instanceof RangeError) throw new BuiltinError('input nests too deeply');
    let message: string | null;
    try {
      message = goJSONError(text);
    } catch {
      message = null;
    }
    throw new BuiltinError(message ?? (e as Error).message);
  }
  return value;
}

/** Go's decoder stops at 10000 levels of nesting; found without recursion. */
const MAX_JSON_DEPTH = 10000;

function nestingError(text: string): string | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_JSON_DEPTH) return `invalid character '${c}' exceeded max depth`;
    } else if (c === ']' || c === '}') depth--;
  }
  return null;
}

/** Go's quoteChar: a character in single quotes, as Go's JSON syntax errors show it. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return `'"'`;
  return "'" + quoteString(c).slice(1, -1) + "'";
}

class JSONSyntaxError extends Error {}

/**
 * Go's encoding/json syntax error for invalid text (null when the text is valid): scans the
 * text the way Go's scanner does, so the message names the first offending character and what
 * was expected there.
 */
export function goJSONError(text: string): string | null {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    if (i >= n) throw new JSONSyntaxError('unexpected end of JSON input');
    throw new JSONSyntaxError(`invalid character ${quoteChar(String.fromCodePoint(text.codePointAt(i)!))} ${what}`);
  };
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const digits = (what: string) => {
    if (!(text[i] >= '0' && text[i] <= '9')) fail(what);
    while (text[i] >= '0' && text[i] <= '9') i++;
  };
  const str = () => {
    i++;
    for (;;) {
      if (i >= n) fail('');
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        if (i >= n) fail('');
        if (text[i] === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail('in \\u hexadecimal character escape');
        } else if ('"\\/bfnrt'.includes(text[i])) i++;
        else fail('in string escape code');
        continue;
      }
      if (c.charCodeAt(0) < 0x20) fail('in string literal');
      i++;
    }
  };
  const value = (): void => {
    if (i >= n) fail('');
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        if (text[i] !== '"') fail('looking for beginning of object key string');
        str();
        ws();
        if (text[i] !== ':') fail('after object key');
        i++;
        ws();
        value();
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          ws();
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('after array element');
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) {
      if (c === '-') {
        i++;
        if (i >= n) fail('');
        if (!(text[i] >= '0' && text[i] <= '9')) fail('in numeric literal');
      }
      if (text[i] === '0') i++;
      else digits('in numeric literal');
      if (text[i] === '.') {
        i++;
        digits('after decimal point in numeric literal');
      }
      if (text[i] === 'e' || text[i] === 'E') {
        i++;
        if (text[i] === '+' || text[i] === '-') i++;
        digits('in exponent of numeric literal');
      }
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (c !== lit[0]) continue;
      i++;
      for (let k = 1; k < lit.length; k++, i++) if (text[i] !== lit[k]) fail(`in literal ${lit} (expecting ${quoteChar(lit[k])})`);
      return;
    }
    fail('looking for beginning of value');
  };
  try {
    ws();
    value();
    ws();
    if (i < n) fail('after top-level value');
    return null;
  } catch (e) {
    if (e instanceof JSONSyntaxError) return e.message;
    throw e;
  }
}

function isValidJSON(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// YAML

function isYAMLTimeTag(t: YAML.ScalarTag | YAML.CollectionTag): boolean {
  return t.tag === 'tag:yaml.org,2002:timestamp' || ('format' in t && t.format === 'TIME');
}

/**
 * go-yaml v2's scalar resolution is YAML 1.1 (yes/no/on/off are booleans), except that
 * timestamps decoded into untyped values stay strings and there are no base-60 numbers.
 */
const YAML_OPTIONS = {
  version: '1.1',
  intAsBigInt: true,
  maxAliasCount: 1000,
  uniqueKeys: false,
  customTags: (tags: YAML.Tags) => tags.filter((t) => typeof t === 'string' || !isYAMLTimeTag(t)),
} as const;

function yamlValue(x: unknown): Value {
  if (typeof x === 'bigint') return normNumber(x);
  if (x instanceof Map) {
    const o = new RObject();
    for (const [k, v] of x) o.set(typeof k === 'string' ? k : String(k), yamlValue(v));
    return o;
  }
  if (x instanceof Set) return [...x].map(yamlValue);
  if (Array.isArray(x)) return x.map(yamlValue);
  if (x !== null && typeof x === 'object') {
    const o = new RObject();
    for (const [k, v] of Object.entries(x)) o.set(k, yamlValue(v));
    return o;
  }
  if (typeof x === 'number' && !Number.isFinite(x)) {
    throw new BuiltinError(`json: unsupported value: ${Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf'}`);
  }
  return fromJSON(x);
}

function yamlError(e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }): BuiltinError {
  const line = e.linePos?.[0]?.line ?? 1;
  let msg = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  if (/flow (sequence|collection)/i.test(msg) && /\]/.test(msg)) msg = "did not find expected ',' or ']'";
  else if (/flow (map|collection)/i.test(msg) && /\}/.test(msg)) msg = "did not find expected ',' or '}'";
  return new BuiltinError(`yaml: line ${line}: ${msg}`);
}

function parseYAML(text: string): Value {
  const docs = YAML.parseAllDocuments(text, YAML_OPTIONS);
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length === 0) return null;
  const doc = list[0];
  if (doc.errors.length > 0) throw yamlError(doc.errors[0] as never);
  return yamlValue(doc.toJS({ maxAliasCount: 1000 }));
}

function isValidYAML(text: string): boolean {
  try {
    parseYAML(text);
    return true;
  } catch {
    return false;
  }
}

/** Plain scalars that go-yaml v2 would read back as something other than a string. */
const YAML_NON_STRING =
  /^(?:|~|null|Null|NULL|[yYnN]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+)|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|\d{4}-\d{1,2}-\d{1,2}(?:[Tt ].*)?)$/;

/**
 * go-yaml v2's output: block style, sequences not indented under their key, strings that would
 * read back as another type in double quotes, other strings plain or in single quotes.
 */
function marshalYAML(v: Value): string {
  const doc = new YAML.Document(toJSON(v), { version: '1.1' });
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !node.value.includes('\n') && YAML_NON_STRING.test(node.value)) {
        node.type = 'QUOTE_DOUBLE';
      }
    },
  });
  return doc.toString({ indentSeq: false, singleQuote: true, lineWidth: 0 });
}

// ---------------------------------------------------------------------------------------------
// URL query strings

/** Go's url.QueryEscape: unreserved characters stay, space becomes '+', the rest %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e) {
      out += String.fromCharCode(b);
    } else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** Go's url.QueryUnescape: '+' is a space, %XX a byte; a bad escape is an error. */
export function queryUnescape(s: string): string {
  const src = Buffer.from(s, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === 0x25) {
      if (i + 2 >= src.length || !isHex(src[i + 1]) || !isHex(src[i + 2])) {
        let bad = src.subarray(i, Math.min(i + 3, src.length)).toString('utf8');
        if (bad.length > 3) bad = bad.slice(0, 3);
        throw new BuiltinError(`invalid URL escape ${JSON.stringify(bad)}`);
      }
      out.push(parseInt(String.fromCharCode(src[i + 1], src[i + 2]), 16));
      i += 2;
    } else out.push(c === 0x2b ? 0x20 : c);
  }
  return Buffer.from(out).toString('utf8');
}

function encodeObject([obj]: Value[]): Value {
  const o = asObject(obj, 1);
  const parts: string[] = [];
  for (const [k, v] of o.sortedEntries()) {
    if (typeof k !== 'string') throw new BuiltinTypeError('operand 1 must be object of strings but got object containing ' + typeof k);
    let values: string[];
    if (typeof v === 'string') values = [v];
    else if (Array.isArray(v)) values = v.map((x) => elementString(v, x, 1));
    else if (v instanceof RSet) values = v.sorted().map((x) => elementString(v, x, 1));
    else throw new BuiltinError('query parameter value must be a string, an array, or a set');
    for (const x of values) parts.push(queryEscape(k) + '=' + queryEscape(x));
  }
  return parts.join('&');
}

/** Go's url.ParseQuery: '&'-separated pairs; values collect per key in order of appearance. */
function decodeObject([query]: Value[]): Value {
  const q = asString(query, 1);
  const values = new Map<string, string[]>();
  let firstError: BuiltinError | null = null;
  for (const pair of q.split('&')) {
    if (pair === '') continue;
    if (pair.includes(';')) {
      firstError ??= new BuiltinError('invalid semicolon separator in query');
      continue;
    }
    const eq = pair.indexOf('=');
    const rawKey = eq >= 0 ? pair.slice(0, eq) : pair;
    const rawValue = eq >= 0 ? pair.slice(eq + 1) : '';
    try {
      const key = queryUnescape(rawKey);
      const value = queryUnescape(rawValue);
      const list = values.get(key);
      if (list) list.push(value);
      else values.set(key, [value]);
    } catch (e) {
      firstError ??= e as BuiltinError;
    }
  }
  if (firstError) throw firstError;
  const out = new RObject();
  for (const [k, v] of values) out.set(k, v);
  return out;
}

// ---------------------------------------------------------------------------------------------

const bytesToString = (b: Buffer) => b.toString('utf8');

const isValid = (decode: (s: string) => unknown) => ([s]: Value[]) => {
  const text = asString(s, 1);
  try {
    decode(text);
    return true;
  } catch {
    return false;
  }
};

register(
  {
    name: 'base64.encode',
    args: ['string'],
    result: 'string',
    impl: ([s]) => Buffer.from(asString(s, 1), 'utf8').toString('base64'),
  },
  {
    name: 'base64.decode',
    args: ['string'],
    result: 'string',
    impl: ([s]) => bytesToString(decodeBase64(asString(s, 1), STD_MAP)),
  },
  {
    name: 'base64.is_valid',
    args: ['string'],
    result: 'boolean',
    impl: isValid((s) => decodeBase64(s, STD_MAP)),
  },
  {
    name: 'base64url.encode',
    args: ['string'],
    result: 'string',
    impl: ([s]) => Buffer.from(asString(s, 1), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
  },
  {
    name: 'base64url.encode_no_pad',
    args: ['string'],
    result: 'string',
    impl: ([s]) => Buffer.from(asString(s, 1), 'utf8').toString('base64url'),
  },
  {
    name: 'base64url.decode',
    args: ['string'],
    result: 'string',
    impl: ([s]) => bytesToString(base64urlDecode(asString(s, 1))),
  },
  {
    name: 'hex.encode',
    args: ['string'],
    result: 'string',
    impl: ([s]) => Buffer.from(asString(s, 1), 'utf8').toString('hex'),
  },
  {
    name: 'hex.decode',
    args: ['string'],
    result: 'string',
    impl: ([s]) => bytesToString(hexDecode(asString(s, 1))),
  },
  { name: 'json.marshal', args: ['any'], result: 'string', impl: ([v]) => marshalJSON(v) },
  {
    name: 'json.marshal_with_options',
    args: ['any', 'object<string, any>'],
    result: 'string',
    impl: marshalWithOptions,
  },
  { name: 'json.unmarshal', args: ['string'], result: 'any', impl: ([s]) => unmarshalJSON(asString(s, 1)) },
  { name: 'json.is_valid', args: ['string'], result: 'boolean', impl: ([s]) => isValidJSON(asString(s, 1)) },
  { name: 'yaml.marshal', args: ['any'], result: 'string', impl: ([v]) => marshalYAML(v) },
  { name: 'yaml.unmarshal', args: ['string'], result: 'any', impl: ([s]) => parseYAML(asString(s, 1)) },
  { name: 'yaml.is_valid', args: ['string'], result: 'boolean', impl: ([s]) => isValidYAML(asString(s, 1)) },
  { name: 'urlquery.encode', args: ['string'], result: 'string', impl: ([s]) => queryEscape(asString(s, 1)) },
  { name: 'urlquery.decode', args: ['string'], result: 'string', impl: ([s]) => queryUnescape(asString(s, 1)) },
  {
    name: 'urlquery.encode_object',
    args: ['object<string, string|array<string>|set<string>>'],
    result: 'string',
    impl: encodeObject,
  },
  {
    name: 'urlquery.decode_object',
    args: ['string'],
    result: 'object<string, array<string>>',
    impl: decodeObject,
  },
);
