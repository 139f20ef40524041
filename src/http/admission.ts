// Kubernetes validating admission: POST /tenants/{t}/admission/{package path} takes an
// admission.k8s.io/v1 AdmissionReview and answers one, judged by the Conftest-style rules (deny,
// violation, warn, exceptions) of the package. The rules see the admitted object
// (`request.object`) as input, exactly as `arbiter test` shows them a manifest in CI, so one policy
// serves both. POST /tenants/{t}/admission-review/{path} gives them the whole AdmissionReview
// instead, for rules that need the operation or the user (a path, since the apiserver allows no
// query string in a webhook URL).
//
// The answer is always HTTP 200 with `response.uid` echoed; every denial is in `status.message`
// (one per line) and warn rules become `warnings`. It fails closed: an evaluation error, or a
// package without any such rule, answers allowed: false with the reason. Every review is a
// recorded decision: its input is the whole AdmissionReview, its result the response.

import { Router, type Request, type Response } from 'express';
import { checkNamespace } from '../conftest';
import type { EvalRequest, PolicySet } from '../engine/policy-set';
import { fromJSON, type Value } from '../rego/eval/values';
import { readBody, parseDocument, toValue } from './body';
import { conftestRulesOf, decisionSet, describeError, evaluatorOf, namespaceFromPath, outcomeError, remoteAddr } from './conftest';
import { methodNotAllowed, principalOf, type AppDeps } from './context';
import { Errors } from './errors';
import { sendJSON } from './respond';
import { Routes } from './routes';

interface AdmissionRequest {
  uid: string;
  operation?: string;
  object?: unknown;
}

interface Review {
  apiVersion: string;
  kind: 'AdmissionReview';
  request: AdmissionRequest;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
}

export function admissionRouter(deps: AppDeps): Router {
  const router = Router();
  router
    .route(Routes.admission)
    .post((req, res) => review(deps, req, res, 'object'))
    .all(methodNotAllowed);
  router
    .route(Routes.admissionReview)
    .post((req, res) => review(deps, req, res, 'review'))
    .all(methodNotAllowed);
  return router;
}

async function review(deps: AppDeps, req: Request, res: Response, mode: 'object' | 'review'): Promise<void> {
  const tenant = req.params.tenant as string;
  const principal = principalOf(deps, req);
  const set = await decisionSet(deps, principal, tenant);
  const namespace = namespaceFromPath(req.params.path);
  const body = parseDocument(await readBody(req, deps.limits.maxRequestBytes), req.headers['content-type']);
  const admission = parseReview(body);
  const uid = admission.request.uid;
  // In object mode a request without an object (DELETE, CONNECT) has nothing to check.
  const object = admission.request.object;
  const skip = mode === 'object' && (object === undefined || object === null);
  const reviewValue = toValue(body);
  const input = mode === 'review' ? reviewValue : skip ? undefined : toValue(object);
  const outcome = await deps.decisions.decide({
    set,
    path: namespace.split('.').join('/'),
    input: reviewValue,
    inputJSON: body,
    principal: principal.sub,
    remoteAddr: remoteAddr(req),
    evaluate: (s, options) => fromJSON(wrap(admission, skip ? { uid, allowed: true } : judge(s, options, namespace, uid, input))),
  });
  if (outcome.error !== undefined) {
    const message = `policy evaluation failed (decision ${outcome.decisionId}): ${describeError(outcomeError(outcome))}`;
    sendJSON(res, 200, wrap(admission, { uid, allowed: false, status: { code: 500, reason: 'InternalError', message } }), false, { 'X-Decision-Id': outcome.decisionId });
    return;
  }
  sendJSON(res, 200, outcome.resultJSON, false, { 'X-Decision-Id': outcome.decisionId });
}

function judge(set: PolicySet, options: EvalRequest, namespace: string, uid: string, input: Value | undefined): AdmissionResponse {
  const rules = conftestRulesOf(set);
  if (rules.rules(namespace).length === 0) {
    return { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: `no deny, violation or warn rules in package ${namespace}` } };
  }
  const check = checkNamespace(evaluatorOf(set, options), rules, namespace, input);
  const response: AdmissionResponse = { uid, allowed: check.failures.length === 0 };
  if (!response.allowed) response.status = { code: 403, reason: 'Forbidden', message: check.failures.map((f) => f.msg).join('\n') };
  if (check.warnings.length > 0) response.warnings = check.warnings.map((w) => w.msg);
  return response;
}

function wrap(admission: Review, response: AdmissionResponse): Record<string, unknown> {
  return { apiVersion: admission.apiVersion, kind: 'AdmissionReview', response };
}

function parseReview(body: unknown): Review {
  const bad = (why: string) => Errors.malformedBody(`expected an admission.k8s.io AdmissionReview: ${why}`);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the body is not an object');
  const b = body as Record<string, unknown>;
  if (b.kind !== 'AdmissionReview') throw bad(`kind is ${JSON.stringify(b.kind)}`);
  if (typeof b.apiVersion !== 'string' || !b.apiVersion.startsWith('admission.k8s.io/')) throw bad(`apiVersion is ${JSON.stringify(b.apiVersion)}`);
  const r = b.request;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) throw bad('request is missing');
  const uid = (r as Record<string, unknown>).uid;
  if (typeof uid !== 'string' || uid === '') throw bad('request.uid is missing');
  return body as Review;
}
