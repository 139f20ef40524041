// Offline policies for `arbiter test --policy`: folders of .rego files (with data.json/data.yaml as
// a bundle holds them) or bundle archives, compiled together by the same engine the server runs.

import { promises as fs } from 'node:fs';
import { buildBundleFromDir, describeProblem, parseBundleFiles, readBundle, BundleError, type ParsedBundle, type Problem } from '../bundle';
import { ConftestRules, type RuleEvaluator } from '../conftest';
import { compileModules, fromJSON, RegoError, RObject, type Value } from '../rego';
import { dirname, relative, sep } from 'node:path';
import { expandPaths, InputError, readDocuments } from './test-inputs';
import { ownMember, setMember } from '../json-member';

export interface OfflinePolicy {
  evaluator: RuleEvaluator;
  rules: ConftestRules;
}

export async function loadPolicies(sources: string[], timeoutMs: number, dataPaths: string[] = []): Promise<OfflinePolicy> {
  const modules: { file: string; source: string; regoVersion?: 0 | 1 }[] = [];
  const data: Record<string, unknown> = {};
  for (const p of dataPaths) await loadDataPath(p, data);
  for (const source of sources) {
    const bundle = await loadOne(source);
    for (const m of bundle.modules) modules.push({ file: `${source}/${m.path.replace(/^\/+/, '')}`, source: m.source, regoVersion: m.regoVersion });
    mergeData(data, bundle.data);
  }
  if (modules.length === 0) throw new InputError(`no policies found in ${sources.join(', ')}`);
  let policy;
  try {
    policy = compileModules(modules);
  } catch (e) {
    if (!(e instanceof RegoError)) throw e;
    const lines = e.errors.map((x) => `${x.location ? `${x.location.file}:${x.location.row}: ` : ''}${x.code}: ${x.message}`);
    throw new InputError(`${lines.length} error${lines.length === 1 ? '' : 's'} occurred:\n${lines.join('\n')}`);
  }
  const dataValue = fromJSON(data);
  const compiled = policy;
  return {
    rules: new ConftestRules(policy.ruleNames()),
    evaluator: {
      evaluate: (path: string, input: Value | undefined) => compiled.evaluate(path, { input, data: dataValue instanceof RObject ? dataValue : undefined, timeoutMs }),
    },
  };
}

async function loadOne(source: string): Promise<ParsedBundle> {
  let stat;
  try {
    stat = await fs.stat(source);
  } catch {
    throw new InputError(`policy ${source}: no such file or directory`);
  }
  try {
    if (!stat.isDirectory()) return await readBundle(await fs.readFile(source));
  } catch (e) {
    if (e instanceof BundleError) throw problemsError(source, e.problems);
    throw e;
  }
  const problems: Problem[] = [];
  const bundle = parseBundleFiles(await buildBundleFromDir(source), problems);
  if (problems.length > 0) throw problemsError(source, problems);
  return bundle;
}

/**
 * Conftest's --data: JSON and YAML files (folders searched recursively), each merged into data at
 * the path of its folder below the one given, as `opa eval --data` loads them.
 */
async function loadDataPath(root: string, data: Record<string, unknown>): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(root);
  } catch {
    throw new InputError(`data ${root}: no such file or directory`);
  }
  const files = stat.isDirectory() ? await expandPaths([root]) : [root];
  for (const file of files) {
    const rel = stat.isDirectory() ? relative(root, dirname(file)) : '';
    for (const doc of await readDocuments(file, () => Promise.reject(new InputError('data cannot come from standard input')))) {
      if (!isObject(doc.content)) throw new InputError(`data ${file}: the document must be an object`);
      let target = data;
      for (const key of rel === '' ? [] : rel.split(sep)) {
        if (!isObject(ownMember(target, key))) setMember(target, key, {});
        target = ownMember(target, key) as Record<string, unknown>;
      }
      mergeData(target, doc.content);
    }
  }
}

function problemsError(source: string, problems: Problem[]): InputError {
  return new InputError(`policy ${source}:\n${problems.map(describeProblem).join('\n')}`);
}

function mergeData(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    const existing = ownMember(target, k);
    if (isObject(existing) && isObject(v)) mergeData(existing, v);
    else setMember(target, k, v);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
