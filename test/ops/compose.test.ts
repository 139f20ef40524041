// docker-compose.yml, its Prometheus configuration and alert rules, checked by reading them (no
// container engine runs here): every service, port, volume, config file and environment variable
// they name exists and agrees with src/config.ts, the README's configuration table, the Dockerfile
// and the metrics the service exports. With Debian's docker-compose installed, `docker-compose
// config` validates the file against the Compose schema too.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { SETTINGS } from '../../src/config';
import { Routes } from '../../src/http/routes';
import { Metrics } from '../../src/metrics';

const ROOT = join(__dirname, '..', '..');

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  configs?: { source: string; target: string }[];
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  entrypoint?: string[];
}

const compose = YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  configs: Record<string, { file: string }>;
};
const services = compose.services;
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** The value compose would use when the variable is not set in the shell: `${X:-default}` -> default. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

function configFile(source: string): string {
  const entry = compose.configs[source];
  assert.ok(entry, `config ${source} is declared`);
  return join(ROOT, entry.file);
}

/** The named volume mounted at `dir` (or a parent of it) in a service. */
function volumeAt(svc: Service, dir: string): string | undefined {
  for (const v of svc.volumes ?? []) {
    const [name, target] = v.split(':');
    if (dir === target || dir.startsWith(target + '/')) return name;
  }
  return undefined;
}

describe('docker-compose.yml', () => {
  it('runs Arbiter on PostgreSQL, an OPA agent and Prometheus', () => {
    for (const name of ['postgres', 'arbiter', 'opa-agent', 'prometheus']) assert.ok(services[name], `service ${name}`);
    assert.equal(services.arbiter.build, '.');
    assert.ok(!('profiles' in services.postgres), 'PostgreSQL is part of the default stack');
  });

  it('names only settings of src/config.ts that the README documents', () => {
    const names = new Set(SETTINGS.map((s) => s.name));
    for (const [svcName, svc] of Object.entries(services)) {
      for (const key of Object.keys(svc.environment ?? {})) {
        if (!key.startsWith('ARBITER_')) continue;
        assert.ok(names.has(key), `${svcName}: ${key} is not a setting`);
        assert.ok(readme.includes(`| \`${key}\` |`), `${svcName}: ${key} is missing from the README's configuration table`);
      }
    }
  });

  it('points Arbiter at the PostgreSQL service with its credentials', () => {
    const url = new URL(withDefaults(services.arbiter.environment!.ARBITER_DATABASE_URL));
    const pg = services.postgres.environment!;
    assert.equal(url.protocol, 'postgres:');
    assert.equal(url.hostname, 'postgres');
    assert.equal(url.port || '5432', '5432');
    assert.equal(url.username, pg.POSTGRES_USER);
    assert.equal(url.password, pg.POSTGRES_PASSWORD);
    assert.equal(url.pathname, `/${pg.POSTGRES_DB}`);
    assert.equal(services.arbiter.depends_on?.postgres?.condition, 'service_healthy');
  });

  it('publishes the port Arbiter listens on, which the Dockerfile exposes and the agent and Prometheus use', () => {
    const port = services.arbiter.environment!.ARBITER_PORT;
    assert.deepEqual(services.arbiter.ports, [`${port}:${port}`]);
    assert.match(dockerfile, new RegExp(`^EXPOSE ${port}$`, 'm'));
    assert.match(dockerfile, new RegExp(`ARBITER_PORT=${port}\\b`));
    const agentCommand = services['opa-agent-config'].command!;
    assert.equal(agentCommand[agentCommand.indexOf('--arbiter') + 1], `http://arbiter:${port}`);
  });

  it('declares every named volume it mounts, uses every one it declares, and has every config file', () => {
    const used = new Set<string>();
    for (const [name, svc] of Object.entries(services)) {
      for (const v of svc.volumes ?? []) {
        const source = v.split(':')[0];
        assert.ok(source in compose.volumes, `${name}: volume ${source} is declared`);
        used.add(source);
      }
      for (const c of svc.configs ?? []) assert.ok(existsSync(configFile(c.source)), `${name}: ${compose.configs[c.source].file} exists`);
      for (const dep of Object.keys(svc.depends_on ?? {})) assert.ok(services[dep], `${name} depends on a service ${dep}`);
    }
    assert.deepEqual(Object.keys(compose.volumes).filter((v) => !used.has(v)), []);
    assert.equal(volumeAt(services.arbiter, services.arbiter.environment!.ARBITER_DATA_DIR), 'arbiter-data');
  });

  it('scrapes /metrics of the arbiter service with a metrics token that the token service writes', () => {
    const prometheus = services.prometheus;
    const target = (t: string) => prometheus.configs!.find((c) => c.target === t)?.source;
    const configSource = target('/etc/prometheus/prometheus.yml');
    assert.ok(configSource);
    const config = YAML.parse(readFileSync(configFile(configSource), 'utf8'));
    for (const rules of config.rule_files as string[]) assert.ok(target(rules), `rule file ${rules} is mounted`);
    const job = (config.scrape_configs as { job_name: string; metrics_path: string; static_configs: { targets: string[] }[]; authorization: { type: string; credentials_file: string } }[]).find(
      (j) => j.job_name === 'arbiter',
    )!;
    assert.equal(job.metrics_path, Routes.metrics);
    assert.deepEqual(job.static_configs[0].targets, [`arbiter:${services.arbiter.environment!.ARBITER_PORT}`]);
    assert.equal(job.authorization.type, 'Bearer');

    // The token file is on a volume the token service writes at the same place in its own mounts.
    const tokenFile = job.authorization.credentials_file;
    const volume = volumeAt(prometheus, tokenFile);
    assert.ok(volume, `${tokenFile} is on a volume`);
    const minter = services['metrics-token'];
    const mount = minter.volumes!.find((v) => v.split(':')[0] === volume)!.split(':')[1];
    const prometheusMount = prometheus.volumes!.find((v) => v.split(':')[0] === volume)!.split(':')[1];
    const written = join(mount, tokenFile.slice(prometheusMount.length));
    const script = minter.command!.join(' ');
    assert.ok(script.includes(`> ${written}`), `the token service writes ${written}: ${script}`);
    assert.match(script, /token --tenant '\*' --scope metrics\b/);
    assert.equal(prometheus.depends_on?.['metrics-token']?.condition, 'service_completed_successfully');
    // The token service signs with the secret the server verifies with.
    assert.equal(minter.environment!.ARBITER_JWT_SECRET, services.arbiter.environment!.ARBITER_JWT_SECRET);
    assert.equal(volumeAt(minter, `${minter.environment!.ARBITER_DATA_DIR}/jwt.secret`), 'arbiter-data');
  });

  it('alerts only on metrics the service exports, with their labels', () => {
    const exported = new Map<string, Set<string>>();
    for (const m of new Metrics({ defaultMetrics: false }).registry.getMetricsAsArray()) {
      const labels = new Set<string>((m as unknown as { labelNames: string[] }).labelNames);
      exported.set(m.name, labels);
      if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.set(m.name + suffix, new Set([...labels, 'le']));
    }
    const alerts = YAML.parse(readFileSync(join(ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8'));
    const rules = alerts.groups.flatMap((g: { rules: unknown[] }) => g.rules) as { alert: string; expr: string }[];
    assert.ok(rules.length >= 5);
    for (const rule of rules) {
      for (const [, name, selector] of rule.expr.matchAll(/\b(arbiter_[a-z_]+)(\{[^}]*\})?/g)) {
        assert.ok(exported.has(name), `${rule.alert}: ${name} is not exported`);
        for (const [, label] of (selector ?? '').matchAll(/([a-z_]+)=/g)) assert.ok(exported.get(name)!.has(label), `${rule.alert}: ${name} has no label ${label}`);
      }
      for (const [, list] of rule.expr.matchAll(/by \(([^)]*)\)/g)) {
        for (const label of list.split(',').map((s) => s.trim())) {
          const names = [...rule.expr.matchAll(/\b(arbiter_[a-z_]+)/g)].map((m) => m[1]);
          assert.ok(names.every((n) => exported.get(n)!.has(label)), `${rule.alert}: grouped by ${label}, which its metrics lack`);
        }
      }
    }
    const names = rules.map((r) => r.alert);
    for (const wanted of ['ArbiterPolicyViolations', 'ArbiterAgentsFailingToActivate', 'ArbiterAuditLag']) assert.ok(names.includes(wanted), wanted);
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  it('is valid for docker-compose config', { skip: dockerCompose.status === 0 ? false : 'docker-compose is not installed (apt-get install -y docker-compose)' }, () => {
    const res = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ARBITER_JWT_SECRET: '' } });
    assert.equal(res.status, 0, res.stderr);
  });
});
