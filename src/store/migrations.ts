// Reads migrations/<backend>/NNN_name.sql. The folder is found by walking up from this file, so the
// same code works from src/ (tsx) and from dist/src/ (compiled).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function migrationsDir(backend: 'sqlite' | 'postgres'): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'migrations', backend);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`migrations/${backend} not found above ${__dirname}`);
}

export function loadMigrations(dir: string): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.sql')) continue;
    const m = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) throw new Error(`migration file ${file} is not named NNN_name.sql`);
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) throw new Error(`two migrations have version ${version}`);
    out.push({ version, name: m[2], sql: readFileSync(join(dir, file), 'utf8') });
  }
  return out.sort((a, b) => a.version - b.version);
}
