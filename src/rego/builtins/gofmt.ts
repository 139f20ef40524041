// Go's fmt.Sprintf, as OPA's sprintf runs it: operands arrive as Go int, *big.Int, float64 or
// string (composites and other scalars as their Rego text), and every quirk of fmt shows in the
// output: "%!d(string=x)" for a verb that does not fit, "%!v(MISSING)", "%!(EXTRA ...)", widths,
// precisions, flags and explicit argument indexes ("%[2]d").

import { quoteString } from '../eval/format';

export type GoArg =
  | { kind: 'int'; value: bigint }
  | { kind: 'bigint'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function intArg(value: bigint): GoArg {
  return value >= INT64_MIN && value <= INT64_MAX ? { kind: 'int', value } : { kind: 'bigint', value };
}

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

function newFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    wid: 0,
    widPresent: false,
    prec: 0,
    precPresent: false,
  };
}

const TOO_LARGE = 1e6;

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Pads to the width, on the left (zeros if the flag asks) or on the right with "-". */
function pad(f: Flags, s: string): string {
  if (!f.widPresent || f.wid === 0) return s;
  const n = f.wid - runeCount(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  return (f.zero ? '0' : ' ').repeat(n) + s;
}

function typeNameOf(a: GoArg): string {
  switch (a.kind) {
    case 'int':
      return 'int';
    case 'bigint':
      return '*big.Int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
  }
}

export function goSprintf(format: string, args: GoArg[]): string {
  return new Printer(format, args).run();
}

// One Sprintf call. A class rather than closures: closures made per call are costly when
// the code runs through a loader that wraps every function to keep its name.
class Printer {
  private out = '';
  private argNum = 0;
  private reordered = false;
  private goodArgNum = true;
  private readonly end: number;

  constructor(
    private readonly format: string,
    private readonly args: GoArg[],
  ) {
    this.end = format.length;
  }

  private parseNum(start: number): [number, boolean, number] {
    const { format, end } = this;
    let j = start;
    let num = 0;
    let isNum = false;
    while (j < end && format.charCodeAt(j) >= 48 && format.charCodeAt(j) <= 57) {
      if (num > TOO_LARGE) return [0, false, end];
      num = num * 10 + (format.charCodeAt(j) - 48);
      isNum = true;
      j++;
    }
    return [num, isNum, j];
  }

  /** "[n]" before a verb, width or precision picks the operand explicitly. */
  private argNumber(current: number, at: number): [number, number, boolean] {
    if (at >= this.end || this.format[at] !== '[') return [current, at, false];
    this.reordered = true;
    const rest = this.format.slice(at);
    let index = 0;
    let wid = 1;
    let ok = false;
    if (rest.length >= 3) {
      const close = rest.indexOf(']', 1);
      if (close > 0) {
        wid = close + 1;
        const digits = rest.slice(1, close);
        if (/^[0-9]+$/.test(digits) && Number(digits) <= TOO_LARGE) {
          index = Number(digits) - 1;
          ok = true;
        }
      }
    }
    if (ok && index >= 0 && index < this.args.length) return [index, at + wid, true];
    this.goodArgNum = false;
    return [current, at + wid, ok];
  }

  private intFromArg(n: number): [number, boolean, number] {
    if (n >= this.args.length) return [0, false, n];
    const a = this.args[n];
    if (a.kind !== 'int' || a.value > BigInt(TOO_LARGE) || a.value < -BigInt(TOO_LARGE)) return [0, false, n + 1];
    return [Number(a.value), true, n + 1];
  }

  run(): string {
    const { format, args, end } = this;
    let i = 0;
    while (i < end) {
      const pct = format.indexOf('%', i);
      if (pct < 0) {
        this.out += format.slice(i);
        break;
      }
      this.out += format.slice(i, pct);
      i = pct + 1;
      // Fast path: a bare verb letter with its operand in sequence.
      const c = format.charCodeAt(i);
      if (c >= 97 && c <= 122 && this.argNum < args.length) {
        const verb = format[i];
        i++;
        const f = newFlags();
        this.out += printArg(f, args[this.argNum++], verb);
        continue;
      }
      i = this.directive(i);
      if (i < 0) break;
    }
    if (!this.reordered && this.argNum < args.length) {
      const f = newFlags();
      this.out += '%!(EXTRA ' + args.slice(this.argNum).map((a) => typeNameOf(a) + '=' + printArg(f, a, 'v')).join(', ') + ')';
    }
    return this.out;
  }

  /** One directive after its '%': flags, [index], width, precision, verb. Returns the next position, or -1 at the end. */
  private directive(start: number): number {
    const { format, args, end } = this;
    let i = start;
    this.goodArgNum = true;
    const f = newFlags();
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    let afterIndex: boolean;
    [this.argNum, i, afterIndex] = this.argNumber(this.argNum, i);

    if (i < end && format[i] === '*') {
      i++;
      [f.wid, f.widPresent, this.argNum] = this.intFromArg(this.argNum);
      if (!f.widPresent) this.out += '%!(BADWIDTH)';
      if (f.wid < 0) {
        f.wid = -f.wid;
        f.minus = true;
        f.zero = false;
      }
      afterIndex = false;
    } else {
      [f.wid, f.widPresent, i] = this.parseNum(i);
      if (afterIndex && f.widPresent) this.goodArgNum = false;
    }

    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) this.goodArgNum = false;
      [this.argNum, i, afterIndex] = this.argNumber(this.argNum, i);
      if (i < end && format[i] === '*') {
        i++;
        [f.prec, f.precPresent, this.argNum] = this.intFromArg(this.argNum);
        if (f.prec < 0) {
          f.prec = 0;
          f.precPresent = false;
        }
        if (!f.precPresent) this.out += '%!(BADPREC)';
        afterIndex = false;
      } else {
        [f.prec, f.precPresent, i] = this.parseNum(i);
        if (!f.precPresent) {
          f.prec = 0;
          f.precPresent = true;
        }
      }
    }

    if (!afterIndex) [this.argNum, i, afterIndex] = this.argNumber(this.argNum, i);

    if (i >= end) {
      this.out += '%!(NOVERB)';
      return -1;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;

    if (verb === '%') {
      this.out += '%';
    } else if (!this.goodArgNum) {
      this.out += `%!${verb}(BADINDEX)`;
    } else if (this.argNum >= args.length) {
      this.out += `%!${verb}(MISSING)`;
    } else {
      if (verb === 'v') {
        f.sharpV = f.sharp;
        f.sharp = false;
        f.plusV = f.plus;
        f.plus = false;
      }
      this.out += printArg(f, args[this.argNum], verb);
      this.argNum++;
    }
    return i;
  }
}

function badVerb(f: Flags, a: GoArg, verb: string): string {
  if (a.kind === 'bigint') return `%!${verb}(big.Int=${a.value.toString()})`;
  return `%!${verb}(${typeNameOf(a)}=${printArg(f, a, 'v')})`;
}

function printArg(f: Flags, a: GoArg, verb: string): string {
  if (verb === 'T') return fmtS(f, typeNameOf(a));
  switch (a.kind) {
    case 'int':
      return formatInt(f, a, verb);
    case 'bigint':
      return formatBigInt(f, a, verb);
    case 'float':
      return formatFloatArg(f, a, verb);
    case 'string':
      return formatString(f, a, verb);
  }
}

// ---------------------------------------------------------------------------------------------
// Integers

function formatInt(f: Flags, a: { kind: 'int'; value: bigint }, verb: string): string {
  switch (verb) {
    case 'v':
    case 'd':
      return fmtInteger(f, a.value, 10, verb, false);
    case 'b':
      return fmtInteger(f, a.value, 2, verb, false);
    case 'o':
    case 'O':
      return fmtInteger(f, a.value, 8, verb, false);
    case 'x':
      return fmtInteger(f, a.value, 16, verb, false);
    case 'X':
      return fmtInteger(f, a.value, 16, verb, true);
    case 'c':
      return pad(f, runeOf(a.value));
    case 'q':
      return pad(f, quoteRune(runeOf(a.value)));
    case 'U':
      return fmtUnicode(f, a.value);
    default:
      return badVerb(f, a, verb);
  }
}

function runeOf(v: bigint): string {
  if (v < 0n || v > 0x10ffffn || (v >= 0xd800n && v <= 0xdfffn)) return '\ufffd';
  return String.fromCodePoint(Number(v));
}

function quoteRune(r: string): string {
  if (r === "'") return "'\\''";
  if (r === '"') return `'"'`;
  return "'" + quoteString(r).slice(1, -1) + "'";
}

function fmtUnicode(f: Flags, v: bigint): string {
  const hex = (v < 0n ? BigInt.asUintN(64, v) : v).toString(16).toUpperCase();
  const digits = hex.padStart(f.precPresent && f.prec > 4 ? f.prec : 4, '0');
  let s = 'U+' + digits;
  if (f.sharp && v >= 0n && v <= 0x10ffffn && !(v >= 0xd800n && v <= 0xdfffn)) s += " '" + runeOf(v) + "'";
  const saved = f.zero;
  f.zero = false;
  const r = pad(f, s);
  f.zero = saved;
  return r;
}

/** fmt's integer layout: [sign][prefix][zeros][digits], padded to the width. */
function fmtInteger(f: Flags, value: bigint, base: number, verb: string, upper: boolean): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  let prec = 0;
  if (f.precPresent) {
    prec = f.prec;
    if (prec === 0 && abs === 0n) {
      const saved = f.zero;
      f.zero = false;
      const r = pad(f, '');
      f.zero = saved;
      return r;
    }
  } else if (f.zero && !f.minus && f.widPresent) {
    prec = f.wid;
    if (negative || f.plus || f.space) prec--;
  }
  let digits = abs.toString(base);
  if (upper) digits = digits.toUpperCase();
  if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
  let prefix = '';
  if (f.sharp) {
    if (base === 2) prefix = '0b';
    else if (base === 8 && digits[0] !== '0') prefix = '0';
    else if (base === 16) prefix = upper ? '0X' : '0x';
  }
  if (verb === 'O') prefix = '0o';
  const sign = negative ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  const saved = f.zero;
  f.zero = false;
  const r = pad(f, sign + prefix + digits);
  f.zero = saved;
  return r;
}

/** math/big's Int.Format, which differs from fmt's integers in padding and bad verbs. */
function formatBigInt(f: Flags, a: { kind: 'bigint'; value: bigint }, verb: string): string {
  let base: number;
  switch (verb) {
    case 'b':
      base = 2;
      break;
    case 'o':
    case 'O':
      base = 8;
      break;
    case 'd':
    case 's':
    case 'v':
      base = 10;
      break;
    case 'x':
    case 'X':
      base = 16;
      break;
    default:
      return badVerb(f, a, verb);
  }
  const x = a.value;
  const sign = x < 0n ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  let prefix = '';
  if (f.sharp) prefix = ({ b: '0b', o: '0', x: '0x', X: '0X' } as Record<string, string>)[verb] ?? '';
  if (verb === 'O') prefix = '0o';
  let digits = (x < 0n ? -x : x).toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  let zeros = 0;
  if (f.precPresent) {
    if (digits.length < f.prec) zeros = f.prec - digits.length;
    else if (digits === '0' && f.prec === 0) return '';
  }
  const length = sign.length + prefix.length + zeros + digits.length;
  let left = 0;
  let right = 0;
  if (f.widPresent && length < f.wid) {
    const d = f.wid - length;
    if (f.minus) right = d;
    else if (f.zero && !f.precPresent) zeros = d;
    else left = d;
  }
  return ' '.repeat(left) + sign + prefix + '0'.repeat(zeros) + digits + ' '.repeat(right);
}

// ---------------------------------------------------------------------------------------------
// Floats

function formatFloatArg(f: Flags, a: { kind: 'float'; value: number }, verb: string): string {
  switch (verb) {
    case 'v':
      return fmtFloat(f, a.value, 'g', -1);
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
      return fmtFloat(f, a.value, verb, -1);
    case 'f':
    case 'e':
    case 'E':
      return fmtFloat(f, a.value, verb, 6);
    case 'F':
      return fmtFloat(f, a.value, 'f', 6);
    default:
      return badVerb(f, a, verb);
  }
}

function fmtFloat(f: Flags, v: number, verb: string, defaultPrec: number): string {
  const prec = f.precPresent ? f.prec : defaultPrec;
  let num = formatFloat(v, verb, prec);
  num = num[0] === '-' || num[0] === '+' ? num : '+' + num;
  if (f.space && num[0] === '+' && !f.plus) num = ' ' + num.slice(1);
  if (num[1] === 'I' || num[1] === 'N') {
    if (num[1] === 'N' && !f.space && !f.plus) num = num.slice(1);
    const saved = f.zero;
    f.zero = false;
    const r = pad(f, num);
    f.zero = saved;
    return r;
  }
  if (f.sharp && verb !== 'b') num = sharpFloat(num, verb, prec);
  if (f.plus || num[0] !== '+') {
    if (f.zero && !f.minus && f.widPresent && f.wid > num.length) {
      return num[0] + '0'.repeat(f.wid - num.length) + num.slice(1);
    }
    return pad(f, num);
  }
  return pad(f, num.slice(1));
}

/** "#" keeps a decimal point, and for %g the trailing zeros up to the precision. */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = 0;
  if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') digits = prec === -1 ? 6 : prec;
  const expAt = num.search(/[eEpP]/);
  let body = expAt >= 0 ? num.slice(0, expAt) : num;
  const tail = expAt >= 0 ? num.slice(expAt) : '';
  let sawPoint = false;
  let sawNonzero = false;
  for (let k = 1; k < body.length; k++) {
    const c = body[k];
    if (c === '.') sawPoint = true;
    else if (c >= '0' && c <= '9') {
      if (c !== '0') sawNonzero = true;
      if (sawNonzero || c !== '0') digits--;
      else if (sawPoint) digits--;
    }
  }
  if (!sawPoint) {
    if (body.length === 2 && body[1] === '0') digits--;
    body += '.';
  }
  if (digits > 0) body += '0'.repeat(digits);
  return body + tail;
}

/** strconv.FormatFloat(v, verb, prec, 64) for the verbs e, E, f, g, G (prec -1: shortest). */
export function formatFloat(v: number, verb: string, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const abs = Math.abs(v);
  const sign = neg ? '-' : '';
  const lower = verb.toLowerCase();
  if (lower === 'b' || lower === 'x') return sign + hexFloat(abs, verb, prec);
  if (lower === 'f') {
    if (prec < 0) {
      const digs = shortestDigits(abs);
      return sign + fixedFromDigits(digs, digs.decimals);
    }
    return sign + fixed(abs, prec);
  }

  // Decimal digits and the position of the decimal point: value = 0.d1d2d3... * 10^dp.
  let digs: { d: string; dp: number };
  const shortest = prec < 0;
  if (shortest) digs = shortestDigits(abs);
  else {
    const p = lower === 'e' ? prec + 1 : prec === 0 ? 1 : prec;
    digs = roundedDigits(abs, p);
  }
  if (lower === 'e') {
    const p = shortest ? digs.d.length - 1 : prec;
    return sign + expForm(digs, p, verb);
  }
  // %g
  let p = shortest ? digs.d.length : prec === 0 ? 1 : prec;
  const nd = digs.d.replace(/0+$/, '').length || 1;
  let eprec = p;
  if (eprec > nd && nd >= digs.dp) eprec = nd;
  if (shortest) eprec = 6;
  const exp = digs.dp - 1;
  const trimmed = { d: digs.d.slice(0, nd), dp: digs.dp };
  if (exp < -4 || exp >= eprec) {
    if (p > nd) p = nd;
    return sign + expForm(trimmed, p - 1, verb === 'G' ? 'E' : 'e');
  }
  if (p > digs.dp) p = nd;
  return sign + fixedFromDigits(trimmed, Math.max(p - digs.dp, 0));
}

function shortestDigits(abs: number): { d: string; dp: number; decimals: number } {
  if (abs === 0) return { d: '0', dp: 1, decimals: 0 };
  const [mant, e] = abs.toExponential().split('e');
  const d = mant.replace('.', '');
  const dp = Number(e) + 1;
  return { d, dp, decimals: Math.max(d.length - dp, 0) };
}

/** A finite non-negative double as an integer mantissa and a power of two: value = mant × 2^exp. */
function binaryParts(abs: number): { mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, abs);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // Subnormals have no implicit leading bit and the exponent of the smallest normal.
  return biased === 0 ? { mant: fraction, exp: 1 - 1075 } : { mant: fraction | (1n << 52n), exp: biased - 1075 };
}

/** The exact decimal expansion of a finite positive double: value = 0.d × 10^dp. */
function exactDigits(abs: number): { d: string; dp: number } {
  const { mant, exp } = binaryParts(abs);
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    // mant / 2^k = mant × 5^k / 10^k
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  const lead = digits.length - digits.replace(/^0+/, '').length;
  return { d: digits.slice(lead).replace(/0+$/, '') || '0', dp: dp - lead };
}

/** Keeps the first `keep` digits, rounding the exact value half to even, as strconv does. */
function roundDigits(digs: { d: string; dp: number }, keep: number): { d: string; dp: number } {
  const { d, dp } = digs;
  if (keep >= d.length) return digs;
  if (keep < 0) return { d: '0', dp: dp - keep };
  const first = d[keep];
  const rest = d.slice(keep + 1);
  const prevOdd = keep > 0 && (d.charCodeAt(keep - 1) - 48) % 2 === 1;
  const up = first > '5' || (first === '5' && (/[1-9]/.test(rest) || prevOdd));
  let kept = d.slice(0, keep);
  if (!up) return { d: kept || '0', dp: kept ? dp : dp - keep };
  let k = kept.length - 1;
  while (k >= 0 && kept[k] === '9') k--;
  if (k < 0) return { d: '1', dp: dp + 1 };
  kept = kept.slice(0, k) + String.fromCharCode(kept.charCodeAt(k) + 1);
  return { d: kept, dp };
}

function roundedDigits(abs: number, significant: number): { d: string; dp: number } {
  if (abs === 0) return { d: '0'.repeat(significant), dp: 1 };
  const r = roundDigits(exactDigits(abs), significant);
  return { d: r.d.padEnd(significant, '0'), dp: r.dp };
}

function expForm(digs: { d: string; dp: number }, decimals: number, verb: string): string {
  const d = digs.d.padEnd(decimals + 1, '0');
  const exp = digs.d === '0' || /^0+$/.test(digs.d) ? 0 : digs.dp - 1;
  const mant = decimals > 0 ? d[0] + '.' + d.slice(1, decimals + 1) : d[0];
  const e = Math.abs(exp);
  return mant + (verb === 'E' || verb === 'G' ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (e < 10 ? '0' + e : String(e));
}

function fixedFromDigits(digs: { d: string; dp: number }, decimals: number): string {
  let intPart: string;
  let frac: string;
  if (digs.dp <= 0) {
    intPart = '0';
    frac = '0'.repeat(-digs.dp) + digs.d;
  } else if (digs.dp >= digs.d.length) {
    intPart = digs.d + '0'.repeat(digs.dp - digs.d.length);
    frac = '';
  } else {
    intPart = digs.d.slice(0, digs.dp);
    frac = digs.d.slice(digs.dp);
  }
  frac = frac.padEnd(decimals, '0').slice(0, decimals);
  return decimals > 0 ? intPart + '.' + frac : intPart;
}

function fixed(abs: number, decimals: number): string {
  if (abs === 0) return decimals > 0 ? '0.' + '0'.repeat(decimals) : '0';
  const exact = exactDigits(abs);
  const r = roundDigits(exact, exact.dp + decimals);
  if (r.d === '0') return decimals > 0 ? '0.' + '0'.repeat(decimals) : '0';
  return fixedFromDigits(r, decimals);
}

/** %x on a float: hexadecimal mantissa and binary exponent, as "0x1.8p+01". */
function hexFloat(abs: number, verb: string, prec: number): string {
  if (verb === 'b') {
    if (abs === 0) return '0p-1074';
    const { mant, exp } = binaryParts(abs);
    return `${mant}p${exp >= 0 ? '+' : ''}${exp}`;
  }
  let exp = 0;
  let m = abs;
  if (m !== 0) {
    exp = Math.floor(Math.log2(m));
    m = m / 2 ** exp;
    while (m >= 2) {
      m /= 2;
      exp++;
    }
    while (m < 1) {
      m *= 2;
      exp--;
    }
  }
  let frac = m - 1;
  let hex = '';
  if (prec < 0) {
    while (frac > 0) {
      frac *= 16;
      const digit = Math.floor(frac);
      hex += digit.toString(16);
      frac -= digit;
    }
  } else {
    const scaled = Math.round((m - 1) * 16 ** prec);
    if (scaled >= 16 ** prec && prec > 0) {
      exp++;
      hex = '0'.repeat(prec);
    } else hex = prec > 0 ? scaled.toString(16).padStart(prec, '0') : '';
  }
  const e = Math.abs(exp);
  let s = '0x1' + (hex ? '.' + hex : '') + 'p' + (exp < 0 ? '-' : '+') + (e < 10 ? '0' + e : String(e));
  if (verb === 'X') s = s.toUpperCase();
  return s;
}

// ---------------------------------------------------------------------------------------------
// Strings

function formatString(flags: Flags, a: { kind: 'string'; value: string }, verb: string): string {
  // Since Go 1.23 the '0' flag does not pad strings: they pad with spaces.
  const f = flags.zero ? { ...flags, zero: false } : flags;
  switch (verb) {
    case 'v':
      if (f.sharpV) return pad(f, quoteString(a.value));
      return fmtS(f, a.value);
    case 's':
      return fmtS(f, a.value);
    case 'x':
    case 'X':
      return fmtSx(f, a.value, verb === 'X');
    case 'q':
      return pad(f, f.sharp && canBackquote(a.value) ? '`' + a.value + '`' : quoteString(truncate(f, a.value)));
    default:
      return badVerb(f, a, verb);
  }
}

function truncate(f: Flags, s: string): string {
  if (!f.precPresent) return s;
  return Array.from(s).slice(0, f.prec).join('');
}

function fmtS(f: Flags, s: string): string {
  return pad(f, truncate(f, s));
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '`' || c === 0xfeff || c === 0x7f || (c < 0x20 && c !== 0x09)) return false;
  }
  return true;
}

function fmtSx(f: Flags, s: string, upper: boolean): string {
  let bytes = Buffer.from(s, 'utf8');
  if (f.precPresent && f.prec < bytes.length) bytes = bytes.subarray(0, f.prec);
  const parts: string[] = [];
  for (let k = 0; k < bytes.length; k++) {
    let h = bytes[k].toString(16).padStart(2, '0');
    if (upper) h = h.toUpperCase();
    if (f.space) {
      parts.push((f.sharp ? (upper ? '0X' : '0x') : '') + h);
    } else {
      parts.push(h);
    }
  }
  let out = f.space ? parts.join(' ') : parts.join('');
  if (!f.space && f.sharp && bytes.length > 0) out = (upper ? '0X' : '0x') + out;
  return pad(f, out);
}
