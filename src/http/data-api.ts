// The OPA REST API for decisions (protocols.md §1): /v1/data, /v0/data, POST /, /v1/batch/data,
// each also under /tenants/{t}. Written on plain node:http request/response objects, so the same
// handler runs as the lean path in front of express (no express per-request cost) and inside the
// express app that tests drive.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DecisionService, DecisionOutcome } from '../engine/decisions';
import type { Engine } from '../engine/engine';
import type { PolicySet } from '../engine/policy-set';
import { setMember } from '../json-member';
import type { Value } from '../rego/eval/values';
import { ALL_TENANTS, authorize, type Authenticator, type Principal } from './auth';
import { readBody, parseDocument, readDocument, toValue } from './body';
import type { RawInput } from '../store/decisions';
import { Errors, toHttpError } from './errors';
import { sendError, sendJSON, type ErrorLogger } from './respond';

export interface DataApiOptions {
  auth: Authenticator;
  engine: Engine;
  decisions: DecisionService;
  defaultDecision: string;
  maxRequestBytes: number;
  version: string;
  logger?: ErrorLogger;
}

type Kind = 'v1' | 'v0' | 'batch' | 'default';

interface Route {
  kind: Kind;
  tenant?: string;
  rawPath: string;
}

interface Params {
  pretty: boolean;
  metrics: boolean;
  provenance: boolean;
  strict: boolean;
  input?: string;
}

const ALLOWED: Record<Kind, string[]> = { v1: ['GET', 'POST'], v0: ['POST'], batch: ['POST'], default: ['POST'] };
const PREFIXES: [string, Kind][] = [
  ['/v1/data', 'v1'],
  ['/v0/data', 'v0'],
  ['/v1/batch/data', 'batch'],
];

/** Recognises data API routes; anything else is left to express. */
export function matchDataRoute(method: string, pathname: string): Route | undefined {
  let rest = pathname;
  let tenant: string | undefined;
  if (rest.startsWith('/tenants/')) {
    const slash = rest.indexOf('/', 9);
    if (slash < 0) return undefined;
    tenant = safeDecode(rest.slice(9, slash));
    rest = rest.slice(slash);
    if (tenant === undefined || tenant === '') return undefined;
  }
  for (const [prefix, kind] of PREFIXES) {
    if (rest === prefix || rest.startsWith(prefix + '/')) return { kind, tenant, rawPath: rest.slice(prefix.length) };
  }
  if (rest === '/' && tenant === undefined && method === 'POST') return { kind: 'default', rawPath: '' };
  return undefined;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** URL path to a data path `a/b/c`: empty segments dropped, segments URL-unescaped. */
export function toDataPath(raw: string): string {
  const parts: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '') continue;
    const decoded = safeDecode(seg);
    if (decoded === undefined) throw Errors.badRequest(`invalid path: cannot unescape '${seg}'`);
    if (decoded.includes('"')) throw Errors.badRequest(`invalid path: invalid ref term '${decoded}'`);
    parts.push(decoded);
  }
  return parts.join('/');
}

function dataRef(path: string): string {
  return path === '' ? 'data' : 'data.' + path.split('/').join('.');
}

// A boolean parameter is true when present without a value or when any value is "true".
function parseParams(query: string): Params {
  const p: Params = { pretty: false, metrics: false, provenance: false, strict: false };
  if (query === '') return p;
  const sp = new URLSearchParams(query);
  const flag = (name: string) => sp.getAll(name).some((v) => v === '' || v.toLowerCase() === 'true');
  p.pretty = flag('pretty');
  p.metrics = flag('metrics');
  p.provenance = flag('provenance');
  p.strict = flag('strict-builtin-errors');
  const inputs = sp.getAll('input');
  if (inputs.length > 0) p.input = inputs[inputs.length - 1];
  return p;
}

/** Distinct URL paths whose data path is kept; clients ask for few, so the limit is rarely reached. */
const PATH_CACHE_LIMIT = 1000;
/** Longer paths are converted each time, so clients cannot fill the cache with large keys. */
const CACHED_PATH_LENGTH = 256;

export class DataApi {
  // URL path -> data path, so unescaping and checking a path happens once, not once per decision.
  private readonly dataPaths = new Map<string, string>();

  constructor(private readonly o: DataApiOptions) {}

  /** Starts handling the request and returns true if it is a data API route; false otherwise. */
  tryHandle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const route = matchDataRoute(req.method ?? 'GET', pathname);
    if (!route) return false;
    this.handle(route, q < 0 ? '' : url.slice(q + 1), req, res).catch((e) => sendError(res, e, this.o.logger));
    return true;
  }

  private async handle(route: Route, query: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    if (!ALLOWED[route.kind].includes(method)) throw Errors.methodNotAllowed(method, req.url?.split('?')[0] ?? '');
    const principal = this.o.auth.authenticate(req.headers.authorization);
    const tenant = route.tenant ?? principal.tenant;
    if (tenant === ALL_TENANTS) {
      throw Errors.badRequest('this token is valid for every tenant: address one with /tenants/{tenant}/...');
    }
    authorize(principal, 'decide', tenant);
    const set = this.o.engine.policySet(tenant) ?? (await this.o.engine.policySetOrLoad(tenant));
    if (!set) throw Errors.notFound(`tenant ${tenant} not found`);
    const path = route.kind === 'default' ? this.o.defaultDecision : this.dataPath(route.rawPath);
    const params = parseParams(query);
    const ctx: Ctx = { req, res, set, path, params, principal, started };
    switch (route.kind) {
      case 'v1':
        return method === 'GET' ? this.v1(ctx, this.inputFromParam(params)) : this.v1(ctx, await this.v1Body(req));
      case 'v0':
      case 'default':
        return this.v0(ctx);
      case 'batch':
        return this.batch(ctx);
    }
  }

  private dataPath(rawPath: string): string {
    if (rawPath.length > CACHED_PATH_LENGTH) return toDataPath(rawPath);
    let path = this.dataPaths.get(rawPath);
    if (path === undefined) {
      path = toDataPath(rawPath);
      if (this.dataPaths.size >= PATH_CACHE_LIMIT) this.dataPaths.clear();
      this.dataPaths.set(rawPath, path);
    }
    return path;
  }

  private inputFromParam(params: Params): ParsedInput {
    const t = process.hrtime.bigint();
    if (params.input === undefined) return { parseNs: 0, missing: false };
    const { doc, jsonText } = readDocument(Buffer.from(params.input), 'application/json', Errors.malformedInputParam);
    if (doc === undefined) throw Errors.malformedInputParam('unexpected end of JSON input');
    const input = toValue(doc, Errors.malformedInputParam);
    return { input, json: doc, rawInput: rawInputOf(jsonText), parseNs: Number(process.hrtime.bigint() - t), missing: false };
  }

  private async v1Body(req: IncomingMessage): Promise<ParsedInput> {
    const body = await readBody(req, this.o.maxRequestBytes);
    const t = process.hrtime.bigint();
    const { doc, jsonText } = readDocument(body, req.headers['content-type']);
    if (doc !== undefined && (typeof doc !== 'object' || doc === null || Array.isArray(doc))) {
      throw Errors.malformedBody('the body must be an object of the form {"input": ...}');
    }
    const raw = doc === undefined ? undefined : (doc as Record<string, unknown>).input;
    if (raw === undefined || raw === null) return { parseNs: Number(process.hrtime.bigint() - t), missing: true };
    const input = toValue(raw);
    return { input, json: raw, rawInput: rawInputOf(jsonText, 'input'), parseNs: Number(process.hrtime.bigint() - t), missing: false };
  }

  private async v1(ctx: Ctx, parsed: ParsedInput): Promise<void> {
    const outcome = await this.decide(ctx, parsed.input, parsed.json, parsed.rawInput);
    if (outcome.error !== undefined) return this.fail(ctx, outcome);
    const body: Record<string, unknown> = {};
    if (ctx.params.provenance) body.provenance = this.provenance(ctx.set);
    if (ctx.params.metrics) body.metrics = this.metrics(ctx, parsed.parseNs, outcome.evalNs);
    if (outcome.resultJSON !== undefined) body.result = outcome.resultJSON;
    if (parsed.missing) body.warning = { code: 'api_usage_warning', message: "'input' key missing from the request" };
    body.decision_id = outcome.decisionId;
    sendJSON(ctx.res, 200, body, ctx.params.pretty, { 'X-Decision-Id': outcome.decisionId }, true);
  }

  private async v0(ctx: Ctx): Promise<void> {
    const body = await readBody(ctx.req, this.o.maxRequestBytes);
    const { doc, jsonText } = readDocument(body, ctx.req.headers['content-type']);
    const input = doc === undefined ? undefined : toValue(doc);
    const outcome = await this.decide(ctx, input, doc, rawInputOf(jsonText));
    if (outcome.error !== undefined) return this.fail(ctx, outcome);
    const headers = { 'X-Decision-Id': outcome.decisionId };
    if (outcome.result === undefined) {
      const word = ctx.set.hasRulesFor(ctx.path) ? 'document undefined' : 'document missing';
      const err = Errors.undefinedDocument(`${word}: ${dataRef(ctx.path)}`);
      return sendJSON(ctx.res, err.status, err.body(), ctx.params.pretty, headers);
    }
    sendJSON(ctx.res, 200, outcome.resultJSON, ctx.params.pretty, headers, true);
  }

  private async batch(ctx: Ctx): Promise<void> {
    const batchId = randomUUID();
    const body = await readBody(ctx.req, this.o.maxRequestBytes);
    const doc = parseDocument(body, ctx.req.headers['content-type']);
    if (doc !== undefined && (typeof doc !== 'object' || doc === null || Array.isArray(doc))) {
      throw Errors.malformedBody('the body must be an object of the form {"inputs": {...}, "common_input": ...}');
    }
    const request = (doc ?? {}) as { inputs?: unknown; common_input?: unknown };
    const out: Record<string, unknown> = { batch_decision_id: batchId };
    if (request.inputs === undefined || request.inputs === null) {
      out.responses = {};
      out.warning = { code: 'api_usage_warning', message: "'inputs' key missing from the request" };
      return sendJSON(ctx.res, 200, out, ctx.params.pretty);
    }
    if (typeof request.inputs !== 'object' || Array.isArray(request.inputs)) {
      throw Errors.malformedBody("'inputs' must be an object of named inputs");
    }
    const entries = Object.entries(request.inputs as Record<string, unknown>);
    const inputs = entries.map(([, v]) => mergeCommon(request.common_input, v));
    const outcomes = await Promise.all(inputs.map((json) => this.decide(ctx, toValue(json), json)));
    const failed = outcomes.filter((o) => o.error !== undefined).length;
    const mixed = failed > 0 && failed < outcomes.length;
    const responses: Record<string, unknown> = {};
    entries.forEach(([id], i) => {
      const o = outcomes[i];
      const item: Record<string, unknown> = { decision_id: o.decisionId };
      if (o.error !== undefined) {
        const { error } = toHttpError(o.error);
        item.code = 'internal_error';
        item.message = error.message;
        if (error.errors) item.errors = error.errors;
        if (mixed) item.http_status_code = '500';
      } else {
        if (o.resultJSON !== undefined) item.result = o.resultJSON;
        if (mixed) item.http_status_code = '200';
      }
      setMember(responses, id, item);
    });
    out.responses = responses;
    if (ctx.params.metrics) out.metrics = { timer_server_handler_ns: Number(process.hrtime.bigint() - ctx.started) };
    const status = failed === 0 ? 200 : mixed ? 207 : 500;
    sendJSON(ctx.res, status, out, ctx.params.pretty, { 'X-Batch-Decision-Id': batchId });
  }

  private decide(ctx: Ctx, input: Value | undefined, inputJSON: unknown, rawInput?: RawInput): Promise<DecisionOutcome> {
    const sock = ctx.req.socket;
    return this.o.decisions.decide({
      set: ctx.set,
      path: ctx.path,
      input,
      inputJSON,
      rawInput,
      principal: ctx.principal.sub,
      remoteAddr: `${sock.remoteAddress ?? ''}:${sock.remotePort ?? ''}`,
      strictBuiltinErrors: ctx.params.strict,
    });
  }

  private fail(ctx: Ctx, outcome: DecisionOutcome): void {
    const { error } = toHttpError(outcome.error);
    sendJSON(ctx.res, error.status, error.body(), ctx.params.pretty, { 'X-Decision-Id': outcome.decisionId });
  }

  private provenance(set: PolicySet): Record<string, unknown> {
    const bundles: Record<string, { revision: string }> = {};
    for (const b of set.bundles) bundles[b.name] = { revision: b.revision };
    return { version: this.o.version, build_commit: '', build_timestamp: '', build_hostname: '', bundles };
  }

  private metrics(ctx: Ctx, parseNs: number, evalNs: number): Record<string, number> {
    return {
      timer_rego_input_parse_ns: parseNs,
      timer_rego_query_eval_ns: evalNs,
      timer_server_handler_ns: Number(process.hrtime.bigint() - ctx.started),
    };
  }
}

/** The body's JSON text as the audit log's copy of the input (the text itself, or its member `input`). */
function rawInputOf(jsonText: string | undefined, member?: 'input'): RawInput | undefined {
  if (jsonText === undefined) return undefined;
  return member ? { text: jsonText, member } : { text: jsonText };
}

interface ParsedInput {
  input?: Value;
  json?: unknown;
  /** The text `json` was parsed from, recorded in its place (see RawInput). */
  rawInput?: RawInput;
  parseNs: number;
  missing: boolean;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  set: PolicySet;
  path: string;
  params: Params;
  principal: Principal;
  started: bigint;
}

/** Deep-merges the common input under an item's input; the item's values win. */
export function mergeCommon(common: unknown, item: unknown): unknown {
  if (common === undefined) return item;
  if (!isObject(common) || !isObject(item)) return item;
  const out: Record<string, unknown> = { ...common };
  for (const [k, v] of Object.entries(item)) setMember(out, k, Object.hasOwn(common, k) ? mergeCommon(common[k], v) : v);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
