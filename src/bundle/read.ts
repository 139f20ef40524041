// Reading bundles: a gzip tarball is unpacked under limits (compressed size, uncompressed size,
// file count), unsafe entries are rejected, and the files are classified by basename as OPA's
// bundle reader does (protocols.md §2). Every problem is collected before BundleError is thrown.

import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { parseDocument } from 'yaml';
import { BundleError, type Problem } from './errors';
import { JSONSyntaxError, MAX_DEPTH, parseJSONData } from './json';
import { ownMember, setMember } from '../json-member';
import { defaultManifest, parseManifest, type Manifest } from './manifest';
import { baseName, dirName, manifestGlobMatch, normalizeEntryPath } from './paths';

/** A file of a bundle: its path inside the bundle (no leading '/') and its bytes. */
export interface BundleFile {
  path: string;
  content: Buffer;
}

export interface BundleModule {
  path: string;
  source: string;
  regoVersion: 0 | 1;
}

export interface ParsedBundle {
  manifest: Manifest;
  modules: BundleModule[];
  /** Every data file merged at its directory path; integers beyond 2^53 are bigint. */
  data: Record<string, unknown>;
  wasm: { path: string; bytes: Buffer }[];
  /** Every regular file of the bundle as it was read, in archive order (for signatures, storage). */
  files: BundleFile[];
}

export interface BundleLimits {
  /** Size of the tar.gz as uploaded. */
  maxCompressedBytes?: number;
  /** Size of the tar stream once decompressed; reading stops past it (gzip bombs). */
  maxUncompressedBytes?: number;
  /** Number of entries in the archive (files and directories). */
  maxFiles?: number;
}

export const DEFAULT_BUNDLE_LIMITS: Required<BundleLimits> = {
  maxCompressedBytes: 32 * 1024 * 1024,
  maxUncompressedBytes: 256 * 1024 * 1024,
  maxFiles: 10_000,
};

const gunzip = promisify(zlib.gunzip) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

/** Reads a tar.gz bundle. Throws BundleError listing every problem found. */
export async function readBundle(archive: Buffer, limits: BundleLimits = {}): Promise<ParsedBundle> {
  const problems: Problem[] = [];
  const files = await extractArchive(archive, { ...DEFAULT_BUNDLE_LIMITS, ...definedOnly(limits) }, problems);
  const bundle = parseBundleFiles(files, problems);
  if (problems.length > 0) throw new BundleError(problems);
  return bundle;
}

function definedOnly(limits: BundleLimits): BundleLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}

/** Unpacks the regular files of a tar.gz; unusable entries become problems. */
export async function extractArchive(archive: Buffer, limits: Required<BundleLimits>, problems: Problem[]): Promise<BundleFile[]> {
  const bundleError = (message: string, file?: string) => problems.push({ file, message, code: 'bundle_error' });
  if (archive.length > limits.maxCompressedBytes) {
    bundleError(`bundle size ${archive.length} bytes exceeds the limit of ${limits.maxCompressedBytes} bytes`);
    return [];
  }
  let tarBytes: Buffer;
  try {
    tarBytes = await gunzip(archive, { maxOutputLength: limits.maxUncompressedBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      bundleError(`bundle uncompressed size exceeds the limit of ${limits.maxUncompressedBytes} bytes`);
    } else {
      bundleError(`bundle is not a gzip-compressed tarball: ${(e as Error).message}`);
    }
    return [];
  }

  const files: BundleFile[] = [];
  const seen = new Set<string>();
  let entries = 0;
  const extract = tar.extract();
  extract.end(tarBytes);
  try {
    for await (const entry of extract) {
      const header = entry.header;
      if (++entries > limits.maxFiles) {
        bundleError(`bundle contains more than ${limits.maxFiles} files`);
        entry.resume();
        break;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const name = header.name;
      const type = header.type ?? 'file';
      if (type === 'directory') continue;
      if (type === 'symlink' || type === 'link') {
        bundleError(`${type === 'link' ? 'hard link' : 'symbolic link'} to '${header.linkname ?? ''}' is not allowed in a bundle`, name);
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') {
        bundleError(`${type} entries are not allowed in a bundle`, name);
        continue;
      }
      const normalized = normalizeEntryPath(name);
      if ('error' in normalized) {
        bundleError(normalized.error, name);
        continue;
      }
      if (seen.has(normalized.path)) {
        bundleError('the archive contains this path more than once', normalized.path);
        continue;
      }
      seen.add(normalized.path);
      files.push({ path: normalized.path, content: Buffer.concat(chunks) });
    }
  } catch (e) {
    bundleError(`bundle is not a valid tar archive: ${(e as Error).message}`);
  }
  return files;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Classifies files by basename and builds the bundle: modules, merged data, Wasm modules and the
 * manifest with defaults. Problems are pushed to `problems`.
 */
export function parseBundleFiles(files: BundleFile[], problems: Problem[] = []): ParsedBundle {
  const bundleError = (file: string, message: string, row?: number, col?: number) =>
    problems.push({ file, row, col, message, code: 'bundle_error' });
  let manifest: Manifest = defaultManifest();
  let manifestFile: string | undefined;
  const modules: { path: string; source: string }[] = [];
  const dataFiles: { path: string; value: unknown }[] = [];
  const wasm: { path: string; bytes: Buffer }[] = [];

  for (const f of files) {
    const base = baseName(f.path);
    if (f.path.endsWith('.rego')) {
      const source = decodeUTF8(f.content);
      if (source === undefined) bundleError(f.path, 'module is not valid UTF-8');
      else modules.push({ path: f.path, source });
    } else if (base === 'policy.wasm') {
      wasm.push({ path: f.path, bytes: f.content });
    } else if (base === 'data.json') {
      const text = decodeUTF8(f.content);
      if (text === undefined) {
        bundleError(f.path, 'data file is not valid UTF-8');
        continue;
      }
      try {
        dataFiles.push({ path: f.path, value: parseJSONData(text) });
      } catch (e) {
        if (!(e instanceof JSONSyntaxError)) throw e;
        bundleError(f.path, `invalid JSON: ${e.message}`, e.row, e.col);
      }
    } else if (base === 'data.yaml' || base === 'data.yml') {
      const value = parseYAMLData(f, problems);
      if (value !== undefined) dataFiles.push({ path: f.path, value });
    } else if (f.path.endsWith('.manifest')) {
      if (manifestFile !== undefined) {
        bundleError(f.path, `a bundle has one manifest, found another one at '${manifestFile}'`);
        continue;
      }
      manifestFile = f.path;
      manifest = parseManifest(f.path, decodeUTF8(f.content) ?? '', problems);
    } else if (base === 'patch.json') {
      bundleError(f.path, 'delta bundles (patch.json) are not accepted: upload a snapshot bundle');
    }
    // Any other file (signatures, plan.json, README...) is carried in `files` only.
  }

  const data: Record<string, unknown> = {};
  for (const d of [...dataFiles].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const key = dirName(d.path).split('/').filter((s) => s !== '');
    const error = insertData(data, key, d.value);
    if (error) bundleError(d.path, error);
  }

  return {
    manifest,
    modules: modules.map((m) => ({ ...m, regoVersion: regoVersionOf(manifest, m.path) })),
    data,
    wasm,
    files,
  };
}

function decodeUTF8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function parseYAMLData(f: BundleFile, problems: Problem[]): unknown {
  const problem = (message: string, row?: number, col?: number) => problems.push({ file: f.path, row, col, message, code: 'bundle_error' });
  const text = decodeUTF8(f.content);
  if (text === undefined) {
    problem('data file is not valid UTF-8');
    return undefined;
  }
  try {
    const doc = parseDocument(text, { intAsBigInt: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      // One problem per distinct message: a deep document repeats the same error at every level.
      const seen = new Set<string>();
      for (const e of doc.errors) {
        const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        if (seen.has(message)) continue;
        seen.add(message);
        const pos = e.linePos?.[0];
        problem(/call stack/.test(message) ? 'invalid YAML data: nested too deeply' : `invalid YAML: ${message}`, pos?.line, pos?.col);
      }
      return undefined;
    }
    const value = jsonFromYAML(doc.toJS({ maxAliasCount: 1000 }), 0);
    return value === undefined || value === null ? {} : value;
  } catch (e) {
    problem(e instanceof RangeError ? 'invalid YAML data: nested too deeply' : `invalid YAML data: ${(e as Error).message}`);
    return undefined;
  }
}

/** YAML values as JSON data: small bigints back to numbers, non-JSON values rejected. */
function jsonFromYAML(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error(`nesting deeper than ${MAX_DEPTH} levels`);
  switch (typeof v) {
    case 'bigint':
      return Number.isSafeInteger(Number(v)) ? Number(v) : v;
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`${v} is not a JSON number`);
      return v;
    case 'string':
    case 'boolean':
      return v;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map((x) => jsonFromYAML(x, depth + 1));
      if (v instanceof Map || v instanceof Set || v instanceof Date || v instanceof Uint8Array) {
        throw new Error(`${v.constructor.name} values are not JSON data`);
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) setMember(out, k, jsonFromYAML(x, depth + 1));
      return out;
    }
  }
  throw new Error(`${typeof v} values are not JSON data`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Merges `value` into `data` at `key` as OPA's insertData does; returns an error message on conflict. */
function insertData(data: Record<string, unknown>, key: string[], value: unknown): string | undefined {
  if (key.length === 0 && !isPlainObject(value)) return 'root value must be object';
  const conflict = `failed to insert data file from path ${key.join('/')}`;
  let node = data;
  for (let i = 0; i < key.length - 1; i++) {
    const existing = ownMember(node, key[i]);
    if (existing === undefined) {
      const child: Record<string, unknown> = {};
      setMember(node, key[i], child);
      node = child;
    } else if (isPlainObject(existing)) node = existing;
    else return conflict;
  }
  if (key.length === 0) return mergeObjects(data, value as Record<string, unknown>) ? undefined : conflict;
  const last = key[key.length - 1];
  const existing = ownMember(node, last);
  if (existing === undefined) setMember(node, last, value);
  else if (isPlainObject(existing) && isPlainObject(value)) {
    if (!mergeObjects(existing, value)) return conflict;
  } else return conflict;
  return undefined;
}

function mergeObjects(target: Record<string, unknown>, source: Record<string, unknown>): boolean {
  for (const k of Object.keys(source)) {
    const existing = ownMember(target, k);
    if (existing === undefined) setMember(target, k, source[k]);
    else if (isPlainObject(existing) && isPlainObject(source[k])) {
      if (!mergeObjects(existing, source[k] as Record<string, unknown>)) return false;
    } else return false;
  }
  return true;
}

function regoVersionOf(manifest: Manifest, path: string): 0 | 1 {
  const patterns = Object.keys(manifest.file_rego_versions ?? {}).sort();
  for (const p of patterns) if (manifestGlobMatch(p, path)) return manifest.file_rego_versions![p];
  return manifest.rego_version ?? 1;
}
