// Conftest's conventions for checking a document against a policy package, shared by the CLI
// (`arbiter test`, offline and through the server) and the admission and Flagger routes:
// - rules named `deny`, `violation` (failures) and `warn` (warnings), each optionally suffixed
//   (`deny_privileged`), in the package named by the namespace (`main`, `kubernetes.admission`);
// - each rule yields messages: strings, or objects with a string `msg` (other keys are metadata);
// - `exception` in the same package names rules (without their deny_/violation_/warn_ prefix) whose
//   findings do not count for this document; an excepted rule reports one exception instead;
// - a rule that yields nothing counts as one success.
// Departure from Conftest, to fail closed: a failure or warning rule that is plainly `true` (e.g.
// `deny if ...`) reports a finding named after the rule instead of counting as a success.

import { RObject, RSet, stringifyJSON, toJSON, type Value } from '../rego/eval/values';

/** What the conventions need from an engine (rule names come in through ConftestRules). */
export interface RuleEvaluator {
  /** Evaluates `main/deny` (a data path without the `data.` prefix) with the given input. */
  evaluate(path: string, input: Value | undefined): Value | undefined;
}

export type RuleKind = 'failure' | 'warning';

export interface ConftestRule {
  name: string;
  kind: RuleKind;
}

export interface Finding {
  msg: string;
  metadata?: Record<string, unknown>;
  /** The rule that produced it, `main.deny_privileged` (the exception query for exceptions). */
  rule: string;
}

/** The check of one document against one namespace. */
export interface NamespaceCheck {
  namespace: string;
  successes: number;
  failures: Finding[];
  warnings: Finding[];
  exceptions: Finding[];
}

/** A malformed rule result (e.g. an object without `msg`): the check cannot be answered. */
export class ConftestError extends Error {
  readonly code = 'conftest_error';
  constructor(message: string) {
    super(message);
    this.name = 'ConftestError';
  }
}

const FAILURE = /^(deny|violation)(_[a-zA-Z0-9]+)*$/;
const WARNING = /^warn(_[a-zA-Z0-9]+)*$/;
const PREFIX = /^(deny|violation|warn)(_)?/;

export function ruleKind(name: string): RuleKind | undefined {
  if (FAILURE.test(name)) return 'failure';
  if (WARNING.test(name)) return 'warning';
  return undefined;
}

/** The name an exception uses for a rule: `deny_run_as_root` -> `run_as_root`, `deny` -> ``. */
export function exceptionName(rule: string): string {
  return rule.replace(PREFIX, '');
}

export const DEFAULT_NAMESPACE = 'main';

const NAMESPACE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** True for a package name as a namespace: `main`, `kubernetes.admission`. */
export function isNamespace(s: string): boolean {
  return NAMESPACE.test(s);
}

/** The Conftest rules of every package, found once from the rule names of a compiled policy. */
export class ConftestRules {
  private readonly byNamespace = new Map<string, ConftestRule[]>();
  private readonly withException = new Set<string>();
  private readonly refs: Set<string>;

  constructor(ruleRefs: Iterable<string>) {
    this.refs = new Set(ruleRefs);
    for (const ref of this.refs) {
      const parts = ref.split('.');
      if (parts.length < 3 || parts[0] !== 'data') continue;
      const name = parts[parts.length - 1];
      const namespace = parts.slice(1, -1).join('.');
      if (name === 'exception') this.withException.add(namespace);
      const kind = ruleKind(name);
      if (!kind) continue;
      const list = this.byNamespace.get(namespace) ?? [];
      list.push({ name, kind });
      this.byNamespace.set(namespace, list);
    }
    for (const list of this.byNamespace.values()) list.sort((a, b) => compareText(a.name, b.name));
  }

  /** Namespaces with at least one deny/violation/warn rule, sorted (what --all-namespaces checks). */
  namespaces(): string[] {
    return [...this.byNamespace.keys()].sort(compareText);
  }

  rules(namespace: string): ConftestRule[] {
    return this.byNamespace.get(namespace) ?? [];
  }

  hasException(namespace: string): boolean {
    return this.withException.has(namespace);
  }

  /** True when `data.<ref>` is a rule (not a package). */
  isRule(ref: string): boolean {
    return this.refs.has(ref);
  }
}

export function namespacePath(namespace: string): string {
  return namespace.split('.').join('/');
}

/** Checks one document against one namespace. Throws ConftestError or the engine's error. */
export function checkNamespace(evaluator: RuleEvaluator, rules: ConftestRules, namespace: string, input: Value | undefined): NamespaceCheck {
  const base = namespacePath(namespace);
  const check: NamespaceCheck = { namespace, successes: 0, failures: [], warnings: [], exceptions: [] };
  const excepted = rules.hasException(namespace) ? exceptedRules(evaluator.evaluate(`${base}/exception`, input)) : new Set<string>();
  for (const rule of rules.rules(namespace)) {
    const ruleRef = `${namespace}.${rule.name}`;
    const name = exceptionName(rule.name);
    if (excepted.has(name)) {
      check.exceptions.push({ msg: `data.${namespace}.exception[_][_] == ${JSON.stringify(name)}`, rule: ruleRef });
      continue;
    }
    const value = evaluator.evaluate(`${base}/${rule.name}`, input);
    if (value === undefined) continue;
    const findings = findingsOf(value, ruleRef);
    if (findings.length === 0) check.successes++;
    else if (rule.kind === 'failure') check.failures.push(...findings);
    else check.warnings.push(...findings);
  }
  return check;
}

function exceptedRules(value: Value | undefined): Set<string> {
  const out = new Set<string>();
  if (value === undefined) return out;
  for (const entry of members(value) ?? []) {
    for (const name of members(entry) ?? []) if (typeof name === 'string') out.add(name);
  }
  return out;
}

function members(v: Value): Value[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.sorted();
  return undefined;
}

function findingsOf(value: Value, rule: string): Finding[] {
  if (value === true) return [{ msg: `data.${rule} is true`, rule }];
  if (value === false || value === null) return [];
  const list = members(value);
  if (list === undefined) return [finding(value, rule)];
  return list.map((v) => finding(v, rule));
}

function finding(v: Value, rule: string): Finding {
  if (typeof v === 'string') return { msg: v, rule };
  if (v instanceof RObject) {
    const json = toJSON(v) as Record<string, unknown>;
    if (!('msg' in json)) throw new ConftestError(`rule data.${rule} missing msg field: ${stringifyJSON(json)}`);
    if (typeof json.msg !== 'string') throw new ConftestError(`rule data.${rule}: msg field must be a string: ${stringifyJSON(json.msg)}`);
    const { msg, ...metadata } = json;
    return Object.keys(metadata).length > 0 ? { msg, metadata, rule } : { msg, rule };
  }
  // Numbers and other values: not a convention, but a finding all the same (fail closed).
  return { msg: stringifyJSON(toJSON(v)), rule };
}

/** True when the check found nothing that fails (warnings and exceptions allowed). */
export function passed(check: NamespaceCheck): boolean {
  return check.failures.length === 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
