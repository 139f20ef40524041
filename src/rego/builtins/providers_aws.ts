// providers.aws.sign_req: signs an http.send-style request object with AWS Signature Version 4
// (node:crypto SHA-256 and HMAC), returning the request with the signed headers added. The
// canonical request is built the way OPA builds it, so signatures match OPA's.

import { createHash, createHmac } from 'node:crypto';
import { RObject, type Value, stringifyJSON } from '../eval/values';
import { asObject } from './operands';
import { BuiltinTypeError, register } from './registry';

const REQUEST_KEYS = ['method', 'url'];
const CONFIG_KEYS = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
/** Request headers that are passed through but never signed. */
const UNSIGNED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

const keySet = (keys: string[]): string => '{' + keys.map((k) => JSON.stringify(k)).join(', ') + '}';

/** The named members must exist and be strings; errors name every offending key at once. */
function requireStrings(obj: RObject, keys: string[], pos: number, what: string): Record<string, string> {
  const missing = keys.filter((k) => obj.getStr(k) === undefined);
  if (missing.length) throw new BuiltinTypeError(`operand ${pos} missing required ${what} parameters(s): ${keySet(missing)}`);
  const invalid = keys.filter((k) => typeof obj.getStr(k) !== 'string');
  if (invalid.length) throw new BuiltinTypeError(`operand ${pos} invalid values for required ${what} parameters(s): ${keySet(invalid)}`);
  return Object.fromEntries(keys.map((k) => [k, obj.getStr(k) as string]));
}

function signingTime(v: Value): Date {
  const ns = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (ns === undefined || ns < 0n || ns >= 2n ** 63n) {
    throw new BuiltinTypeError('operand 3 could not convert time_ns value into a unix timestamp');
  }
  return new Date(Number(ns / 1_000_000n));
}

/** Host and escaped path/query of a URL, as Go's net/url reports them (no normalisation). */
function urlParts(url: string): { host: string; path: string; query: string } {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (!m) return { host: '', path: escapePath(url.replace(/[?#].*$/, '')), query: /\?([^#]*)/.exec(url)?.[1] ?? '' };
  return { host: m[1].replace(/^.*@/, ''), path: escapePath(m[2]), query: m[3] ?? '' };
}

const escapePath = (p: string): string => p.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => encodeURIComponent(c));

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

function headerValue(v: Value): string {
  return typeof v === 'string' ? v : stringifyJSON(v);
}

function signRequest([reqArg, configArg, timeArg]: Value[]): Value {
  const req = asObject(reqArg, 1);
  const config = asObject(configArg, 2);
  const creds = requireStrings(config, CONFIG_KEYS, 2, 'AWS config');
  const session = config.getStr('aws_session_token');
  const now = signingTime(timeArg);
  const { method, url } = requireStrings(req, REQUEST_KEYS, 1, 'request');

  const disable = config.getStr('disable_payload_signing');
  if (disable !== undefined && typeof disable !== 'boolean') {
    throw new BuiltinTypeError("operand 2 invalid value for 'disable_payload_signing' in AWS config");
  }
  const rawBody = req.getStr('raw_body');
  const body = req.getStr('body');
  const payload = typeof rawBody === 'string' ? rawBody : body !== undefined && rawBody === undefined ? stringifyJSON(body) : '';
  const contentSha = disable === true ? 'UNSIGNED-PAYLOAD' : sha256Hex(payload);

  const iso = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = iso.slice(0, 8);
  const { host, path, query } = urlParts(url);
  const service = creds.aws_service;
  const awsHeaders: [string, string][] = [
    ['host', host],
    ['x-amz-date', iso],
  ];
  if (service === 's3' || service === 'glacier') awsHeaders.push(['x-amz-content-sha256', contentSha]);
  if (typeof session === 'string' && session !== '') awsHeaders.push(['x-amz-security-token', session]);

  const requestHeaders = req.getStr('headers');
  const given: [string, string][] =
    requestHeaders instanceof RObject ? [...requestHeaders.entries()].map(([k, v]) => [String(k), headerValue(v)]) : [];
  const toSign = new Map<string, string>(awsHeaders);
  for (const [k, v] of given) if (!UNSIGNED_HEADERS.has(k.toLowerCase())) toSign.set(k.toLowerCase(), v);
  const names = [...toSign.keys()].sort();
  const signedHeaders = names.join(';');
  const canonical = [
    method,
    path,
    query,
    ...names.map((n) => `${n}:${toSign.get(n)}`),
    '',
    signedHeaders,
    contentSha,
  ].join('\n');
  const scope = `${date}/${creds.aws_region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', iso, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + creds.aws_secret_access_key, date), creds.aws_region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');

  const headers = new RObject();
  for (const [k, v] of given) headers.set(k, v);
  headers.set('Authorization', `AWS4-HMAC-SHA256 Credential=${creds.aws_access_key}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`);
  for (const [k, v] of awsHeaders) headers.set(k, v);
  return req.clone().set('headers', headers);
}

register({
  name: 'providers.aws.sign_req',
  args: ['object<any, any>', 'object<any, any>', 'number'],
  result: 'object<any, any>',
  impl: signRequest,
});
