// POST /tenants/{t}/conftest: the server side of `arbiter test --server`. Checks each document
// against the tenant's active bundles with Conftest's conventions (src/conftest) and records each
// check (document x namespace) as a decision whose result says what was found.
// Also the helpers the admission and Flagger routes share: the Conftest rules of a PolicySet.

import { Router, type Request } from 'express';
import { checkNamespace, ConftestError, ConftestRules, DEFAULT_NAMESPACE, isNamespace, namespacePath, type NamespaceCheck, type RuleEvaluator } from '../conftest';
import type { DecisionOutcome } from '../engine/decisions';
import type { EvalRequest, PolicySet } from '../engine/policy-set';
import { fromJSON, type Value } from '../rego/eval/values';
import { authorize, type Principal } from './auth';
import { readBody, parseDocument, toValue } from './body';
import { methodNotAllowed, principalOf, type AppDeps } from './context';
import { Errors, toHttpError, type ErrorBody } from './errors';
import { sendJSON } from './respond';
import { Routes } from './routes';

const rulesCache = new WeakMap<object, ConftestRules>();
const NO_RULES = new ConftestRules([]);

/** The Conftest rules of a tenant's policy, found once per compiled set of bundles. */
export function conftestRulesOf(set: PolicySet): ConftestRules {
  const compiled = set.compiledBundles;
  if (!compiled) return NO_RULES;
  let rules = rulesCache.get(compiled);
  if (!rules) {
    rules = new ConftestRules(compiled.ruleRefs);
    rulesCache.set(compiled, rules);
  }
  return rules;
}

/** Evaluation of single paths of the set, with the decision's deadline and strictness. */
export function evaluatorOf(set: PolicySet, options: EvalRequest): RuleEvaluator {
  return { evaluate: (path, input) => set.evaluate(path, { ...options, input }) };
}

/** A package name (`main`, `kubernetes.admission`), or a 400. */
export function checkNamespaceName(ns: unknown): string {
  if (typeof ns !== 'string' || !isNamespace(ns)) throw Errors.badRequest(`invalid namespace ${JSON.stringify(ns)}: expected a package name such as main or kubernetes.admission`);
  return ns;
}

/** The package named by the segments of a route's `*path` (`kubernetes/admission`). */
export function namespaceFromPath(segments: unknown): string {
  const parts = (Array.isArray(segments) ? segments : [segments]).filter((s) => s !== '');
  return checkNamespaceName(parts.join('.'));
}

/** The tenant's PolicySet after checking the token's scope for it; 404 for an unknown tenant. */
export async function decisionSet(deps: AppDeps, principal: Principal, tenant: string): Promise<PolicySet> {
  authorize(principal, 'decide', tenant);
  const set = deps.engine.policySet(tenant) ?? (await deps.engine.policySetOrLoad(tenant));
  if (!set) throw Errors.notFound(`tenant ${tenant} not found`);
  return set;
}

export function remoteAddr(req: Request): string {
  return `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`;
}

/** The OPA-style error body of a failed decision (ConftestError keeps its own message). */
export function outcomeError(outcome: DecisionOutcome): ErrorBody {
  if (outcome.error instanceof ConftestError) return { code: outcome.error.code, message: outcome.error.message };
  return toHttpError(outcome.error).error.body();
}

/** An error body as one line of text: the message, then each item with its location. */
export function describeError(err: ErrorBody): string {
  const items = (err.errors ?? []).map((e) => `; ${e.location ? `${e.location.file}:${e.location.row}: ` : ''}${e.message}`);
  return err.message + items.join('');
}

/** What a recorded Conftest check holds as its result. */
export function checkResultJSON(check: NamespaceCheck): Record<string, unknown> {
  return { allowed: check.failures.length === 0, ...check };
}

const MAX_DOCUMENTS = 1000;

export function conftestRouter(deps: AppDeps): Router {
  const router = Router();
  router
    .route(Routes.conftest)
    .post(async (req, res) => {
      const tenant = req.params.tenant as string;
      const principal = principalOf(deps, req);
      const set = await decisionSet(deps, principal, tenant);
      const body = parseDocument(await readBody(req, deps.limits.maxRequestBytes), req.headers['content-type']);
      const { documents, namespaces, all } = parseRequest(body);
      const selected = all ? conftestRulesOf(set).namespaces() : namespaces;
      const results = await Promise.all(
        documents.map((doc) => {
          const input = toValue(doc);
          return Promise.all(
            selected.map(async (namespace) => {
              const outcome = await deps.decisions.decide({
                set,
                path: namespacePath(namespace),
                input,
                inputJSON: doc,
                principal: principal.sub,
                remoteAddr: remoteAddr(req),
                evaluate: (s, options) => checkValue(s, options, namespace, input),
              });
              if (outcome.error !== undefined) return { namespace, decision_id: outcome.decisionId, error: outcomeError(outcome) };
              const { allowed: _allowed, ...check } = outcome.resultJSON as Record<string, unknown>;
              return { ...check, decision_id: outcome.decisionId };
            }),
          );
        }),
      );
      sendJSON(res, 200, { namespaces: selected, results });
    })
    .all(methodNotAllowed);
  return router;
}

function checkValue(set: PolicySet, options: EvalRequest, namespace: string, input: Value): Value {
  const check = checkNamespace(evaluatorOf(set, options), conftestRulesOf(set), namespace, input);
  return fromJSON(checkResultJSON(check));
}

function parseRequest(body: unknown): { documents: unknown[]; namespaces: string[]; all: boolean } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw Errors.malformedBody('the body must be an object {"documents": [...], "namespaces": [...] | "all_namespaces": true}');
  }
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.documents)) throw Errors.badRequest("'documents' must be an array of documents to check");
  if (b.documents.length > MAX_DOCUMENTS) throw Errors.badRequest(`at most ${MAX_DOCUMENTS} documents per request`);
  if (b.all_namespaces !== undefined && typeof b.all_namespaces !== 'boolean') throw Errors.badRequest("'all_namespaces' must be a boolean");
  let namespaces = [DEFAULT_NAMESPACE];
  if (b.namespaces !== undefined) {
    if (!Array.isArray(b.namespaces) || b.namespaces.length === 0) throw Errors.badRequest("'namespaces' must be a non-empty array of package names");
    namespaces = [...new Set(b.namespaces.map(checkNamespaceName))];
  }
  return { documents: b.documents, namespaces, all: b.all_namespaces === true };
}
