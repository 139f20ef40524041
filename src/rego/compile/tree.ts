// The tree of virtual documents: one node per data path that has rules below it. A node holds
// the rules whose head's ground prefix ends there (a "group" of one kind), and its children.

import type { Location } from '../errors';
import type { IR, IRLit } from './ir';

export type GroupKind = 'complete' | 'partialset' | 'object' | 'function';

export interface RuleDef {
  kind: GroupKind;
  /** Terms of the head ref after the node's path (object keys, for kind 'object'/'partialset'). */
  keys: IR[];
  /** Member of a partial set. */
  member: IR | null;
  /** Value (complete, object, function); `true` when the head has none. */
  value: IR;
  args: IR[] | null;
  body: IRLit[];
  frameSize: number;
  elseRule: RuleDef | null;
  isDefault: boolean;
  loc: Location;
  file: string;
  slotNames: string[];
  /** Evaluator's compiled form (attached lazily). */
  compiled?: unknown;
}

export class DNode {
  readonly children = new Map<string, DNode>();
  readonly rules: RuleDef[] = [];
  defaultRule: RuleDef | null = null;
  kind: GroupKind | null = null;
  /** Rules were assigned to this node (set while the tree is built, before they are resolved). */
  pendingRules = false;
  /** Evaluator's per-node data (attached lazily). */
  compiled?: unknown;

  constructor(readonly path: string[]) {}

  child(name: string): DNode {
    let c = this.children.get(name);
    if (!c) {
      c = new DNode([...this.path, name]);
      this.children.set(name, c);
    }
    return c;
  }

  find(path: string[]): DNode | undefined {
    if (path.length === 0) return this;
    let n = this.children.get(path[0]);
    for (let i = 1; i < path.length && n; i++) n = n.children.get(path[i]);
    return n;
  }

  get hasRules(): boolean {
    return this.rules.length > 0 || this.defaultRule !== null;
  }

  get name(): string {
    return 'data.' + this.path.join('.');
  }
}
