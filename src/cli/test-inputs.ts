// The documents `arbiter test` checks: YAML (multi-document) and JSON files, folders of them, or
// standard input (`-`, e.g. `kustomize build | arbiter test -`). Each document keeps the file and
// the line it starts on, for the formats that point at a line (github, sarif).

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import YAML, { LineCounter } from 'yaml';

export interface InputDocument {
  file: string;
  line: number;
  content: unknown;
}

export const STDIN = '-';
const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);
const JSON_EXTENSIONS = new Set(['.json']);

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Expands folders (recursively, sorted; hidden folders skipped) into the files they hold. */
export async function expandPaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === STDIN) {
      out.push(p);
      continue;
    }
    let stat;
    try {
      stat = await fs.stat(p);
    } catch {
      throw new InputError(`${p}: no such file or directory`);
    }
    if (stat.isDirectory()) out.push(...(await walk(p)));
    else {
      if (!isSupported(p)) throw new InputError(`${p}: unsupported file type (expected .yaml, .yml or .json)`);
      out.push(p);
    }
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!e.name.startsWith('.')) out.push(...(await walk(full)));
    } else if (isSupported(e.name)) out.push(full);
  }
  return out;
}

function isSupported(file: string): boolean {
  const ext = path.extname(file).toLowerCase();
  return YAML_EXTENSIONS.has(ext) || JSON_EXTENSIONS.has(ext);
}

/** Reads and parses one file (or stdin) into its documents; empty YAML documents are skipped. */
export async function readDocuments(file: string, readStdin: () => Promise<string>): Promise<InputDocument[]> {
  const text = file === STDIN ? await readStdin() : await fs.readFile(file, 'utf8');
  if (file !== STDIN && JSON_EXTENSIONS.has(path.extname(file).toLowerCase())) return [parseJSONFile(file, text)];
  return parseYAML(file, text);
}

function parseJSONFile(file: string, text: string): InputDocument {
  try {
    return { file, line: 1, content: JSON.parse(text) };
  } catch (e) {
    throw new InputError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
}

export function parseYAML(file: string, text: string): InputDocument[] {
  const lineCounter = new LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: InputDocument[] = [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      throw new InputError(`${file}${pos ? `:${pos.line}` : ''}: invalid YAML: ${error.message.split('\n')[0]}`);
    }
    if (doc.contents === null) continue;
    const content: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (content === null || content === undefined) continue;
    const start = doc.contents.range?.[0] ?? 0;
    out.push({ file, line: lineCounter.linePos(start).line, content });
  }
  return out;
}
