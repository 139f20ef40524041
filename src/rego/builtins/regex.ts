// Regular expressions with Go's regexp semantics. Patterns compile with RE2 (the `re2` package,
// linear-time matching, so no pattern can hang an evaluation) and are cached by source text.
// Error messages are translated to Go's "error parsing regexp: <code>: `<expr>`" wording.

import RE2 from 're2';
import { quoteString } from '../eval/format';
import type { Value } from '../eval/values';
import { asString } from './operands';
import { BuiltinError, register } from './registry';
import { asIntOperand } from './textutil';
import { globsIntersect } from './globs';

const CACHE_LIMIT = 1000;
const cache = new Map<string, RE2 | BuiltinError>();

// RE2's wording -> Go's regexp/syntax ErrorCode text.
const GO_ERROR_CODES: Record<string, string> = {
  'missing ]': 'missing closing ]',
  'missing )': 'missing closing )',
  'unexpected )': 'unexpected )',
  'trailing \\': 'trailing backslash at end of expression',
  'no argument for repetition operator': 'missing argument to repetition operator',
  'bad repetition operator': 'invalid nested repetition operator',
  'invalid repetition size': 'invalid repeat count',
  'invalid perl operator': 'invalid or unsupported Perl syntax',
  'invalid named capture group': 'invalid named capture',
  'pattern too large - compile failed': 'expression too large',
};

function goRegexpError(message: string): BuiltinError {
  const sep = message.indexOf(': ');
  const code = sep >= 0 ? message.slice(0, sep) : message;
  const expr = sep >= 0 ? message.slice(sep + 2) : '';
  const goCode = GO_ERROR_CODES[code] ?? code;
  return new BuiltinError(expr ? `error parsing regexp: ${goCode}: \`${expr}\`` : `error parsing regexp: ${goCode}`);
}

/** The compiled pattern (global, Unicode), or a BuiltinError with Go's message. */
export function compileRegex(pattern: string): RE2 {
  let re = cache.get(pattern);
  if (re === undefined) {
    try {
      re = new RE2(pattern, 'gu');
    } catch (e) {
      re = goRegexpError((e as Error).message);
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, re);
  }
  if (re instanceof BuiltinError) throw re;
  return re;
}

export function regexMatches(pattern: string, s: string): boolean {
  const re = compileRegex(pattern);
  re.lastIndex = 0;
  return re.test(s);
}

/**
 * Go's Regexp.FindAll*: successive non-overlapping matches, where an empty match right after
 * the previous match is skipped. `n < 0` means all.
 */
function findAll(re: RE2, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  if (n < 0) n = s.length + 1;
  let pos = 0;
  let prevEnd = -1;
  while (out.length < n && pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    let accept = true;
    if (end === start) {
      if (start === prevEnd) accept = false;
      const cp = s.codePointAt(start);
      pos = start + (cp === undefined ? 1 : cp > 0xffff ? 2 : 1);
    } else pos = end;
    prevEnd = end;
    if (accept) out.push(m);
  }
  return out;
}

/** Go's Regexp.Split(s, -1). */
function splitRegex(re: RE2, pattern: string, s: string): string[] {
  if (pattern.length > 0 && s.length === 0) return [''];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of findAll(re, s, -1)) {
    end = m.index;
    const mEnd = m.index + m[0].length;
    if (mEnd !== 0) out.push(s.slice(beg, end));
    beg = mEnd;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/** Names of the capture groups by index (index 0 is the whole match), scanned from the pattern. */
function groupNames(pattern: string): string[] {
  const names = [''];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
      continue;
    }
    if (c !== '(') continue;
    if (pattern[i + 1] !== '?') names.push('');
    else {
      const named = /^\(\?P?<([^>]+)>/.exec(pattern.slice(i));
      if (named) names.push(named[1]);
    }
  }
  return names;
}

/** Go's template expansion in ReplaceAllString: $1, ${1}, $name, ${name}, and $$ for '$'. */
function expand(template: string, m: RegExpExecArray, names: string[]): string {
  let out = '';
  let t = template;
  for (;;) {
    const dollar = t.indexOf('$');
    if (dollar < 0) break;
    out += t.slice(0, dollar);
    t = t.slice(dollar + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ref = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(t);
    if (ref === null) {
      out += '$';
      continue;
    }
    t = t.slice(ref[0].length);
    const name = ref[1] ?? ref[2];
    let num = /^\d+$/.test(name) && name.length <= 8 ? Number(name) : -1;
    if (name.length > 1 && name[0] === '0') num = -1;
    if (num >= 0) out += m[num] ?? '';
    else {
      const idx = names.indexOf(name);
      if (idx > 0) out += m[idx] ?? '';
    }
  }
  return out + t;
}

/** Go's Regexp.ReplaceAllString: no replacement for an empty match right after a match. */
function replaceAll(re: RE2, pattern: string, s: string, template: string): string {
  const names = groupNames(pattern);
  let out = '';
  let lastEnd = 0;
  let pos = 0;
  while (pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    out += s.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expand(template, m, names);
    lastEnd = end;
    const cp = s.codePointAt(pos);
    const width = cp === undefined ? 0 : cp > 0xffff ? 2 : 1;
    if (pos + width > end) pos += width;
    else if (pos + 1 > end) pos++;
    else pos = end;
  }
  return out + s.slice(lastEnd);
}

/** Byte offsets of delimited template variables, as OPA's regex template parser finds them. */
function delimiterIndices(s: string, open: string, close: string): number[] {
  let level = 0;
  let idx = 0;
  const idxs: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === open) {
      if (++level === 1) idx = i;
    } else if (s[i] === close) {
      if (--level === 0) idxs.push(idx, i + 1);
      else if (level < 0) throw new BuiltinError(`unbalanced braces in "${quoteString(s)}"`);
    }
  }
  if (level !== 0) throw new BuiltinError(`unbalanced braces in "${quoteString(s)}"`);
  return idxs;
}

/** Go's regexp.QuoteMeta. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function templateRegex(template: string, open: string, close: string): string {
  const idxs = delimiterIndices(template, open, close);
  let pattern = '^';
  let end = 0;
  for (let i = 0; i < idxs.length; i += 2) {
    const raw = template.slice(end, idxs[i]);
    end = idxs[i + 1];
    const inner = template.slice(idxs[i] + 1, end - 1);
    compileRegex(`^${inner}$`);
    pattern += `${quoteMeta(raw)}(${inner})`;
  }
  return pattern + quoteMeta(template.slice(end)) + '$';
}

function templateMatch([template, value, start, end]: Value[]): Value {
  const t = asString(template, 1);
  const s = asString(value, 2);
  const open = asString(start, 3);
  const close = asString(end, 4);
  const startLen = Buffer.byteLength(open);
  if (startLen !== 1) throw new BuiltinError(`start delimiter has to be exactly one character long but is ${startLen} long`);
  if (Buffer.byteLength(close) !== 1) {
    throw new BuiltinError(`end delimiter has to be exactly one character long but is ${startLen} long`);
  }
  return regexMatches(templateRegex(t, open, close), s);
}

const matchDecl = (name: string, deprecated = false) => ({
  name,
  deprecated,
  args: ['string', 'string'],
  result: 'boolean',
  impl: ([p, v]: Value[]) => regexMatches(asString(p, 1), asString(v, 2)),
});

register(
  matchDecl('regex.match'),
  matchDecl('re_match', true),
  {
    name: 'regex.is_valid',
    args: ['any'],
    result: 'boolean',
    impl: ([p]) => {
      if (typeof p !== 'string') return false;
      try {
        compileRegex(p);
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    name: 'regex.split',
    args: ['string', 'string'],
    result: 'array<string>',
    impl: ([p, v]) => {
      const pattern = asString(p, 1);
      return splitRegex(compileRegex(pattern), pattern, asString(v, 2));
    },
  },
  {
    name: 'regex.find_n',
    args: ['string', 'string', 'number'],
    result: 'array<string>',
    impl: ([p, v, n]) => {
      const re = compileRegex(asString(p, 1));
      const s = asString(v, 2);
      return findAll(re, s, asIntOperand(n, 3)).map((m) => m[0]);
    },
  },
  {
    name: 'regex.find_all_string_submatch_n',
    args: ['string', 'string', 'number'],
    result: 'array<array<string>>',
    impl: ([p, v, n]) => {
      const re = compileRegex(asString(p, 1));
      const s = asString(v, 2);
      return findAll(re, s, asIntOperand(n, 3)).map((m) => Array.from(m, (g) => g ?? ''));
    },
  },
  {
    name: 'regex.replace',
    args: ['string', 'string', 'string'],
    result: 'string',
    impl: ([s, p, v]) => {
      const pattern = asString(p, 2);
      return replaceAll(compileRegex(pattern), pattern, asString(s, 1), asString(v, 3));
    },
  },
  {
    name: 'regex.template_match',
    args: ['string', 'string', 'string', 'string'],
    result: 'boolean',
    impl: templateMatch,
  },
  {
    name: 'regex.globs_match',
    args: ['string', 'string'],
    result: 'boolean',
    impl: ([a, b]) => globsIntersect(asString(a, 1), asString(b, 2)),
  },
);
