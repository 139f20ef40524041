// The one error table of the HTTP layer. Every error a route can answer is declared here with its
// status and OPA-style code; handlers throw these, and `toErrorResponse` turns anything thrown into
// a status plus an OPA-style body `{"code","message","errors"?}`. A 5xx only ever comes from an
// evaluation error (as OPA answers it) or from a bug / outage.

import { BundleRejectedError } from '../engine/registry';
import { InvalidArgumentError, NotFoundError } from '../store/types';

export interface ErrorItem {
  code: string;
  message: string;
  location?: { file: string; row: number; col: number };
  [key: string]: unknown;
}

export interface ErrorBody {
  code: string;
  message: string;
  errors?: ErrorItem[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: ErrorItem[],
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return this.errors ? { code: this.code, message: this.message, errors: this.errors } : { code: this.code, message: this.message };
  }
}

export const Errors = {
  badRequest: (message: string, errors?: ErrorItem[]) => new HttpError(400, 'invalid_parameter', message, errors),
  malformedBody: (detail: string) => new HttpError(400, 'invalid_parameter', `body contains malformed input document: ${detail}`),
  malformedInputParam: (detail: string) => new HttpError(400, 'invalid_parameter', `parameter contains malformed input document: ${detail}`),
  decompress: (detail: string) => new HttpError(400, 'invalid_parameter', `could not decompress the body: ${detail}`),
  bodyTooLarge: () => new HttpError(400, 'invalid_parameter', 'request body too large'),
  compressedBodyTooLarge: () => new HttpError(400, 'invalid_parameter', 'compressed request body too large'),
  bundleTooLarge: (limit: number) => new HttpError(413, 'invalid_parameter', `bundle larger than the limit of ${limit} bytes`),
  bundleRejected: (errors: ErrorItem[]) => new HttpError(400, 'invalid_parameter', 'bundle rejected', errors),
  unauthenticated: (message: string) => new HttpError(401, 'unauthorized', message),
  forbidden: (message: string) => new HttpError(403, 'unauthorized', message),
  notFound: (message: string) => new HttpError(404, 'resource_not_found', message),
  undefinedDocument: (message: string) => new HttpError(404, 'undefined_document', message),
  conflict: (message: string) => new HttpError(409, 'resource_conflict', message),
  methodNotAllowed: (method: string, path: string) => new HttpError(405, 'invalid_operation', `method ${method} is not allowed on ${path}`),
  routeNotFound: (path: string) => new HttpError(404, 'resource_not_found', `no such endpoint: ${path}`),
  evaluation: (errors: ErrorItem[]) => new HttpError(500, 'internal_error', 'error(s) occurred while evaluating query', errors),
  notReady: (message: string) => new HttpError(503, 'internal_error', message),
  internal: () => new HttpError(500, 'internal_error', 'internal error'),
};

interface RegoLikeError {
  code: string;
  errors: ErrorItem[];
}

function isRegoError(e: unknown): e is RegoLikeError {
  return e instanceof Error && e.name === 'RegoError' && Array.isArray((e as unknown as RegoLikeError).errors);
}

/** Maps anything thrown to an HttpError; `internal` is true for the ones that are our fault. */
export function toHttpError(err: unknown): { error: HttpError; internal: boolean } {
  if (err instanceof HttpError) return { error: err, internal: false };
  if (err instanceof BundleRejectedError) return { error: Errors.bundleRejected(err.problems.map((p) => ({ ...p }))), internal: false };
  if (err instanceof InvalidArgumentError) return { error: Errors.badRequest(err.message), internal: false };
  if (err instanceof NotFoundError) return { error: Errors.notFound(err.message), internal: false };
  if ((err as { code?: string })?.code === 'audit_overloaded') return { error: Errors.notReady('audit log overloaded, retry later'), internal: false };
  if (isRegoError(err)) {
    if (err.code.startsWith('eval_')) return { error: Errors.evaluation(err.errors.map(stripUndefined)), internal: false };
    return { error: Errors.badRequest('error(s) occurred while compiling module(s)', err.errors.map(stripUndefined)), internal: false };
  }
  // body-parser / raw-body errors carry an HTTP status and a `type`.
  const e = err as { status?: number; type?: string; message?: string };
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    if (e.type === 'entity.too.large') return { error: Errors.bodyTooLarge(), internal: false };
    if (e.type === 'entity.parse.failed') return { error: Errors.malformedBody(e.message ?? 'parse error'), internal: false };
    return { error: new HttpError(400, 'invalid_parameter', e.message ?? 'bad request'), internal: false };
  }
  return { error: Errors.internal(), internal: true };
}

function stripUndefined(item: ErrorItem): ErrorItem {
  const out: ErrorItem = { code: item.code, message: item.message };
  if (item.location) out.location = { file: item.location.file, row: item.location.row, col: item.location.col };
  return out;
}
