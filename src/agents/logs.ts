// OPA decision-log events (protocols.md §3) as audit records. A chunk is checked whole before
// anything is recorded: one bad event rejects the chunk with its index and reason, so an agent
// never gets half a chunk stored and then retries the rest.

import { setMember } from '../json-member';
import { stringLabels } from './fleet';
import { timestampMicros } from '../store/decisions';
import type { DecisionRecord } from '../store/types';

export class LogChunkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogChunkError';
  }
}

export interface LogContext {
  tenant: string;
  /** The agent token's subject. */
  principal: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
}

/** One event to one record; throws LogChunkError naming what is wrong. */
export function eventToRecord(event: unknown, ctx: LogContext): DecisionRecord {
  if (!isObject(event)) throw new LogChunkError('must be a JSON object');
  const { labels, decision_id: id, timestamp, path, query } = event;
  if (!isObject(labels) || typeof labels.id !== 'string' || labels.id === '') throw new LogChunkError('labels.id must be a non-empty string (the agent id)');
  if (typeof id !== 'string' || id === '') throw new LogChunkError('decision_id must be a non-empty string');
  if (id.length > 256) throw new LogChunkError('decision_id is longer than 256 characters');
  if (typeof timestamp !== 'string') throw new LogChunkError('timestamp must be an RFC 3339 string');
  try {
    timestampMicros(timestamp);
  } catch {
    throw new LogChunkError(`timestamp ${JSON.stringify(timestamp)} is not RFC 3339`);
  }
  if (path !== undefined && typeof path !== 'string') throw new LogChunkError('path must be a string');
  if (query !== undefined && typeof query !== 'string') throw new LogChunkError('query must be a string');
  if (event.bundles !== undefined && !isObject(event.bundles)) throw new LogChunkError('bundles must be an object');

  const bundles: DecisionRecord['bundles'] = {};
  for (const [name, b] of Object.entries((event.bundles ?? {}) as Record<string, unknown>)) {
    setMember(bundles, name, isObject(b) && typeof b.revision === 'string' ? { revision: b.revision } : {});
  }
  const metrics = isObject(event.metrics) ? event.metrics : {};
  const handlerNs = metrics.timer_server_handler_ns;
  const record: DecisionRecord = {
    decision_id: id,
    tenant: ctx.tenant,
    source: 'agent',
    // Ad-hoc queries (/v1/query) have no path; the query text names what was asked.
    path: typeof path === 'string' ? path.replace(/^\/+/, '') : typeof query === 'string' ? query : '',
    bundles,
    principal: ctx.principal,
    remote_addr: typeof event.requested_by === 'string' ? event.requested_by : '',
    timestamp,
    duration_ns: typeof handlerNs === 'number' && Number.isFinite(handlerNs) ? handlerNs : typeof handlerNs === 'bigint' ? Number(handlerNs) : 0,
    labels: stringLabels(labels),
  };
  if ('input' in event && event.input !== undefined) record.input = event.input;
  if ('result' in event && event.result !== undefined) record.result = event.result;
  if (event.error !== undefined && event.error !== null) record.error = event.error;
  const erased = stringList(event.erased);
  const masked = stringList(event.masked);
  if (erased) record.erased = erased;
  if (masked) record.masked = masked;
  return record;
}

/** A parsed chunk (a JSON array of events) to records, all or none. */
export function chunkToRecords(chunk: unknown, ctx: LogContext): DecisionRecord[] {
  if (!Array.isArray(chunk)) throw new LogChunkError('the body must be a JSON array of decision events');
  return chunk.map((event, i) => {
    try {
      return eventToRecord(event, ctx);
    } catch (e) {
      if (e instanceof LogChunkError) throw new LogChunkError(`event ${i}: ${e.message}; nothing of this chunk was recorded`);
      throw e;
    }
  });
}
