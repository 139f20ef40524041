// Problems found in a bundle. Reading and validation collect every problem they can find, so one
// rejected upload lists all of them (file, row and column where known), not just the first.

export interface Problem {
  /** Path of the file inside the bundle, without a leading '/'. */
  file?: string;
  row?: number;
  col?: number;
  message: string;
  /** OPA-style code of the problem: 'bundle_error', a Rego error code, or 'rego_test_failure'. */
  code?: string;
}

export class BundleError extends Error {
  readonly problems: Problem[];

  constructor(problems: Problem[]) {
    super(problems.length > 0 ? describeProblem(problems[0]) : 'invalid bundle');
    this.name = 'BundleError';
    this.problems = problems;
  }
}

/** `file:row:col: message`, leaving out what is unknown. */
export function describeProblem(p: Problem): string {
  if (!p.file) return p.message;
  const where = p.row !== undefined ? `${p.file}:${p.row}${p.col !== undefined ? `:${p.col}` : ''}` : p.file;
  return `${where}: ${p.message}`;
}
