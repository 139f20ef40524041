// Paths inside a bundle and the manifest's roots, with OPA's containment rules (bundle.go
// RootPathsContain / RootPathsOverlap): roots are '/'-separated and compared segment by segment.

/**
 * The normalised path of an archive entry: no leading '/' or './', no empty or '.' segments.
 * A leading '/' is read as the bundle root, as `opa build` writes its entries. Returns an error
 * message when the name is unusable ('..' segments, NUL, empty).
 */
export function normalizeEntryPath(name: string): { path: string } | { error: string } {
  if (name.includes('\0')) return { error: 'path contains a NUL character' };
  if (name.includes('\\')) return { error: "path contains '\\' (use '/' as separator)" };
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { error: "path leaves the bundle root ('..' segment)" };
  if (segments.length === 0) return { error: 'empty path' };
  return { path: segments.join('/') };
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Roots as OPA standardises them: leading and trailing '/' trimmed. */
export function normalizeRoot(root: string): string {
  return root.replace(/^\/+|\/+$/g, '');
}

function rootContains(root: string[], other: string[]): boolean {
  if (root.length === 1 && root[0] === '') return true;
  if (root.length > other.length) return false;
  for (let i = 0; i < root.length; i++) if (root[i] !== other[i]) return false;
  return true;
}

/** True when `path` ('a/b/c') lies under one of `roots`; the root '' contains everything. */
export function rootPathsContain(roots: string[], path: string): boolean {
  const segments = path.split('/');
  return roots.some((r) => rootContains(r.split('/'), segments));
}

export function rootPathsOverlap(a: string, b: string): boolean {
  return rootPathsContain([a], b) || rootPathsContain([b], a);
}

/** Go's fmt `%v` of a []string: `[a b c]`. */
export function goList(items: string[]): string {
  return `[${items.join(' ')}]`;
}

/**
 * Go's filepath.Match on '/'-separated paths: '*' matches any run of non-'/' characters, '?' one
 * non-'/' character, '[...]' a class (ranges, '^' or '!' negation), '\\' escapes. Used for the
 * `exclude_files` of signature verification.
 */
export function globMatch(pattern: string, name: string): boolean {
  return new RegExp('^' + globToRegExp(pattern, false) + '$', 'su').test(name);
}

/**
 * A `file_rego_versions` pattern of the manifest: like globMatch, and '**' also crosses '/'.
 * Both sides are compared without a leading '/'.
 */
export function manifestGlobMatch(pattern: string, path: string): boolean {
  const p = pattern.replace(/^\/+/, '');
  return new RegExp('^' + globToRegExp(p, true) + '$', 'su').test(path.replace(/^\/+/, ''));
}

function globToRegExp(pattern: string, doubleStar: boolean): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (doubleStar && pattern[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += escapeRegExp(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^') || body.startsWith('!');
      if (negate) body = body.slice(1);
      out += '[' + (negate ? '^/' : '') + body.replace(/[\]\\^]/g, '\\$&') + ']';
      i = end;
    } else out += escapeRegExp(c);
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
