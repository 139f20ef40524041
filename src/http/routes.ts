// Every route path of the API, in one place (express 5 syntax). The data API paths are matched by
// hand in data-api.ts (its lean path runs before express); their shapes are listed here too.

export const Routes = {
  health: '/health',
  healthReady: '/health/ready',
  metrics: '/metrics',

  tenants: '/tenants',
  tenant: '/tenants/:tenant',

  bundles: '/tenants/:tenant/bundles',
  bundle: '/tenants/:tenant/bundles/:name',
  bundleVersions: '/tenants/:tenant/bundles/:name/versions',
  bundleVersion: '/tenants/:tenant/bundles/:name/versions/:version',
  bundleActivate: '/tenants/:tenant/bundles/:name/activate',
  bundleCrossCheck: '/tenants/:tenant/bundles/:name/versions/:version/crosscheck',

  decisions: '/tenants/:tenant/decisions',
  decisionsVerify: '/tenants/:tenant/decisions/verify',
  decision: '/tenants/:tenant/decisions/:id',

  keys: '/keys',
  tenantKeys: '/tenants/:tenant/keys',
  agentLogs: '/tenants/:tenant/logs',
  agentStatus: '/tenants/:tenant/status',
  agents: '/tenants/:tenant/agents',
  agent: '/tenants/:tenant/agents/:id',
  discovery: '/tenants/:tenant/discovery',

  // GitOps surfaces: Conftest checks (arbiter test --server), Flagger webhooks, Kubernetes admission.
  conftest: '/tenants/:tenant/conftest',
  flagger: '/tenants/:tenant/flagger/*path',
  admission: '/tenants/:tenant/admission/*path',
  admissionReview: '/tenants/:tenant/admission-review/*path',
} as const;

/** The data API (OPA REST API), with or without a `/tenants/{t}` prefix. */
export const DataRoutes = {
  v1Data: '/v1/data{/path...}',
  v0Data: '/v0/data{/path...}',
  batch: '/v1/batch/data{/path...}',
  defaultDecision: '/',
  tenantPrefix: '/tenants/{t}',
} as const;
