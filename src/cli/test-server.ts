// `arbiter test --server`: the documents go to POST /tenants/{t}/conftest in chunks; the server
// checks each against the tenant's active bundles with the same conventions and records every
// check (document x namespace) as a decision. The answers come back in the offline shape.

import type { NamespaceCheck } from '../conftest';
import type { InputDocument } from './test-inputs';

export interface ServerTarget {
  server: string;
  token: string;
  tenant?: string;
}

export type NamespaceSelection = { all: true } | { namespaces: string[] };

export class ServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerError';
  }
}

const CHUNK = 100;
const PARALLEL = 4;

interface CheckItem extends Partial<NamespaceCheck> {
  namespace: string;
  decision_id: string;
  error?: { code: string; message: string; errors?: { message: string }[] };
}

export async function checkOnServer(target: ServerTarget, documents: InputDocument[], selection: NamespaceSelection): Promise<NamespaceCheck[][]> {
  const tenant = target.tenant ?? tenantOfToken(target.token);
  const url = `${target.server.replace(/\/+$/, '')}/tenants/${encodeURIComponent(tenant)}/conftest`;
  const chunks: InputDocument[][] = [];
  for (let i = 0; i < documents.length; i += CHUNK) chunks.push(documents.slice(i, i + CHUNK));
  const answers: CheckItem[][][] = new Array(chunks.length);
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const i = next++;
      answers[i] = await post(url, target.token, chunks[i], selection);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, chunks.length) }, worker));
  return answers.flat().map((items, i) =>
    items.map((item) => {
      if (item.error) {
        const doc = documents[i];
        const details = (item.error.errors ?? []).map((e) => `; ${e.message}`).join('');
        throw new ServerError(`${doc.file}:${doc.line}: namespace ${item.namespace}: ${item.error.message}${details} (decision ${item.decision_id})`);
      }
      return {
        namespace: item.namespace,
        successes: item.successes ?? 0,
        failures: item.failures ?? [],
        warnings: item.warnings ?? [],
        exceptions: item.exceptions ?? [],
      };
    }),
  );
}

async function post(url: string, token: string, docs: InputDocument[], selection: NamespaceSelection): Promise<CheckItem[][]> {
  const body = { ...('all' in selection ? { all_namespaces: true } : { namespaces: selection.namespaces }), documents: docs.map((d) => d.content) };
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new ServerError(`cannot reach ${url}: ${cause ?? (e as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ServerError(`${url} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (res.status !== 200) {
    const err = parsed as { code?: string; message?: string };
    throw new ServerError(`${url} answered ${res.status}: ${err.code ?? ''} ${err.message ?? text}`.trim());
  }
  const results = (parsed as { results?: CheckItem[][] }).results;
  if (!Array.isArray(results) || results.length !== docs.length) throw new ServerError(`${url}: unexpected answer (expected ${docs.length} results)`);
  return results;
}

/** The `tenant` claim of a JWT, read without verifying it (the server verifies). */
export function tenantOfToken(token: string): string {
  const payload = token.split('.')[1];
  let tenant: unknown;
  try {
    tenant = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { tenant?: unknown }).tenant;
  } catch {
    throw new ServerError('ARBITER_TOKEN is not a JWT');
  }
  if (typeof tenant !== 'string' || tenant === '') throw new ServerError('ARBITER_TOKEN has no tenant claim: pass --tenant');
  if (tenant === '*') throw new ServerError('ARBITER_TOKEN is valid for every tenant: pass --tenant');
  return tenant;
}
