// Network built-ins: net.cidr_contains, net.cidr_intersects, net.cidr_contains_matches,
// net.cidr_expand, net.cidr_merge, net.cidr_is_valid, the deprecated net.cidr_overlap, and
// net.lookup_ip_addr. Addresses parse and print as Go's net package does (OPA's behaviour):
// IPv4 without leading zeros, IPv4-mapped IPv6 treated as IPv4, RFC 5952 IPv6 text.

import { RObject, RSet, type Value } from '../eval/values';
import { BuiltinError, register } from './registry';
import { asString } from './operands';

/** An address: IPv4 (32 bits) or IPv6 (128 bits), the value as a bigint. */
interface Addr {
  v4: boolean;
  n: bigint;
}

/** A network: its first address (masked) and prefix length; `addr` of a raw address is unmasked. */
interface Net {
  addr: Addr;
  prefix: number;
}

const bitsOf = (a: Addr): number => (a.v4 ? 32 : 128);

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = (n << 8n) | BigInt(v);
  }
  return n;
}

function parseIPv6(s: string): bigint | undefined {
  let head = s;
  let tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    head = s.slice(0, dbl);
    tail = s.slice(dbl + 2);
    if (tail.includes('::')) return undefined;
  }
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (i === fields.length - 1 && f.includes('.')) {
        const v4 = parseIPv4(f);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(f)) {
        out.push(parseInt(f, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (h === undefined || t === undefined) return undefined;
  // An embedded IPv4 address may only end the text.
  if (dbl >= 0 && head.includes('.')) return undefined;
  const missing = 8 - h.length - t.length;
  if (dbl >= 0 ? missing < 1 : missing !== 0) return undefined;
  let n = 0n;
  for (const g of [...h, ...new Array<number>(missing).fill(0), ...t]) n = (n << 16n) | BigInt(g);
  return n;
}

/** Go's net.ParseIP, with IPv4-mapped IPv6 addresses folded to IPv4. */
function parseIP(s: string): Addr | undefined {
  if (s.includes(':')) {
    const n = parseIPv6(s);
    if (n === undefined) return undefined;
    if (n >> 32n === 0xffffn) return { v4: true, n: n & 0xffffffffn };
    return { v4: false, n };
  }
  const n = parseIPv4(s);
  return n === undefined ? undefined : { v4: true, n };
}

function maskOf(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function cidrError(s: string): BuiltinError {
  return new BuiltinError(`invalid CIDR address: ${s}`);
}

/** Go's net.ParseCIDR: the network with its address masked. */
function parseCIDR(s: string): Net {
  const slash = s.indexOf('/');
  if (slash < 0) throw cidrError(s);
  const ipText = s.slice(0, slash);
  const maskText = s.slice(slash + 1);
  if (!/^\d{1,8}$/.test(maskText)) throw cidrError(s);
  let prefix = Number(maskText);
  const isText6 = ipText.includes(':');
  if (prefix > (isText6 ? 128 : 32)) throw cidrError(s);
  const addr = parseIP(ipText);
  if (addr === undefined) throw cidrError(s);
  // An IPv4-mapped network written in IPv6 keeps only the mask's low 32 bits.
  if (isText6 && addr.v4) prefix = Math.max(0, prefix - 96);
  return { addr: { v4: addr.v4, n: addr.n & maskOf(bitsOf(addr), prefix) }, prefix };
}

function lastAddr(net: Net): Addr {
  const bits = bitsOf(net.addr);
  return { v4: net.addr.v4, n: net.addr.n | ((1n << BigInt(bits - net.prefix)) - 1n) };
}

function netContains(net: Net, a: Addr): boolean {
  if (net.addr.v4 !== a.v4) return false;
  const m = maskOf(bitsOf(a), net.prefix);
  return (net.addr.n & m) === (a.n & m);
}

function formatAddr(a: Addr): string {
  if (a.v4) return [24n, 16n, 8n, 0n].map((s) => String((a.n >> s) & 0xffn)).join('.');
  if (a.n >> 32n === 0xffffn) return formatAddr({ v4: true, n: a.n & 0xffffffffn });
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.n >> BigInt(i * 16)) & 0xffffn));
  // The first longest run of two or more zero groups becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

const formatNet = (net: Net): string => `${formatAddr(net.addr)}/${net.prefix}`;

/** Whether a network contains an address, or all of another network (OPA's net.cidr_contains). */
function containsCIDROrIP(cidr: string, other: string): boolean {
  const net = parseCIDR(cidr);
  const ip = parseIP(other);
  if (ip !== undefined) return netContains(net, ip);
  const inner = parseCIDR(other);
  return netContains(net, inner.addr) && netContains(net, lastAddr(inner));
}

// ---------------------------------------------------------------------------------------------
// net.cidr_merge

interface Range {
  first: Addr;
  last: Addr;
  /** The input network when the range was not merged with another. */
  net: Net | null;
}

/** An element of net.cidr_merge: a CIDR, or an IPv4 address with its classful default mask. */
function mergeOperand(v: Value): Net {
  if (typeof v !== 'string') throw new BuiltinError('element must be string');
  const ip = parseIP(v);
  if (ip === undefined) return parseCIDR(v);
  if (!ip.v4) throw new BuiltinError('IPv6 invalid: needs prefix length');
  const top = Number(ip.n >> 24n);
  return { addr: ip, prefix: top < 128 ? 8 : top < 192 ? 16 : 24 };
}

/** The fewest CIDR blocks that exactly cover first..last. */
function rangeToNets(first: Addr, last: Addr): Net[] {
  const bits = bitsOf(first);
  const out: Net[] = [];
  let cur = first.n;
  while (cur <= last.n) {
    let size = 0;
    while (size < bits && (cur & ((1n << BigInt(size + 1)) - 1n)) === 0n && cur + (1n << BigInt(size + 1)) - 1n <= last.n) size++;
    out.push({ addr: { v4: first.v4, n: cur }, prefix: bits - size });
    cur += 1n << BigInt(size);
  }
  return out;
}

function mergeNets(nets: Net[]): Net[] {
  const out: Net[] = [];
  for (const v4 of [true, false]) {
    const ranges: Range[] = nets
      .filter((n) => n.addr.v4 === v4)
      .map((n) => ({ first: n.addr, last: lastAddr(n), net: n }))
      .sort((a, b) => (a.first.n < b.first.n ? -1 : a.first.n > b.first.n ? 1 : 0));
    const merged: Range[] = [];
    for (const r of ranges) {
      const prev = merged[merged.length - 1];
      if (prev && prev.last.n + 1n >= r.first.n) {
        if (r.last.n > prev.last.n) prev.last = r.last;
        prev.net = null;
      } else {
        merged.push({ ...r });
      }
    }
    for (const r of merged) out.push(...(r.net ? [r.net] : rangeToNets(r.first, r.last)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// net.cidr_contains_matches: each operand is a CIDR string, or a collection of CIDRs or of
// arrays whose first element is the CIDR; matches are reported by index, member or key.

function matchTerms(v: Value, pos: number): [Value, Value][] {
  const cidrOf = (x: Value): Value => {
    if (typeof x === 'string') return x;
    if (Array.isArray(x) && x.length > 0) return x[0];
    throw new BuiltinError(`operand ${pos}: element must be string or non-empty array`);
  };
  if (typeof v === 'string') return [[v, v]];
  if (Array.isArray(v)) return v.map((x, i) => [cidrOf(x), i]);
  if (v instanceof RSet) return v.sorted().map((x) => [cidrOf(x), x]);
  if (v instanceof RObject) return v.sortedEntries().map(([k, x]) => [cidrOf(x), k]);
  return [];
}

const LOCALHOST = /^(localhost|.+\.localhost)\.?$/i;

/** net.cidr_expand builds a set of strings: refuse networks whose expansion would exhaust memory. */
const MAX_EXPANDED_ADDRESSES = 1 << 20;

register(
  {
    name: 'net.cidr_contains',
    args: ['string', 'string'],
    result: 'boolean',
    impl: ([a, b]) => containsCIDROrIP(asString(a, 1), asString(b, 2)),
  },
  {
    name: 'net.cidr_overlap',
    args: ['string', 'string'],
    result: 'boolean',
    deprecated: true,
    impl: ([a, b]) => containsCIDROrIP(asString(a, 1), asString(b, 2)),
  },
  {
    name: 'net.cidr_intersects',
    args: ['string', 'string'],
    result: 'boolean',
    impl: ([a, b]) => {
      const x = parseCIDR(asString(a, 1));
      const y = parseCIDR(asString(b, 2));
      return netContains(x, y.addr) || netContains(y, x.addr);
    },
  },
  {
    name: 'net.cidr_contains_matches',
    args: ['array<any>|object<string, any>|set<any>|string', 'array<any>|object<string, any>|set<any>|string'],
    result: 'set<array<any>>',
    impl: ([a, b]) => {
      const cidrs = matchTerms(a, 1);
      const addrs = matchTerms(b, 2);
      const out = new RSet();
      for (const [cidr, i] of cidrs) {
        for (const [addr, j] of addrs) {
          if (containsCIDROrIP(asString(cidr, 1), asString(addr, 2))) out.add([i, j]);
        }
      }
      return out;
    },
  },
  {
    name: 'net.cidr_expand',
    args: ['string'],
    result: 'set<string>',
    impl: ([a], ctx) => {
      const net = parseCIDR(asString(a, 1));
      const size = 1n << BigInt(bitsOf(net.addr) - net.prefix);
      if (size > BigInt(MAX_EXPANDED_ADDRESSES)) {
        throw new BuiltinError(`${formatNet(net)} has more than ${MAX_EXPANDED_ADDRESSES} addresses`);
      }
      const out = new RSet();
      if (net.addr.v4) {
        // Plain numbers: an IPv4 address fits a double, and bigint formatting is slow.
        const base = Number(net.addr.n);
        for (let i = 0; i < Number(size); i++) {
          if ((i & 0xffff) === 0xffff) ctx.checkBudget();
          const x = base + i;
          out.add(`${Math.floor(x / 0x1000000)}.${(x >>> 16) & 0xff}.${(x >>> 8) & 0xff}.${x & 0xff}`);
        }
        return out;
      }
      for (let i = 0n; i < size; i++) {
        if ((i & 0xffffn) === 0xffffn) ctx.checkBudget();
        out.add(formatAddr({ v4: false, n: net.addr.n + i }));
      }
      return out;
    },
  },
  {
    name: 'net.cidr_merge',
    args: ['array<string>|set<string>'],
    result: 'set<string>',
    impl: ([a]) => {
      let items: Value[];
      if (Array.isArray(a)) items = a;
      else if (a instanceof RSet) items = a.sorted();
      else throw new BuiltinError('operand must be an array');
      return new RSet(mergeNets(items.map(mergeOperand)).map(formatNet));
    },
  },
  {
    name: 'net.cidr_is_valid',
    args: ['string'],
    result: 'boolean',
    impl: ([a]) => {
      if (typeof a !== 'string') return false;
      try {
        parseCIDR(a);
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    name: 'net.lookup_ip_addr',
    args: ['string'],
    result: 'set<string>',
    impl: ([a]) => {
      const name = asString(a, 1);
      // Answers that need no resolver: address literals, and localhost names (RFC 6761).
      const ip = parseIP(name);
      if (ip !== undefined) return new RSet([formatAddr(ip)]);
      if (LOCALHOST.test(name)) return new RSet(['127.0.0.1', '::1']);
      throw new BuiltinError(`network lookups are disabled in Arbiter: cannot resolve ${JSON.stringify(name)}`);
    },
  },
);
