// JSON-pointer built-ins: json.filter, json.remove (keep or drop the values under a list of
// paths) and json.patch (RFC 6902, extended by OPA to sets and to paths given as arrays).

import { RObject, RSet, type Value, equals, typeName } from '../eval/values';
import { BuiltinError, BuiltinTypeError, operandError, register } from './registry';
import { asArray, asObject } from './operands';

/**
 * A path: "/a/b~1c" (JSON pointer; leading slashes are trimmed and "~1", "~0" unescaped) or an
 * array of segments of any type. The empty string is the root.
 */
function parsePath(p: Value): Value[] {
  if (typeof p === 'string') {
    if (p === '') return [];
    return p
      .replace(/^\/+/, '')
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  if (Array.isArray(p)) return p;
  throw new BuiltinTypeError(
    `operand 2 must be one of {set, array} containing string paths or array of path segments but got ${typeName(p)}`,
  );
}

function pathsOperand(v: Value): Value[][] {
  if (Array.isArray(v)) return v.map(parsePath);
  if (v instanceof RSet) return v.sorted().map(parsePath);
  operandError(2, 'one of {set, array}', v);
}

/** A tree of the paths, as nested objects whose leaves (the end of a path) are null. */
type PathTree = RObject | null;

function pathsToTree(paths: Value[][]): RObject {
  // Built mutably, then handed out only through the functions below.
  const root = new RObject();
  for (const path of paths) {
    if (path.length === 0) continue;
    let node = root;
    let covered = false;
    for (let i = 0; i < path.length - 1 && !covered; i++) {
      const child = node.get(path[i]);
      if (child === undefined) {
        const next = new RObject();
        node.set(path[i], next);
        node = next;
      } else if (child === null) {
        covered = true; // a shorter path already selects this whole subtree
      } else {
        node = child as RObject;
      }
    }
    if (!covered) node.set(path[path.length - 1], null);
  }
  return root;
}

/** Array elements are addressed by the decimal string of their index in the tree. */
function filterValue(v: Value, tree: PathTree): Value {
  if (tree === null) return v;
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x, i) => {
      const sub = tree.get(String(i));
      if (sub !== undefined) out.push(filterValue(x, sub as PathTree));
    });
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v) {
      const sub = tree.get(x);
      if (sub !== undefined) out.add(filterValue(x, sub as PathTree));
    }
    return out;
  }
  if (v instanceof RObject) {
    const out = new RObject();
    for (const [k, x] of v.entries()) {
      const sub = tree.get(k);
      if (sub !== undefined) out.set(k, filterValue(x, sub as PathTree));
    }
    return out;
  }
  return v;
}

/** The value without what the tree's leaves select; undefined when the whole value goes. */
function removeValue(v: Value, tree: Value | undefined): Value | undefined {
  if (tree === undefined || !(tree instanceof RObject)) return tree === null ? undefined : v;
  if (Array.isArray(v)) {
    const out: Value[] = [];
    v.forEach((x, i) => {
      const kept = removeValue(x, tree.get(String(i)));
      if (kept !== undefined) out.push(kept);
    });
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const x of v) {
      const kept = removeValue(x, tree.get(x));
      if (kept !== undefined) out.add(kept);
    }
    return out;
  }
  if (v instanceof RObject) {
    const out = new RObject();
    for (const [k, x] of v.entries()) {
      const kept = removeValue(x, tree.get(k));
      if (kept !== undefined) out.set(k, kept);
    }
    return out;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// json.patch. A failed operation (missing target, failed test, bad index) makes the call
// undefined; a malformed operation is an error.

interface PatchOp {
  op: string;
  path: Value[];
  from?: Value[];
  value?: Value;
}

const PATCH_OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function readPatchOp(o: RObject): PatchOp {
  const attr = (name: string): Value => {
    const v = o.getStr(name);
    if (v === undefined) throw new BuiltinError(`missing '${name}' attribute`);
    return v;
  };
  const op = attr('op');
  if (typeof op !== 'string') throw new BuiltinError("attribute 'op' must be a string");
  if (!PATCH_OPS.has(op)) throw new BuiltinError(`unrecognized op '${op}'`);
  const out: PatchOp = { op, path: parsePath(attr('path')) };
  if (op === 'move' || op === 'copy') out.from = parsePath(attr('from'));
  if (op === 'add' || op === 'replace' || op === 'test') out.value = attr('value');
  return out;
}

/** An array index segment: digits without leading zeros ("-" is the end, for add only). */
function arrayIndex(seg: Value, length: number, forAdd: boolean): number | undefined {
  let i: number;
  if (typeof seg === 'number' && Number.isInteger(seg)) i = seg;
  else if (typeof seg === 'string' && /^(0|[1-9]\d{0,15})$/.test(seg)) i = Number(seg);
  else if (forAdd && seg === '-') return length;
  else return undefined;
  return i >= 0 && i < length + (forAdd ? 1 : 0) ? i : undefined;
}

function getAt(doc: Value, path: Value[]): Value | undefined {
  let cur: Value | undefined = doc;
  for (const seg of path) {
    if (cur instanceof RObject) cur = cur.get(seg);
    else if (Array.isArray(cur)) {
      const i = arrayIndex(seg, cur.length, false);
      cur = i === undefined ? undefined : cur[i];
    } else if (cur instanceof RSet) cur = cur.has(seg) ? seg : undefined;
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

type Edit = (parent: Value, key: Value) => Value | undefined;

/** Rebuilds the document along the path, applying `edit` to the parent of the last segment. */
function editAt(doc: Value, path: Value[], depth: number, edit: Edit): Value | undefined {
  const seg = path[depth];
  if (depth === path.length - 1) return edit(doc, seg);
  if (doc instanceof RObject) {
    const child = doc.get(seg);
    if (child === undefined) return undefined;
    const updated = editAt(child, path, depth + 1, edit);
    return updated === undefined ? undefined : doc.clone().set(seg, updated);
  }
  if (Array.isArray(doc)) {
    const i = arrayIndex(seg, doc.length, false);
    if (i === undefined) return undefined;
    const updated = editAt(doc[i], path, depth + 1, edit);
    if (updated === undefined) return undefined;
    const out = doc.slice();
    out[i] = updated;
    return out;
  }
  if (doc instanceof RSet) {
    if (!doc.has(seg)) return undefined;
    const updated = editAt(seg, path, depth + 1, edit);
    if (updated === undefined) return undefined;
    const out = new RSet(doc);
    out.delete(seg);
    out.add(updated);
    return out;
  }
  return undefined;
}

function addAt(doc: Value, path: Value[], value: Value): Value | undefined {
  if (path.length === 0) return value;
  return editAt(doc, path, 0, (parent, key) => {
    if (parent instanceof RObject) return parent.clone().set(key, value);
    if (Array.isArray(parent)) {
      const i = arrayIndex(key, parent.length, true);
      if (i === undefined) return undefined;
      return [...parent.slice(0, i), value, ...parent.slice(i)];
    }
    if (parent instanceof RSet) {
      // A set member's key is the member itself.
      if (!equals(key, value)) return undefined;
      const out = new RSet(parent);
      out.add(value);
      return out;
    }
    return undefined;
  });
}

function removeAt(doc: Value, path: Value[]): Value | undefined {
  if (path.length === 0) return undefined;
  return editAt(doc, path, 0, (parent, key) => {
    if (parent instanceof RObject) {
      if (!parent.has(key)) return undefined;
      const out = parent.clone();
      out.delete(key);
      return out;
    }
    if (Array.isArray(parent)) {
      const i = arrayIndex(key, parent.length, false);
      if (i === undefined) return undefined;
      return [...parent.slice(0, i), ...parent.slice(i + 1)];
    }
    if (parent instanceof RSet) {
      if (!parent.has(key)) return undefined;
      const out = new RSet(parent);
      out.delete(key);
      return out;
    }
    return undefined;
  });
}

function applyPatchOp(doc: Value, p: PatchOp): Value | undefined {
  switch (p.op) {
    case 'add':
      return addAt(doc, p.path, p.value!);
    case 'remove':
      return removeAt(doc, p.path);
    case 'replace': {
      if (getAt(doc, p.path) === undefined) return undefined;
      const removed = p.path.length === 0 ? doc : removeAt(doc, p.path);
      return removed === undefined ? undefined : addAt(removed, p.path, p.value!);
    }
    case 'move': {
      const v = getAt(doc, p.from!);
      if (v === undefined) return undefined;
      const removed = removeAt(doc, p.from!);
      return removed === undefined ? undefined : addAt(removed, p.path, v);
    }
    case 'copy': {
      const v = getAt(doc, p.from!);
      return v === undefined ? undefined : addAt(doc, p.path, v);
    }
    default: {
      // test
      const v = getAt(doc, p.path);
      return v !== undefined && equals(v, p.value!) ? doc : undefined;
    }
  }
}

register(
  {
    name: 'json.filter',
    args: ['object<any, any>', 'array<array<any>|string>|set<array<any>|string>'],
    result: 'any',
    impl: ([o, paths]) => {
      const obj = asObject(o, 1);
      return filterValue(obj, pathsToTree(pathsOperand(paths)));
    },
  },
  {
    name: 'json.remove',
    args: ['object<any, any>', 'array<array<any>|string>|set<array<any>|string>'],
    result: 'any',
    impl: ([o, paths]) => {
      const obj = asObject(o, 1);
      return removeValue(obj, pathsToTree(pathsOperand(paths)));
    },
  },
  {
    name: 'json.patch',
    args: ['any', 'array<object<any, any>>'],
    result: 'any',
    impl: ([doc, ops]) => {
      const list = asArray(ops, 2);
      let cur: Value | undefined = doc;
      for (const item of list) {
        if (!(item instanceof RObject)) {
          throw new BuiltinTypeError(`operand 2 must be array of objects but got array containing ${typeName(item)}`);
        }
        cur = applyPatchOp(cur, readPatchOp(item));
        if (cur === undefined) return undefined;
      }
      return cur;
    },
  },
);
