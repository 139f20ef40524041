// String built-ins. Positions and lengths count Unicode code points (Go runes), as OPA does.

import { formatTerm } from '../eval/format';
import { RSet, type Value } from '../eval/values';
import { asNumber, asObject, asString } from './operands';
import { BuiltinError, BuiltinTypeError, operandError, register } from './registry';
import { type GoArg, goSprintf, intArg } from './gofmt';
import { asIntOperand, elementString, isAscii, isGoSpace, runes, stringsOf } from './textutil';
import { renderTemplate } from './template';

const bool = (name: string, test: (a: string, b: string) => boolean) => ({
  name,
  args: ['string', 'string'],
  result: 'boolean',
  impl: ([a, b]: Value[]) => test(asString(a, 1), asString(b, 2)),
});

function concat([delim, coll]: Value[]): Value {
  const d = asString(delim, 1);
  let items: Value[];
  if (Array.isArray(coll)) items = coll;
  else if (coll instanceof RSet) items = coll.sorted();
  else operandError(2, 'one of {set, array}', coll);
  return items.map((x) => elementString(coll, x, 2)).join(d);
}

/**
 * Go maps case rune by rune with Unicode's simple mappings: no context (final sigma) and no
 * expansions. Where JavaScript's full mapping expands a rune, Go keeps it when upper-casing
 * ("ß") and takes the base letter when lower-casing ("İ" -> "i").
 */
function lower(s: string): string {
  if (isAscii(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : String.fromCodePoint(l.codePointAt(0)!);
  }
  return out;
}

function upper(s: string): string {
  if (isAscii(s)) return s.toUpperCase();
  let out = '';
  for (const ch of s) {
    const u = ch.toUpperCase();
    out += Array.from(u).length === 1 ? u : ch;
  }
  return out;
}

/** Go's strings.ReplaceAll, where an empty `old` inserts `repl` around every rune. */
function replaceAll(s: string, old: string, repl: string): string {
  if (old === '') return repl + runes(s).join(repl) + (s === '' ? '' : repl);
  return s.split(old).join(repl);
}

/** Go's strings.Split: an empty separator splits into runes. */
function split(s: string, sep: string): string[] {
  if (sep === '') return runes(s);
  return s.split(sep);
}

function formatInt([input, base]: Value[]): Value {
  const n = asNumber(input, 1);
  const b = asNumber(base, 2);
  if (b !== 2 && b !== 8 && b !== 10 && b !== 16) throw new BuiltinTypeError('operand 2 must be one of {2, 8, 10, 16}');
  const i = typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
  return i.toString(b as number);
}

function indexOf(s: string, search: string): number {
  if (search === '') throw new BuiltinError('empty search character');
  const at = s.indexOf(search);
  if (at <= 0 || isAscii(s)) return at;
  return runes(s.slice(0, at)).length;
}

function indexOfN(s: string, search: string): number[] {
  if (search === '') throw new BuiltinError('empty search character');
  const out: number[] = [];
  let from = 0;
  for (;;) {
    const at = s.indexOf(search, from);
    if (at < 0) break;
    out.push(at);
    from = at + 1;
  }
  if (isAscii(s)) return out;
  return out.map((at) => runes(s.slice(0, at)).length);
}

function substring([value, offset, length]: Value[]): Value {
  const s = asString(value, 1);
  const start = asIntOperand(offset, 2);
  const len = asIntOperand(length, 3);
  if (start < 0) throw new BuiltinError('negative offset');
  const rs = isAscii(s) ? null : runes(s);
  const total = rs ? rs.length : s.length;
  if (start >= total) return '';
  const end = len < 0 ? total : Math.min(total, start + len);
  return rs ? rs.slice(start, end).join('') : s.slice(start, end);
}

/** Go's strings.Trim family: `cutset` is a set of runes. */
function trimWith(s: string, cut: (cp: number) => boolean, left: boolean, right: boolean): string {
  const rs = runes(s);
  let a = 0;
  let b = rs.length;
  if (left) while (a < b && cut(rs[a].codePointAt(0)!)) a++;
  if (right) while (b > a && cut(rs[b - 1].codePointAt(0)!)) b--;
  return rs.slice(a, b).join('');
}

function cutsetOf(cutset: string): (cp: number) => boolean {
  const set = new Set(runes(cutset).map((r) => r.codePointAt(0)!));
  return (cp) => set.has(cp);
}

const trim = (name: string, left: boolean, right: boolean) => ({
  name,
  args: ['string', 'string'],
  result: 'string',
  impl: ([s, cutset]: Value[]) => trimWith(asString(s, 1), cutsetOf(asString(cutset, 2)), left, right),
});

/** Go's strings.Count: non-overlapping occurrences; the empty string occurs between every rune. */
function countOf(s: string, sub: string): number {
  if (sub === '') return runes(s).length + 1;
  let n = 0;
  for (let at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length)) n++;
  return n;
}

/**
 * Go's strings.NewReplacer(old1, new1, ...).Replace: one left-to-right pass, no overlaps; where
 * several olds match at one position, the first in argument order wins.
 */
function replaceN([patterns, value]: Value[]): Value {
  const obj = asObject(patterns, 1);
  const pairs: [string, string][] = [];
  for (const [k, v] of obj.sortedEntries()) {
    if (typeof k !== 'string') throw new BuiltinTypeError('operand 1 non-string key found in pattern object');
    if (typeof v !== 'string') throw new BuiltinTypeError('operand 1 non-string value found in pattern object');
    pairs.push([k, v]);
  }
  const s = asString(value, 2);
  let out = '';
  let i = 0;
  while (i <= s.length) {
    let matched = false;
    for (const [old, repl] of pairs) {
      if (old !== '' && s.startsWith(old, i)) {
        out += repl;
        i += old.length;
        matched = true;
        break;
      }
      if (old === '') {
        out += repl;
        break;
      }
    }
    if (matched) continue;
    if (i >= s.length) break;
    const cp = s.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    out += s.slice(i, i + w);
    i += w;
  }
  return out;
}

function splitN([value, delim, count]: Value[]): Value {
  const s = asString(value, 1);
  const d = asString(delim, 2);
  const n = asIntOperand(count, 3);
  const parts = split(s, d);
  if (n >= 0) return parts.slice(0, n);
  return parts.slice(Math.max(parts.length + n, 0));
}

function anyMatch(name: string, test: (s: string, affix: string) => boolean) {
  return {
    name,
    args: ['string|array<string>|set<string>', 'string|array<string>|set<string>'],
    result: 'boolean',
    impl: ([a, b]: Value[]) => {
      const search = stringsOf(a, 1);
      const affixes = stringsOf(b, 2);
      return search.some((s) => affixes.some((x) => test(s, x)));
    },
  };
}

/** sprintf's operands as Go sees them after OPA converts each: int, *big.Int, float64 or string. */
function goArgOf(v: Value): GoArg {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'bigint') return intArg(v);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return intArg(BigInt(v));
    return { kind: 'float', value: v };
  }
  return { kind: 'string', value: formatTerm(v) };
}

function sprintf([format, values]: Value[]): Value {
  const f = asString(format, 1);
  if (!Array.isArray(values)) operandError(2, 'array', values);
  return goSprintf(f, values.map(goArgOf));
}

register(
  {
    name: 'concat',
    args: ['string', 'array<string>|set<string>'],
    result: 'string',
    impl: concat,
  },
  bool('contains', (a, b) => a.includes(b)),
  bool('startswith', (a, b) => a.startsWith(b)),
  bool('endswith', (a, b) => a.endsWith(b)),
  {
    name: 'format_int',
    args: ['number', 'number'],
    result: 'string',
    impl: formatInt,
  },
  {
    name: 'indexof',
    args: ['string', 'string'],
    result: 'number',
    impl: ([s, search]) => indexOf(asString(s, 1), asString(search, 2)),
  },
  {
    name: 'indexof_n',
    args: ['string', 'string'],
    result: 'array<number>',
    impl: ([s, search]) => indexOfN(asString(s, 1), asString(search, 2)),
  },
  { name: 'lower', args: ['string'], result: 'string', impl: ([s]) => lower(asString(s, 1)) },
  { name: 'upper', args: ['string'], result: 'string', impl: ([s]) => upper(asString(s, 1)) },
  {
    name: 'replace',
    args: ['string', 'string', 'string'],
    result: 'string',
    impl: ([s, old, repl]) => replaceAll(asString(s, 1), asString(old, 2), asString(repl, 3)),
  },
  {
    name: 'strings.replace_n',
    args: ['object<string, string>', 'string'],
    result: 'string',
    impl: replaceN,
  },
  {
    name: 'split',
    args: ['string', 'string'],
    result: 'array<string>',
    impl: ([s, sep]) => split(asString(s, 1), asString(sep, 2)),
  },
  {
    name: 'strings.split_n',
    args: ['string', 'string', 'number'],
    result: 'array<string>',
    impl: splitN,
  },
  { name: 'sprintf', args: ['string', 'array<any>'], result: 'string', impl: sprintf },
  { name: 'substring', args: ['string', 'number', 'number'], result: 'string', impl: substring },
  trim('trim', true, true),
  trim('trim_left', true, false),
  trim('trim_right', false, true),
  {
    name: 'trim_prefix',
    args: ['string', 'string'],
    result: 'string',
    impl: ([s, prefix]) => {
      const str = asString(s, 1);
      const p = asString(prefix, 2);
      return str.startsWith(p) ? str.slice(p.length) : str;
    },
  },
  {
    name: 'trim_suffix',
    args: ['string', 'string'],
    result: 'string',
    impl: ([s, suffix]) => {
      const str = asString(s, 1);
      const p = asString(suffix, 2);
      return p !== '' && str.endsWith(p) ? str.slice(0, str.length - p.length) : str;
    },
  },
  {
    name: 'trim_space',
    args: ['string'],
    result: 'string',
    impl: ([s]) => trimWith(asString(s, 1), isGoSpace, true, true),
  },
  {
    name: 'strings.reverse',
    args: ['string'],
    result: 'string',
    impl: ([s]) => runes(asString(s, 1)).reverse().join(''),
  },
  anyMatch('strings.any_prefix_match', (s, p) => s.startsWith(p)),
  anyMatch('strings.any_suffix_match', (s, p) => s.endsWith(p)),
  {
    name: 'strings.count',
    args: ['string', 'string'],
    result: 'number',
    impl: ([s, sub]) => countOf(asString(s, 1), asString(sub, 2)),
  },
  {
    name: 'strings.render_template',
    args: ['string', 'object<string, any>'],
    result: 'string',
    impl: ([tpl, vars]) => renderTemplate(asString(tpl, 1), asObject(vars, 2)),
  },
);
