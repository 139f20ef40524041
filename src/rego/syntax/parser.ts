// Recursive-descent parser for Rego v0 and v1 modules and queries.
//
// v1 makes `if`, `contains`, `in` and `every` keywords and requires `if` before rule bodies and
// `contains` for partial sets. v0 enables those keywords one by one through `future.keywords`
// imports; `import rego.v1` switches a v0 module to v1 rules.

import { RegoError } from '../errors';
import type { Expr, Import, Literal, Loc, Module, Rule, Term, With } from './ast';
import YAML from 'yaml';
import { tokenize, type Comment, type Token } from './lexer';

const FUTURE_KEYWORDS = ['in', 'every', 'contains', 'if'];
/** Experimental logic operators, enabled only one by one through `future.keywords.X`. */
const EXPERIMENTAL_KEYWORDS = ['and', 'or', 'not'];
const RESERVED = new Set(['not', 'with', 'as', 'some', 'default', 'else', 'import', 'package', 'true', 'false', 'null']);
const REL_OPS: Record<string, string> = { '==': 'equal', '!=': 'neq', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
const ADD_OPS: Record<string, string> = { '+': 'plus', '-': 'minus' };
const MUL_OPS: Record<string, string> = { '*': 'mul', '/': 'div', '%': 'rem' };
const MAX_DEPTH = 1000;

export class Parser {
  private toks: Token[];
  private pos = 0;
  private keywords = new Set<string>();
  private v1: boolean;
  private noOr = 0;
  private depth = 0;
  private wildcards = 0;
  private readonly comments: Comment[] = [];
  /** Logic operators (and/or/not-groups) are enabled. */
  private logic = false;
  /** Nesting depth of operator chains (a + b + c ... is a left-deep tree). */
  private readonly chainDepth = new WeakMap<Term, number>();

  constructor(
    readonly file: string,
    readonly src: string,
    regoVersion: 0 | 1,
  ) {
    this.toks = tokenize(file, src, this.comments);
    this.v1 = regoVersion === 1;
    if (this.v1) for (const k of FUTURE_KEYWORDS) this.keywords.add(k);
  }

  // ------------------------------------------------------------------ helpers

  private get tok(): Token {
    return this.toks[this.pos];
  }
  private peek(n = 1): Token {
    return this.toks[Math.min(this.pos + n, this.toks.length - 1)];
  }
  private loc(t: Token = this.tok): Loc {
    return { file: this.file, row: t.row, col: t.col };
  }
  fail(msg: string, t: Token = this.tok): never {
    throw new RegoError('rego_parse_error', msg, this.loc(t));
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'eof token';
    if (t.kind === 'ident') return `ident token`;
    if (t.kind === 'string') return 'string token';
    if (t.kind === 'number') return 'number token';
    return `${t.text} token`;
  }
  private isPunct(p: string, t: Token = this.tok): boolean {
    return t.kind === 'punct' && t.text === p;
  }
  private acceptPunct(p: string): boolean {
    if (this.isPunct(p)) {
      this.pos++;
      return true;
    }
    return false;
  }
  private expectPunct(p: string): Token {
    if (!this.isPunct(p)) this.fail(`unexpected ${this.describe(this.tok)}: expected ${p}`);
    return this.toks[this.pos++];
  }
  private isKw(k: string, t: Token = this.tok): boolean {
    if (!(t.kind === 'ident' && t.text === k && (RESERVED.has(k) || this.keywords.has(k)))) return false;
    // A keyword directly followed by `.` is the first name of a ref (e.g. a rule `import.x := 1`).
    const next = this.toks[(t === this.tok ? this.pos : this.toks.indexOf(t)) + 1];
    return !(next && next.kind === 'punct' && next.text === '.' && !next.ws);
  }
  private acceptKw(k: string): boolean {
    if (this.isKw(k)) {
      this.pos++;
      return true;
    }
    return false;
  }
  private isKeyword(name: string): boolean {
    return RESERVED.has(name) || this.keywords.has(name);
  }
  private expectIdent(): Token {
    const t = this.tok;
    if (t.kind !== 'ident') this.fail(`unexpected ${this.describe(t)}: expected ident`);
    this.pos++;
    return t;
  }

  // ------------------------------------------------------------------ module

  parseModule(): Module {
    const start = this.tok;
    if (!(start.kind === 'ident' && start.text === 'package')) {
      this.fail(start.kind === 'eof' ? 'empty module' : `unexpected ${this.describe(start)}: expected package`);
    }
    this.pos++;
    const pkg = this.parseDottedPath('package');
    const mod: Module = {
      file: this.file,
      regoVersion: this.v1 ? 1 : 0,
      package: pkg,
      packageLoc: this.loc(start),
      imports: [],
      rules: [],
      annotations: [],
    };
    while (this.isKw('import')) {
      mod.imports.push(this.parseImport());
    }
    mod.regoVersion = this.v1 ? 1 : 0;
    const pkgMeta = this.metadataBefore(start.row, 'package');
    if (pkgMeta) mod.annotations.push(pkgMeta);
    while (this.tok.kind !== 'eof') {
      const ruleStart = this.tok;
      if (this.isKw('import')) this.fail('unexpected import keyword: imports must come before rules');
      if (this.isKw('package')) this.fail('unexpected package keyword');
      const rules = this.parseRule();
      const meta = this.metadataBefore(ruleStart.row, 'rule');
      if (meta) {
        if (meta.scope === 'package' || meta.scope === 'subpackages') mod.annotations.push(meta);
        else for (const r of rules) r.annotations = [meta];
      }
      mod.rules.push(...rules);
    }
    return mod;
  }

  private parseImport(): Import {
    const start = this.tok;
    this.pos++;
    const path = this.parseDottedPath('import');
    let alias: string | null = null;
    if (this.tok.kind === 'ident' && this.tok.text === 'as') {
      this.pos++;
      alias = this.expectIdent().text;
    }
    const names = path;
    const root = names[0];
    if (root === 'future') {
      if (names[1] !== 'keywords' || names.length > 3) this.fail('invalid import, must be `future.keywords`', start);
      if (names.length === 2) for (const k of FUTURE_KEYWORDS) this.keywords.add(k);
      else {
        if (EXPERIMENTAL_KEYWORDS.includes(names[2])) this.logic = true;
        if (names[2] !== 'not' && !FUTURE_KEYWORDS.includes(names[2]) && !EXPERIMENTAL_KEYWORDS.includes(names[2])) {
          this.fail(`unexpected keyword, must be one of [contains every if in]`, start);
        }
        if (names[2] !== 'not') this.keywords.add(names[2]);
        if (names[2] === 'every') this.keywords.add('in');
      }
    } else if (root === 'rego') {
      if (names.length !== 2 || names[1] !== 'v1') this.fail('invalid import `rego`, must be `rego.v1`', start);
      this.v1 = true;
      for (const k of FUTURE_KEYWORDS) this.keywords.add(k);
    } else if (root !== 'data' && root !== 'input') {
      this.fail(`invalid import path, must begin with input or data`, start);
    }
    const loc = this.loc(start);
    const term: Term = {
      type: 'ref',
      head: { type: 'var', name: root, loc },
      path: names.slice(1).map((s) => ({ type: 'string', value: s, loc })),
      loc,
    };
    return { path: term, alias, loc };
  }

  /** A package or import path: names joined by `.`, or string keys in brackets, with no spaces between. */
  private parseDottedPath(what: 'package' | 'import'): string[] {
    const parts = [this.expectIdent().text];
    while (true) {
      if (this.isPunct('.') && !this.tok.ws) {
        this.pos++;
        parts.push(this.expectIdent().text);
      } else if (this.isPunct('[') && !this.tok.ws) {
        this.pos++;
        const t = this.tok;
        if (t.kind !== 'string') this.fail(`unexpected non-string term in ${what} path`);
        this.pos++;
        parts.push(t.text);
        this.expectPunct(']');
      } else break;
    }
    return parts;
  }

  /** The `# METADATA` comment block that ends on the line before `row`, parsed as YAML. */
  private metadataBefore(row: number, defaultScope: string): Record<string, unknown> | null {
    const lines: Comment[] = [];
    let r = row - 1;
    // Comments are in source order: find the last one before `row`, then walk back line by line.
    let lo = 0;
    let hi = this.comments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.comments[mid].row < row) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const c = this.comments[i];
      if (c.row !== r || c.col !== 1) break;
      lines.unshift(c);
      r--;
    }
    const at = lines.findIndex((c) => c.text.trim() === 'METADATA');
    if (at < 0) return null;
    const text = lines
      .slice(at + 1)
      .map((c) => (c.text.startsWith(' ') ? c.text.slice(1) : c.text))
      .join('\n');
    let doc: unknown;
    try {
      doc = YAML.parse(text) ?? {};
    } catch (e) {
      throw new RegoError('rego_parse_error', `invalid METADATA block: ${(e as Error).message}`, { file: this.file, row: lines[at].row, col: 1 });
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new RegoError('rego_parse_error', 'invalid METADATA block: expected an object', { file: this.file, row: lines[at].row, col: 1 });
    }
    const meta = doc as Record<string, unknown>;
    if (Array.isArray(meta.authors)) {
      meta.authors = meta.authors.map((a) => {
        if (typeof a !== 'string') return a;
        const m = /^(.*?)\s*<([^>]+)>$/.exec(a.trim());
        return m ? (m[1] ? { name: m[1], email: m[2] } : { email: m[2] }) : { name: a.trim() };
      });
    }
    if (Array.isArray(meta.related_resources)) {
      meta.related_resources = meta.related_resources.map((r) => (typeof r === 'string' ? { ref: r } : r));
    }
    if (meta.scope === undefined) meta.scope = defaultScope;
    return meta;
  }

  // ------------------------------------------------------------------ rules

  private parseRule(): Rule[] {
    const start = this.tok;
    const loc = this.loc(start);
    let isDefault = false;
    if (this.isKw('default')) {
      this.pos++;
      isDefault = true;
    }
    const nameTok = this.expectIdent();
    if (this.isKeyword(nameTok.text) && !(this.isPunct('.') && !this.tok.ws)) this.fail(`unexpected ${nameTok.text} keyword`, nameTok);
    const ref: Term[] = [{ type: 'string', value: nameTok.text, loc: this.loc(nameTok) }];
    let bracketKey = false;
    while (true) {
      if (this.isPunct('.') && !this.tok.ws) {
        this.pos++;
        const id = this.expectIdent();
        ref.push({ type: 'string', value: id.text, loc: this.loc(id) });
        bracketKey = false;
      } else if (this.isPunct('[') && !this.tok.ws) {
        this.pos++;
        ref.push(this.parseTermExpr());
        this.expectPunct(']');
        bracketKey = true;
      } else break;
    }
    let args: Term[] | null = null;
    if (this.isPunct('(') && !this.tok.ws) {
      this.pos++;
      args = [];
      if (!this.isPunct(')')) {
        do args.push(this.parseTermExpr());
        while (this.acceptPunct(','));
      }
      this.expectPunct(')');
    }
    const rule: Rule = {
      kind: 'complete',
      isDefault,
      ref,
      args,
      key: null,
      value: null,
      assign: false,
      body: [],
      elseRule: null,
      loc,
    };
    if (args) rule.kind = 'function';
    if (this.acceptKw('contains')) {
      if (args) this.fail('unexpected contains keyword: functions cannot use contains');
      rule.kind = 'partialset';
      rule.key = this.parseTermExpr();
    } else if (this.isPunct('=') || this.isPunct(':=')) {
      rule.assign = this.tok.text === ':=';
      this.pos++;
      rule.value = this.parseTermExpr();
    }
    if (!args && rule.kind !== 'partialset' && !this.v1 && bracketKey && ref.length === 2 && rule.value === null && (!this.isKw('if') || !this.keywords.has('contains'))) {
      // v0: `p[x] { ... }` defines a partial set, and so does `p[x] if` unless `contains` is
      // imported (then partial sets are spelled with it and `p[x] if` is a single value).
      rule.kind = 'partialset';
      rule.key = ref.pop()!;
    } else if (!args && rule.kind !== 'partialset' && bracketKey && rule.value === null && this.v1 && ref.length === 2 && this.isPunct('{')) {
      this.fail('`if` keyword is required before rule body');
    }
    if (isDefault) {
      if (rule.value === null && !args) this.fail('default rule must have a value', start);
      if (this.isKw('if') || this.isPunct('{')) this.fail('default rules must not have a body', start);
      return [rule];
    }
    const bodies = this.parseRuleBodies(rule, start);
    rule.body = bodies[0];
    if (this.isKw('else')) {
      if (rule.kind === 'partialset' || (bracketKey && !args && !this.v1)) this.fail('else keyword cannot be used on multi-value rules');
      let cur = rule;
      while (this.isKw('else')) {
        const elseTok = this.tok;
        this.pos++;
        const er: Rule = {
          kind: rule.kind,
          isDefault: false,
          ref: rule.ref,
          args: rule.args,
          key: null,
          value: null,
          assign: false,
          body: [],
          elseRule: null,
          loc: this.loc(elseTok),
        };
        if (this.isPunct('=') || this.isPunct(':=')) {
          er.assign = this.tok.text === ':=';
          this.pos++;
          er.value = this.parseTermExpr();
        }
        const b = this.parseRuleBodies(er, elseTok);
        if (b.length > 1) this.fail('else keyword cannot be used on rules with multiple bodies');
        er.body = b[0];
        cur.elseRule = er;
        cur = er;
      }
    }
    const out = [rule];
    for (let i = 1; i < bodies.length; i++) out.push({ ...rule, body: bodies[i], elseRule: null });
    return out;
  }

  /** Body after a rule head: `if {..}`, `if lit`, `{..}` (v0) or none. Several `{..}{..}` are alternatives. */
  private parseRuleBodies(rule: Rule, start: Token): Literal[][] {
    if (this.acceptKw('if')) {
      if (this.isPunct('{')) {
        const save = this.pos;
        try {
          return [this.parseBlock()];
        } catch (e) {
          // `if {x: 1 | ...}`: a single literal that starts with an object or set.
          if (!(e instanceof RegoError)) throw e;
          this.pos = save;
          try {
            return [[this.parseLiteral()]];
          } catch {
            throw e;
          }
        }
      }
      const lit = this.parseLiteral();
      return [[lit]];
    }
    if (this.isPunct('{') && !this.tok.nl) {
      if (this.v1) this.fail('`if` keyword is required before rule body');
      const bodies = [this.parseBlock()];
      while (this.isPunct('{') && !this.tok.nl) bodies.push(this.parseBlock());
      return bodies;
    }
    if (this.isPunct('{') && this.tok.nl && !this.v1) {
      const bodies = [this.parseBlock()];
      while (this.isPunct('{')) bodies.push(this.parseBlock());
      return bodies;
    }
    if (rule.value === null && rule.kind !== 'partialset' && rule.kind !== 'function' && rule.ref.length === 1 && !rule.isDefault) {
      if (this.tok.kind === 'eof' || this.tok.nl) {
        this.fail(`rule must have a value or body`, start);
      }
      this.fail(`unexpected ${this.describe(this.tok)}`);
    }
    if (rule.kind === 'function' && rule.value === null) this.fail('function must have a value or body', start);
    if (!(this.tok.kind === 'eof' || this.tok.nl || this.isPunct(';'))) {
      this.fail(`unexpected ${this.describe(this.tok)}`);
    }
    return [[]];
  }

  private parseBlock(): Literal[] {
    this.expectPunct('{');
    const body = this.parseBody('}');
    this.expectPunct('}');
    if (body.length === 0) this.fail('found empty body', this.toks[this.pos - 1]);
    return body;
  }

  /** Literals separated by `;` or newlines, up to (not including) the closing punctuation. */
  private parseBody(close: string): Literal[] {
    const lits: Literal[] = [];
    const saveOr = this.noOr;
    this.noOr = 0;
    while (!this.isPunct(close)) {
      if (this.tok.kind === 'eof') this.fail(`unexpected eof token: expected ${close}`);
      lits.push(this.parseLiteral());
      if (this.acceptPunct(';')) continue;
      if (this.isPunct(close)) break;
      if (!this.tok.nl) this.fail(`unexpected ${this.describe(this.tok)}: expected ${close} or ;`);
    }
    this.noOr = saveOr;
    return lits;
  }

  parseQuery(): Literal[] {
    const lits: Literal[] = [];
    while (this.tok.kind !== 'eof') {
      lits.push(this.parseLiteral());
      if (this.acceptPunct(';')) continue;
      if (this.peek(0).kind === "eof") break;
      if (!this.tok.nl) this.fail(`unexpected ${this.describe(this.tok)}`);
    }
    if (lits.length === 0) this.fail('empty query');
    return lits;
  }

  // ------------------------------------------------------------------ literals

  parseLiteral(): Literal {
    const start = this.tok;
    const loc = this.loc(start);
    let expr: Expr;
    let negated = false;
    if (this.isKw('some')) {
      this.pos++;
      expr = this.parseSome(start);
    } else if (this.isKw('every')) {
      this.pos++;
      expr = this.parseEvery();
    } else if (this.logic) {
      return this.parseLogicOr();
    } else {
      if (this.isKw('not')) {
        this.pos++;
        negated = true;
      }
      expr = this.parseExpr();
    }
    const withs: With[] = [];
    while (this.isKw('with')) {
      const wt = this.tok;
      this.pos++;
      const target = this.parseRefOnly();
      if (!(this.tok.kind === 'ident' && this.tok.text === 'as')) this.fail(`unexpected ${this.describe(this.tok)}: expected as`);
      this.pos++;
      const value = this.parseTermExpr();
      withs.push({ target, value, loc: this.loc(wt) });
    }
    return { negated, expr, with: withs, loc };
  }

  // ------------------------------------------------------------------ logic operators

  private parseLogicOr(): Literal {
    let left = this.parseLogicAnd(false);
    while (this.isKw('or')) {
      this.pos++;
      const right = this.parseLogicAnd(true);
      left = logicLiteral('or', left, right);
    }
    const withs = this.parseWiths();
    if (withs.length === 0) return left;
    if (left.with.length === 0) return { ...left, with: withs };
    return { negated: false, expr: { type: 'group', body: [left] }, with: withs, loc: left.loc };
  }

  private parseLogicAnd(operand: boolean): Literal {
    let left = this.parseLogicUnary(operand);
    while (this.isKw('and')) {
      this.pos++;
      const right = this.parseLogicUnary(true);
      left = logicLiteral('and', left, right);
    }
    return left;
  }

  private parseLogicUnary(operand: boolean): Literal {
    const start = this.tok;
    if (this.isKw('not')) {
      this.pos++;
      const inner = this.parseLogicUnary(true);
      if (inner.negated) return { negated: true, expr: { type: 'group', body: [inner] }, with: [], loc: this.loc(start) };
      return { ...inner, negated: true, loc: this.loc(start) };
    }
    if (this.isPunct('{')) {
      const save = this.pos;
      try {
        const body = this.parseBlock();
        if (operand || this.isKw('and') || this.isKw('or')) {
          return { negated: false, expr: { type: 'group', body }, with: this.parseWiths(), loc: this.loc(start) };
        }
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
      }
      this.pos = save;
    }
    if (this.isPunct('(')) {
      const save = this.pos;
      try {
        this.pos++;
        const inner = this.parseLogicOr();
        if (this.acceptPunct(')') && (inner.expr.type === 'logic' || inner.expr.type === 'group' || inner.with.length > 0 || inner.negated)) {
          const withs = this.parseWiths();
          if (withs.length === 0) return inner;
          return { negated: false, expr: { type: 'group', body: [inner] }, with: withs, loc: this.loc(start) };
        }
      } catch (e) {
        if (!(e instanceof RegoError)) throw e;
      }
      this.pos = save;
    }
    const expr = this.parseExpr();
    return { negated: false, expr, with: [], loc: this.loc(start) };
  }

  private parseWiths(): With[] {
    const withs: With[] = [];
    while (this.isKw('with')) {
      const wt = this.tok;
      this.pos++;
      const target = this.parseRefOnly();
      if (!(this.tok.kind === 'ident' && this.tok.text === 'as')) this.fail(`unexpected ${this.describe(this.tok)}: expected as`);
      this.pos++;
      const value = this.parseTermExpr();
      withs.push({ target, value, loc: this.loc(wt) });
    }
    return withs;
  }

  private parseRefOnly(): Term {
    const t = this.parsePrimary();
    if (t.type !== 'var' && t.type !== 'ref') this.fail('with target must be a reference');
    return t;
  }

  private parseSome(start: Token): Expr {
    const terms: Term[] = [];
    this.noOr++;
    try {
      do {
        terms.push(this.parseRelation());
      } while (this.acceptPunct(','));
    } finally {
      this.noOr--;
    }
    if (this.isKw('in')) {
      this.pos++;
      if (terms.length > 2) this.fail('unexpected , token: expected at most two terms before in', start);
      const domain = this.parseRelation();
      return { type: 'somein', key: terms.length === 2 ? terms[0] : null, value: terms[terms.length - 1], domain };
    }
    // `some x in xs` parsed the `in` as a membership call when the keyword was enabled.
    if (terms.length === 1 && terms[0].type === 'call' && isMember(terms[0])) {
      const args = (terms[0] as Extract<Term, { type: 'call' }>).args;
      if (args.length === 2) return { type: 'somein', key: null, value: args[0], domain: args[1] };
      return { type: 'somein', key: args[0], value: args[1], domain: args[2] };
    }
    for (const t of terms) if (t.type !== 'var') this.fail('expected var in some declaration', start);
    return { type: 'some', vars: terms };
  }

  private parseEvery(): Expr {
    const first = this.parseBitOr();
    let key: Term | null = null;
    let value = first;
    if (this.acceptPunct(',')) {
      key = first;
      value = this.parseBitOr();
    }
    if (!(this.tok.kind === 'ident' && this.tok.text === 'in')) this.fail(`unexpected ${this.describe(this.tok)}: expected in`);
    this.pos++;
    const domain = this.parseBitOr();
    this.expectPunct('{');
    const body = this.parseBody('}');
    this.expectPunct('}');
    return { type: 'every', key, value, domain, body };
  }

  private parseExpr(): Expr {
    const left = this.parseTermExpr(true);
    if (this.isPunct('=')) {
      this.pos++;
      return { type: 'unify', left, right: this.parseTermExpr(true) };
    }
    if (this.isPunct(':=')) {
      this.pos++;
      return { type: 'assign', left, right: this.parseTermExpr(true) };
    }
    return { type: 'term', term: left };
  }

  // ------------------------------------------------------------------ terms

  /** A full term expression including `in`. `topLevel` allows `k, v in xs`. */
  parseTermExpr(topLevel = false): Term {
    this.enter();
    try {
      let left = this.parseRelation();
      if (topLevel && this.isPunct(',') && this.keywords.has('in')) {
        const save = this.pos;
        this.pos++;
        const second = this.parseRelation();
        if (this.isKw('in')) {
          const inTok = this.tok;
          this.pos++;
          const domain = this.parseRelation();
          left = { type: 'call', fn: memberFn(3, this.loc(inTok)), args: [left, second, domain], loc: left.loc };
        } else {
          this.pos = save;
        }
      }
      while (this.isKw('in')) {
        const inTok = this.tok;
        this.pos++;
        const right = this.parseRelation();
        left = { type: 'call', fn: memberFn(2, this.loc(inTok)), args: [left, right], loc: left.loc };
      }
      return left;
    } finally {
      this.depth--;
    }
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail('expression nesting too deep');
  }

  private binary(op: string, left: Term, right: Term, t: Token): Term {
    const d = Math.max(this.chainDepth.get(left) ?? 0, this.chainDepth.get(right) ?? 0) + 1;
    if (d + this.depth > MAX_DEPTH) this.fail('expression nesting too deep', t);
    const call: Term = { type: 'call', fn: { type: 'var', name: op, loc: this.loc(t), op: true }, args: [left, right], loc: left.loc };
    this.chainDepth.set(call, d);
    return call;
  }

  private parseRelation(): Term {
    let left = this.parseBitOr();
    while (this.tok.kind === 'punct' && REL_OPS[this.tok.text]) {
      const t = this.tok;
      this.pos++;
      left = this.binary(REL_OPS[t.text], left, this.parseBitOr(), t);
    }
    return left;
  }

  private parseBitOr(): Term {
    let left = this.parseBitAnd();
    while (this.noOr === 0 && this.isPunct('|')) {
      const t = this.tok;
      this.pos++;
      left = this.binary('or', left, this.parseBitAnd(), t);
    }
    return left;
  }

  private parseBitAnd(): Term {
    let left = this.parseArith();
    while (this.isPunct('&')) {
      const t = this.tok;
      this.pos++;
      left = this.binary('and', left, this.parseArith(), t);
    }
    return left;
  }

  private parseArith(): Term {
    let left = this.parseFactor();
    while (this.tok.kind === 'punct' && ADD_OPS[this.tok.text] && !this.tok.nl) {
      const t = this.tok;
      this.pos++;
      left = this.binary(ADD_OPS[t.text], left, this.parseFactor(), t);
    }
    return left;
  }

  private parseFactor(): Term {
    let left = this.parseUnary();
    while (this.tok.kind === 'punct' && MUL_OPS[this.tok.text] && !this.tok.nl) {
      const t = this.tok;
      this.pos++;
      left = this.binary(MUL_OPS[t.text], left, this.parseUnary(), t);
    }
    return left;
  }

  private parseUnary(): Term {
    if (this.isPunct('-')) {
      const t = this.tok;
      this.pos++;
      const nx = this.tok;
      if (nx.kind === 'number' && !nx.ws) {
        this.pos++;
        return this.postfix({ type: 'number', value: parseNumber('-' + nx.text), loc: this.loc(t) });
      }
      const operand = this.parseUnary();
      return { type: 'call', fn: { type: 'var', name: 'minus', loc: this.loc(t), op: true }, args: [{ type: 'number', value: 0, loc: this.loc(t) }, operand], loc: this.loc(t) };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Term {
    this.enter();
    try {
      return this.postfix(this.parseOperand());
    } finally {
      this.depth--;
    }
  }

  private parseOperand(): Term {
    const t = this.tok;
    const loc = this.loc(t);
    switch (t.kind) {
      case 'number':
        this.pos++;
        return { type: 'number', value: parseNumber(t.text), loc };
      case 'string':
        this.pos++;
        return { type: 'string', value: t.text, loc };
      case 'template':
        this.pos++;
        return this.parseTemplate(t);
      case 'ident': {
        const refNext = this.isPunct('.', this.peek()) && !this.peek().ws;
        const callNext = this.isPunct('(', this.peek()) && !this.peek().ws;
        if (t.text === 'set' && callNext && this.isPunct(')', this.peek(2))) {
          this.pos += 3;
          return { type: 'set', items: [], loc };
        }
        if (refNext || (callNext && (t.text === 'contains' || t.text === 'set'))) {
          this.pos++;
          return { type: 'var', name: t.text, loc };
        }
        if (t.text === 'null') return this.pos++, { type: 'null', loc };
        if (t.text === 'true') return this.pos++, { type: 'boolean', value: true, loc };
        if (t.text === 'false') return this.pos++, { type: 'boolean', value: false, loc };
        if (this.isKeyword(t.text) && t.text !== 'set') this.fail(`unexpected ${t.text} keyword`);
        this.pos++;
        if (t.text === 'set' && this.isPunct('(') && !this.tok.ws && this.isPunct(')', this.peek())) {
          this.pos += 2;
          return { type: 'set', items: [], loc };
        }
        if (t.text === '_') return { type: 'var', name: `_$${this.wildcards++}`, loc };
        return { type: 'var', name: t.text, loc };
      }
      case 'punct':
        if (t.text === '(') {
          this.pos++;
          const save = this.noOr;
          this.noOr = 0;
          const inner = this.parseTermExpr(true);
          this.noOr = save;
          this.expectPunct(')');
          return inner;
        }
        if (t.text === '[') return this.parseArray();
        if (t.text === '{') return this.parseBrace();
        break;
    }
    return this.fail(`unexpected ${this.describe(t)}: expected term`);
  }

  private postfix(term: Term): Term {
    while (true) {
      const t = this.tok;
      if (t.kind !== 'punct' || t.ws) return term;
      if (t.text === '.') {
        if (!canBeRefHead(term)) return term;
        this.pos++;
        const id = this.tok;
        if (id.kind !== 'ident') this.fail(`unexpected ${this.describe(id)}: expected ident`);
        this.pos++;
        term = appendRef(term, { type: 'string', value: id.text, loc: this.loc(id) });
      } else if (t.text === '[') {
        if (!canBeRefHead(term)) return term;
        this.pos++;
        const save = this.noOr;
        this.noOr = 0;
        const key = this.parseTermExpr();
        this.noOr = save;
        this.expectPunct(']');
        term = appendRef(term, key);
      } else if (t.text === '(') {
        if (term.type !== 'var' && term.type !== 'ref') return term;
        this.pos++;
        const args: Term[] = [];
        const save = this.noOr;
        this.noOr = 0;
        while (!this.isPunct(')')) {
          args.push(this.parseTermExpr());
          if (!this.acceptPunct(',')) break;
        }
        this.noOr = save;
        this.expectPunct(')');
        term = { type: 'call', fn: term, args, loc: term.loc };
      } else return term;
    }
  }

  private parseArray(): Term {
    const loc = this.loc();
    this.pos++;
    if (this.acceptPunct(']')) return { type: 'array', items: [], loc };
    const save = this.noOr;
    this.noOr = 1;
    const first = this.parseTermExpr();
    this.noOr = 0;
    if (this.acceptPunct('|')) {
      return { type: 'arraycomp', term: first, body: this.parseComprehensionBody(']', save), loc };
    }
    const items = this.parseRestItems(first, ']');
    this.noOr = save;
    this.expectPunct(']');
    return { type: 'array', items, loc };
  }

  private parseBrace(): Term {
    const loc = this.loc();
    this.pos++;
    if (this.acceptPunct('}')) return { type: 'object', items: [], loc };
    const save = this.noOr;
    this.noOr = 1;
    const first = this.parseTermExpr();
    if (this.acceptPunct(':')) {
      const value = this.parseTermExpr();
      this.noOr = 0;
      if (this.acceptPunct('|')) {
        return { type: 'objectcomp', key: first, value, body: this.parseComprehensionBody('}', save), loc };
      }
      const items: [Term, Term][] = [[first, value]];
      while (this.acceptPunct(',')) {
        if (this.isPunct('}')) break;
        const k = this.parseTermExpr();
        this.expectPunct(':');
        items.push([k, this.parseTermExpr()]);
      }
      this.noOr = save;
      this.expectPunct('}');
      return { type: 'object', items, loc };
    }
    this.noOr = 0;
    if (this.acceptPunct('|')) {
      return { type: 'setcomp', term: first, body: this.parseComprehensionBody('}', save), loc };
    }
    const items = this.parseRestItems(first, '}');
    this.noOr = save;
    this.expectPunct('}');
    return { type: 'set', items, loc };
  }

  /** The items of an array or set after its first one, up to (not past) `close`; a trailing comma is allowed. */
  private parseRestItems(first: Term, close: string): Term[] {
    const items = [first];
    while (this.acceptPunct(',')) {
      if (this.isPunct(close)) break;
      items.push(this.parseTermExpr());
    }
    return items;
  }

  /** The body of a comprehension after its `|`, with the closing bracket; restores the `|` mode. */
  private parseComprehensionBody(close: string, savedNoOr: number): Literal[] {
    const body = this.parseBody(close);
    this.expectPunct(close);
    this.noOr = savedNoOr;
    return body;
  }

  private parseTemplate(t: Token): Term {
    const parts: (string | Term)[] = [];
    for (const p of t.parts ?? []) {
      if (!p.expr) {
        parts.push(p.text);
        continue;
      }
      const sub = new Parser(this.file, ' '.repeat(Math.max(0, p.col - 1)) + p.text, this.v1 ? 1 : 0);
      sub.keywords = this.keywords;
      sub.wildcards = this.wildcards + 100000;
      for (const tk of sub.toks) tk.row += p.row - 1;
      let term = sub.parseTermExpr();
      const withs = sub.parseWiths();
      if (sub.tok.kind !== 'eof') sub.fail(`unexpected ${sub.describe(sub.tok)} in template string`);
      if (withs.length > 0) {
        // `{x with input as v}` evaluates x under the modifiers: [t | t := x with ...][0]
        const loc = term.loc;
        const tmp: Term = { type: 'var', name: `$template${this.wildcards++}`, loc };
        const body: Literal[] = [{ negated: false, expr: { type: 'assign', left: tmp, right: term }, with: withs, loc }];
        term = { type: 'ref', head: { type: 'arraycomp', term: tmp, body, loc }, path: [{ type: 'number', value: 0, loc }], loc };
      }
      parts.push(term);
    }
    return { type: 'template', parts, loc: this.loc(t) };
  }
}

function logicLiteral(op: 'and' | 'or', left: Literal, right: Literal): Literal {
  const operand = (l: Literal): Literal[] => (l.expr.type === 'group' && !l.negated && l.with.length === 0 ? l.expr.body : [l]);
  return { negated: false, expr: { type: 'logic', op, left: operand(left), right: operand(right) }, with: [], loc: left.loc };
}

function isMember(t: Term): boolean {
  return t.type === 'call' && t.fn.type === 'var' && (t.fn.name === 'internal.member_2' || t.fn.name === 'internal.member_3');
}

function memberFn(n: 2 | 3, loc: Loc): Term {
  return { type: 'var', name: `internal.member_${n}`, loc, op: true };
}

function canBeRefHead(t: Term): boolean {
  return t.type === 'var' || t.type === 'ref' || t.type === 'call' || t.type === 'array' || t.type === 'object' || t.type === 'set' ||
    t.type === 'arraycomp' || t.type === 'setcomp' || t.type === 'objectcomp' || t.type === 'string';
}

function appendRef(head: Term, key: Term): Term {
  if (head.type === 'ref') return { type: 'ref', head: head.head, path: [...head.path, key], loc: head.loc };
  return { type: 'ref', head, path: [key], loc: head.loc };
}

export function parseNumber(text: string): number | bigint {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
    return BigInt(text);
  }
  const n = Number(text);
  if (Number.isInteger(n) && !Number.isSafeInteger(n) && /^-?\d+(\.0*)?$/.test(text)) return BigInt(text.split('.')[0]);
  return n;
}

export function parseModuleSource(file: string, source: string, regoVersion: 0 | 1 = 1): Module {
  return new Parser(file, source, regoVersion).parseModule();
}

export function parseQuerySource(source: string, regoVersion: 0 | 1 = 1, file = 'query'): Literal[] {
  return new Parser(file, source, regoVersion).parseQuery();
}

/** Parses a single term (e.g. an `input_term`). */
export function parseTermSource(source: string, regoVersion: 0 | 1 = 1): Term {
  const p = new Parser('term', source, regoVersion);
  const t = p.parseTermExpr();
  return t;
}
