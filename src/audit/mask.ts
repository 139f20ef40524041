// Masking of recorded decisions as OPA's decision-log plugin does it with data.system.log.mask:
// the rule's value is a set (here: its JSON array) of
//   - JSON pointer strings: erase the member, listed in `erased`;
//   - {"op": "remove" | "upsert", "path": pointer, "value"?}: remove it (listed in `erased`) or
//     set it, creating missing parent objects (listed in `masked`).
// Pointers must start with /input, /result or /nd_builtin_cache. Paths that do not exist are
// ignored, arrays are not traversed, and a malformed rule is skipped and reported, as OPA does.
import { setMember } from '../json-member';
import type { DecisionRecord } from '../store/types';

export interface MaskRule {
  op: 'remove' | 'upsert';
  path: string;
  parts: string[];
  value?: unknown;
}

const ALLOWED_ROOTS = ['input', 'result', 'nd_builtin_cache'];

/** Parses one element of the mask set; throws with OPA's reason when it is not a valid rule. */
export function parseMaskRule(x: unknown): MaskRule {
  let op: unknown = 'remove';
  let path: unknown = x;
  let value: unknown;
  if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
    ({ op, path, value } = x as Record<string, unknown>);
    if (op !== 'remove' && op !== 'upsert') throw new Error(`mask op must be "remove" or "upsert": ${JSON.stringify(op)}`);
  }
  if (typeof path !== 'string' || path === '') throw new Error('mask must be a JSON pointer string or a {op, path, value} object');
  if (!path.startsWith('/')) throw new Error(`mask must be a JSON pointer: ${path}`);
  const parts = path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (!ALLOWED_ROOTS.includes(parts[0])) throw new Error(`mask prefix not allowed: ${path}`);
  return { op: op as MaskRule['op'], path, parts, ...(op === 'upsert' && { value }) };
}

/**
 * Returns a copy of the record with the mask applied (the original, whose input may be shared
 * with the evaluation, is never changed). `maskRules` is the JSON value of data.system.log.mask.
 */
export function applyMask(record: DecisionRecord, maskRules: unknown, onRuleError?: (rule: unknown, error: Error) => void): DecisionRecord {
  const elements = Array.isArray(maskRules) ? maskRules : maskRules === undefined || maskRules === null ? [] : [maskRules];
  const rules: MaskRule[] = [];
  for (const x of elements) {
    try {
      rules.push(parseMaskRule(x));
    } catch (e) {
      onRuleError?.(x, e as Error);
    }
  }
  if (rules.length === 0) return record;
  const out: DecisionRecord = { ...record };
  const erased = [...(record.erased ?? [])];
  const masked = [...(record.masked ?? [])];
  const copied = new Set<string>();
  for (const rule of rules) {
    const root = rule.parts[0] as 'input' | 'result';
    if (root !== 'input' && root !== 'result') continue; // nd_builtin_cache is not recorded
    if (out[root] === undefined) continue;
    if (rule.parts.length === 1) {
      if (rule.op === 'remove') {
        delete out[root];
        erased.push(rule.path);
      } else {
        out[root] = structuredClone(rule.value);
        copied.add(root);
        masked.push(rule.path);
      }
      continue;
    }
    if (!copied.has(root)) {
      out[root] = structuredClone(out[root]);
      copied.add(root);
    }
    if (maskValue(out[root], rule)) (rule.op === 'remove' ? erased : masked).push(rule.path);
  }
  if (erased.length > 0) out.erased = erased;
  if (masked.length > 0) out.masked = masked;
  return out;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Applies one rule below the root; false when the path does not exist (or crosses a non-object). */
function maskValue(root: unknown, rule: MaskRule): boolean {
  let node = root;
  const keys = rule.parts.slice(1);
  for (let i = 0; i < keys.length - 1; i++) {
    if (!isObject(node)) return false;
    if (!Object.hasOwn(node, keys[i])) {
      if (rule.op === 'remove') return false;
      setMember(node, keys[i], {});
    }
    node = node[keys[i]];
  }
  const last = keys[keys.length - 1];
  if (!isObject(node)) return false;
  if (rule.op === 'remove') {
    if (!Object.hasOwn(node, last)) return false;
    delete node[last];
  } else {
    setMember(node, last, structuredClone(rule.value));
  }
  return true;
}
