// `arbiter token`: mints a bearer token from the configured HS256 secret and prints it on stdout.

import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { ensureJwtSecret, loadConfig, parseDuration } from '../config';
import { mintToken } from '../http/auth';

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('mint a bearer token signed with the configured secret (ARBITER_JWT_SECRET or $ARBITER_DATA_DIR/jwt.secret)')
    .requiredOption('--tenant <tenant>', 'tenant id, or "*" for every tenant')
    .requiredOption('--scope <scopes>', 'space-separated: decide bundles:read bundles:write audit:read agent admin metrics')
    .option('--ttl <duration>', 'lifetime, e.g. 3600s, 15m, 12h, 30d', '30d')
    .option('--sub <subject>', 'subject recorded in the audit log as the principal')
    .action((opts: { tenant: string; scope: string; ttl: string; sub?: string }) => {
      const ttlSeconds = parseDuration(opts.ttl);
      if (ttlSeconds === undefined || ttlSeconds <= 0) throw new Error(`--ttl must be a duration like 3600s, 15m, 12h or 30d, got '${opts.ttl}'`);
      const config = loadConfig();
      if (!config.jwt.secret) mkdirSync(config.dataDir, { recursive: true });
      const secret = ensureJwtSecret(config);
      const token = mintToken(secret, {
        tenant: opts.tenant,
        scope: opts.scope,
        ttlSeconds,
        sub: opts.sub,
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
      });
      process.stdout.write(token + '\n');
    });
}
