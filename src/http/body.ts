// Request bodies of the data API, read as OPA reads them: gzip when Content-Encoding contains
// `gzip`, YAML when Content-Type contains `yaml`, otherwise JSON with big integers kept exact.

import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { setMember } from '../json-member';
import { fromJSON, parseJSON, type RObject, type Value } from '../rego/eval/values';
import { Errors } from './errors';

const gunzipAsync = promisify(gunzip);

/** Reads the raw body, rejecting as soon as it passes `limit` bytes. */
export function readRawBody(req: IncomingMessage, limit: number, tooLarge = Errors.bodyTooLarge): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the answer goes out with Connection: close.
        req.resume();
        finish(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(Errors.badRequest(`could not read the body: ${e.message}`));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Reads the body and decompresses it when the request says gzip. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const gzipped = (req.headers['content-encoding'] ?? '').includes('gzip');
  const raw = await readRawBody(req, limit, gzipped ? Errors.compressedBodyTooLarge : Errors.bodyTooLarge);
  if (!gzipped) return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: limit });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw Errors.bodyTooLarge();
    throw Errors.decompress((e as Error).message);
  }
}

const LONG_DIGITS = /\d{16,}/;

/**
 * Parses a JSON or YAML document into JSON-shaped data. Empty bodies give `undefined`.
 * Big integers stay exact (as bigint) in JSON bodies.
 */
export function parseDocument(body: Buffer, contentType: string | undefined, malformed = Errors.malformedBody): unknown {
  return readDocument(body, contentType, malformed).doc;
}

/** A parsed body, and its text when the body was plain JSON that JSON.parse read as it is. */
export interface ParsedDocument {
  doc: unknown;
  jsonText?: string;
}

/** parseDocument that also hands back the JSON text, which the audit log can record as sent. */
export function readDocument(body: Buffer, contentType: string | undefined, malformed = Errors.malformedBody): ParsedDocument {
  const text = body.toString('utf8');
  if (text.trim() === '') return { doc: undefined };
  if (contentType && contentType.includes('yaml')) {
    try {
      return { doc: YAML.parse(text, { intAsBigInt: LONG_DIGITS.test(text) }) };
    } catch (e) {
      throw malformed((e as Error).message.split('\n')[0]);
    }
  }
  try {
    return LONG_DIGITS.test(text) ? { doc: parseJSONKeepingBigints(text) } : { doc: JSON.parse(text), jsonText: text };
  } catch (e) {
    throw malformed((e as Error).message);
  }
}

/** JSON text to JSON-shaped data with big integers as bigint (through the Rego value parser). */
function parseJSONKeepingBigints(text: string): unknown {
  return toPlain(parseJSON(text));
}

function toPlain(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toPlain);
  const out: Record<string, unknown> = {};
  (v as RObject).forEach((x, k) => {
    setMember(out, typeof k === 'string' ? k : String(k), toPlain(x));
  });
  return out;
}

/** JSON-shaped data to a Rego value; non-JSON YAML values become a 400. */
export function toValue(doc: unknown, malformed = Errors.malformedBody): Value {
  try {
    return fromJSON(doc);
  } catch (e) {
    throw malformed((e as Error).message);
  }
}
