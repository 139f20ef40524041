// Values printed as Rego text, the way OPA prints terms: strings quoted with Go's escapes,
// objects and sets with ", " and ": " separators in Rego order, the empty set as `set()`.
// Used by sprintf's %v for composite operands and by print().

import { RObject, RSet, type Value } from './values';

export function formatTerm(v: Value): string {
  switch (typeof v) {
    case 'string':
      return quoteString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatNumber(v);
    case 'bigint':
      return v.toString();
    case 'object':
      if (v === null) return 'null';
      if (Array.isArray(v)) return '[' + v.map(formatTerm).join(', ') + ']';
      if (v instanceof RSet) return v.size === 0 ? 'set()' : '{' + v.sorted().map(formatTerm).join(', ') + '}';
      if (v instanceof RObject) {
        return '{' + v.sortedEntries().map(([k, x]) => formatTerm(k) + ': ' + formatTerm(x)).join(', ') + '}';
      }
  }
  throw new Error(`not a Rego value: ${String(v)}`);
}

/** Integers print without exponent or fraction; other numbers in JavaScript's shortest form. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return String(n);
}

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** A string in double quotes with Go's strconv.Quote escapes. */
export function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (PRINTABLE.test(ch)) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}
