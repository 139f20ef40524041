// regex.globs_match: do two simple regex-like globs match at least one common string? The
// glob syntax is that of the glob-intersection library OPA uses: literals, `.` (any character),
// `[...]` sets with ranges, `\` escapes, and the modifiers `*` and `+` on the preceding token.
// Each glob becomes a small automaton; the answer is whether the product automaton can reach
// its accepting state, which takes time proportional to the product of the glob lengths.

import { BuiltinError } from './registry';

type CharSet = 'any' | [number, number][];

interface Token {
  chars: CharSet;
  repeat: boolean;
  optional: boolean;
}

function invalid(input: string, pos: number, msg: string): BuiltinError {
  return new BuiltinError(`input:${input}, pos:${pos}, ${msg}: the input provided is invalid`);
}

function tokenize(input: string): Token[] {
  const rs = Array.from(input);
  const out: (Token & { modified: boolean })[] = [];
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i];
    if (r === '*' || r === '+') {
      const last = out[out.length - 1];
      if (last === undefined || last.modified) {
        throw invalid(input, i + 1, `modifier '${r}' with no preceding character`);
      }
      last.modified = true;
      last.repeat = true;
      last.optional = r === '*';
      continue;
    }
    let chars: CharSet;
    if (r === '.') chars = 'any';
    else if (r === '\\') {
      if (i + 1 >= rs.length) throw invalid(input, i + 1, "escape '\\' at end of input");
      const c = rs[++i].codePointAt(0)!;
      chars = [[c, c]];
    } else if (r === ']') {
      throw invalid(input, i + 1, "set-close ']' with no preceding '['");
    } else if (r === '[') {
      const start = i;
      const ranges: [number, number][] = [];
      i++;
      for (; i < rs.length && rs[i] !== ']'; i++) {
        let lo = rs[i];
        if (lo === '\\' && i + 1 < rs.length) lo = rs[++i];
        let hi = lo;
        if (rs[i + 1] === '-' && i + 2 < rs.length && rs[i + 2] !== ']') {
          hi = rs[i + 2];
          if (hi === '\\' && i + 3 < rs.length) {
            hi = rs[i + 3];
            i++;
          }
          i += 2;
        }
        const a = lo.codePointAt(0)!;
        const b = hi.codePointAt(0)!;
        if (b < a) throw invalid(input, i + 1, `set range '${lo}-${hi}' is out of order`);
        ranges.push([a, b]);
      }
      if (i >= rs.length) throw invalid(input, start + 1, "set-open '[' with no closing ']'");
      if (ranges.length === 0) throw invalid(input, i + 1, "empty set '[]'");
      chars = ranges;
    } else {
      const c = r.codePointAt(0)!;
      chars = [[c, c]];
    }
    out.push({ chars, repeat: false, optional: false, modified: false });
  }
  return out;
}

function overlap(a: CharSet, b: CharSet): boolean {
  if (a === 'any' || b === 'any') return true;
  return a.some(([lo, hi]) => b.some(([lo2, hi2]) => lo <= hi2 && lo2 <= hi));
}

/**
 * State i of a glob: before token i. One character matching token i leads to i + 1, or back to
 * i itself when the token repeats; an optional token (`*`) can also be skipped for free. The
 * search visits each pair of states once, with constant work per pair.
 */
function moves(tokens: Token[], i: number): number[] {
  return tokens[i].repeat ? [i, i + 1] : [i + 1];
}

/** Product states a check may visit: bounds memory (one byte each) and time. */
const MAX_STATES = 4_000_000;

export function globsIntersect(g1: string, g2: string): boolean {
  const a = tokenize(g1);
  const b = tokenize(g2);
  const width = b.length + 1;
  const total = (a.length + 1) * width;
  if (total > MAX_STATES) throw new BuiltinError(`globs too long to intersect: ${a.length} and ${b.length} tokens`);
  const seen = new Uint8Array(total);
  const queue: number[] = [0];
  seen[0] = 1;
  while (queue.length > 0) {
    const key = queue.pop()!;
    const i = Math.floor(key / width);
    const j = key % width;
    if (i === a.length && j === b.length) return true;
    const next: number[] = [];
    if (i < a.length && a[i].optional) next.push(key + width);
    if (j < b.length && b[j].optional) next.push(key + 1);
    if (i < a.length && j < b.length && overlap(a[i].chars, b[j].chars)) {
      for (const x of moves(a, i)) for (const y of moves(b, j)) next.push(x * width + y);
    }
    for (const k of next) {
      if (seen[k] === 0) {
        seen[k] = 1;
        queue.push(k);
      }
    }
  }
  return false;
}
