// `arbiter test <files|folders|->`: checks Kubernetes manifests (or any YAML/JSON) with Conftest's
// conventions and exit codes, offline against policy folders or bundles (`--policy`, the same engine
// the server runs) or against the server (`--server`, every check a recorded decision).
//
// Exit codes as Conftest's: 0 when nothing fails; 1 when a failure was found; with --fail-on-warn,
// 2 for failures and 1 for warnings alone; --no-fail always 0. Errors (unreadable input, policies
// that do not compile, a server that refuses) exit 1 with the reason on stderr.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { checkNamespace, DEFAULT_NAMESPACE, isNamespace, type NamespaceCheck } from '../conftest';
import { fromJSON } from '../rego/eval/values';
import { FORMATS, isFormat, render, type CheckResult, type Format } from './output';
import { expandPaths, InputError, readDocuments, STDIN, type InputDocument } from './test-inputs';
import { checkOnServer, ServerError } from './test-server';

export interface TestOptions {
  policy?: string[];
  data?: string[];
  namespace?: string[];
  allNamespaces?: boolean;
  failOnWarn?: boolean;
  /** False with --no-fail. */
  fail?: boolean;
  output?: string;
  /** False with --no-color. */
  color?: boolean;
  server?: string;
  tenant?: string;
  timeout?: string;
}

/** Where the command reads and writes, so tests can run it in-process. */
export interface TestIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  isTTY: boolean;
  version: string;
}

export const DEFAULT_POLICY_DIR = 'policy';

export function registerTestCommand(program: Command, io: () => TestIO): void {
  program
    .command('test <paths...>')
    .description('check YAML/JSON files, folders or stdin (-) with Conftest conventions: deny/violation/warn rules, exceptions, exit codes')
    .option('-p, --policy <path>', 'policy folder or bundle .tar.gz (repeatable)', collect, [])
    .option('-d, --data <path>', 'JSON/YAML data files or folders, merged into data by folder path (repeatable)', collect, [])
    .option('-n, --namespace <name>', 'package whose rules apply (repeatable)', collect, [])
    .option('--all-namespaces', 'check every package that has deny/violation/warn rules')
    .option('--fail-on-warn', 'exit 1 on warnings and 2 on failures')
    .option('--no-fail', 'always exit 0')
    .option('-o, --output <format>', `output format: ${FORMATS.join(', ')}`, 'stdout')
    .option('--no-color', 'no colours in the stdout format')
    .option('--server <url>', 'check against an Arbiter server (token in ARBITER_TOKEN); each check is a recorded decision')
    .option('--tenant <id>', 'tenant on the server (default: the token\'s tenant)')
    .option('--timeout <ms>', 'evaluation deadline of each rule (offline)', '10000')
    .action(async (paths: string[], opts: TestOptions) => {
      process.exitCode = await runTest(paths, opts, io());
    });
}

function packageVersion(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function processIO(version = packageVersion()): TestIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    version,
  };
}

/** Runs the command and returns its exit code. */
export async function runTest(paths: string[], opts: TestOptions, io: TestIO): Promise<number> {
  try {
    const format = opts.output ?? 'stdout';
    if (!isFormat(format)) throw new InputError(`unknown output format '${format}' (one of ${FORMATS.join(', ')})`);
    const documents = await readAll(paths, io);
    const checks = await checkDocuments(documents, opts, io);
    const results = aggregate(documents, checks);
    const code = exitCode(results, opts);
    io.stdout(
      render(format as Format, results, {
        color: opts.color !== false && io.isTTY && !io.env.NO_COLOR,
        failOnWarn: opts.failOnWarn === true,
        exitCode: code,
        version: io.version,
      }),
    );
    return code;
  } catch (e) {
    if (e instanceof InputError || e instanceof ServerError) {
      io.stderr(`arbiter test: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function readAll(paths: string[], io: TestIO): Promise<InputDocument[]> {
  const files = await expandPaths(paths);
  if (files.filter((f) => f === STDIN).length > 1) throw new InputError('standard input (-) can be read once');
  const documents: InputDocument[] = [];
  for (const f of files) documents.push(...(await readDocuments(f, io.readStdin)));
  return documents;
}

async function checkDocuments(documents: InputDocument[], opts: TestOptions, io: TestIO): Promise<NamespaceCheck[][]> {
  const namespaces = opts.namespace && opts.namespace.length > 0 ? [...new Set(opts.namespace)] : [DEFAULT_NAMESPACE];
  const invalid = namespaces.find((ns) => !isNamespace(ns));
  if (invalid !== undefined) throw new InputError(`invalid namespace ${JSON.stringify(invalid)}: expected a package name such as main or kubernetes.admission`);
  const selection = opts.allNamespaces ? { all: true as const } : { namespaces };
  if (opts.server) {
    if ((opts.policy?.length ?? 0) + (opts.data?.length ?? 0) > 0) {
      throw new InputError("--policy and --data do not go with --server: the server checks with the tenant's active bundles");
    }
    const token = io.env.ARBITER_TOKEN;
    if (!token) throw new InputError('--server needs a token in ARBITER_TOKEN');
    return checkOnServer({ server: opts.server, token, tenant: opts.tenant }, documents, selection);
  }
  const timeoutMs = Number(opts.timeout ?? '10000');
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new InputError(`--timeout must be a positive number of milliseconds, got '${opts.timeout}'`);
  const sources = opts.policy && opts.policy.length > 0 ? opts.policy : [DEFAULT_POLICY_DIR];
  // Loaded on use (require: tsx's CommonJS hook does not serve import()), so the other commands
  // start without the Rego engine.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadPolicies } = require('./test-policy') as typeof import('./test-policy');
  const { evaluator, rules } = await loadPolicies(sources, timeoutMs, opts.data ?? []);
  const selected = 'all' in selection ? rules.namespaces() : selection.namespaces;
  return documents.map((d) => {
    const input = fromJSON(d.content);
    return selected.map((ns) => {
      try {
        return checkNamespace(evaluator, rules, ns, input);
      } catch (e) {
        throw evaluationFailure(d, ns, e);
      }
    });
  });
}

/** An engine or convention error, located at the document (as the server reports it). */
function evaluationFailure(doc: InputDocument, namespace: string, e: unknown): unknown {
  const err = e as { name?: string; message?: string; errors?: { message: string; location?: { file: string; row: number } }[] };
  if (err?.name !== 'RegoError' && err?.name !== 'ConftestError') return e;
  const details = (err.errors ?? []).map((x) => `; ${x.location ? `${x.location.file}:${x.location.row}: ` : ''}${x.message}`).join('');
  return new InputError(`${doc.file}:${doc.line}: namespace ${namespace}: ${err.message}${details}`);
}

/** One result per file and namespace, the documents of a multi-document file added up (as Conftest does). */
export function aggregate(documents: InputDocument[], checks: NamespaceCheck[][]): CheckResult[] {
  const byKey = new Map<string, CheckResult>();
  documents.forEach((doc, i) => {
    for (const c of checks[i]) {
      const key = `${doc.file}\u0000${c.namespace}`;
      let r = byKey.get(key);
      if (!r) {
        r = { filename: doc.file, namespace: c.namespace, successes: 0, failures: [], warnings: [], exceptions: [] };
        byKey.set(key, r);
      }
      const loc = { file: doc.file, line: doc.line };
      r.successes += c.successes;
      r.failures.push(...c.failures.map((f) => ({ ...f, loc })));
      r.warnings.push(...c.warnings.map((f) => ({ ...f, loc })));
      r.exceptions.push(...c.exceptions.map((f) => ({ ...f, loc })));
    }
  });
  return [...byKey.values()];
}

export function exitCode(results: CheckResult[], opts: Pick<TestOptions, 'fail' | 'failOnWarn'>): number {
  if (opts.fail === false) return 0;
  const failures = results.some((r) => r.failures.length > 0);
  const warnings = results.some((r) => r.warnings.length > 0);
  if (opts.failOnWarn) return failures ? 2 : warnings ? 1 : 0;
  return failures ? 1 : 0;
}
