// semver.is_valid and semver.compare with the rules of the go-semver copy inside OPA:
// MAJOR.MINOR.PATCH (64-bit integers), optional -prerelease and +metadata identifiers;
// a version without prerelease ranks above the same version with one.

import type { Value } from '../eval/values';
import { asString } from './operands';
import { BuiltinError, register } from './registry';

interface Version {
  parts: [bigint, bigint, bigint];
  preRelease: string[];
}

const IDENTIFIER = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const INT64_MAX = 2n ** 63n - 1n;

export function parseSemver(text: string): Version | null {
  let rest = text;
  const plus = rest.indexOf('+');
  const metadata = plus >= 0 ? rest.slice(plus + 1) : '';
  if (plus >= 0) rest = rest.slice(0, plus);
  const dash = rest.indexOf('-');
  const pre = dash >= 0 ? rest.slice(dash + 1) : '';
  if (dash >= 0) rest = rest.slice(0, dash);
  const dots = rest.split('.');
  if (dots.length < 3) return null;
  const core = [dots[0], dots[1], dots.slice(2).join('.')];
  if ((pre !== '' && !IDENTIFIER.test(pre)) || (metadata !== '' && !IDENTIFIER.test(metadata))) return null;
  const parts: bigint[] = [];
  for (const p of core) {
    if (!/^[+-]?\d+$/.test(p)) return null;
    const n = BigInt(p);
    if (n > INT64_MAX || n < -INT64_MAX - 1n) return null;
    parts.push(n);
  }
  return { parts: parts as [bigint, bigint, bigint], preRelease: pre === '' ? [] : pre.split('.') };
}

const sign = (x: number | bigint) => (x > 0 ? 1 : x < 0 ? -1 : 0);

function comparePreRelease(a: string[], b: string[]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length) return i >= b.length ? 0 : -1;
    if (i >= b.length) return 1;
    const aNum = /^[+-]?\d+$/.test(a[i]);
    const bNum = /^[+-]?\d+$/.test(b[i]);
    if (aNum && !bNum) return -1;
    if (!aNum && bNum) return 1;
    if (aNum && bNum) {
      const c = sign(BigInt(a[i]) - BigInt(b[i]));
      if (c !== 0) return c;
    }
    if (a[i] > b[i]) return 1;
    if (a[i] < b[i]) return -1;
  }
}

export function compareSemver(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const c = sign(a.parts[i] - b.parts[i]);
    if (c !== 0) return c;
  }
  if (a.preRelease.length === 0 && b.preRelease.length > 0) return 1;
  if (b.preRelease.length === 0 && a.preRelease.length > 0) return -1;
  return comparePreRelease(a.preRelease, b.preRelease);
}

function operandVersion(v: Value, pos: number): Version {
  const s = asString(v, pos);
  const parsed = parseSemver(s);
  if (parsed === null) throw new BuiltinError(`operand ${pos}: string ${JSON.stringify(s)} is not a valid SemVer`);
  return parsed;
}

register(
  {
    name: 'semver.is_valid',
    args: ['any'],
    result: 'boolean',
    impl: ([v]) => typeof v === 'string' && parseSemver(v) !== null,
  },
  {
    name: 'semver.compare',
    args: ['string', 'string'],
    result: 'number',
    impl: ([a, b]) => compareSemver(operandVersion(a, 1), operandVersion(b, 2)),
  },
);
