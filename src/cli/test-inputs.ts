// The documents `arbiter test` checks: YAML (multi-document) and JSON files, folders of them, or
// standard input (`-`, e.g. `kustomize build | arbiter test -`). Each document keeps the file and
// the line it starts on, for the formats that point at a line (github, sarif).

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import jsyaml from 'js-yaml';

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

// Kubernetes reads YAML into JSON: no timestamps (they stay strings), merge keys allowed.
// (js-yaml exports its built-in types at run time; @types/js-yaml does not declare them.)
const MERGE = (jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge;
const SCHEMA = jsyaml.CORE_SCHEMA.extend({ implicit: [MERGE] });
const DOCUMENT_START = /^---(?=[ \t]|$)/;
const DOCUMENT_END = /^\.\.\.(?=[ \t]|$)/;
const NO_CONTENT = /^\s*(#.*)?$/;

/**
 * The documents of a YAML stream with the line each starts on. The stream is cut at its document
 * markers (which YAML forbids inside content at the start of a line) and each part parsed alone.
 */
export function parseYAML(file: string, text: string): InputDocument[] {
  const lines = text.split(/\r?\n/);
  const out: InputDocument[] = [];
  let start = 0;
  let part: string[] = [];
  const flush = () => {
    const first = part.findIndex((l) => !NO_CONTENT.test(l) && !l.startsWith('%'));
    if (first >= 0) {
      let content: unknown;
      try {
        content = jsyaml.load(part.join('\n'), { schema: SCHEMA, filename: file });
      } catch (e) {
        const mark = (e as { mark?: { line: number } }).mark;
        const reason = (e as { reason?: string }).reason ?? (e as Error).message;
        throw new InputError(`${file}${mark ? `:${start + mark.line + 1}` : ''}: invalid YAML: ${reason}`);
      }
      if (content !== null && content !== undefined) out.push({ file, line: start + first + 1, content });
    }
  };
  lines.forEach((line, i) => {
    if (DOCUMENT_START.test(line)) {
      flush();
      start = i;
      // Content may follow the marker on its line (`--- !tag` or `--- {a: 1}`): keep its columns.
      part = [line.replace(DOCUMENT_START, '   ')];
    } else if (DOCUMENT_END.test(line)) {
      flush();
      start = i + 1;
      part = [];
    } else part.push(line);
  });
  flush();
  return out;
}
