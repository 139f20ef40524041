// Checks real responses against openapi.yaml: the documented status must exist for the operation,
// and a JSON body must validate against the documented schema (ajv, JSON Schema 2020-12 as
// OpenAPI 3.1 uses it).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

interface SpecResponse {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}

const doc = YAML.parse(readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, SpecResponse> }>>;
  components: { responses: Record<string, SpecResponse> };
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('binary', true);
ajv.addSchema(doc as object, 'spec');
const compiled = new Map<string, ValidateFunction>();

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export const operations = (): [string, string][] =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((k) => k !== 'parameters').map((m): [string, string] => [m, path]));

export interface ResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Asserts that `res` is a documented response of `method template` and matches its schema. */
export function assertMatchesSpec(method: string, template: string, res: ResponseLike): void {
  const op = doc.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `openapi.yaml has no operation ${method} ${template}`);
  let base = `spec#/${pointer('paths', template, method.toLowerCase(), 'responses', String(res.status))}`;
  let response = op.responses[String(res.status)];
  assert.ok(response, `openapi.yaml does not document status ${res.status} for ${method} ${template}`);
  if (response.$ref) {
    const name = response.$ref.split('/').pop()!;
    response = doc.components.responses[name];
    base = `spec#/${pointer('components', 'responses', name)}`;
  }
  if (res.status === 204 || res.status === 304) return;
  const type = String(res.headers['content-type'] ?? '').split(';')[0].trim();
  if (type !== 'application/json') return;
  assert.ok(response.content?.['application/json'], `${method} ${template} ${res.status}: JSON body not documented`);
  const ref = `${base}/${pointer('content', 'application/json', 'schema')}`;
  let validate = compiled.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    compiled.set(ref, validate);
  }
  assert.ok(validate(res.body), `${method} ${template} ${res.status} does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`);
}
