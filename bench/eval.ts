// Evaluation benchmark of the Rego engine: the seed guide's policy/deployment.rego (package main,
// three deny rules), `data.main.deny` against a 1 KB Deployment manifest, in process, after
// warm-up. Two measurements: with the input already a Rego value, and with the conversion of the
// parsed JSON input (fromJSON) inside the timed region, as a server pays it per request.
//
//   npm run bench:eval [-- --runs N]
//
// The last line printed is one JSON object (median and p99 of the run that includes fromJSON).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModules, fromJSON, toJSON, type Value } from '../src/rego';

const policySource = readFileSync(join(__dirname, '..', 'test', 'fixtures', 'seed', 'deployment.rego'), 'utf8');

const manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'payments-api', namespace: 'payments', labels: { app: 'payments-api', team: 'payments', tier: 'backend' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'payments-api' } },
    template: {
      metadata: { labels: { app: 'payments-api', version: 'v2.4.1' }, annotations: { 'prometheus.io/scrape': 'true' } },
      spec: {
        serviceAccountName: 'payments-api',
        containers: [
          {
            name: 'api',
            image: 'registry.example.com/payments/api:2.4.1',
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            resources: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '250m', memory: '256Mi' } },
            securityContext: { privileged: true, allowPrivilegeEscalation: false },
            env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'DB_HOST', value: 'payments-db.payments.svc' }],
          },
          {
            name: 'sidecar',
            image: 'registry.example.com/mesh/proxy:1.19.0',
            resources: { limits: { cpu: '100m', memory: '128Mi' } },
            securityContext: { readOnlyRootFilesystem: true },
          },
        ],
      },
    },
  },
};

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function measure(runs: number, once: () => unknown): { median: number; p99: number } {
  const times = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    once();
    times[i] = Number(process.hrtime.bigint() - t0);
  }
  times.sort();
  return { median: percentile(times, 50), p99: percentile(times, 99) };
}

/** 50 modules of 12 rules each (partial sets, functions, comprehensions), like a real bundle. */
function bundleModules(): { file: string; source: string }[] {
  const out: { file: string; source: string }[] = [];
  for (let m = 0; m < 50; m++) {
    const rules: string[] = [`package bundle.m${m}`, 'import rego.v1', ''];
    for (let r = 0; r < 4; r++) {
      rules.push(`deny contains msg if {
  some c in input.spec.template.spec.containers
  not startswith(c.image, "registry.example.com/")
  msg := sprintf("module ${m} rule ${r}: %s uses an untrusted registry", [c.name])
}`);
      rules.push(`limits_${r}(c) := l if {
  l := object.get(c, ["resources", "limits"], {})
  count(l) > ${r}
}`);
      rules.push(`names_${r} := {c.name | some c in input.spec.template.spec.containers; limits_${r}(c)}`);
    }
    out.push({ file: `bundle/m${m}.rego`, source: rules.join('\n') });
  }
  return out;
}

function measureCompile(): { median: number; max: number } {
  const modules = bundleModules();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    compileModules(modules);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[3], max: times[6] };
}

function main(): void {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 200_000;
  const policy = compileModules([{ file: 'policy/deployment.rego', source: policySource, regoVersion: 0 }]);
  const inputValue: Value = fromJSON(manifest);
  const size = JSON.stringify(manifest).length;
  const result = policy.evaluate('main/deny', { input: inputValue });
  console.log(`input ${size} bytes; data.main.deny = ${JSON.stringify(toJSON(result!))}`);

  const evalOnly = () => policy.evaluate('main/deny', { input: inputValue });
  const withConversion = () => policy.evaluate('main/deny', { input: fromJSON(manifest) });
  for (let i = 0; i < 50_000; i++) {
    evalOnly();
    withConversion();
  }
  const compile = measureCompile();
  console.log(`compile 50 modules (600 rules): median ${compile.median.toFixed(1)} ms, max ${compile.max.toFixed(1)} ms`);
  const a = measure(runs, evalOnly);
  const b = measure(runs, withConversion);
  console.log(`input pre-converted: median ${a.median} ns, p99 ${a.p99} ns (${runs} runs)`);
  console.log(`fromJSON inside:     median ${b.median} ns, p99 ${b.p99} ns (${runs} runs)`);
  console.log(
    JSON.stringify({
      policy: 'seed main/deny',
      median_ns: b.median,
      p99_ns: b.p99,
      runs,
      input_conversion_included: true,
      preconverted_median_ns: a.median,
      preconverted_p99_ns: a.p99,
      compile_50_modules_ms: Math.round(compile.median * 10) / 10,
    }),
  );
}

main();
