// openapi.yaml against the routes actually served: every route of src/http/routes.ts (and the data
// API's shapes, with and without a path and a tenant prefix) answers exactly the methods the spec
// documents for it, and every documented operation is served. Unauthenticated requests are enough:
// a served route answers 200/400/401, an unserved method 405, an unknown path 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataRoutes, Routes } from '../../src/http/routes';
import { startService, type TestService } from './helpers';
import { operations } from './spec';

const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

const toSpec = (route: string) => route.replace(/:(\w+)/g, '{$1}').replace(/\*(\w+)/g, '{$1}');
const concrete = (template: string) => template.replace(/\{[^}]+\}/g, (m) => (m === '{tenant}' ? 'acme' : 'x'));

function servedTemplates(): string[] {
  const templates = Object.values(Routes).map(toSpec);
  for (const [key, route] of Object.entries(DataRoutes)) {
    if (key === 'tenantPrefix') continue;
    const optional = /^(.*)\{\/path\.\.\.\}$/.exec(route);
    const shapes = optional ? [optional[1], `${optional[1]}/{path}`] : [route];
    templates.push(...shapes);
    if (optional) templates.push(...shapes.map((s) => `/tenants/{tenant}${s}`));
  }
  return templates;
}

let svc: TestService;
before(async () => {
  svc = await startService();
});
after(() => svc.close());

test('every served route answers exactly the methods openapi.yaml documents, and nothing more', async () => {
  const documented = new Set(operations().map(([m, p]) => `${m} ${p}`));
  const templates = new Set([...servedTemplates(), ...operations().map(([, p]) => p)]);
  const served = new Set<string>();
  for (const template of templates) {
    for (const method of METHODS) {
      const res = await svc.http()[method](concrete(template));
      if (res.status !== 404 && res.status !== 405) served.add(`${method} ${template}`);
    }
  }
  assert.deepEqual([...served].filter((op) => !documented.has(op)).sort(), [], 'served but not in openapi.yaml');
  assert.deepEqual([...documented].filter((op) => !served.has(op)).sort(), [], 'in openapi.yaml but not served');
});
