// glob.match and glob.quote_meta with the syntax of the gobwas/glob library OPA uses: `*` (any
// run of non-delimiter characters), `**` (any run at all), `?` (one non-delimiter character),
// `[abc]`, `[a-z]`, `[!...]`, `{alt1,alt2}` and `\` escapes. A glob is translated to an RE2
// pattern once and cached, so matching is linear in the input.

import RE2 from 're2';
import { type Value, typeName } from '../eval/values';
import { asString } from './operands';
import { BuiltinError, BuiltinTypeError, operandError, register } from './registry';

const CACHE_LIMIT = 1000;
const cache = new Map<string, RE2>();

const classChar = (r: string) => `\\x{${r.codePointAt(0)!.toString(16)}}`;
const literal = (r: string) => (/[\\.+*?()|[\]{}^$]/.test(r) ? '\\' + r : r);

/** Translates a glob to an anchored RE2 pattern; `delimiters` are the characters `*` and `?` do not cross. */
export function globToRegex(glob: string, delimiters: string[]): string {
  const rs = Array.from(glob);
  const notDelim = delimiters.length > 0 ? '[^' + delimiters.map(classChar).join('') + ']' : '.';
  let i = 0;

  const fail = (msg: string): never => {
    throw new BuiltinError(`glob: ${msg} in ${JSON.stringify(glob)}`);
  };

  // Parses until the end, or (inside braces) until ',' or '}'.
  const parseSeq = (inBraces: boolean): string => {
    let out = '';
    while (i < rs.length) {
      const r = rs[i];
      if (inBraces && (r === ',' || r === '}')) return out;
      i++;
      switch (r) {
        case '*':
          if (rs[i] === '*') {
            i++;
            out += '.*';
          } else out += notDelim + '*';
          break;
        case '?':
          out += notDelim;
          break;
        case '\\':
          if (i >= rs.length) fail('unexpected end of input after escape');
          out += literal(rs[i++]);
          break;
        case '[': {
          let negate = false;
          if (rs[i] === '!') {
            negate = true;
            i++;
          }
          let cls = '';
          let count = 0;
          while (i < rs.length && rs[i] !== ']') {
            let lo = rs[i++];
            if (lo === '\\' && i < rs.length) lo = rs[i++];
            if (rs[i] === '-' && i + 1 < rs.length && rs[i + 1] !== ']') {
              let hi = rs[i + 1];
              i += 2;
              if (hi === '\\' && i < rs.length) hi = rs[i++];
              if (hi.codePointAt(0)! < lo.codePointAt(0)!) fail(`invalid range ${lo}-${hi}`);
              cls += classChar(lo) + '-' + classChar(hi);
            } else cls += classChar(lo);
            count++;
          }
          if (i >= rs.length) fail("unexpected end of input: missing ']'");
          if (count === 0) fail('empty character class');
          i++;
          out += (negate ? '[^' : '[') + cls + ']';
          break;
        }
        case '{': {
          const alts: string[] = [];
          for (;;) {
            alts.push(parseSeq(true));
            if (i >= rs.length) fail("unexpected end of input: missing '}'");
            if (rs[i++] === '}') break;
          }
          out += '(?:' + alts.join('|') + ')';
          break;
        }
        default:
          out += literal(r);
      }
    }
    return out;
  };

  const body = parseSeq(false);
  return '^(?s:' + body + ')$';
}

function compileGlob(glob: string, delimiters: string[]): RE2 {
  const key = delimiters.join('') + '\u0000' + glob;
  let re = cache.get(key);
  if (re === undefined) {
    re = new RE2(globToRegex(glob, delimiters), 'u');
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, re);
  }
  return re;
}

function delimitersOf(v: Value): string[] {
  if (v === null) return [];
  if (!Array.isArray(v)) operandError(2, 'one of {array, null}', v);
  const out = v.map((x) => {
    if (typeof x !== 'string') throw new BuiltinTypeError(`operand 2 must be array of strings but got array containing ${typeName(x)}`);
    const rs = Array.from(x);
    if (rs.length !== 1) throw new BuiltinTypeError('operand 2 must be array of runes but got array containing string');
    return rs[0];
  });
  return out.length === 0 ? ['.'] : out;
}

/** gobwas/glob's QuoteMeta: a backslash before every glob meta character. */
function quoteMeta(s: string): string {
  return s.replace(/[*?\\[\]{}]/g, '\\$&');
}

register(
  {
    name: 'glob.match',
    args: ['string', 'array<string>|null', 'string'],
    result: 'boolean',
    impl: ([pattern, delims, match]) => {
      const p = asString(pattern, 1);
      const d = delimitersOf(delims);
      return compileGlob(p, d).test(asString(match, 3));
    },
  },
  {
    name: 'glob.quote_meta',
    args: ['string'],
    result: 'string',
    impl: ([s]) => quoteMeta(asString(s, 1)),
  },
);
