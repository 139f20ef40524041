// `arbiter test` offline on a folder of 1,000 manifests (issue 5's target: under 3 s), timed as CI
// sees it: a fresh process of the installed command (bin/arbiter.js, through tsx unless `npm run
// build` left a dist/), from start to exit, policy bundles/kubernetes, --all-namespaces.
// The manifests are Deployments (a third privileged, so failures are found and printed), Services
// and ConfigMaps, every tenth file a multi-document YAML of three.
//
//   npx tsx bench/cli.ts [--files 1000] [--runs 3] [--output json]
//
// Prints each run's wall time, then one JSON line with the best and the median.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const files = Number(arg('files', '1000'));
const runs = Number(arg('runs', '3'));
const output = arg('output', 'json');
const repo = join(__dirname, '..');

function deployment(i: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: team-${i % 7}
  labels:
    app.kubernetes.io/name: app-${i}
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: app-${i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-${i}
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: app
          image: registry.example.com/app-${i}:1.${i}.0
          ports:
            - containerPort: 8080
          resources:
            limits: { cpu: "500m", memory: 256Mi }
          securityContext:
            privileged: ${i % 3 === 0}
            readOnlyRootFilesystem: true
`;
}

const service = (i: number) => `apiVersion: v1
kind: Service
metadata:
  name: app-${i}
spec:
  selector:
    app.kubernetes.io/name: app-${i}
  ports:
    - port: 80
      targetPort: 8080
`;

const configMap = (i: number) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-${i}
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "a,b,c"
`;

const dir = mkdtempSync(join(tmpdir(), 'arbiter-bench-cli-'));
let documents = 0;
for (let i = 0; i < files; i++) {
  const kind = i % 10 === 9 ? 'multi' : ['deployment', 'service', 'configmap'][i % 3];
  const text =
    kind === 'multi' ? [deployment(i), service(i), configMap(i)].join('---\n') : kind === 'deployment' ? deployment(i) : kind === 'service' ? service(i) : configMap(i);
  documents += kind === 'multi' ? 3 : 1;
  writeFileSync(join(dir, `m${String(i).padStart(4, '0')}.yaml`), text);
}

const times: number[] = [];
try {
  for (let r = 0; r < runs; r++) {
    const started = process.hrtime.bigint();
    const run = spawnSync(process.execPath, [join(repo, 'bin', 'arbiter.js'), 'test', dir, '--policy', join(repo, 'bundles', 'kubernetes'), '--all-namespaces', '-o', output], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (run.status !== 1) throw new Error(`expected exit 1 (failures found), got ${run.status}: ${run.stderr}`);
    times.push(ms);
    console.log(`run ${r + 1}: ${ms.toFixed(0)} ms (${files} files, ${documents} documents, ${run.stdout.length} bytes of ${output})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const sorted = [...times].sort((a, b) => a - b);
console.log(JSON.stringify({ files, documents, output, best_ms: Math.round(sorted[0]), median_ms: Math.round(sorted[Math.floor(sorted.length / 2)]) }));
