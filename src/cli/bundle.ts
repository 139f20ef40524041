// `arbiter bundle build` and `arbiter bundle push`: turn a policy directory into a (signed)
// bundle, validated the way the registry validates uploads, and upload it to a tenant.

import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import {
  buildBundleFromDir,
  describeProblem,
  parseBundleFiles,
  readBundle,
  signBundleFiles,
  validateBundle,
  writeBundle,
  BundleError,
  type BundleFile,
  type Problem,
  type SigningAlgorithm,
} from '../bundle';

const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'];

interface SigningOptions {
  signingKey?: string;
  kid: string;
  signingAlg?: string;
  scope?: string;
}

interface BuildOptions extends SigningOptions {
  output: string;
  revision?: string;
  validate: boolean;
  tests: boolean;
  quiet?: boolean;
}

interface PushOptions extends SigningOptions {
  server: string;
  tenant?: string;
  name: string;
  activate: boolean;
  quiet?: boolean;
}

function addSigningOptions(cmd: Command, keyFlag: string): Command {
  return cmd
    .option(`${keyFlag} <file>`, 'PEM private key (or HS* secret file) to sign the bundle with')
    .option('--kid <id>', 'key id written in the signature header', 'default')
    .option('--signing-alg <alg>', `signature algorithm (${SIGNING_ALGORITHMS.join(', ')}); default from the key`)
    .option('--scope <scope>', 'scope claim of the signature (agents must be configured with the same scope)');
}

export function registerBundleCommands(program: Command): void {
  const bundle = program.command('bundle').description('build, sign and upload OPA bundles');

  addSigningOptions(
    bundle
      .command('build <dir>')
      .description('build a bundle (tar.gz) from a policy directory; validates roots, compiles and runs the Rego tests')
      .option('-o, --output <file>', 'where to write the bundle', 'bundle.tar.gz')
      .option('-r, --revision <revision>', 'set the manifest revision')
      .option('--no-validate', 'skip validation (roots, compilation, tests)')
      .option('--no-tests', 'validate without running the Rego unit tests')
      .option('-q, --quiet', 'no progress output'),
    '--signing-key',
  ).action(async (dir: string, opts: BuildOptions) => {
    const log = progress(opts.quiet);
    const files = await collectFiles(dir, opts.revision, log);
    if (opts.validate && !checkBundle(files, opts.tests, log)) {
      process.exitCode = 1;
      return;
    }
    const archive = await writeBundle(await maybeSign(files, opts, log));
    await fs.writeFile(opts.output, archive);
    const digest = createHash('sha256').update(archive).digest('hex');
    process.stdout.write(`wrote ${opts.output}: ${files.length} files, ${archive.length} bytes, sha256:${digest}\n`);
  });

  addSigningOptions(
    bundle
      .command('sign <bundle>')
      .description('sign an existing bundle (.tar.gz): replaces any .signatures.json with one listing every file')
      .option('-o, --output <file>', 'where to write the signed bundle (default: overwrite the input)')
      .option('-q, --quiet', 'no progress output'),
    '--signing-key',
  ).action(async (source: string, opts: SigningOptions & { output?: string; quiet?: boolean }) => {
    if (!opts.signingKey) throw new Error('--signing-key is required');
    const log = progress(opts.quiet);
    const archive = await archiveFor(source, opts, log);
    const output = opts.output ?? source;
    await fs.writeFile(output, archive);
    process.stdout.write(`wrote ${output}: ${archive.length} bytes, sha256:${createHash('sha256').update(archive).digest('hex')}\n`);
  });

  addSigningOptions(
    bundle
      .command('push <source>')
      .description('upload a bundle (a directory or a .tar.gz) as a new version: PUT /tenants/{tenant}/bundles/{name}; token from ARBITER_TOKEN')
      .option('--server <url>', 'Arbiter base URL (ARBITER_SERVER)', process.env.ARBITER_SERVER ?? 'http://localhost:8181')
      .option('--tenant <id>', 'tenant id (ARBITER_TENANT)', process.env.ARBITER_TENANT)
      .requiredOption('--name <bundle>', 'bundle name')
      .option('--no-activate', 'store the version without activating it')
      .option('-q, --quiet', 'no progress output'),
    '--sign-key',
  ).action(async (source: string, opts: PushOptions & { signKey?: string }) => {
    const log = progress(opts.quiet);
    const token = process.env.ARBITER_TOKEN;
    if (!token) throw new Error('set ARBITER_TOKEN to a token with the bundles:write scope');
    if (!opts.tenant) throw new Error('--tenant (or ARBITER_TENANT) is required');
    const signing = { ...opts, signingKey: opts.signKey };
    const archive = await archiveFor(source, signing, log);
    const url = `${opts.server.replace(/\/+$/, '')}/tenants/${encodeURIComponent(opts.tenant)}/bundles/${encodeURIComponent(opts.name)}${opts.activate ? '' : '?activate=false'}`;
    log(`uploading ${archive.length} bytes to ${url}`);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
        body: archive,
      });
    } catch (e) {
      throw new Error(`cannot reach ${opts.server}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`);
    }
    const text = await response.text();
    if (response.ok) {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      return;
    }
    process.stderr.write(`upload rejected: HTTP ${response.status}\n${describeErrorBody(text)}`);
    process.exitCode = 1;
  });
}

/** A progress printer on stderr (stdout keeps only the result). */
export function progress(quiet?: boolean): (line: string) => void {
  return quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`);
}

async function collectFiles(dir: string, revision: string | undefined, log: (l: string) => void): Promise<BundleFile[]> {
  log(`reading ${dir}`);
  let files = await buildBundleFromDir(dir);
  if (revision !== undefined) files = withRevision(files, revision);
  log(`found ${files.length} bundle files`);
  return files;
}

/** Sets the manifest revision, creating the manifest if there is none. */
function withRevision(files: BundleFile[], revision: string): BundleFile[] {
  const existing = files.find((f) => f.path === '.manifest');
  let manifest: Record<string, unknown> = {};
  if (existing) {
    try {
      manifest = JSON.parse(existing.content.toString('utf8'));
    } catch (e) {
      throw new Error(`.manifest: ${(e as Error).message}`);
    }
  }
  const content = Buffer.from(`${JSON.stringify({ ...manifest, revision }, null, 2)}\n`);
  return [...files.filter((f) => f.path !== '.manifest'), { path: '.manifest', content }];
}

/** Validates as the registry does; prints every problem. */
function checkBundle(files: BundleFile[], runTests: boolean, log: (l: string) => void): boolean {
  const problems: Problem[] = [];
  const parsed = parseBundleFiles(files, problems);
  if (problems.length === 0) {
    log(`compiling ${parsed.modules.length} modules${runTests ? ' and running their tests' : ''}`);
    problems.push(...validateBundle(parsed, { otherActiveRoots: [], runTests }));
  }
  if (problems.length === 0) return true;
  process.stderr.write(`bundle is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n`);
  for (const p of problems) process.stderr.write(`  ${describeProblem(p)}\n`);
  return false;
}

async function maybeSign(files: BundleFile[], opts: SigningOptions, log: (l: string) => void): Promise<BundleFile[]> {
  if (!opts.signingKey) return files;
  if (opts.signingAlg && !SIGNING_ALGORITHMS.includes(opts.signingAlg)) throw new Error(`unsupported signing algorithm ${opts.signingAlg}`);
  const privateKeyPem = await fs.readFile(opts.signingKey, 'utf8');
  log(`signing with key '${opts.kid}'`);
  return signBundleFiles(files, { kid: opts.kid, algorithm: opts.signingAlg as SigningAlgorithm | undefined, privateKeyPem }, opts.scope);
}

async function archiveFor(source: string, opts: SigningOptions, log: (l: string) => void): Promise<Buffer> {
  const stat = await fs.stat(source);
  if (stat.isDirectory()) {
    const files = await collectFiles(source, undefined, log);
    return writeBundle(await maybeSign(files, opts, log));
  }
  const archive = await fs.readFile(source);
  if (!opts.signingKey) return archive;
  let files: BundleFile[];
  try {
    files = (await readBundle(archive)).files;
  } catch (e) {
    if (!(e instanceof BundleError)) throw e;
    throw new Error(`${source}: ${e.problems.map(describeProblem).join('; ')}`);
  }
  return writeBundle(await maybeSign(files, opts, log));
}

/** The OPA-style error body of a rejected upload, one problem per line. */
function describeErrorBody(text: string): string {
  let body: { code?: string; message?: string; errors?: { message?: string; location?: { file?: string; row?: number; col?: number } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  }
  let out = `${body.code ?? 'error'}: ${body.message ?? ''}\n`;
  for (const e of body.errors ?? []) {
    const loc = e.location;
    const where = loc?.file ? `${loc.file}${loc.row ? `:${loc.row}${loc.col ? `:${loc.col}` : ''}` : ''}: ` : '';
    out += `  ${where}${e.message ?? ''}\n`;
  }
  return out;
}
