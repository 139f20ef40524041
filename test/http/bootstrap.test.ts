import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { bootstrapDemo, buildServices, ensureJwtSecret, writeBootstrapTokens } from '../../src/main';
import { openSqliteStore } from '../../src/store/sqlite';

const ROOT = join(__dirname, '..', '..');

describe('start-up with no configuration', () => {
  it('creates the demo tenant with every example bundle and writes private tokens, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-boot-'));
    try {
      const config = loadConfig({ ARBITER_DATA_DIR: dir, ARBITER_BUNDLES_DIR: join(ROOT, 'bundles') });
      const secret = ensureJwtSecret(config);
      assert.equal(statSync(join(dir, 'jwt.secret')).mode & 0o777, 0o600);
      assert.equal(ensureJwtSecret(config), secret, 'the generated secret is kept');
      const store = openSqliteStore(join(dir, 'arbiter.db'));
      await store.init();
      const services = buildServices(config, store, secret, pino({ level: 'silent' }));
      await bootstrapDemo(config, store, services.registry, pino({ level: 'silent' }));
      const expected = readdirSync(join(ROOT, 'bundles')).sort();
      const active = async () => (await store.listActiveBundles('demo')).map((a) => `${a.meta.bundle}@${a.meta.version}`).sort();
      assert.deepEqual(await active(), expected.map((b) => `${b}@1`), 'every example bundle passed validation, its tests included');
      await bootstrapDemo(config, store, services.registry, pino({ level: 'silent' }));
      assert.deepEqual(await active(), expected.map((b) => `${b}@1`), 'an unchanged folder is not published again');

      const files = writeBootstrapTokens(config, secret);
      for (const f of [files.admin, files.demo]) assert.equal(statSync(f).mode & 0o777, 0o600);
      const admin = jwt.verify(readFileSync(files.admin, 'utf8').trim(), secret) as jwt.JwtPayload;
      assert.equal(admin.tenant, '*');
      assert.equal(admin.scope, 'admin');
      const demo = jwt.verify(readFileSync(files.demo, 'utf8').trim(), secret) as jwt.JwtPayload;
      assert.equal(demo.tenant, 'demo');
      assert.ok(demo.scope.split(' ').includes('decide'));
      await services.recorder.close();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`arbiter token` prints a token signed with the configured secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-token-'));
    try {
      const env = { ...process.env, ARBITER_DATA_DIR: dir, ARBITER_JWT_SECRET: 'cli-secret-0123456789abcdef' };
      const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], { env, encoding: 'utf8' });
      const ok = cli('token', '--tenant', 'team-a', '--scope', 'decide audit:read', '--ttl', '2h', '--sub', 'ci');
      assert.equal(ok.status, 0, ok.stderr);
      const claims = jwt.verify(ok.stdout.trim(), 'cli-secret-0123456789abcdef') as jwt.JwtPayload;
      assert.equal(claims.tenant, 'team-a');
      assert.equal(claims.scope, 'decide audit:read');
      assert.equal(claims.sub, 'ci');
      assert.equal(claims.exp! - claims.iat!, 7200);
      const badScope = cli('token', '--tenant', 'a', '--scope', 'root');
      assert.equal(badScope.status, 1);
      assert.match(badScope.stderr, /unknown scope\(s\): root/);
      const badTtl = cli('token', '--tenant', 'a', '--scope', 'decide', '--ttl', 'forever');
      assert.equal(badTtl.status, 1);
      assert.match(badTtl.stderr, /--ttl must be a duration/);
      const missing = cli('token', '--scope', 'decide');
      assert.notEqual(missing.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
