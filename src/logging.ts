// Structured JSON logs (pino), one line per event, and request logging with request ids.
//
// What must never reach a log: bearer tokens, secrets, decision inputs and results. The request
// line names the path without its query string (`?input=` carries an input), headers are never
// logged, and the redaction below catches those fields wherever a caller passes them.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';

const REDACTED_KEYS = ['authorization', 'token', 'secret', 'password', 'input', 'result', 'archive'];

export const REDACT_PATHS = [
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((k) => `*.${k}`),
  'req.headers.authorization',
  'headers.authorization',
  'headers.cookie',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Header carrying the request id both ways; a client's own id is kept when it looks like one. */
export const REQUEST_ID_HEADER = 'x-request-id';
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const LOGGED = Symbol('arbiter.requestLogged');

/** Decision requests are logged at debug (thousands per second); everything else at info. */
const DECISION_PATH = /^(?:\/tenants\/[^/]+)?\/(?:v1\/data|v0\/data|v1\/batch\/data)(?:\/|$)|^\/$/;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Gives the request an id (X-Request-Id on the response) and logs one line when the response is
 * finished or the connection closes first. Safe to apply twice: the second time does nothing.
 */
export function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse): void {
  const marked = req as IncomingMessage & { [LOGGED]?: string };
  if (marked[LOGGED]) return;
  const id = requestIdOf(req);
  marked[LOGGED] = id;
  res.setHeader('X-Request-Id', id);
  const started = process.hrtime.bigint();
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const quiet = DECISION_PATH.test(path);
  if (quiet && !logger.isLevelEnabled('debug')) return;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    const status = res.writableFinished ? res.statusCode : 0;
    const line = {
      req_id: id,
      method: req.method,
      path,
      status,
      duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      remote_addr: req.socket.remoteAddress,
      decision_id: res.getHeader('X-Decision-Id'),
    };
    const msg = status === 0 ? 'request aborted' : 'request';
    if (status >= 500) logger.warn(line, msg);
    else if (quiet) logger.debug(line, msg);
    else logger.info(line, msg);
  };
  res.once('finish', finish);
  res.once('close', finish);
}

/** A node:http listener that logs every request before handing it on. */
export function withRequestLog(logger: Logger, listener: RequestListener): RequestListener {
  return (req, res) => {
    logRequest(logger, req, res);
    listener(req, res);
  };
}
