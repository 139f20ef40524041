// Flagger webhook gate: POST /tenants/{t}/flagger/{path}. Flagger's payload
// ({name, namespace, phase, checksum, metadata}, metadata values all strings) is the input.
// Flagger passes a hook when the status is 200-202 and shows the body of any other answer in its
// events; it retries 5xx and then loses the body. So: allowed -> 200 with the decision id;
// denied, undefined or failed -> 403 with the reasons as plain text (fail closed).
//
// What allows, by what `{path}` names:
// - a rule: `true` allows; a set or array allows when empty, its members (strings or {msg}) are the
//   reasons; anything else (false, undefined) denies, with the members of the package's `deny`
//   rule as the reasons when there is one;
// - a package: its Conftest rules decide (any deny/violation finding denies, exceptions apply) and
//   its `allow` rule, when it has one, must be true.
// Flagger sends no headers: the token comes as Basic auth from the URL's user info
// (https://token:<jwt>@arbiter/...) or in `metadata.token`; either way it is removed from the
// input before evaluation and recording. A Bearer header works too (curl, tests).

import { Router, type Request, type Response } from 'express';
import { checkNamespace } from '../conftest';
import type { EvalRequest, PolicySet } from '../engine/policy-set';
import { fromJSON, RObject, RSet, stringifyJSON, type Value } from '../rego/eval/values';
import { readBody, parseDocument, toValue } from './body';
import { conftestRulesOf, decisionSet, describeError, evaluatorOf, namespaceFromPath, outcomeError, remoteAddr } from './conftest';
import { methodNotAllowed, type AppDeps } from './context';
import { Errors } from './errors';
import { Routes } from './routes';

const MAX_PAYLOAD_BYTES = 1 << 20;

export interface GateResult {
  allowed: boolean;
  reasons: string[];
  warnings?: string[];
}

export function flaggerRouter(deps: AppDeps): Router {
  const router = Router();
  router
    .route(Routes.flagger)
    .post((req, res) => gate(deps, req, res))
    .all(methodNotAllowed);
  return router;
}

async function gate(deps: AppDeps, req: Request, res: Response): Promise<void> {
  const tenant = req.params.tenant as string;
  const namespace = namespaceFromPath(req.params.path);
  // The body is read before the token is known (it may carry it): keep what a stranger can make us
  // buffer small. Flagger's payloads are a few hundred bytes.
  const body = parseDocument(await readBody(req, Math.min(deps.limits.maxRequestBytes, MAX_PAYLOAD_BYTES)), req.headers['content-type']);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw Errors.malformedBody('expected a Flagger webhook payload {"name","namespace","phase","checksum","metadata"}');
  }
  const { payload, token } = withoutToken(body as Record<string, unknown>);
  const principal = deps.auth.authenticate(authorization(req.headers.authorization, token));
  const set = await decisionSet(deps, principal, tenant);
  const input = toValue(payload);
  const outcome = await deps.decisions.decide({
    set,
    path: namespace.split('.').join('/'),
    input,
    inputJSON: payload,
    principal: principal.sub,
    remoteAddr: remoteAddr(req),
    evaluate: (s, options) => fromJSON(judge(s, options, namespace, input)),
  });
  const id = outcome.decisionId;
  res.setHeader('X-Decision-Id', id);
  if (outcome.error !== undefined) {
    sendText(res, 403, `policy evaluation failed: ${describeError(outcomeError(outcome))} (decision ${id})`);
    return;
  }
  const result = outcome.resultJSON as GateResult;
  if (result.allowed) sendText(res, 200, `approved (decision ${id})`);
  else sendText(res, 403, `${result.reasons.join('; ')} (decision ${id})`);
}

function sendText(res: Response, status: number, text: string): void {
  res.status(status).type('text/plain; charset=utf-8').send(text + '\n');
}

/** The payload without `metadata.token`, and that token. */
function withoutToken(body: Record<string, unknown>): { payload: Record<string, unknown>; token?: string } {
  const metadata = body.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata) || !('token' in metadata)) return { payload: body };
  const { token, ...rest } = metadata as Record<string, unknown>;
  return { payload: { ...body, metadata: rest }, token: typeof token === 'string' ? token : undefined };
}

/** An `Authorization: Bearer` value from the header (Bearer or Basic) or the metadata token. */
function authorization(header: string | undefined, metadataToken: string | undefined): string | undefined {
  const basic = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    // https://token:<jwt>@host puts the JWT in the password; https://<jwt>@host in the user.
    const jwt = password !== '' ? password : user;
    return jwt === '' ? undefined : `Bearer ${jwt}`;
  }
  if (header) return header;
  return metadataToken === undefined ? undefined : `Bearer ${metadataToken}`;
}

function judge(set: PolicySet, options: EvalRequest, namespace: string, input: Value): Record<string, unknown> {
  const rules = conftestRulesOf(set);
  const ref = `data.${namespace}`;
  const path = namespace.split('.').join('/');
  const evaluate = (p: string) => set.evaluate(p, { ...options, input });
  if (rules.isRule(ref)) {
    const value = evaluate(path);
    const members = membersOf(value);
    if (value === true || (members !== undefined && members.length === 0)) return gateResult(true, []);
    if (members !== undefined) return gateResult(false, members.map(reasonOf));
    const parent = namespace.split('.').slice(0, -1).join('.');
    const siblingDeny = parent !== '' && rules.isRule(`data.${parent}.deny`) ? membersOf(evaluate(`${parent.split('.').join('/')}/deny`)) : undefined;
    const reasons = siblingDeny && siblingDeny.length > 0 ? siblingDeny.map(reasonOf) : [`${ref} is ${value === undefined ? 'undefined' : stringifyJSON(value)}`];
    return gateResult(false, reasons);
  }
  const hasAllow = rules.isRule(`${ref}.allow`);
  if (rules.rules(namespace).length === 0 && !hasAllow) return gateResult(false, [`no allow, deny or violation rules in package ${namespace}`]);
  const check = checkNamespace(evaluatorOf(set, options), rules, namespace, input);
  const reasons = check.failures.map((f) => f.msg);
  if (hasAllow && reasons.length === 0) {
    const allow = evaluate(`${path}/allow`);
    if (allow !== true) reasons.push(`${ref}.allow is ${allow === undefined ? 'undefined' : stringifyJSON(allow)}`);
  }
  return gateResult(reasons.length === 0, reasons, check.warnings.map((w) => w.msg));
}

function gateResult(allowed: boolean, reasons: string[], warnings: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { allowed, reasons };
  if (warnings.length > 0) out.warnings = warnings;
  return out;
}

function membersOf(v: Value | undefined): Value[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.sorted();
  return undefined;
}

function reasonOf(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof RObject) {
    const msg = v.get('msg');
    if (typeof msg === 'string') return msg;
  }
  return stringifyJSON(v);
}
