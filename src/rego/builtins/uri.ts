// uri.parse and uri.is_valid: Go's net/url Parse (scheme, authority with userinfo, host and
// port checks, percent-decoding per component, raw path kept when it differs from the default
// encoding), reported as the fields OPA returns, each only when not empty.

import { quoteString } from '../eval/format';
import { RObject, type Value } from '../eval/values';
import { asString } from './operands';
import { BuiltinError, register } from './registry';

type Mode = 'path' | 'host' | 'zone' | 'userPassword' | 'fragment';

class URLError extends Error {}

const isHexByte = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const unhex = (c: number) => (c <= 57 ? c - 48 : c <= 70 ? c - 55 : c - 87);
const isAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);

/** Go's shouldEscape for the modes uri.parse needs. */
function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if ((mode === 'host' || mode === 'zone') && "!$&'()*+,;=:[]<>\"".includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case 'path':
        return ch === '?';
      case 'userPassword':
        return ch === '@' || ch === '/' || ch === '?' || ch === ':';
      case 'fragment':
        return false;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

function escapeError(bytes: Buffer): URLError {
  return new URLError(`invalid URL escape ${quoteString(bytes.toString('utf8'))}`);
}

/** Go's url unescape: validates every %XX (and host characters), then decodes. */
function unescape(s: string, mode: Mode): string {
  const src = Buffer.from(s, 'utf8');
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === 0x25) {
      if (i + 2 >= src.length || !isHexByte(src[i + 1]) || !isHexByte(src[i + 2])) {
        throw escapeError(src.subarray(i, Math.min(i + 3, src.length)));
      }
      const isPct25 = src[i + 1] === 0x32 && src[i + 2] === 0x35;
      if (mode === 'host' && unhex(src[i + 1]) < 8 && !isPct25) throw escapeError(src.subarray(i, i + 3));
      if (mode === 'zone') {
        const v = (unhex(src[i + 1]) << 4) | unhex(src[i + 2]);
        if (!isPct25 && v !== 0x20 && shouldEscape(v, 'host')) throw escapeError(src.subarray(i, i + 3));
      }
      i += 3;
    } else {
      if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscape(c, mode)) {
        throw new URLError(`invalid character ${quoteString(String.fromCharCode(c))} in host name`);
      }
      i++;
    }
  }
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    if (src[i] === 0x25) {
      out.push((unhex(src[i + 1]) << 4) | unhex(src[i + 2]));
      i += 2;
    } else out.push(src[i]);
  }
  return Buffer.from(out).toString('utf8');
}

function escape(s: string, mode: Mode): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += shouldEscape(b, mode) ? '%' + b.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(b);
  }
  return out;
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  for (let i = 1; i < port.length; i++) if (port[i] < '0' || port[i] > '9') return false;
  return true;
}

function validUserinfo(s: string): boolean {
  for (const r of s) {
    const c = r.codePointAt(0)!;
    if (c < 0x80 && (isAlnum(c) || "-._:~!$&'()*+,;=%@".includes(r))) continue;
    return false;
  }
  return true;
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) throw new URLError("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new URLError(`invalid port ${quoteString(colonPort)} after host`);
    const zone = host.slice(0, i).indexOf('%25');
    if (zone >= 0) {
      return unescape(host.slice(0, zone), 'host') + unescape(host.slice(zone, i), 'zone') + unescape(host.slice(i), 'host');
    }
  } else {
    const i = host.lastIndexOf(':');
    if (i >= 0) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) throw new URLError(`invalid port ${quoteString(colonPort)} after host`);
    }
  }
  return unescape(host, 'host');
}

function parseAuthority(authority: string): string {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!validUserinfo(userinfo)) throw new URLError('net/url: invalid userinfo');
    for (const part of userinfo.split(':').slice(0, 2)) unescape(part, 'userPassword');
  }
  return host;
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c === '+' || c === '-' || c === '.') {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new URLError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

interface ParsedURL {
  scheme: string;
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  fragment: string;
}

function parseURL(raw: string): ParsedURL {
  const hash = raw.indexOf('#');
  const u = hash >= 0 ? raw.slice(0, hash) : raw;
  const frag = hash >= 0 ? raw.slice(hash + 1) : '';
  const url: ParsedURL = { scheme: '', host: '', path: '', rawPath: '', rawQuery: '', fragment: '' };
  try {
    parseRest(u, url);
  } catch (e) {
    if (e instanceof URLError) throw new BuiltinError(`parse ${quoteString(u)}: ${e.message}`);
    throw e;
  }
  try {
    url.fragment = unescape(frag, 'fragment');
  } catch (e) {
    if (e instanceof URLError) throw new BuiltinError(`parse ${quoteString(raw)}: ${e.message}`);
    throw e;
  }
  return url;
}

function parseRest(raw: string, url: ParsedURL): void {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new URLError('net/url: invalid control character in URL');
  }
  if (raw === '*') {
    url.path = '*';
    return;
  }
  let rest: string;
  [url.scheme, rest] = getScheme(raw);
  url.scheme = url.scheme.toLowerCase();
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') return; // opaque, as in mailto:user@example.com
    const segment = rest.split('/')[0];
    if (segment.includes(':')) throw new URLError('first path segment in URL cannot contain colon');
  }
  if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    url.host = parseAuthority(authority);
  }
  url.path = unescape(rest, 'path');
  url.rawPath = escape(url.path, 'path') === rest ? '' : rest;
}

/** Go's URL.Hostname and URL.Port. */
function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon))) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, port];
}

function uriParse(s: string): Value {
  const url = parseURL(s);
  const [hostname, port] = splitHostPort(url.host);
  const out = new RObject();
  const put = (k: string, v: string) => {
    if (v !== '') out.set(k, v);
  };
  put('scheme', url.scheme);
  put('hostname', hostname);
  put('port', port);
  put('path', url.path);
  put('raw_path', url.rawPath || url.path);
  put('raw_query', url.rawQuery);
  put('fragment', url.fragment);
  return out;
}

register(
  { name: 'uri.parse', args: ['string'], result: 'object<string, string>', impl: ([s]) => uriParse(asString(s, 1)) },
  {
    name: 'uri.is_valid',
    args: ['string'],
    result: 'boolean',
    impl: ([s]) => {
      const text = asString(s, 1);
      if (text === '') return false;
      try {
        parseURL(text);
        return true;
      } catch {
        return false;
      }
    },
  },
);
