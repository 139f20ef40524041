// There is no container engine here: the compose file and Dockerfile are checked by reading them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { SETTINGS } from '../../src/config';

const ROOT = join(__dirname, '..', '..');
const names = new Set(SETTINGS.map((s) => s.name));

describe('packaging', () => {
  it('docker-compose.yml names only real settings, a published port that matches, and declared volumes', () => {
    const compose = YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
    const arbiter = compose.services.arbiter;
    for (const key of Object.keys(arbiter.environment)) assert.ok(names.has(key), `${key} is not a setting of src/config.ts`);
    assert.deepEqual(arbiter.ports, [`${arbiter.environment.ARBITER_PORT}:${arbiter.environment.ARBITER_PORT}`]);
    const dataMount = (arbiter.volumes as string[]).find((v) => v.endsWith(`:${arbiter.environment.ARBITER_DATA_DIR}`));
    assert.ok(dataMount, 'the data directory is on a volume');
    for (const svc of Object.values(compose.services) as { volumes?: string[] }[]) {
      for (const v of svc.volumes ?? []) assert.ok(v.split(':')[0] in compose.volumes, `volume ${v} is declared`);
    }
  });

  it('the Dockerfile runs the built service as a non-root user with what it needs at run time', () => {
    const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(docker, /^USER node$/m);
    assert.match(docker, /^CMD \["node", "dist\/src\/main\.js"\]$/m);
    for (const dir of ['migrations', 'bundles', 'bin']) {
      assert.match(docker, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'));
      assert.ok(existsSync(join(ROOT, dir)));
    }
    for (const [, name] of docker.matchAll(/(ARBITER_[A-Z_]+)=/g)) assert.ok(names.has(name), `${name} is not a setting`);
  });
});
