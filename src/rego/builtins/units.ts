// units.parse (SI and binary suffixes, "m" for milli) and units.parse_bytes (byte sizes,
// truncated to an integer). Amounts are decimal text with an optional exponent; the product is
// computed exactly with bigint arithmetic and rounded once, as OPA's big.Float does.

import type { Value } from '../eval/values';
import { normNumber } from '../eval/values';
import { asString } from './operands';
import { BuiltinError, register } from './registry';

const MAX_EXPONENT = 1000;

function fail(msg: string): never {
  throw new BuiltinError(msg);
}

function failBytes(msg: string): never {
  throw new BuiltinError(msg.replace('amount', 'byte amount'));
}

const isDigit = (c: string) => c >= '0' && c <= '9';

/** Splits "1.5e3Ki" into amount "1.5e3" and unit "Ki", as OPA's extractNumAndUnit does. */
function splitAmount(s: string): [string, string] {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === 'e' || c === 'E') {
      const next = s[i + 1];
      if (next === undefined || (!isDigit(next) && next !== '+' && next !== '-')) return [s.slice(0, i), s.slice(i)];
      if (next === '+' || next === '-') i++;
      continue;
    }
    if (!isDigit(c) && c !== '.' && c !== '+' && c !== '-') return [s.slice(0, i), s.slice(i)];
  }
  return [s, ''];
}

/** An exact decimal: digits × 10^exp. */
interface Decimal {
  digits: bigint;
  exp: number;
}

function parseDecimal(text: string, fail: (msg: string) => never): Decimal {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return fail('could not parse amount to a number');
  const frac = m[3] ?? '';
  const e = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(e) || Math.abs(e) > MAX_EXPONENT) fail('exponent too large');
  let digits = BigInt((m[2] || '0') + frac);
  if (m[1] === '-') digits = -digits;
  return { digits, exp: e - frac.length };
}

/** digits × 10^exp as a Rego number: exact integers stay exact, fractions round once. */
function toNumber(d: Decimal, truncate: boolean): number | bigint {
  if (d.exp >= 0) return normNumber(d.digits * 10n ** BigInt(d.exp));
  const scale = 10n ** BigInt(-d.exp);
  if (truncate) return normNumber(d.digits / scale);
  if (d.digits % scale === 0n) return normNumber(d.digits / scale);
  return Number(`${d.digits}e${d.exp}`);
}

const SI: Record<string, bigint> = { k: 1000n, m: 1000n ** 2n, g: 1000n ** 3n, t: 1000n ** 4n, p: 1000n ** 5n, e: 1000n ** 6n };
const BINARY: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n, p: 1n << 50n, e: 1n << 60n };

function unitsParse([raw]: Value[]): Value {
  const s = asString(raw, 1).replace(/"/g, '');
  if (s.includes(' ')) fail('spaces not allowed in resource strings');
  const [amount, rawUnit] = splitAmount(s);
  if (amount === '') fail('no amount provided');
  // Only the letters after the first fold case, so that "m" (milli) and "M" (mega) differ.
  const unit = rawUnit.length > 1 ? rawUnit[0] + rawUnit.slice(1).toLowerCase() : rawUnit;
  const d = parseDecimal(amount, fail);
  if (unit === 'm') return toNumber({ digits: d.digits, exp: d.exp - 3 }, false);
  let factor: bigint | undefined;
  if (unit === '') factor = 1n;
  else if (unit.length === 1 && unit !== 'M') factor = SI[unit.toLowerCase()];
  else if (unit === 'M') factor = SI.m;
  else if (unit.length === 2 && unit[1] === 'i') factor = BINARY[unit[0].toLowerCase()];
  if (factor === undefined) fail(`unit ${rawUnit} not recognized`);
  return toNumber({ digits: d.digits * factor!, exp: d.exp }, false);
}

function parseBytes([raw]: Value[]): Value {
  const s = asString(raw, 1).replace(/"/g, '').toLowerCase();
  if (s.includes(' ')) fail('spaces not allowed in resource strings');
  const [amount, unit] = splitAmount(s);
  if (amount === '') fail('no byte amount provided');
  const m = /^([kmgtpe])(i?)b?$/.exec(unit);
  let factor: bigint;
  if (unit === '') factor = 1n;
  else if (m !== null) factor = (m[2] ? BINARY : SI)[m[1]];
  else return fail(`byte unit ${unit} not recognized`);
  const d = parseDecimal(amount, failBytes);
  return toNumber({ digits: d.digits * factor, exp: d.exp }, true);
}

register(
  { name: 'units.parse', args: ['string'], result: 'number', impl: unitsParse },
  { name: 'units.parse_bytes', args: ['string'], result: 'number', impl: parseBytes },
);
