// uuid.rfc4122 (a random version 4 UUID, the same for the same key within one evaluation) and
// uuid.parse (the fields google/uuid reports, as OPA returns them; undefined for bad input).

import { randomUUID } from 'node:crypto';
import { RObject, type Value, normNumber } from '../eval/values';
import { asString } from './operands';
import { register } from './registry';

/** 100-nanosecond intervals between the Gregorian reform (1582-10-15) and the Unix epoch. */
const GREGORIAN_OFFSET = 122192928000000000n;

/** The 16 bytes of a UUID in any form google/uuid accepts, or null. */
function uuidBytes(s: string): Buffer | null {
  let hex: string;
  switch (s.length) {
    case 36:
      hex = dashed(s);
      break;
    case 38:
      hex = dashed(s.slice(1, 37));
      break;
    case 45:
      if (s.slice(0, 9).toLowerCase() !== 'urn:uuid:') return null;
      hex = dashed(s.slice(9));
      break;
    case 32:
      hex = s;
      break;
    default:
      return null;
  }
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  return Buffer.from(hex, 'hex');
}

function dashed(s: string): string {
  if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return '';
  return s.slice(0, 8) + s.slice(9, 13) + s.slice(14, 18) + s.slice(19, 23) + s.slice(24);
}

function variantName(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

function parseUUID(s: string): Value | undefined {
  const u = uuidBytes(s);
  if (u === null) return undefined;
  const version = u[6] >> 4;
  const out = new RObject();
  out.set('version', version);
  out.set('variant', variantName(u[8]));
  if (version === 1 || version === 2) {
    const ticks =
      BigInt(u.readUInt32BE(0)) | (BigInt(u.readUInt16BE(4)) << 32n) | (BigInt(u.readUInt16BE(6) & 0xfff) << 48n);
    const since = ticks - GREGORIAN_OFFSET;
    const sec = since / 10000000n;
    const nsec = (since % 10000000n) * 100n;
    out.set('time', normNumber(sec * 1000000000n + nsec));
    const node = u.subarray(10, 16);
    out.set('nodeid', Array.from(node, (b) => b.toString(16).padStart(2, '0')).join('-'));
    out.set('macvariables', `${node[0] & 0x02 ? 'local' : 'global'}:${node[0] & 0x01 ? 'multicast' : 'unicast'}`);
    out.set('clocksequence', u.readUInt16BE(8) & 0x3fff);
  }
  if (version === 2) {
    out.set('id', u.readUInt32BE(0));
    const domain = u[9];
    out.set('domain', ['Person', 'Group', 'Org'][domain] ?? `Domain${domain}`);
  }
  return out;
}

register(
  {
    name: 'uuid.rfc4122',
    args: ['string'],
    result: 'string',
    nondeterministic: true,
    impl: ([key], ctx) => {
      const memo = `uuid.rfc4122\u0000${asString(key, 1)}`;
      let id = ctx.cache.get(memo) as string | undefined;
      if (id === undefined) {
        id = randomUUID();
        ctx.cache.set(memo, id);
      }
      return id;
    },
  },
  { name: 'uuid.parse', args: ['string'], result: 'object<string, any>', impl: ([s]) => parseUUID(asString(s, 1)) },
);
