// A bundle downloader that behaves as OPA's (opa v1/download/download.go, protocols.md §2): GET
// with no Accept header, `User-Agent: Open-Policy-Agent/...`, bearer token, `Prefer:
// modes=snapshot,delta[;wait=N]`, `If-None-Match` with the last ETag; long-poll mode kept only
// after a 200 with Content-Type application/vnd.openpolicyagent.bundles. Signatures are checked
// here with node:crypto and a tar reader of our own, independently of src/bundle.

import { createHash, createPublicKey, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export const OPA_BUNDLE_TYPE = 'application/vnd.openpolicyagent.bundles';

export interface Download {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Milliseconds from sending the request to the end of the response. */
  elapsedMs: number;
}

export class OpaDownloader {
  etag = '';
  longPolling = false;

  constructor(
    private readonly server: http.Server | number,
    private readonly path: string,
    private readonly token: string,
    private readonly longPollTimeoutSeconds?: number,
  ) {}

  /** One poll, exactly as OPA sends it; updates the ETag and the polling mode as OPA does. */
  async poll(signal?: AbortSignal): Promise<Download> {
    const headers: Record<string, string> = {
      'User-Agent': 'Open-Policy-Agent/0.61.0 (linux, amd64)',
      Authorization: `Bearer ${this.token}`,
      Prefer: this.longPollTimeoutSeconds ? `modes=snapshot,delta;wait=${this.longPollTimeoutSeconds}` : 'modes=snapshot,delta',
    };
    if (this.etag) headers['If-None-Match'] = this.etag;
    const res = await rawGet(this.server, this.path, headers, signal);
    if (res.status === 200) {
      this.etag = String(res.headers.etag ?? '');
      this.longPolling = res.headers['content-type'] === OPA_BUNDLE_TYPE;
    }
    return res;
  }
}

/** A GET through node:http, which adds no Accept header of its own (fetch would). */
export function rawGet(server: http.Server | number, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Download> {
  const port = typeof server === 'number' ? server : (server.address() as AddressInfo).port;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers, agent: false, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), elapsedMs: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Regular files of a tar.gz, by path without the leading '/' (ustar headers read by hand). */
export function untar(archive: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(archive);
  const files = new Map<string, Buffer>();
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const text = (from: number, len: number) => header.subarray(from, from + len).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const prefix = text(345, 155);
    const name = (prefix ? `${prefix}/` : '') + text(0, 100);
    const type = String.fromCharCode(header[156] || 48);
    if (type === '0') files.set(name.replace(/^\/+/, ''), Buffer.from(tar.subarray(off + 512, off + 512 + size)));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Canonical compact JSON with keys sorted, as OPA hashes structured files (no big numbers here). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function digest(path: string, content: Buffer): string {
  const base = path.split('/').pop()!;
  const structured = base === '.manifest' || base === 'data.json';
  const h = createHash('sha256');
  h.update(structured ? canonical(JSON.parse(content.toString('utf8'))) : content);
  return h.digest('hex');
}

export interface PublicKey {
  kid: string;
  algorithm: string;
  key: string;
  scope?: string;
}

/**
 * Verifies a bundle as OPA does with `keys` and `signing.scope`: one JWS, signature by the key its
 * `kid` names with the key's algorithm, scope equal, every file listed with a matching SHA-256.
 * Returns the verified payload; throws an Error saying what failed.
 */
export function verifyBundle(files: Map<string, Buffer>, keys: PublicKey[], scope: string): { kid: string; files: { name: string; hash: string; algorithm: string }[] } {
  const sig = files.get('.signatures.json');
  if (!sig) throw new Error('bundle missing .signatures.json file');
  const { signatures } = JSON.parse(sig.toString('utf8')) as { signatures: string[] };
  if (signatures.length !== 1) throw new Error('expected exactly one JWT');
  const [h, p, s] = signatures[0].split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg: string; kid: string; typ?: string };
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { files: { name: string; hash: string; algorithm: string }[]; scope?: string };
  const key = keys.find((k) => k.kid === header.kid);
  if (!key) throw new Error(`verification key corresponding to ID ${header.kid} not found`);
  const publicKey = createPublicKey(key.key);
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const ok =
    key.algorithm === 'ES256'
      ? verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)
      : verify('sha256', data, publicKey, signature);
  if (!ok) throw new Error('failed to verify message');
  if ((payload.scope ?? '') !== scope) throw new Error('scope mismatch');
  const listed = new Map(payload.files.map((f) => [f.name, f]));
  for (const [name, content] of files) {
    if (name === '.signatures.json') continue;
    const entry = listed.get(name);
    if (!entry) throw new Error(`file ${name} not included in bundle signature`);
    if (entry.algorithm !== 'SHA-256') throw new Error(`unexpected algorithm ${entry.algorithm}`);
    const got = digest(name, content);
    if (got !== entry.hash) throw new Error(`${name}: digest mismatch (want: ${entry.hash}, got: ${got})`);
    listed.delete(name);
  }
  if (listed.size > 0) throw new Error(`file(s) ${[...listed.keys()].join(', ')} specified in bundle signatures but not found in the target bundle`);
  return { kid: header.kid, files: payload.files };
}
