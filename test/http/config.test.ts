import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseDuration, SETTINGS } from '../../src/config';

const ROOT = join(__dirname, '..', '..');

describe('configuration', () => {
  it('has defaults that work on a laptop', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8181);
    assert.equal(c.dataDir, join(process.cwd(), 'data'));
    assert.equal(c.defaultDecision, 'system/main');
    assert.equal(c.demo, true);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.auditRetentionSeconds, 90 * 86400);
    assert.equal(c.auditDurability, 'disk');
    assert.ok(c.workers >= 1);
  });

  it('reads every variable', () => {
    const c = loadConfig({
      ARBITER_PORT: '9000',
      ARBITER_DATA_DIR: '/var/lib/arbiter',
      ARBITER_DATABASE_URL: 'postgres://u@db/arbiter',
      ARBITER_JWT_SECRET: 'a-secret-of-enough-length',
      ARBITER_JWT_ISSUER: 'https://idp',
      ARBITER_JWT_AUDIENCE: 'arbiter',
      ARBITER_DEFAULT_DECISION: '/admission/main/',
      ARBITER_WORKERS: '3',
      ARBITER_DEMO: 'false',
      ARBITER_AUDIT_RETENTION: '0',
      ARBITER_BOOTSTRAP_TOKEN_TTL: '12h',
      ARBITER_AUDIT_DURABILITY: 'process',
    });
    assert.equal(c.port, 9000);
    assert.equal(c.dataDir, '/var/lib/arbiter');
    assert.equal(c.databaseUrl, 'postgres://u@db/arbiter');
    assert.deepEqual(c.jwt, { secret: 'a-secret-of-enough-length', publicKey: undefined, issuer: 'https://idp', audience: 'arbiter' });
    assert.equal(c.defaultDecision, 'admission/main');
    assert.equal(c.workers, 3);
    assert.equal(c.demo, false);
    assert.equal(c.auditRetentionSeconds, 0);
    assert.equal(c.bootstrapTokenTtlSeconds, 12 * 3600);
    assert.equal(c.auditDurability, 'process');
  });

  it('fails fast with the variable name on bad values', () => {
    const bad: Record<string, string>[] = [
      { ARBITER_PORT: 'eighty' },
      { ARBITER_PORT: '70000' },
      { ARBITER_WORKERS: '0' },
      { ARBITER_DEMO: 'perhaps' },
      { ARBITER_AUDIT_RETENTION: '3 weeks' },
      { ARBITER_JWT_SECRET: 'short' },
      { ARBITER_JWT_PUBLIC_KEY: 'not a pem' },
      { ARBITER_JWT_PUBLIC_KEY_FILE: '/no/such/key.pem' },
      { ARBITER_DATABASE_URL: 'mysql://x' },
      { ARBITER_AUDIT_DURABILITY: 'fsync' },
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0];
      assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && e.message.startsWith(name), name);
    }
  });

  it('parses durations', () => {
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('30d'), 2592000);
    assert.equal(parseDuration('1w'), undefined);
  });

  it('documents exactly these variables in the README configuration table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const documented = [...section.matchAll(/^\| `(ARBITER_[A-Z_]+)` \| (.*?) \|/gm)].map((m) => m[1]);
    assert.deepEqual(documented, SETTINGS.map((s) => s.name));
    for (const s of SETTINGS) assert.ok(section.includes(s.description), `${s.name}: description differs from src/config.ts`);
    const source = readFileSync(join(ROOT, 'src', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/'(ARBITER_[A-Z_]+)'/g)].map((m) => m[1]));
    assert.deepEqual([...read].sort(), SETTINGS.map((s) => s.name).sort(), 'every variable read is listed in SETTINGS');
    const defaults = [...section.matchAll(/^\| `(ARBITER_[A-Z_]+)` \| (.*?) \|/gm)].map((m) => [m[1], m[2]]);
    const literal = (d: string) => (d.startsWith('(') ? d : `\`${d}\``);
    assert.deepEqual(defaults, SETTINGS.map((s) => [s.name, literal(s.default)]), 'the default column is the one of SETTINGS');
  });

  it('behaves as documented when a variable is set to its documented default', () => {
    const unset = loadConfig({});
    for (const s of SETTINGS.filter((x) => !x.default.startsWith('('))) {
      assert.deepEqual(loadConfig({ [s.name]: s.default }), unset, `${s.name}=${s.default} differs from leaving it unset`);
    }
  });
});
