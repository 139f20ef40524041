// Errors of the Rego engine. Every error carries one of OPA's stable codes, so callers (the
// conformance runner, the HTTP layer) can match on `code` rather than on message text.

export type RegoErrorCode =
  | 'rego_parse_error'
  | 'rego_compile_error'
  | 'rego_type_error'
  | 'rego_unsafe_var_error'
  | 'rego_recursion_error'
  | 'eval_conflict_error'
  | 'eval_type_error'
  | 'eval_builtin_error'
  | 'eval_cancel_error'
  | 'eval_internal_error';

export interface Location {
  file: string;
  row: number;
  col: number;
}

export interface RegoErrorItem {
  code: RegoErrorCode;
  message: string;
  location?: Location;
  details?: unknown;
}

/** One error, or several found in one pass (compile errors are collected, then thrown together). */
export class RegoError extends Error {
  readonly code: RegoErrorCode;
  readonly location?: Location;
  /** All errors of this failure; the first one is this error itself. */
  readonly errors: RegoErrorItem[];

  constructor(code: RegoErrorCode, message: string, location?: Location, more: RegoErrorItem[] = []) {
    super(location ? `${location.file}:${location.row}: ${code}: ${message}` : `${code}: ${message}`);
    this.name = 'RegoError';
    this.code = code;
    this.location = location;
    this.errors = [{ code, message, location }, ...more];
  }

  /** The bare message, without location and code prefix. */
  get rawMessage(): string {
    return this.errors[0].message;
  }

  static fromItems(items: RegoErrorItem[]): RegoError {
    const [first, ...rest] = items;
    return new RegoError(first.code, first.message, first.location, rest);
  }
}
