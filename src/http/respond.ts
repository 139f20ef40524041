// Writing responses on a plain node:http response (used by the lean data API path and by express
// handlers alike): JSON followed by a newline, as OPA's encoder writes it.

import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { stringifyJSON } from '../rego/eval/values';
import { toHttpError } from './errors';

export interface ErrorLogger {
  error(obj: object, msg?: string): void;
}

/** OPA compresses data API responses of at least this many bytes for clients that accept gzip. */
const GZIP_MIN_LENGTH = 1024;

export function sendJSON(res: ServerResponse, status: number, body: unknown, pretty = false, headers?: Record<string, string>, gzip = false): void {
  const text = stringifyJSON(body, pretty ? 2 : undefined) + '\n';
  if (gzip && text.length >= GZIP_MIN_LENGTH && /\bgzip\b/.test(String(res.req?.headers['accept-encoding'] ?? ''))) {
    const zipped = gzipSync(text);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': zipped.length, Vary: 'Accept-Encoding', ...headers });
    res.end(zipped);
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers any thrown value with its status and an OPA-style error body. */
export function sendError(res: ServerResponse, err: unknown, logger?: ErrorLogger, headers?: Record<string, string>): void {
  const { error, internal } = toHttpError(err);
  if (internal) logger?.error({ err }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A body we stopped reading cannot be drained on a kept-alive connection.
  if (res.req && !res.req.complete) res.setHeader('Connection', 'close');
  sendJSON(res, error.status, error.body(), false, headers);
}
