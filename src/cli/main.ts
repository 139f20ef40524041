// The `arbiter` command: serve, token, bundle build|push, verify, test.

import { Command, CommanderError } from 'commander';
import { registerBundleCommands } from './bundle';
import { processIO, registerTestCommand } from './test';
import { registerTokenCommand } from './token';
import { registerVerifyCommand } from './verify';

export function buildProgram(): Command {
  const program = new Command('arbiter')
    .description('Central Rego policy decision service with a bundle registry and an audit log')
    .exitOverride();
  program
    .command('serve', { isDefault: true })
    .description('run the HTTP service (configured through ARBITER_* environment variables)')
    // Loaded on use: the other commands do not need the engine.
    .action(async () => (await import('../main')).main());
  registerTokenCommand(program);
  registerBundleCommands(program);
  registerVerifyCommand(program);
  registerTestCommand(program, () => processIO());
  return program;
}

export async function run(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    process.stderr.write(`arbiter: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void run(process.argv);
