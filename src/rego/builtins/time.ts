// time.*: timestamps are integers of nanoseconds since the epoch (int64 range, as in Go). Layouts
// are Go reference-time layouts ("2006-01-02T15:04:05Z07:00"); time zones are IANA names resolved
// through Intl (the tz database that ships with Node).

import { type Value, normNumber } from '../eval/values';
import { BoundedCache } from './lru';
import { asInteger, asString } from './operands';
import { BuiltinError, operandError, register } from './registry';

const NS_PER_S = 1_000_000_000n;
const MAX_NS = 2n ** 63n - 1n;
const MIN_NS = -(2n ** 63n);

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

// ---------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws Go's error for a zone name the tz database does not know. */
function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new BuiltinError(`unknown time zone ${zone}`);
    }
    formatters.set(zone, f);
  }
  return f;
}

interface Zone {
  /** IANA name, or 'UTC'. */
  name: string;
}

const UTC: Zone = { name: 'UTC' };

function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  const zone = name === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  zoneFormatter(zone);
  return { name: zone };
}

/** Offset east of UTC in seconds at an instant (whole seconds), asking the tz database. */
function zoneOffsetUncached(zone: Zone, epochSeconds: number): number {
  const parts = zoneFormatter(zone.name).formatToParts(new Date(epochSeconds * 1000));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  let year = Number(get('year'));
  if (get('era') === 'BC') year = 1 - year;
  const local = Date.UTC(year, Number(get('month')) - 1, Number(get('day')), Number(get('hour')), Number(get('minute')), Number(get('second')));
  return Math.round(local / 1000 - epochSeconds);
}

/**
 * Offsets are remembered per zone and quarter hour: asking Intl costs tens of microseconds, and
 * zone transitions fall on quarter-hour boundaries. A window whose two ends disagree (a historical
 * transition at an odd time) is not remembered.
 */
const OFFSET_WINDOW_S = 900;
const offsetCache = new BoundedCache<number | null>(4096);

function zoneOffset(zone: Zone, epochSeconds: number): number {
  if (zone.name === 'UTC') return 0;
  const start = Math.floor(epochSeconds / OFFSET_WINDOW_S) * OFFSET_WINDOW_S;
  const cached = offsetCache.get(`${zone.name} ${start}`, () => {
    const first = zoneOffsetUncached(zone, start);
    return zoneOffsetUncached(zone, start + OFFSET_WINDOW_S - 1) === first ? first : null;
  });
  return cached ?? zoneOffsetUncached(zone, epochSeconds);
}

/**
 * Locales whose short zone names match tzdata's abbreviations for their regions (en-US knows
 * only American zones: "GMT+1" for Amsterdam, where en-GB says "CET", as Go does).
 */
const ABBREVIATION_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-AU', 'en-ZA', 'ja-JP'];
const nameFormatters = new Map<string, Intl.DateTimeFormat>();

const abbreviationCache = new BoundedCache<string | null>(1024);

/** The zone's abbreviation at an instant, as Go prints it for "MST" in a layout. */
function zoneAbbreviation(zone: Zone, epochSeconds: number, offset: number): string {
  if (zone.name === 'UTC') return 'UTC';
  const start = Math.floor(epochSeconds / OFFSET_WINDOW_S) * OFFSET_WINDOW_S;
  const cached = abbreviationCache.get(`${zone.name} ${start}`, () => {
    const first = zoneAbbreviationUncached(zone, start, zoneOffset(zone, start));
    const end = start + OFFSET_WINDOW_S - 1;
    return zoneAbbreviationUncached(zone, end, zoneOffset(zone, end)) === first ? first : null;
  });
  return cached ?? zoneAbbreviationUncached(zone, epochSeconds, offset);
}

function zoneAbbreviationUncached(zone: Zone, epochSeconds: number, offset: number): string {
  for (const locale of ABBREVIATION_LOCALES) {
    const key = `${locale} ${zone.name}`;
    let f = nameFormatters.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat(locale, { timeZone: zone.name, timeZoneName: 'short' });
      nameFormatters.set(key, f);
    }
    const name = f.formatToParts(new Date(epochSeconds * 1000)).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]{2,5}$/.test(name) && !(name === 'GMT' && offset !== 0)) return name;
  }
  // No name: tzdata then uses the numeric offset, "+05" or "+0530".
  return numericZone(offset, false, offset % 3600 === 0, '');
}

// ---------------------------------------------------------------------------------------------
// Civil time: a moment as calendar fields in some zone

interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number; // 0 = Sunday
  yearDay: number; // 1-366
  offset: number; // seconds east of UTC
  /** The zone and instant, for the abbreviation (looked up only when a layout prints it). */
  zone: Zone;
  epochSeconds: number;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function toCivil(ns: bigint, zone: Zone): Civil {
  const secs = floorDiv(ns, NS_PER_S);
  const nanos = Number(ns - secs * NS_PER_S);
  const offset = zoneOffset(zone, Number(secs));
  const d = new Date((Number(secs) + offset) * 1000);
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    nanos,
    weekday: d.getUTCDay(),
    yearDay: Math.floor((d.getTime() - startOfYear) / 86_400_000) + 1,
    offset,
    zone,
    epochSeconds: Number(secs),
  };
}

/** Nanoseconds of a civil time (fields may overflow, as in Go's time.Date) at a fixed offset. */
function fromCivilFields(y: number, mo: number, d: number, h: number, mi: number, s: number, nanos: number, offset: number): bigint {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return (BigInt(date.getTime()) / 1000n - BigInt(offset)) * NS_PER_S + BigInt(nanos);
}

/** Nanoseconds of a civil time in a zone (the zone's offset at that local time). */
function fromCivilInZone(y: number, mo: number, d: number, h: number, mi: number, s: number, nanos: number, zone: Zone): bigint {
  const guess = fromCivilFields(y, mo, d, h, mi, s, nanos, 0);
  const first = zoneOffset(zone, Number(floorDiv(guess, NS_PER_S)));
  const candidate = guess - BigInt(first) * NS_PER_S;
  const second = zoneOffset(zone, Number(floorDiv(candidate, NS_PER_S)));
  return second === first ? candidate : guess - BigInt(second) * NS_PER_S;
}

// ---------------------------------------------------------------------------------------------
// Arguments: a number of ns, or [ns, zone] / [ns, zone, layout]

const TIME_ARG = 'number|array<number|string>';
const TIME_ARG_NAME = 'either number (ns) or [number (ns), string (tz)]';

function checkedNs(v: Value, pos: number): bigint {
  if (typeof v === 'bigint') {
    if (v > MAX_NS || v < MIN_NS) throw new BuiltinError('timestamp too big');
    return v;
  }
  if (typeof v !== 'number') operandError(pos, 'number', v);
  if (!Number.isFinite(v) || v >= 9.223372036854776e18 || v < -9.223372036854776e18) throw new BuiltinError('timestamp too big');
  return BigInt(Math.trunc(v));
}

function timeArg(v: Value, pos: number): { ns: bigint; zone: Zone; layout: string } {
  let zone = UTC;
  let layout = RFC3339_NANO;
  if (Array.isArray(v)) {
    if (v.length === 0) operandError(pos, TIME_ARG_NAME, v);
    const ns = checkedNs(v[0], pos);
    if (v.length > 1) zone = loadZone(asString(v[1], pos));
    if (v.length > 2) {
      const l = asString(v[2], pos);
      layout = NAMED_LAYOUTS[l] ?? l;
    }
    return { ns, zone, layout };
  }
  if (typeof v !== 'number' && typeof v !== 'bigint') operandError(pos, TIME_ARG_NAME, v);
  return { ns: checkedNs(v, pos), zone, layout };
}

function nsResult(ns: bigint): Value {
  if (ns > MAX_NS || ns < MIN_NS) throw new BuiltinError('time outside of valid range');
  return normNumber(ns);
}

// ---------------------------------------------------------------------------------------------
// Go layouts

const RFC3339 = '2006-01-02T15:04:05Z07:00';
const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00';

const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339,
  RFC3339Nano: RFC3339_NANO,
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

type Chunk = { lit: string } | { std: string; digits?: number };

/** Element names, longest first within each leading character, as Go's nextStdChunk matches them. */
const STD_ELEMENTS = [
  'January', 'Jan', 'Monday', 'Mon', 'MST',
  '002', '01', '02', '03', '04', '05', '06',
  '15', '1', '2006', '2', '__2', '_2',
  '3', '4', '5', 'PM', 'pm',
  '-07:00:00', '-070000', '-07:00', '-0700', '-07',
  'Z07:00:00', 'Z070000', 'Z07:00', 'Z0700', 'Z07',
];

const layoutCache = new Map<string, Chunk[]>();

function parseLayout(layout: string): Chunk[] {
  const cached = layoutCache.get(layout);
  if (cached) return cached;
  const chunks: Chunk[] = [];
  let lit = '';
  let i = 0;
  while (i < layout.length) {
    const rest = layout.slice(i);
    const c = layout[i];
    if ((c === '.' || c === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const digit = layout[i + 1];
      let j = i + 1;
      while (j < layout.length && layout[j] === digit) j++;
      if (!/[0-9]/.test(layout[j] ?? '')) {
        if (lit) chunks.push({ lit });
        lit = '';
        chunks.push({ std: digit === '0' ? 'frac0' : 'frac9', digits: j - i - 1 });
        i = j;
        continue;
      }
    }
    let el = STD_ELEMENTS.find((e) => rest.startsWith(e));
    // "_2006" is a literal underscore before a year; "Monday"/"January" need no word boundary.
    if (el === '_2' && rest.startsWith('_2006')) el = undefined;
    if (el === '2' && rest.startsWith('2006')) el = '2006';
    if (el) {
      if (lit) chunks.push({ lit });
      lit = '';
      chunks.push({ std: el });
      i += el.length;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) chunks.push({ lit });
  layoutCache.set(layout, chunks);
  return chunks;
}

const pad = (n: number, width: number, ch = '0'): string => {
  const s = String(Math.abs(n)).padStart(width, ch);
  return n < 0 ? '-' + s : s;
};

function numericZone(offset: number, colon: boolean, short: boolean, z: string, withSeconds = false): string {
  if (z && offset === 0) return z;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const h = pad(Math.floor(abs / 3600), 2);
  const m = pad(Math.floor((abs % 3600) / 60), 2);
  const s = pad(abs % 60, 2);
  if (short) return sign + h;
  const sep = colon ? ':' : '';
  return sign + h + sep + m + (withSeconds ? sep + s : '');
}

function format(c: Civil, layout: string): string {
  let out = '';
  for (const chunk of parseLayout(layout)) {
    if ('lit' in chunk) {
      out += chunk.lit;
      continue;
    }
    const h12 = c.hour % 12 === 0 ? 12 : c.hour % 12;
    switch (chunk.std) {
      case 'January': out += MONTHS[c.month - 1]; break;
      case 'Jan': out += MONTHS[c.month - 1].slice(0, 3); break;
      case 'Monday': out += WEEKDAYS[c.weekday]; break;
      case 'Mon': out += WEEKDAYS[c.weekday].slice(0, 3); break;
      case 'MST': out += zoneAbbreviation(c.zone, c.epochSeconds, c.offset); break;
      case '002': out += pad(c.yearDay, 3); break;
      case '__2': out += pad(c.yearDay, 3, ' '); break;
      case '01': out += pad(c.month, 2); break;
      case '1': out += String(c.month); break;
      case '02': out += pad(c.day, 2); break;
      case '_2': out += pad(c.day, 2, ' '); break;
      case '2': out += String(c.day); break;
      case '03': out += pad(h12, 2); break;
      case '3': out += String(h12); break;
      case '15': out += pad(c.hour, 2); break;
      case '04': out += pad(c.minute, 2); break;
      case '4': out += String(c.minute); break;
      case '05': out += pad(c.second, 2); break;
      case '5': out += String(c.second); break;
      case '06': out += pad(((c.year % 100) + 100) % 100, 2); break;
      case '2006': out += pad(c.year, 4); break;
      case 'PM': out += c.hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += c.hour >= 12 ? 'pm' : 'am'; break;
      case '-07:00:00': out += numericZone(c.offset, true, false, '', true); break;
      case '-070000': out += numericZone(c.offset, false, false, '', true); break;
      case '-07:00': out += numericZone(c.offset, true, false, ''); break;
      case '-0700': out += numericZone(c.offset, false, false, ''); break;
      case '-07': out += numericZone(c.offset, false, true, ''); break;
      case 'Z07:00:00': out += numericZone(c.offset, true, false, 'Z', true); break;
      case 'Z070000': out += numericZone(c.offset, false, false, 'Z', true); break;
      case 'Z07:00': out += numericZone(c.offset, true, false, 'Z'); break;
      case 'Z0700': out += numericZone(c.offset, false, false, 'Z'); break;
      case 'Z07': out += numericZone(c.offset, false, true, 'Z'); break;
      case 'frac0':
        out += '.' + pad(c.nanos, 9).slice(0, chunk.digits);
        break;
      case 'frac9': {
        const digits = pad(c.nanos, 9).slice(0, chunk.digits).replace(/0+$/, '');
        if (digits) out += '.' + digits;
        break;
      }
    }
  }
  return out;
}

// Parsing ------------------------------------------------------------------------------------

const goQuote = (s: string): string => JSON.stringify(s);

class LayoutParseError extends BuiltinError {
  constructor(value: string, layout: string, valueElem: string, layoutElem: string, detail = '') {
    super(
      detail
        ? `parsing time ${goQuote(value)}${detail}`
        : `parsing time ${goQuote(value)} as ${goQuote(layout)}: cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`,
    );
  }
}

function parseTime(layout: string, value: string): bigint {
  const chunks = parseLayout(layout);
  let rest = value;
  let year = 1;
  let month = 1;
  let day = 1;
  let yearDay = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  const rangeError = (what: string): never => {
    throw new LayoutParseError(value, layout, '', '', `: ${what} out of range`);
  };
  // The layout element being read, for error messages.
  let elemText = '';
  const fail = (): never => {
    throw new LayoutParseError(value, layout, rest, elemText);
  };
  const num = (min: number, max: number): number => {
    let n = 0;
    while (n < max && n < rest.length && rest.charCodeAt(n) >= 48 && rest.charCodeAt(n) <= 57) n++;
    if (n < min) fail();
    const digits = Number(rest.slice(0, n));
    rest = rest.slice(n);
    return digits;
  };
  const name = (names: string[], len?: number): number => {
    const lower = rest.toLowerCase();
    const idx = names.findIndex((n) => lower.startsWith((len ? n.slice(0, len) : n).toLowerCase()));
    if (idx < 0) fail();
    rest = rest.slice(len ?? names[idx].length);
    return idx;
  };
  for (let k = 0; k < chunks.length; k++) {
    const chunk = chunks[k];
    if ('lit' in chunk) {
      // Go lets a run of spaces in the layout match any run of spaces in the value.
      const lit = chunk.lit;
      if (!rest.startsWith(lit)) {
        const spaceless = lit.replace(/^ +/, '');
        const trimmed = rest.replace(/^ +/, '');
        if (lit.startsWith(' ') && rest.startsWith(' ') && trimmed.startsWith(spaceless)) {
          rest = trimmed.slice(spaceless.length);
          continue;
        }
        throw new LayoutParseError(value, layout, rest, lit);
      }
      rest = rest.slice(lit.length);
      continue;
    }
    elemText = chunk.std === 'frac0' || chunk.std === 'frac9' ? '.' + '0'.repeat(chunk.digits ?? 0) : chunk.std;
    switch (chunk.std) {
      case '2006':
        if (!/^\d{4}/.test(rest)) fail();
        year = num(4, 4);
        break;
      case '06':
        year = num(2, 2);
        year += year >= 69 ? 1900 : 2000;
        break;
      case 'January': month = name(MONTHS) + 1; break;
      case 'Jan': month = name(MONTHS, 3) + 1; break;
      case 'Monday': name(WEEKDAYS); break;
      case 'Mon': name(WEEKDAYS, 3); break;
      case '01': month = num(2, 2); if (month < 1 || month > 12) rangeError('month'); break;
      case '1': month = num(1, 2); if (month < 1 || month > 12) rangeError('month'); break;
      case '02': day = num(2, 2); break;
      case '_2':
        if (rest.startsWith(' ')) rest = rest.slice(1);
        day = num(1, 2);
        break;
      case '2': day = num(1, 2); break;
      case '002': yearDay = num(3, 3); break;
      case '__2':
        rest = rest.replace(/^ {1,2}/, '');
        yearDay = num(1, 3);
        break;
      case '15': hour = num(1, 2); if (hour > 23) rangeError('hour'); break;
      case '03': hour = num(2, 2); if (hour > 12) rangeError('hour'); break;
      case '3': hour = num(1, 2); if (hour > 12) rangeError('hour'); break;
      case '04': minute = num(2, 2); if (minute > 59) rangeError('minute'); break;
      case '4': minute = num(1, 2); if (minute > 59) rangeError('minute'); break;
      case '05':
      case '5': {
        second = chunk.std === '05' ? num(2, 2) : num(1, 2);
        if (second > 59) rangeError('second');
        // A fractional second may follow even when the layout does not ask for one.
        const next = chunks[k + 1];
        const nextIsFrac = next && 'std' in next && (next.std === 'frac0' || next.std === 'frac9');
        const m = /^[.,](\d+)/.exec(rest);
        if (m && !nextIsFrac) {
          nanos = Number(m[1].slice(0, 9).padEnd(9, '0'));
          rest = rest.slice(m[0].length);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        // Case matters: "PM" reads AM/PM, "pm" reads am/pm.
        const p = rest.slice(0, 2);
        const [am, pmText] = chunk.std === 'PM' ? ['AM', 'PM'] : ['am', 'pm'];
        if (p !== am && p !== pmText) fail();
        pm = p === pmText;
        rest = rest.slice(2);
        break;
      }
      case 'frac0': {
        const m = new RegExp(`^[.,](\\d{${chunk.digits}})`).exec(rest);
        if (!m) fail();
        nanos = Number(m![1].slice(0, 9).padEnd(9, '0'));
        rest = rest.slice(m![0].length);
        break;
      }
      case 'frac9': {
        const m = /^[.,](\d+)/.exec(rest);
        if (m) {
          nanos = Number(m[1].slice(0, 9).padEnd(9, '0'));
          rest = rest.slice(m[0].length);
        }
        break;
      }
      case 'MST': {
        const m = /^(UTC|GMT|[A-Z]{3,5})/.exec(rest);
        if (!m) fail();
        rest = rest.slice(m![0].length);
        if (m![0] === 'GMT') {
          const g = /^[+-]\d{1,2}/.exec(rest);
          if (g) {
            offset = Number(g[0]) * 3600;
            rest = rest.slice(g[0].length);
          }
        }
        offset ??= 0;
        break;
      }
      default: {
        // Numeric zones, with or without "Z" for UTC.
        const allowZ = chunk.std.startsWith('Z');
        if (allowZ && rest.startsWith('Z')) {
          rest = rest.slice(1);
          offset = 0;
          break;
        }
        const shape = chunk.std.slice(1);
        const re =
          shape === '07:00:00' ? /^([+-])(\d\d):(\d\d):(\d\d)/
          : shape === '070000' ? /^([+-])(\d\d)(\d\d)(\d\d)/
          : shape === '07:00' ? /^([+-])(\d\d):(\d\d)()/
          : shape === '0700' ? /^([+-])(\d\d)(\d\d)()/
          : /^([+-])(\d\d)()()/;
        const m = re.exec(rest);
        if (!m) fail();
        const secs = Number(m![2]) * 3600 + Number(m![3] || 0) * 60 + Number(m![4] || 0);
        offset = m![1] === '-' ? -secs : secs;
        rest = rest.slice(m![0].length);
      }
    }
  }
  if (rest.length > 0) throw new LayoutParseError(value, layout, '', '', `: extra text: ${goQuote(rest)}`);
  if (pm !== undefined) {
    if (pm && hour < 12) hour += 12;
    else if (!pm && hour === 12) hour = 0;
  }
  if (yearDay >= 0) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    if (yearDay < 1 || yearDay > (leap ? 366 : 365)) rangeError('day-of-year');
    const d = new Date(Date.UTC(2000, 0, 1));
    d.setUTCFullYear(year, 0, yearDay);
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
  }
  if (day < 1 || day > daysIn(year, month)) rangeError('day');
  return fromCivilFields(year, month, day, hour, minute, second, nanos, offset ?? 0);
}

function daysIn(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

// ---------------------------------------------------------------------------------------------
// Durations (Go's time.ParseDuration)

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n,
  'μs': 1000n,
  ms: 1_000_000n,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
};

function parseDuration(text: string): bigint {
  const invalid = (): never => {
    throw new BuiltinError(`time: invalid duration ${goQuote(text)}`);
  };
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') invalid();
  let total = 0n;
  while (s.length > 0) {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if ((m[1] ?? '') === '' && (m[2] ?? '') === '') invalid();
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) throw new BuiltinError(`time: missing unit in duration ${goQuote(text)}`);
    const unit = DURATION_UNITS[u[0]];
    if (unit === undefined) throw new BuiltinError(`time: unknown unit ${goQuote(u[0])} in duration ${goQuote(text)}`);
    s = s.slice(u[0].length);
    const whole = BigInt(m[1] || '0') * unit;
    const frac = m[2] ?? '';
    const fracNs = frac ? (BigInt(frac) * unit) / 10n ** BigInt(frac.length) : 0n;
    total += whole + fracNs;
    if (total > MAX_NS) invalid();
  }
  return negative ? -total : total;
}

// ---------------------------------------------------------------------------------------------
// time.diff

function diff(a: Civil, b: Civil): number[] {
  let year = b.year - a.year;
  let month = b.month - a.month;
  let day = b.day - a.day;
  let hour = b.hour - a.hour;
  let min = b.minute - a.minute;
  let sec = b.second - a.second;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    day += daysIn(a.year, a.month);
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

// ---------------------------------------------------------------------------------------------

register(
  {
    name: 'time.now_ns',
    args: [],
    result: 'number',
    nondeterministic: true,
    impl: (_args, ctx) => normNumber(ctx.nowNs),
  },
  {
    name: 'time.parse_ns',
    args: ['string', 'string'],
    result: 'number',
    impl: ([layout, value]) => nsResult(parseTime(asString(layout, 1), asString(value, 2))),
  },
  {
    name: 'time.parse_rfc3339_ns',
    args: ['string'],
    result: 'number',
    impl: ([value]) => nsResult(parseTime(RFC3339, asString(value, 1))),
  },
  {
    name: 'time.parse_duration_ns',
    args: ['string'],
    result: 'number',
    impl: ([value]) => normNumber(parseDuration(asString(value, 1))),
  },
  {
    name: 'time.date',
    args: [TIME_ARG],
    result: 'array<number>',
    impl: ([x]) => {
      const t = timeArg(x, 1);
      const c = toCivil(t.ns, t.zone);
      return [c.year, c.month, c.day];
    },
  },
  {
    name: 'time.clock',
    args: [TIME_ARG],
    result: 'array<number>',
    impl: ([x]) => {
      const t = timeArg(x, 1);
      const c = toCivil(t.ns, t.zone);
      return [c.hour, c.minute, c.second];
    },
  },
  {
    name: 'time.weekday',
    args: [TIME_ARG],
    result: 'string',
    impl: ([x]) => {
      const t = timeArg(x, 1);
      return WEEKDAYS[toCivil(t.ns, t.zone).weekday];
    },
  },
  {
    name: 'time.format',
    args: [TIME_ARG],
    result: 'string',
    impl: ([x]) => {
      const t = timeArg(x, 1);
      return format(toCivil(t.ns, t.zone), t.layout);
    },
  },
  {
    name: 'time.add_date',
    args: ['number', 'number', 'number', 'number'],
    result: 'number',
    impl: ([ns, years, months, days]) => {
      const c = toCivil(checkedNs(ns, 1), UTC);
      const y = Number(asInteger(years, 2));
      const mo = Number(asInteger(months, 3));
      const d = Number(asInteger(days, 4));
      const result = fromCivilInZone(c.year + y, c.month + mo, c.day + d, c.hour, c.minute, c.second, c.nanos, UTC);
      // OPA bounds the result by calendar year (Go's UnixNano is defined for 1678-2262).
      const year = toCivil(result, UTC).year;
      if (year < 1678 || year > 2262) throw new BuiltinError('time outside of valid range');
      return nsResult(result);
    },
  },
  {
    // OPA's test helper. Arbiter evaluates synchronously in a shared process, so it checks the
    // duration and the evaluation budget but does not block the thread.
    name: 'test.sleep',
    args: ['string'],
    result: 'null',
    nondeterministic: true,
    impl: ([d], ctx) => {
      parseDuration(asString(d, 1));
      ctx.checkBudget();
      return null;
    },
  },
  {
    name: 'time.diff',
    args: [TIME_ARG, TIME_ARG],
    result: 'array<number>',
    impl: ([x, y]) => {
      const a = timeArg(x, 1);
      const b = timeArg(y, 2);
      // Both are read in the first argument's zone, earlier one first.
      const [early, late] = a.ns <= b.ns ? [a.ns, b.ns] : [b.ns, a.ns];
      return diff(toCivil(early, a.zone), toCivil(late, a.zone));
    },
  },
);
