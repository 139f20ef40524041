// X.509 certificates and certificate requests as OPA returns them: the JSON that Go's
// encoding/json makes of x509.Certificate / x509.CertificateRequest. node:crypto verifies
// signatures and imports keys, but exposes neither the ASN.1 structure nor CSRs, so this file
// reads the DER itself (a small TLV reader: the formats are fixed by RFC 5280 and RFC 2986).

import { createPublicKey } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// DER

export interface Der {
  cls: number; // 0 universal, 1 application, 2 context, 3 private
  constructed: boolean;
  tag: number;
  /** The whole element, header included. */
  raw: Buffer;
  content: Buffer;
}

export class DerError extends Error {}

export function readDer(buf: Buffer, offset = 0): { el: Der; next: number } {
  if (offset + 2 > buf.length) throw new DerError('truncated element');
  const b0 = buf[offset];
  let tag = b0 & 0x1f;
  let p = offset + 1;
  if (tag === 0x1f) {
    tag = 0;
    for (;;) {
      if (p >= buf.length) throw new DerError('truncated tag');
      const b = buf[p++];
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (p >= buf.length) throw new DerError('truncated length');
  let len = buf[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
  }
  if (p + len > buf.length) throw new DerError('truncated content');
  const el: Der = {
    cls: b0 >> 6,
    constructed: (b0 & 0x20) !== 0,
    tag,
    raw: buf.subarray(offset, p + len),
    content: buf.subarray(p, p + len),
  };
  return { el, next: p + len };
}

export function children(el: Der): Der[] {
  const out: Der[] = [];
  let p = 0;
  while (p < el.content.length) {
    const { el: c, next } = readDer(el.content, p);
    out.push(c);
    p = next;
  }
  return out;
}

const UNIVERSAL = 0;
const CONTEXT = 2;
const T_BOOLEAN = 1;
const T_INTEGER = 2;
const T_BIT_STRING = 3;
const T_OCTET_STRING = 4;
const T_OID = 6;
const T_SEQUENCE = 16;
const T_UTC_TIME = 23;

function expect(el: Der | undefined, tag: number, what: string): Der {
  if (!el || el.cls !== UNIVERSAL || el.tag !== tag) throw new DerError(`malformed ${what}`);
  return el;
}

function oidArcs(el: Der): number[] {
  const c = el.content;
  if (c.length === 0) throw new DerError('malformed OID');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    v = v * 128 + (c[i] & 0x7f);
    if ((c[i] & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        arcs.push(first, v - first * 40);
      } else arcs.push(v);
      v = 0;
    }
  }
  return arcs;
}

const oidString = (el: Der): string => oidArcs(el).join('.');

function integer(el: Der): bigint {
  const c = el.content;
  if (c.length === 0) return 0n;
  let v = BigInt('0x' + c.toString('hex'));
  if (c[0] & 0x80) v -= 1n << BigInt(c.length * 8);
  return v;
}

const num = (v: bigint): number | bigint => (v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v);

function bitString(el: Der): Buffer {
  return el.content.subarray(1);
}

function derTime(el: Der): string {
  const s = el.content.toString('latin1');
  let m: RegExpExecArray | null;
  if (el.tag === T_UTC_TIME) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (!m) throw new DerError('malformed time');
    const yy = Number(m[1]);
    return `${yy >= 50 ? 1900 + yy : 2000 + yy}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  }
  m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d+))?Z$/.exec(s);
  if (!m) throw new DerError('malformed time');
  const frac = m[7] ? '.' + m[7].replace(/0+$/, '') : '';
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac === '.' ? '' : frac}Z`;
}

function derString(el: Der): string {
  switch (el.tag) {
    case 30: {
      // BMPString: UTF-16BE
      const b = Buffer.from(el.content);
      return b.swap16().toString('utf16le');
    }
    case 28: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < el.content.length; i += 4) s += String.fromCodePoint(el.content.readUInt32BE(i));
      return s;
    }
    case 20:
    case 19:
    case 22:
    case 26:
      return el.content.toString('latin1');
    default:
      return el.content.toString('utf8');
  }
}

// ---------------------------------------------------------------------------------------------
// Names (pkix.Name)

const NAME_FIELDS: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

type Json = Record<string, unknown>;

function parseName(el: Der): Json {
  const name: Json = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: '',
    Names: null,
    ExtraNames: null,
  };
  const names: Json[] = [];
  for (const rdn of children(el)) {
    for (const atv of children(rdn)) {
      const [typeEl, valueEl] = children(atv);
      const type = oidString(expect(typeEl, T_OID, 'name'));
      const value = valueEl ? derString(valueEl) : '';
      names.push({ Type: oidArcs(typeEl), Value: value });
      if (type === '2.5.4.3') name.CommonName = value;
      else if (type === '2.5.4.5') name.SerialNumber = value;
      else if (NAME_FIELDS[type]) {
        const key = NAME_FIELDS[type];
        name[key] = [...((name[key] as string[] | null) ?? []), value];
      }
    }
  }
  if (names.length) name.Names = names;
  return name;
}

// ---------------------------------------------------------------------------------------------
// Algorithms and keys

const SIGNATURE_ALGORITHMS: Record<string, number> = {
  '1.2.840.113549.1.1.2': 1,
  '1.2.840.113549.1.1.4': 2,
  '1.2.840.113549.1.1.5': 3,
  '1.2.840.113549.1.1.11': 4,
  '1.2.840.113549.1.1.12': 5,
  '1.2.840.113549.1.1.13': 6,
  '1.2.840.10040.4.3': 7,
  '2.16.840.1.101.3.4.3.2': 8,
  '1.2.840.10045.4.1': 9,
  '1.2.840.10045.4.3.2': 10,
  '1.2.840.10045.4.3.3': 11,
  '1.2.840.10045.4.3.4': 12,
  '1.3.101.112': 16,
};
const RSA_PSS = '1.2.840.113549.1.1.10';
const PSS_BY_HASH: Record<string, number> = {
  '2.16.840.1.101.3.4.2.1': 13,
  '2.16.840.1.101.3.4.2.2': 14,
  '2.16.840.1.101.3.4.2.3': 15,
};

function signatureAlgorithm(algId: Der): number {
  const [oidEl, params] = children(algId);
  const oid = oidString(expect(oidEl, T_OID, 'algorithm'));
  if (oid !== RSA_PSS) return SIGNATURE_ALGORITHMS[oid] ?? 0;
  try {
    const hashAlg = children(params).find((c) => c.cls === CONTEXT && c.tag === 0);
    if (!hashAlg) return 0;
    return PSS_BY_HASH[oidString(children(children(hashAlg)[0])[0])] ?? 0;
  } catch {
    return 0;
  }
}

const PUBLIC_KEY_ALGORITHMS: Record<string, number> = {
  '1.2.840.113549.1.1.1': 1,
  '1.2.840.10040.4.1': 2,
  '1.2.840.10045.2.1': 3,
  '1.3.101.112': 4,
};

const b64ToInt = (s: unknown): number | bigint => num(BigInt('0x' + (Buffer.from(String(s), 'base64url').toString('hex') || '0')));

/** The public key as Go's json.Marshal writes rsa.PublicKey, ecdsa.PublicKey or ed25519.PublicKey. */
function publicKeyJSON(spki: Buffer): unknown {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
    switch (jwk.kty) {
      case 'RSA':
        return { N: b64ToInt(jwk.n), E: b64ToInt(jwk.e) };
      case 'EC':
        return { Curve: {}, X: b64ToInt(jwk.x), Y: b64ToInt(jwk.y) };
      case 'OKP':
        return Buffer.from(String(jwk.x), 'base64url').toString('base64');
    }
  } catch {
    // Key types node cannot import (e.g. DSA) are left out, as Go leaves unknown keys nil.
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Extensions

const EXT_KEY_USAGES: Record<string, number> = {
  '2.5.29.37.0': 0,
  '1.3.6.1.5.5.7.3.1': 1,
  '1.3.6.1.5.5.7.3.2': 2,
  '1.3.6.1.5.5.7.3.3': 3,
  '1.3.6.1.5.5.7.3.4': 4,
  '1.3.6.1.5.5.7.3.5': 5,
  '1.3.6.1.5.5.7.3.6': 6,
  '1.3.6.1.5.5.7.3.7': 7,
  '1.3.6.1.5.5.7.3.8': 8,
  '1.3.6.1.5.5.7.3.9': 9,
  '1.3.6.1.4.1.311.10.3.3': 10,
  '2.16.840.1.113730.4.1': 11,
  '1.3.6.1.4.1.311.2.1.22': 12,
  '1.3.6.1.4.1.311.61.1.1': 13,
};

function ipString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) return '?' + b.toString('hex');
  if (b.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]))) return [...b.subarray(12)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups (at least two), as Go and RFC 5952 do.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return groups.slice(0, best).join(':') + '::' + groups.slice(best + bestLen).join(':');
}

/** url.URL as Go's encoding/json writes it. */
function urlJSON(s: string): Json {
  const u: Json = {
    Scheme: '',
    Opaque: '',
    User: null,
    Host: '',
    Path: '',
    RawPath: '',
    OmitHost: false,
    ForceQuery: false,
    RawQuery: '',
    Fragment: '',
    RawFragment: '',
  };
  let rest = s;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    u.Fragment = decodeURIComponentSafe(rest.slice(hash + 1));
    rest = rest.slice(0, hash);
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (scheme) {
    u.Scheme = scheme[1].toLowerCase();
    rest = rest.slice(scheme[0].length);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    u.RawQuery = rest.slice(q + 1);
    u.ForceQuery = q === rest.length - 1;
    rest = rest.slice(0, q);
  }
  if (scheme && !rest.startsWith('/')) {
    u.Opaque = rest;
    return u;
  }
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    let authority = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      u.User = {};
      authority = authority.slice(at + 1);
    }
    u.Host = authority;
  }
  u.Path = decodeURIComponentSafe(rest);
  return u;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface GeneralNames {
  dns: string[];
  email: string[];
  ip: string[];
  uri: string[];
}

function generalNames(seq: Der, into: GeneralNames): void {
  for (const gn of children(seq)) {
    if (gn.cls !== CONTEXT) continue;
    switch (gn.tag) {
      case 1:
        into.email.push(gn.content.toString('latin1'));
        break;
      case 2:
        into.dns.push(gn.content.toString('latin1'));
        break;
      case 6:
        into.uri.push(gn.content.toString('latin1'));
        break;
      case 7:
        into.ip.push(ipString(gn.content));
        break;
    }
  }
}

const HANDLED_EXTENSIONS = new Set([
  '2.5.29.15',
  '2.5.29.19',
  '2.5.29.17',
  '2.5.29.37',
  '2.5.29.14',
  '2.5.29.35',
  '2.5.29.31',
  '2.5.29.32',
  '2.5.29.30',
  '1.3.6.1.5.5.7.1.1',
]);

interface ParsedExtensions {
  list: Json[];
  fields: Json;
  names: GeneralNames;
}

function parseExtensions(exts: Der[]): ParsedExtensions {
  const list: Json[] = [];
  const names: GeneralNames = { dns: [], email: [], ip: [], uri: [] };
  const f: Json = {};
  const unhandledCritical: number[][] = [];
  const extKeyUsage: number[] = [];
  const unknownExtKeyUsage: number[][] = [];
  for (const ext of exts) {
    const parts = children(ext);
    const idEl = expect(parts[0], T_OID, 'extension');
    const critical = parts.length === 3 && parts[1].tag === T_BOOLEAN ? parts[1].content[0] !== 0 : false;
    const value = expect(parts[parts.length - 1], T_OCTET_STRING, 'extension').content;
    const id = oidString(idEl);
    list.push({ Id: oidArcs(idEl), Critical: critical, Value: value.toString('base64') });
    if (!HANDLED_EXTENSIONS.has(id)) {
      if (critical) unhandledCritical.push(oidArcs(idEl));
      continue;
    }
    const v = readDer(value).el;
    switch (id) {
      case '2.5.29.15': {
        const bits = bitString(v);
        let usage = 0;
        for (let i = 0; i < 9; i++) if (bits[i >> 3] !== undefined && bits[i >> 3] & (0x80 >> (i & 7))) usage |= 1 << i;
        f.KeyUsage = usage;
        break;
      }
      case '2.5.29.19': {
        const c = children(v);
        const isCA = c[0]?.tag === T_BOOLEAN ? c[0].content[0] !== 0 : false;
        const pathLen = c.find((x) => x.tag === T_INTEGER);
        f.BasicConstraintsValid = true;
        f.IsCA = isCA;
        f.MaxPathLen = pathLen ? Number(integer(pathLen)) : -1;
        f.MaxPathLenZero = f.MaxPathLen === 0;
        break;
      }
      case '2.5.29.17':
        generalNames(v, names);
        break;
      case '2.5.29.37':
        for (const u of children(v)) {
          const known = EXT_KEY_USAGES[oidString(u)];
          if (known === undefined) unknownExtKeyUsage.push(oidArcs(u));
          else extKeyUsage.push(known);
        }
        break;
      case '2.5.29.14':
        f.SubjectKeyId = v.content.toString('base64');
        break;
      case '2.5.29.35': {
        const keyId = children(v).find((x) => x.cls === CONTEXT && x.tag === 0);
        if (keyId) f.AuthorityKeyId = keyId.content.toString('base64');
        break;
      }
      case '1.3.6.1.5.5.7.1.1':
        for (const ad of children(v)) {
          const [method, location] = children(ad);
          if (location?.cls !== CONTEXT || location.tag !== 6) continue;
          const key = oidString(method) === '1.3.6.1.5.5.7.48.1' ? 'OCSPServer' : oidString(method) === '1.3.6.1.5.5.7.48.2' ? 'IssuingCertificateURL' : '';
          if (key) f[key] = [...((f[key] as string[] | undefined) ?? []), location.content.toString('latin1')];
        }
        break;
      case '2.5.29.31':
        for (const dp of children(v)) {
          const point = children(dp).find((x) => x.cls === CONTEXT && x.tag === 0);
          const fullName = point && children(point).find((x) => x.cls === CONTEXT && x.tag === 0);
          if (!fullName) continue;
          const gn: GeneralNames = { dns: [], email: [], ip: [], uri: [] };
          generalNames(fullName, gn);
          f.CRLDistributionPoints = [...((f.CRLDistributionPoints as string[] | undefined) ?? []), ...gn.uri];
        }
        break;
      case '2.5.29.30':
        nameConstraints(v, critical, f);
        break;
      case '2.5.29.32': {
        const ids = children(v).map((pi) => children(pi)[0]);
        f.PolicyIdentifiers = ids.map(oidArcs);
        f.Policies = ids.map(oidString);
        break;
      }
    }
  }
  if (extKeyUsage.length) f.ExtKeyUsage = extKeyUsage;
  if (unknownExtKeyUsage.length) f.UnknownExtKeyUsage = unknownExtKeyUsage;
  if (unhandledCritical.length) f.UnhandledCriticalExtensions = unhandledCritical;
  return { list, fields: f, names };
}

/** Name constraints as Go spreads them over its Permitted... and Excluded... fields. */
function nameConstraints(v: Der, critical: boolean, f: Json): void {
  f.PermittedDNSDomainsCritical = critical;
  for (const subtrees of children(v)) {
    if (subtrees.cls !== CONTEXT || subtrees.tag > 1) continue;
    const prefix = subtrees.tag === 0 ? 'Permitted' : 'Excluded';
    const add = (field: string, value: unknown): void => {
      f[prefix + field] = [...((f[prefix + field] as unknown[] | undefined) ?? []), value];
    };
    for (const subtree of children(subtrees)) {
      const base = children(subtree)[0];
      if (!base || base.cls !== CONTEXT) continue;
      const text = base.content.toString('latin1');
      if (base.tag === 2) add('DNSDomains', text);
      else if (base.tag === 1) add('EmailAddresses', text);
      else if (base.tag === 6) add('URIDomains', text);
      else if (base.tag === 7) {
        const half = base.content.length / 2;
        add('IPRanges', { IP: ipString(base.content.subarray(0, half)), Mask: base.content.subarray(half).toString('base64') });
      }
    }
  }
}

function sanFields(n: GeneralNames): Json {
  return {
    DNSNames: n.dns.length ? n.dns : null,
    EmailAddresses: n.email.length ? n.email : null,
    IPAddresses: n.ip.length ? n.ip : null,
    URIs: n.uri.length ? n.uri.map(urlJSON) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Certificates

/** x509.Certificate as JSON, plus OPA's URIStrings. Throws DerError on malformed input. */
export function certificateJSON(der: Buffer): Json {
  const { el: cert, next } = readDer(der);
  if (next !== der.length) throw new DerError('trailing data');
  const [tbs, sigAlg, sigValue] = children(expect(cert, T_SEQUENCE, 'certificate'));
  const t = children(expect(tbs, T_SEQUENCE, 'certificate'));
  let i = 0;
  let version = 0;
  if (t[0]?.cls === CONTEXT && t[0].tag === 0) {
    version = Number(integer(children(t[0])[0]));
    i++;
  }
  const serial = expect(t[i++], T_INTEGER, 'serial number');
  i++; // signature algorithm inside TBS; the outer one is reported
  const issuer = expect(t[i++], T_SEQUENCE, 'issuer');
  const validity = children(expect(t[i++], T_SEQUENCE, 'validity'));
  const subject = expect(t[i++], T_SEQUENCE, 'subject');
  const spki = expect(t[i++], T_SEQUENCE, 'public key');
  let exts: Der[] = [];
  for (; i < t.length; i++) {
    if (t[i].cls === CONTEXT && t[i].tag === 3) exts = children(children(t[i])[0]);
  }
  const parsed = parseExtensions(exts);
  const spkiAlg = oidString(children(children(spki)[0])[0]);
  const base: Json = {
    Raw: cert.raw.toString('base64'),
    RawTBSCertificate: tbs.raw.toString('base64'),
    RawSubjectPublicKeyInfo: spki.raw.toString('base64'),
    RawSubject: subject.raw.toString('base64'),
    RawIssuer: issuer.raw.toString('base64'),
    Signature: bitString(expect(sigValue, T_BIT_STRING, 'signature')).toString('base64'),
    SignatureAlgorithm: signatureAlgorithm(sigAlg),
    PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[spkiAlg] ?? 0,
    PublicKey: publicKeyJSON(spki.raw),
    Version: version + 1,
    SerialNumber: num(integer(serial)),
    Issuer: parseName(issuer),
    Subject: parseName(subject),
    NotBefore: derTime(validity[0]),
    NotAfter: derTime(validity[1]),
    KeyUsage: 0,
    Extensions: parsed.list.length ? parsed.list : null,
    ExtraExtensions: null,
    UnhandledCriticalExtensions: null,
    ExtKeyUsage: null,
    UnknownExtKeyUsage: null,
    BasicConstraintsValid: false,
    IsCA: false,
    MaxPathLen: 0,
    MaxPathLenZero: false,
    SubjectKeyId: null,
    AuthorityKeyId: null,
    OCSPServer: null,
    IssuingCertificateURL: null,
    ...sanFields(parsed.names),
    PermittedDNSDomainsCritical: false,
    PermittedDNSDomains: null,
    ExcludedDNSDomains: null,
    PermittedIPRanges: null,
    ExcludedIPRanges: null,
    PermittedEmailAddresses: null,
    ExcludedEmailAddresses: null,
    PermittedURIDomains: null,
    ExcludedURIDomains: null,
    CRLDistributionPoints: null,
    PolicyIdentifiers: null,
    Policies: null,
    InhibitAnyPolicy: 0,
    InhibitAnyPolicyZero: false,
    InhibitPolicyMapping: 0,
    InhibitPolicyMappingZero: false,
    RequireExplicitPolicy: 0,
    RequireExplicitPolicyZero: false,
    PolicyMappings: null,
    ...parsed.fields,
    URIStrings: parsed.names.uri.length ? parsed.names.uri : null,
  };
  return base;
}

/** An ASN.1 value as Go's asn1.Unmarshal into `any` gives it, then encoding/json writes it. */
function anyValue(el: Der): unknown {
  if (el.cls !== UNIVERSAL) return undefined;
  switch (el.tag) {
    case T_BOOLEAN:
      return el.content[0] !== 0;
    case T_INTEGER:
      return num(integer(el));
    case T_OCTET_STRING:
      return el.content.toString('base64');
    case T_OID:
      return oidArcs(el);
    case 12:
    case 19:
    case 20:
    case 22:
    case 26:
    case 30:
      return derString(el);
    case T_UTC_TIME:
    case 24:
      return derTime(el);
    default:
      return undefined;
  }
}

/**
 * A CSR attribute as pkix.AttributeTypeAndValueSET (a SET of SEQUENCEs of type/value pairs).
 * Go drops attributes of any other shape (challengePassword, unstructuredName), and so does this.
 */
function attributeJSON(type: Der, values: Der | undefined): Json | undefined {
  try {
    if (!values || values.tag !== 17) return undefined;
    const sets: Json[][] = [];
    for (const seq of children(values)) {
      if (seq.tag !== T_SEQUENCE) return undefined;
      const pairs: Json[] = [];
      for (const pair of children(seq)) {
        const parts = children(pair);
        if (pair.tag !== T_SEQUENCE || parts.length !== 2 || parts[0].tag !== T_OID) return undefined;
        const value = anyValue(parts[1]);
        if (value === undefined) return undefined;
        pairs.push({ Type: oidArcs(parts[0]), Value: value });
      }
      sets.push(pairs);
    }
    return { Type: oidArcs(type), Value: sets };
  } catch {
    return undefined;
  }
}

/** x509.CertificateRequest as JSON. */
export function certificateRequestJSON(der: Buffer): Json {
  const { el: csr, next } = readDer(der);
  if (next !== der.length) throw new DerError('trailing data');
  const [info, sigAlg, sigValue] = children(expect(csr, T_SEQUENCE, 'certificate request'));
  const [versionEl, subject, spki, attrs] = children(expect(info, T_SEQUENCE, 'certificate request'));
  let exts: Der[] = [];
  const attributes: Json[] = [];
  if (attrs && attrs.cls === CONTEXT && attrs.tag === 0) {
    for (const attr of children(attrs)) {
      const [type, values] = children(attr);
      if (oidString(type) === '1.2.840.113549.1.9.14') exts = children(children(values)[0]);
      const parsed = attributeJSON(type, values);
      if (parsed) attributes.push(parsed);
    }
  }
  const parsed = parseExtensions(exts);
  const spkiAlg = oidString(children(children(spki)[0])[0]);
  return {
    Raw: csr.raw.toString('base64'),
    RawTBSCertificateRequest: info.raw.toString('base64'),
    RawSubjectPublicKeyInfo: spki.raw.toString('base64'),
    RawSubject: subject.raw.toString('base64'),
    Version: Number(integer(expect(versionEl, T_INTEGER, 'version'))),
    Signature: bitString(expect(sigValue, T_BIT_STRING, 'signature')).toString('base64'),
    SignatureAlgorithm: signatureAlgorithm(sigAlg),
    PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[spkiAlg] ?? 0,
    PublicKey: publicKeyJSON(spki.raw),
    Subject: parseName(subject),
    Attributes: attributes.length ? attributes : null,
    Extensions: parsed.list.length ? parsed.list : null,
    ExtraExtensions: null,
    ...sanFields(parsed.names),
  };
}

/** Splits a concatenation of DER certificates, as Go's x509.ParseCertificates does. */
export function splitDerSequence(der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p < der.length) {
    const { el, next } = readDer(der, p);
    out.push(el.raw);
    p = next;
  }
  return out;
}
